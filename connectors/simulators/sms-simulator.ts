/**
 * An SMS provider as a real HTTP server, for tests and the embedded default (partner-server.ts: bearer token,
 * counters, faults).
 *
 * API: `POST /v1/messages` `{to, text, sender?}` with `Idempotency-Key` — 201 `{id, status: "queued"}` the first
 * time, 200 `{id, status: "duplicate"}` for a key it already has (nothing is sent again; counted in
 * `duplicatesSeen`), 400 `IDEMPOTENCY_KEY_REQUIRED` without a key, 400 `INVALID_NUMBER` for a `to` that is not an
 * E.164 number (a refusal: sending again will not help). Faults: `failureRate` answers 503 before anything is
 * stored; `failAfterAcceptRate` stores the message, then answers 503 (the answer is lost, the sender retries and
 * gets 200); `latencyMs`, `timeoutRate`, `refusalRate`, `down()` / `up()`.
 */
import { type Faults, header, type PartnerAnswer, type PartnerRequest, PartnerServer } from './partner-server.js';
import { MessageInbox, type ReceivedMessage } from './message-inbox.js';

export interface MessagingSimulatorOptions {
  readonly token: string;
  readonly port?: number;
  readonly faults?: Partial<Faults>;
  readonly random?: () => number;
  /** Told of each message accepted (the embedded default prints nothing of it: the connector does). */
  readonly onMessage?: (message: ReceivedMessage) => void;
}

export class SmsSimulator {
  readonly server: PartnerServer;
  readonly inbox = new MessageInbox('sms');

  constructor(private readonly options: MessagingSimulatorOptions) {
    this.server = new PartnerServer('sms', {
      token: options.token,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.server.route('POST', '/v1/messages', (request) => this.message(request));
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  setFaults(faults: Partial<Faults>): void {
    this.server.setFaults(faults);
  }

  down(): Promise<void> {
    return this.server.down();
  }

  up(): Promise<string> {
    return this.server.up();
  }

  /** Messages received, once per key, in arrival order. */
  get messages(): ReceivedMessage[] {
    return this.inbox.messages;
  }

  counters(): Record<string, unknown> {
    return {
      messages: this.inbox.messages.length,
      duplicatesSeen: this.inbox.duplicatesSeen,
      calls: Object.fromEntries(this.server.calls),
    };
  }

  private message(request: PartnerRequest): PartnerAnswer {
    const key = header(request, 'idempotency-key');
    if (!key)
      return {
        status: 400,
        body: { error: 'IDEMPOTENCY_KEY_REQUIRED', message: 'Idempotency-Key header is required' },
        result: 'bad-request',
      };
    const body = request.body as { to?: unknown; text?: unknown } | null;
    if (!body || typeof body.text !== 'string' || body.text.length === 0)
      return { status: 400, body: { error: 'BAD_REQUEST', message: 'body must carry to and text' }, result: 'bad-request' };
    if (typeof body.to !== 'string' || !/^\+[1-9][0-9]{7,14}$/.test(body.to))
      return {
        status: 400,
        body: { error: 'INVALID_NUMBER', message: `not an E.164 number: ${JSON.stringify(body.to)}` },
        result: 'invalid-number',
      };
    const { message, fresh } = this.inbox.receive(key, body.to, body.text);
    if (!fresh) return { status: 200, body: { id: message.id, status: 'duplicate' }, result: 'duplicate' };
    this.options.onMessage?.(message);
    return { status: 201, body: { id: message.id, status: 'queued' }, result: 'accepted' };
  }
}
