/**
 * Idempotency keys shared by the replicas in Redis, so that the same key and request give the same answer on
 * whichever replica they land, and after a restart (`OMNIA_IDEMPOTENCY_REDIS_URL`). The process's own memory
 * (idempotency.ts) still answers what it has seen; Redis decides the rest:
 *
 *   SET key {fingerprint, running} NX PX 24h   the first replica to see the key runs the action
 *   GET key                                    any other: 422 for another request, the answer when done, and
 *                                              while another replica runs it, a wait of at most `waitMs`, then
 *                                              409 IDEMPOTENCY_KEY_IN_USE ("retry shortly")
 *   SET key {fingerprint, answer} XX PX 24h    when done; DEL when the answer is not to be kept (5xx, 429)
 *
 * When Redis does not answer, the action runs as if no other replica existed (the process's memory still
 * holds); the pipeline's command ids keep the effect single either way.
 */
import type { RedisClientType } from 'redis';
import { ApiError } from './errors.js';
import type { Answer } from './idempotency.js';

export type Claim = { kind: 'claimed' } | { kind: 'done'; fingerprint: string; answer: Answer } | { kind: 'other'; fingerprint: string };

/** Where replicas share their keys; `IdempotentActions` asks it about a key its own memory does not hold. */
export interface SharedKeys {
  claim(key: string, fingerprint: string): Promise<Claim>;
  /** Stores the answer of a claimed key, or releases the claim when `answer` is undefined. */
  finish(key: string, fingerprint: string, answer: Answer | undefined): Promise<void>;
}

interface Stored {
  fingerprint: string;
  answer?: Answer;
}

export interface RedisSharedKeysOptions {
  ttlMs?: number;
  /** How long a request waits for another replica running the same key; default 5 s. */
  waitMs?: number;
  /** Told when Redis fails (the action then runs unshared). */
  onError?: (error: unknown) => void;
}

export class RedisSharedKeys implements SharedKeys {
  private readonly ttlMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly redis: RedisClientType,
    private readonly options: RedisSharedKeysOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 86_400_000;
    this.waitMs = options.waitMs ?? 5_000;
  }

  private static redisKey = (key: string) => `omnia:idempotency:${key}`;

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const name = RedisSharedKeys.redisKey(key);
    try {
      const claimed = await this.redis.set(name, JSON.stringify({ fingerprint } satisfies Stored), { NX: true, PX: this.ttlMs });
      if (claimed === 'OK') return { kind: 'claimed' };
      const deadline = Date.now() + this.waitMs;
      for (;;) {
        const raw = await this.redis.get(name);
        if (raw === null) {
          // Released meanwhile (the other replica's answer was not kept): try to claim it again.
          return this.claim(key, fingerprint);
        }
        const stored = JSON.parse(raw) as Stored;
        if (stored.fingerprint !== fingerprint) return { kind: 'other', fingerprint: stored.fingerprint };
        if (stored.answer) return { kind: 'done', fingerprint, answer: stored.answer };
        if (Date.now() >= deadline)
          throw new ApiError(
            409,
            'IDEMPOTENCY_KEY_IN_USE',
            'This action is still being carried out elsewhere; retry shortly with the same Idempotency-Key',
            undefined,
            {
              'retry-after': '1',
            },
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
      this.options.onError?.(error);
      return { kind: 'claimed' };
    }
  }

  async finish(key: string, fingerprint: string, answer: Answer | undefined): Promise<void> {
    const name = RedisSharedKeys.redisKey(key);
    try {
      if (answer === undefined) await this.redis.del(name);
      else await this.redis.set(name, JSON.stringify({ fingerprint, answer } satisfies Stored), { XX: true, PX: this.ttlMs });
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
