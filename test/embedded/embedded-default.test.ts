/**
 * The embedded default (`npm start` without KAFKA_BROKERS) as a newcomer gets it: the order topology in-process,
 * the Slick, Grab and PMP simulators on real loopback HTTP, the signed webhook ingress, the Slick egress, the
 * embedded Postgres and the query service — one process. Orders piped in must come out the other end: released,
 * at Slick once, shipped, delivered, their cash collected and confirmed to Slick, reconciled at the cut-off, and
 * all of it in the analysts' tables and behind the query service.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import { freePort } from '../free-port.js';

const ORDERS = 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every order the pipeline took is Delivered or Cancelled and Slick has nothing left to get. */
async function settled(embedded: Embedded, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = [...embedded.statusCounts].filter(([status, count]) => count > 0 && status !== 7500 && status !== 9000);
    const delivered = embedded.statusCounts.get(7500) ?? 0;
    if (
      open.length === 0 &&
      delivered > 0 &&
      embedded.egress.status().queued === 0 &&
      embedded.partners.slick.collections.size === delivered
    )
      return;
    if (Date.now() > deadline)
      throw new Error(
        `not settled after ${timeoutMs} ms: statuses ${JSON.stringify([...embedded.statusCounts])}, egress ${JSON.stringify(embedded.egress.status())}`,
      );
    await sleep(100);
  }
}

const count = async (db: SqlDatabase, sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);

t.test('embedded default: demo orders go release → Slick → shipped → delivered → collected → reconciled, into the tables', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock: () => Date.now() + offsetMs,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      OMNIA_RECONCILIATION_CUTOFF: '12:00',
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      SLICK_BACKOFF_MS: '20',
      SLICK_BACKOFF_MAX_MS: '100',
      SLICK_BREAKER_COOLDOWN_MS: '200',
    },
  });
  t.teardown(() => embedded.stop());
  const { slick, grab, pmp } = embedded.partners;

  // Slick fails half of its calls until it has taken half of the releases: every release must still arrive once.
  slick.setFaults({ failureRate: 0.5 });
  for (let n = 0; n < ORDERS; n++)
    await embedded.pipeOrder(demoOrder(n, new Date(Date.now() + offsetMs), { stores: 6, customers: 200, seed: 7 }));
  const deadline = Date.now() + 30_000;
  while (slick.acceptedReleases < ORDERS / 2 && Date.now() < deadline) await sleep(20);
  slick.setFaults({ failureRate: 0 });
  await settled(embedded, 60_000);

  const delivered = embedded.statusCounts.get(7500) ?? 0;
  const cancelled = embedded.statusCounts.get(9000) ?? 0;
  t.ok(delivered >= ORDERS * 0.7, `most orders delivered (${delivered} delivered, ${cancelled} cancelled by COD rules)`);
  t.equal(slick.acceptedReleases, delivered, 'every delivered order was released to Slick');
  t.ok(
    [...slick.releaseCalls.values()].every((calls) => calls >= 1),
    'Slick saw each release',
  );
  t.equal(new Set(slick.releases.map((release) => release.ReleaseID)).size, delivered, 'each release accepted once');
  t.ok((slick.counters().calls as Record<string, number>)['failed-5xx']! > 0, 'Slick did fail calls');
  t.equal(
    (grab.counters().shipments as number) + (pmp.counters().shipments as number),
    delivered,
    'every shipped order handed to Grab or PMP',
  );
  t.equal(slick.collections.size, delivered, 'every COD collection confirmed to Slick');

  await embedded.flush();
  t.equal(
    await count(
      db,
      "SELECT count(*) AS n FROM orders WHERE status = 7500 AND payment_status = 'Collected' AND collected_amount = order_total",
    ),
    delivered,
    'the orders table: delivered, cash collected in full',
  );
  t.equal(
    await count(db, 'SELECT count(*) AS n FROM orders WHERE status = 7500 AND tracking_id IS NOT NULL AND carrier IS NOT NULL'),
    delivered,
    'tracking id and carrier kept',
  );
  t.equal(
    await count(
      db,
      "SELECT count(DISTINCT release_id) AS n FROM fulfillment_interactions WHERE action = 'SEND_RELEASE' AND outcome IN ('ACCEPTED', 'DUPLICATE')",
    ),
    delivered,
    'every release delivered, on order.fulfillment.v1',
  );
  t.ok(
    (await count(db, "SELECT count(*) AS n FROM fulfillment_interactions WHERE outcome = 'FAILED'")) > 0,
    'the failed calls recorded too',
  );
  t.equal(
    await count(db, "SELECT count(*) AS n FROM fulfillment_interactions WHERE action = 'CONFIRM_COLLECTION' AND outcome = 'ACCEPTED'"),
    delivered,
    'every collection confirmation recorded',
  );
  t.equal(await count(db, 'SELECT count(*) AS n FROM releases_awaiting_slick'), 0, 'nothing awaits manual action');

  // The next cut-off: the pipeline's clock moves a day on; every collection matches, so all are Reconciled.
  offsetMs = 86_400_000 + 60_000;
  await embedded.tick();
  await embedded.flush();
  t.equal(
    await count(db, "SELECT count(*) AS n FROM orders WHERE payment_status = 'Reconciled'"),
    delivered,
    'every collected order Reconciled',
  );
  t.equal(
    await count(db, 'SELECT coalesce(sum(reconciled_orders), 0) AS n FROM reconciliation_runs'),
    delivered,
    'the reports count them all',
  );
  t.equal(await count(db, 'SELECT count(*) AS n FROM reconciliation_exceptions'), 0, 'no exceptions');
  t.equal(
    (
      await db.query<{ same: boolean }>(
        'SELECT (SELECT sum(reconciled_amount) FROM reconciliation_runs) = (SELECT sum(order_total) FROM orders WHERE status = 7500) AS same',
      )
    ).rows[0]!.same,
    true,
    'reconciled amount = the delivered orders’ totals, exactly',
  );

  // Store staff look an order up through the query service.
  const [{ order_id: orderId }] = (
    await db.query<{ order_id: string }>('SELECT order_id FROM orders WHERE status = 7500 ORDER BY order_id LIMIT 1')
  ).rows as [{ order_id: string }];
  const response = await fetch(`${embedded.query.url}/api/v1/orders/${orderId}`, {
    headers: { authorization: `Bearer ${embedded.query.devToken}` },
  });
  t.equal(response.status, 200, 'lookup answered');
  const body = (await response.json()) as { source: string; order: { status: number; paymentStatus: string } };
  t.match(
    body,
    { source: 'local-state', order: { status: 7500, paymentStatus: 'Reconciled' } },
    'the lookup, from the driver store, shows Delivered and Reconciled',
  );
});
