// The low-stock routes on a real Postgres: counters and events as the sink writes them, read back through the view;
// store scope as the other store routes; one 400 listing every failing field.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t, { type Test } from 'tap';
import type { FieldError } from '../../query-service/errors.js';
import {
  DEFAULT_LOW_STOCK_LIMIT,
  type LowStockAnswer,
  lowStockRoutes,
  MAX_LOW_STOCK_LIMIT,
  type StoreLowStockAnswer,
} from '../../query-service/low-stock-routes.js';
import type { Principal } from '../../query-service/principal.js';
import { migratedDatabase } from './harness.js';
import { coordinator, get, storeStaff, testApp } from './query-harness.js';

const NOW = new Date('2026-12-06T12:00:00.000Z');

async function setup(t: Test): Promise<{ client: pg.Client; app: FastifyInstance } | undefined> {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const app = await testApp(t, lowStockRoutes(database.db, { now: () => NOW }));
  return { client: database.client, app };
}

let offset = 0;

interface EventFixture {
  order: string;
  at: string;
  /** The counters when the event was raised. */
  onHand: number;
  allocated: number;
}

/** A counter as the sink writes it, and the events raised for it (newest last). */
async function stock(
  client: pg.Client,
  store: string,
  item: string,
  onHand: number | null,
  allocated: number,
  events: EventFixture[] = [],
): Promise<void> {
  await client.query('INSERT INTO inventory_counters VALUES ($1, $2, $3, $4)', [store, item, onHand, allocated]);
  for (const event of events)
    await client.query('INSERT INTO low_stock_events VALUES (0, $1, $2, $3, $4, $5, $6, $7)', [
      offset++,
      store,
      item,
      event.onHand,
      event.allocated,
      event.order,
      event.at,
    ]);
}

/**
 * QC0001: SKU-100 short 4 (two events, O-2 the latest, its line named), SKU-102 short 1 (only a count: no event),
 * SKU-104 covered, SKU-105 never counted. QC0002: SKU-100 short 6, SKU-101 short 4. QC0003: nothing short.
 */
async function fixtures(client: pg.Client): Promise<void> {
  await client.query(
    `INSERT INTO orders (order_id, ship_from_location_id, status, payment_method, created_at, updated_at)
     VALUES ('O-2', 'QC0001', 2000, 'COD', $1, $1)`,
    [NOW.toISOString()],
  );
  await client.query(
    `INSERT INTO order_lines (order_id, line_id, item_id, quantity, unit_price, line_amount, line_discount, line_tax, short_description)
     VALUES ('O-2', '1', 'SKU-100', 3, '35.5000', '106.5000', '0.0000', '0.0000', 'กาแฟเย็น 250 มล.')`,
  );
  await stock(client, 'QC0001', 'SKU-100', 2, 6, [
    { order: 'O-1', at: '2026-12-06T08:00:00Z', onHand: 2, allocated: 3 },
    { order: 'O-2', at: '2026-12-06T09:15:00Z', onHand: 2, allocated: 6 },
  ]);
  await stock(client, 'QC0001', 'SKU-102', 3, 4);
  await stock(client, 'QC0001', 'SKU-104', 10, 4, [{ order: 'O-0', at: '2026-12-05T08:00:00Z', onHand: 3, allocated: 4 }]);
  await stock(client, 'QC0001', 'SKU-105', null, 9);
  await stock(client, 'QC0002', 'SKU-100', 0, 6, [{ order: 'O-7', at: '2026-12-06T10:00:00Z', onHand: 0, allocated: 6 }]);
  await stock(client, 'QC0002', 'SKU-101', 1, 5, [{ order: 'O-8', at: '2026-12-06T10:30:00Z', onHand: 1, allocated: 5 }]);
  await stock(client, 'QC0003', 'SKU-100', 20, 2);
}

