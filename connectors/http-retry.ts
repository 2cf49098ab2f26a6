/**
 * Retry timing for partner calls: exponential backoff with jitter, and sleeps a stop can cut short.
 *
 * The n-th delay (n from 1) is `baseDelayMs × 2^(n-1)`, capped at `maxDelayMs`, then spread by ±`jitter`
 * (a fraction: 0.2 gives 80 %–120 % of the nominal delay) so replicas retrying together do not hit the partner in
 * step. With the defaults (1 s, 3 attempts): 1 s after the first failure, 2 s after the second, 4 s after the
 * round of 3 is given up, before the next round.
 */
export interface RetryPolicy {
  /** Attempts in one round before it is given up (and, for a release, started again after the last delay). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Fraction in [0, 1]: each delay is drawn uniformly from nominal × [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2 };

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new Error(`retry attempts must be an integer >= 1, got ${policy.attempts}`);
  if (!(policy.baseDelayMs >= 0)) throw new Error(`retry base delay must be >= 0 ms, got ${policy.baseDelayMs}`);
  if (!(policy.maxDelayMs >= policy.baseDelayMs)) throw new Error(`retry max delay (${policy.maxDelayMs} ms) must be >= the base delay (${policy.baseDelayMs} ms)`);
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new Error(`retry jitter must be within [0, 1], got ${policy.jitter}`);
  return policy;
}

/** The nominal delay after the n-th failure (n ≥ 1), before jitter. */
export function nominalDelayMs(policy: RetryPolicy, n: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1));
}

/** The delay after the n-th failure, jittered; `random` returns [0, 1) like Math.random. */
export function backoffDelayMs(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  const nominal = nominalDelayMs(policy, n);
  const spread = nominal * policy.jitter;
  return Math.max(0, Math.round(nominal - spread + 2 * spread * random()));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
