// After release: Slick ship events, delivery partner statuses, COD collection and the daily reconciliation, through
// the whole order topology in the driver (time under the test's control).
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import type { OrderState } from '../../../processors/order-state.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { DlqHeaders } from '../../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, line, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z'); // 16:15 in Bangkok
const CUT_OFF = Date.parse('2026-11-21T16:00:00Z'); // 23:00 in Bangkok
const ORDER = 'QC0042-000123';

async function pipeline(env: NodeJS.ProcessEnv = {}) {
  const serdes = orderSerdes(serdeConfig({}));
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig({ OMNIA_RECONCILIATION_CUTOFF: '23:00', ...env }), serdes), {
    startTime: CREATED,
  });
  const send = (topic: string, key: string, value: unknown) =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), {
      timestamp: driver.now,
    });
  const product = (ItemID: string, UnitPrice: string) =>
    send(Topics.catalog, ItemID, { ItemID, ShortDescription: `item ${ItemID}`, ImageURL: null, UnitPrice, TaxRate: '0.0700' });
  await send(Topics.customers, 'C-1001', customer());
  await product('SKU-100', '35.5000');
  const parse = (text: string) => {
    try {
      return JSON.parse(text);
    } catch {
      return text; // a dead letter keeps the bytes as they arrived
    }
  };
  const out = (topic: string) =>
    driver.output
      .filter((record) => record.topic === topic)
      .map((record) => ({ key: record.key?.toString(), value: parse(record.value!.toString()), headers: record.headers }));
  let events = 0;
  const ship = (EventType: string, extra: Record<string, unknown> = {}, OrderID = ORDER) =>
    send(Topics.shipEvent, 'QC0042', {
      EventID: `SLK-${++events}`,
      OrderID,
      ShipFromLocationID: 'QC0042',
      EventType,
      At: new Date(driver.now).toISOString(),
      ...extra,
    });
  const deliver = (Status: string, extra: Record<string, unknown> = {}, OrderID = ORDER) =>
    send(Topics.deliveryStatus, 'QC0042', {
      EventID: `DLV-${++events}`,
      OrderID,
      ShipFromLocationID: 'QC0042',
      Partner: 'PMP',
      Status,
      At: new Date(driver.now).toISOString(),
      ...extra,
    });
  const state = (orderId = ORDER) => driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get(orderId);
  const statuses = (orderId = ORDER) =>
    out(Topics.status)
      .filter((r) => r.value.OrderID === orderId)
      .map((r) => r.value.ToStatus);
  const payments = (orderId = ORDER) =>
    out(Topics.payment)
      .filter((r) => r.value.OrderID === orderId)
      .map((r) => [r.value.PaymentStatus, r.value.Amount]);
  return { driver, send, out, ship, deliver, state, statuses, payments, product };
}

