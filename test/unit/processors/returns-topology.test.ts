// Returns through the whole order topology in the driver: asked after delivery (7500 → 8000), received and refunded
// (a Refunded payment event, units back on the shelf, 8000 → 8500), partial and in several returns whose refunds add up
// to OrderTotal − charges exactly; refusals dead-lettered with their code and the order unchanged; a command
// produced twice applied once.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import type { ReturnCommand, ReturnsState } from '../../../avro/records.js';
import { parseMoney, formatMoney } from '../../../processors/domain/money.js';
import type { InventoryCounter } from '../../../processors/inventory.js';
import type { OrderState } from '../../../processors/order-state.js';
import { DlqHeaders } from '../../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { customer, line, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z');
const DAY = 86_400_000;
const ORDER = 'QC0042-000123';

/**
 * 3 × 35.5000 less a 5.0000 promo, 2 × 12.3350 and 1 × 9.9900, all at 7 %, and a 20.0000 delivery fee:
 * SubTotal 141.1600, TotalDiscount 5.0000, TotalTaxes 7.1050 + 1.7269 + 0.6993 = 9.5312, OrderTotal 165.6912.
 */
const LINES = [
  line({ LineID: 'L1', ItemID: 'SKU-100', Quantity: 3, UnitPrice: '35.5000' }),
  line({ LineID: 'L2', ItemID: 'SKU-200', Quantity: 2, UnitPrice: '12.3350', Discounts: [], InformationalTaxes: [] }),
  line({ LineID: 'L3', ItemID: 'SKU-300', Quantity: 1, UnitPrice: '9.9900', Discounts: [], InformationalTaxes: [] }),
];

async function pipeline(env: NodeJS.ProcessEnv = {}) {
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig(env), orderSerdes(serdeConfig({}))), { startTime: CREATED });
  const send = (topic: string, value: unknown, key = 'QC0042') =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(JSON.stringify(value)), { timestamp: driver.now });
  await send(Topics.customers, customer(), 'C-1001');
  for (const [ItemID, UnitPrice] of [
    ['SKU-100', '35.5000'],
    ['SKU-200', '12.3350'],
    ['SKU-300', '9.9900'],
  ] as const)
    await send(Topics.catalog, { ItemID, ShortDescription: `item ${ItemID}`, ImageURL: null, UnitPrice, TaxRate: '0.0700' }, ItemID);
  await send(Topics.inventoryLevel, { ShipFromLocationID: 'QC0042', ItemID: 'SKU-100', OnHand: 10 });

  let events = 0;
  const at = () => new Date(driver.now).toISOString();
  /** Created, released, shipped and delivered at `deliveredAt` (the partner's time). */
  const delivered = async (OrderID = ORDER, deliveredAt = at()) => {
    await send(Topics.orderCreate, order({ OrderID, OrderLines: LINES }));
    await send(Topics.shipEvent, {
      EventID: `SLK-${++events}`,
      OrderID,
      ShipFromLocationID: 'QC0042',
      EventType: 'shipped',
      Carrier: 'PMP',
      At: at(),
    });
    await deliverStatus(OrderID, 'DELIVERED', deliveredAt);
  };
  const deliverStatus = (OrderID: string, Status: string, At = at()) =>
    send(Topics.deliveryStatus, { EventID: `DLV-${++events}`, OrderID, ShipFromLocationID: 'QC0042', Partner: 'PMP', Status, At });
  let commands = 0;
  const command = (Action: ReturnCommand['Action'], extra: Partial<ReturnCommand>): ReturnCommand => ({
    CommandID: `cmd-${++commands}`,
    OrderID: ORDER,
    ShipFromLocationID: 'QC0042',
    Action,
    ReturnID: `RET-${commands}`,
    Lines: null,
    Reason: null,
    RequestedBy: 'clerk-qc0042',
    At: at(),
    ...extra,
  });
  const request = async (lines: Array<[string, number]>, extra: Partial<ReturnCommand> = {}) => {
    const sent = command('REQUEST', { Lines: lines.map(([LineID, Quantity]) => ({ LineID, Quantity })), Reason: 'damaged box', ...extra });
    await send(Topics.orderReturn, sent);
    return sent;
  };
  const receive = async (ReturnID: string, extra: Partial<ReturnCommand> = {}) => {
    const sent = command('RECEIVE', { ReturnID, RequestedBy: 'manager-qc0042', ...extra });
    await send(Topics.orderReturn, sent);
    return sent;
  };
  const values = (topic: string) =>
    driver.output
      .filter((record) => record.topic === topic)
      .map((record) => JSON.parse(record.value!.toString()) as Record<string, unknown>);
  const dead = () =>
    driver.output
      .filter((record) => record.topic === `${Topics.orderReturn}.dlq`)
      .map((record) => [record.headers[DlqHeaders.code], record.headers[DlqHeaders.message]] as [string, string]);
  const statuses = (OrderID = ORDER) =>
    values(Topics.status)
      .filter((change) => change.OrderID === OrderID)
      .map((change) => change.ToStatus as number);
  const refunds = (OrderID = ORDER) =>
    values(Topics.payment)
      .filter((event) => event.OrderID === OrderID && event.PaymentStatus === 'Refunded')
      .map((event) => event.Amount as string);
  const state = (OrderID = ORDER) => driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get(OrderID);
  const returns = (OrderID = ORDER) => driver.store<{ get(key: string): Promise<ReturnsState | undefined> }>(Stores.returns).get(OrderID);
  const counter = (ItemID: string) =>
    driver.store<{ get(key: string): Promise<InventoryCounter | undefined> }>(Stores.inventory).get(`QC0042|${ItemID}`);
  return { driver, send, delivered, deliverStatus, request, receive, values, dead, statuses, refunds, state, returns, counter };
}

