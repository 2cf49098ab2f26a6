import t from 'tap';
import { FAILING_NOT_READY_AFTER_MS, runtimeReadiness } from '../../runtime/readiness.js';

t.test('ready when running and committing; not ready while restoring, or failing for a minute, with the reason', async (t) => {
  t.same(runtimeReadiness({ currentState: 'running', failing: undefined }), { ready: true });
  t.same(runtimeReadiness({ currentState: 'restoring', failing: undefined }), { ready: false, reason: 'the stream runtime is restoring' });
  t.same(
    runtimeReadiness({ currentState: 'running', failing: { sinceMs: FAILING_NOT_READY_AFTER_MS - 1, error: 'x' } }),
    { ready: true },
    'a short run of failures (a rebalance, a broker restart) is not reported',
  );
  const stuck = runtimeReadiness({
    currentState: 'running',
    failing: { sinceMs: 95_400, error: 'addPartitionsToTransaction failed 101 times.' },
  });
  t.equal(stuck.ready, false);
  t.equal(stuck.reason, 'nothing committed for 95 s, every attempt failing: addPartitionsToTransaction failed 101 times.');
});
