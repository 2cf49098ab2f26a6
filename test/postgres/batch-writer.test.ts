import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { OrderState, PricedLine } from '../../processors/order-state.js';
import { BatchWriter, type SinkItem } from '../../sinks/batch-writer.js';
import { loadOffsets, SinkFencedError } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import type { FulfillmentInteraction, ReconciliationReport } from '../../avro/records.js';
import { rowsOf, type SinkSource } from '../../sinks/tables.js';
import { migratedDatabase } from './harness.js';

const CONSUMER = 'test-sink';
const topicOf: Record<SinkSource, string> = {
  orders: 'app-orders-changelog',
  status: 'order.status.v1',
  payment: 'order.payment.v1',
  release: 'order.release.v1',
  validation: 'order.validation.v1',
  fulfillment: 'order.fulfillment.v1',
  reconciliation: 'order.reconciliation.v1',
  exceptionOutcome: 'order.exception-outcome.v1',
  notification: 'notification.sent.v1',
  lowStock: 'inventory.low-stock.v1',
  inventory: 'app-inventory-changelog',
  settlement: 'payment.settlement.v1',
  returns: 'app-returns-changelog',
};

const line = (id: string, quantity: number, unitPrice: string, discount = '0.0000', bundleGroup: string | null = null): PricedLine => {
  const amount = (Number(unitPrice) * quantity).toFixed(4);
  return {
    LineID: id,
    ItemID: `SKU-${id}`,
    Quantity: quantity,
    UnitPrice: unitPrice,
    LineAmount: amount,
    LineDiscount: discount,
    LineTax: '0.0000',
    BundleGroupID: bundleGroup,
    ShortDescription: null,
    ImageURL: null,
  };
};

function orderState(
  id: string,
  store: string,
  status: OrderState['Status'],
  lines: PricedLine[],
  orderTotal: string,
  createdAt = '2026-11-21T09:00:00Z',
): OrderState {
  return {
    Order: {
      OrderID: id,
      ShipFromLocationID: store,
      IsForceAllocation: true,
      CustomerID: 'C-1001',
      PaymentMethod: 'COD',
      CreatedAt: createdAt,
      DeliveryAddress: { PostalCode: '10110' },
      OrderLines: [],
    } as unknown as OrderState['Order'],
    Status: status,
    PaymentStatus: status >= 3000 ? '5000' : null,
    Lines: lines,
    Totals: {
      SubTotal: orderTotal,
      TotalDiscount: '0.0000',
      TotalTaxes: '0.0000',
      InformationalTaxes: '0.0000',
      TotalCharges: '0.0000',
      OrderTotal: orderTotal,
    },
    PayloadHash: 'h',
    ReleaseID: status >= 3000 ? `REL-${id}` : null,
    ReleaseDueAt: null,
    History: [],
    UpdatedAt: createdAt,
    TrackingID: null,
    Carrier: null,
    EstimatedDelivery: null,
    SeenEventIDs: [],
    ShortedLines: [],
    DeliveredAt: null,
    CollectedAmount: null,
    CollectedAt: null,
    SettlementID: null,
    SettledAmount: null,
    SettlementDate: null,
  };
}

const statusChange = (id: string, store: string, from: number | null, to: number, at: string) => ({
  OrderID: id,
  ShipFromLocationID: store,
  FromStatus: from,
  ToStatus: to,
  Reason: 'test',
  Source: 'test',
  At: at,
});
const release = (id: string, store: string, total: string) => ({
  ReleaseID: `REL-${id}`,
  OrderID: id,
  ShipFromLocationID: store,
  ReleaseLines: [{}],
  SubTotal: total,
  TotalDiscount: '0.0000',
  TotalTaxes: '0.0000',
  InformationalTaxes: '0.0000',
  TotalCharges: '0.0000',
  OrderTotal: total,
  PaymentMethod: 'COD',
  CodAmount: total,
  T1MembershipID: null,
  At: '2026-11-21T09:00:01Z',
});
const payment = (id: string, store: string, status: string, amount: string, at: string) => ({
  OrderID: id,
  ShipFromLocationID: store,
  PaymentMethod: 'COD',
  PaymentStatus: status,
  Amount: amount,
  At: at,
});

/** Builds items in order, numbering offsets per topic partition (partition 0 unless given). */
function batch(start: Map<string, bigint> = new Map()) {
  const items: SinkItem[] = [];
  const push = (source: SinkSource, value: unknown, partition = 0) => {
    const topic = topicOf[source];
    const key = `${topic}:${partition}`;
    const offset = start.get(key) ?? 0n;
    start.set(key, offset + 1n);
    items.push({
      topic,
      partition,
      offset,
      key: null,
      value: Buffer.from(JSON.stringify(value)),
      rows: rowsOf(source, value, { partition, offset }),
    });
  };
  return { items, push, next: start };
}