const sum = (amounts: readonly string[]) => formatMoney(amounts.reduce((total, amount) => total.plus(parseMoney(amount)), parseMoney('0')));

t.test('a partial return: 7500 → 8000 when asked, refunded and 8000 → 8500 when received, units back on the shelf', async (t) => {
  const p = await pipeline();
  await p.delivered();
  t.match(await p.state(), { Status: 7500, Totals: { OrderTotal: '165.6912', TotalCharges: '20.0000' } });
  t.equal((await p.counter('SKU-100'))?.OnHand, 10, 'the count before');

  await p.request([
    ['L1', 1],
    ['L2', 1],
  ]);
  t.same(p.statuses().slice(-2), [7500, 8000]);
  t.match(p.values(Topics.status).at(-1), { FromStatus: 7500, ToStatus: 8000, Source: 'store', Actor: 'clerk-qc0042' });
  t.match((await p.state())?.History.at(-1), { From: 7500, To: 8000, Reason: 'RETURN_REQUESTED RET-1: L1 × 1, L2 × 1 (damaged box)' });
  t.match(await p.returns(), {
    OrderID: ORDER,
    Returns: [
      {
        ReturnID: 'RET-1',
        Lines: [
          { LineID: 'L1', ItemID: 'SKU-100', Quantity: 1, Refund: null },
          { LineID: 'L2', ItemID: 'SKU-200', Quantity: 1, Refund: null },
        ],
        Reason: 'damaged box',
        RequestedBy: 'clerk-qc0042',
        ReceivedAt: null,
        RefundTotal: null,
      },
    ],
  });
  t.same(p.refunds(), [], 'nothing refunded before the units are back');

  await p.receive('RET-1');
  // L1: 35.5000 − round4(5/3) 1.6667 + round4(7.105/3) 2.3683; L2: 12.3350 + 1.7269/2 = 0.86345 → 0.8634 (half to even).
  t.same(p.refunds(), ['49.4000'], 'one Refunded payment event for the return');
  t.match(p.values(Topics.payment).at(-1), {
    OrderID: ORDER,
    ShipFromLocationID: 'QC0042',
    PaymentMethod: 'COD',
    PaymentStatus: 'Refunded',
  });
  t.match((await p.returns())?.Returns[0], {
    ReceivedBy: 'manager-qc0042',
    RefundTotal: '49.4000',
    Lines: [
      { LineID: 'L1', Amount: '35.5000', Discount: '1.6667', Tax: '2.3683', Refund: '36.2016' },
      { LineID: 'L2', Amount: '12.3350', Discount: '0.0000', Tax: '0.8634', Refund: '13.1984' },
    ],
  });
  t.same(p.statuses().slice(-2), [8000, 8500]);
  t.match((await p.state())?.History.at(-1), {
    From: 8000,
    To: 8500,
    Reason: 'RETURN_RECEIVED RET-1: L1 × 1, L2 × 1; refunded 49.4000',
    Actor: 'manager-qc0042',
  });
  t.equal((await p.state())?.PaymentStatus, '5000', 'the order’s payment status is the collection’s; the refund is an event of its own');
  t.equal((await p.counter('SKU-100'))?.OnHand, 11, 'the returned unit is back on the counted shelf');
  t.equal((await p.counter('SKU-100'))?.Allocated, 0, 'allocation was given back at shipping and stays so');
  t.equal((await p.counter('SKU-200'))?.OnHand, -1, 'an item never counted stays unknown');
  t.same(p.dead(), []);

  // A partner's event after it is out of order: noted, the status kept.
  await p.deliverStatus(ORDER, 'DELIVERED');
  t.equal((await p.state())?.Status, 8500);
  t.match((await p.state())?.History.at(-1)?.Reason, /^OUT_OF_ORDER: DELIVERED \(7500 Delivered\) ignored at 8500 Returned/);
  t.same(p.statuses().slice(-1), [8500], 'nothing published');
});