t.test('release → ship events → delivery → cash collected → Reconciled at the cut-off', async (t) => {
  const { driver, send, out, ship, deliver, state, statuses, payments } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  await ship('picking');
  await ship('picked');
  await ship('packing');
  await ship('packed');
  await ship('shipped', { TrackingID: 'PMP-998877', Carrier: 'PMP', EstimatedDelivery: '2026-11-21T12:00:00Z' });
  await deliver('HANDED_OVER');
  await deliver('IN_TRANSIT');
  await deliver('OUT_FOR_DELIVERY');
  await deliver('DELIVERED');
  await deliver('COLLECTED', { CollectedAmount: '90.62' });
  t.same(statuses(), [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7500], 'packing and packed are one status');
  t.same(out(Topics.status).at(-1)!.value, {
    OrderID: ORDER,
    ShipFromLocationID: 'QC0042',
    FromStatus: 7300,
    ToStatus: 7500,
    Reason: 'DELIVERED',
    Source: 'pmp',
    At: out(Topics.status).at(-1)!.value.At,
    Actor: null,
  });
  t.same(payments(), [
    ['5000', '90.6200'],
    ['Collected', '90.6200'],
  ]);
  t.match(await state(), {
    Status: 7500,
    PaymentStatus: 'Collected',
    TrackingID: 'PMP-998877',
    Carrier: 'PMP',
    EstimatedDelivery: '2026-11-21T12:00:00Z',
    CollectedAmount: '90.6200',
  });

  await driver.advanceWallClock(CUT_OFF - 1 - driver.now);
  t.same(out(Topics.reconciliation), [], 'nothing before the cut-off');
  await driver.advanceWallClock(60_000);
  t.same(payments().at(-1), ['Reconciled', '90.6200']);
  const [report] = out(Topics.reconciliation);
  t.equal(report?.key, 'QC0042');
  t.match(report?.value, {
    ShipFromLocationID: 'QC0042',
    BusinessDay: '2026-11-21',
    TimeZone: 'Asia/Bangkok',
    CutOffAt: '2026-11-21T16:00:00.000Z',
    ReconciledOrders: 1,
    ReconciledAmount: '90.6200',
    Exceptions: [],
    ExpectedTotal: '90.6200',
    CollectedTotal: '90.6200',
  });
  t.equal((await state())?.PaymentStatus, 'Reconciled');
  t.match((await state())?.History.at(-1), { Reason: /^RECONCILED 90\.6200/, Source: 'reconcile' });

  await driver.advanceWallClock(86_400_000);
  const next = out(Topics.reconciliation)[1]?.value;
  t.same(next?.Exceptions, [], 'a reconciled order leaves the collection index: its cash is not judged again');
  t.same(
    next?.SettlementExceptions.map((e: { OrderID: string; Kind: string }) => [e.OrderID, e.Kind]),
    [[ORDER, 'NOT_IN_SETTLEMENT']],
    'but PMP collected it and no settlement row came by the next cut-off',
  );
});

t.test('a repeated EventID is ignored; an out-of-order event is noted and does not move the status', async (t) => {
  const { send, ship, deliver, state, statuses, driver } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  const picking = { EventID: 'SLK-X', OrderID: ORDER, ShipFromLocationID: 'QC0042', EventType: 'picking', At: '2026-11-21T09:20:00Z' };
  await send(Topics.shipEvent, 'QC0042', picking);
  await send(Topics.shipEvent, 'QC0042', picking);
  t.same(statuses(), [1000, 2000, 3000, 3500], 'once');
  const historyLength = (await state())!.History.length;
  await send(Topics.shipEvent, 'QC0042', { ...picking, EventType: 'shipped' });
  t.equal((await state())!.History.length, historyLength, 'the same EventID with another body is still a repeat');
  t.same((await state())!.SeenEventIDs, ['SLK-X']);
  await ship('shipped');
  await ship('picked');
  t.same(statuses(), [1000, 2000, 3000, 3500, 7000], 'picked after shipped does not move it back');
  t.match((await state())!.History.at(-1), { From: 7000, To: 7000, Reason: /^OUT_OF_ORDER: PICKED/, Source: 'slick' });
  await deliver('OUT_FOR_DELIVERY');
  await deliver('FAILED');
  await deliver('RESCHEDULED');
  await deliver('IN_TRANSIT');
  await deliver('DELIVERED');
  await deliver('OUT_FOR_DELIVERY');
  t.same(statuses().slice(5), [7300, 7400, 7300, 7500], 'failed, rescheduled, delivered; the late ones noted');
  const notes = (await state())!.History.filter((entry) => /^OUT_OF_ORDER/.test(entry.Reason ?? '')).map((entry) => [
    entry.From,
    entry.Reason!.split(' ')[1],
  ]);
  t.same(notes, [
    [7000, 'PICKED'],
    [7300, 'IN_TRANSIT'],
    [7500, 'OUT_FOR_DELIVERY'],
  ]);
  t.equal(driver.output.filter((record) => record.topic.endsWith('.dlq')).length, 0);
});