async function offsetsFor(db: Parameters<typeof loadOffsets>[0], items: readonly SinkItem[]) {
  const partitions = [
    ...new Map(items.map((item) => [`${item.topic}:${item.partition}`, { topic: item.topic, partition: item.partition }])).values(),
  ];
  return loadOffsets(db, CONSUMER, partitions);
}

t.test(
  'a batch lands whole: the last state per order, its lines replaced as a set, history in topic order, offsets moved past it',
  async (t) => {
    const setup = await migratedDatabase(t);
    if (!setup) return;
    const { db, client } = setup;
    const writer = new BatchWriter(db, CONSUMER);
    const first = batch();
    first.push('orders', orderState('O-1', 'QC0001', 1000, [line('1', 2, '35.5000'), line('2', 1, '7.0000')], '78.0000'));
    first.push('status', statusChange('O-1', 'QC0001', null, 1000, '2026-11-21T09:00:00Z'));
    first.push('status', statusChange('O-1', 'QC0001', 1000, 2000, '2026-11-21T09:00:01Z'));
    first.push('orders', orderState('O-1', 'QC0001', 3000, [line('1', 2, '35.5000')], '71.0000'));
    first.push('status', statusChange('O-1', 'QC0001', 2000, 3000, '2026-11-21T09:00:02Z'));
    first.push('release', release('O-1', 'QC0001', '71.0000'));
    first.push('payment', payment('O-1', 'QC0001', '5000', '71.0000', '2026-11-21T09:00:02Z'));
    const expected = await offsetsFor(db, first.items);
    t.same([...expected.values()], [-1n, -1n, -1n, -1n], 'partitions never written start from the beginning');
    const outcome = await writer.write(first.items, expected);
    t.same(
      Object.fromEntries(outcome.rows),
      { orders: 1, order_lines: 1, order_status_history: 3, releases: 1, payments: 1 },
      'one orders row (the last of two states), its current line',
    );

    const order = (await client.query('SELECT status, payment_status, release_id, order_total FROM orders')).rows;
    t.same(order, [{ status: 3000, payment_status: '5000', release_id: 'REL-O-1', order_total: '71.0000' }]);
    const history = (await client.query('SELECT from_status, to_status FROM order_status_history ORDER BY kafka_offset')).rows.map(
      (r) => `${r.from_status}>${r.to_status}`,
    );
    t.same(history, ['null>1000', '1000>2000', '2000>3000']);
    const offsets = (await client.query('SELECT topic, next_offset FROM sink_offsets ORDER BY topic')).rows;
    t.same(
      offsets,
      [
        { topic: 'app-orders-changelog', next_offset: '2' },
        { topic: 'order.payment.v1', next_offset: '1' },
        { topic: 'order.release.v1', next_offset: '1' },
        { topic: 'order.status.v1', next_offset: '3' },
      ],
      'each partition stored past its last record',
    );

    const second = batch(first.next);
    second.push('orders', orderState('O-1', 'QC0001', 3000, [line('1', 1, '35.5000'), line('3', 4, '15.0000')], '95.5000'));
    await writer.write(second.items, expected);
    const lines = (await client.query('SELECT line_id, quantity, line_amount FROM order_lines ORDER BY line_id')).rows;
    t.same(
      lines,
      [
        { line_id: '1', quantity: 1, line_amount: '35.5000' },
        { line_id: '3', quantity: 4, line_amount: '60.0000' },
      ],
      'a later state replaces the order’s lines',
    );

    const third = batch(second.next);
    third.push('orders', orderState('O-1', 'QC0001', 9000, [], '0.0000'));
    await writer.write(third.items, expected);
    t.equal((await client.query('SELECT count(*)::int AS n FROM order_lines')).rows[0].n, 0, 'a state with no lines leaves the order none');
  },
);

t.test('a batch whose offsets another replica moved meanwhile is refused whole (fenced), and nothing of it is written', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const zombie = new BatchWriter(db, CONSUMER);
  const owner = new BatchWriter(db, CONSUMER);
  const work = batch();
  work.push('status', statusChange('O-2', 'QC0002', null, 1000, '2026-11-21T09:00:00Z'));
  const zombieView = await offsetsFor(db, work.items);
  const ownerView = await offsetsFor(db, work.items);
  await owner.write(work.items, ownerView);
  await t.rejects(zombie.write(work.items, zombieView), SinkFencedError, 'the replica that lost the partition cannot write it again');
  t.equal((await client.query('SELECT count(*)::int AS n FROM order_status_history')).rows[0].n, 1, 'the record is in the table once');
});

