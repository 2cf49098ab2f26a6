import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { OrderState, PricedLine } from '../../processors/order-state.js';
import { BatchWriter, type SinkItem } from '../../sinks/batch-writer.js';
import { loadOffsets, SinkFencedError } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { rowsOf, type SinkSource } from '../../sinks/tables.js';
import { migratedDatabase } from './harness.js';

const CONSUMER = 'test-sink';
const topicOf: Record<SinkSource, string> = { orders: 'app-orders-changelog', status: 'order.status.v1', payment: 'order.payment.v1', release: 'order.release.v1', validation: 'order.validation.v1' };

const line = (id: string, quantity: number, unitPrice: string, discount = '0.0000', bundleGroup: string | null = null): PricedLine => {
  const amount = (Number(unitPrice) * quantity).toFixed(4);
  return { LineID: id, ItemID: `SKU-${id}`, Quantity: quantity, UnitPrice: unitPrice, LineAmount: amount, LineDiscount: discount, LineTax: '0.0000', BundleGroupID: bundleGroup, ShortDescription: null, ImageURL: null };
};

function orderState(id: string, store: string, status: OrderState['Status'], lines: PricedLine[], orderTotal: string, createdAt = '2026-11-21T09:00:00Z'): OrderState {
  return {
    Order: { OrderID: id, ShipFromLocationID: store, IsForceAllocation: true, CustomerID: 'C-1001', PaymentMethod: 'COD', CreatedAt: createdAt, DeliveryAddress: { PostalCode: '10110' }, OrderLines: [] } as unknown as OrderState['Order'],
    Status: status,
    PaymentStatus: status >= 3000 ? '5000' : null,
    Lines: lines,
    Totals: { SubTotal: orderTotal, TotalDiscount: '0.0000', TotalTaxes: '0.0000', InformationalTaxes: '0.0000', TotalCharges: '0.0000', OrderTotal: orderTotal },
    PayloadHash: 'h',
    ReleaseID: status >= 3000 ? `REL-${id}` : null,
    ReleaseDueAt: null,
    History: [],
    UpdatedAt: createdAt,
  };
}

const statusChange = (id: string, store: string, from: number | null, to: number, at: string) => ({ OrderID: id, ShipFromLocationID: store, FromStatus: from, ToStatus: to, Reason: 'test', Source: 'test', At: at });
const release = (id: string, store: string, total: string) => ({
  ReleaseID: `REL-${id}`, OrderID: id, ShipFromLocationID: store, ReleaseLines: [{}], SubTotal: total, TotalDiscount: '0.0000', TotalTaxes: '0.0000',
  InformationalTaxes: '0.0000', TotalCharges: '0.0000', OrderTotal: total, PaymentMethod: 'COD', CodAmount: total, T1MembershipID: null, At: '2026-11-21T09:00:01Z',
});
const payment = (id: string, store: string, status: string, amount: string, at: string) => ({ OrderID: id, ShipFromLocationID: store, PaymentMethod: 'COD', PaymentStatus: status, Amount: amount, At: at });

/** Builds items in order, numbering offsets per topic partition (partition 0 unless given). */
function batch(start: Map<string, bigint> = new Map()) {
  const items: SinkItem[] = [];
  const push = (source: SinkSource, value: unknown, partition = 0) => {
    const topic = topicOf[source];
    const key = `${topic}:${partition}`;
    const offset = start.get(key) ?? 0n;
    start.set(key, offset + 1n);
    items.push({ topic, partition, offset, key: null, value: Buffer.from(JSON.stringify(value)), rows: rowsOf(source, value, { partition, offset }) });
  };
  return { items, push, next: start };
}

async function offsetsFor(db: Parameters<typeof loadOffsets>[0], items: readonly SinkItem[]) {
  const partitions = [...new Map(items.map((item) => [`${item.topic}:${item.partition}`, { topic: item.topic, partition: item.partition }])).values()];
  return loadOffsets(db, CONSUMER, partitions);
}