t.test('a short cancels the shorted lines, reprices, publishes the new amount; shorting everything cancels', async (t) => {
  const { driver, send, ship, state, statuses, payments, product } = await pipeline();
  await product('SKU-200', '10.0000');
  await send(
    Topics.orderCreate,
    'QC0042',
    order({
      OrderLines: [
        line(),
        line({ LineID: '2', ItemID: 'SKU-200', Quantity: 1, UnitPrice: '10.0000', Discounts: [], InformationalTaxes: [] }),
      ],
    }),
  );
  t.same(payments(), [['5000', '101.3200']], '90.62 + 10.00 + 0.70 tax');
  await ship('picking');
  await ship('short', { Lines: [{ LineID: '2', ItemID: 'SKU-200', Quantity: 1 }] });
  t.same(
    payments(),
    [
      ['5000', '101.3200'],
      ['5000', '90.6200'],
    ],
    'the repriced total is published',
  );
  const shorted = await state();
  t.same(
    shorted!.Lines.map((l) => l.LineID),
    ['1'],
  );
  t.match(shorted!.ShortedLines, [{ LineID: '2', ItemID: 'SKU-200', LineAmount: '10.0000', LineTax: '0.7000' }]);
  t.match(shorted!.Totals, { SubTotal: '71.0000', TotalTaxes: '4.6200', OrderTotal: '90.6200' });
  t.match(shorted!.History.at(-1), { From: 3500, To: 3500, Reason: 'SHORT: line 2; OrderTotal 101.3200 → 90.6200' });
  const inventory = driver.store<{ get(key: string): Promise<{ Allocated: number } | undefined> }>(Stores.inventory);
  t.equal((await inventory.get('QC0042|SKU-200'))?.Allocated, 0, 'the shorted units are given back');

  await ship('short', { Lines: [{ LineID: '1', ItemID: 'SKU-100', Quantity: 2 }] });
  t.same(statuses().slice(-2), [3500, 9000]);
  const cancelled = await state();
  t.match(cancelled, { Status: 9000, PaymentStatus: 'Reversed', Lines: [] });
  t.equal(cancelled!.History.at(-1)!.Reason, 'ALL_LINES_SHORT');
  t.same(payments().at(-1), ['Reversed', '90.6200'], 'the accepted amount is reversed');
  t.equal((await inventory.get('QC0042|SKU-100'))?.Allocated, 0);
  await ship('packed');
  t.same(statuses().slice(-1), [9000], 'nothing moves a cancelled order');
});

t.test('a bundle group shorts whole', async (t) => {
  const { send, ship, state, payments, product } = await pipeline();
  await product('SKU-200', '20.0000');
  await product('SKU-300', '30.0000');
  await send(Topics.bundles, 'B', {
    BundleID: 'B',
    Components: [
      { ItemID: 'SKU-200', Quantity: 1 },
      { ItemID: 'SKU-300', Quantity: 1 },
    ],
    Pricing: { Type: 'FIXED', Price: '40.0000' },
    Locations: [],
    Priority: 1,
  });
  const bundleLine = (LineID: string, ItemID: string, UnitPrice: string) =>
    line({ LineID, ItemID, Quantity: 1, UnitPrice, Discounts: [], InformationalTaxes: [] });
  await send(
    Topics.orderCreate,
    'QC0042',
    order({ OrderLines: [line(), bundleLine('2', 'SKU-200', '20.0000'), bundleLine('3', 'SKU-300', '30.0000')] }),
  );
  t.same(
    (await state())!.Lines.map((l) => [l.LineID, l.BundleGroupID]),
    [
      ['1', null],
      ['2', 'B#1'],
      ['3', 'B#1'],
    ],
  );
  await ship('short', { Lines: [{ LineID: '3', ItemID: 'SKU-300', Quantity: 1 }] });
  t.same(
    (await state())!.Lines.map((l) => l.LineID),
    ['1'],
    'line 2 goes with line 3',
  );
  t.equal(payments().at(-1)![1], '90.6200');
});

