/**
 * `Idempotency-Key` on actions: the same key with the same request gives the same answer and one effect; the
 * same key with another request is 422 IDEMPOTENCY_KEY_REUSED; a request repeated while the first is still
 * running waits for it and gets its answer. Keys are scoped to the caller (token subject), so two clerks can
 * never collide, and remembered for 24 hours.
 *
 * Answers are remembered in this process, and with `shared` (Redis, shared-idempotency.ts) across the replicas and
 * restarts. Without it, one effect still holds: the command id sent with the record is derived from (subject, key),
 * and the pipeline applies a command id once (processors/stages/update.ts), so a retry that lands on another replica
 * is accepted there and ignored by the pipeline.
 *
 * 5xx and 429 answers are not remembered: the client's retry with the same key is then a new attempt.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ApiError, errorBody } from './errors.js';
import type { SharedKeys } from './shared-idempotency.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** 1 to 128 visible ASCII characters; the routes' header schema says the same (commands.ts). */
const KEY = /^[\x21-\x7e]{1,128}$/;

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface Entry {
  readonly fingerprint: string;
  answer?: Answer;
  running?: Promise<Answer & { replayed: boolean }>;
}

export interface IdempotencyOptions {
  /** Most keys remembered; default 100,000. */
  maxKeys?: number;
  /** How long a key is remembered; default 24 hours. */
  ttlMs?: number;
  /** Keys shared with the other replicas (shared-idempotency.ts); none: this process only. */
  shared?: SharedKeys;
}

export class IdempotentActions {
  private readonly entries: LRUCache<string, Entry>;
  private readonly shared: SharedKeys | undefined;

  constructor(options: IdempotencyOptions = {}) {
    this.entries = new LRUCache<string, Entry>({ max: options.maxKeys ?? 100_000, ttl: options.ttlMs ?? 86_400_000 });
    this.shared = options.shared;
  }

  /**
   * Runs `action` once per (subject, key, request); `replayed` tells the caller the answer is a remembered one.
   * Without a key, it just runs.
   */
  async run(
    key: string | undefined,
    subject: string,
    request: unknown,
    action: () => Promise<Answer>,
  ): Promise<Answer & { replayed: boolean }> {
    if (key === undefined) return { ...(await action()), replayed: false };
    const scoped = `${subject}\u0000${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
    const known = this.entries.get(scoped);
    if (known) {
      if (known.fingerprint !== fingerprint) throw keyReused();
      if (known.answer) return { ...known.answer, replayed: true };
      if (known.running) return { ...(await known.running), replayed: true };
    }
    const entry: Entry = { fingerprint };
    entry.running = this.runOnce(scoped, fingerprint, action);
    this.entries.set(scoped, entry);
    try {
      const outcome = await entry.running;
      if (outcome.status >= 500 || outcome.status === 429) this.entries.delete(scoped);
      else entry.answer = { status: outcome.status, body: outcome.body };
      return outcome;
    } catch (error) {
      const answer = keptAnswer(error);
      if (answer) entry.answer = answer;
      else this.entries.delete(scoped);
      throw error;
    } finally {
      delete entry.running;
    }
  }

  /** The action, unless another replica has run it (its answer) or runs it now (a wait); its answer shared. */
  private async runOnce(scoped: string, fingerprint: string, action: () => Promise<Answer>): Promise<Answer & { replayed: boolean }> {
    if (this.shared) {
      const claim = await this.shared.claim(scoped, fingerprint);
      if (claim.kind === 'other') throw keyReused();
      if (claim.kind === 'done') return { ...claim.answer, replayed: true };
    }
    try {
      const answer = await action();
      await this.shared?.finish(scoped, fingerprint, answer.status >= 500 || answer.status === 429 ? undefined : answer);
      return { ...answer, replayed: false };
    } catch (error) {
      await this.shared?.finish(scoped, fingerprint, keptAnswer(error));
      throw error;
    }
  }
}

const keyReused = (): ApiError =>
  new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request; send a new key for a new action');

/** A refusal thrown as an ApiError is an answer like any other; anything else (and 5xx, 429) lets the key be tried again. */
function keptAnswer(error: unknown): Answer | undefined {
  if (!(error instanceof ApiError) || error.statusCode >= 500 || error.statusCode === 429) return undefined;
  if (error.code === 'IDEMPOTENCY_KEY_REUSED' || error.code === 'IDEMPOTENCY_KEY_IN_USE') return undefined;
  return { status: error.statusCode, body: errorBody(error.code, error.message, error.details) };
}

/** The header's key, or undefined when none was sent; a malformed one is a 400 naming the header. */
export function idempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !KEY.test(value))
    throw new ApiError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 128 visible ASCII characters (a UUID is best)', [
      { location: 'headers', field: IDEMPOTENCY_HEADER, message: 'must be 1 to 128 visible ASCII characters' },
    ]);
  return value;
}

/** The command id of an action: derived from (subject, key, part) when a key was sent, so every retry carries the same one. */
export function commandId(subject: string, key: string | undefined, part: string, random: () => string): string {
  if (key === undefined) return random();
  const hex = createHash('sha256').update(`${subject}\u0000${key}\u0000${part}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
