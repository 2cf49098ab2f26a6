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
import { tokenError } from './auth.js';
import { ApiError, errorResponseSchema } from './errors.js';
import { canSeeStore, visibleStores } from './principal.js';
import type { StatusFeed, StatusFeedEvent, StatusSubscription } from './status-feed.js';

export interface EventsRoutesOptions {
  /** Comment line interval; default 15 s. */
  heartbeatMs?: number;
  /** How long an ended stream may take to flush (the overflow notice to a stalled client) before the socket is destroyed; default 5 s. */
  flushTimeoutMs?: number;
  /** The client's reconnect delay, sent as `retry:`; default 3 s. */
  retryMs?: number;
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
    'stream starts with `event: reset` (reload the view).',
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
  },
};

export function eventsRoutes(feed: StatusFeed, options: EventsRoutesOptions = {}): (app: FastifyInstance) => Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const flushTimeoutMs = options.flushTimeoutMs ?? 5_000;
  const retryMs = options.retryMs ?? 3_000;

  return async (app) => {
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

      const close = (last?: string) => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        subscription();
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
          const writable = raw.write(sseMessage('status', statusEventData(event), event.id));
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
      request.log.debug({ stores: stores ?? 'all' }, 'status events stream opened');
    });
  };
}
