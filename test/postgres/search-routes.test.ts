import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t, { type Test } from 'tap';
import type { Principal } from '../../query-service/principal.js';
import { searchRoutes } from '../../query-service/search-routes.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import { migratedDatabase } from './harness.js';
import { coordinator, get, insertOrders, type OrderFixture, storeStaff, testApp } from './query-harness.js';

interface SearchBody {
  orders: {
    orderId: string;
    shipFromLocationId: string;
    customerId: string | null;
    status: number;
    statusName: string | null;
    paymentStatus: string | null;
    orderTotal: string | null;
    createdAt: string;
    updatedAt: string;
  }[];
  nextCursor: string | null;
}

/** Microseconds since the epoch of an RFC 3339 time, exact (Date keeps milliseconds only). */
const micros = (iso: string): bigint => {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return BigInt(Date.parse(iso.replace(/\.\d+/, ''))) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
};

/** Newest first, then order id descending: what every search returns. */
const newestFirst = (a: OrderFixture, b: OrderFixture) => {
  const time = Number(micros(b.createdAt) - micros(a.createdAt));
  return time !== 0 ? time : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

/** Every page of a search, following nextCursor; the ids in the order they came. */
async function walk(
  app: FastifyInstance,
  query: string,
  principal: Principal,
  limit: number,
): Promise<{ ids: string[]; pages: number; cursors: string[] }> {
  const ids: string[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/v1/orders?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const { status, body: page } = await get<SearchBody>(app, url, principal);
    if (status !== 200) throw new Error(`${url} answered ${status} ${JSON.stringify(page)}`);
    if (page.orders.length > limit) throw new Error('a page longer than its limit');
    ids.push(...page.orders.map((order) => order.orderId));
    cursor = page.nextCursor;
    if (cursor) cursors.push(cursor);
    pages++;
    if (pages > 1000) throw new Error('no end to the pages');
  } while (cursor);
  return { ids, pages, cursors };
}

async function setup(t: Test): Promise<{ db: SqlDatabase; client: pg.Client; app: FastifyInstance } | undefined> {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const app = await testApp(t, searchRoutes(database.db));
  return { ...database, app };
}

// Three stores, every status, a few customers, totals from tiny to the largest NUMERIC(18,4) holds, and
// several orders created at the same instant (the order id decides).
const STORES = ['QC0001', 'QC0002', 'QC0003'];
const STATUSES = [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7500, 9000];
// Five apart from the three stores, the 13 statuses and the 7 customers, so every mix occurs; one order Reversed.
const PAYMENTS = ['5000', null, 'Collected', 'Failed', 'Reconciled'];
const FIXTURE: OrderFixture[] = Array.from({ length: 120 }, (_, i) => ({
  id: `${STORES[i % 3]}-${String(1000 - i).padStart(4, '0')}`,
  store: STORES[i % 3]!,
  customer: i % 10 === 0 ? null : `C-${i % 7}`,
  status: STATUSES[i % STATUSES.length]!,
  total:
    i === 5
      ? '99999999999999.9999'
      : i === 6
        ? '0.0001'
        : i === 7
          ? null
          : `${(i * 37) % 500}.${String((i * 1237) % 10000).padStart(4, '0')}`,
  // groups of four share a creation time, to the microsecond
  createdAt: `${new Date(Date.UTC(2026, 10, 21, 9, 0, 0) - Math.floor(i / 4) * 60_000).toISOString().slice(0, -1)}123Z`,
  paymentStatus: i === 11 ? 'Reversed' : PAYMENTS[i % PAYMENTS.length]!,
}));

t.test('each filter returns exactly its orders, newest first, with every field as stored', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { app, client } = ctx;
  await insertOrders(client, FIXTURE);
  const expect = (predicate: (o: OrderFixture) => boolean) =>
    FIXTURE.filter(predicate)
      .sort(newestFirst)
      .map((o) => o.id);
  const cases: [string, (o: OrderFixture) => boolean][] = [
    ['', () => true],
    ['store=QC0002', (o) => o.store === 'QC0002'],
    ['store=QC0001,QC0003', (o) => o.store !== 'QC0002'],
    ['store=QC0001&store=QC0003', (o) => o.store !== 'QC0002'],
    ['store=QC0009', () => false],
    ['status=1000', (o) => o.status === 1000],
    ['status=1000,9000&status=3000', (o) => [1000, 3000, 9000].includes(o.status)],
    ['store=QC0002&status=7500', (o) => o.store === 'QC0002' && o.status === 7500],
    ['store=QC0001,QC0002&status=1000,2000,7500', (o) => o.store !== 'QC0003' && [1000, 2000, 7500].includes(o.status)],
    ['customer=C-3', (o) => o.customer === 'C-3'],
    [
      'customer=C-3&store=QC0001,QC0002&status=1000,2000,3000,3500,3600,3700',
      (o) => o.customer === 'C-3' && o.store !== 'QC0003' && o.status < 7000,
    ],
    ['from=2026-11-21T08:30:00Z', (o) => micros(o.createdAt) >= micros('2026-11-21T08:30:00Z')],
    ['to=2026-11-21T08:30:00.000123Z', (o) => micros(o.createdAt) < micros('2026-11-21T08:30:00.000123Z')],
    ['to=2026-11-21T08:30:00.000124Z', (o) => micros(o.createdAt) < micros('2026-11-21T08:30:00.000124Z')],
    [
      'from=2026-11-21T08:10:00.000124Z&to=2026-11-21T15:50:00%2B07:00',
      (o) => micros(o.createdAt) >= micros('2026-11-21T08:10:00.000124Z') && micros(o.createdAt) < micros('2026-11-21T08:50:00Z'),
    ],
    ['minTotal=250', (o) => o.total != null && Number(o.total) >= 250],
    ['maxTotal=0.0001', (o) => o.total != null && Number(o.total) <= 0.0001],
    ['minTotal=99999999999999.9999', (o) => o.total === '99999999999999.9999'],
    [
      'minTotal=100.5&maxTotal=300&store=QC0003',
      (o) => o.total != null && Number(o.total) >= 100.5 && Number(o.total) <= 300 && o.store === 'QC0003',
    ],
    ['paymentStatus=Collected', (o) => o.paymentStatus === 'Collected'],
    ['paymentStatus=Failed,Reversed', (o) => o.paymentStatus === 'Failed' || o.paymentStatus === 'Reversed'],
    ['paymentStatus=5000&paymentStatus=Reconciled', (o) => o.paymentStatus === '5000' || o.paymentStatus === 'Reconciled'],
    ['store=QC0002&paymentStatus=5000', (o) => o.store === 'QC0002' && o.paymentStatus === '5000'],
    ['status=7500&paymentStatus=Collected', (o) => o.status === 7500 && o.paymentStatus === 'Collected'],
    [
      'store=QC0001,QC0002&status=1000,2000,7500&paymentStatus=5000,Collected',
      (o) => o.store !== 'QC0003' && [1000, 2000, 7500].includes(o.status) && ['5000', 'Collected'].includes(o.paymentStatus ?? ''),
    ],
    ['customer=C-3&paymentStatus=Failed', (o) => o.customer === 'C-3' && o.paymentStatus === 'Failed'],
    [
      'paymentStatus=Reconciled&maxTotal=300&from=2026-11-21T08:00:00Z',
      (o) =>
        o.paymentStatus === 'Reconciled' &&
        o.total != null &&
        Number(o.total) <= 300 &&
        micros(o.createdAt) >= micros('2026-11-21T08:00:00Z'),
    ],
  ];
  t.ok(
    PAYMENTS.concat('Reversed').every((payment) => FIXTURE.some((o) => (o.paymentStatus ?? null) === payment)),
    'every payment status an order can hold is in the fixture, and none',
  );
  for (const [query, predicate] of cases) {
    const { ids } = await walk(app, query, coordinator, 200);
    t.same(ids, expect(predicate), query || 'no filter');
  }
  const all = (await get<SearchBody>(app, '/api/v1/orders?limit=200', coordinator)).body;
  t.equal(all.orders.length, FIXTURE.length);
  const byId = new Map(FIXTURE.map((o) => [o.id, o]));
  const mismatches = all.orders.filter((order) => {
    const fixture = byId.get(order.orderId)!;
    const created = fixture.createdAt.replace(/(\.\d{3})\d+Z$/, '$1Z');
    return (
      order.shipFromLocationId !== fixture.store ||
      order.customerId !== fixture.customer ||
      order.status !== fixture.status ||
      order.paymentStatus !== (fixture.paymentStatus ?? null) ||
      order.orderTotal !== (fixture.total ?? null) ||
      order.createdAt !== created ||
      order.updatedAt !== new Date(Date.parse(created) + 60_000).toISOString()
    );
  });
  t.same(mismatches, [], 'every field as stored; amounts are the exact 4-decimal strings, times in milliseconds');
  t.same(
    all.orders.filter((o) => ['QC0003-0995', 'QC0001-0994', 'QC0002-0993'].includes(o.orderId)).map((o) => [o.orderId, o.orderTotal]),
    [
      ['QC0003-0995', '99999999999999.9999'],
      ['QC0002-0993', null],
      ['QC0001-0994', '0.0001'],
    ],
    'the largest amount NUMERIC(18,4) holds and the smallest come back whole; an unpriced order has a null total',
  );
  const named = (await get<SearchBody>(app, '/api/v1/orders?status=7300&limit=1', coordinator)).body.orders[0];
  t.same([named?.status, named?.statusName], [7300, 'Out for Delivery'], 'status names as §4 gives them');
});

