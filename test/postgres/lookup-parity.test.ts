/**
 * One order state, looked up in the replica's store and in the tables the sink wrote it to, is one view: deep-equal
 * from `viewOfState` and `viewFromPostgres`, and the same JSON from the lookup route whichever source answers. The
 * states cover what a store person asks about: delivered with carrier, tracking id and ETA, cash collected, lines
 * shorted (whole and in part, one line twice), a bundle, notes in history (collection, shorts, a modification, an
 * event ignored), a modified address, a held order, an order cancelled before it was priced. Each state goes through
 * the `orders` store's own serde and the sink's batch writer, an earlier version of it first (the history and sets
 * are rewritten, not appended).
 */
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { note, openOrder, type OrderState, type PricedLine, transition } from '../../processors/order-state.js';
import type { OrderStatusCode } from '../../processors/domain/types.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { BatchWriter } from '../../sinks/batch-writer.js';
import { loadOffsets } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { changelogTopic } from '../../state/store-definition.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { Stores } from '../../topology/topics.js';
import type { LocalOrders } from '../../query-service/local-orders.js';
import { orderLookupRoutes } from '../../query-service/order-lookup-routes.js';
import { type OrderView, viewFromPostgres, viewOfState } from '../../query-service/order-view.js';
import type { Principal } from '../../query-service/principal.js';
import { orderCreate } from '../unit/avro/examples.js';
import { migratedDatabase } from './harness.js';
import { get, storeStaff, testApp } from './query-harness.js';

const APP = 'parity';
const CHANGELOG = changelogTopic(APP, Stores.orders);
const sources = sinkSources({ applicationId: APP, topicPrefix: '', serdes: serdeConfig({}) });
const serde = orderSerdes(serdeConfig({}), '').store(Stores.orders);
/** The state as the replica reads it back from its store. */
const stored = (state: OrderState): OrderState => serde.deserialize(serde.serialize(state)) as OrderState;

const priced = (
  id: string,
  item: string,
  quantity: number,
  unitPrice: string,
  amount: string,
  extra: Partial<PricedLine> = {},
): PricedLine => ({
  LineID: id,
  ItemID: item,
  Quantity: quantity,
  UnitPrice: unitPrice,
  LineAmount: amount,
  LineDiscount: '0.0000',
  LineTax: '0.0000',
  BundleGroupID: null,
  ShortDescription: `item ${item}`,
  ImageURL: null,
  ...extra,
});
const orderLine = (id: string, item: string, quantity: number, unitPrice: string, taxRate: string, bundleId: string | null = null) => ({
  ...orderCreate.OrderLines![0]!,
  LineID: id,
  ItemID: item,
  Quantity: quantity,
  UnitPrice: unitPrice,
  TaxRate: taxRate,
  Discounts: [],
  InformationalTaxes: [],
  BundleID: bundleId,
});
const totals = (total: string) => ({
  SubTotal: total,
  TotalDiscount: '0.0000',
  TotalTaxes: '0.0000',
  InformationalTaxes: '0.0000',
  TotalCharges: '0.0000',
  OrderTotal: total,
});
/** `state` moved through `steps` (status, reason, source), a minute apart from `at`. */
function through(state: OrderState, steps: ReadonlyArray<[OrderStatusCode, string, string]>, at: number): OrderState {
  return steps.reduce(
    (current, [to, reason, source], i) => transition(current, to, reason, source, new Date(at + i * 60_000).toISOString()).state,
    state,
  );
}