t.test('a substitute within 20 % is accepted at the original price; a dearer one is refused and changes nothing', async (t) => {
  const { send, ship, state, payments, product } = await pipeline();
  await product('SKU-900', '42.6000');
  await product('SKU-901', '42.6100');
  await send(Topics.orderCreate, 'QC0042', order());
  await ship('substitution', { Lines: [{ LineID: '1', ItemID: 'SKU-100', Quantity: 2, SubstituteItemID: 'SKU-901' }] });
  const refused = await state();
  t.equal(refused!.Lines[0]!.ItemID, 'SKU-100', 'order unchanged');
  t.match(refused!.History.at(-1)!.Reason, /^SUBSTITUTION_REFUSED SUBSTITUTE_TOO_EXPENSIVE/);
  await ship('substitution', { Lines: [{ LineID: '1', ItemID: 'SKU-100', Quantity: 2, SubstituteItemID: 'SKU-900' }] });
  const accepted = await state();
  t.match(accepted!.Lines[0], { ItemID: 'SKU-900', UnitPrice: '35.5000', ShortDescription: 'item SKU-900' });
  t.equal(accepted!.Totals!.OrderTotal, '90.6200', 'same price, same total');
  t.same(payments(), [['5000', '90.6200']], 'an unchanged total is not published again');
});

t.test('COD mismatches and missing cash are exceptions on order.reconciliation.v1, never Reconciled', async (t) => {
  const { driver, send, out, ship, deliver, state, payments } = await pipeline();
  for (const id of ['QC0042-000201', 'QC0042-000202', 'QC0042-000203']) {
    await send(Topics.orderCreate, 'QC0042', order({ OrderID: id }));
    await ship('shipped', {}, id);
    await deliver('DELIVERED', {}, id);
  }
  await deliver('COLLECTED', { CollectedAmount: '90.0000' }, 'QC0042-000201');
  await deliver('COLLECTED', { CollectedAmount: '100.0000', Partner: 'GRAB' }, 'QC0042-000203');
  t.same(payments('QC0042-000201'), [
    ['5000', '90.6200'],
    ['Collected', '90.0000'],
  ]);
  t.match(
    (await state('QC0042-000201'))!.History.at(-1)!.Reason,
    'COLLECTED 90.0000 by PMP: SHORT against 90.6200, a reconciliation exception',
  );
  await driver.advanceWallClock(CUT_OFF - driver.now);
  const [report] = out(Topics.reconciliation);
  t.match(report?.value, {
    BusinessDay: '2026-11-21',
    ReconciledOrders: 0,
    ReconciledAmount: '0.0000',
    ExpectedTotal: '271.8600',
    CollectedTotal: '190.0000',
  });
  t.same(
    report?.value.Exceptions.map(
      (e: { OrderID: string; Kind: string; ExpectedAmount: string; CollectedAmount: string | null; Difference: string }) => [
        e.OrderID,
        e.Kind,
        e.ExpectedAmount,
        e.CollectedAmount,
        e.Difference,
      ],
    ),
    [
      ['QC0042-000201', 'SHORT', '90.6200', '90.0000', '-0.6200'],
      ['QC0042-000202', 'MISSING', '90.6200', null, '-90.6200'],
      ['QC0042-000203', 'OVER', '90.6200', '100.0000', '9.3800'],
    ],
  );
  t.notOk(out(Topics.payment).some((r) => r.value.PaymentStatus === 'Reconciled'));
  t.equal((await state('QC0042-000201'))!.PaymentStatus, 'Collected');

  // The next day: the missing cash is still missing, then arrives and reconciles; SHORT / OVER were reported once.
  await driver.advanceWallClock(86_400_000);
  t.same(
    out(Topics.reconciliation)[1]?.value.Exceptions.map((e: { OrderID: string; Kind: string }) => [e.OrderID, e.Kind]),
    [['QC0042-000202', 'MISSING']],
  );
  await deliver('COLLECTED', { CollectedAmount: '90.6200' }, 'QC0042-000202');
  await driver.advanceWallClock(86_400_000);
  t.match(out(Topics.reconciliation)[2]?.value, { BusinessDay: '2026-11-23', ReconciledOrders: 1, Exceptions: [] });
  t.same(payments('QC0042-000202').at(-1), ['Reconciled', '90.6200']);
});