t.test('pages walk every row exactly once, in order, with stable cursors, whatever path the query takes', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { app, client } = ctx;
  await insertOrders(client, FIXTURE);
  const expect = (predicate: (o: OrderFixture) => boolean) =>
    FIXTURE.filter(predicate)
      .sort(newestFirst)
      .map((o) => o.id);
  const walks: [string, (o: OrderFixture) => boolean][] = [
    ['', () => true],
    ['store=QC0001', (o) => o.store === 'QC0001'],
    ['store=QC0001,QC0002', (o) => o.store !== 'QC0003'],
    ['status=7500', (o) => o.status === 7500],
    ['status=1000,7500,9000', (o) => [1000, 7500, 9000].includes(o.status)],
    [
      'store=QC0001,QC0003&status=1000,2000,3000,7500,9000',
      (o) => o.store !== 'QC0002' && [1000, 2000, 3000, 7500, 9000].includes(o.status),
    ],
    ['customer=C-2', (o) => o.customer === 'C-2'],
    [
      'from=2026-11-21T08:00:00Z&maxTotal=400',
      (o) => micros(o.createdAt) >= micros('2026-11-21T08:00:00Z') && o.total != null && Number(o.total) <= 400,
    ],
    ['paymentStatus=5000,Collected', (o) => o.paymentStatus === '5000' || o.paymentStatus === 'Collected'],
    [
      'store=QC0001,QC0003&status=1000,3000,7500,9000&paymentStatus=Failed',
      (o) => o.store !== 'QC0002' && [1000, 3000, 7500, 9000].includes(o.status) && o.paymentStatus === 'Failed',
    ],
  ];
  for (const [query, predicate] of walks) {
    for (const limit of [1, 3, 7]) {
      const { ids, pages } = await walk(app, query, coordinator, limit);
      const expected = expect(predicate);
      t.same(ids, expected, `${query || 'no filter'}, limit ${limit}: every row once, in order`);
      t.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), 'no empty trailing page');
    }
  }
  // Many stores × statuses: the stores become a filter on the status ranges; the walk is the same.
  const manyStores = ['QC0001', 'QC0002', ...Array.from({ length: 60 }, (_, i) => `X${i}`)].join(',');
  const { ids: wide } = await walk(app, `store=${manyStores}&status=1000,7500`, coordinator, 100);
  t.same(
    wide,
    expect((o) => o.store !== 'QC0003' && [1000, 7500].includes(o.status)),
    'stores × statuses past the range budget',
  );

  const first = (await get<SearchBody>(app, '/api/v1/orders?store=QC0002&limit=5', coordinator)).body;
  const again = (await get<SearchBody>(app, '/api/v1/orders?store=QC0002&limit=5', coordinator)).body;
  t.equal(again.nextCursor, first.nextCursor, 'the same page gives the same cursor');
  const second = await get<SearchBody>(app, `/api/v1/orders?store=QC0002&limit=5&cursor=${first.nextCursor}`, coordinator);
  const secondAgain = await get(app, `/api/v1/orders?store=QC0002&limit=5&cursor=${first.nextCursor}`, coordinator);
  t.same(secondAgain.body, second.body, 'a cursor used twice gives the same page');
  const otherSize = (await get<SearchBody>(app, `/api/v1/orders?store=QC0002&limit=7&cursor=${first.nextCursor}`, coordinator)).body;
  t.same(otherSize.orders.slice(0, 5), second.body.orders, 'the page size may change along the way');

  await insertOrders(client, [{ id: 'QC0002-9999', store: 'QC0002', status: 1000, createdAt: '2026-11-22T00:00:00Z' }]);
  const afterInsert = await get(app, `/api/v1/orders?store=QC0002&limit=5&cursor=${first.nextCursor}`, coordinator);
  t.same(afterInsert.body, second.body, 'a newer order does not shift the pages after a cursor');
});

