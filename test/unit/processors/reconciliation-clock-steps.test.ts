// The daily COD reconciliation when the replica clock is stepped (processors/stages/reconcile.ts), through the whole
// order topology in the driver, whose clock is the replica's: a business day is reconciled exactly once whatever the
// clock does. A step forward across the cut-off runs that day's reconciliation at the next check; stepping back
// across it, and the clock then reaching the cut-off again, runs nothing twice (the task remembers the cut-off of its
// last run in `reconciliation-runs`); and the next day's cut-off still runs, once.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Topics } from '../../../topology/topics.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, order } from '../domain/fixtures.js';

const START = Date.parse('2026-11-21T09:15:00Z'); // 16:15 in Bangkok, business day 2026-11-21
const CUT_OFF = Date.parse('2026-11-21T16:00:00Z'); // 23:00 in Bangkok
const CHECK = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

async function pipeline() {
  const driver = new InProcessRuntime(
    orderTopology(
      loadOrderConfig({
        OMNIA_RECONCILIATION_CUTOFF: '23:00',
        OMNIA_BUSINESS_TIMEZONE: 'Asia/Bangkok',
        OMNIA_RECONCILIATION_CHECK_MS: String(CHECK),
      }),
      orderSerdes(serdeConfig({})),
    ),
    { startTime: START },
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
  /** An order (90.6200) shipped with Grab, delivered and its cash collected, now. */
  const collected = async (OrderID: string) => {
    await send(Topics.orderCreate, order({ OrderID }));
    const base = { OrderID, ShipFromLocationID: 'QC0042', At: new Date(driver.now).toISOString() };
    await send(Topics.shipEvent, {
      ...base,
      EventID: `SLK-${++events}`,
      EventType: 'shipped',
      TrackingID: `GRAB-${OrderID}`,
      Carrier: 'GRAB',
    });
    await send(Topics.deliveryStatus, { ...base, EventID: `DLV-${++events}`, Partner: 'GRAB', Status: 'DELIVERED' });
    await send(Topics.deliveryStatus, {
      ...base,
      EventID: `DLV-${++events}`,
      Partner: 'GRAB',
      Status: 'COLLECTED',
      CollectedAmount: '90.62',
    });
  };
  const values = (topic: string) => driver.output.filter((r) => r.topic === topic).map((r) => JSON.parse(r.value!.toString()));
  /** Each report as [BusinessDay, CutOffAt, the orders it reconciled]. */
  const reports = () =>
    values(Topics.reconciliation).map((report) => [report.BusinessDay, report.CutOffAt, report.ReconciledOrders as number]);
  const reconciledEvents = () =>
    values(Topics.payment)
      .filter((event) => event.PaymentStatus === 'Reconciled')
      .map((event) => event.OrderID as string);
  /** Moves the clock to `at`, as time passing (the checks on the way run). */
  const until = (at: number) => driver.advanceWallClock(at - driver.now);
  return { driver, collected, reports, reconciledEvents, until };
}

t.test('a step forward across the cut-off runs the day once; back across it and past it again runs nothing more', async (t) => {
  const { driver, collected, reports, reconciledEvents, until } = await pipeline();
  await collected('QC0042-000801');
  await until(CUT_OFF - 30 * 60_000);
  t.same(reports(), [], 'half an hour before the cut-off: nothing');

  await driver.advanceWallClock(HOUR); // the step: 23:30 in Bangkok
  t.same(reports(), [['2026-11-21', '2026-11-21T16:00:00.000Z', 1]], 'the step ran the day’s reconciliation at the next check');
  t.same(reconciledEvents(), ['QC0042-000801']);
  await collected('QC0042-000802'); // cash after the run: the next day's

  await driver.advanceWallClock(-HOUR); // back to 22:30
  await driver.advanceWallClock(CHECK);
  await until(CUT_OFF + 10 * CHECK); // the clock reaches 23:00 again, and passes it
  t.same(reports(), [['2026-11-21', '2026-11-21T16:00:00.000Z', 1]], 'the cut-off reached again: not run a second time');
  t.same(reconciledEvents(), ['QC0042-000801'], 'the cash after the run is not reconciled early');

  await until(CUT_OFF + DAY + CHECK);
  t.same(
    reports(),
    [
      ['2026-11-21', '2026-11-21T16:00:00.000Z', 1],
      ['2026-11-22', '2026-11-22T16:00:00.000Z', 1],
    ],
    'the next day is not skipped: its cut-off runs, once',
  );
  t.same(reconciledEvents(), ['QC0042-000801', 'QC0042-000802'], 'each order reconciled once');
});

t.test('a step back an hour after the cut-off ran does not run it again; the next day runs once', async (t) => {
  const { driver, collected, reports, reconciledEvents, until } = await pipeline();
  await collected('QC0042-000811');
  await until(CUT_OFF + CHECK);
  t.same(reports(), [['2026-11-21', '2026-11-21T16:00:00.000Z', 1]], 'run at the cut-off');

  await driver.advanceWallClock(-HOUR);
  await collected('QC0042-000812');
  await driver.advanceWallClock(CHECK);
  await until(CUT_OFF + 10 * CHECK);
  t.equal(reports().length, 1, 'an hour back and past the cut-off again: one run');
  await driver.advanceWallClock(HOUR); // and forward again
  t.equal(reports().length, 1, 'an hour forward again: still one run');

  await until(CUT_OFF + DAY + CHECK);
  t.same(
    reports().map(([day]) => day),
    ['2026-11-21', '2026-11-22'],
    'the next day runs, once',
  );
  t.same(reconciledEvents(), ['QC0042-000811', 'QC0042-000812']);
});

t.test('a clock an hour behind when the cut-off comes runs the day when it is put right', async (t) => {
  const { driver, collected, reports, until } = await pipeline();
  await collected('QC0042-000821');
  await until(CUT_OFF - 10 * CHECK);
  await driver.advanceWallClock(-HOUR);
  await until(CUT_OFF - 5 * CHECK); // real time is past the cut-off; this clock is not
  t.same(reports(), [], 'the clock has not reached the cut-off');
  await driver.advanceWallClock(HOUR); // put right: 23:55
  t.same(reports(), [['2026-11-21', '2026-11-21T16:00:00.000Z', 1]], 'run at the first check after the correction');
  await until(CUT_OFF + DAY - 10 * CHECK);
  t.equal(reports().length, 1, 'once for the day');
});
