// PMP's settlement report as the second source of COD reconciliation, through the whole order topology in the driver
// (time under the test's control): a row equal to the callback settles the order; a different amount, a row without a
// collection and a collection without a row by the next cut-off are exceptions on order.reconciliation.v1, reported
// until the sources agree or a person resolves them; a row imported twice is applied once; bad rows are dead letters.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import type { ExceptionAction, PaymentSettlement, SettlementException } from '../../../avro/records.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import type { OrderState } from '../../../processors/order-state.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { DlqHeaders } from '../../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z'); // 16:15 in Bangkok, business day 2026-11-21
const CUT_OFF = Date.parse('2026-11-21T16:00:00Z'); // 23:00 in Bangkok
const DAY = 86_400_000;

async function pipeline(env: NodeJS.ProcessEnv = {}) {
  const driver = new InProcessRuntime(
    orderTopology(loadOrderConfig({ OMNIA_RECONCILIATION_CUTOFF: '23:00', ...env }), orderSerdes(serdeConfig({}))),
    { startTime: CREATED },
  );
  const send = (topic: string, value: unknown, key = 'QC0042') =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(JSON.stringify(value)), { timestamp: driver.now });
  await send(Topics.customers, customer(), 'C-1001');
  await send(
    Topics.catalog,
    { ItemID: 'SKU-100', ShortDescription: 'item', ImageURL: null, UnitPrice: '35.5000', TaxRate: '0.0700' },
    'SKU-100',
  );
  let events = 0;
  const at = () => new Date(driver.now).toISOString();
  /** An order (90.6200) shipped with `carrier` and delivered. */
  const delivered = async (OrderID: string, carrier = 'PMP') => {
    await send(Topics.orderCreate, order({ OrderID }));
    const base = { OrderID, ShipFromLocationID: 'QC0042', At: at() };
    await send(Topics.shipEvent, {
      ...base,
      EventID: `SLK-${++events}`,
      EventType: 'shipped',
      TrackingID: `${carrier}-${OrderID}`,
      Carrier: carrier,
    });
    await send(Topics.deliveryStatus, { ...base, EventID: `DLV-${++events}`, Partner: carrier, Status: 'DELIVERED' });
  };
  const collected = (OrderID: string, CollectedAmount: string, Partner = 'PMP') =>
    send(Topics.deliveryStatus, {
      EventID: `DLV-${++events}`,
      OrderID,
      ShipFromLocationID: 'QC0042',
      Partner,
      Status: 'COLLECTED',
      CollectedAmount,
      At: at(),
    });
  const row = (OrderID: string, SettledAmount: string, extra: Partial<PaymentSettlement> = {}): PaymentSettlement => ({
    SettlementID: `PMP-${OrderID}-${SettledAmount}`,
    Partner: 'PMP',
    SettlementDate: '2026-11-21',
    OrderID,
    ShipFromLocationID: 'QC0042',
    TrackingID: `PMP-${OrderID}`,
    SettledAmount,
    CollectedAt: '2026-11-21T09:30:00.000Z',
    SourceFile: 'pmp-settlement-2026-11-21.csv',
    SourceLine: 2,
    ...extra,
  });
  const settle = (value: PaymentSettlement | object, key = 'QC0042') => send(Topics.settlement, value, key);
  let commands = 0;
  const decide = (OrderID: string, Action: ExceptionAction['Action']) =>
    send(Topics.exceptionAction, {
      OrderID,
      ShipFromLocationID: 'QC0042',
      Exception: 'RECONCILIATION',
      Action,
      Note: `note ${++commands}`,
      RequestedBy: 'finance-1',
      CommandID: `cmd-${commands}`,
      At: at(),
    } satisfies ExceptionAction);
  const out = (topic: string) => driver.output.filter((r) => r.topic === topic);
  const values = (topic: string) => out(topic).map((r) => JSON.parse(r.value!.toString()));
  const reports = () => values(Topics.reconciliation);
  /** Each report's settlement exceptions as [OrderID, Kind, Collected, Settled, Difference]. */
  const settlementsReported = () =>
    reports().map((report) =>
      (report.SettlementExceptions as SettlementException[]).map((e) => [
        e.OrderID,
        e.Kind,
        e.CollectedAmount,
        e.SettledAmount,
        e.Difference,
      ]),
    );
  const state = (orderId: string) => driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get(orderId);
  const untilCutOff = () => driver.advanceWallClock(CUT_OFF - driver.now);
  return { driver, send, delivered, collected, row, settle, decide, values, reports, settlementsReported, state, untilCutOff };
}