t.test('records that cannot become rows are kept as dead letters with their reason; the rest of the batch is written', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
  const record = (topic: string, offset: bigint, value: string) => ({
    topic,
    partition: 0,
    offset,
    key: Buffer.from('QC0003'),
    value: Buffer.from(value),
    timestamp: 0,
    headers: {},
  });
  const items = [
    itemOf(record('order.status.v1', 0n, JSON.stringify(statusChange('O-3', 'QC0003', null, 1000, '2026-11-21T09:00:00Z'))), sources),
    itemOf(record('order.status.v1', 1n, '{"OrderID": '), sources),
    itemOf(record('order.payment.v1', 0n, JSON.stringify(payment('O-3', 'QC0003', '5000', '10.12345', '2026-11-21T09:00:00Z'))), sources),
    itemOf(record('order.status.v1', 2n, JSON.stringify(statusChange('O-3', 'QC0003', 1000, 2000, '2026-11-21T09:00:01Z'))), sources),
  ];
  const outcome = await new BatchWriter(db, CONSUMER).write(items, await offsetsFor(db, items));
  t.equal(outcome.deadLetters.length, 2);
  const letters = (await client.query('SELECT topic, kafka_offset, error, value FROM sink_dead_letters ORDER BY topic')).rows;
  t.match(
    letters[0],
    { topic: 'order.payment.v1', kafka_offset: '0', error: /Amount "10\.12345" is not money/ },
    'a fifth decimal is refused, not rounded',
  );
  t.match(letters[1], { topic: 'order.status.v1', kafka_offset: '1', error: /^undecodable: / });
  t.equal((letters[1].value as Buffer).toString(), '{"OrderID": ', 'the original bytes are kept');
  t.equal(
    (await client.query('SELECT count(*)::int AS n FROM order_status_history')).rows[0].n,
    2,
    'the good records around them are written',
  );
  t.same(
    (await client.query("SELECT next_offset FROM sink_offsets WHERE topic = 'order.status.v1'")).rows,
    [{ next_offset: '3' }],
    'the offsets pass the dead letters',
  );
});

t.test('a record Postgres refuses (a second release of one order) is found by splitting the batch and kept as a dead letter', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const work = batch();
  for (let i = 0; i < 6; i++) work.push('release', release(`O-${i}`, 'QC0004', '10.0000'));
  work.push('release', { ...release('O-2', 'QC0004', '10.0000'), ReleaseID: 'REL-O-2-again' });
  for (let i = 6; i < 9; i++) work.push('release', release(`O-${i}`, 'QC0004', '10.0000'));
  const outcome = await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));
  t.equal(outcome.rows.get('releases'), 9, 'every other release is written');
  const letters = (await client.query('SELECT kafka_offset, error FROM sink_dead_letters')).rows;
  t.match(letters, [
    { kafka_offset: '6', error: /refused by Postgres: duplicate key value violates unique constraint "releases_order_id_key"/ },
  ]);
  t.same((await client.query('SELECT next_offset FROM sink_offsets')).rows, [{ next_offset: '10' }]);
});

