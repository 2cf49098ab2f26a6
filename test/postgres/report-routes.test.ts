import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t, { type Test } from 'tap';
import { type BundleSalesAnswer, MAX_REPORT_DAYS, type ReportAnswer, reportRoutes } from '../../query-service/report-routes.js';
import { migratedDatabase } from './harness.js';
import { coordinator, type ErrorReply, get, insertOrders, storeStaff, testApp } from './query-harness.js';

const NOW = new Date('2026-11-24T12:00:00.000Z');
/** Business days 21 and 22 November in Bangkok (+07:00): from 2026-11-20T17:00Z up to 2026-11-22T17:00Z. */
const RANGE = 'from=2026-11-21&to=2026-11-22';

let offset = 0;

async function setup(t: Test, timeZone = 'Asia/Bangkok'): Promise<{ client: pg.Client; app: FastifyInstance } | undefined> {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const app = await testApp(t, reportRoutes(database.db, { timeZone, now: () => NOW }));
  return { client: database.client, app };
}

async function history(
  client: pg.Client,
  order: string,
  store: string,
  from: number | null,
  to: number,
  at: string,
  reason: string | null = null,
  actor: string | null = null,
): Promise<void> {
  await client.query(`INSERT INTO order_status_history VALUES (0, $1, $2, $3, $4, $5, $6, 'test', $7, $8)`, [
    offset++,
    order,
    store,
    from,
    to,
    reason,
    at,
    actor,
  ]);
}

async function line(
  client: pg.Client,
  order: string,
  id: string,
  item: string,
  quantity: number,
  amount: string,
  discount: string,
  group: string | null,
  bundle: string | null,
): Promise<void> {
  await client.query(
    `INSERT INTO order_lines (order_id, line_id, item_id, quantity, unit_price, line_amount, line_discount, line_tax, bundle_group_id, bundle_id)
     VALUES ($1, $2, $3, $4::int, $5::numeric / $4::int, $5, $6, 0, $7, $8)`,
    [order, id, item, quantity, amount, discount, group, bundle],
  );
}

/**
 * Orders around the range's edges in Bangkok time, cancellations with and without reasons, stays in statuses,
 * COD deliveries (collected, short, missing, cash for a cancelled order) and bundle lines of released, unreleased
 * and cancelled orders, in three stores.
 */
