import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t, { type Test } from 'tap';
import { pipelineRoutes, type StorePipeline } from '../../query-service/pipeline-routes.js';
import { migratedDatabase } from './harness.js';
import { coordinator, get, insertOrders, type OrderFixture, storeStaff, testApp } from './query-harness.js';

const NOW = new Date('2026-11-21T12:00:00.000Z');
/** An ISO time `seconds` before NOW. */
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

interface StoreReply extends StorePipeline {
  asOf: string;
}
interface RegionReply {
  asOf: string;
  stores: StorePipeline[];
  totals: Omit<StorePipeline, 'storeId'> & { stores: number };
}

let offset = 0;
/** Status transitions as the sink writes them from order.status.v1. */
async function insertHistory(
  client: pg.Client,
  rows: readonly { order: string; store: string; from: number | null; to: number; at: string }[],
): Promise<void> {
  for (const row of rows) {
    await client.query(
      'INSERT INTO order_status_history (kafka_partition, kafka_offset, order_id, ship_from_location_id, from_status, to_status, source, at) VALUES (0, $1, $2, $3, $4, $5, $6, $7)',
      [offset++, row.order, row.store, row.from, row.to, 'test', row.at],
    );
  }
}

async function setup(t: Test): Promise<{ client: pg.Client; app: FastifyInstance } | undefined> {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const app = await testApp(t, pipelineRoutes(database.db, { now: () => NOW }));
  return { client: database.client, app };
}

// QC0001: 2 Open (the older at 2 h, tied in time with another; the lower id is the oldest), 1 Allocated,
// 1 Released, 2 Delivered (older than any open one, so never the oldest open), 1 Cancelled.
const QC0001: OrderFixture[] = [
  { id: 'QC0001-B', store: 'QC0001', status: 1000, createdAt: ago(7200) },
  { id: 'QC0001-A', store: 'QC0001', status: 2000, createdAt: ago(7200) },
  { id: 'QC0001-C', store: 'QC0001', status: 1000, createdAt: ago(600) },
  { id: 'QC0001-D', store: 'QC0001', status: 3000, createdAt: ago(1800) },
  { id: 'QC0001-E', store: 'QC0001', status: 7500, createdAt: ago(86_400) },
  { id: 'QC0001-F', store: 'QC0001', status: 7500, createdAt: ago(90_000) },
  { id: 'QC0001-G', store: 'QC0001', status: 9000, createdAt: ago(3000) },
];