t.test("one store's low stock: what is short now, most units first, with the latest event", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const answer = await get<StoreLowStockAnswer>(ctx.app, '/api/v1/stores/QC0001/low-stock', storeStaff('QC0001'));
  t.equal(answer.status, 200, 'its staff read it');
  t.same(
    answer.body,
    {
      asOf: NOW.toISOString(),
      storeId: 'QC0001',
      total: 2,
      items: [
        {
          storeId: 'QC0001',
          itemId: 'SKU-100',
          description: 'กาแฟเย็น 250 มล.',
          onHand: 2,
          allocated: 6,
          shortUnits: 4,
          lastOrderId: 'O-2',
          lastEventAt: '2026-12-06T09:15:00.000Z',
        },
        {
          storeId: 'QC0001',
          itemId: 'SKU-102',
          description: null,
          onHand: 3,
          allocated: 4,
          shortUnits: 1,
          lastOrderId: null,
          lastEventAt: null,
        },
      ],
    },
    'SKU-100 with its latest event and that order’s description; SKU-102 short by a count alone; not SKU-104 (covered) or SKU-105 (never counted)',
  );
  const limited = await get<StoreLowStockAnswer>(ctx.app, '/api/v1/stores/QC0001/low-stock?limit=1', storeStaff('QC0001'));
  t.same(
    [limited.body.total, limited.body.items.map((item) => item.itemId)],
    [2, ['SKU-100']],
    '`limit` cuts the list, `total` still counts them all',
  );
  const quiet = await get<StoreLowStockAnswer>(ctx.app, '/api/v1/stores/QC0003/low-stock', coordinator);
  t.same([quiet.status, quiet.body.total, quiet.body.items], [200, 0, []], 'a store with nothing short: an empty list');
});

t.test('across stores: a coordinator sees every store, a store role its own; most units short first', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const all = await get<LowStockAnswer>(ctx.app, '/api/v1/low-stock', coordinator);
  t.equal(all.status, 200, 'a coordinator reads across stores');
  t.same(
    all.body.items.map((item) => [item.storeId, item.itemId, item.shortUnits]),
    [
      ['QC0002', 'SKU-100', 6],
      ['QC0001', 'SKU-100', 4],
      ['QC0002', 'SKU-101', 4],
      ['QC0001', 'SKU-102', 1],
    ],
    'every store, most units short first, then store, then item',
  );
  t.same(
    all.body.stores,
    [
      { storeId: 'QC0002', items: 2, shortUnits: 10 },
      { storeId: 'QC0001', items: 2, shortUnits: 5 },
    ],
    'per store: items and units short, most items then most units first; a store with none is not listed',
  );
  t.same([all.body.total, all.body.storeId, all.body.asOf], [4, null, NOW.toISOString()], 'four items in all, no store named');

  const admin: Principal = { subject: 'admin', roles: ['admin'], stores: [], tokenId: 't-admin' };
  t.equal((await get<LowStockAnswer>(ctx.app, '/api/v1/low-stock', admin)).body.total, 4, 'an admin too');

  const staff = await get<LowStockAnswer>(ctx.app, '/api/v1/low-stock', storeStaff('QC0001', 'QC0003'));
  t.same(
    [staff.body.total, [...new Set(staff.body.items.map((item) => item.storeId))]],
    [2, ['QC0001']],
    'a store role: only the stores in its claim',
  );
  const narrowed = await get<LowStockAnswer>(ctx.app, '/api/v1/low-stock?store=QC0002&limit=1', coordinator);
  t.same(
    [narrowed.body.storeId, narrowed.body.total, narrowed.body.items.map((item) => item.itemId), narrowed.body.stores.length],
    ['QC0002', 2, ['SKU-100'], 1],
    '`store` narrows to one store; `limit` cuts the list',
  );
  const nobody = await get<LowStockAnswer>(ctx.app, '/api/v1/low-stock', storeStaff());
  t.same(
    [nobody.status, nobody.body.total, nobody.body.items, nobody.body.stores],
    [200, 0, [], []],
    'a claim without stores sees nothing',
  );
});