// Eleven lines, so that the order's own line order ("2" before "10") is not line_id's text order; line 3 names a
// bundle and is priced in it with line 4; line 2 is tax-free.
const lineIds = Array.from({ length: 11 }, (_, i) => String(i + 1));
const deliveredOrder = {
  ...orderCreate,
  OrderID: 'QC0042-PARITY-1',
  CreatedAt: '2026-11-21T09:15:00Z',
  OrderLines: lineIds.map((id) => orderLine(id, `SKU-${id}00`, 2, '10.5', id === '2' ? '0' : '0.07', id === '3' ? 'B-BREAKFAST' : null)),
};
const opened = openOrder(deliveredOrder, 'hash-1', '2026-11-21T09:15:01.250Z').state;
const pricedLines = lineIds.map((id) =>
  priced(id, `SKU-${id}00`, 2, '10.5', '21.0000', {
    LineTax: id === '2' ? '0.0000' : '1.4700',
    ...(id === '3' || id === '4' ? { BundleGroupID: 'B-BREAKFAST#1', LineDiscount: '2.1000' } : {}),
  }),
);
const delivered: OrderState = note(
  {
    ...through(
      { ...opened, Lines: pricedLines, Totals: totals('231.0000'), PaymentStatus: '5000', ReleaseID: 'REL-QC0042-PARITY-1' },
      [
        [2000, 'FORCE_ALLOCATED', 'allocate'],
        [3000, 'RELEASED', 'release'],
        [3500, 'PICKING', 'slick'],
        [3600, 'PICKED', 'slick'],
        [3700, 'PACKED', 'slick'],
        [7000, 'SHIPPED', 'slick'],
        [7100, 'HANDED_OVER', 'grab'],
        [7500, 'DELIVERED', 'grab'],
      ],
      Date.parse('2026-11-21T09:16:00Z'),
    ),
    Carrier: 'GRAB',
    TrackingID: 'GRAB-7781',
    // As Slick sent it, in Bangkok time: shown in UTC by both sources.
    EstimatedDelivery: '2026-11-21T18:30:00+07:00',
    DeliveredAt: '2026-11-21T11:02:03.123456Z',
    CollectedAmount: '230.0000',
    CollectedAt: '2026-11-21T11:02:09.5Z',
    PaymentStatus: 'Collected',
  },
  'COLLECTED 230.0000 by GRAB: SHORT against 231.0000, a reconciliation exception',
  'grab',
  '2026-11-21T11:02:10Z',
);

// Shorted: 1 of line 2's 3 units, then all of line 3, then another unit of line 2 (one line shorted twice); a
// substitution after shipping ignored.
const shortOrder = {
  ...orderCreate,
  OrderID: 'QC0042-PARITY-2',
  T1MembershipID: null,
  T1Number: null,
  CustomerID: null,
  OrderLines: [orderLine('1', 'SKU-100', 1, '35.5', '0.07'), orderLine('2', 'SKU-200', 1, '12', '0.07')],
};
const shortOpened = through(
  {
    ...openOrder(shortOrder, 'hash-2', '2026-11-21T10:00:00Z').state,
    Lines: [priced('1', 'SKU-100', 1, '35.5', '35.5000'), priced('2', 'SKU-200', 1, '12', '12.0000')],
    Totals: totals('47.5000'),
  },
  [
    [2000, 'FORCE_ALLOCATED', 'allocate'],
    [3000, 'RELEASED', 'release'],
  ],
  Date.parse('2026-11-21T10:00:01Z'),
);
const shorted: OrderState = note(
  through(
    note(
      note(
        {
          ...shortOpened,
          ShortedLines: [
            priced('2', 'SKU-200', 1, '12', '12.0000'),
            priced('3', 'SKU-300', 2, '8', '16.0000', { BundleGroupID: 'B-X#1', ImageURL: 'https://cdn.example.com/sku-300.jpg' }),
            priced('2', 'SKU-200', 1, '12', '12.0000'),
          ],
        },
        'SHORT: 1 units of line 2; OrderTotal 59.5000 → 47.5000',
        'slick',
        '2026-11-21T10:05:00Z',
      ),
      'SHORT: line 3 (bundle group B-X#1); 1 units of line 2; OrderTotal 47.5000 → 35.5000',
      'slick',
      '2026-11-21T10:06:00Z',
    ),
    [[7000, 'SHIPPED', 'slick']],
    Date.parse('2026-11-21T10:10:00Z'),
  ),
  'OUT_OF_ORDER: SUBSTITUTION ignored at 7000; lines change only between Released (3000) and shipping (7000)',
  'slick',
  '2026-11-21T10:11:00Z',
);

