// The release hold when clocks disagree or are stepped (processors/stages/release.ts), through the whole order
// topology in the driver, whose clock is the replica's: the hold is read on the replica's own clock and a held order
// is never due further than the hold away on it. A producer clock ahead (CreatedAt in the future) or a replica clock
// stepped back delays a release by at most the hold, not by the size of the difference; a clock stepped forward
// releases held orders early, once. Throughout, the ReleaseDueAt an order shows is the due time of its one entry in
// the held index, so a cancel finds the entry and a release clears both.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import type { OrderState } from '../../../processors/order-state.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { customer, order } from '../domain/fixtures.js';

const START = Date.parse('2026-11-21T09:15:00Z');
const HOLD = 300_000;
const CHECK = 1_000;
const HOUR = 3_600_000;

async function pipeline() {
  const driver = new InProcessRuntime(
    orderTopology(
      loadOrderConfig({ OMNIA_RELEASE_HOLD_SECONDS: String(HOLD / 1000), OMNIA_RELEASE_CHECK_MS: String(CHECK) }),
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
  /** A valid COD order created (by its producer's clock) at `createdAt`. */
  const create = (OrderID: string, createdAt: number) =>
    send(Topics.orderCreate, order({ OrderID, CreatedAt: new Date(createdAt).toISOString() }));
  const released = () =>
    driver.output.filter((r) => r.topic === Topics.release).map((r) => JSON.parse(r.value!.toString()) as { OrderID: string; At: string });
  const state = (orderId: string) => driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get(orderId);
  /** The held index as [due time, OrderID]. */
  const index = async () => {
    const entries: Array<[string, string]> = [];
    for await (const [key, orderId] of driver.store<{ all(): AsyncIterable<[string, string]> }>(Stores.held).all())
      entries.push([new Date(Number(key.slice(0, 15))).toISOString(), orderId]);
    return entries;
  };
  /** The index entry of a held order, from its state: what an operator is shown. */
  const shown = async (orderId: string) => [(await state(orderId))?.ReleaseDueAt, orderId];
  return { driver, send, create, released, state, index, shown };
}

t.test('a producer clock ahead: an order created an hour "in the future" is held for the hold, not an hour more', async (t) => {
  const { driver, create, released, index, shown } = await pipeline();
  await create('QC0042-000701', START + HOUR);
  const due = new Date(START + HOLD).toISOString();
  t.same(await index(), [[due, 'QC0042-000701']], 'indexed at now + hold, not CreatedAt + hold');
  t.same(await index(), [await shown('QC0042-000701')], 'ReleaseDueAt is the index entry');
  await driver.advanceWallClock(HOLD - CHECK);
  t.same(released(), [], 'still held one check before the hold is over');
  await driver.advanceWallClock(CHECK);
  t.same(
    released().map((r) => [r.OrderID, r.At]),
    [['QC0042-000701', due]],
    'released when the hold is over on the replica clock',
  );
  t.same(await index(), [], 'the index is empty');
  t.equal((await shown('QC0042-000701'))[0], null, 'no ReleaseDueAt once released');
  await driver.advanceWallClock(HOUR + HOLD);
  t.equal(released().length, 1, 'and it is released once, also when CreatedAt + hold comes');
});

t.test('the replica clock stepped back an hour: a held order is moved to now + hold at the next check', async (t) => {
  const { driver, create, send, released, index, shown } = await pipeline();
  await create('QC0042-000711', START);
  await create('QC0042-000712', START);
  t.same(
    (await index()).map(([due]) => due),
    [new Date(START + HOLD).toISOString(), new Date(START + HOLD).toISOString()],
    'both held until CreatedAt + hold',
  );
  await driver.advanceWallClock(100_000);
  await driver.advanceWallClock(-HOUR);
  // The check after the step: the schedule starts again from the stepped clock (it does not wait out the hour).
  await driver.advanceWallClock(CHECK);
  const moved = driver.now + HOLD;
  t.same(
    await index(),
    [
      [new Date(moved).toISOString(), 'QC0042-000711'],
      [new Date(moved).toISOString(), 'QC0042-000712'],
    ],
    'each entry moved to now + hold: one entry per order, none left at the old due time',
  );
  t.same(await Promise.all([shown('QC0042-000711'), shown('QC0042-000712')]), await index(), 'ReleaseDueAt follows the index entry');

  // The moved entry is the one a cancel removes: the cancelled order is never released.
  await send(Topics.orderUpdate, { OrderID: 'QC0042-000712', ShipFromLocationID: 'QC0042', Action: 'CANCEL', Reason: 'changed mind' });
  t.same(
    (await index()).map(([, id]) => id),
    ['QC0042-000711'],
    'the cancel took the moved entry out',
  );

  await driver.advanceWallClock(HOLD - CHECK);
  t.same(released(), [], 'held for the hold after the check that moved it');
  await driver.advanceWallClock(CHECK);
  t.same(
    released().map((r) => [r.OrderID, r.At]),
    [['QC0042-000711', new Date(moved).toISOString()]],
    `released ${(HOLD + CHECK) / 1000} s after the step by elapsed time, not an hour later`,
  );
  await driver.advanceWallClock(HOUR + HOLD);
  t.equal(released().length, 1, 'once, also when the clock passes the old due time');
  t.same(await index(), [], 'the index is empty');
});

t.test('a step back smaller than the hold leaves the due time as it is', async (t) => {
  const { driver, create, released, index, shown } = await pipeline();
  await create('QC0042-000721', START);
  await driver.advanceWallClock(100_000);
  await driver.advanceWallClock(-60_000);
  await driver.advanceWallClock(CHECK);
  t.same(
    await index(),
    [[new Date(START + HOLD).toISOString(), 'QC0042-000721']],
    'still due at CreatedAt + hold (within the hold of now)',
  );
  t.same(await index(), [await shown('QC0042-000721')]);
  await driver.advanceWallClock(START + HOLD - driver.now);
  t.same(
    released().map((r) => r.OrderID),
    ['QC0042-000721'],
    'released at its due time on the stepped clock',
  );
});

t.test('an order modified while it waits after a step back keeps the earlier due time', async (t) => {
  const { driver, create, send, index, shown, released } = await pipeline();
  await create('QC0042-000731', START);
  await driver.advanceWallClock(-HOUR);
  await driver.advanceWallClock(CHECK);
  const moved = new Date(driver.now + HOLD).toISOString();
  t.same(await index(), [[moved, 'QC0042-000731']]);
  await driver.advanceWallClock(60_000);
  await send(Topics.orderUpdate, {
    OrderID: 'QC0042-000731',
    ShipFromLocationID: 'QC0042',
    Action: 'MODIFY',
    Reason: 'one more',
    OrderLines: order().OrderLines.map((line) => ({ ...line, Quantity: 3 })),
  });
  t.same(await index(), [[moved, 'QC0042-000731']], 'still one entry, at the due time it had');
  t.same(await index(), [await shown('QC0042-000731')]);
  await driver.advanceWallClock(Date.parse(moved) - driver.now);
  t.same(
    released().map((r) => r.OrderID),
    ['QC0042-000731'],
  );
});

t.test('the replica clock stepped forward an hour: held orders are released at the next check, once', async (t) => {
  const { driver, create, released, index } = await pipeline();
  await create('QC0042-000741', START);
  await driver.advanceWallClock(10_000);
  await create('QC0042-000742', driver.now);
  await driver.advanceWallClock(HOUR);
  t.same(
    released()
      .map((r) => [r.OrderID, r.At])
      .sort(),
    [
      ['QC0042-000741', new Date(driver.now).toISOString()],
      ['QC0042-000742', new Date(driver.now).toISOString()],
    ],
    'both released by the step, before their hold was over by elapsed time (the wall clock defines the hold)',
  );
  t.same(await index(), [], 'the index is empty');
  await driver.advanceWallClock(-HOUR);
  await driver.advanceWallClock(HOLD + CHECK);
  t.equal(released().length, 2, 'stepping back again releases nothing twice');
  // An order created while the clock is an hour ahead of its producer's is due at CreatedAt + hold: at once.
  await driver.advanceWallClock(HOUR);
  await create('QC0042-000743', driver.now - HOUR);
  t.same(
    released().map((r) => r.OrderID),
    ['QC0042-000741', 'QC0042-000742', 'QC0042-000743'],
    'an order whose CreatedAt + hold has passed on the replica clock is released as it arrives',
  );
});
