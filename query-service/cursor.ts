/**
 * Opaque keyset cursors for paged searches. A cursor names the last row of a page (its sort key) and the
 * filters the page was found with; it is base64url of a MAC and that payload, so a cursor that was cut, edited
 * or made up is refused, and so is one replayed with other filters.
 *
 * The MAC makes cursors tamper-evident, not secret, and it is not what keeps a caller to their stores: every
 * page re-applies the caller's visibility whatever the cursor says. Replicas must share the key (the
 * `secret` argument, OMNIA_SEARCH_CURSOR_KEY) for a cursor from one to be accepted by another. Without one the key
 * is random per process: a key written in the code would let anyone who reads it make cursors, so cursors then
 * last as long as the process, and a client whose cursor is refused searches again.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Where the next page starts: after this sort key (created_at with microseconds, then order_id). */
export interface CursorPosition {
  /** Exact timestamp text as Postgres gives it: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  readonly createdAt: string;
  readonly orderId: string;
}

export class CursorError extends Error {
  constructor(
    readonly reason: 'malformed' | 'filters',
    message: string,
  ) {
    super(message);
    this.name = 'CursorError';
  }
}

const VERSION = 1;
const MAC_BYTES = 16;
const FILTER_HASH_CHARS = 16;
/** This process's own key, for a service given none. */
const PROCESS_SECRET = randomBytes(32).toString('base64url');
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longest cursor accepted, before any decoding: an order id is short, so a long one is garbage. */
export const MAX_CURSOR_LENGTH = 512;

/** A short digest of the canonical filter text: two cursors are interchangeable only under equal filters. */
export const filterDigest = (canonicalFilters: string): string =>
  createHash('sha256').update(canonicalFilters).digest('base64url').slice(0, FILTER_HASH_CHARS);

const mac = (payload: Buffer, secret: string): Buffer => createHmac('sha256', secret).update(payload).digest().subarray(0, MAC_BYTES);

export function encodeCursor(position: CursorPosition, canonicalFilters: string, secret = PROCESS_SECRET): string {
  const payload = Buffer.from(JSON.stringify([VERSION, position.createdAt, position.orderId, filterDigest(canonicalFilters)]), 'utf8');
  return Buffer.concat([mac(payload, secret), payload]).toString('base64url');
}

/** The position a cursor names, if it is one of ours and was made under the same filters; else a CursorError. */
export function decodeCursor(cursor: string, canonicalFilters: string, secret = PROCESS_SECRET): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor))
    throw new CursorError('malformed', 'the cursor is not one this service issued');
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length <= MAC_BYTES) throw new CursorError('malformed', 'the cursor is not one this service issued');
  const payload = bytes.subarray(MAC_BYTES);
  if (!timingSafeEqual(bytes.subarray(0, MAC_BYTES), mac(payload, secret)))
    throw new CursorError('malformed', 'the cursor is not one this service issued (or it was altered)');
  let fields: unknown;
  try {
    fields = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new CursorError('malformed', 'the cursor is not one this service issued');
  }
  if (!Array.isArray(fields) || fields.length !== 4) throw new CursorError('malformed', 'the cursor is not one this service issued');
  const [version, createdAt, orderId, digest] = fields as unknown[];
  if (
    version !== VERSION ||
    typeof createdAt !== 'string' ||
    !TIMESTAMP.test(createdAt) ||
    typeof orderId !== 'string' ||
    typeof digest !== 'string'
  ) {
    throw new CursorError('malformed', 'the cursor is from another version of this service, or not one it issued');
  }
  if (digest !== filterDigest(canonicalFilters))
    throw new CursorError('filters', 'the cursor belongs to a search with other filters; start again without it');
  return { createdAt, orderId };
}
