// The tracking routes on their own: the order from this replica's store or from Postgres, only the fields a customer
// may see, the link's end 30 days after delivery whatever the token says, 503 when nothing can answer, HTML escaped.
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import type { SqlDatabase } from '../../../postgres/sql.js';
import type { OrderState } from '../../../processors/order-state.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { trackingRoutes, type TrackingRouteOptions } from '../../../query-service/tracking-routes.js';
import { signTrackingToken } from '../../../query-service/tracking-token.js';
import { stateThrough } from '../connectors/notification-fixtures.js';

const SECRET = 'tracking-routes-secret-0123456789abcdef';
const DELIVERED_AT = Date.parse('2026-11-21T09:27:00Z'); // the fixture's 13th step: 7500

function localOf(states: OrderState[]): LocalOrders {
  const byId = new Map(states.map((state) => [state.Order.OrderID, state]));
  return {
    instance: 'test',
    partitionOf: () => 0,
    state: () => 'ready',
    readyPartitions: () => [0],
    get: async (_partition, orderId) => byId.get(orderId),
  };
}

const noDb = (error?: Error): SqlDatabase =>
  ({
    query: async () => {
      if (error) throw error;
      return { rows: [] };
    },
  }) as unknown as SqlDatabase;

async function server(t: Test, options: Partial<TrackingRouteOptions>) {
  const app = Fastify();
  await app.register(
    trackingRoutes({ local: localOf([]), db: noDb(), secret: SECRET, linkDays: 30, timeZone: 'Asia/Bangkok', ...options }),
  );
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

const token = (orderId: string, expiresAt = Math.floor(DELIVERED_AT / 1000) + 365 * 86_400) =>
  signTrackingToken(SECRET, { orderId, expiresAt });

t.test('from the replica’s own store: the customer’s fields only', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7300, 7500]);
  state.History.splice(5, 0, {
    From: 3500,
    To: 3500,
    Reason: 'SHORT: line 2 by clerk Somchai',
    Source: 'slick',
    At: state.UpdatedAt,
    Actor: 'clerk-9',
  });
  const app = await server(t, { local: localOf([state]), now: () => DELIVERED_AT + 86_400_000 });
  const response = await app.inject({ url: `/api/v1/track/${token('QC0042-000123')}`, headers: { 'accept-language': 'en' } });
  t.equal(response.statusCode, 200);
  const body = response.json() as Record<string, unknown>;
  t.same(Object.keys(body).sort(), ['carrier', 'estimatedDelivery', 'language', 'status', 'statusName', 'timeline', 'trackingNumber']);
  t.match(body, {
    language: 'en',
    status: 7500,
    statusName: 'Delivered',
    carrier: 'GRAB',
    trackingNumber: 'GRB-554433',
    estimatedDelivery: '2026-11-21T11:00:00.000Z',
  });
  t.same(
    (body.timeline as Array<{ status: number }>).map((entry) => entry.status),
    [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7300, 7500],
    'transitions only: the note is left out',
  );
  t.notMatch(response.body, /Somchai|clerk|SHORT|QC0042"|C-1001|0812345678|90\.62/, 'no note, actor, store, customer, phone or amount');
});

t.test('from Postgres when the replica does not hold the order', async (t) => {
  const db = {
    query: async (sql: string) => {
      if (sql.includes('FROM orders'))
        return { rows: [{ status: 7300, carrier: 'PMP', tracking_id: 'PMP-1', estimated_delivery: new Date('2026-11-22T03:00:00Z') }] };
      return {
        rows: [
          { from_status: null, to_status: 1000, at: new Date('2026-11-21T09:15:00Z') },
          { from_status: 1000, to_status: 2000, at: new Date('2026-11-21T09:15:00Z') },
          { from_status: 2000, to_status: 3000, at: new Date('2026-11-21T09:15:00Z') },
          { from_status: 3000, to_status: 7300, at: new Date('2026-11-21T12:00:00Z') },
        ],
      };
    },
  } as unknown as SqlDatabase;
  const app = await server(t, { db, now: () => DELIVERED_AT });
  const response = await app.inject({ url: `/api/v1/track/${token('WEB-1')}?lang=th` });
  t.equal(response.statusCode, 200);
  t.match(response.json(), {
    language: 'th',
    status: 7300,
    statusName: 'กำลังนำส่ง',
    carrier: 'PMP',
    trackingNumber: 'PMP-1',
    estimatedDelivery: '2026-11-22T03:00:00.000Z',
  });
  const page = await app.inject({ url: `/track/${token('WEB-1')}?lang=en` });
  t.equal(page.statusCode, 200);
  t.match(page.body, /Thailand Post \(PMP\)/, 'the carrier by name');
  t.match(page.body, /<time datetime="2026-11-22T03:00:00.000Z">22 Nov 2026, 10:00<\/time>/, 'the ETA in Bangkok time');
});

t.test('a link ends linkDays after delivery, whatever its own expiry says', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 7000, 7500]);
  const deliveredAt = Date.parse(state.UpdatedAt);
  let now = deliveredAt + 30 * 86_400_000 - 1;
  const app = await server(t, { local: localOf([state]), now: () => now });
  const url = `/api/v1/track/${token('QC0042-000123', Math.floor(deliveredAt / 1000) + 365 * 86_400)}`;
  t.equal((await app.inject({ url })).statusCode, 200, 'the last moment of the 30th day');
  now += 1;
  const expired = await app.inject({ url });
  t.equal(expired.statusCode, 410);
  t.match(expired.json(), { error: { code: 'TRACKING_LINK_EXPIRED' } });
});

t.test('503 with a friendly page when neither the store nor Postgres can answer', async (t) => {
  const app = await server(t, { db: noDb(new Error('connection refused')) });
  const api = await app.inject({ url: `/api/v1/track/${token('WEB-2')}` });
  t.equal(api.statusCode, 503);
  t.match(api.json(), { error: { code: 'TRACKING_UNAVAILABLE' } });
  const page = await app.inject({ url: `/track/${token('WEB-2')}`, headers: { 'accept-language': 'en-GB' } });
  t.equal(page.statusCode, 503);
  t.match(page.body, /tracking is unavailable right now/);
});

t.test('the page: its own strict policy, noindex, text escaped', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 7000], { TrackingID: '<script>alert(1)</script>', Carrier: 'X"><b>' });
  const app = await server(t, { local: localOf([state]), now: () => DELIVERED_AT });
  const page = await app.inject({ url: `/track/${token('QC0042-000123')}` });
  t.equal(page.statusCode, 200);
  t.notMatch(page.body, /<script>|<b>/, 'nothing of the order is markup');
  t.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  const csp = String(page.headers['content-security-policy']);
  const nonce = /style-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  t.ok(nonce, 'a nonce for the one style sheet');
  t.match(page.body, new RegExp(`<style nonce="${nonce!.replace(/[+/=]/g, (c) => `\\${c}`)}">`));
  t.match(csp, /^default-src 'none'; /);
  t.equal(page.headers['x-robots-tag'], 'noindex');
  t.match(page.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/, 'sized for a phone');
});
