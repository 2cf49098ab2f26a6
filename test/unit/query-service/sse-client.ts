/** A small Server-Sent Events client over node:http for the events tests (inject does not stream). */
import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
  /** When the message was parsed (performance.now()). */
  receivedAt: number;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** The whole body of a response that is not a stream (an error). */
  body = '';
  readonly ended: Promise<void>;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    this.ended = new Promise((resolve) => response.once('close', resolve));
    response.on('data', (chunk: string) => {
      if (status !== 200) {
        this.body += chunk;
        return;
      }
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.parse(block);
      }
      this.notify();
    });
    response.on('close', () => this.notify());
    response.on('error', () => undefined);
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const request = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new SseClient(response.statusCode ?? 0, response.headers, response)),
      );
      request.on('error', reject);
    });
  }

  /** The parsed JSON body of an error response, once it has ended. */
  async json(): Promise<{ error: { code: string; message: string } }> {
    await this.ended;
    return JSON.parse(this.body) as { error: { code: string; message: string } };
  }

  /** Status events' data, parsed. */
  statusData(): Array<Record<string, unknown>> {
    return this.events.filter((event) => event.event === 'status').map((event) => JSON.parse(event.data) as Record<string, unknown>);
  }

  async waitFor(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.events.length} events so far)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForEvents(count: number, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(`${count} events`, () => this.events.length >= count, timeoutMs);
  }

  close(): void {
    this.response.destroy();
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') {
        data.push(value);
        hasData = true;
      }
    }
    if (hasData) this.events.push({ event, id, data: data.join('\n'), receivedAt: performance.now() });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
