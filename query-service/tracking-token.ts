/**
 * The customer's tracking link: `<base>/track/<token>`, where the token names one order and when the link stops
 * working, signed with OMNIA_TRACKING_SECRET (HMAC-SHA256, 128 bits kept). No login: whoever holds the link sees
 * that order's progress and nothing else.
 *
 *   token = base64url("<OrderID>|<expiry, unix seconds>") "." base64url(HMAC-SHA256(secret, that payload)[0..16])
 *
 * The notification connector signs (each message carries one, expiring `linkDays` after the change it tells of, so
 * the link of the delivery message works for that long after delivery); the query service verifies. The token is
 * deterministic for an order, event time and secret: a message resent after a restart carries the very same text.
 * The payload is readable by whoever has the link (the order's id, which the customer has anyway); it cannot be
 * changed without the secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_BYTES = 16;
const ORDER_ID = /^[A-Za-z0-9_-]{1,50}$/;

export interface TrackingClaim {
  readonly orderId: string;
  /** Epoch seconds after which the link no longer opens. */
  readonly expiresAt: number;
}

export type TrackingVerdict =
  { readonly ok: true; readonly claim: TrackingClaim } | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

const mac = (secret: string, payload: string): Buffer =>
  createHmac('sha256', secret).update(payload, 'utf8').digest().subarray(0, SIGNATURE_BYTES);

/** A token for `orderId` that stops working at `expiresAt` (epoch seconds). */
export function signTrackingToken(secret: string, claim: TrackingClaim): string {
  if (!ORDER_ID.test(claim.orderId)) throw new Error(`not an OrderID: ${JSON.stringify(claim.orderId)}`);
  const payload = `${claim.orderId}|${Math.floor(claim.expiresAt)}`;
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * What a token says, if it was signed with `secret` and has not expired at `nowMs`. A token that is malformed or
 * signed otherwise is `invalid`; the signature is checked before anything else is read (in constant time).
 */
export function verifyTrackingToken(secret: string, token: string, nowMs: number = Date.now()): TrackingVerdict {
  const invalid = { ok: false, reason: 'invalid' } as const;
  if (token.length > 200) return invalid;
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return invalid;
  const payload = Buffer.from(match[1]!, 'base64url').toString('utf8');
  const given = Buffer.from(match[2]!, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  const parts = /^([A-Za-z0-9_-]{1,50})\|([0-9]{1,12})$/.exec(payload);
  if (!parts) return invalid;
  const claim = { orderId: parts[1]!, expiresAt: Number(parts[2]) };
  if (nowMs >= claim.expiresAt * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, claim };
}

/** The link for a message about a change at `changedAt`: it works until `linkDays` after it. */
export function trackingLink(baseUrl: string, secret: string, orderId: string, changedAt: string, linkDays: number): string {
  const expiresAt = Math.floor(Date.parse(changedAt) / 1000) + linkDays * 86_400;
  return `${baseUrl.replace(/\/+$/, '')}/track/${signTrackingToken(secret, { orderId, expiresAt })}`;
}
