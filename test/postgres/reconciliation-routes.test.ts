import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import t, { type Test } from 'tap';
import { reconciliationRoutes, type RegionStore } from '../../query-service/reconciliation-routes.js';
import { migratedDatabase } from './harness.js';
import { coordinator, get, insertOrders, storeStaff, testApp } from './query-harness.js';

const NOW = new Date('2026-11-24T12:00:00.000Z');

let offset = 0;

interface ExceptionFixture {
  order: string;
  kind: 'MISSING' | 'SHORT' | 'OVER';
  expected: string;
  collected: string | null;
  difference: string;
}

/** A report as the sink writes it: one reconciliation_runs row and one reconciliation_exceptions row per exception. */
async function insertRun(
  client: pg.Client,
  store: string,
  day: string,
  cutOffAt: string,
  reconciled: [number, string],
  exceptions: ExceptionFixture[],
  totals: [string, string],
): Promise<void> {
  const at = new Date(Date.parse(cutOffAt) + 30_000).toISOString();
  const position = offset++;
  await client.query(`INSERT INTO reconciliation_runs VALUES (0, $1, $2, $3, 'Asia/Bangkok', $4, $5, $6, $7, $8, $9, $10)`, [
    position,
    store,
    day,
    cutOffAt,
    reconciled[0],
    reconciled[1],
    exceptions.length,
    totals[0],
    totals[1],
    at,
  ]);
  for (const [index, e] of exceptions.entries()) {
    await client.query(`INSERT INTO reconciliation_exceptions VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      position,
      index,
      store,
      day,
      cutOffAt,
      e.order,
      e.kind,
      e.expected,
      e.collected,
      e.difference,
      '2026-11-21T05:00:00Z',
      e.collected === null ? null : '2026-11-21T05:01:00Z',
      at,
    ]);
  }
}

async function reconciledPayment(client: pg.Client, order: string, store: string, amount: string, at: string): Promise<void> {
  await client.query(`INSERT INTO payments VALUES (0, $1, $2, $3, 'COD', 'Reconciled', $4, $5)`, [offset++, order, store, amount, at]);
}

async function setup(t: Test): Promise<{ client: pg.Client; app: FastifyInstance } | undefined> {
  const database = await migratedDatabase(t);
  if (!database) return undefined;
  const app = await testApp(t, reconciliationRoutes(database.db, { now: () => NOW }));
  return { client: database.client, app };
}

const missing = (order: string, expected: string): ExceptionFixture => ({
  order,
  kind: 'MISSING',
  expected,
  collected: null,
  difference: `-${expected}`,
});

/**
 * QC0001: day 21 (MISSING M-1, SHORT S-1), day 22 (M-1 again, OVER O-1), day 23 (nothing but reconciled orders;
 * M-1 reconciled at that run). QC0002: day 22 (SHORT S-2), and day 22 reported twice: the later run stands.
 * QC0003: day 21 only.
 */
async function fixtures(client: pg.Client): Promise<void> {
  await insertRun(
    client,
    'QC0001',
    '2026-11-21',
    '2026-11-21T16:00:00Z',
    [2, '40.0000'],
    [missing('M-1', '20.0000'), { order: 'S-1', kind: 'SHORT', expected: '30.0000', collected: '25.5000', difference: '-4.5000' }],
    ['90.0000', '65.5000'],
  );
  await insertRun(
    client,
    'QC0001',
    '2026-11-22',
    '2026-11-22T16:00:00Z',
    [1, '10.0000'],
    [missing('M-1', '20.0000'), { order: 'O-1', kind: 'OVER', expected: '5.0000', collected: '6.0000', difference: '1.0000' }],
    ['35.0000', '16.0000'],
  );
  await insertRun(client, 'QC0001', '2026-11-23', '2026-11-23T16:00:00Z', [2, '30.0000'], [], ['30.0000', '30.0000']);
  await reconciledPayment(client, 'M-1', 'QC0001', '20.0000', '2026-11-23T16:00:30Z');
  await insertRun(client, 'QC0002', '2026-11-22', '2026-11-22T15:00:00Z', [0, '0.0000'], [missing('X-9', '1.0000')], ['1.0000', '0.0000']);
  await insertRun(
    client,
    'QC0002',
    '2026-11-22',
    '2026-11-22T16:00:00Z',
    [1, '7.0000'],
    [{ order: 'S-2', kind: 'SHORT', expected: '12.0000', collected: '2.0000', difference: '-10.0000' }],
    ['19.0000', '9.0000'],
  );
  await insertRun(client, 'QC0003', '2026-11-21', '2026-11-21T16:00:00Z', [3, '60.0000'], [], ['60.0000', '60.0000']);
}

interface StoreReply {
  storeId: string;
  day: string | null;
  runs: Array<{
    businessDay: string;
    cutOffAt: string;
    reconciledOrders: number;
    reconciledAmount: string;
    exceptionCount: number;
    expectedTotal: string;
    collectedTotal: string;
    timeZone: string;
    at: string;
  }>;
  exceptions: Array<{
    orderId: string;
    kind: string;
    expectedAmount: string;
    collectedAmount: string | null;
    difference: string;
    businessDay: string;
    cutOffAt: string;
    open: boolean;
    deliveredAt: string | null;
    collectedAt: string | null;
  }>;
}
interface RegionReply {
  day: string | null;
  stores: RegionStore[];
  totals: {
    stores: number;
    reconciledOrders: number;
    reconciledAmount: string;
    expectedTotal: string;
    collectedTotal: string;
    exceptions: RegionStore['exceptions'];
  };
}

t.test("one store's reconciliation: a day's runs and exceptions, each open unless reported again or reconciled since", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await fixtures(client);

  const day21 = await get<StoreReply>(app, '/api/v1/stores/QC0001/reconciliation?day=2026-11-21', coordinator);
  t.equal(day21.status, 200);
  t.same(day21.body.runs, [
    {
      businessDay: '2026-11-21',
      timeZone: 'Asia/Bangkok',
      cutOffAt: '2026-11-21T16:00:00.000Z',
      at: '2026-11-21T16:00:30.000Z',
      reconciledOrders: 2,
      reconciledAmount: '40.0000',
      exceptionCount: 2,
      expectedTotal: '90.0000',
      collectedTotal: '65.5000',
    },
  ]);
  t.same(
    day21.body.exceptions.map((e) => [e.orderId, e.kind, e.expectedAmount, e.collectedAmount, e.difference, e.open]),
    [
      ['M-1', 'MISSING', '20.0000', null, '-20.0000', false],
      ['S-1', 'SHORT', '30.0000', '25.5000', '-4.5000', true],
    ],
    'M-1 was reported again the next day (and reconciled later); S-1 is still open',
  );
  t.match(day21.body.exceptions[0], {
    deliveredAt: '2026-11-21T05:00:00.000Z',
    collectedAt: null,
    businessDay: '2026-11-21',
    cutOffAt: '2026-11-21T16:00:00.000Z',
  });

  const day22 = await get<StoreReply>(app, '/api/v1/stores/QC0001/reconciliation?day=2026-11-22', coordinator);
  t.same(
    day22.body.exceptions.map((e) => [e.orderId, e.open]),
    [
      ['M-1', false],
      ['O-1', true],
    ],
    'M-1 was reconciled at the run of the 23rd',
  );

  const latest = await get<StoreReply>(app, '/api/v1/stores/QC0001/reconciliation', coordinator);
  t.equal(latest.body.day, '2026-11-23', 'without a day: the latest run');
  t.same([latest.body.runs.length, latest.body.exceptions.length], [1, 0]);

  const twice = await get<StoreReply>(app, '/api/v1/stores/QC0002/reconciliation?day=2026-11-22', coordinator);
  t.same(
    twice.body.runs.map((run) => run.cutOffAt),
    ['2026-11-22T15:00:00.000Z', '2026-11-22T16:00:00.000Z'],
    'a day reported twice: both runs, oldest first',
  );
  t.same(
    twice.body.exceptions.map((e) => e.orderId),
    ['X-9', 'S-2'],
  );

  t.same(
    (await get<StoreReply>(app, '/api/v1/stores/QC0001/reconciliation?day=2026-11-30', coordinator)).body,
    { storeId: 'QC0001', day: '2026-11-30', runs: [], exceptions: [] },
    'a day without a run',
  );
  t.same(
    (await get<StoreReply>(app, '/api/v1/stores/QC0404/reconciliation', coordinator)).body,
    { storeId: 'QC0404', day: null, runs: [], exceptions: [] },
    'a store without runs',
  );
});

t.test('store scope and bad input: 404 outside the claim, 400 for a day that is not a date, 401 without a principal', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await fixtures(client);
  t.equal((await get(app, '/api/v1/stores/QC0001/reconciliation', storeStaff('QC0001'))).status, 200, 'its own store');
  const other = await get(app, '/api/v1/stores/QC0002/reconciliation', storeStaff('QC0001'));
  t.same(other, { status: 404, body: { error: { code: 'STORE_NOT_FOUND', message: 'no store "QC0002"' } } });
  for (const day of ['2026-11-31', '2026-02-30', '21-11-2026', 'yesterday']) {
    const bad = await get(app, `/api/v1/stores/QC0001/reconciliation?day=${day}`, coordinator);
    t.match(bad, { status: 400, body: { error: { code: 'INVALID_DAY' } } }, `day=${day}`);
    t.match(await get(app, `/api/v1/region/reconciliation?day=${day}`, coordinator), {
      status: 400,
      body: { error: { code: 'INVALID_DAY' } },
    });
  }
  t.match(await get(app, '/api/v1/stores/QC0001/reconciliation', undefined), { status: 401, body: { error: { code: 'TOKEN_MISSING' } } });
  t.match(await get(app, '/api/v1/region/reconciliation', undefined), { status: 401 });
  t.match(await get(app, '/api/v1/releases/awaiting-slick', undefined), { status: 401 });
});

t.test('the region: per visible store the day’s run with exceptions by kind, most exceptions first, and the totals', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  await fixtures(client);

  const day22 = await get<RegionReply>(app, '/api/v1/region/reconciliation?day=2026-11-22', coordinator);
  t.equal(day22.status, 200);
  t.same(
    day22.body.stores.map((store) => [store.storeId, store.cutOffAt, store.exceptions]),
    [
      [
        'QC0001',
        '2026-11-22T16:00:00.000Z',
        { count: 2, missing: 1, short: 0, over: 1, expectedAmount: '25.0000', collectedAmount: '6.0000', difference: '-19.0000' },
      ],
      [
        'QC0002',
        '2026-11-22T16:00:00.000Z',
        { count: 1, missing: 0, short: 1, over: 0, expectedAmount: '12.0000', collectedAmount: '2.0000', difference: '-10.0000' },
      ],
    ],
    'QC0002 by its later run of the day; most exceptions first; QC0003 had no run that day',
  );
  t.same(day22.body.totals, {
    stores: 2,
    reconciledOrders: 2,
    reconciledAmount: '17.0000',
    expectedTotal: '54.0000',
    collectedTotal: '25.0000',
    exceptions: { count: 3, missing: 1, short: 1, over: 1, expectedAmount: '37.0000', collectedAmount: '8.0000', difference: '-29.0000' },
  });

  const day21 = await get<RegionReply>(app, '/api/v1/region/reconciliation?day=2026-11-21', coordinator);
  t.same(
    day21.body.stores.map((store) => [store.storeId, store.exceptions.count, store.exceptions.difference]),
    [
      ['QC0001', 2, '-24.5000'],
      ['QC0003', 0, '0.0000'],
    ],
  );

  const latest = await get<RegionReply>(app, '/api/v1/region/reconciliation', coordinator);
  t.equal(latest.body.day, '2026-11-23', 'without a day: the latest day any visible store has a run for');
  t.same(
    latest.body.stores.map((store) => store.storeId),
    ['QC0001'],
  );

  const staff = await get<RegionReply>(app, '/api/v1/region/reconciliation', storeStaff('QC0002', 'QC0003'));
  t.equal(staff.body.day, '2026-11-22', 'a store role: the latest day among its own stores');
  t.same(
    staff.body.stores.map((store) => store.storeId),
    ['QC0002'],
    'only its stores',
  );

  const nobody = await get<RegionReply>(app, '/api/v1/region/reconciliation', storeStaff());
  t.same(
    nobody.body,
    {
      day: null,
      stores: [],
      totals: {
        stores: 0,
        reconciledOrders: 0,
        reconciledAmount: '0.0000',
        expectedTotal: '0.0000',
        collectedTotal: '0.0000',
        exceptions: { count: 0, missing: 0, short: 0, over: 0, expectedAmount: '0.0000', collectedAmount: '0.0000', difference: '0.0000' },
      },
    },
    'a claim with no stores sees nothing',
  );
});

interface AwaitingReply {
  asOf: string;
  total: number;
  releases: Array<{
    releaseId: string;
    orderId: string;
    storeId: string;
    releasedAt: string;
    ageSeconds: number;
    orderStatus: number | null;
    orderStatusName: string | null;
    calls: number;
    lastAttempt: number | null;
    lastOutcome: string | null;
    lastHttpStatus: number | null;
    lastError: string | null;
    lastAt: string | null;
  }>;
}

t.test('releases awaiting Slick: the manual-action list, oldest first, store-scoped, with the last call', async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const { client, app } = ctx;
  const released = [
    ['A-1', 'QC0001', '2026-11-24T08:00:00Z', 3000],
    ['A-2', 'QC0001', '2026-11-24T09:00:00Z', 9000],
    ['A-3', 'QC0001', '2026-11-24T07:00:00Z', 3000],
    ['B-1', 'QC0002', '2026-11-24T06:00:00Z', 3000],
    ['B-2', 'QC0002', '2026-11-24T10:00:00Z', 3500],
  ] as const;
  await insertOrders(
    client,
    released.map(([id, store, at, status]) => ({ id, store, status, createdAt: at })),
  );
  for (const [id, store, at] of released) {
    await client.query(`INSERT INTO releases VALUES ($1, $2, $3, 'COD', NULL, 1, 10, 0, 0, 0, 0, 10, 10, $4)`, [
      `REL-${id}`,
      id,
      store,
      at,
    ]);
  }
  const call = (
    order: string,
    store: string,
    attempt: number,
    outcome: string,
    status: number | null,
    error: string | null,
    at: string,
    action = 'SEND_RELEASE',
  ) =>
    client.query('INSERT INTO fulfillment_interactions VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)', [
      offset++,
      action === 'SEND_RELEASE' ? `REL-${order}` : null,
      order,
      store,
      action,
      attempt,
      outcome,
      status,
      error,
      at,
    ]);
  await call('A-1', 'QC0001', 1, 'FAILED', 503, 'Slick answered 503', '2026-11-24T08:00:01Z');
  await call('A-1', 'QC0001', 0, 'CIRCUIT_OPEN', null, 'circuit open', '2026-11-24T08:00:02Z');
  await call('A-3', 'QC0001', 1, 'ACCEPTED', 201, null, '2026-11-24T07:00:01Z'); // taken
  await call('B-1', 'QC0002', 1, 'FAILED', null, 'timeout', '2026-11-24T06:00:05Z');
  await call('B-1', 'QC0002', 2, 'DUPLICATE', 409, null, '2026-11-24T06:00:09Z'); // taken: Slick had it
  await call('B-2', 'QC0002', 1, 'ACCEPTED', 201, null, '2026-11-24T10:00:01Z', 'CONFIRM_COLLECTION'); // not a release call

  const all = await get<AwaitingReply>(app, '/api/v1/releases/awaiting-slick', coordinator);
  t.equal(all.status, 200);
  t.same(all.body, {
    asOf: NOW.toISOString(),
    total: 3,
    releases: [
      {
        releaseId: 'REL-A-1',
        orderId: 'A-1',
        storeId: 'QC0001',
        releasedAt: '2026-11-24T08:00:00.000Z',
        ageSeconds: 14_400,
        orderStatus: 3000,
        orderStatusName: 'Released',
        calls: 2,
        lastAttempt: 0,
        lastOutcome: 'CIRCUIT_OPEN',
        lastHttpStatus: null,
        lastError: 'circuit open',
        lastAt: '2026-11-24T08:00:02.000Z',
        refused: false,
        parked: null,
      },
      {
        releaseId: 'REL-A-2',
        orderId: 'A-2',
        storeId: 'QC0001',
        releasedAt: '2026-11-24T09:00:00.000Z',
        ageSeconds: 10_800,
        orderStatus: 9000,
        orderStatusName: 'Cancelled',
        calls: 0,
        lastAttempt: null,
        lastOutcome: null,
        lastHttpStatus: null,
        lastError: null,
        lastAt: null,
        refused: false,
        parked: null,
      },
      {
        releaseId: 'REL-B-2',
        orderId: 'B-2',
        storeId: 'QC0002',
        releasedAt: '2026-11-24T10:00:00.000Z',
        ageSeconds: 7_200,
        orderStatus: 3500,
        orderStatusName: 'Picking',
        calls: 0,
        lastAttempt: null,
        lastOutcome: null,
        lastHttpStatus: null,
        lastError: null,
        lastAt: null,
        refused: false,
        parked: null,
      },
    ],
  });

  const limited = await get<AwaitingReply>(app, '/api/v1/releases/awaiting-slick?limit=1', coordinator);
  t.same([limited.body.total, limited.body.releases.map((r) => r.orderId)], [3, ['A-1']], 'limit cuts the list, total counts it all');
  const staff = await get<AwaitingReply>(app, '/api/v1/releases/awaiting-slick', storeStaff('QC0002'));
  t.same(
    staff.body.releases.map((r) => r.orderId),
    ['B-2'],
    'a store role sees its stores only',
  );
  t.same(
    (await get<AwaitingReply>(app, '/api/v1/releases/awaiting-slick?store=QC0001', coordinator)).body.releases.map((r) => r.orderId),
    ['A-1', 'A-2'],
  );
  t.same(await get(app, '/api/v1/releases/awaiting-slick?store=QC0001', storeStaff('QC0002')), {
    status: 404,
    body: { error: { code: 'STORE_NOT_FOUND', message: 'no store "QC0001"' } },
  });
  t.match(await get(app, '/api/v1/releases/awaiting-slick?limit=0', coordinator), {
    status: 400,
    body: { error: { code: 'INVALID_LIMIT' } },
  });
  t.match(await get(app, '/api/v1/releases/awaiting-slick?limit=5000', coordinator), {
    status: 400,
    body: { error: { code: 'INVALID_LIMIT' } },
  });
  t.same(
    (await get<AwaitingReply>(app, '/api/v1/releases/awaiting-slick', storeStaff())).body.releases,
    [],
    'no stores in the claim: nothing',
  );
});
