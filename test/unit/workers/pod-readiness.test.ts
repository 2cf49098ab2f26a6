// /health/ready of a process whose tasks run in several workers: ready only when every worker is.
import t from 'tap';
import { podReadiness, REPORT_STALE_MS } from '../../../workers/pod-readiness.js';

const now = 1_000_000;

t.test('every worker ready: ready, with any worker’s note kept', async (t) => {
  t.same(
    podReadiness(
      [
        { number: 1, readiness: { ready: true }, at: now },
        { number: 2, readiness: { ready: true }, at: now - 900 },
      ],
      now,
    ),
    { ready: true },
  );
  t.same(
    podReadiness(
      [
        { number: 2, readiness: { ready: true, reason: 'degraded: Postgres does not answer' }, at: now },
        { number: 1, readiness: { ready: true }, at: now },
      ],
      now,
    ),
    { ready: true, reason: 'worker 2: degraded: Postgres does not answer' },
  );
});

t.test('one worker not ready, starting or silent: not ready, saying which and why', async (t) => {
  t.same(
    podReadiness(
      [
        { number: 3, readiness: null, at: null },
        { number: 1, readiness: { ready: false, reason: 'restoring orders of 0_2' }, at: now },
        { number: 2, readiness: { ready: true }, at: now - REPORT_STALE_MS - 2_000 },
      ],
      now,
    ),
    { ready: false, reason: 'worker 1: restoring orders of 0_2; worker 2: no report for 7 s; worker 3: starting' },
  );
});