// Held, its address changed by a clerk (no phone now, no province), its lines unchanged.
const heldOrder = { ...orderCreate, OrderID: 'QC0042-PARITY-3', OrderLines: [orderLine('1', 'SKU-100', 2, '35.5', '0.0700')] };
const heldOpened = {
  ...through(
    {
      ...openOrder(heldOrder, 'hash-3', '2026-11-21T08:00:00Z').state,
      Lines: [priced('1', 'SKU-100', 2, '35.5', '71.0000', { LineTax: '4.9700' })],
      Totals: totals('75.9700'),
    },
    [[2000, 'FORCE_ALLOCATED', 'allocate']],
    Date.parse('2026-11-21T08:00:01Z'),
  ),
  ReleaseDueAt: '2026-11-21T09:00:00Z',
};
const modified: OrderState = note(
  {
    ...heldOpened,
    Order: {
      ...heldOpened.Order,
      DeliveryAddress: { Line1: '99 Rama IV Rd', District: 'Pathum Wan', Province: null, PostalCode: '10330', Phone: null },
    },
  },
  'MODIFIED: customer moved',
  'update',
  '2026-11-21T08:10:00Z',
  2000,
  'clerk-7',
);

// Cancelled by a clerk before the calculate stage ran: no lines, no totals.
const cancelled: OrderState = through(
  openOrder({ ...orderCreate, OrderID: 'QC0042-PARITY-4' }, 'hash-4', '2026-11-21T07:00:00Z').state,
  [[9000, 'CANCELLED: customer called', 'update']],
  Date.parse('2026-11-21T07:01:00Z'),
);
const withActor = { ...cancelled, History: cancelled.History.map((entry, i) => (i === 1 ? { ...entry, Actor: 'clerk-9' } : entry)) };

const cases: ReadonlyArray<[string, OrderState, OrderState]> = [
  ['delivered, collected, a bundle, 11 lines', opened, delivered],
  ['lines shorted, one twice', shortOpened, shorted],
  ['held, its address modified', heldOpened, modified],
  // The earlier version had lines, shorts and a longer history: all of them go.
  ['cancelled before pricing', shorted, withActor],
];

t.test('viewOfState equals viewFromPostgres once the sink has written the state', async (t) => {
  const database = await migratedDatabase(t);
  if (!database) return;
  const { db } = database;
  const writer = new BatchWriter(db, 'parity-sink');
  const expected = await loadOffsets(db, 'parity-sink', [{ topic: CHANGELOG, partition: 0 }]);
  let offset = 0n;
  const write = async (states: readonly OrderState[]) => {
    const records: ConsumedRecord[] = states.map((state) => ({
      topic: CHANGELOG,
      partition: 0,
      offset: offset++,
      key: Buffer.from(state.Order.OrderID),
      value: Buffer.from(serde.serialize(state)),
      timestamp: 0,
      headers: {},
    }));
    const outcome = await writer.write(
      records.map((record) => itemOf(record, sources)),
      expected,
    );
    t.same(outcome.deadLetters, [], 'every state fits the tables');
  };

  for (const [name, earlier, state] of cases) {
    // The earlier version of the order (its own id), then the state itself.
    await write([{ ...earlier, Order: { ...earlier.Order, OrderID: state.Order.OrderID } }]);
    await write([state]);
    const fromState = viewOfState(stored(state));
    const fromTables = await viewFromPostgres(db, state.Order.OrderID);
    t.same(fromTables, fromState, `${name}: the same view from both sources`);
    t.equal(JSON.stringify(fromTables), JSON.stringify(fromState), `${name}: the same JSON, field for field`);
  }

  // What each case shows, so that equal views are not equally empty.
  const view = async (id: string) => (await viewFromPostgres(db, id))!;
  const one = await view('QC0042-PARITY-1');
  t.same(
    one.lines.map((line) => line.lineId),
    lineIds,
    'the lines in the order’s own order (2 before 10)',
  );
  t.match(one, {
    t1MembershipId: orderCreate.T1MembershipID,
    t1Number: orderCreate.T1Number,
    carrier: 'GRAB',
    trackingId: 'GRAB-7781',
    estimatedDelivery: '2026-11-21T11:30:00.000Z',
    deliveredAt: '2026-11-21T11:02:03.123Z',
    collectedAmount: '230.0000',
    collectedAt: '2026-11-21T11:02:09.500Z',
    deliveryAddress: { postalCode: '10110', phone: '0812345678' },
  });
  t.same(
    one.lines.slice(0, 4).map((line) => [line.taxRate, line.bundleId, line.bundleGroupId]),
    [
      ['0.0700', null, null],
      ['0.0000', null, null],
      ['0.0700', 'B-BREAKFAST', 'B-BREAKFAST#1'],
      ['0.0700', null, 'B-BREAKFAST#1'],
    ],
    'each line its own rate; the declared bundle apart from the group it was priced in',
  );
  t.match(one.history.at(-1), { from: 7500, to: 7500, reason: /^COLLECTED 230\.0000/, source: 'grab' }, 'the collection note');
  t.equal(one.history.length, 10, 'opened, eight moves and the note: nothing of the earlier version twice');

  const two = await view('QC0042-PARITY-2');
  t.same(
    two.shortedLines?.map((line) => [line.lineId, line.quantity, line.lineAmount, line.bundleGroupId]),
    [
      ['2', 1, '12.0000', null],
      ['3', 2, '16.0000', 'B-X#1'],
      ['2', 1, '12.0000', null],
    ],
    'every short as the state keeps it, line 2 twice',
  );
  t.same(
    two.history.filter((entry) => entry.from === entry.to).map((entry) => entry.reason?.split(':')[0]),
    ['SHORT', 'SHORT', 'OUT_OF_ORDER'],
    'the notes that kept the status',
  );
  t.match(two, { t1MembershipId: null, t1Number: null, customerId: null });
  t.same(
    two.lines.map((line) => line.unitPrice),
    ['35.5000', '12.0000'],
    'unit prices with their 4 decimals',
  );

  const three = await view('QC0042-PARITY-3');
  t.match(three, {
    releaseDueAt: '2026-11-21T09:00:00.000Z',
    deliveryAddress: { line1: '99 Rama IV Rd', district: 'Pathum Wan', province: null, postalCode: '10330', phone: null },
  });
  t.match(three.history.at(-1), { from: 2000, to: 2000, reason: 'MODIFIED: customer moved', source: 'update', actor: 'clerk-7' });

  const four = await view('QC0042-PARITY-4');
  t.match(four, { status: 9000, totals: null, lines: [], shortedLines: [] });
  t.match(four.history.at(-1), { to: 9000, actor: 'clerk-9' });
});