async function fixtures(client: pg.Client): Promise<void> {
  await insertOrders(client, [
    { id: 'E-BEFORE', store: 'QC0001', status: 1000, total: '1.0000', createdAt: '2026-11-20T16:59:59.999Z' }, // 20 Nov, 23:59:59.999
    { id: 'A-1', store: 'QC0001', status: 7500, total: '10.0001', createdAt: '2026-11-20T17:00:00Z' }, // 21 Nov, 00:00
    { id: 'A-2', store: 'QC0001', status: 9000, total: '99.0000', createdAt: '2026-11-21T03:00:00Z' },
    { id: 'A-3', store: 'QC0001', status: 3000, total: '20.0002', createdAt: '2026-11-21T16:59:59Z' }, // 21 Nov, 23:59:59
    { id: 'A-4', store: 'QC0001', status: 2000, total: '0.0003', createdAt: '2026-11-21T17:00:00Z' }, // 22 Nov
    { id: 'B-1', store: 'QC0002', status: 7500, total: '5.5555', createdAt: '2026-11-22T16:59:59.999Z' }, // 22 Nov, last instant
    { id: 'B-2', store: 'QC0002', status: 9000, total: '7.0000', createdAt: '2026-11-21T05:00:00Z' },
    { id: 'E-AFTER', store: 'QC0002', status: 1000, total: '3.0000', createdAt: '2026-11-22T17:00:00Z' }, // 23 Nov
    { id: 'C-1', store: 'QC0003', status: 3500, total: '0.4444', createdAt: '2026-11-22T01:00:00Z' },
    // Created before the range: cancelled or delivered in it.
    { id: 'D-1', store: 'QC0001', status: 9000, total: '12.3456', createdAt: '2026-11-19T10:00:00Z' },
    { id: 'D-2', store: 'QC0001', status: 9000, total: '0.0001', createdAt: '2026-11-19T11:00:00Z' },
    { id: 'D-3', store: 'QC0002', status: 9000, total: '1.0000', createdAt: '2026-11-19T12:00:00Z' },
    { id: 'F-1', store: 'QC0001', status: 7500, total: '100.1234', createdAt: '2026-11-18T10:00:00Z' },
    { id: 'F-2', store: 'QC0001', status: 7500, total: '0.0001', createdAt: '2026-11-18T10:00:00Z' },
    { id: 'F-3', store: 'QC0002', status: 7500, total: '8.0000', createdAt: '2026-11-18T10:00:00Z' },
    { id: 'F-4', store: 'QC0002', status: 9000, total: '4.0000', createdAt: '2026-11-18T10:00:00Z' },
  ]);

  // Cancellations, by when they happened.
  await history(client, 'A-2', 'QC0001', 1000, 9000, '2026-11-21T04:00:00Z', 'CANCELLED: Customer asked to cancel', 'clerk-a');
  await history(client, 'A-2', 'QC0001', 9000, 9000, '2026-11-21T04:10:00Z', 'OUT_OF_ORDER: a late pick'); // a note, not a move
  await history(client, 'B-2', 'QC0002', 2000, 9000, '2026-11-21T06:00:00Z', 'CANCELLED: Customer asked to cancel', 'clerk-b');
  await history(client, 'D-1', 'QC0001', 2000, 9000, '2026-11-21T10:00:00Z', 'COD_AMOUNT_OUT_OF_RANGE');
  await history(client, 'D-2', 'QC0001', 1000, 9000, '2026-11-22T02:00:00Z', 'CANCELLED', 'clerk-a');
  await history(client, 'D-3', 'QC0002', 1000, 9000, '2026-11-22T17:00:00Z', 'CANCELLED: Duplicate order'); // 23 Nov

  // Stays: S-1 10 s in 1000 (a note in between does not end it), 60 s in 2000, then 3000; S-2 30 s in 1000, still
  // in 2000; S-3 50 s in 1000, still in 2000; S-0 entered 1000 before the range, 2000 in it.
  await history(client, 'S-1', 'QC0001', null, 1000, '2026-11-21T01:00:00Z');
  await history(client, 'S-1', 'QC0001', 1000, 1000, '2026-11-21T01:00:05Z', 'MODIFIED: address');
  await history(client, 'S-1', 'QC0001', 1000, 2000, '2026-11-21T01:00:10Z');
  await history(client, 'S-1', 'QC0001', 2000, 3000, '2026-11-21T01:01:10Z');
  await history(client, 'S-2', 'QC0001', null, 1000, '2026-11-21T02:00:00Z');
  await history(client, 'S-2', 'QC0001', 1000, 2000, '2026-11-21T02:00:30Z');
  await history(client, 'S-3', 'QC0002', null, 1000, '2026-11-21T03:00:00Z');
  await history(client, 'S-3', 'QC0002', 1000, 2000, '2026-11-21T03:00:50Z');
  await history(client, 'S-0', 'QC0001', null, 1000, '2026-11-20T16:00:00Z');
  await history(client, 'S-0', 'QC0001', 1000, 2000, '2026-11-20T17:00:10Z');

  // COD: delivered (and collected) at the edges of the range.
  const deliver = (id: string, deliveredAt: string | null, collected: string | null, collectedAt: string | null = deliveredAt) =>
    client.query('UPDATE orders SET delivered_at = $2, collected_amount = $3, collected_at = $4 WHERE order_id = $1', [
      id,
      deliveredAt,
      collected,
      collected === null ? null : collectedAt,
    ]);
  await deliver('A-1', '2026-11-20T17:00:00Z', '10.0001'); // 21 Nov, 00:00
  await deliver('B-1', '2026-11-22T16:59:59Z', '5.5554'); // 22 Nov, 0.0001 short
  await deliver('F-1', '2026-11-21T16:59:59Z', null); // 21 Nov, no cash
  await deliver('F-2', '2026-11-20T16:59:59Z', '0.0001'); // 20 Nov: outside
  await deliver('F-3', '2026-11-22T17:00:00Z', '8.0000'); // 23 Nov: outside
  await deliver('F-4', null, '4.0000', '2026-11-22T01:00:00Z'); // cash for a cancelled order: expected 0

  // Bundle lines: released A-3 and A-1 (21 Nov), B-1 and C-1 (22 Nov); unreleased A-4 and cancelled B-2 do not count.
  await line(client, 'A-3', '1', 'SKU-1', 2, '44.0000', '6.6667', 'G1', 'B-1');
  await line(client, 'A-3', '2', 'SKU-2', 1, '15.0000', '2.2222', 'G1', 'B-1');
  await line(client, 'A-3', '3', 'SKU-3', 1, '7.0000', '0.0000', null, null);
  await line(client, 'A-1', '1', 'SKU-1', 1, '22.0000', '3.3333', 'G1', 'B-1');
  await line(client, 'A-1', '2', 'SKU-2', 1, '15.0000', '2.2222', 'G1', 'B-1');
  await line(client, 'A-1', '3', 'SKU-1', 1, '22.0000', '3.3334', 'G2', 'B-1');
  await line(client, 'A-1', '4', 'SKU-2', 1, '15.0000', '2.2223', 'G2', 'B-1');
  await line(client, 'B-1', '1', 'SKU-9', 3, '30.0000', '1.0001', 'G1', 'B-2');
  await line(client, 'C-1', '1', 'SKU-1', 1, '22.0000', '3.3333', 'G1', 'B-1');
  await line(client, 'C-1', '2', 'SKU-2', 1, '15.0000', '2.2222', 'G1', 'B-1');
  await line(client, 'A-4', '1', 'SKU-1', 1, '22.0000', '3.3333', 'G1', 'B-1');
  await line(client, 'B-2', '1', 'SKU-1', 1, '22.0000', '3.3333', 'G1', 'B-1');
}

