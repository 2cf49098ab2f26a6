// People's decisions on exceptions through the whole order topology in the driver: a resolved MISSING stops being
// reported at each cut-off, an acknowledged one keeps being reported; a release retried is sent again as the same
// record; a park is recorded; refusals name their reason; a command produced twice is applied once.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import type { ExceptionAction } from '../../../avro/records.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import type { OrderState } from '../../../processors/order-state.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z'); // 16:15 in Bangkok
const CUT_OFF = Date.parse('2026-11-21T16:00:00Z'); // 23:00 in Bangkok
const DAY = 86_400_000;

async function pipeline() {
  const driver = new InProcessRuntime(
    orderTopology(loadOrderConfig({ OMNIA_RECONCILIATION_CUTOFF: '23:00' }), orderSerdes(serdeConfig({}))),
    {
      startTime: CREATED,
    },
  );
  const send = (topic: string, value: unknown, key = 'QC0042') =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(JSON.stringify(value)), { timestamp: driver.now });
  await send(Topics.customers, customer(), 'C-1001');
  await driver.pipeRaw(
    Topics.catalog,
    Buffer.from('SKU-100'),
    Buffer.from(JSON.stringify({ ItemID: 'SKU-100', ShortDescription: 'item', ImageURL: null, UnitPrice: '35.5000', TaxRate: '0.0700' })),
    { timestamp: driver.now },
  );
  let events = 0;
  const at = () => new Date(driver.now).toISOString();
  const base = { ShipFromLocationID: 'QC0042', At: '' };
  const ship = (OrderID: string) =>
    send(Topics.shipEvent, { ...base, EventID: `SLK-${++events}`, OrderID, EventType: 'shipped', At: at() });
  const deliver = (OrderID: string, Status: string, extra: object = {}) =>
    send(Topics.deliveryStatus, { ...base, EventID: `DLV-${++events}`, OrderID, Partner: 'PMP', Status, At: at(), ...extra });
  let commands = 0;
  const decide = (
    OrderID: string,
    Exception: ExceptionAction['Exception'],
    Action: ExceptionAction['Action'],
    extra: Partial<ExceptionAction> = {},
  ) => {
    const command: ExceptionAction = {
      OrderID,
      ShipFromLocationID: 'QC0042',
      Exception,
      Action,
      Note: `note ${++commands}`,
      RequestedBy: 'manager-qc0042',
      CommandID: `cmd-${commands}`,
      At: at(),
      ...extra,
    };
    return send(Topics.exceptionAction, command).then(() => command);
  };
  const out = (topic: string) => driver.output.filter((r) => r.topic === topic).map((r) => JSON.parse(r.value!.toString()));
  const state = (orderId: string) => driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get(orderId);
  const missingReported = () =>
    out(Topics.reconciliation).map((report) =>
      report.Exceptions.filter((e: { Kind: string }) => e.Kind === 'MISSING').map((e: { OrderID: string }) => e.OrderID),
    );
  return { driver, send, ship, deliver, decide, out, state, missingReported };
}

t.test('a resolved MISSING is no longer reported; an acknowledged one still is; both are in the history with who', async (t) => {
  const { driver, send, ship, deliver, decide, out, state, missingReported } = await pipeline();
  for (const id of ['QC0042-000301', 'QC0042-000302']) {
    await send(Topics.orderCreate, order({ OrderID: id }));
    await ship(id);
    await deliver(id, 'DELIVERED');
  }
  await driver.advanceWallClock(CUT_OFF - driver.now);
  t.same(missingReported(), [['QC0042-000301', 'QC0042-000302']], 'both MISSING at the first cut-off');

  await decide('QC0042-000301', 'RECONCILIATION', 'ACKNOWLEDGE', { Note: 'calling PMP' });
  await decide('QC0042-000302', 'RECONCILIATION', 'RESOLVE', { Note: 'customer paid at the store, receipt R-88' });
  t.same(
    out(Topics.exceptionOutcome).map((o) => [o.Command.OrderID, o.Command.Action, o.Outcome, o.Reason]),
    [
      ['QC0042-000301', 'ACKNOWLEDGE', 'APPLIED', null],
      ['QC0042-000302', 'RESOLVE', 'APPLIED', null],
    ],
  );
  t.match((await state('QC0042-000302'))!.History.at(-1), {
    Reason: 'RECONCILIATION_EXCEPTION resolved: customer paid at the store, receipt R-88',
    Source: 'store',
    Actor: 'manager-qc0042',
    From: 7500,
    To: 7500,
  });
  await driver.advanceWallClock(DAY);
  t.same(missingReported()[1], ['QC0042-000301'], 'the next day only the acknowledged one is reported');
  await driver.advanceWallClock(DAY);
  t.same(missingReported()[2], ['QC0042-000301'], 'and the day after');

  // A new fact (the partner's late collection) opens the resolved order again: reconciliation has the last word.
  await deliver('QC0042-000302', 'COLLECTED', { CollectedAmount: '90.62' });
  await driver.advanceWallClock(DAY);
  t.equal((await state('QC0042-000302'))!.PaymentStatus, 'Reconciled');
});

