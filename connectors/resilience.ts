/**
 * What the connectors share around cockatiel (the resilience library every outbound call goes through): the
 * retry and breaker settings as the connectors name them, the exponential backoff with ±jitter those settings
 * describe, breaker states by name, one log line per breaker move, and a pause a stop can cut short.
 *
 * The policies themselves are cockatiel's, built where each call is made:
 *
 * | call | policies (outer → inner) |
 * |---|---|
 * | Slick (slick-delivery.ts, slick-client.ts) | retry → circuit breaker → bulkhead → timeout |
 * | Redis nonce claims (redis-nonce-store.ts) | retry (only commands never sent) → circuit breaker → timeout |
 * | Kafka produce of the webhook ingress (webhook-server.ts) | timeout |
 * | simulators' callbacks (simulators/webhook-sender.ts) | retry → timeout |
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CircuitBreakerPolicy, CircuitState, ExponentialBackoff, type GeneratorFn, noJitterGenerator } from 'cockatiel';
import type { Logger } from '../observability/logger.js';

/** Retries of a partner call: `attempts` in one round, the n-th delay `baseDelayMs × 2^(n−1)` capped, ±`jitter`. */
export interface RetrySettings {
  /** Attempts in one round (the first call and its retries). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Fraction in [0, 1]: each delay is drawn uniformly from nominal × [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
}

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  readonly coolDownMs: number;
}

export function validateRetrySettings(settings: RetrySettings): RetrySettings {
  if (!Number.isInteger(settings.attempts) || settings.attempts < 1)
    throw new Error(`retry attempts must be an integer >= 1, got ${settings.attempts}`);
  if (!(settings.baseDelayMs >= 0)) throw new Error(`retry base delay must be >= 0 ms, got ${settings.baseDelayMs}`);
  if (!(settings.maxDelayMs >= settings.baseDelayMs))
    throw new Error(`retry max delay (${settings.maxDelayMs} ms) must be >= the base delay (${settings.baseDelayMs} ms)`);
  if (!(settings.jitter >= 0 && settings.jitter <= 1)) throw new Error(`retry jitter must be within [0, 1], got ${settings.jitter}`);
  return settings;
}

export function validateBreakerSettings(settings: BreakerSettings): BreakerSettings {
  if (!Number.isInteger(settings.failureThreshold) || settings.failureThreshold < 1)
    throw new Error(`breaker failure threshold must be an integer >= 1, got ${settings.failureThreshold}`);
  if (!(settings.coolDownMs >= 0)) throw new Error(`breaker cool-down must be >= 0 ms, got ${settings.coolDownMs}`);
  return settings;
}

/**
 * cockatiel's exponential generator without jitter, then spread by ±`jitter` (cockatiel's own generators spread
 * downwards only: full jitter [0, d), half jitter [d/2, d)). `random` returns [0, 1) like Math.random.
 */
export function plusMinusJitter(jitter: number, random: () => number = Math.random): GeneratorFn<number> {
  return (state, options) => {
    const [nominal, next] = noJitterGenerator(state, options);
    const spread = nominal * jitter;
    return [Math.max(0, Math.round(nominal - spread + 2 * spread * random())), next];
  };
}

/** The backoff `settings` describe: delays base, 2 × base, 4 × base … capped at maxDelayMs, each ±jitter. */
export function jitteredBackoff(settings: Omit<RetrySettings, 'attempts'>, random?: () => number): ExponentialBackoff<number> {
  return new ExponentialBackoff({
    initialDelay: settings.baseDelayMs,
    maxDelay: settings.maxDelayMs,
    exponent: 2,
    generator: plusMinusJitter(settings.jitter, random),
  });
}

/** The n-th delay (n from 1) of a backoff: what it waits after the n-th failure. */
export function nthDelayMs(backoff: ExponentialBackoff<number>, n: number): number {
  let current = backoff.next();
  // ExponentialBackoff ignores the context its steps are given.
  for (let i = 1; i < n; i++) current = current.next(undefined);
  return current.duration;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A cockatiel breaker's state by name (held open by hand reads as open). */
export function breakerStateOf(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open';
}

/**
 * One log line per move of `breaker` (warn when it opens, info otherwise) with `fields` and, on opening, the
 * failure that opened it (`err`, plus what `describe` tells of it: the order a Slick call was for). `onMove` is
 * told every move too (metrics).
 */
export function watchBreaker(
  breaker: CircuitBreakerPolicy,
  log: Logger,
  fields: Record<string, unknown>,
  options: {
    describe?: (error: unknown) => Record<string, unknown> | undefined;
    onMove?: (from: BreakerState, to: BreakerState) => void;
    coolDownMs?: number;
  } = {},
): void {
  let from = breakerStateOf(breaker.state);
  breaker.onStateChange((state) => {
    const to = breakerStateOf(state);
    if (to === from) return;
    const moved = { ...fields, breaker: { from, to } };
    if (to === 'open') {
      const failure = breaker.lastFailure;
      const error = failure && 'error' in failure ? failure.error : undefined;
      const cause = from === 'half-open' ? 'the probe call failed' : 'consecutive failures';
      log.warn(
        { ...moved, ...(error !== undefined ? options.describe?.(error) : undefined), err: error, coolDownMs: options.coolDownMs },
        `circuit breaker ${from} → open (${cause}): calls refused for the cool-down`,
      );
    } else if (to === 'half-open') {
      log.info(moved, 'circuit breaker open → half-open: one probe call');
    } else {
      log.info(moved, `circuit breaker ${from} → closed: calls flow again`);
    }
    const previous = from;
    from = to;
    options.onMove?.(previous, to);
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}
