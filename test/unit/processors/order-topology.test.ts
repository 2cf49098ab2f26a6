import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Topics } from '../../../topology/topics.js';
import { DlqHeaders } from '../../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, line, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z');

async function pipeline(env: NodeJS.ProcessEnv = {}) {
  const serdes = orderSerdes(serdeConfig({}));
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig(env), serdes), { startTime: CREATED });
  const send = (topic: string, key: string, value: unknown, timestamp = driver.now) =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), { timestamp });
  await send(Topics.customers, 'C-1001', customer());
  await send(Topics.catalog, 'SKU-100', {
    ItemID: 'SKU-100',
    ShortDescription: 'Iced coffee 250 ml',
    ImageURL: 'https://img.example/sku-100.png',
    UnitPrice: '35.5000',
    TaxRate: '0.0700',
  });
  const out = (topic: string) =>
    driver.output
      .filter((record) => record.topic === topic)
      .map((record) => ({ key: record.key?.toString(), value: JSON.parse(record.value!.toString()), headers: record.headers }));
  return { driver, send, out };
}

t.test('a valid COD order is validated, enriched, priced, allocated, paid and released in one step', async (t) => {
  const { send, out } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  t.same(
    out(Topics.validation).map((r) => [r.value.OrderID, r.value.Valid, r.value.Errors]),
    [['QC0042-000123', true, []]],
  );
  t.same(
    out(Topics.status).map((r) => [r.value.FromStatus, r.value.ToStatus]),
    [
      [null, 1000],
      [1000, 2000],
      [2000, 3000],
    ],
    'status 1000 → 2000 → 3000',
  );
  t.same(
    out(Topics.payment).map((r) => [r.value.PaymentStatus, r.value.Amount]),
    [['5000', '90.6200']],
    'COD accepted for the order total',
  );
  const [release] = out(Topics.release);
  t.equal(release?.key, 'QC0042', 'keyed by ShipFromLocationID');
  // 2 × 35.50 = 71.00; discount 5.00; tax round4(66.00 × 0.07) = 4.62; charges 20.00 → 71 − 5 + 4.62 + 20 = 90.62
  t.match(release?.value, {
    ReleaseID: 'REL-QC0042-000123',
    SubTotal: '71.0000',
    TotalDiscount: '5.0000',
    TotalTaxes: '4.6200',
    TotalCharges: '20.0000',
    OrderTotal: '90.6200',
    CodAmount: '90.6200',
  });
  t.equal(release?.value.ReleaseLines[0].ShortDescription, 'Iced coffee 250 ml', 'blank description enriched from the catalog');
  t.equal(out(Topics.release).length, 1);
});

t.test('an order breaking several rules gets one validation record listing all, and goes to the DLQ', async (t) => {
  const { send, out } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order({ IsForceAllocation: false, T1Number: 'T1-12', OrderLines: [line({ Quantity: 0 })] }));
  const [result] = out(Topics.validation);
  t.equal(result?.value.Valid, false);
  t.same(result?.value.Errors.map((error: { Code: string }) => error.Code).sort(), [
    'FORCE_ALLOCATION_REQUIRED',
    'INVALID_LINE',
    'INVALID_T1_NUMBER',
  ]);
  const dlq = out(`${Topics.orderCreate}.dlq`);
  t.equal(dlq.length, 1);
  t.equal(dlq[0]!.headers[DlqHeaders.code], 'FORCE_ALLOCATION_REQUIRED');
  t.same(out(Topics.status), [], 'no order was created');
});

t.test('a byte-identical redelivery is absorbed; the same OrderID with another payload is DUPLICATE_ORDER_ID', async (t) => {
  const { send, out } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order());
  await send(Topics.orderCreate, 'QC0042', order());
  t.equal(out(Topics.validation).length, 1, 'redelivery: no second validation record');
  t.equal(out(Topics.release).length, 1, 'redelivery: no second release');
  await send(Topics.orderCreate, 'QC0042', order({ CustRef: 'OTHER' }));
  const results = out(Topics.validation);
  t.equal(results.length, 2);
  t.same(
    results[1]!.value.Errors.map((error: { Code: string }) => error.Code),
    ['DUPLICATE_ORDER_ID'],
  );
  t.equal(out(Topics.release).length, 1, 'still exactly one release');
});

t.test('a hold window keeps the order at 2000 until the punctuator releases it; a cancel before that wins', async (t) => {
  const { driver, send, out } = await pipeline({ OMNIA_RELEASE_HOLD_SECONDS: '300' });
  await send(Topics.orderCreate, 'QC0042', order());
  await send(Topics.orderCreate, 'QC0042', order({ OrderID: 'QC0042-000124' }));
  t.same(out(Topics.release), [], 'held');
  await send(Topics.orderUpdate, 'QC0042', {
    OrderID: 'QC0042-000124',
    ShipFromLocationID: 'QC0042',
    Action: 'CANCEL',
    Reason: 'customer changed mind',
  });
  await driver.advanceWallClock(301_000);
  t.same(
    out(Topics.release).map((r) => r.value.OrderID),
    ['QC0042-000123'],
    'the due order released, the cancelled one not',
  );
  t.same(
    out(Topics.payment).map((r) => [r.value.OrderID, r.value.PaymentStatus]),
    [
      ['QC0042-000123', '5000'],
      ['QC0042-000124', '5000'],
      ['QC0042-000124', 'Reversed'],
    ],
  );
  await send(Topics.orderUpdate, 'QC0042', {
    OrderID: 'QC0042-000123',
    ShipFromLocationID: 'QC0042',
    Action: 'CANCEL',
    Reason: 'too late',
  });
  const rejected = out(Topics.validation).at(-1)!;
  t.same(
    rejected.value.Errors.map((error: { Code: string }) => error.Code),
    ['ORDER_LOCKED'],
    'after release: ORDER_LOCKED',
  );
});