t.test('a second return of the rest: the refunds of all returns equal OrderTotal − charges to the 4th decimal', async (t) => {
  const p = await pipeline();
  await p.delivered();
  await p.request([
    ['L1', 1],
    ['L2', 1],
  ]);
  await p.receive('RET-1');
  t.equal((await p.state())?.Status, 8500);
  await p.request([
    ['L1', 2],
    ['L2', 1],
    ['L3', 1],
  ]);
  t.equal((await p.state())?.Status, 8500, 'a return asked at 8500 does not move the status back');
  t.match((await p.state())?.History.at(-1), { From: 8500, To: 8500, Reason: /^RETURN_REQUESTED RET-3: L1 × 2, L2 × 1, L3 × 1/ });
  await p.receive('RET-3');
  t.same(p.refunds(), ['49.4000', '96.2912']);
  t.equal(sum(p.refunds()), '145.6912', 'OrderTotal 165.6912 − the 20.0000 fee');
  t.match((await p.returns())?.Returns[1]?.Lines, [
    { LineID: 'L1', Amount: '71.0000', Discount: '3.3333', Tax: '4.7367', Refund: '72.4034' },
    { LineID: 'L2', Amount: '12.3350', Discount: '0.0000', Tax: '0.8635', Refund: '13.1985' },
    { LineID: 'L3', Amount: '9.9900', Discount: '0.0000', Tax: '0.6993', Refund: '10.6893' },
  ]);
  t.same(
    p.statuses().filter((status) => status >= 8000),
    [8000, 8500],
    'each of 8000 and 8500 once',
  );
  t.equal((await p.counter('SKU-100'))?.OnHand, 13, 'all three units back');

  await p.request([['L3', 1]]);
  t.match(p.dead().at(-1), ['QUANTITY_EXCEEDS_SHIPPED', /L3: 0 of the 1 units shipped may still be returned/]);
});

t.test('two returns open at once: 8500 only once both are received, whatever the order; the refunds still add up', async (t) => {
  const p = await pipeline();
  await p.delivered();
  await p.request([['L1', 1]]);
  await p.request([
    ['L1', 2],
    ['L2', 2],
    ['L3', 1],
  ]);
  await p.receive('RET-2');
  t.equal((await p.state())?.Status, 8000, 'RET-1 is still open');
  await p.receive('RET-1');
  t.equal((await p.state())?.Status, 8500);
  t.same(p.refunds(), ['109.4896', '36.2016']);
  t.equal(sum(p.refunds()), '145.6912');
});

