/**
 * LINE's Messaging API push as a real HTTP server, for tests and the embedded default (partner-server.ts: bearer
 * token, counters, faults).
 *
 * API, as LINE answers it: `POST /v2/bot/message/push` `{to, messages: [{type: "text", text}]}` with
 * `X-Line-Retry-Key` (a UUID) — 200 `{sentMessages: [{id, quoteToken}]}` and `x-line-request-id` the first time; for a
 * retry key it already accepted, 409 `{message: "The retry key is already accepted"}` with
 * `x-line-accepted-request-id` (nothing is sent again; counted in `duplicatesSeen`); 400 without a retry key or
 * without a text message. Faults as every simulator's.
 */
import { type Faults, header, type PartnerAnswer, type PartnerRequest, PartnerServer } from './partner-server.js';
import { MessageInbox, type ReceivedMessage } from './message-inbox.js';
import type { MessagingSimulatorOptions } from './sms-simulator.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class LineSimulator {
  readonly server: PartnerServer;
  readonly inbox = new MessageInbox('line');
  private readonly requestIds = new Map<string, string>();

  constructor(private readonly options: MessagingSimulatorOptions) {
    this.server = new PartnerServer('line', {
      token: options.token,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.server.route('POST', '/v2/bot/message/push', (request) => this.push(request));
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

  /** Messages received, once per retry key, in arrival order. */
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

  private push(request: PartnerRequest): PartnerAnswer {
    const key = header(request, 'x-line-retry-key');
    if (!key || !UUID.test(key)) return { status: 400, body: { message: 'X-Line-Retry-Key must be a UUID' }, result: 'bad-request' };
    const body = request.body as { to?: unknown; messages?: Array<{ type?: unknown; text?: unknown }> } | null;
    const text = body?.messages?.[0]?.type === 'text' ? body.messages[0].text : undefined;
    if (!body || typeof body.to !== 'string' || !body.to || typeof text !== 'string' || !text)
      return { status: 400, body: { message: 'to and one text message are required' }, result: 'bad-request' };
    const { message, fresh } = this.inbox.receive(key, body.to, text);
    if (!fresh)
      return {
        status: 409,
        body: { message: 'The retry key is already accepted' },
        headers: { 'x-line-accepted-request-id': this.requestIds.get(key)! },
        result: 'duplicate',
      };
    const requestId = `req-${message.id}`;
    this.requestIds.set(key, requestId);
    this.options.onMessage?.(message);
    return {
      status: 200,
      body: { sentMessages: [{ id: message.id, quoteToken: `q-${message.id}` }] },
      headers: { 'x-line-request-id': requestId },
      result: 'accepted',
    };
  }
}