t.test('a row equal to the callback settles the order at once; the same row imported again changes nothing', async (t) => {
  const { driver, delivered, collected, row, settle, reports, state, untilCutOff } = await pipeline();
  await delivered('QC0042-000601');
  await collected('QC0042-000601', '90.62');
  await settle(row('QC0042-000601', '90.62'));
  const settled = await state('QC0042-000601');
  t.match(settled, { SettlementID: 'PMP-QC0042-000601-90.62', SettledAmount: '90.6200', SettlementDate: '2026-11-21' });
  t.match(settled!.History.at(-1), {
    Reason: 'SETTLED 90.6200 by PMP (settlement of 2026-11-21, PMP-QC0042-000601-90.62)',
    Source: 'settle',
    From: 7500,
    To: 7500,
  });
  t.equal(settled!.PaymentStatus, 'Collected', 'the payment status stays what the callback made it');

  await settle(row('QC0042-000601', '90.62'));
  t.same(await state('QC0042-000601'), settled, 'imported twice: the order does not change');

  await untilCutOff();
  t.match(reports(), [{ ReconciledOrders: 1, Exceptions: [], SettlementExceptions: [] }]);
  await driver.advanceWallClock(DAY);
  t.equal(reports().length, 1, 'settled: nothing to report the next day');
});