t.test('refusals are dead-lettered with their code and leave the order and its returns unchanged', async (t) => {
  const p = await pipeline();
  await p.send(Topics.orderCreate, order({ OrderID: 'QC0042-000124', OrderLines: LINES }));
  await p.send(Topics.shipEvent, {
    EventID: 'S-9',
    OrderID: 'QC0042-000124',
    ShipFromLocationID: 'QC0042',
    EventType: 'shipped',
    At: '2026-11-21T09:20:00Z',
  });
  await p.request([['L1', 1]], { OrderID: 'QC0042-000124' });
  await p.request([['L1', 1]], { OrderID: 'QC0042-999999' });

  await p.delivered(ORDER, new Date(CREATED).toISOString());
  const before = await p.state();
  await p.request([['L1', 1]], { At: new Date(CREATED + 7 * DAY + 1).toISOString() });
  await p.request([
    ['L1', 4],
    ['L9', 1],
    ['L2', 0],
  ]);
  await p.request([]);
  await p.receive('RET-404');
  t.same(
    p.dead().map(([code]) => code),
    ['NOT_DELIVERED', 'ORDER_NOT_FOUND', 'RETURN_WINDOW_CLOSED', 'QUANTITY_EXCEEDS_SHIPPED', 'INVALID_LINE', 'RETURN_NOT_FOUND'],
  );
  t.match(p.dead()[0]![1], /is Fulfilled \(7000\)/);
  t.match(p.dead()[2]![1], /returns closed 7 days later, at 2026-11-28T09:15:00.000Z/);
  t.equal(
    p.dead()[3]![1],
    'QUANTITY_EXCEEDS_SHIPPED L1: 3 of the 3 units shipped may still be returned; UNKNOWN_LINE L9: the order has no such line; INVALID_QUANTITY L2: the quantity must be a whole number of at least 1',
    'every line’s reason',
  );
  t.same(await p.state(), before, 'the order unchanged');
  t.equal(await p.returns(), undefined, 'no return recorded');
  t.equal(await p.returns('QC0042-000124'), undefined);
  t.same(p.refunds(), []);

  await p.request([['L1', 1]], { At: new Date(CREATED + 7 * DAY).toISOString() });
  t.equal((await p.state())?.Status, 8000, 'the last moment of the window is in it');
});

t.test('a window of OMNIA_RETURN_WINDOW_DAYS', async (t) => {
  const p = await pipeline({ OMNIA_RETURN_WINDOW_DAYS: '2' });
  await p.delivered(ORDER, new Date(CREATED).toISOString());
  await p.request([['L1', 1]], { At: new Date(CREATED + 3 * DAY).toISOString() });
  t.match(p.dead(), [['RETURN_WINDOW_CLOSED', /closed 2 days later/]]);
});

t.test('a command produced twice is applied once; a second receipt of a received return is refused', async (t) => {
  const p = await pipeline();
  await p.delivered();
  const asked = await p.request([['L1', 1]]);
  await p.send(Topics.orderReturn, asked);
  t.equal((await p.returns())?.Returns.length, 1, 'the same ReturnID once');
  const received = await p.receive('RET-1');
  await p.send(Topics.orderReturn, received);
  t.same(p.refunds(), ['36.2016'], 'one refund');
  t.equal((await p.counter('SKU-100'))?.OnHand, 11, 'the unit back once');
  t.same(p.dead(), [], 'a repeat is not a refusal');
  await p.receive('RET-1');
  t.match(p.dead(), [['RETURN_ALREADY_RECEIVED', /RET-1 of order QC0042-000123 was received at .* by manager-qc0042/]]);
  t.same(p.refunds(), ['36.2016']);
  const history = (await p.state())!.History.filter((entry) => /^RETURN_/.test(entry.Reason ?? ''));
  t.equal(history.length, 2, 'one request and one receipt in the history');
});
