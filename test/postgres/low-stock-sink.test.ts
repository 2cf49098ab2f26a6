// Low stock into a real Postgres through the sink's own path (sink-sources.ts → tables.ts → BatchWriter): each
// inventory.low-stock.v1 event a row of low_stock_events, each counter of the inventory changelog the current row of
// inventory_counters, and the view low_stock_current listing what is short now — not every item that ever raised an
// event. Then the same from the order topology itself, run in-process, through the embedded sink's writer.
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { InventoryCounter, LowStockEvent, Product } from '../../avro/records.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { BatchWriter } from '../../sinks/batch-writer.js';
import { EmbeddedSink } from '../../sinks/embedded-sink.js';
import { loadOffsets } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Stores, Topics } from '../../topology/topics.js';
import { migratedDatabase } from './harness.js';

const EVENTS = 'inventory.low-stock.v1';
const COUNTERS = 'app-inventory-changelog';
/** The changelog holds what the store holds: single-object Avro, as the pipeline writes it. */
const counterSerde = orderSerdes(serdeConfig({})).store(Stores.inventory);
const bytesOf = (topic: string, value: unknown): Buffer =>
  topic === COUNTERS ? counterSerde.serialize(value) : Buffer.from(JSON.stringify(value));

const event = (item: string, onHand: number, allocated: number, order: string, at: string, store = 'QC0001'): LowStockEvent => ({
  ShipFromLocationID: store,
  ItemID: item,
  OnHand: onHand,
  Allocated: allocated,
  OrderID: order,
  At: at,
});

const counter = (item: string, onHand: number, allocated: number, store = 'QC0001'): InventoryCounter => ({
  ShipFromLocationID: store,
  ItemID: item,
  OnHand: onHand,
  Allocated: allocated,
});