interface ValidationReply {
  error: { code: string; message: string; details?: Array<{ location: string; field: string; message: string }> };
}
const failingFields = (body: ValidationReply) => (body.error.details ?? []).map((detail) => detail.field).sort();

t.test('orders per day: business days in Bangkok, edges included and excluded, sums exact to the fourth decimal', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  t.equal(report.status, 200);
  t.match(report.body, {
    asOf: NOW.toISOString(),
    from: '2026-11-21',
    to: '2026-11-22',
    timeZone: 'Asia/Bangkok',
    storeId: null,
  });
  t.same(report.body.ordersPerDay.rows, [
    { storeId: 'QC0001', day: '2026-11-21', orders: 3, cancelled: 1, delivered: 1, orderValue: '30.0003' },
    { storeId: 'QC0002', day: '2026-11-21', orders: 1, cancelled: 1, delivered: 0, orderValue: '0.0000' },
    { storeId: 'QC0001', day: '2026-11-22', orders: 1, cancelled: 0, delivered: 0, orderValue: '0.0003' },
    { storeId: 'QC0002', day: '2026-11-22', orders: 1, cancelled: 0, delivered: 1, orderValue: '5.5555' },
    { storeId: 'QC0003', day: '2026-11-22', orders: 1, cancelled: 0, delivered: 0, orderValue: '0.4444' },
  ]);
  t.same(
    report.body.ordersPerDay.totals,
    [
      { day: '2026-11-21', orders: 4, cancelled: 2, delivered: 1, orderValue: '30.0003' },
      { day: '2026-11-22', orders: 3, cancelled: 0, delivered: 1, orderValue: '6.0002' },
    ],
    'the region per day; 20 Nov 23:59:59.999 and 23 Nov 00:00 in Bangkok are outside',
  );

  const oneDay = await get<ReportAnswer>(ctx.app, '/api/v1/reports?from=2026-11-22&to=2026-11-22&store=QC0002', coordinator);
  t.same(
    oneDay.body.ordersPerDay.rows.map((row) => [row.storeId, row.day, row.orders]),
    [['QC0002', '2026-11-22', 1]],
    'a one-day range, one store: its last instant (16:59:59.999Z) is in',
  );
  t.equal(oneDay.body.storeId, 'QC0002');
});

