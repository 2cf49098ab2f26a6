/**
 * Nonces seen by this ingress process, remembered while a request carrying them could still pass the timestamp
 * check, in bounded memory.
 *
 * A request is accepted on time while |now − timestamp| ≤ window, and a timestamp can be up to one window ahead
 * of the time it is first seen, so a nonce is remembered for 2 × window after it is first claimed: every entry
 * has the same lifetime, insertion order is expiry order, and expired entries are dropped from the front of a
 * Map as new ones arrive (amortised O(1)).
 *
 * A nonce is remembered with the digest of the request that claimed it and whether that request is done:
 * - **held** by one attempt (its `holder`) for a lease while it is checked and published. Another request with the
 *   same nonce and the same digest is the same request resent: while the lease runs it is told `in-progress`
 *   (the ingress answers a retryable 503, so concurrent resends publish once); once the lease is over, the
 *   attempt that held it is gone without spending it (its answer was lost, or it failed) and the resend takes the
 *   claim over. A different digest is `replayed`.
 * - **spent** once its request was accepted (or refused for good): every later request with it is `replayed`.
 * An attempt that fails before anything was accepted releases its claim, so an identical retry is welcome.
 *
 * Bounded: at most `capacity` live nonces. When full, a new nonce is refused (the caller answers 503 and the
 * partner retries) rather than a live one forgotten, which would reopen the replay window.
 *
 * Scope: one process. With several ingress replicas behind a load balancer a captured request could be replayed
 * once to each replica within the window; `redis-nonce-store.ts` shares the same states between them. The
 * records themselves are harmless to repeat: downstream ignores a repeated EventID.
 */

export type ClaimResult = 'claimed' | 'replayed' | 'in-progress' | 'full';

/** One attempt's claim on its request's nonce. */
export interface NonceClaim {
  /** `<partner>:<nonce>`. */
  readonly key: string;
  /** `signedDigest` of the request: an identical resend has the same one, a reused nonce another. */
  readonly digest: string;
  /** This attempt's own id: only it spends or releases the claim. */
  readonly holder: string;
  /** How long the claim is held for this attempt before an identical request may take it over, ms. */
  readonly leaseMs: number;
}

/** How long a nonce must be remembered for a timestamp window of `toleranceSeconds` either way (see above). */
export const nonceTtlMs = (toleranceSeconds: number): number => 2 * toleranceSeconds * 1000;

/** Where nonces are remembered; each operation must be atomic (check-and-set). */
export interface NonceStore {
  /** `claimed` also when an identical request's claim was left behind (its lease over) and is taken over. */
  claim(claim: NonceClaim, nowMs: number): ClaimResult | Promise<ClaimResult>;
  /** The request is done (accepted, or refused for good); false when this attempt no longer held the claim. */
  spend(claim: NonceClaim): boolean | Promise<boolean>;
  /** Forgets the claim if this attempt still holds it (nothing was accepted, so an identical retry is fine). */
  release(claim: NonceClaim): void | Promise<void>;
  readonly size: number;
}

interface Entry {
  readonly expiresAt: number;
  readonly digest: string;
  holder: string;
  /** When the holder's lease ends; undefined once spent. */
  heldUntil: number | undefined;
}

export class NonceCache implements NonceStore {
  private readonly entries = new Map<string, Entry>();

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
    return this.entries.size;
  }

  claim(claim: NonceClaim, nowMs: number): ClaimResult {
    this.evictExpired(nowMs);
    const entry = this.entries.get(claim.key);
    if (entry) {
      if (entry.heldUntil === undefined || entry.digest !== claim.digest) return 'replayed';
      if (entry.holder !== claim.holder && entry.heldUntil > nowMs) return 'in-progress';
      // Taken over (or claimed again by its own holder): the entry keeps its place, so its expiry stays in order.
      entry.holder = claim.holder;
      entry.heldUntil = nowMs + claim.leaseMs;
      return 'claimed';
    }
    if (this.entries.size >= this.capacity) return 'full';
    this.entries.set(claim.key, {
      expiresAt: nowMs + this.ttlMs,
      digest: claim.digest,
      holder: claim.holder,
      heldUntil: nowMs + claim.leaseMs,
    });
    return 'claimed';
  }

  spend(claim: NonceClaim): boolean {
    const entry = this.heldBy(claim);
    if (!entry) return false;
    entry.heldUntil = undefined;
    return true;
  }

  release(claim: NonceClaim): void {
    if (this.heldBy(claim)) this.entries.delete(claim.key);
  }

  private heldBy(claim: NonceClaim): Entry | undefined {
    const entry = this.entries.get(claim.key);
    return entry && entry.heldUntil !== undefined && entry.holder === claim.holder ? entry : undefined;
  }

  private evictExpired(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > nowMs) return;
      this.entries.delete(key);
    }
  }
}