t.test(
  'the analysts’ views: orders per store and status, dwell times, daily COD totals in the business time zone, bundle sales',
  async (t) => {
    const setup = await migratedDatabase(t);
    if (!setup) return;
    const { db, client } = setup;
    const work = batch();
    // Two released orders at QC0005 (one late in the UTC evening: the next day in Bangkok) and one open at QC0006.
    work.push(
      'orders',
      orderState(
        'A',
        'QC0005',
        3000,
        [line('1', 1, '35.5000', '5.0000', 'B-BREAKFAST#1'), line('2', 1, '29.0000', '4.5000', 'B-BREAKFAST#1')],
        '55.0000',
        '2026-11-21T10:00:00Z',
      ),
    );
    work.push('orders', orderState('B', 'QC0005', 3000, [line('1', 2, '35.5000')], '71.0000', '2026-11-21T18:30:00Z'));
    work.push('orders', orderState('C', 'QC0006', 1000, [line('1', 1, '7.0000')], '7.0000', '2026-11-21T11:00:00Z'));
    for (const [id, store, at] of [
      ['A', 'QC0005', '2026-11-21T10:00:00Z'],
      ['B', 'QC0005', '2026-11-21T18:30:00Z'],
    ] as const) {
      const base = Date.parse(at);
      work.push('status', statusChange(id, store, null, 1000, new Date(base).toISOString()));
      work.push('status', statusChange(id, store, 1000, 2000, new Date(base + 2_000).toISOString()));
      work.push('status', statusChange(id, store, 2000, 3000, new Date(base + 5_000).toISOString()));
    }
    work.push('payment', payment('A', 'QC0005', '5000', '55.0000', '2026-11-21T10:00:05Z'));
    work.push('payment', payment('B', 'QC0005', '5000', '71.0000', '2026-11-21T18:30:05Z'));
    await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));

    const perStatus = (
      await client.query(
        'SELECT ship_from_location_id AS store, status, status_name, orders::int, order_total FROM orders_per_store_status ORDER BY 1, 2',
      )
    ).rows;
    t.same(perStatus, [
      { store: 'QC0005', status: 3000, status_name: 'Released', orders: 2, order_total: '126.0000' },
      { store: 'QC0006', status: 1000, status_name: 'Open', orders: 1, order_total: '7.0000' },
    ]);
    const dwell = (await client.query('SELECT status, stays::int, avg_seconds FROM status_dwell_times ORDER BY status')).rows;
    t.same(
      dwell,
      [
        { status: 1000, stays: 2, avg_seconds: '2.000' },
        { status: 2000, stays: 2, avg_seconds: '3.000' },
      ],
      'completed stays only; 3000 is still current',
    );

    const cod = async () =>
      (await client.query('SELECT day::text, accepted_orders::int, accepted_amount FROM daily_cod_totals ORDER BY day')).rows;
    t.same(
      await cod(),
      [{ day: '2026-11-21', accepted_orders: 2, accepted_amount: '126.0000' }],
      'UTC days when no business time zone is set',
    );
    await client.query("SET omnia.business_timezone = 'Asia/Bangkok'");
    t.same(
      await cod(),
      [
        { day: '2026-11-21', accepted_orders: 1, accepted_amount: '55.0000' },
        { day: '2026-11-22', accepted_orders: 1, accepted_amount: '71.0000' },
      ],
      'Bangkok days: 18:30 UTC is the next morning',
    );

    const bundles = (
      await client.query(
        'SELECT bundle_id, day::text, bundle_groups::int, units::int, list_amount, discount, net_amount FROM bundle_sales_daily',
      )
    ).rows;
    t.same(bundles, [
      {
        bundle_id: 'B-BREAKFAST',
        day: '2026-11-21',
        bundle_groups: 1,
        units: 2,
        list_amount: '64.5000',
        discount: '9.5000',
        net_amount: '55.0000',
      },
    ]);
  },
);

const interaction = (
  id: string,
  store: string,
  attempt: number,
  outcome: FulfillmentInteraction['Outcome'],
  at: string,
  extra: Partial<FulfillmentInteraction> = {},
): FulfillmentInteraction => ({
  ReleaseID: `REL-${id}`,
  OrderID: id,
  ShipFromLocationID: store,
  Action: 'SEND_RELEASE',
  Attempt: attempt,
  Outcome: outcome,
  HttpStatus: outcome === 'ACCEPTED' ? 201 : outcome === 'DUPLICATE' ? 409 : outcome === 'FAILED' ? 503 : null,
  Error: outcome === 'FAILED' ? 'Slick answered 503' : outcome === 'CIRCUIT_OPEN' ? 'circuit open' : null,
  Amount: null,
  At: at,
  ...extra,
});

function report(
  store: string,
  day: string,
  cutOffAt: string,
  at: string,
  exceptions: ReconciliationReport['Exceptions'],
  reconciled: [orders: number, amount: string] = [0, '0.0000'],
): ReconciliationReport {
  const list = exceptions ?? [];
  const sum = (values: string[]) => values.reduce((total, value) => total + Math.round(Number(value) * 10_000), 0);
  const expected = sum([reconciled[1], ...list.map((e) => e.ExpectedAmount)]);
  const collected = sum([reconciled[1], ...list.map((e) => e.CollectedAmount ?? '0')]);
  return {
    ShipFromLocationID: store,
    BusinessDay: day,
    TimeZone: 'Asia/Bangkok',
    CutOffAt: cutOffAt,
    ReconciledOrders: reconciled[0],
    ReconciledAmount: reconciled[1],
    Exceptions: list,
    SettlementExceptions: [],
    ExpectedTotal: (expected / 10_000).toFixed(4),
    CollectedTotal: (collected / 10_000).toFixed(4),
    At: at,
  };
}