t.test("one store's pipeline: counts and oldest per status, open orders, the last hour's throughput", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await insertOrders(client, [...QC0001, { id: 'QC0002-A', store: 'QC0002', status: 1000, createdAt: ago(99_999) }]);
  await insertHistory(client, [
    { order: 'QC0001-D', store: 'QC0001', from: null, to: 1000, at: ago(1800) },
    { order: 'QC0001-D', store: 'QC0001', from: 2000, to: 3000, at: ago(1700) }, // released within the hour
    { order: 'QC0001-E', store: 'QC0001', from: 2000, to: 3000, at: ago(3600) }, // exactly an hour ago: outside (from, to]
    { order: 'QC0001-F', store: 'QC0001', from: 2000, to: 3000, at: ago(3599) }, // just inside
    { order: 'QC0001-G', store: 'QC0001', from: 1000, to: 9000, at: ago(2900) }, // cancelled within the hour
    { order: 'QC0001-X', store: 'QC0001', from: 1000, to: 9000, at: ago(-5) }, // after asOf: not yet
    { order: 'QC0002-A', store: 'QC0002', from: 2000, to: 3000, at: ago(100) }, // another store
  ]);
  const { status, body } = await get<StoreReply>(app, '/api/v1/stores/QC0001/pipeline', coordinator);
  t.equal(status, 200);
  const oldest = (orderId: string, seconds: number) => ({ orderId, storeId: 'QC0001', createdAt: ago(seconds), ageSeconds: seconds });
  t.same(body, {
    asOf: NOW.toISOString(),
    storeId: 'QC0001',
    orders: 7,
    openOrders: 4,
    oldestOpen: { ...oldest('QC0001-A', 7200), status: 2000, statusName: 'Allocated' },
    statuses: [
      { status: 1000, statusName: 'Open', orders: 2, oldest: oldest('QC0001-B', 7200) },
      { status: 2000, statusName: 'Allocated', orders: 1, oldest: oldest('QC0001-A', 7200) },
      { status: 3000, statusName: 'Released', orders: 1, oldest: oldest('QC0001-D', 1800) },
      { status: 7500, statusName: 'Delivered', orders: 2, oldest: oldest('QC0001-F', 90_000) },
      { status: 9000, statusName: 'Cancelled', orders: 1, oldest: oldest('QC0001-G', 3000) },
    ],
    lastHour: { from: ago(3600), to: NOW.toISOString(), created: 3, released: 2, cancelled: 1 },
  });
  t.equal(
    body.lastHour.created,
    QC0001.filter((o) => Date.parse(o.createdAt) > NOW.getTime() - 3_600_000).length,
    'created: orders created within the hour',
  );

  const unknown = await get<StoreReply>(app, '/api/v1/stores/NOPE/pipeline', coordinator);
  t.same(
    [
      unknown.status,
      unknown.body.orders,
      unknown.body.openOrders,
      unknown.body.oldestOpen,
      unknown.body.statuses,
      unknown.body.lastHour.created,
    ],
    [200, 0, 0, null, [], 0],
    'a coordinator asking for a store without orders gets zeros',
  );
  const missing = await get(app, '/api/v1/stores/QC0001/pipeline', undefined);
  t.same([missing.status, missing.body.error?.code], [401, 'TOKEN_MISSING']);
});

t.test("a store role gets 404 for a store outside its claim, and its own store's pipeline", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await insertOrders(client, [...QC0001, { id: 'QC0002-A', store: 'QC0002', status: 1000, createdAt: ago(60) }]);
  const staff = storeStaff('QC0002');
  const other = await get(app, '/api/v1/stores/QC0001/pipeline', staff);
  t.same([other.status, other.body.error?.code], [404, 'STORE_NOT_FOUND'], 'another store, with orders: 404, not 403');
  const nowhere = await get(app, '/api/v1/stores/QC0099/pipeline', staff);
  t.same(
    [nowhere.status, nowhere.body],
    [other.status, { error: { code: 'STORE_NOT_FOUND', message: 'no store "QC0099"' } }],
    'the same answer as for a store that has no orders at all',
  );
  const own = await get<StoreReply>(app, '/api/v1/stores/QC0002/pipeline', staff);
  t.same([own.status, own.body.orders, own.body.oldestOpen?.orderId], [200, 1, 'QC0002-A']);
  t.equal(
    (await get(app, '/api/v1/stores/QC0001/pipeline', { ...staff, roles: ['store_manager', 'admin'] })).status,
    200,
    'an admin sees every store',
  );
});

