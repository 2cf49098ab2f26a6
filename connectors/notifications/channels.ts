/**
 * The ways a message reaches a customer, behind one interface: SMS to a phone, LINE to a LINE user. Each is one
 * HTTP call to its provider with no retries of its own (delivery.ts retries, breaks the circuit and records), an
 * idempotency key the provider deduplicates by, a bulkhead (at most `maxConcurrentCalls` calls in flight, the
 * rest wait in order) and, inside it, a cooperative timeout that aborts the request.
 *
 * | channel | call | idempotency | answers |
 * |---|---|---|---|
 * | SMS | `POST /v1/messages` `{to, text, sender}` | `Idempotency-Key: <NotificationID>` | 201 sent, 200 already had that key |
 * | LINE | `POST /v2/bot/message/push` `{to, messages: [{type: "text", text}]}` | `X-Line-Retry-Key: <UUID from the NotificationID>` | 200 sent, 409 already had that key (LINE's own way) |
 *
 * Other answers: 408, 429 and 5xx, no answer or no connection — the provider is unwell (retried, counts against
 * the breaker); any other 4xx — the provider refuses the message itself (an invalid number, say).
 */
import { createHash } from 'node:crypto';
import { bulkhead, type BulkheadPolicy, timeout, type TimeoutPolicy, TimeoutStrategy } from 'cockatiel';
import type { NotificationChannelKind } from '../../avro/records.js';

export type ChannelName = NotificationChannelKind;
export const CHANNELS: readonly ChannelName[] = ['SMS', 'LINE'];

export interface OutgoingMessage {
  /** The NotificationID: the provider sends one message per key. */
  readonly key: string;
  /** E.164 phone (SMS) or LINE user id. */
  readonly to: string;
  readonly text: string;
}

export interface ChannelAnswer {
  readonly outcome: 'SENT' | 'DUPLICATE';
  readonly status: number;
  readonly providerMessageId: string | null;
}

/** A call that did not succeed. `partnerFault` is false when the provider answered and refused the message (4xx). */
export class ChannelCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly partnerFault: boolean,
  ) {
    super(message);
    this.name = 'ChannelCallError';
  }
}

export interface NotificationChannel {
  readonly name: ChannelName;
  send(message: OutgoingMessage): Promise<ChannelAnswer>;
}

export interface HttpChannelOptions {
  /** The provider's base URL (no trailing path). */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  /** Most calls in flight at once; default 16. */
  readonly maxConcurrentCalls?: number;
  /** The sender name shown on SMS; default "Omnia". */
  readonly sender?: string;
}

/** A version-4-shaped UUID made from the key, so a resend carries the same X-Line-Retry-Key. */
export function retryKeyOf(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

abstract class HttpChannel implements NotificationChannel {
  abstract readonly name: ChannelName;
  protected readonly base: string;
  readonly bulkhead: BulkheadPolicy;
  private readonly timeout: TimeoutPolicy;

  constructor(protected readonly options: HttpChannelOptions) {
    const limit = options.maxConcurrentCalls ?? 16;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxConcurrentCalls must be an integer >= 1, got ${limit}`);
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.bulkhead = bulkhead(limit, Number.POSITIVE_INFINITY);
    this.timeout = timeout(options.timeoutMs, TimeoutStrategy.Cooperative);
  }

  send(message: OutgoingMessage): Promise<ChannelAnswer> {
    return this.bulkhead.execute(() => this.timeout.execute(({ signal }) => this.call(message, signal)));
  }

  protected abstract request(message: OutgoingMessage): { path: string; headers: Record<string, string>; body: unknown };
  protected abstract answer(status: number, body: unknown, headers: Headers): ChannelAnswer | undefined;

  private async call(message: OutgoingMessage, signal: AbortSignal): Promise<ChannelAnswer> {
    const { path, headers, body } = this.request(message);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new ChannelCallError(
        signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : (cause?.code ?? (error as Error).message),
        null,
        true,
      );
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null; // not JSON: no message id
    }
    const answer = this.answer(response.status, parsed, response.headers);
    if (answer) return answer;
    const partnerFault = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new ChannelCallError(
      `HTTP ${response.status} from ${this.name}${text ? `: ${text.slice(0, 200)}` : ''}`,
      response.status,
      partnerFault,
    );
  }
}

const idOf = (body: unknown, field: string): string | null => {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : null;
};

export class SmsChannel extends HttpChannel {
  readonly name = 'SMS' as const;

  protected request(message: OutgoingMessage) {
    return {
      path: '/v1/messages',
      headers: { 'idempotency-key': message.key },
      body: { to: message.to, text: message.text, sender: this.options.sender ?? 'Omnia' },
    };
  }

  protected answer(status: number, body: unknown): ChannelAnswer | undefined {
    if (status === 201) return { outcome: 'SENT', status, providerMessageId: idOf(body, 'id') };
    if (status === 200) return { outcome: 'DUPLICATE', status, providerMessageId: idOf(body, 'id') };
    return undefined;
  }
}

export class LineChannel extends HttpChannel {
  readonly name = 'LINE' as const;

  protected request(message: OutgoingMessage) {
    return {
      path: '/v2/bot/message/push',
      headers: { 'x-line-retry-key': retryKeyOf(message.key) },
      body: { to: message.to, messages: [{ type: 'text', text: message.text }] },
    };
  }

  protected answer(status: number, body: unknown, headers: Headers): ChannelAnswer | undefined {
    if (status === 200) {
      const sent = body && typeof body === 'object' ? (body as { sentMessages?: Array<{ id?: unknown }> }).sentMessages : undefined;
      const id = sent?.[0]?.id;
      return { outcome: 'SENT', status, providerMessageId: typeof id === 'string' ? id : null };
    }
    // LINE answers a retry key it already accepted with 409 and the first request's id.
    if (status === 409 && headers.get('x-line-accepted-request-id'))
      return { outcome: 'DUPLICATE', status, providerMessageId: headers.get('x-line-accepted-request-id') };
    return undefined;
  }
}