t.test('the business day follows the configured time zone, not UTC', async (t) => {
  const ctx = await setup(t, 'UTC');
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  t.equal(report.body.timeZone, 'UTC');
  t.same(
    report.body.ordersPerDay.rows.map((row) => [row.storeId, row.day, row.orders]),
    [
      ['QC0001', '2026-11-21', 3], // and A-4 (17:00Z is still the 21st in UTC)
      ['QC0002', '2026-11-21', 1],
      ['QC0002', '2026-11-22', 2], // B-1 and E-AFTER
      ['QC0003', '2026-11-22', 1],
    ],
    'in UTC A-1 (20 Nov 17:00Z) is out and E-AFTER (22 Nov 17:00Z) is in',
  );
});

t.test('cancellations with their reasons counted, by when they happened; notes are not cancellations', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  t.same(report.body.cancellations.rows, [
    { storeId: 'QC0001', reason: 'COD_AMOUNT_OUT_OF_RANGE', cancellations: 1, orderValue: '12.3456' },
    { storeId: 'QC0001', reason: 'Customer asked to cancel', cancellations: 1, orderValue: '99.0000' },
    { storeId: 'QC0001', reason: null, cancellations: 1, orderValue: '0.0001' },
    { storeId: 'QC0002', reason: 'Customer asked to cancel', cancellations: 1, orderValue: '7.0000' },
  ]);
  t.same(
    report.body.cancellations.totals,
    [
      { reason: 'Customer asked to cancel', cancellations: 2, orderValue: '106.0000' },
      { reason: 'COD_AMOUNT_OUT_OF_RANGE', cancellations: 1, orderValue: '12.3456' },
      { reason: null, cancellations: 1, orderValue: '0.0001' },
    ],
    'most first, "none given" last; D-3, cancelled at 00:00 on the 23rd in Bangkok, is outside',
  );
});

t.test('time in each status: stays that began in the range, average, median, 95th percentile and longest', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  const { rows, totals } = report.body.timeInStatus;
  const pick = (entry: { stays: number; completed: number; avgSeconds: number | null; p50Seconds: number | null }) => [
    entry.stays,
    entry.completed,
    entry.avgSeconds,
    entry.p50Seconds,
  ];
  t.same(
    rows.map((row) => [row.storeId, row.status, row.statusName]),
    [
      ['QC0001', 1000, 'Open'],
      ['QC0002', 1000, 'Open'],
      ['QC0001', 2000, 'Allocated'],
      ['QC0002', 2000, 'Allocated'],
      ['QC0001', 3000, 'Released'],
    ],
    'by status then store; Delivered and Cancelled are left out',
  );
  t.match(rows[0], { stays: 2, completed: 2, avgSeconds: 20, p50Seconds: 20, p95Seconds: 29, maxSeconds: 30 }, 'QC0001: 10 s and 30 s');
  t.same(pick(rows[1]!), [1, 1, 50, 50]);
  t.same(pick(rows[2]!), [3, 1, 60, 60], 'S-0 entered 2000 in the range though it entered 1000 before it; two stays still open');
  t.same(pick(rows[3]!), [1, 0, null, null], 'nothing ended: no times');
  t.same(
    totals.map((total) => [
      total.status,
      total.stays,
      total.completed,
      total.avgSeconds,
      total.p50Seconds,
      total.p95Seconds,
      total.maxSeconds,
    ]),
    [
      [1000, 3, 3, 30, 30, 48, 50],
      [2000, 4, 1, 60, 60, 60, 60],
      [3000, 1, 0, null, null, null, null],
    ],
    'over all the stays of the stores (10, 30, 50 s: the 95th percentile interpolates to 48 s), not averaged per store',
  );
});

