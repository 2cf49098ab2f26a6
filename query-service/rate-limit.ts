/**
 * Per-token rate limiting: a token bucket per principal token (its `jti`, else a hash of the token) holding up
 * to `burst` requests and refilled at `perSecond`. Each answered request carries `RateLimit-Limit`,
 * `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` (IETF draft "RateLimit header fields");
 * a refused one is 429 RATE_LIMITED with `Retry-After`.
 *
 * Memory stays bounded: a bucket idle long enough to be full again is the same as no bucket, so those are
 * dropped on a periodic sweep; and past `maxBuckets` the least recently used bucket goes first.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

export interface RateLimitConfig {
  /** Sustained requests per second per token. */
  perSecond: number;
  /** Requests a token may make at once after being idle. */
  burst: number;
  /** Most buckets kept; default 100,000. */
  maxBuckets?: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole requests left after this one. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;
  /** How long an untouched bucket takes to fill from empty; after that it is forgettable. */
  private readonly fillMs: number;
  private lastSweepMs = -Infinity;

  constructor(private readonly config: RateLimitConfig) {
    if (!(config.perSecond > 0) || !Number.isFinite(config.perSecond)) throw new Error('rate limit perSecond must be a positive number');
    if (!Number.isInteger(config.burst) || config.burst < 1) throw new Error('rate limit burst must be a positive integer');
    this.maxBuckets = config.maxBuckets ?? 100_000;
    this.fillMs = (config.burst / config.perSecond) * 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, nowMs: number): RateLimitDecision {
    this.sweep(nowMs);
    const { burst, perSecond } = this.config;
    const bucket = this.buckets.get(key);
    let tokens = burst;
    if (bucket) {
      tokens = Math.min(burst, bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) / 1000) * perSecond);
      this.buckets.delete(key); // re-inserted below: Map order is least recently used first
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.buckets.set(key, { tokens, updatedMs: nowMs });
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
    return {
      allowed,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((burst - tokens) / perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
    };
  }

  /** Drops buckets that have refilled completely; runs at most once per fill period. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < Math.max(this.fillMs, 1000)) return;
    this.lastSweepMs = nowMs;
    for (const [key, bucket] of this.buckets) {
      if (nowMs - bucket.updatedMs >= this.fillMs) this.buckets.delete(key);
    }
  }
}

/** The headers of a decision, and the 429 when it refuses. */
export function rateLimitHeaders(config: RateLimitConfig, decision: RateLimitDecision): Record<string, string> {
  const windowSeconds = Math.max(1, Math.ceil(config.burst / config.perSecond));
  return {
    'ratelimit-limit': String(config.burst),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    'ratelimit-policy': `${config.burst};w=${windowSeconds}`,
  };
}

export const rateLimited = (decision: RateLimitDecision): ApiError =>
  new ApiError(429, 'RATE_LIMITED', `Too many requests for this token; retry in ${decision.retryAfterSeconds} s`, undefined, {
    'retry-after': String(decision.retryAfterSeconds),
  });

/** The onRequest hook, after auth: every request that carries a principal takes from its token's bucket. */
export function installRateLimit(app: FastifyInstance, config: RateLimitConfig, options: { now: () => number; onLimited?: () => void }): TokenBuckets {
  const buckets = new TokenBuckets(config);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.principal) return;
    const decision = buckets.take(request.principal.tokenId, options.now());
    reply.headers(rateLimitHeaders(config, decision));
    if (!decision.allowed) {
      options.onLimited?.();
      throw rateLimited(decision);
    }
  });
  return buckets;
}