t.test(
  'after release: the orders row carries tracking, delivery and collection; every Slick call is a row; a report is a run and its exceptions',
  async (t) => {
    const setup = await migratedDatabase(t);
    if (!setup) return;
    const { db, client } = setup;
    const work = batch();
    const shipped: OrderState = {
      ...orderState('F-1', 'QC0007', 7500, [line('1', 1, '55.0000')], '55.0000'),
      TrackingID: 'TRK-1',
      Carrier: 'GRAB',
      EstimatedDelivery: '2026-11-22T03:00:00Z',
      DeliveredAt: '2026-11-22T02:40:00Z',
      CollectedAmount: '50.5',
      CollectedAt: '2026-11-22T02:41:00Z',
    };
    work.push('orders', shipped);
    work.push('orders', orderState('F-2', 'QC0007', 3000, [line('1', 1, '7.0000')], '7.0000'));
    work.push('fulfillment', interaction('F-1', 'QC0007', 1, 'FAILED', '2026-11-21T09:00:02Z'));
    work.push('fulfillment', interaction('F-1', 'QC0007', 2, 'ACCEPTED', '2026-11-21T09:00:03Z'));
    work.push('fulfillment', {
      ...interaction('F-1', 'QC0007', 1, 'ACCEPTED', '2026-11-22T02:41:01Z'),
      ReleaseID: null,
      Action: 'CONFIRM_COLLECTION',
      Amount: '50.5000',
    });
    work.push(
      'reconciliation',
      report(
        'QC0007',
        '2026-11-22',
        '2026-11-22T16:00:00Z',
        '2026-11-22T16:00:30Z',
        [
          {
            OrderID: 'F-1',
            Kind: 'SHORT',
            ExpectedAmount: '55.0000',
            CollectedAmount: '50.5000',
            Difference: '-4.5000',
            DeliveredAt: '2026-11-22T02:40:00Z',
            CollectedAt: '2026-11-22T02:41:00Z',
          },
          {
            OrderID: 'F-3',
            Kind: 'MISSING',
            ExpectedAmount: '12.0000',
            CollectedAmount: null,
            Difference: '-12.0000',
            DeliveredAt: '2026-11-22T05:00:00Z',
            CollectedAt: null,
          },
        ],
        [3, '100.0000'],
      ),
    );
    work.push('reconciliation', report('QC0008', '2026-11-22', '2026-11-22T16:00:00Z', '2026-11-22T16:00:31Z', [], [1, '10.0000']));
    const outcome = await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));
    t.same(Object.fromEntries(outcome.rows), {
      orders: 2,
      order_lines: 2,
      fulfillment_interactions: 3,
      reconciliation_runs: 2,
      reconciliation_exceptions: 2,
    });

    const orders = (
      await client.query(`SELECT order_id, tracking_id, carrier, estimated_delivery = '2026-11-22T03:00:00Z' AS eta, delivered_at = '2026-11-22T02:40:00Z' AS delivered,
    collected_amount, collected_at = '2026-11-22T02:41:00Z' AS collected FROM orders ORDER BY order_id`)
    ).rows;
    t.same(
      orders,
      [
        {
          order_id: 'F-1',
          tracking_id: 'TRK-1',
          carrier: 'GRAB',
          eta: true,
          delivered: true,
          collected_amount: '50.5000',
          collected: true,
        },
        { order_id: 'F-2', tracking_id: null, carrier: null, eta: null, delivered: null, collected_amount: null, collected: null },
      ],
      'the new columns, null before the order gets that far',
    );

    const calls = (
      await client.query(
        'SELECT kafka_offset, release_id, action, attempt, outcome, http_status, error, amount FROM fulfillment_interactions ORDER BY kafka_offset',
      )
    ).rows;
    t.same(calls, [
      {
        kafka_offset: '0',
        release_id: 'REL-F-1',
        action: 'SEND_RELEASE',
        attempt: 1,
        outcome: 'FAILED',
        http_status: 503,
        error: 'Slick answered 503',
        amount: null,
      },
      {
        kafka_offset: '1',
        release_id: 'REL-F-1',
        action: 'SEND_RELEASE',
        attempt: 2,
        outcome: 'ACCEPTED',
        http_status: 201,
        error: null,
        amount: null,
      },
      {
        kafka_offset: '2',
        release_id: null,
        action: 'CONFIRM_COLLECTION',
        attempt: 1,
        outcome: 'ACCEPTED',
        http_status: 201,
        error: null,
        amount: '50.5000',
      },
    ]);

    const runs = (
      await client.query(`SELECT ship_from_location_id AS store, business_day::text AS day, time_zone, cut_off_at = '2026-11-22T16:00:00Z' AS cut_off, reconciled_orders,
    reconciled_amount, exception_count, expected_total, collected_total FROM reconciliation_runs ORDER BY kafka_offset`)
    ).rows;
    t.same(
      runs,
      [
        {
          store: 'QC0007',
          day: '2026-11-22',
          time_zone: 'Asia/Bangkok',
          cut_off: true,
          reconciled_orders: 3,
          reconciled_amount: '100.0000',
          exception_count: 2,
          expected_total: '167.0000',
          collected_total: '150.5000',
        },
        {
          store: 'QC0008',
          day: '2026-11-22',
          time_zone: 'Asia/Bangkok',
          cut_off: true,
          reconciled_orders: 1,
          reconciled_amount: '10.0000',
          exception_count: 0,
          expected_total: '10.0000',
          collected_total: '10.0000',
        },
      ],
      'one run per report, exceptions counted',
    );
    const exceptions = (
      await client.query(`SELECT exception_index, ship_from_location_id AS store, business_day::text AS day, order_id, kind, expected_amount, collected_amount, difference,
    collected_at IS NULL AS uncollected FROM reconciliation_exceptions ORDER BY kafka_offset, exception_index`)
    ).rows;
    t.same(
      exceptions,
      [
        {
          exception_index: 0,
          store: 'QC0007',
          day: '2026-11-22',
          order_id: 'F-1',
          kind: 'SHORT',
          expected_amount: '55.0000',
          collected_amount: '50.5000',
          difference: '-4.5000',
          uncollected: false,
        },
        {
          exception_index: 1,
          store: 'QC0007',
          day: '2026-11-22',
          order_id: 'F-3',
          kind: 'MISSING',
          expected_amount: '12.0000',
          collected_amount: null,
          difference: '-12.0000',
          uncollected: true,
        },
      ],
      'one row per exception with the run’s store and day',
    );
  },
);