t.test('garbage, altered and foreign cursors are refused with 400 INVALID_CURSOR', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { app, client } = ctx;
  await insertOrders(client, FIXTURE);
  const { nextCursor } = (await get<SearchBody>(app, '/api/v1/orders?store=QC0001&status=7500,9000&limit=2', coordinator)).body;
  t.type(nextCursor, 'string');
  const cursor = nextCursor!;
  const flipped = cursor.slice(0, 30) + (cursor[30] === 'A' ? 'B' : 'A') + cursor.slice(31);
  const payload = Buffer.from(cursor, 'base64url');
  const edited = Buffer.from(payload.toString('latin1').replace('QC0001', 'QC0002'), 'latin1').toString('base64url');
  const bad = ['garbage', 'AAAA', flipped, cursor.slice(0, -3), edited, `${cursor}xyz`, 'not base64!', 'x'.repeat(600)];
  for (const value of bad) {
    const { status, body } = await get(
      app,
      `/api/v1/orders?store=QC0001&status=7500,9000&limit=2&cursor=${encodeURIComponent(value)}`,
      coordinator,
    );
    t.same([status, body.error?.code], [400, 'INVALID_CURSOR'], `refused: ${value.slice(0, 40)}`);
  }
  const ok = await get(app, `/api/v1/orders?status=9000,7500&store=QC0001&limit=2&cursor=${cursor}`, coordinator);
  t.equal(ok.status, 200, 'the same filters in another order and spelling are the same search');
  for (const other of [
    'store=QC0002&status=7500,9000',
    'store=QC0001&status=7500',
    'store=QC0001&status=7500,9000&customer=C-1',
    'store=QC0001&status=7500,9000&minTotal=1',
    'status=7500,9000',
    'store=QC0001&status=7500,9000&from=2020-01-01T00:00:00Z',
    'store=QC0001&status=7500,9000&paymentStatus=5000',
  ]) {
    const { status, body } = await get(app, `/api/v1/orders?${other}&limit=2&cursor=${cursor}`, coordinator);
    t.same([status, body.error?.code], [400, 'INVALID_CURSOR'], `a cursor with other filters: ${other}`);
    t.match(body.error?.message, /other filters/);
  }
  // A payment status filter ties the cursor too, whatever order or spelling the statuses are given in.
  const paid = (await get<SearchBody>(app, '/api/v1/orders?paymentStatus=Collected,5000&limit=2', coordinator)).body.nextCursor;
  t.type(paid, 'string');
  const respelled = await get(app, `/api/v1/orders?paymentStatus=5000&paymentStatus=Collected&limit=2&cursor=${paid}`, coordinator);
  t.equal(respelled.status, 200, 'the same payment statuses in another order and spelling are the same search');
  const widened = await get(app, `/api/v1/orders?paymentStatus=5000&limit=2&cursor=${paid}`, coordinator);
  t.same([widened.status, widened.body.error?.code], [400, 'INVALID_CURSOR'], 'other payment statuses: another search');
  const unfiltered = await get(app, `/api/v1/orders?limit=2&cursor=${paid}`, coordinator);
  t.same([unfiltered.status, unfiltered.body.error?.code], [400, 'INVALID_CURSOR'], 'no payment status: another search');

  const otherSecret = await testApp(t, searchRoutes(ctx.db, { cursorSecret: 'another key' }));
  t.equal(
    (await get(otherSecret, `/api/v1/orders?store=QC0001&status=7500,9000&limit=2&cursor=${cursor}`, coordinator)).status,
    400,
    'a replica with another key refuses it',
  );
});