t.test('the lookup route answers the same JSON from the replica’s store and from Postgres', async (t) => {
  const database = await migratedDatabase(t);
  if (!database) return;
  const { db } = database;
  const states = new Map(cases.map(([, , state]) => [state.Order.OrderID, stored(state)]));
  const expected = await loadOffsets(db, 'parity-route', [{ topic: CHANGELOG, partition: 0 }]);
  await new BatchWriter(db, 'parity-route').write(
    [...states.values()].map((state, i) =>
      itemOf(
        {
          topic: CHANGELOG,
          partition: 0,
          offset: BigInt(i),
          key: Buffer.from(state.Order.OrderID),
          value: Buffer.from(serde.serialize(state)),
          timestamp: 0,
          headers: {},
        },
        sources,
      ),
    ),
    expected,
  );
  const local = (ready: boolean): LocalOrders => ({
    instance: 'replica-1',
    partitionOf: () => 0,
    state: () => (ready ? 'ready' : 'restoring'),
    readyPartitions: () => (ready ? [0] : []),
    get: async (_partition, orderId) => states.get(orderId),
  });
  const replica = await testApp(t, orderLookupRoutes({ local: local(true), db }));
  const restoring = await testApp(t, orderLookupRoutes({ local: local(false), db }));
  const admin: Principal = { subject: 'root', roles: ['admin'], stores: [], tokenId: 't-admin' };
  type Reply = { source: string; order: OrderView };

  for (const principal of [admin, storeStaff('QC0042')])
    for (const id of states.keys()) {
      const url = `/api/v1/orders/${id}?store=QC0042`;
      const [a, b] = [await get<Reply>(replica, url, principal), await get<Reply>(restoring, url, principal)];
      t.same([a.status, a.body.source, b.status, b.body.source], [200, 'local-state', 200, 'postgres']);
      t.equal(JSON.stringify(b.body.order), JSON.stringify(a.body.order), `${id} for ${principal.roles[0]}: the same JSON`);
    }
  const phone = async (principal: Principal) =>
    (await get<Reply>(restoring, '/api/v1/orders/QC0042-PARITY-1?store=QC0042', principal)).body.order.deliveryAddress?.phone;
  t.equal(await phone(admin), '0812345678', 'an admin sees the phone whole');
  t.equal(await phone(storeStaff('QC0042')), '081****678', 'the store’s staff see it masked, from Postgres too');
});