t.test('events and counters become rows; the view lists what is short now, with its latest event', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
  t.ok(sources.topics.includes(EVENTS), 'the sink reads inventory.low-stock.v1');
  t.ok(sources.topics.includes(COUNTERS), "and the inventory store's changelog");
  t.notOk(
    sources.creatable.some((entry) => entry.topic === EVENTS || entry.topic === COUNTERS),
    'both are the pipeline’s, which creates them: the sink waits for them',
  );

  // An order line that carries the description of SKU-1 (the order that last raised its event).
  await client.query(
    `INSERT INTO orders (order_id, ship_from_location_id, status, payment_method, created_at, updated_at)
     VALUES ('O-3', 'QC0001', 2000, 'COD', now(), now())`,
  );
  await client.query(
    `INSERT INTO order_lines (order_id, line_id, item_id, quantity, unit_price, line_amount, line_discount, line_tax, short_description)
     VALUES ('O-3', '1', 'SKU-1', 4, '10.0000', '40.0000', '0.0000', '0.0000', 'Iced coffee 250 ml')`,
  );

  const positions = new Map<string, bigint>();
  const record = (topic: string, key: string, value: unknown) => {
    const offset = positions.get(topic) ?? 0n;
    positions.set(topic, offset + 1n);
    return itemOf({ topic, partition: 0, offset, key: Buffer.from(key), value: bytesOf(topic, value), timestamp: 0, headers: {} }, sources);
  };
  const items = [
    // SKU-1: short twice; the second event is the latest. Still short.
    record(EVENTS, 'QC0001', event('SKU-1', 5, 6, 'O-1', '2026-12-06T09:00:00.000Z')),
    record(EVENTS, 'QC0001', event('SKU-1', 5, 10, 'O-3', '2026-12-06T09:30:00.000Z')),
    // SKU-2: raised once, then a count of 20 covered it: no longer short.
    record(EVENTS, 'QC0001', event('SKU-2', 1, 3, 'O-2', '2026-12-06T09:10:00.000Z')),
    // SKU-1 at another store: short there, on its own row.
    record(EVENTS, 'QC0002', event('SKU-1', 0, 2, 'O-9', '2026-12-06T09:20:00.000Z', 'QC0002')),
    record(COUNTERS, 'QC0001|SKU-1', counter('SKU-1', 5, 10)),
    record(COUNTERS, 'QC0001|SKU-2', counter('SKU-2', 1, 3)),
    record(COUNTERS, 'QC0001|SKU-2', counter('SKU-2', 20, 3)),
    record(COUNTERS, 'QC0002|SKU-1', counter('SKU-1', 0, 2, 'QC0002')),
    // SKU-3: allocated before any count: nothing is judged.
    record(COUNTERS, 'QC0001|SKU-3', counter('SKU-3', -1, 7)),
    // SKU-4: a count below what is allocated, which raises no event; short all the same.
    record(COUNTERS, 'QC0001|SKU-4', counter('SKU-4', 2, 3)),
  ];
  t.same(
    items.map((item) => item.unusable),
    items.map(() => undefined),
    'every record decodes and fits its table',
  );
  const writer = new BatchWriter(db, 'test-sink');
  const expected = await loadOffsets(db, 'test-sink', [
    { topic: EVENTS, partition: 0 },
    { topic: COUNTERS, partition: 0 },
  ]);
  const outcome = await writer.write(items, expected);
  t.same(Object.fromEntries(outcome.rows), { low_stock_events: 4, inventory_counters: 5 }, 'one row per event; the last value per counter');

  const events = await client.query(
    `SELECT kafka_offset, ship_from_location_id, item_id, on_hand, allocated, order_id, at FROM low_stock_events ORDER BY kafka_offset`,
  );
  t.same(
    events.rows.map((row) => [row.kafka_offset, row.ship_from_location_id, row.item_id, row.on_hand, row.allocated, row.order_id]),
    [
      ['0', 'QC0001', 'SKU-1', '5', '6', 'O-1'],
      ['1', 'QC0001', 'SKU-1', '5', '10', 'O-3'],
      ['2', 'QC0001', 'SKU-2', '1', '3', 'O-2'],
      ['3', 'QC0002', 'SKU-1', '0', '2', 'O-9'],
    ],
    'every event kept, SKU-2 included: the table is the history',
  );
  t.equal((events.rows[0]!.at as Date).toISOString(), '2026-12-06T09:00:00.000Z', 'the time as raised');

  const counters = await client.query(`SELECT ship_from_location_id, item_id, on_hand, allocated FROM inventory_counters ORDER BY 1, 2`);
  t.same(
    counters.rows.map((row) => [row.ship_from_location_id, row.item_id, row.on_hand, row.allocated]),
    [
      ['QC0001', 'SKU-1', '5', '10'],
      ['QC0001', 'SKU-2', '20', '3'],
      ['QC0001', 'SKU-3', null, '7'],
      ['QC0001', 'SKU-4', '2', '3'],
      ['QC0002', 'SKU-1', '0', '2'],
    ],
    'each counter as it stands; no count yet is null, not -1',
  );

  const current = await client.query(
    `SELECT ship_from_location_id, item_id, on_hand, allocated, short_units, last_order_id, last_event_at, short_description
     FROM low_stock_current ORDER BY ship_from_location_id, item_id`,
  );
  t.same(
    current.rows.map((row) => [
      row.ship_from_location_id,
      row.item_id,
      row.on_hand,
      row.allocated,
      row.short_units,
      row.last_order_id,
      row.last_event_at === null ? null : (row.last_event_at as Date).toISOString(),
      row.short_description,
    ]),
    [
      ['QC0001', 'SKU-1', '5', '10', '5', 'O-3', '2026-12-06T09:30:00.000Z', 'Iced coffee 250 ml'],
      ['QC0001', 'SKU-4', '2', '3', '1', null, null, null],
      ['QC0002', 'SKU-1', '0', '2', '2', 'O-9', '2026-12-06T09:20:00.000Z', null],
    ],
    'short now: SKU-1 with its latest event and the description on that order’s line; SKU-2 covered by the count; SKU-3 never counted',
  );

  // The orders of SKU-1 ship: its allocated units are given back (Reading 56), and it leaves the list.
  const shipped = await writer.write(
    [record(COUNTERS, 'QC0001|SKU-1', counter('SKU-1', 5, 4))],
    await loadOffsets(db, 'test-sink', [{ topic: COUNTERS, partition: 0 }]),
  );
  t.same(Object.fromEntries(shipped.rows), { inventory_counters: 1 }, 'the counter written over');
  t.same(
    (await client.query(`SELECT ship_from_location_id, item_id FROM low_stock_current ORDER BY 1, 2`)).rows.map((row) => [
      row.ship_from_location_id,
      row.item_id,
    ]),
    [
      ['QC0001', 'SKU-4'],
      ['QC0002', 'SKU-1'],
    ],
    'once its units shipped, SKU-1 is no longer short, though its events stay',
  );
  t.equal(Number((await client.query('SELECT count(*) AS n FROM low_stock_events')).rows[0].n), 4, 'no event lost or withdrawn');
});