t.test('bad filters are 400 with a code naming the filter; no principal is 401', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { app } = ctx;
  const cases: [string, string][] = [
    ['status=1234', 'INVALID_STATUS'],
    ['status=open', 'INVALID_STATUS'],
    ['status=1000,,2000', 'INVALID_STATUS'],
    ['store=', 'INVALID_STORE'],
    ['store=QC1,,QC2', 'INVALID_STORE'],
    [`store=${Array.from({ length: 101 }, (_, i) => `S${i}`).join(',')}`, 'INVALID_STORE'],
    [`store=${'x'.repeat(101)}`, 'INVALID_STORE'],
    ['from=yesterday', 'INVALID_FROM'],
    ['from=2026-11-21', 'INVALID_FROM'],
    ['from=2026-02-30T00:00:00Z', 'INVALID_FROM'],
    ['to=2026-11-21T09:00:00', 'INVALID_TO'],
    ['to=2026-11-21T25:00:00Z', 'INVALID_TO'],
    ['from=2026-11-21T09:00:00Z&to=2026-11-21T09:00:00Z', 'INVALID_TIME_RANGE'],
    ['minTotal=1.23456', 'INVALID_AMOUNT'],
    ['maxTotal=abc', 'INVALID_AMOUNT'],
    ['maxTotal=1e3', 'INVALID_AMOUNT'],
    ['minTotal=123456789012345', 'INVALID_AMOUNT'],
    ['minTotal=10&maxTotal=9.9999', 'INVALID_AMOUNT_RANGE'],
    ['limit=0', 'INVALID_LIMIT'],
    ['limit=201', 'INVALID_LIMIT'],
    ['limit=ten', 'INVALID_LIMIT'],
    ['limit=1.5', 'INVALID_LIMIT'],
    ['customer=', 'INVALID_CUSTOMER'],
    [`customer=${'c'.repeat(201)}`, 'INVALID_CUSTOMER'],
    ['paymentStatus=Paid', 'INVALID_PAYMENT_STATUS'],
    ['paymentStatus=collected', 'INVALID_PAYMENT_STATUS'],
    ['paymentStatus=', 'INVALID_PAYMENT_STATUS'],
    ['paymentStatus=5000,,Collected', 'INVALID_PAYMENT_STATUS'],
    ['paymentStatus=Collected&paymentStatus=Unknown', 'INVALID_PAYMENT_STATUS'],
    // An event's status, never an order's own (contract §4, Reading 95).
    ['paymentStatus=Refunded', 'INVALID_PAYMENT_STATUS'],
  ];
  for (const [query, code] of cases) {
    const { status, body } = await get(app, `/api/v1/orders?${query}`, coordinator);
    t.same([status, body.error?.code], [400, code], `${query.slice(0, 60)} → ${code}`);
    t.type(body.error?.message, 'string');
    if (code === 'INVALID_PAYMENT_STATUS') t.match(body.error?.message, /paymentStatus/, 'the message names the field');
  }
  t.same((await get(app, '/api/v1/orders?minTotal=-5&maxTotal=-0.5&limit=200', coordinator)).status, 200, 'negative amounts are amounts');
  const missing = await get(app, '/api/v1/orders', undefined);
  t.same([missing.status, missing.body.error?.code], [401, 'TOKEN_MISSING']);
});

