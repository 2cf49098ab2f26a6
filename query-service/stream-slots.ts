/**
 * How many GET /events streams one replica holds open: at most `max` in all, and at most `perSubject` for one token
 * subject, so that one leaked token or a runaway client cannot take every socket and subscriber of the replica.
 * A slot is taken before the stream opens and given back when it ends, whichever way it ends.
 *
 * Refusals: 429 EVENTS_STREAM_LIMIT (this subject holds its share: close a tab, or wait for a dropped stream to be
 * noticed, at the next heartbeat) and 503 EVENTS_AT_CAPACITY (the replica is full: another replica may have room),
 * each with Retry-After.
 */
import { ApiError } from './errors.js';

export interface StreamLimits {
  /** Open streams at most, in all. */
  readonly max: number;
  /** Open streams at most for one token subject. */
  readonly perSubject: number;
  /** Retry-After of a refusal, seconds. */
  readonly retryAfterSeconds: number;
}

/** Gives the slot back; calling it again does nothing. */
export type Release = () => void;

export class StreamSlots {
  private total = 0;
  private readonly bySubject = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {
    for (const [name, value] of Object.entries(limits))
      if (!Number.isInteger(value) || value < 1) throw new Error(`stream limit ${name} must be a positive integer, got ${value}`);
  }

  get open(): number {
    return this.total;
  }

  openFor(subject: string): number {
    return this.bySubject.get(subject) ?? 0;
  }

  /** A slot for one more stream of `subject`, or the ApiError to answer. */
  take(subject: string): Release {
    const retryAfter = { 'retry-after': String(this.limits.retryAfterSeconds) };
    const held = this.openFor(subject);
    if (held >= this.limits.perSubject)
      throw new ApiError(
        429,
        'EVENTS_STREAM_LIMIT',
        `This token's subject already holds ${held} open event streams here, the most allowed; close one (another tab or device) or retry in ${this.limits.retryAfterSeconds} s`,
        undefined,
        retryAfter,
      );
    if (this.total >= this.limits.max)
      throw new ApiError(
        503,
        'EVENTS_AT_CAPACITY',
        `This replica holds the most event streams it may (${this.limits.max}); retry in ${this.limits.retryAfterSeconds} s`,
        undefined,
        retryAfter,
      );
    this.total++;
    this.bySubject.set(subject, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.bySubject.get(subject) ?? 1) - 1;
      if (left > 0) this.bySubject.set(subject, left);
      else this.bySubject.delete(subject);
    };
  }
}
