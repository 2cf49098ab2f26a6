/**
 * The live feed: GET /api/v1/events as Server-Sent Events, read with fetch so the token can go in the
 * Authorization header (EventSource cannot send one). After a drop it reconnects with growing, jittered waits
 * (sooner when the tablet comes back online), sending Last-Event-ID with the last id seen. A stream silent for
 * longer than three of the service's 15 s pings is taken as dropped. Each successful (re)connection bumps
 * `epoch`, so screens reload what they show: the service does not replay what was missed.
 */
import type { StatusEventData } from './api-types.js';
import { createSseParser, reconnectDelay } from './logic/sse.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onEvent(event: StatusEventData): void;
  onState(state: LiveState, epoch: number): void;
  onUnauthorized(code: string): void;
}

const SILENCE_MS = 45_000;
const MAX_WAIT_MS = 30_000;

export class LiveConnection {
  private stopped = false;
  private controller: AbortController | undefined;
  private lastEventId = '';
  private retryMs = 1_000;
  private epoch = 0;
  private wake: (() => void) | undefined;
  private readonly onOnline = () => this.wake?.();

  constructor(
    private readonly url: string,
    private readonly bearer: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    addEventListener('online', this.onOnline);
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    this.controller?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      this.handlers.onState(this.epoch === 0 ? 'connecting' : 'reconnecting', this.epoch);
      const outcome = await this.connect();
      if (this.stopped || outcome === 'unauthorized') return;
      if (outcome === 'opened') attempt = 0;
      this.handlers.onState('reconnecting', this.epoch);
      const wait = typeof outcome === 'number' ? outcome : reconnectDelay(attempt++, this.retryMs, MAX_WAIT_MS, Math.random());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One connection, until it ends: 'opened' if it got as far as the stream, a wait in ms for a 429. */
  private async connect(): Promise<'opened' | 'failed' | 'unauthorized' | number> {
    const controller = new AbortController();
    this.controller = controller;
    let silence: ReturnType<typeof setTimeout> | undefined;
    let opened = false;
    const watch = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    try {
      watch();
      const headers: Record<string, string> = { accept: 'text/event-stream', authorization: this.bearer };
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      const response = await fetch(this.url, { headers, signal: controller.signal, cache: 'no-store' });
      if (response.status === 401) {
        const body = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
        this.handlers.onUnauthorized(body?.error?.code ?? 'TOKEN_INVALID');
        return 'unauthorized';
      }
      if (response.status === 429) return (Number(response.headers.get('retry-after')) || 5) * 1000;
      if (!response.ok || !response.body) return 'failed';

      opened = true;
      this.epoch++;
      this.handlers.onState('live', this.epoch);
      const parser = createSseParser(this.lastEventId);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        watch();
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          if (message.event === 'status') {
            try {
              this.handlers.onEvent(JSON.parse(message.data) as StatusEventData);
            } catch {
              // a message that is not JSON is skipped; the next reload corrects the board
            }
          } else if (message.event === 'overflow') {
            controller.abort();
          }
        }
        this.lastEventId = parser.lastEventId;
        if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
      }
      return 'opened';
    } catch {
      return opened ? 'opened' : 'failed';
    } finally {
      clearTimeout(silence);
      controller.abort();
    }
  }
}