t.test('a store role only ever sees its own stores', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { app, client } = ctx;
  await insertOrders(client, FIXTURE);
  const mine = storeStaff('QC0002');
  const own = FIXTURE.filter((o) => o.store === 'QC0002')
    .sort(newestFirst)
    .map((o) => o.id);
  t.same((await walk(app, '', mine, 7)).ids, own, 'no filter: its store only, every row once');
  t.same((await walk(app, 'store=QC0001,QC0002,QC0003', mine, 5)).ids, own, 'naming other stores narrows to its own');
  const other = await get(app, '/api/v1/orders?store=QC0001', mine);
  t.same([other.status, other.body], [200, { orders: [], nextCursor: null }], "another store's filter is an empty page, not an error");
  const byCustomer = await walk(app, 'customer=C-3', mine, 50);
  t.same(
    byCustomer.ids,
    FIXTURE.filter((o) => o.store === 'QC0002' && o.customer === 'C-3')
      .sort(newestFirst)
      .map((o) => o.id),
    "a customer's orders at other stores stay hidden",
  );
  const byStatus = await walk(app, 'status=1000,2000,3000,7500', mine, 3);
  t.ok(byStatus.ids.length > 0 && byStatus.ids.every((id) => id.startsWith('QC0002-')), 'status filters stay within its store');
  t.same(
    (await walk(app, 'store=QC0001,QC0002&paymentStatus=Failed', mine, 4)).ids,
    FIXTURE.filter((o) => o.store === 'QC0002' && o.paymentStatus === 'Failed')
      .sort(newestFirst)
      .map((o) => o.id),
    'a payment status filter stays within its store',
  );
  t.same(
    (await walk(app, '', storeStaff('QC0001', 'QC0003'), 9)).ids,
    FIXTURE.filter((o) => o.store !== 'QC0002')
      .sort(newestFirst)
      .map((o) => o.id),
    'two stores in the claim',
  );
  t.same((await get(app, '/api/v1/orders', storeStaff())).body, { orders: [], nextCursor: null }, 'an empty claim sees nothing');

  // A coordinator's cursor replayed by a store role continues the same search, still only over its stores.
  const { nextCursor } = (await get<SearchBody>(app, '/api/v1/orders?limit=2', coordinator)).body;
  const replayed = (await get<SearchBody>(app, `/api/v1/orders?limit=200&cursor=${nextCursor}`, mine)).body;
  t.ok(
    replayed.orders.every((o) => o.shipFromLocationId === 'QC0002'),
    'a cursor never widens what a caller sees',
  );
});