t.test('a report or a call that cannot be stored exactly is a dead letter, never rounded', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
  const record = (topic: string, offset: bigint, value: unknown) => ({
    topic,
    partition: 0,
    offset,
    key: Buffer.from('QC0009'),
    value: Buffer.from(JSON.stringify(value)),
    timestamp: 0,
    headers: {},
  });
  const items = [
    itemOf(
      record(
        topicOf.reconciliation,
        0n,
        report('QC0009', '2026-11-22', '2026-11-22T16:00:00Z', '2026-11-22T16:00:30Z', [
          {
            OrderID: 'X-1',
            Kind: 'OVER',
            ExpectedAmount: '10.0000',
            CollectedAmount: '10.00001',
            Difference: '0.00001',
            DeliveredAt: null,
            CollectedAt: null,
          },
        ]),
      ),
      sources,
    ),
    itemOf(
      record(topicOf.reconciliation, 1n, {
        ...report('QC0009', '2026-11-22', '2026-11-22T16:00:00Z', '2026-11-22T16:00:30Z', []),
        BusinessDay: '2026-02-30',
      }),
      sources,
    ),
    itemOf(
      record(topicOf.fulfillment, 0n, {
        ...interaction('X-2', 'QC0009', 1, 'ACCEPTED', '2026-11-22T02:41:01Z'),
        Action: 'CONFIRM_COLLECTION',
        Amount: '1e3',
      }),
      sources,
    ),
  ];
  const outcome = await new BatchWriter(db, CONSUMER).write(items, await offsetsFor(db, items));
  t.equal(outcome.deadLetters.length, 3);
  const letters = (await client.query('SELECT topic, kafka_offset, error FROM sink_dead_letters ORDER BY topic, kafka_offset')).rows;
  t.match(letters, [
    { topic: 'order.fulfillment.v1', kafka_offset: '0', error: /Amount "1e3" is not money/ },
    { topic: 'order.reconciliation.v1', kafka_offset: '0', error: /exception X-1 CollectedAmount "10\.00001" is not money/ },
    { topic: 'order.reconciliation.v1', kafka_offset: '1', error: /BusinessDay "2026-02-30" is not a date/ },
  ]);
  t.equal(
    (await client.query('SELECT count(*)::int AS n FROM reconciliation_runs')).rows[0].n,
    0,
    'nothing of a refused report is written',
  );
});

