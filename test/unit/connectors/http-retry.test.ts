import t from 'tap';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, nominalDelayMs, pause, validateRetryPolicy } from '../../../connectors/http-retry.js';

t.test('the default policy: 3 attempts, 1 s, 2 s, 4 s nominal delays', async (t) => {
  t.equal(DEFAULT_RETRY_POLICY.attempts, 3);
  t.same([1, 2, 3].map((n) => nominalDelayMs(DEFAULT_RETRY_POLICY, n)), [1_000, 2_000, 4_000]);
});

t.test('jittered delays stay within nominal × [1 − jitter, 1 + jitter] and reach both ends', async (t) => {
  const policy = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2 };
  for (const n of [1, 2, 3, 4]) {
    const nominal = nominalDelayMs(policy, n);
    t.equal(backoffDelayMs(policy, n, () => 0), nominal * 0.8, `n=${n}: random 0 gives the lower bound`);
    t.equal(backoffDelayMs(policy, n, () => 0.999999), Math.round(nominal * 1.2 - nominal * 0.4 * 0.000001), `n=${n}: random → 1 gives the upper bound`);
    for (let i = 0; i < 500; i++) {
      const delay = backoffDelayMs(policy, n);
      if (delay < nominal * 0.8 || delay > nominal * 1.2) t.fail(`n=${n}: ${delay} outside [${nominal * 0.8}, ${nominal * 1.2}]`);
    }
  }
  const spread = new Set(Array.from({ length: 200 }, () => backoffDelayMs(policy, 2)));
  t.ok(spread.size > 50, 'delays are spread, not one value');
});

t.test('delays are capped at maxDelayMs (before jitter); jitter 0 gives the nominal delay', async (t) => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 500, jitter: 0 };
  t.same([1, 2, 3, 4, 5, 10].map((n) => backoffDelayMs(policy, n)), [100, 200, 400, 500, 500, 500]);
});

t.test('a bad policy is refused with a message naming the setting', async (t) => {
  t.throws(() => validateRetryPolicy({ attempts: 0, baseDelayMs: 1, maxDelayMs: 1, jitter: 0 }), /attempts/);
  t.throws(() => validateRetryPolicy({ attempts: 1, baseDelayMs: 10, maxDelayMs: 5, jitter: 0 }), /max delay/);
  t.throws(() => validateRetryPolicy({ attempts: 1, baseDelayMs: 1, maxDelayMs: 1, jitter: 1.5 }), /jitter/);
});

t.test('pause ends early when its signal aborts', async (t) => {
  const controller = new AbortController();
  const started = Date.now();
  const paused = pause(60_000, controller.signal);
  controller.abort();
  await paused;
  t.ok(Date.now() - started < 60_000, 'did not wait the full pause');
});
