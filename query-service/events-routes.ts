/**
 * `GET /events`: live order status changes as Server-Sent Events.
 *
 *   event: status
 *   id: 3-1187
 *   data: {"orderId":"O-1","shipFromLocationId":"S001","fromStatus":1000,"toStatus":2000,"reason":"…","source":"…","at":"…"}
 *
 * `?store=S001,S002` narrows the stream to those stores. A store role only ever receives its own stores'
 * changes: without `store` it gets every store in its claim; naming a store outside the claim is answered
 * 404 STORE_NOT_FOUND before the stream opens, as the other store routes answer, so store ids leak nothing
 * (rather than a silently narrowed stream, which would hide a client's mistake). Coordinators and admins may
 * name any store, or none for all.
 *
 * A comment line `: ping` every 15 s keeps proxies from closing an idle stream. A client that falls more than
 * the feed's buffer behind gets `event: overflow` and the stream ends; it reconnects to continue.
 *
 * A stream lives no longer than its token: when the token expires (its `exp`, plus the clock skew auth allows), the
 * stream gets `event: expired` and ends, so a token that was revoked by letting it run out stops receiving changes.
 * The client reconnects with a fresh token (the same one is refused 401 TOKEN_EXPIRED).
 *
 * A replica holds at most `maxStreams` streams, and `maxStreamsPerSubject` for one token subject (stream-slots.ts):
 * beyond, 503 EVENTS_AT_CAPACITY or 429 EVENTS_STREAM_LIMIT with Retry-After, before the stream opens.
 *
 * Reconnecting with `Last-Event-ID` (the header browsers send, or `?lastEventId=`) replays the changes published
 * since that event, from the feed's recent history (status-feed.ts), before the live ones. When the feed no longer
 * holds that id, the stream starts with `event: reset`: the client cannot know what it missed and reloads its view.
 *
 * The stream is written to the socket directly (`reply.hijack()`), so Fastify's onSend hooks do not run for
 * it: the headers already on the reply (request id, rate limit) and the stream's own are written here; helmet's
 * security headers were set on the raw response in onRequest and go out with them. Response validation (a preSerialization hook) never sees the stream either; the 200 schema is
 * there for the OpenAPI document. Errors before the stream opens (400, 401, 404) take the usual path.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, tokenError } from './auth.js';
import { ApiError, errorResponseSchema } from './errors.js';
import { canSeeStore, visibleStores } from './principal.js';
import type { StatusFeed, StatusFeedEvent, StatusSubscription } from './status-feed.js';
import { StreamSlots } from './stream-slots.js';

export interface EventsRoutesOptions {
  /** Comment line interval; default 15 s. */
  heartbeatMs?: number;
  /** How long an ended stream may take to flush (the overflow notice to a stalled client) before the socket is destroyed; default 5 s. */
  flushTimeoutMs?: number;
  /** The client's reconnect delay, sent as `retry:`; default 3 s. */
  retryMs?: number;
  /** Open streams at most, in all; default 2000 (OMNIA_EVENTS_MAX_STREAMS). */
  maxStreams?: number;
  /** Open streams at most for one token subject; default 32 (OMNIA_EVENTS_MAX_STREAMS_PER_SUBJECT). */
  maxStreamsPerSubject?: number;
  /** How long past its `exp` a token is still accepted (auth's clock skew): its stream ends then; default 30 s. */
  clockSkewSeconds?: number;
}

/** setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The `exp` of the bearer token the auth hook verified, in ms; undefined when it cannot be read. */
function tokenExpiry(request: FastifyRequest): number | undefined {
  const payload = bearerToken(request)?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The `data` of an `event: status`. */
export interface StatusEventData {
  orderId: string;
  shipFromLocationId: string;
  fromStatus: number | null;
  toStatus: number;
  reason: string;
  source: string;
  at: string;
  /** Who asked for it, for a person's action (the token subject); null otherwise. */
  actor: string | null;
}

export const statusEventData = ({ change }: StatusFeedEvent): StatusEventData => ({
  orderId: change.OrderID,
  shipFromLocationId: change.ShipFromLocationID,
  fromStatus: change.FromStatus,
  toStatus: change.ToStatus,
  reason: change.Reason,
  source: change.Source,
  at: change.At,
  actor: change.Actor ?? null,
});

/**
 * A status event as its SSE message, encoded once however many streams carry it: the streams share the event loop
 * with stream processing, and a change seen by every coordinator's board would otherwise be serialized per board.
 */
const encodedStatus = new WeakMap<StatusFeedEvent, Buffer>();
export function statusMessage(event: StatusFeedEvent): Buffer {
  let message = encodedStatus.get(event);
  if (!message) encodedStatus.set(event, (message = Buffer.from(sseMessage('status', statusEventData(event), event.id))));
  return message;
}

/** One SSE message; `data` is single-line JSON, so it needs one `data:` line. */
export const sseMessage = (event: string, data: unknown, id?: string): string =>
  `event: ${event}\n${id === undefined ? '' : `id: ${id.replace(/[\r\n]/g, '')}\n`}data: ${JSON.stringify(data)}\n\n`;

const MAX_STORES = 100;

const eventsSchema = {
  summary: 'Live order status changes (Server-Sent Events)',
  description:
    'A text/event-stream of `event: status` messages, each with an `id:` and JSON data {orderId, shipFromLocationId, fromStatus, toStatus, reason, source, at, actor}, ' +
    'and a `: ping` comment every 15 s. Store roles receive only their stores’ changes. A client that falls too far behind receives `event: overflow` and the ' +
    'stream ends; reconnect to continue. Reconnecting with `Last-Event-ID` (or `?lastEventId=`) replays what was missed; when that id is too old, the ' +
    'stream starts with `event: reset` (reload the view). When the token expires the stream receives `event: expired` and ends: reconnect with a fresh token. ' +
    'A replica holds a limited number of streams per token subject (429 EVENTS_STREAM_LIMIT) and in all (503 EVENTS_AT_CAPACITY), both with Retry-After.',
  tags: ['events'],
  querystring: {
    type: 'object',
    properties: {
      store: {
        type: 'string',
        minLength: 1,
        maxLength: 2000,
        pattern: '^[^,\\s]+(,[^,\\s]+)*$',
        description:
          'Comma-separated ShipFromLocationIDs to receive; default every store the caller may see. A store role naming a store outside its claim gets 404.',
      },
      lastEventId: {
        type: 'string',
        minLength: 1,
        maxLength: 100,
        description: 'resume after this event id (for clients that cannot send the Last-Event-ID header)',
      },
    },
  },
  response: {
    200: {
      description: 'The event stream, open until the client disconnects',
      content: {
        'text/event-stream': {
          schema: {
            type: 'string',
            description:
              'event: status\\nid: <partition>-<offset>\\ndata: {"orderId":"…","shipFromLocationId":"…","fromStatus":1000,"toStatus":2000,"reason":"…","source":"…","at":"…"}\\n\\n',
          },
        },
      },
    },
    404: { ...errorResponseSchema, description: 'A store outside the caller’s claim (STORE_NOT_FOUND)' },
    429: {
      ...errorResponseSchema,
      description: 'This token’s subject holds the most streams allowed (EVENTS_STREAM_LIMIT); see Retry-After',
    },
    503: { ...errorResponseSchema, description: 'This replica holds the most streams it may (EVENTS_AT_CAPACITY); see Retry-After' },
  },
};

export function eventsRoutes(feed: StatusFeed, options: EventsRoutesOptions = {}): (app: FastifyInstance) => Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const flushTimeoutMs = options.flushTimeoutMs ?? 5_000;
  const retryMs = options.retryMs ?? 3_000;
  const skewMs = (options.clockSkewSeconds ?? 30) * 1000;

  return async (app) => {
    const now = app.clock ?? Date.now;
    const slots = new StreamSlots({
      max: options.maxStreams ?? 2000,
      perSubject: options.maxStreamsPerSubject ?? 32,
      // A stream dropped without a goodbye is noticed at the next heartbeat: its slot is free by then.
      retryAfterSeconds: Math.max(1, Math.ceil(heartbeatMs / 1000)),
    });
    /** Open streams, ended when the service closes (an open response would keep the server from closing). */
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const close of [...open]) close();
    });

    app.get('/events', { schema: eventsSchema }, async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = request.principal;
      if (!principal) throw tokenError('TOKEN_MISSING', 'A bearer token is required');
      const { store, lastEventId } = request.query as { store?: string; lastEventId?: string };
      const lastHeader = request.headers['last-event-id'];
      const after = (typeof lastHeader === 'string' && lastHeader !== '' ? lastHeader : lastEventId)?.slice(0, 100);

      let stores: readonly string[] | undefined;
      if (store !== undefined) {
        const asked = [...new Set(store.split(','))];
        if (asked.length > MAX_STORES)
          throw new ApiError(400, 'VALIDATION_FAILED', `At most ${MAX_STORES} stores`, [
            { location: 'querystring', field: 'store', message: `must name at most ${MAX_STORES} stores` },
          ]);
        const hidden = asked.find((id) => !canSeeStore(principal, id));
        if (hidden !== undefined) throw new ApiError(404, 'STORE_NOT_FOUND', `no store ${JSON.stringify(hidden)}`);
        stores = asked;
      } else {
        stores = visibleStores(principal);
      }

      // Taken before the stream opens (a refusal is an ordinary error answer), given back when it closes.
      const release = slots.take(principal.subject);
      const expiresAt = tokenExpiry(request);

      reply.hijack();
      const raw = reply.raw;
      const headers: Record<string, string | number | readonly string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: ${retryMs}\n: connected\n\n`);

      let closed = false;
      const heartbeat = setInterval(() => {
        if (!raw.writableNeedDrain) raw.write(': ping\n\n');
      }, heartbeatMs);
      heartbeat.unref();

      // The stream ends when the token stops being accepted.
      let expiry: NodeJS.Timeout | undefined;
      const expire = () =>
        close(sseMessage('expired', { code: 'TOKEN_EXPIRED', reason: 'The token has expired; reconnect with a fresh token' }));
      const watchExpiry = () => {
        if (expiresAt === undefined || closed) return;
        const left = expiresAt + skewMs - now();
        if (left <= 0) expire();
        else expiry = setTimeout(watchExpiry, Math.min(left, MAX_TIMER_MS));
      };

      const close = (last?: string) => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearTimeout(expiry);
        subscription();
        release();
        open.delete(close);
        if (raw.destroyed || raw.writableEnded) return;
        raw.end(last);
        // A stalled client may never take the last bytes; do not hold its socket forever.
        const timer = setTimeout(() => raw.destroy(), flushTimeoutMs);
        timer.unref();
        raw.once('finish', () => clearTimeout(timer));
      };
      open.add(close);
      raw.once('close', () => close());

      // The listener runs at once for replayed events (it only touches `subscription` later, on drain); `close` runs on later events only.
      const subscription: StatusSubscription = feed.subscribe(
        stores === undefined ? {} : { stores },
        (event) => {
          if (closed) return true;
          const writable = raw.write(statusMessage(event));
          if (!writable) raw.once('drain', () => subscription.resume());
          return writable;
        },
        {
          onOverflow: () => close(sseMessage('overflow', { reason: 'The client fell too far behind; reconnect to continue' })),
          ...(after === undefined ? {} : { after }),
        },
      );
      if (after !== undefined && !subscription.resumed)
        raw.write(sseMessage('reset', { reason: 'The changes since your last event are no longer held here; reload the orders' }));
      // A client gone before the stream was set up has no 'close' left to tell: give its slot back now.
      if (raw.destroyed) close();
      watchExpiry();
      request.log.debug({ stores: stores ?? 'all' }, 'status events stream opened');
    });
  };
}
