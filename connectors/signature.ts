/**
 * The webhook signing contract shared by the partners (and their simulators) and the ingress:
 *
 *   X-Omnia-Timestamp: <unix seconds, decimal digits>
 *   X-Omnia-Nonce:     <8–128 chars of [A-Za-z0-9_-], unique per request>
 *   X-Omnia-Signature: sha256=<lower-case hex of HMAC-SHA256(secret, `${timestamp}.${nonce}.${rawBody}`)>
 *
 * The HMAC covers the exact bytes of the body as sent (never a re-serialisation of parsed JSON), so the receiver
 * verifies the raw request body. One secret per partner, and while it is being rotated a second one: the receiver
 * accepts a signature made with either and says which (`secretIndex`). `verifyWebhook` checks the headers' form,
 * the HMAC (in constant time) and then the timestamp window; replay of a nonce is the receiver's state
 * (`nonce-cache.ts`), which tells an identical resend from a reused nonce by the digest of the signed bytes.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Omnia-Timestamp';
export const NONCE_HEADER = 'X-Omnia-Nonce';
export const SIGNATURE_HEADER = 'X-Omnia-Signature';
export const SIGNATURE_SCHEME = 'sha256';
/** Default accepted clock difference between the partner and us, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;
const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

export type WebhookHeaders = Record<typeof TIMESTAMP_HEADER | typeof NONCE_HEADER | typeof SIGNATURE_HEADER, string>;

export const isValidNonce = (nonce: string): boolean => NONCE_PATTERN.test(nonce);

const bodyBytes = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

function mac(secret: string | Buffer, timestamp: string, nonce: string, body: string | Buffer): Buffer {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.${nonce}.`, 'utf8');
  hmac.update(bodyBytes(body));
  return hmac.digest();
}

/**
 * Hex SHA-256 of what a signature covers (`<timestamp>.<nonce>.<body>`): two requests with the same digest are
 * the same request resent, whichever of the partner's secrets signed them. Not secret-keyed, so it can be stored
 * where a signature should not be.
 */
export function signedDigest(timestamp: string, nonce: string, body: string | Buffer): string {
  return createHash('sha256').update(`${timestamp}.${nonce}.`, 'utf8').update(bodyBytes(body)).digest('hex');
}

/**
 * The three headers that sign `body` (the exact bytes to be sent). Defaults: the current time and a random
 * 22-character nonce. Throws on a nonce or timestamp the receiver would refuse.
 */
export function signWebhook(
  secret: string | Buffer,
  body: string | Buffer,
  options: { timestamp?: number; nonce?: string } = {},
): WebhookHeaders {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new Error(`timestamp must be non-negative whole unix seconds, got ${timestamp}`);
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  if (!isValidNonce(nonce)) throw new Error(`nonce must be 8–128 characters of [A-Za-z0-9_-], got "${nonce}"`);
  const ts = String(timestamp);
  return {
    [TIMESTAMP_HEADER]: ts,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: `${SIGNATURE_SCHEME}=${mac(secret, ts, nonce, body).toString('hex')}`,
  };
}

export type VerifyCode = 'SIGNATURE_INVALID' | 'TIMESTAMP_OUT_OF_WINDOW';

export type VerifyResult =
  | {
      ok: true;
      timestamp: number;
      nonce: string;
      /** `signedDigest` of the request. */
      digest: string;
      /** Which of the secrets given matched, 0 for the first. */
      secretIndex: number;
    }
  | { ok: false; code: VerifyCode; message: string };

export interface VerifyOptions {
  /** Accepted difference between the timestamp and `nowMs`, either way (default 300 s). */
  toleranceSeconds?: number;
  nowMs?: number;
}

/** Reads a header from Node's lower-cased header object (or any record); a repeated header is refused. */
function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined | null {
  const value = headers[name.toLowerCase()] ?? headers[name];
  if (Array.isArray(value)) return null;
  return value;
}

/**
 * Checks a request's signature headers against the raw body and one partner's secret, or its secrets during a
 * rotation (a signature made with any of them passes). Order: the three headers present and well-formed, the
 * HMAC (constant-time), then the timestamp window — so a stale request correctly signed is told
 * TIMESTAMP_OUT_OF_WINDOW (a clock problem to fix), and anything not signed with a secret is only ever told
 * SIGNATURE_INVALID.
 */
export function verifyWebhook(
  secrets: string | Buffer | ReadonlyArray<string | Buffer>,
  rawBody: Buffer | string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  options: VerifyOptions = {},
): VerifyResult {
  const invalid = (message: string): VerifyResult => ({ ok: false, code: 'SIGNATURE_INVALID', message });
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  for (const [name, value] of [
    [TIMESTAMP_HEADER, timestamp],
    [NONCE_HEADER, nonce],
    [SIGNATURE_HEADER, signature],
  ] as const) {
    if (value === undefined || value === '') return invalid(`missing ${name} header`);
    if (value === null) return invalid(`${name} header given more than once`);
  }
  if (!TIMESTAMP_PATTERN.test(timestamp!)) return invalid(`${TIMESTAMP_HEADER} must be unix seconds (digits only)`);
  if (!isValidNonce(nonce!)) return invalid(`${NONCE_HEADER} must be 8–128 characters of [A-Za-z0-9_-]`);
  const match = SIGNATURE_PATTERN.exec(signature!);
  if (!match) return invalid(`${SIGNATURE_HEADER} must be sha256=<64 hex digits>`);
  const given = Buffer.from(match[1]!, 'hex');
  const candidates = typeof secrets === 'string' || Buffer.isBuffer(secrets) ? [secrets] : secrets;
  const secretIndex = candidates.findIndex((secret) => timingSafeEqual(given, mac(secret, timestamp!, nonce!, rawBody)));
  if (secretIndex < 0) return invalid('signature does not match the body');

  const seconds = Number(timestamp);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = (options.nowMs ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - seconds) > tolerance) {
    return {
      ok: false,
      code: 'TIMESTAMP_OUT_OF_WINDOW',
      message: `${TIMESTAMP_HEADER} ${seconds} is more than ${tolerance} s from the server time ${Math.floor(nowSeconds)}`,
    };
  }
  return { ok: true, timestamp: seconds, nonce: nonce!, digest: signedDigest(timestamp!, nonce!, rawBody), secretIndex };
}
