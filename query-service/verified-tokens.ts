/**
 * Tokens already verified, so that a client sending the same bearer token on every request pays for the
 * signature once (HS256 through WebCrypto and jose's checks were 75 µs of CPU per request at 1,000 lookups/s;
 * a hit is a map lookup and three comparisons).
 *
 * A hit never widens what a token can do: the entry is the exact token string; `exp`, `nbf` and `iat` are checked
 * again against the clock on every hit (a token that expired while cached is verified afresh and refused with its
 * code); an entry lives at most `maxAgeMs`; and with a JWKS an entry is only good while the key set it was
 * verified against is the one in use and still fresh (a key the issuer removed stops working exactly when it
 * does without the cache). Only successes are kept.
 */
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

export interface TimeClaims {
  exp: number;
  nbf?: number | undefined;
  iat?: number | undefined;
}

interface Entry {
  principal: Principal;
  times: TimeClaims;
  verifiedAtMs: number;
  /** The key set's version it was verified with (see `keySetVersion`). */
  keySet: unknown;
}

export interface VerifiedTokensOptions {
  /** Tolerance for the time claims, as the verifier applies it. */
  clockSkewSeconds: number;
  /** Longest an entry is trusted; default 5 minutes. */
  maxAgeMs?: number;
  /** Characters of tokens kept at most; default 8 MB (about 16,000 typical tokens). */
  maxCharacters?: number;
  /** The version of the key set in use now, or undefined when it must be fetched again; constant for a local key. */
  keySetVersion?: () => unknown;
}

export class VerifiedTokens {
  private readonly entries: LRUCache<string, Entry>;
  private readonly skew: number;
  private readonly maxAgeMs: number;
  private readonly keySetVersion: () => unknown;

  constructor(options: VerifiedTokensOptions) {
    this.skew = options.clockSkewSeconds;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.keySetVersion = options.keySetVersion ?? (() => 'local');
    this.entries = new LRUCache<string, Entry>({
      maxSize: options.maxCharacters ?? 8_000_000,
      sizeCalculation: (_entry, token) => token.length + 256,
    });
  }

  /** The principal of a token verified before, when every check above still holds; undefined otherwise. */
  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    const now = nowMs / 1000;
    const { exp, nbf, iat } = entry.times;
    const age = nowMs - entry.verifiedAtMs;
    const keySet = this.keySetVersion();
    if (
      exp <= now - this.skew ||
      (nbf !== undefined && nbf > now + this.skew) ||
      (iat !== undefined && iat > now + this.skew) ||
      age < 0 ||
      age >= this.maxAgeMs ||
      keySet === undefined ||
      keySet !== entry.keySet
    ) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.principal;
  }

  /** Remembers a token that passed every check, with the key set version read before it was verified. */
  remember(token: string, principal: Principal, times: TimeClaims, nowMs: number, keySet: unknown): void {
    if (keySet === undefined) return;
    this.entries.set(token, { principal, times, verifiedAtMs: nowMs, keySet });
  }

  /** The version the next verification will start from (read it before verifying, store it with the result). */
  currentKeySet(): unknown {
    return this.keySetVersion();
  }
}