t.test('COD expected against collected per business day of delivery, exact', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  t.same(report.body.cod.rows, [
    {
      storeId: 'QC0001',
      day: '2026-11-21',
      deliveredOrders: 2,
      expected: '110.1235',
      collectedOrders: 1,
      collected: '10.0001',
      difference: '-100.1234',
      missingOrders: 1,
    },
    {
      storeId: 'QC0002',
      day: '2026-11-22',
      deliveredOrders: 2,
      expected: '5.5555',
      collectedOrders: 2,
      collected: '9.5554',
      difference: '3.9999',
      missingOrders: 0,
    },
  ]);
  t.same(report.body.cod.totals, [
    {
      day: '2026-11-21',
      deliveredOrders: 2,
      expected: '110.1235',
      collectedOrders: 1,
      collected: '10.0001',
      difference: '-100.1234',
      missingOrders: 1,
    },
    {
      day: '2026-11-22',
      deliveredOrders: 2,
      expected: '5.5555',
      collectedOrders: 2,
      collected: '9.5554',
      difference: '3.9999',
      missingOrders: 0,
    },
  ]);
});

t.test('bundle sales per bundle, store and day, over released orders not cancelled', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const report = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  const qc0001 = {
    storeId: 'QC0001',
    bundleId: 'B-1',
    day: '2026-11-21',
    groups: 3,
    orders: 2,
    units: 7,
    listAmount: '133.0000',
    discount: '20.0001',
    netAmount: '112.9999',
  };
  const qc0003 = {
    storeId: 'QC0003',
    bundleId: 'B-1',
    day: '2026-11-22',
    groups: 1,
    orders: 1,
    units: 2,
    listAmount: '37.0000',
    discount: '5.5555',
    netAmount: '31.4445',
  };
  const qc0002 = {
    storeId: 'QC0002',
    bundleId: 'B-2',
    day: '2026-11-22',
    groups: 1,
    orders: 1,
    units: 3,
    listAmount: '30.0000',
    discount: '1.0001',
    netAmount: '28.9999',
  };
  t.same(
    report.body.bundleSales.rows,
    [qc0001, qc0003, qc0002],
    'by day, bundle, store; A-4 (not released) and B-2 (cancelled) are not sales',
  );
  t.same(
    report.body.bundleSales.totals,
    [qc0001, qc0003, qc0002].map(({ storeId: _storeId, ...rest }) => rest),
  );

  const sales = await get<BundleSalesAnswer>(ctx.app, `/api/v1/bundles/B-1/sales?${RANGE}`, coordinator);
  t.equal(sales.status, 200);
  t.same(
    sales.body.rows,
    [qc0001, qc0003].map(({ bundleId: _bundleId, ...rest }) => rest),
  );
  t.same(sales.body.totals, { groups: 4, orders: 3, units: 9, listAmount: '170.0000', discount: '25.5556', netAmount: '144.4444' });
  t.match(sales.body, { bundleId: 'B-1', from: '2026-11-21', to: '2026-11-22', timeZone: 'Asia/Bangkok', storeId: null });

  const staff = await get<BundleSalesAnswer>(ctx.app, `/api/v1/bundles/B-1/sales?${RANGE}`, storeStaff('QC0001'));
  t.same(
    staff.body.rows.map((row) => row.storeId),
    ['QC0001'],
    "a store role: only its store's sales",
  );
  t.same(staff.body.totals, { groups: 3, orders: 2, units: 7, listAmount: '133.0000', discount: '20.0001', netAmount: '112.9999' });

  const none = await get<BundleSalesAnswer>(ctx.app, `/api/v1/bundles/B-NONE/sales?${RANGE}`, coordinator);
  t.same(
    [none.status, none.body.rows, none.body.totals],
    [200, [], { groups: 0, orders: 0, units: 0, listAmount: '0.0000', discount: '0.0000', netAmount: '0.0000' }],
    'a bundle without sales',
  );
});

