/**
 * Cancelling from the store: the reasons offered, the text sent to the service, and a bulk answer sorted into
 * what went through and what did not. Preset reasons are sent in English so the order history reads the same
 * for everyone; "other" sends what the clerk wrote.
 */

export const CANCEL_REASONS = ['customer_asked', 'out_of_stock', 'duplicate', 'other'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const REASON_TEXT: Readonly<Record<Exclude<CancelReason, 'other'>, string>> = {
  customer_asked: 'Customer asked to cancel',
  out_of_stock: 'Out of stock',
  duplicate: 'Duplicate order',
};

export const MAX_REASON_LENGTH = 200;

/** The reason to send, or undefined when "other" has no text yet (or too much). */
export function reasonText(choice: CancelReason | undefined, other: string): string | undefined {
  if (!choice) return undefined;
  if (choice !== 'other') return REASON_TEXT[choice];
  const text = other.trim().replace(/\s+/g, ' ');
  return text.length >= 1 && text.length <= MAX_REASON_LENGTH ? text : undefined;
}

export interface BulkOutcome<R extends { orderId: string; outcome: string }> {
  accepted: string[];
  rejected: R[];
}

export function splitBulkResults<R extends { orderId: string; outcome: string }>(results: readonly R[]): BulkOutcome<R> {
  return {
    accepted: results.filter((result) => result.outcome === 'accepted').map((result) => result.orderId),
    rejected: results.filter((result) => result.outcome !== 'accepted'),
  };
}

/**
 * One Idempotency-Key per intent: the same request again (a retry after a timeout) reuses the key, so the
 * service does it once; a changed request is a new intent and gets a new key (the service would refuse an
 * old key with a different body: IDEMPOTENCY_KEY_REUSED).
 */
export class IdempotencyKeys {
  private body: string | undefined;
  private key: string | undefined;

  constructor(private readonly newKey: () => string) {}

  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.key === undefined || text !== this.body) {
      this.key = this.newKey();
      this.body = text;
    }
    return this.key;
  }

  /** The intent is done (accepted, or refused for good): the next request is a new one. */
  reset(): void {
    this.key = undefined;
    this.body = undefined;
  }
}

/** A version 4 UUID: crypto.randomUUID where the page is a secure context, else built from getRandomValues. */
export function uuid(crypto: { randomUUID?: () => string; getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T }): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