t.test('bad input goes to the topic DLQ with a specific code', async (t) => {
  const { send, out, ship, deliver } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  await ship('picking', {}, 'QC0042-999999');
  await send(Topics.shipEvent, 'QC0042', 'not json');
  await send(Topics.shipEvent, 'QC0042', {
    EventID: 'E1',
    OrderID: ORDER,
    ShipFromLocationID: 'QC0042',
    EventType: 'teleported',
    At: '2026-11-21T09:20:00Z',
  });
  await ship('short', { Lines: [{ LineID: '7', ItemID: 'SKU-100', Quantity: 1 }] });
  await ship('short', {});
  await send(Topics.shipEvent, 'QC9999', {
    EventID: 'E2',
    OrderID: ORDER,
    ShipFromLocationID: 'QC0042',
    EventType: 'picking',
    At: '2026-11-21T09:20:00Z',
  });
  t.same(
    out(`${Topics.shipEvent}.dlq`).map((r) => r.headers[DlqHeaders.code]),
    ['ORDER_NOT_FOUND', 'MALFORMED_RECORD', 'MALFORMED_RECORD', 'UNKNOWN_LINE', 'INVALID_LINE', 'SHIP_FROM_LOCATION_MISMATCH'],
  );
  await deliver('LOST');
  await deliver('COLLECTED');
  await deliver('COLLECTED', { CollectedAmount: '90.62345' });
  await deliver('DELIVERED', {}, 'QC0042-999999');
  t.same(
    out(`${Topics.deliveryStatus}.dlq`).map((r) => r.headers[DlqHeaders.code]),
    ['UNKNOWN_EVENT_TYPE', 'INVALID_COLLECTED_AMOUNT', 'INVALID_COLLECTED_AMOUNT', 'ORDER_NOT_FOUND'],
  );
  t.same(
    out(Topics.status).map((r) => r.value.ToStatus),
    [1000, 2000, 3000],
    'none of them changed the order',
  );
});

t.test('stock: an order’s units leave the allocated count when it ships (7000), once, whichever event gets there first', async (t) => {
  const { driver, send, ship, deliver } = await pipeline();
  const inventory = driver.store<{ get(key: string): Promise<{ Allocated: number } | undefined> }>(Stores.inventory);
  const allocated = async () => (await inventory.get('QC0042|SKU-100'))?.Allocated;
  await send(Topics.orderCreate, 'QC0042', order());
  await send(Topics.orderCreate, 'QC0042', order({ OrderID: 'QC0042-000124' }));
  const perOrder = (await allocated())! / 2;
  t.ok(perOrder > 0, `both orders allocated (${perOrder} units each)`);
  await ship('picking');
  await ship('packed');
  t.equal(await allocated(), perOrder * 2, 'still allocated while picked and packed');
  await ship('shipped', { TrackingID: 'PMP-1', Carrier: 'PMP' });
  t.equal(await allocated(), perOrder, 'shipped: the first order’s units are given back');
  await deliver('IN_TRANSIT');
  await deliver('DELIVERED');
  t.equal(await allocated(), perOrder, 'later statuses give nothing back again');
  // The second order: the partner's status comes before Slick's shipped event.
  await deliver('HANDED_OVER', {}, 'QC0042-000124');
  t.equal(await allocated(), 0, 'a delivery status reaching 7100 first gives them back');
  await ship('shipped', { Carrier: 'PMP' }, 'QC0042-000124');
  t.equal(await allocated(), 0, 'and the late shipped event does not give them back twice');
});

t.test('only the order’s carrier speaks for it: a status from the other partner goes to the DLQ as CARRIER_MISMATCH', async (t) => {
  const { send, out, ship, deliver, state } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  await ship('shipped', { TrackingID: 'GRAB-1', Carrier: 'GRAB' });
  await deliver('DELIVERED', { Partner: 'PMP' });
  await deliver('COLLECTED', { Partner: 'PMP', CollectedAmount: '90.62' });
  t.same(
    out(`${Topics.deliveryStatus}.dlq`).map((r) => r.headers[DlqHeaders.code]),
    ['CARRIER_MISMATCH', 'CARRIER_MISMATCH'],
  );
  t.match(await state(), { Status: 7000, PaymentStatus: '5000', CollectedAmount: null }, 'neither delivered nor collected');
  await deliver('DELIVERED', { Partner: 'GRAB' });
  t.equal((await state())?.Status, 7500, 'the carrier itself is heard');
});