t.test('a settled amount other than the callback’s is SETTLEMENT_MISMATCH until a corrected row matches', async (t) => {
  const { driver, delivered, collected, row, settle, settlementsReported, reports, state, untilCutOff } = await pipeline();
  await delivered('QC0042-000611');
  await collected('QC0042-000611', '90.62');
  await settle(row('QC0042-000611', '90.6100'));
  t.equal(
    (await state('QC0042-000611'))!.History.at(-1)!.Reason,
    'SETTLEMENT 90.6100 by PMP (settlement of 2026-11-21, PMP-QC0042-000611-90.6100): SETTLEMENT_MISMATCH against 90.6200 collected, a reconciliation exception',
  );
  await untilCutOff();
  t.match(reports()[0], {
    ReconciledOrders: 1,
    ReconciledAmount: '90.6200',
    Exceptions: [],
    ExpectedTotal: '90.6200',
    CollectedTotal: '90.6200',
  });
  t.same(settlementsReported(), [[['QC0042-000611', 'SETTLEMENT_MISMATCH', '90.6200', '90.6100', '-0.0100']]]);
  t.match(reports()[0].SettlementExceptions[0], {
    Partner: 'PMP',
    SettlementID: 'PMP-QC0042-000611-90.6100',
    SettlementDate: '2026-11-21',
    CollectedAt: (await state('QC0042-000611'))!.CollectedAt,
  });
  t.equal((await state('QC0042-000611'))!.PaymentStatus, 'Reconciled', 'the callback matched the order: Reconciled all the same');

  await driver.advanceWallClock(DAY);
  t.same(settlementsReported()[1], [['QC0042-000611', 'SETTLEMENT_MISMATCH', '90.6200', '90.6100', '-0.0100']], 'reported again');

  await settle(row('QC0042-000611', '90.6200', { SettlementDate: '2026-11-22' }));
  t.match((await state('QC0042-000611'))!.History.at(-1)!.Reason, /^SETTLED 90\.6200 by PMP \(settlement of 2026-11-22/);
  await driver.advanceWallClock(DAY);
  t.equal(reports().length, 2, 'the corrected row settles it: no more reports');
});

t.test('a row for an order without a collection is SETTLEMENT_WITHOUT_COLLECTION; the late callback settles it', async (t) => {
  const { driver, delivered, collected, row, settle, reports, settlementsReported, state, untilCutOff } = await pipeline();
  await delivered('QC0042-000621');
  await settle(row('QC0042-000621', '90.62'));
  t.match((await state('QC0042-000621'))!.History.at(-1)!.Reason, /: SETTLEMENT_WITHOUT_COLLECTION, no collection by PMP recorded/);
  await untilCutOff();
  t.same(
    reports()[0].Exceptions.map((e: { OrderID: string; Kind: string }) => [e.OrderID, e.Kind]),
    [['QC0042-000621', 'MISSING']],
    'the lost callback is still MISSING',
  );
  t.same(settlementsReported(), [[['QC0042-000621', 'SETTLEMENT_WITHOUT_COLLECTION', null, '90.6200', '90.6200']]]);

  await collected('QC0042-000621', '90.62');
  await driver.advanceWallClock(DAY);
  t.match(reports()[1], { ReconciledOrders: 1, Exceptions: [], SettlementExceptions: [] });
  const history = (await state('QC0042-000621'))!.History.map((entry) => entry.Reason);
  t.match(history.at(-1), /^SETTLED 90\.6200 by PMP \(settlement of 2026-11-21, PMP-QC0042-000621-90\.62\): the collection matches it/);
  await driver.advanceWallClock(DAY);
  t.equal(reports().length, 2, 'nothing left to report');
});

t.test('a PMP collection with no row by the cut-off after its day is NOT_IN_SETTLEMENT, every day until it comes', async (t) => {
  const { driver, delivered, collected, row, settle, reports, settlementsReported, untilCutOff } = await pipeline();
  await delivered('QC0042-000631');
  await collected('QC0042-000631', '90.62');
  await delivered('QC0042-000632', 'GRAB');
  await collected('QC0042-000632', '90.62', 'GRAB');
  await untilCutOff();
  t.same(settlementsReported(), [[]], 'the day of the collection: PMP’s report for it is not due yet');
  await driver.advanceWallClock(DAY);
  t.same(
    settlementsReported()[1],
    [['QC0042-000631', 'NOT_IN_SETTLEMENT', '90.6200', null, '-90.6200']],
    'the next cut-off: due and missing (the Grab order expects no settlement)',
  );
  t.same(reports()[1].Exceptions, [], 'its cash was reconciled: no collection exception');
  await driver.advanceWallClock(DAY);
  t.equal(settlementsReported()[2]?.[0]?.[1], 'NOT_IN_SETTLEMENT', 'reported again');
  await settle(row('QC0042-000631', '90.6200', { SettlementDate: '2026-11-23' }));
  await driver.advanceWallClock(DAY);
  t.equal(reports().length, 3, 'settled late: no more reports');
});

t.test('OMNIA_SETTLEMENT_DUE_DAYS gives PMP more cut-offs to send its row', async (t) => {
  const { driver, delivered, collected, settlementsReported, untilCutOff } = await pipeline({ OMNIA_SETTLEMENT_DUE_DAYS: '2' });
  await delivered('QC0042-000641');
  await collected('QC0042-000641', '90.62');
  await untilCutOff();
  await driver.advanceWallClock(DAY);
  t.same(settlementsReported(), [[]], 'one cut-off after: not due yet, nothing to report');
  await driver.advanceWallClock(DAY);
  t.same(
    settlementsReported()[1]?.map((e) => e[1]),
    ['NOT_IN_SETTLEMENT'],
    'two cut-offs after: due',
  );
});

t.test('a settlement exception on a Reconciled order is acknowledged and resolved; resolving stops its report', async (t) => {
  const { driver, delivered, collected, row, settle, decide, values, settlementsReported, state, untilCutOff } = await pipeline();
  await delivered('QC0042-000651');
  await collected('QC0042-000651', '90.62');
  await delivered('QC0042-000652');
  await collected('QC0042-000652', '90.62');
  await settle(row('QC0042-000651', '90.00'));
  await settle(row('QC0042-000652', '90.62'));
  await untilCutOff();
  t.equal((await state('QC0042-000651'))!.PaymentStatus, 'Reconciled');
  await decide('QC0042-000651', 'ACKNOWLEDGE');
  await decide('QC0042-000652', 'ACKNOWLEDGE');
  t.same(
    values(Topics.exceptionOutcome).map((o) => [o.Command.OrderID, o.Outcome, o.Reason]),
    [
      ['QC0042-000651', 'APPLIED', null],
      ['QC0042-000652', 'REFUSED', 'ALREADY_RECONCILED'],
    ],
    'the mismatched one takes decisions although Reconciled; the settled one is done',
  );
  await driver.advanceWallClock(DAY);
  t.same(
    settlementsReported()[1]?.map((e) => e[0]),
    ['QC0042-000651'],
    'acknowledged: still reported',
  );
  await decide('QC0042-000651', 'RESOLVE');
  t.match((await state('QC0042-000651'))!.History.at(-1), { Reason: 'RECONCILIATION_EXCEPTION resolved: note 3', Actor: 'finance-1' });
  await driver.advanceWallClock(DAY);
  t.equal(values(Topics.reconciliation).length, 2, 'resolved: no longer reported');

  // A new fact (another row from PMP) judges it again.
  await settle(row('QC0042-000651', '80.00'));
  await driver.advanceWallClock(DAY);
  t.same(settlementsReported().at(-1), [['QC0042-000651', 'SETTLEMENT_MISMATCH', '90.6200', '80.0000', '-10.6200']]);
});

t.test('a row for an order Grab carried and collected is SETTLEMENT_WITHOUT_COLLECTION: only PMP’s callback counts', async (t) => {
  const { delivered, collected, row, settle, settlementsReported, untilCutOff } = await pipeline();
  await delivered('QC0042-000661', 'GRAB');
  await collected('QC0042-000661', '90.62', 'GRAB');
  await settle(row('QC0042-000661', '90.62'));
  await untilCutOff();
  t.same(settlementsReported(), [[['QC0042-000661', 'SETTLEMENT_WITHOUT_COLLECTION', null, '90.6200', '90.6200']]]);
});

t.test('bad rows go to payment.settlement.v1.dlq with their code and change nothing', async (t) => {
  const { driver, delivered, row, settle, state } = await pipeline();
  await delivered('QC0042-000671');
  const before = await state('QC0042-000671');
  await settle(row('QC0042-999999', '90.62'));
  await settle(row('QC0042-000671', '90.62'), 'QC0099');
  await settle(row('QC0042-000671', '90.62345'));
  await settle(row('QC0042-000671', '-1.0000'));
  await settle(row('QC0042-000671', '90.62', { Partner: 'GRAB' }));
  await settle({ OrderID: 'QC0042-000671' });
  t.same(
    driver.output.filter((r) => r.topic === `${Topics.settlement}.dlq`).map((r) => r.headers[DlqHeaders.code]),
    [
      'ORDER_NOT_FOUND',
      'SHIP_FROM_LOCATION_MISMATCH',
      'INVALID_SETTLED_AMOUNT',
      'INVALID_SETTLED_AMOUNT',
      'UNKNOWN_SETTLEMENT_PARTNER',
      'MALFORMED_RECORD',
    ],
  );
  t.same(await state('QC0042-000671'), before, 'the order is unchanged');
});
