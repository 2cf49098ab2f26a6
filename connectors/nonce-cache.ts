/**
 * Nonces seen by this ingress process, remembered while a request carrying them could still pass the timestamp
 * check, in bounded memory.
 *
 * A request is accepted on time while |now − timestamp| ≤ window, and a timestamp can be up to one window ahead
 * of the time it is first seen, so a nonce is remembered for 2 × window after it is first claimed: every entry
 * has the same lifetime, insertion order is expiry order, and expired entries are dropped from the front of a
 * Map as new ones arrive (amortised O(1)).
 *
 * Bounded: at most `capacity` live nonces. When full, a new nonce is refused (the caller answers 503 and the
 * partner retries) rather than a live one forgotten, which would reopen the replay window.
 *
 * Scope: one process. With several ingress replicas behind a load balancer a captured request could be replayed
 * once to each replica within the window; plug a shared store (e.g. Redis `SET key 1 NX PX <ttl>`) in through
 * `NonceStore` to close that. The records themselves are harmless to repeat: downstream ignores a repeated
 * EventID.
 */

export type ClaimResult = 'claimed' | 'replayed' | 'full';

/** How long a nonce must be remembered for a timestamp window of `toleranceSeconds` either way (see above). */
export const nonceTtlMs = (toleranceSeconds: number): number => 2 * toleranceSeconds * 1000;

/** Where nonces are remembered; `claim` must be atomic (check-and-set). */
export interface NonceStore {
  claim(key: string, nowMs: number): ClaimResult | Promise<ClaimResult>;
  /** Forgets a claimed nonce (its request failed before anything reached Kafka, so an identical retry is fine). */
  release(key: string): void | Promise<void>;
  readonly size: number;
}

export class NonceCache implements NonceStore {
  private readonly expiries = new Map<string, number>();

  constructor(
    /** How long a nonce is remembered, ms: twice the timestamp window. */
    private readonly ttlMs: number,
    private readonly capacity: number,
  ) {
    if (!(ttlMs > 0)) throw new Error(`nonce ttl must be positive, got ${ttlMs}`);
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`nonce capacity must be a positive integer, got ${capacity}`);
  }

  /** For a timestamp window of `toleranceSeconds` either way. */
  static forWindow(toleranceSeconds: number, capacity: number): NonceCache {
    return new NonceCache(nonceTtlMs(toleranceSeconds), capacity);
  }

  get size(): number {
    return this.expiries.size;
  }

  claim(key: string, nowMs: number): ClaimResult {
    this.evictExpired(nowMs);
    if (this.expiries.has(key)) return 'replayed';
    if (this.expiries.size >= this.capacity) return 'full';
    this.expiries.set(key, nowMs + this.ttlMs);
    return 'claimed';
  }

  release(key: string): void {
    this.expiries.delete(key);
  }

  private evictExpired(nowMs: number): void {
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > nowMs) return;
      this.expiries.delete(key);
    }
  }
}