t.test('a COD failure reverses the allocation and cancels the order', async (t) => {
  const { driver, send, out } = await pipeline({ OMNIA_COD_MAX: '50.0000' });
  await send(Topics.orderCreate, 'QC0042', order());
  t.same(
    out(Topics.status).map((r) => r.value.ToStatus),
    [1000, 2000, 9000],
  );
  t.equal(out(Topics.status).at(-1)!.value.Reason, 'COD_AMOUNT_OUT_OF_RANGE');
  t.same(
    out(Topics.payment).map((r) => r.value.PaymentStatus),
    ['Failed'],
  );
  t.same(
    out(Topics.validation).map((r) => r.value.Valid),
    [true, false],
  );
  const counter = await driver.store<{ get(key: string): Promise<{ Allocated: number } | undefined> }>('inventory').get('QC0042|SKU-100');
  t.equal(counter?.Allocated, 0, 'allocation given back');
});

t.test('a resend of a rejected record is absorbed; a corrected record under the same OrderID is accepted', async (t) => {
  const { send, out } = await pipeline();
  const rejected = order({ IsForceAllocation: false });
  await send(Topics.orderCreate, 'QC0042', rejected);
  await send(Topics.orderCreate, 'QC0042', rejected);
  t.equal(out(Topics.validation).length, 1, 'one validation record for two identical copies');
  t.equal(out(`${Topics.orderCreate}.dlq`).length, 1, 'one dead letter');
  await send(Topics.orderCreate, 'QC0042', order());
  t.same(
    out(Topics.validation).map((r) => r.value.Valid),
    [false, true],
    'the corrected record is validated afresh',
  );
  t.equal(out(Topics.release).length, 1);
});

t.test('an order keyed by another location than its ShipFromLocationID is refused', async (t) => {
  const { send, out } = await pipeline();
  await send(Topics.orderCreate, 'QC9999', order());
  const [result] = out(Topics.validation);
  t.same(
    result?.value.Errors.map((error: { Code: string; Field: string }) => [error.Code, error.Field]),
    [['SHIP_FROM_LOCATION_MISMATCH', 'key']],
  );
});

t.test('an accepted order is taken as its record: absent optional fields read as their defaults, unknown ones dropped', async (t) => {
  const { driver, send, out } = await pipeline();
  const bare = {
    OrderID: 'QC0042-000200',
    ShipFromLocationID: 'QC0042',
    IsForceAllocation: true,
    PaymentMethod: 'COD',
    CreatedAt: '2026-11-21T09:15:00Z',
    DeliveryAddress: { PostalCode: '10110' },
    OrderLines: [{ LineID: '1', ItemID: 'SKU-100', Quantity: 1, UnitPrice: '35.5000', TaxRate: '0.0700' }],
    Currency: null,
    Note: 'not in the schema',
  };
  await send(Topics.orderCreate, 'QC0042', bare);
  t.same(
    out(Topics.validation).map((r) => r.value.Valid),
    [true],
  );
  t.match(out(Topics.release)[0]?.value, { OrderID: 'QC0042-000200', T1MembershipID: null, TotalCharges: '0.0000', OrderTotal: '37.9850' });
  const state = await driver.store<{ get(key: string): Promise<Record<string, unknown> | undefined> }>('orders').get('QC0042-000200');
  const { Note: _note, ...declared } = bare;
  t.same(state?.Order, {
    ...declared,
    T1MembershipID: null,
    T1Number: null,
    CustRef: null,
    CustomerID: null,
    DeliveryAddress: { Line1: null, District: null, Province: null, PostalCode: '10110', Phone: null },
    Charges: [],
    OrderLines: [
      {
        ...bare.OrderLines[0],
        ShipFromLocationID: null,
        ShortDescription: 'Iced coffee 250 ml',
        ImageURL: 'https://img.example/sku-100.png',
        Discounts: [],
        InformationalTaxes: [],
        BundleID: null,
      },
    ],
  });
  t.notOk(Object.hasOwn(state?.Order as object, 'Note'), 'an undeclared field is dropped');
  t.same(
    [state?.TrackingID, state?.SeenEventIDs, state?.ShortedLines, state?.CollectedAmount],
    [null, [], [], null],
    'every OrderState field is set',
  );
});

t.test('an update without a Reason is accepted (the schema makes it optional)', async (t) => {
  const { send, out } = await pipeline({ OMNIA_RELEASE_HOLD_SECONDS: '300' });
  await send(Topics.orderCreate, 'QC0042', order());
  await send(Topics.orderUpdate, 'QC0042', { OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', Action: 'CANCEL' });
  t.same(
    out(Topics.status)
      .map((r) => [r.value.ToStatus, r.value.Reason])
      .at(-1),
    [9000, 'CANCELLED'],
  );
  t.same(out(`${Topics.orderUpdate}.dlq`), []);
});

t.test('an order the rules accept but the schema cannot hold is MALFORMED_RECORD, not an order', async (t) => {
  const { send, out } = await pipeline();
  await send(Topics.orderCreate, 'QC0042', order({ OrderLines: [line({ Quantity: 3_000_000_000 })] }));
  const [result] = out(Topics.validation);
  t.equal(result?.value.Valid, false);
  t.same(
    result?.value.Errors.map((error: { Code: string }) => error.Code),
    ['MALFORMED_RECORD'],
  );
  t.match(result?.value.Errors[0].Message, /OrderLines\[0\]\.Quantity/);
  t.equal(out(`${Topics.orderCreate}.dlq`).length, 1);
  t.same(out(Topics.status), [], 'no order was created');
});