t.test('a count that is not whole is a dead letter; Postgres refuses an event that is not past its count', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
  const item = (offset: number, value: unknown) =>
    itemOf(
      {
        topic: EVENTS,
        partition: 0,
        offset: BigInt(offset),
        key: Buffer.from('QC0001'),
        value: Buffer.from(JSON.stringify(value)),
        timestamp: 0,
        headers: {},
      },
      sources,
    );
  const fractional = item(0, event('SKU-1', 1.5, 3, 'O-1', '2026-12-06T09:00:00.000Z'));
  t.match(fractional.unusable, /OnHand: expected long, got 1\.5/, 'refused by the serde with its reason, before Postgres');
  const notPast = item(1, event('SKU-1', 5, 5, 'O-2', '2026-12-06T09:00:00.000Z'));
  const good = item(2, event('SKU-1', 5, 6, 'O-3', '2026-12-06T09:00:00.000Z'));
  t.equal(notPast.unusable, undefined, 'a well-formed record');
  const outcome = await new BatchWriter(db, 'test-sink').write(
    [fractional, notPast, good],
    await loadOffsets(db, 'test-sink', [{ topic: EVENTS, partition: 0 }]),
  );
  t.same(Object.fromEntries(outcome.rows), { low_stock_events: 1 }, 'the good event is written');
  const letters = await client.query(`SELECT kafka_offset, error FROM sink_dead_letters ORDER BY kafka_offset`);
  t.same(
    letters.rows.map((row) => row.kafka_offset),
    ['0', '1'],
    'the fractional count and the event not past its count are dead letters',
  );
  t.match(letters.rows[1]!.error, /check constraint/, 'Postgres said why');
  const next = await client.query(`SELECT next_offset FROM sink_offsets WHERE topic = $1`, [EVENTS]);
  t.equal(next.rows[0]!.next_offset, '3', 'and the offsets pass all three');
});

t.test('from the topology itself: a count, an order past it, a new count — the event stays, the item leaves the list', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig({}), orderSerdes(serdeConfig({}))), {
    partitions: 2,
    startTime: Date.parse('2026-12-06T09:00:00Z'),
  });
  t.teardown(() => driver.close());
  const sink = new EmbeddedSink(db, sinkSources({ applicationId: driver.applicationId, topicPrefix: '', serdes: serdeConfig({}) }));
  const pipe = (topic: string, key: string, value: unknown) => driver.pipeRaw(topic, Buffer.from(key), Buffer.from(JSON.stringify(value)));
  const flush = async () => {
    await sink.write(driver.output);
    driver.clearOutput();
  };
  for (const entry of referenceData(50)) await pipe(entry.topic, entry.key, entry.value);

  const order = demoOrder(0, new Date(driver.now), { stores: 1, customers: 50, seed: 7, invalidShare: 0 });
  const [first, ...others] = order.OrderLines;
  const store = order.ShipFromLocationID;
  const count = (onHand: number) =>
    pipe(Topics.inventoryLevel, store, { ShipFromLocationID: store, ItemID: first!.ItemID, OnHand: onHand });
  await count(0);
  await pipe(Topics.orderCreate, store, order);
  await flush();

  const status = (await client.query('SELECT status FROM orders WHERE order_id = $1', [order.OrderID])).rows[0]?.status;
  t.ok(status >= 2000 && status < 9000, `the order is allocated (status ${status})`);
  const events = await client.query('SELECT item_id, on_hand, allocated, order_id FROM low_stock_events');
  t.same(
    events.rows,
    [{ item_id: first!.ItemID, on_hand: '0', allocated: String(first!.Quantity), order_id: order.OrderID }],
    'one event, for the counted item only: the others were never counted',
  );
  const product = referenceData(0).find((entry) => entry.topic === Topics.catalog && entry.key === first!.ItemID)!.value as Product;
  const current = await client.query('SELECT item_id, short_units, last_order_id, short_description FROM low_stock_current');
  t.same(
    current.rows,
    [
      {
        item_id: first!.ItemID,
        short_units: String(first!.Quantity),
        last_order_id: order.OrderID,
        short_description: product.ShortDescription,
      },
    ],
    'short by the order’s units, named as the catalog names it',
  );
  const uncounted = await client.query('SELECT count(*) AS n FROM inventory_counters WHERE on_hand IS NULL');
  t.equal(Number(uncounted.rows[0].n), new Set(others.map((line) => line.ItemID)).size, 'the other items: counters, no count');

  await count(50);
  await flush();
  t.same((await client.query('SELECT item_id FROM low_stock_current')).rows, [], 'a count that covers it: off the list');
  t.equal(Number((await client.query('SELECT count(*) AS n FROM low_stock_events')).rows[0].n), 1, 'the event stays in the history');
});