t.test('a batch lands whole: the last state per order, its lines replaced as a set, history in topic order, offsets moved past it', async (t) => {
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
  t.same(Object.fromEntries(outcome.rows), { orders: 1, order_lines: 1, order_status_history: 3, releases: 1, payments: 1 }, 'one orders row (the last of two states), its current line');

  const order = (await client.query('SELECT status, payment_status, release_id, order_total FROM orders')).rows;
  t.same(order, [{ status: 3000, payment_status: '5000', release_id: 'REL-O-1', order_total: '71.0000' }]);
  const history = (await client.query('SELECT from_status, to_status FROM order_status_history ORDER BY kafka_offset')).rows.map((r) => `${r.from_status}>${r.to_status}`);
  t.same(history, ['null>1000', '1000>2000', '2000>3000']);
  const offsets = (await client.query('SELECT topic, next_offset FROM sink_offsets ORDER BY topic')).rows;
  t.same(offsets, [
    { topic: 'app-orders-changelog', next_offset: '2' },
    { topic: 'order.payment.v1', next_offset: '1' },
    { topic: 'order.release.v1', next_offset: '1' },
    { topic: 'order.status.v1', next_offset: '3' },
  ], 'each partition stored past its last record');

  const second = batch(first.next);
  second.push('orders', orderState('O-1', 'QC0001', 3000, [line('1', 1, '35.5000'), line('3', 4, '15.0000')], '95.5000'));
  await writer.write(second.items, expected);
  const lines = (await client.query('SELECT line_id, quantity, line_amount FROM order_lines ORDER BY line_id')).rows;
  t.same(lines, [{ line_id: '1', quantity: 1, line_amount: '35.5000' }, { line_id: '3', quantity: 4, line_amount: '60.0000' }], 'a later state replaces the order’s lines');

  const third = batch(second.next);
  third.push('orders', orderState('O-1', 'QC0001', 9000, [], '0.0000'));
  await writer.write(third.items, expected);
  t.equal((await client.query('SELECT count(*)::int AS n FROM order_lines')).rows[0].n, 0, 'a state with no lines leaves the order none');
});

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
  const record = (topic: string, offset: bigint, value: string) => ({ topic, partition: 0, offset, key: Buffer.from('QC0003'), value: Buffer.from(value), timestamp: 0, headers: {} });
  const items = [
    itemOf(record('order.status.v1', 0n, JSON.stringify(statusChange('O-3', 'QC0003', null, 1000, '2026-11-21T09:00:00Z'))), sources),
    itemOf(record('order.status.v1', 1n, '{"OrderID": '), sources),
    itemOf(record('order.payment.v1', 0n, JSON.stringify(payment('O-3', 'QC0003', '5000', '10.12345', '2026-11-21T09:00:00Z'))), sources),
    itemOf(record('order.status.v1', 2n, JSON.stringify(statusChange('O-3', 'QC0003', 1000, 2000, '2026-11-21T09:00:01Z'))), sources),
  ];
  const outcome = await new BatchWriter(db, CONSUMER).write(items, await offsetsFor(db, items));
  t.equal(outcome.deadLetters.length, 2);
  const letters = (await client.query('SELECT topic, kafka_offset, error, value FROM sink_dead_letters ORDER BY topic')).rows;
  t.match(letters[0], { topic: 'order.payment.v1', kafka_offset: '0', error: /Amount "10\.12345" is not money/ }, 'a fifth decimal is refused, not rounded');
  t.match(letters[1], { topic: 'order.status.v1', kafka_offset: '1', error: /^undecodable: / });
  t.equal((letters[1].value as Buffer).toString(), '{"OrderID": ', 'the original bytes are kept');
  t.equal((await client.query('SELECT count(*)::int AS n FROM order_status_history')).rows[0].n, 2, 'the good records around them are written');
  t.same((await client.query("SELECT next_offset FROM sink_offsets WHERE topic = 'order.status.v1'")).rows, [{ next_offset: '3' }], 'the offsets pass the dead letters');
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
  t.match(letters, [{ kafka_offset: '6', error: /refused by Postgres: duplicate key value violates unique constraint "releases_order_id_key"/ }]);
  t.same((await client.query('SELECT next_offset FROM sink_offsets')).rows, [{ next_offset: '10' }]);
});

