/**
 * A Server-Sent Events parser for streams read with fetch (EventSource cannot send the Authorization header).
 * It follows the HTML standard's event-stream interpretation: lines end in CRLF, LF or CR (a CRLF may be split
 * across chunks), `:` starts a comment, `data` lines join with "\n", `id` sets the last event id (kept across
 * messages, ignored when it holds NUL), `retry` takes digits only, and a blank line dispatches a message that
 * has data.
 */

export interface SseMessage {
  /** `message` when the block named no event. */
  readonly event: string;
  readonly data: string;
  /** The last event id as of this message ('' when none has been seen). */
  readonly id: string;
}

export interface SseParser {
  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): SseMessage[];
  /** The id to send as Last-Event-ID on reconnect ('' when none). */
  readonly lastEventId: string;
  /** The reconnect delay the server asked for with `retry:`, if any. */
  readonly retryMs: number | undefined;
  /** Comment lines seen so far (`: ping` keeps an idle stream alive). */
  readonly comments: number;
}

export function createSseParser(lastEventId = ''): SseParser {
  let buffer = '';
  let started = false;
  /** The previous chunk ended in CR: a LF at the start of the next one belongs to it. */
  let pendingCr = false;
  let eventType = '';
  let data: string[] = [];
  let id = lastEventId;
  let retryMs: number | undefined;
  let comments = 0;

  const line = (text: string, out: SseMessage[]) => {
    if (text === '') {
      if (data.length > 0) out.push({ event: eventType || 'message', data: data.join('\n'), id });
      data = [];
      eventType = '';
      return;
    }
    if (text.startsWith(':')) {
      comments++;
      return;
    }
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retryMs = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  };

  return {
    push(text: string): SseMessage[] {
      const out: SseMessage[] = [];
      if (text.length === 0) return out;
      if (!started) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (pendingCr && text.startsWith('\n')) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\n' && char !== '\r') continue;
        line(buffer.slice(start, i), out);
        if (char === '\r') {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    get lastEventId() {
      return id;
    },
    get retryMs() {
      return retryMs;
    },
    get comments() {
      return comments;
    },
  };
}

/**
 * How long to wait before reconnect attempt `attempt` (0 for the first after a drop): doubling from `baseMs`
 * up to `maxMs`, with jitter so a store's tablets do not all come back in the same instant. `random` is
 * Math.random in the app, fixed in tests.
 */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