t.test('store scope: a store role sees its stores, another is 404; the region sees all', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await fixtures(ctx.client);
  const stores = (answer: ReportAnswer) =>
    [
      ...new Set(
        [answer.ordersPerDay, answer.cancellations, answer.timeInStatus, answer.cod, answer.bundleSales].flatMap((part) =>
          part.rows.map((row) => row.storeId),
        ),
      ),
    ].sort();

  const region = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, coordinator);
  t.same(stores(region.body), ['QC0001', 'QC0002', 'QC0003'], 'a coordinator: every store');

  const staff = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, storeStaff('QC0002'));
  t.equal(staff.status, 200);
  t.same(stores(staff.body), ['QC0002'], 'a store role: only its store, in every section');
  t.same(
    staff.body.ordersPerDay.totals.map((total) => [total.day, total.orders, total.orderValue]),
    [
      ['2026-11-21', 1, '0.0000'],
      ['2026-11-22', 1, '5.5555'],
    ],
    'and totals over its store alone',
  );
  t.same((await get(ctx.app, `/api/v1/reports?${RANGE}&store=QC0002`, storeStaff('QC0002'))).status, 200, 'naming its own store');

  for (const url of [`/api/v1/reports?${RANGE}&store=QC0001`, `/api/v1/bundles/B-1/sales?${RANGE}&store=QC0001`]) {
    t.same(
      await get(ctx.app, url, storeStaff('QC0002')),
      { status: 404, body: { error: { code: 'STORE_NOT_FOUND', message: 'no store "QC0001"' } } },
      `another store: 404 (${url.split('?')[0]})`,
    );
  }

  const chosen = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}&store=QC0003`, coordinator);
  t.same(stores(chosen.body), ['QC0003'], 'a coordinator naming one store');

  const nobody = await get<ReportAnswer>(ctx.app, `/api/v1/reports?${RANGE}`, storeStaff());
  t.same(
    [nobody.body.ordersPerDay, nobody.body.cancellations, nobody.body.timeInStatus, nobody.body.cod, nobody.body.bundleSales],
    Array(5).fill({ rows: [], totals: [] }),
    'a claim without stores sees nothing',
  );
  t.match(await get(ctx.app, `/api/v1/reports?${RANGE}`, undefined), { status: 401, body: { error: { code: 'TOKEN_MISSING' } } });
});

t.test('bad input: one 400 listing every failing field', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const bad = async (query: string, fields: string[], what: string, path = '/api/v1/reports') => {
    const answer = await get<ValidationReply>(ctx.app, `${path}?${query}`, coordinator);
    t.equal(answer.status, 400, `${what}: 400`);
    t.equal(answer.body.error.code, 'VALIDATION_FAILED', `${what}: VALIDATION_FAILED`);
    t.same(failingFields(answer.body), fields, `${what}: ${fields.join(', ')}`);
    t.ok(
      (answer.body.error.details ?? []).every((detail) => detail.location === 'querystring' && detail.message.length > 0),
      `${what}: each says what is wrong`,
    );
    return answer.body;
  };
  await bad('', ['from', 'to'], 'nothing given');
  await bad('from=2026-02-30&to=2026-11-31&store=', ['from', 'store', 'to'], 'not calendar days and an empty store');
  await bad('from=21-11-2026&to=2026-11-22&region=all', ['from', 'region'], 'a day not YYYY-MM-DD and an unknown parameter');
  const backwards = await bad('from=2026-11-22&to=2026-11-21', ['from'], 'from after to');
  t.match(backwards.error.message, /from/);
  await bad('from=2026-01-01&to=2026-04-03', ['to'], `${MAX_REPORT_DAYS + 1} days`);
  await bad('from=2026-11-22&to=2026-11-21&store=', ['from', 'store'], 'on the bundle route too', '/api/v1/bundles/B-1/sales');
  t.equal(
    (await get(ctx.app, '/api/v1/reports?from=2026-01-01&to=2026-04-02', coordinator)).status,
    200,
    `${MAX_REPORT_DAYS} days (1 January to 2 April) is the longest range`,
  );
  t.equal((await get(ctx.app, '/api/v1/reports?from=2028-02-29&to=2028-02-29', coordinator)).status, 200, 'a leap day is a day');
  const repeated = await get<ErrorReply>(ctx.app, '/api/v1/reports?from=2026-11-21&from=2026-11-22&to=2026-11-22', coordinator);
  t.equal(repeated.status, 400, 'a parameter given twice');
});
