/**
 * What a messaging provider simulator (sms-simulator.ts, line-simulator.ts) keeps: every message it accepted, once
 * per idempotency key as a real provider does (a key seen again is a duplicate: nothing is sent again), with the
 * time it arrived, and every call per key — so a test can say that each customer got each message once, and when.
 */

export interface ReceivedMessage {
  /** The idempotency key the sender gave: the NotificationID (SMS), or the X-Line-Retry-Key made from it (LINE, channels.ts `retryKeyOf`). */
  readonly key: string;
  /** Phone (E.164) or LINE user id. */
  readonly to: string;
  readonly text: string;
  /** The provider's id of the message. */
  readonly id: string;
  /** When it arrived (ms since the epoch, this process's clock). */
  readonly receivedAt: number;
}

export class MessageInbox {
  /** Accepted messages, in arrival order: what the customers received. */
  readonly messages: ReceivedMessage[] = [];
  private readonly byKey = new Map<string, ReceivedMessage>();
  /** Calls that reached the provider's handler, per key (accepted and duplicates). */
  readonly calls = new Map<string, number>();
  duplicatesSeen = 0;
  private next = 0;

  constructor(private readonly prefix: string) {}

  /** The message stored under `key` and whether it was new. */
  receive(key: string, to: string, text: string): { message: ReceivedMessage; fresh: boolean } {
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const known = this.byKey.get(key);
    if (known) {
      this.duplicatesSeen++;
      return { message: known, fresh: false };
    }
    const message = { key, to, text, id: `${this.prefix}-${String(++this.next).padStart(6, '0')}`, receivedAt: Date.now() };
    this.byKey.set(key, message);
    this.messages.push(message);
    return { message, fresh: true };
  }

  get(key: string): ReceivedMessage | undefined {
    return this.byKey.get(key);
  }

  /** Messages to one recipient, in arrival order. */
  to(recipient: string): ReceivedMessage[] {
    return this.messages.filter((message) => message.to === recipient);
  }
}