t.test('the region: every visible store, worst first, and totals over them', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await insertOrders(client, [
    ...QC0001, // 4 open, oldest open 2 h
    { id: 'QC0002-A', store: 'QC0002', status: 1000, createdAt: ago(60) },
    { id: 'QC0002-B', store: 'QC0002', status: 3700, createdAt: ago(120) },
    { id: 'QC0002-C', store: 'QC0002', status: 7400, createdAt: ago(50_000) }, // 3 open, oldest 50,000 s
    { id: 'QC0003-A', store: 'QC0003', status: 3000, createdAt: ago(30) },
    { id: 'QC0003-B', store: 'QC0003', status: 2000, createdAt: ago(40) },
    { id: 'QC0003-C', store: 'QC0003', status: 1000, createdAt: ago(40_000) }, // 3 open, oldest 40,000 s
    { id: 'QC0004-A', store: 'QC0004', status: 7500, createdAt: ago(100), total: '12.3456' }, // none open
  ]);
  await insertHistory(client, [
    { order: 'QC0002-B', store: 'QC0002', from: 2000, to: 3000, at: ago(100) },
    { order: 'QC0003-A', store: 'QC0003', from: 2000, to: 3000, at: ago(20) },
    { order: 'QC0001-D', store: 'QC0001', from: 2000, to: 3000, at: ago(1700) },
  ]);
  const { status, body } = await get<RegionReply>(app, '/api/v1/region/pipeline', coordinator);
  t.equal(status, 200);
  t.same(
    body.stores.map((s) => [s.storeId, s.openOrders, s.oldestOpen?.orderId ?? null]),
    [
      ['QC0001', 4, 'QC0001-A'],
      ['QC0002', 3, 'QC0002-C'], // as many open as QC0003, but waiting longer
      ['QC0003', 3, 'QC0003-C'],
      ['QC0004', 0, null],
    ],
    'most open orders first, then the oldest open order',
  );
  const single = await get<StoreReply>(app, '/api/v1/stores/QC0002/pipeline', coordinator);
  const { asOf: _asOf, ...qc0002 } = single.body;
  t.same(body.stores[1], qc0002, "a store's entry is its own pipeline");
  t.same(body.totals, {
    stores: 4,
    orders: 14,
    openOrders: 10,
    oldestOpen: {
      orderId: 'QC0002-C',
      storeId: 'QC0002',
      status: 7400,
      statusName: 'Delivery Failed',
      createdAt: ago(50_000),
      ageSeconds: 50_000,
    },
    statuses: [
      {
        status: 1000,
        statusName: 'Open',
        orders: 4,
        oldest: { orderId: 'QC0003-C', storeId: 'QC0003', createdAt: ago(40_000), ageSeconds: 40_000 },
      },
      {
        status: 2000,
        statusName: 'Allocated',
        orders: 2,
        oldest: { orderId: 'QC0001-A', storeId: 'QC0001', createdAt: ago(7200), ageSeconds: 7200 },
      },
      {
        status: 3000,
        statusName: 'Released',
        orders: 2,
        oldest: { orderId: 'QC0001-D', storeId: 'QC0001', createdAt: ago(1800), ageSeconds: 1800 },
      },
      {
        status: 3700,
        statusName: 'Packed',
        orders: 1,
        oldest: { orderId: 'QC0002-B', storeId: 'QC0002', createdAt: ago(120), ageSeconds: 120 },
      },
      {
        status: 7400,
        statusName: 'Delivery Failed',
        orders: 1,
        oldest: { orderId: 'QC0002-C', storeId: 'QC0002', createdAt: ago(50_000), ageSeconds: 50_000 },
      },
      {
        status: 7500,
        statusName: 'Delivered',
        orders: 3,
        oldest: { orderId: 'QC0001-F', storeId: 'QC0001', createdAt: ago(90_000), ageSeconds: 90_000 },
      },
      {
        status: 9000,
        statusName: 'Cancelled',
        orders: 1,
        oldest: { orderId: 'QC0001-G', storeId: 'QC0001', createdAt: ago(3000), ageSeconds: 3000 },
      },
    ],
    lastHour: { from: ago(3600), to: NOW.toISOString(), created: 3 + 2 + 2 + 1, released: 3, cancelled: 0 },
  });

  const staff = await get<RegionReply>(app, '/api/v1/region/pipeline', storeStaff('QC0003', 'QC0001', 'QC0042'));
  t.same(
    staff.body.stores.map((s) => s.storeId),
    ['QC0001', 'QC0003', 'QC0042'],
    'a store role: its claimed stores only, a store without orders as zeros, last',
  );
  t.same(
    [staff.body.totals.stores, staff.body.totals.orders, staff.body.totals.openOrders, staff.body.totals.lastHour.released],
    [3, 10, 7, 2],
    'totals over its stores only',
  );
  t.notOk(JSON.stringify(staff.body).includes('QC0002'), "no trace of another store's orders");
  t.same((await get<RegionReply>(app, '/api/v1/region/pipeline', storeStaff())).body.totals.stores, 0, 'an empty claim: an empty region');
  const missing = await get(app, '/api/v1/region/pipeline', undefined);
  t.same([missing.status, missing.body.error?.code], [401, 'TOKEN_MISSING']);
});