t.test('the manual-action list (releases Slick has not taken) and the open reconciliation exceptions', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const work = batch();
  for (const id of ['R-1', 'R-2', 'R-3', 'R-4']) {
    work.push('orders', orderState(id, 'QC0010', 3000, [line('1', 1, '10.0000')], '10.0000'));
    work.push('release', release(id, 'QC0010', '10.0000'));
  }
  work.push('fulfillment', interaction('R-1', 'QC0010', 1, 'ACCEPTED', '2026-11-21T09:00:02Z')); // taken
  work.push('fulfillment', interaction('R-2', 'QC0010', 1, 'FAILED', '2026-11-21T09:00:02Z'));
  work.push('fulfillment', interaction('R-2', 'QC0010', 2, 'FAILED', '2026-11-21T09:00:03Z'));
  work.push('fulfillment', interaction('R-2', 'QC0010', 3, 'GAVE_UP', '2026-11-21T09:00:04Z')); // awaiting, gave up last
  work.push('fulfillment', interaction('R-3', 'QC0010', 1, 'FAILED', '2026-11-21T09:00:02Z'));
  work.push('fulfillment', interaction('R-3', 'QC0010', 2, 'DUPLICATE', '2026-11-21T09:00:05Z')); // taken (Slick had it)
  work.push('fulfillment', {
    ...interaction('R-4', 'QC0010', 1, 'ACCEPTED', '2026-11-21T09:00:02Z'),
    ReleaseID: null,
    Action: 'CONFIRM_COLLECTION',
  }); // not a release call
  // Three runs: E-1 MISSING on day 1 and 2, reconciled on day 3; E-2 SHORT on day 1 then OVER on day 2 (still open); E-3 OVER on day 1.
  const run = (day: string, cutOff: string, exceptions: ReconciliationReport['Exceptions']) =>
    report('QC0010', day, cutOff, new Date(Date.parse(cutOff) + 30_000).toISOString(), exceptions);
  const missing = {
    OrderID: 'E-1',
    Kind: 'MISSING' as const,
    ExpectedAmount: '20.0000',
    CollectedAmount: null,
    Difference: '-20.0000',
    DeliveredAt: null,
    CollectedAt: null,
  };
  work.push(
    'reconciliation',
    run('2026-11-21', '2026-11-21T16:00:00Z', [
      missing,
      {
        OrderID: 'E-2',
        Kind: 'SHORT',
        ExpectedAmount: '30.0000',
        CollectedAmount: '25.0000',
        Difference: '-5.0000',
        DeliveredAt: null,
        CollectedAt: null,
      },
      {
        OrderID: 'E-3',
        Kind: 'OVER',
        ExpectedAmount: '5.0000',
        CollectedAmount: '6.0000',
        Difference: '1.0000',
        DeliveredAt: null,
        CollectedAt: null,
      },
    ]),
  );
  work.push(
    'reconciliation',
    run('2026-11-22', '2026-11-22T16:00:00Z', [
      missing,
      {
        OrderID: 'E-2',
        Kind: 'OVER',
        ExpectedAmount: '30.0000',
        CollectedAmount: '31.0000',
        Difference: '1.0000',
        DeliveredAt: null,
        CollectedAt: null,
      },
    ]),
  );
  work.push('reconciliation', run('2026-11-23', '2026-11-23T16:00:00Z', []));
  work.push('payment', payment('E-3', 'QC0010', 'Reconciled', '5.0000', '2026-11-20T16:00:30Z')); // an earlier reconciliation: does not close the later exception
  work.push('payment', payment('E-1', 'QC0010', 'Reconciled', '20.0000', '2026-11-23T16:00:30Z'));
  await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));

  const awaiting = (
    await client.query(
      'SELECT order_id, release_id, order_status, calls, last_attempt, last_outcome, last_http_status, last_error FROM releases_awaiting_slick ORDER BY order_id',
    )
  ).rows;
  t.same(
    awaiting,
    [
      {
        order_id: 'R-2',
        release_id: 'REL-R-2',
        order_status: 3000,
        calls: 3,
        last_attempt: 3,
        last_outcome: 'GAVE_UP',
        last_http_status: null,
        last_error: null,
      },
      {
        order_id: 'R-4',
        release_id: 'REL-R-4',
        order_status: 3000,
        calls: 0,
        last_attempt: null,
        last_outcome: null,
        last_http_status: null,
        last_error: null,
      },
    ],
    'accepted and duplicate releases are off the list; a release never called is on it',
  );

  const open = (
    await client.query('SELECT order_id, business_day::text AS day, kind, difference FROM open_reconciliation_exceptions ORDER BY order_id')
  ).rows;
  t.same(
    open,
    [
      { order_id: 'E-2', day: '2026-11-22', kind: 'OVER', difference: '1.0000' },
      { order_id: 'E-3', day: '2026-11-21', kind: 'OVER', difference: '1.0000' },
    ],
    'the latest exception per order; E-1 was reconciled since',
  );
});