t.test('the analysts’ views: orders per store and status, dwell times, daily COD totals in the business time zone, bundle sales', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const work = batch();
  // Two released orders at QC0005 (one late in the UTC evening: the next day in Bangkok) and one open at QC0006.
  work.push('orders', orderState('A', 'QC0005', 3000, [line('1', 1, '35.5000', '5.0000', 'B-BREAKFAST#1'), line('2', 1, '29.0000', '4.5000', 'B-BREAKFAST#1')], '55.0000', '2026-11-21T10:00:00Z'));
  work.push('orders', orderState('B', 'QC0005', 3000, [line('1', 2, '35.5000')], '71.0000', '2026-11-21T18:30:00Z'));
  work.push('orders', orderState('C', 'QC0006', 1000, [line('1', 1, '7.0000')], '7.0000', '2026-11-21T11:00:00Z'));
  for (const [id, store, at] of [['A', 'QC0005', '2026-11-21T10:00:00Z'], ['B', 'QC0005', '2026-11-21T18:30:00Z']] as const) {
    const base = Date.parse(at);
    work.push('status', statusChange(id, store, null, 1000, new Date(base).toISOString()));
    work.push('status', statusChange(id, store, 1000, 2000, new Date(base + 2_000).toISOString()));
    work.push('status', statusChange(id, store, 2000, 3000, new Date(base + 5_000).toISOString()));
  }
  work.push('payment', payment('A', 'QC0005', '5000', '55.0000', '2026-11-21T10:00:05Z'));
  work.push('payment', payment('B', 'QC0005', '5000', '71.0000', '2026-11-21T18:30:05Z'));
  await new BatchWriter(db, CONSUMER).write(work.items, await offsetsFor(db, work.items));

  const perStatus = (await client.query('SELECT ship_from_location_id AS store, status, status_name, orders::int, order_total FROM orders_per_store_status ORDER BY 1, 2')).rows;
  t.same(perStatus, [
    { store: 'QC0005', status: 3000, status_name: 'Released', orders: 2, order_total: '126.0000' },
    { store: 'QC0006', status: 1000, status_name: 'Open', orders: 1, order_total: '7.0000' },
  ]);
  const dwell = (await client.query('SELECT status, stays::int, avg_seconds FROM status_dwell_times ORDER BY status')).rows;
  t.same(dwell, [{ status: 1000, stays: 2, avg_seconds: '2.000' }, { status: 2000, stays: 2, avg_seconds: '3.000' }], 'completed stays only; 3000 is still current');

  const cod = async () => (await client.query('SELECT day::text, accepted_orders::int, accepted_amount FROM daily_cod_totals ORDER BY day')).rows;
  t.same(await cod(), [{ day: '2026-11-21', accepted_orders: 2, accepted_amount: '126.0000' }], 'UTC days when no business time zone is set');
  await client.query("SET omnia.business_timezone = 'Asia/Bangkok'");
  t.same(await cod(), [{ day: '2026-11-21', accepted_orders: 1, accepted_amount: '55.0000' }, { day: '2026-11-22', accepted_orders: 1, accepted_amount: '71.0000' }], 'Bangkok days: 18:30 UTC is the next morning');

  const bundles = (await client.query('SELECT bundle_id, day::text, bundle_groups::int, units::int, list_amount, discount, net_amount FROM bundle_sales_daily')).rows;
  t.same(bundles, [{ bundle_id: 'B-BREAKFAST', day: '2026-11-21', bundle_groups: 1, units: 2, list_amount: '64.5000', discount: '9.5000', net_amount: '55.0000' }]);
});
