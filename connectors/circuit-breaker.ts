/**
 * A circuit breaker for calls to one partner, as an explicit state machine:
 *
 *   closed ──(failureThreshold consecutive failures)──► open
 *   open ──(coolDownMs elapsed, next tryAcquire)──► half-open: exactly one probe call is let through
 *   half-open ──(probe succeeds)──► closed        half-open ──(probe fails)──► open (cool-down starts again)
 *
 * Callers ask `tryAcquire()` before a call and report it with `onSuccess()` / `onFailure()`; a report without a
 * permit is a bug and throws. Time comes from `now()`, so tests drive the clock.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe call is allowed. */
  readonly coolDownMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private inFlight = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new Error(`failureThreshold must be an integer >= 1, got ${options.failureThreshold}`);
    if (!(options.coolDownMs >= 0)) throw new Error(`coolDownMs must be >= 0, got ${options.coolDownMs}`);
    this.now = options.now ?? Date.now;
  }

  /** The state as of now: an open circuit whose cool-down has passed reads as half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.coolDownMs) return 'half-open';
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** True when a call may be made now; in half-open only the first caller gets the probe. */
  tryAcquire(): boolean {
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.coolDownMs) return false;
      this.move('half-open');
    }
    if (this.current === 'half-open') {
      if (this.probing) return false;
      this.probing = true;
    }
    this.inFlight++;
    return true;
  }

  /** How long a refused caller should wait before asking again. */
  retryAfterMs(): number {
    if (this.current === 'open') return Math.max(0, this.openedAt + this.options.coolDownMs - this.now());
    if (this.current === 'half-open') return Math.max(1, Math.ceil(this.options.coolDownMs / 4));
    return 0;
  }

  onSuccess(): void {
    this.release();
    this.failures = 0;
    if (this.current !== 'closed') this.move('closed');
  }

  onFailure(): void {
    const wasProbe = this.current === 'half-open';
    this.release();
    this.failures++;
    if (wasProbe || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAt = this.now();
      this.move('open');
    }
    // Failures of calls that started before the circuit opened do not restart its cool-down.
  }

  /** A permitted call that ended without saying anything about the partner (abandoned, a client-side error). */
  onIgnored(): void {
    this.release();
  }

  private release(): void {
    if (this.inFlight === 0) throw new Error('circuit breaker: a call was reported without tryAcquire()');
    this.inFlight--;
    if (this.current === 'half-open') this.probing = false;
  }

  private move(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    if (to !== 'half-open') this.probing = false;
    this.options.onStateChange?.(from, to);
  }
}