t.test(
  'decisions on exceptions: a resolved exception closes, an acknowledged one says who; a parked release says why; a retried one is one row',
  async (t) => {
    const setup = await migratedDatabase(t);
    if (!setup) return;
    const { db, client } = setup;
    const work = batch();
    const outcome = (
      OrderID: string,
      Exception: 'RECONCILIATION' | 'RELEASE',
      Action: 'ACKNOWLEDGE' | 'RESOLVE' | 'RETRY' | 'PARK',
      at: string,
      extra: object = {},
    ) => ({
      Command: {
        OrderID,
        ShipFromLocationID: 'QC0011',
        Exception,
        Action,
        Note: `${Action} ${OrderID}`,
        RequestedBy: 'mgr',
        CommandID: `${Action}-${OrderID}-${at}`,
        At: at,
      },
      Outcome: 'APPLIED',
      Reason: null,
      ReleaseID: Exception === 'RELEASE' ? `REL-${OrderID}` : null,
      At: at,
      ...extra,
    });
    const exception = (OrderID: string) => ({
      OrderID,
      Kind: 'MISSING' as const,
      ExpectedAmount: '20.0000',
      CollectedAmount: null,
      Difference: '-20.0000',
      DeliveredAt: null,
      CollectedAt: null,
    });
    work.push(
      'reconciliation',
      report('QC0011', '2026-11-21', '2026-11-21T16:00:00Z', '2026-11-21T16:00:30Z', [
        exception('M-1'),
        exception('M-2'),
        exception('M-3'),
      ]),
    );
    work.push('exceptionOutcome', outcome('M-1', 'RECONCILIATION', 'RESOLVE', '2026-11-22T02:00:00Z'));
    work.push('exceptionOutcome', outcome('M-2', 'RECONCILIATION', 'ACKNOWLEDGE', '2026-11-22T02:01:00Z'));
    work.push('exceptionOutcome', {
      ...outcome('M-3', 'RECONCILIATION', 'RESOLVE', '2026-11-22T02:02:00Z'),
      Outcome: 'REFUSED',
      Reason: 'ALREADY_RECONCILED',
    });
    work.push('exceptionOutcome', outcome('M-3', 'RECONCILIATION', 'RESOLVE', '2026-11-21T10:00:00Z')); // before the run reported it
    // P-1 refused as FulfillmentInteraction v1 wrote it (GAVE_UP with a 4xx), P-2 as v2 does (REFUSED): both refused.
    for (const [id, outcome] of [
      ['P-1', 'GAVE_UP'],
      ['P-2', 'REFUSED'],
    ] as const) {
      work.push('orders', orderState(id, 'QC0011', 3000, [line('1', 1, '10.0000')], '10.0000'));
      work.push('release', release(id, 'QC0011', '10.0000'));
      work.push('fulfillment', { ...interaction(id, 'QC0011', 3, outcome, '2026-11-21T09:00:04Z'), HttpStatus: 422 });
    }
    work.push('exceptionOutcome', outcome('P-1', 'RELEASE', 'PARK', '2026-11-21T10:00:00Z'));
    work.push('exceptionOutcome', outcome('P-2', 'RELEASE', 'PARK', '2026-11-21T10:00:00Z'));
    work.push('exceptionOutcome', outcome('P-2', 'RELEASE', 'RETRY', '2026-11-21T11:00:00Z'));
    work.push('release', release('P-2', 'QC0011', '10.0000')); // the retry sends the same release again
    const written = await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));
    t.same(written.deadLetters, [], 'the release sent again is no dead letter');

    t.same(
      (await client.query('SELECT order_id, acknowledged_by, acknowledged_note FROM open_reconciliation_exceptions ORDER BY order_id'))
        .rows,
      [
        { order_id: 'M-2', acknowledged_by: 'mgr', acknowledged_note: 'ACKNOWLEDGE M-2' },
        { order_id: 'M-3', acknowledged_by: null, acknowledged_note: null },
      ],
      'M-1 resolved is closed; a refused resolve, or one older than the report, closes nothing',
    );
    t.same(
      (await client.query('SELECT order_id, refused, parked_by, parked_reason FROM releases_awaiting_slick ORDER BY order_id')).rows,
      [
        { order_id: 'P-1', refused: true, parked_by: 'mgr', parked_reason: 'PARK P-1' },
        { order_id: 'P-2', refused: true, parked_by: null, parked_reason: null },
      ],
      'parked says who and why; a retry after the park clears it',
    );
    t.same((await client.query(`SELECT count(*)::int AS n FROM releases WHERE order_id = 'P-2'`)).rows, [{ n: 1 }]);
    t.same((await client.query(`SELECT outcome, reason FROM exception_outcomes WHERE order_id = 'M-3' ORDER BY at`)).rows, [
      { outcome: 'APPLIED', reason: null },
      { outcome: 'REFUSED', reason: 'ALREADY_RECONCILED' },
    ]);
  },
);