t.test('store scope: another store is 404 to a store role; no principal is 401', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const notFound = { status: 404, body: { error: { code: 'STORE_NOT_FOUND', message: 'no store "QC0002"' } } };
  t.same(await get(ctx.app, '/api/v1/stores/QC0002/low-stock', storeStaff('QC0001')), notFound, 'the store route');
  t.same(await get(ctx.app, '/api/v1/low-stock?store=QC0002', storeStaff('QC0001')), notFound, 'naming it across stores');
  const manager: Principal = { subject: 'mgr', roles: ['store_manager'], stores: ['QC0002'], tokenId: 't-mgr' };
  t.equal((await get(ctx.app, '/api/v1/stores/QC0002/low-stock', manager)).status, 200, 'a manager of that store reads it');
  t.equal((await get(ctx.app, '/api/v1/stores/QC0002/low-stock', coordinator)).status, 200, 'a coordinator reads every store');
  for (const url of ['/api/v1/stores/QC0001/low-stock', '/api/v1/low-stock'])
    t.match(await get(ctx.app, url, undefined), { status: 401, body: { error: { code: 'TOKEN_MISSING' } } }, `${url} without a principal`);
});

interface ValidationReply {
  error: { code: string; message: string; details?: FieldError[] };
}

t.test('bad input: one 400 listing every failing field, an asked-for region included', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const bad = async (url: string, fields: string[], what: string) => {
    const answer = await get<ValidationReply>(ctx.app, url, coordinator);
    t.equal(answer.status, 400, `${what}: 400`);
    t.equal(answer.body.error.code, 'VALIDATION_FAILED', `${what}: VALIDATION_FAILED`);
    t.same([...new Set((answer.body.error.details ?? []).map((detail) => detail.field))].sort(), fields, `${what}: ${fields.join(', ')}`);
    return answer.body.error;
  };
  const region = await bad(
    '/api/v1/low-stock?region=north&store=&limit=0',
    ['limit', 'region', 'store'],
    'a region, an empty store, limit 0',
  );
  t.match(
    region.details?.find((detail) => detail.field === 'region')?.message,
    /no region/,
    'a region is refused saying that stores belong to none',
  );
  t.equal(region.message, 'Invalid querystring: region, store, limit', 'the message names the fields');
  await bad(`/api/v1/low-stock?limit=${MAX_LOW_STOCK_LIMIT + 1}`, ['limit'], 'limit over the most');
  await bad('/api/v1/low-stock?limit=many', ['limit'], 'limit not a number');
  await bad('/api/v1/low-stock?limit=1&limit=2', ['limit'], 'limit given twice');
  await bad(
    '/api/v1/stores/QC0001/low-stock?limit=0&store=QC0001',
    ['limit', 'store'],
    'the store route: limit 0 and a parameter it has not',
  );
  const fine = await get<LowStockAnswer>(ctx.app, `/api/v1/low-stock?limit=${MAX_LOW_STOCK_LIMIT}`, coordinator);
  t.equal(fine.status, 200, `limit ${MAX_LOW_STOCK_LIMIT} is the most`);
});

t.test(`without a limit, the first ${DEFAULT_LOW_STOCK_LIMIT} items; total counts them all`, async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const many = DEFAULT_LOW_STOCK_LIMIT + 1;
  await ctx.client.query(
    `INSERT INTO inventory_counters SELECT 'QC0009', 'SKU-' || lpad(n::text, 4, '0'), 0, n FROM generate_series(1, $1) AS n`,
    [many],
  );
  const answer = await get<StoreLowStockAnswer>(ctx.app, '/api/v1/stores/QC0009/low-stock', coordinator);
  t.same(
    [answer.body.total, answer.body.items.length, answer.body.items[0]?.itemId, answer.body.items.at(-1)?.shortUnits],
    [many, DEFAULT_LOW_STOCK_LIMIT, `SKU-0${many}`, 2],
    'most short first: the item short by 1 is the one left out',
  );
});