t.test('a command produced twice is applied once; refusals say why and change nothing', async (t) => {
  const { send, ship, deliver, decide, out, state } = await pipeline();
  await send(Topics.orderCreate, order({ OrderID: 'QC0042-000401' }));
  await ship('QC0042-000401');
  await deliver('QC0042-000401', 'DELIVERED');
  const command = await decide('QC0042-000401', 'RECONCILIATION', 'RESOLVE');
  const entries = (await state('QC0042-000401'))!.History.length;
  await send(Topics.exceptionAction, command);
  t.equal(out(Topics.exceptionOutcome).length, 1, 'one outcome');
  t.equal((await state('QC0042-000401'))!.History.length, entries, 'one history entry');

  await decide('QC0042-999999', 'RECONCILIATION', 'RESOLVE');
  await decide('QC0042-000401', 'RECONCILIATION', 'PARK');
  await decide('QC0042-000401', 'RELEASE', 'RETRY');
  await decide('QC0042-000401', 'RECONCILIATION', 'RESOLVE', { ShipFromLocationID: 'QC0099' });
  await send(Topics.orderCreate, order({ OrderID: 'QC0042-000402', PaymentMethod: 'CARD' }));
  t.same(
    out(Topics.exceptionOutcome)
      .slice(1)
      .map((o) => [o.Command.OrderID, o.Outcome, o.Reason]),
    [
      ['QC0042-999999', 'REFUSED', 'ORDER_UNKNOWN'],
      ['QC0042-000401', 'REFUSED', 'ACTION_NOT_FOR_EXCEPTION'],
      ['QC0042-000401', 'REFUSED', 'ALREADY_WITH_SLICK'],
      ['QC0042-000401', 'REFUSED', 'ORDER_UNKNOWN'],
    ],
  );
  t.equal((await state('QC0042-000401'))!.History.length, entries, 'refusals leave the history alone');
});

t.test('RETRY sends the same release again (same ReleaseID, same payload); PARK is recorded with who and why', async (t) => {
  const { send, decide, out, state } = await pipeline();
  await send(Topics.orderCreate, order({ OrderID: 'QC0042-000501' }));
  const [first] = out(Topics.release);
  t.equal(first?.ReleaseID, 'REL-QC0042-000501');
  await decide('QC0042-000501', 'RELEASE', 'RETRY', { Note: 'Slick fixed the item master' });
  const releases = out(Topics.release);
  t.equal(releases.length, 2, 'sent again');
  t.same(releases[1], first, 'the very same record: Slick takes its key once, and sees the same payload');
  await decide('QC0042-000501', 'RELEASE', 'PARK', { Note: 'waiting for the buyer to call back' });
  t.same(
    out(Topics.exceptionOutcome).map((o) => [o.Command.Action, o.Outcome, o.ReleaseID]),
    [
      ['RETRY', 'APPLIED', 'REL-QC0042-000501'],
      ['PARK', 'APPLIED', 'REL-QC0042-000501'],
    ],
  );
  t.equal(out(Topics.release).length, 2, 'a park sends nothing');
  t.match((await state('QC0042-000501'))!.History.at(-1), {
    Reason: 'RELEASE parked: waiting for the buyer to call back',
    Actor: 'manager-qc0042',
    Status: undefined,
  });
  t.equal((await state('QC0042-000501'))!.Status, 3000, 'still Released');
});
