/**
 * Actions on orders through the query service of the embedded default: each one a command on order.update.v1
 * that the in-process pipeline applies. Orders are held before release (OMNIA_RELEASE_HOLD_SECONDS), so they
 * wait at 2000 Allocated until the test moves the clock past the hold.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { apiClient, type Claims } from './api-client.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { freePort } from '../free-port.js';

const HOLD_SECONDS = 3600;

/** What the tests read of an answer: an error, an order (lookup), the results of a bulk action. */
interface Body {
  error: { code: string; message: string; details: unknown[] };
  order: { status: number; history: unknown[]; totals: { orderTotal: string } | null; lines: Array<{ itemId: string; quantity: number }> };
  results: unknown[];
}

const client = (embedded: Embedded, claims: Claims) => apiClient<Body>(embedded, claims);

t.test('actions: cancel, bulk cancel, locked after release, store scope, roles, idempotency, bad input', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock: () => Date.now() + offsetMs,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS) },
  });
  t.teardown(() => embedded.stop());

  // Orders of QC0001 and QC0002 (two stores), every one valid.
  const orders = Array.from({ length: 10 }, (_, n) => ({
    ...demoOrder(n, new Date(Date.now()), { stores: 2, customers: 50, seed: 11, invalidShare: 0 }),
  }));
  for (const order of orders) await embedded.pipeOrder(order);
  const ofStore = (store: string) => orders.filter((order) => order.ShipFromLocationID === store).map((order) => order.OrderID);
  const [a1, a2, a3, a4] = ofStore('QC0001') as [string, string, string, string];
  const [b1] = ofStore('QC0002') as [string];

  const clerkA = client(embedded, { sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] });
  const managerB = client(embedded, { sub: 'manager-b', roles: ['store_manager'], stores: ['QC0002'] });
  const coordinator = client(embedded, { sub: 'coord', roles: ['regional_coordinator'] });
  const status = async (orderId: string) => (await clerkA.get(`/api/v1/orders/${orderId}`)).body.order;

  t.equal((await status(a1)).status, 2000, 'held: Allocated');

  // Cancel: accepted, applied by the pipeline, the clerk recorded as the history entry's actor.
  const cancelled = await clerkA.post(`/api/v1/orders/${a1}/cancel`, { reason: 'customer asked' }, 'key-1');
  t.equal(cancelled.status, 202, 'accepted');
  t.match(cancelled.body, { accepted: true, orderId: a1, action: 'CANCEL', requestedBy: 'clerk-a' });
  const afterCancel = await status(a1);
  t.equal(afterCancel.status, 9000, 'the pipeline cancelled it');
  t.match(afterCancel.history.at(-1), { to: 9000, reason: 'CANCELLED: customer asked', source: 'update', actor: 'clerk-a' });

  // The same key and body: the same answer, one effect (no second history entry, nothing dead-lettered).
  const again = await clerkA.post(`/api/v1/orders/${a1}/cancel`, { reason: 'customer asked' }, 'key-1');
  t.equal(again.status, 202);
  t.ok(again.replayed, 'marked as replayed');
  t.same(again.body, cancelled.body, 'the same answer');
  t.equal((await status(a1)).history.length, afterCancel.history.length, 'one effect');
  // The same key, another body: 422.
  const reused = await clerkA.post(`/api/v1/orders/${a2}/cancel`, { reason: 'customer asked' }, 'key-1');
  t.equal(reused.status, 422);
  t.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
  // Already cancelled, without a key: 409 with its own code.
  const twice = await clerkA.post(`/api/v1/orders/${a1}/cancel`, { reason: 'again' });
  t.equal(twice.status, 409);
  t.equal(twice.body.error.code, 'ORDER_ALREADY_CANCELLED');

  // Store scope: another store's order is 404 to a store role, before and whatever the hint; coordinators read only.
  const elsewhere = await managerB.post(`/api/v1/orders/${a2}/cancel`, { reason: 'x' });
  t.equal(elsewhere.status, 404, "another store's order does not exist for manager B");
  t.equal(elsewhere.body.error.code, 'ORDER_NOT_FOUND');
  t.equal((await managerB.post(`/api/v1/orders/${a2}/cancel`, { reason: 'x', store: 'QC0001' })).status, 404);
  const readOnly = await coordinator.post(`/api/v1/orders/${a2}/cancel`, { reason: 'x' });
  t.equal(readOnly.status, 403, 'a coordinator reads but does not act');
  t.equal((await status(a2)).status, 2000, 'none of that touched the order');

  // Bad input: every failing field listed.
  const bad = await clerkA.post(`/api/v1/orders/${a2}/cancel`, { reason: '', extra: 1 });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  t.ok(bad.body.error.details.length >= 2, `each failing field: ${JSON.stringify(bad.body.error.details)}`);
  const badKey = await clerkA.post(`/api/v1/orders/${a2}/cancel`, { reason: 'x' }, 'not a key with spaces');
  t.equal(badKey.status, 400, 'a malformed Idempotency-Key');

  // Bulk: each order its own outcome; another store's order is rejected as not found.
  const bulk = await clerkA.post('/api/v1/orders/cancel', { orderIds: [a2, b1, 'QC0001-99999999'], reason: 'duplicate order' }, 'bulk-1');
  t.equal(bulk.status, 200);
  t.match(bulk.body.results, [
    { orderId: a2, outcome: 'accepted' },
    { orderId: b1, outcome: 'rejected', code: 'ORDER_NOT_FOUND' },
    { orderId: 'QC0001-99999999', outcome: 'rejected', code: 'ORDER_NOT_FOUND' },
  ]);
  t.equal((await status(a2)).status, 9000);
  t.equal((await managerB.get(`/api/v1/orders/${b1}`)).body.order.status, 2000, "B's order untouched");

  // Modify before release: new lines and address, priced again by the pipeline, the clerk in the history.
  const modified = await clerkA.post(
    `/api/v1/orders/${a4}/modify`,
    {
      reason: 'customer wants two coffees only',
      lines: [{ lineId: '1', itemId: 'SKU-100', quantity: 2, unitPrice: '35.5000', taxRate: '0.0700' }],
      address: { line1: '99 Rama IV Rd', district: 'Pathum Wan', province: 'Bangkok', postalCode: '10330', phone: '+66 81 000 0000' },
    },
    'modify-1',
  );
  t.equal(modified.status, 202, `modify accepted: ${JSON.stringify(modified.body)}`);
  const afterModify = await status(a4);
  t.equal(afterModify.status, 2000, 'still held, allocated again');
  t.same(
    afterModify.lines.map((line) => [line.itemId, line.quantity]),
    [['SKU-100', 2]],
    'the new lines',
  );
  t.equal(afterModify.totals?.orderTotal, '95.9700', 'priced again: 2 × 35.5000, 7 % tax 4.9700, the 20.0000 delivery fee');
  t.match(afterModify.history.at(-2), { reason: 'MODIFIED: customer wants two coffees only', actor: 'clerk-a' });
  const noChange = await clerkA.post(`/api/v1/orders/${a4}/modify`, { reason: 'nothing' });
  t.equal(noChange.status, 400, 'neither lines nor address');
  const badLines = await clerkA.post(`/api/v1/orders/${a4}/modify`, {
    reason: 'x',
    lines: [{ lineId: '1', itemId: 'SKU-100', quantity: 0, unitPrice: '1.23456', taxRate: '7' }],
  });
  t.equal(badLines.status, 400);
  t.ok(badLines.body.error.details.length >= 3, `each failing field: ${JSON.stringify(badLines.body.error.details)}`);

  // Past the hold the orders are released: cancelling now is 409 ORDER_LOCKED, and nothing changes.
  offsetMs = (HOLD_SECONDS + 60) * 1000;
  await embedded.tick();
  t.equal((await status(a3)).status, 3000, 'released');
  const locked = await clerkA.post(`/api/v1/orders/${a3}/cancel`, { reason: 'too late' }, 'key-locked');
  t.equal(locked.status, 409);
  t.equal(locked.body.error.code, 'ORDER_LOCKED');
  t.match(locked.body.error.message, /can no longer be cancelled/);
  t.equal((await status(a3)).status, 3000, 'still released');
  const lockedModify = await clerkA.post(`/api/v1/orders/${a3}/modify`, { reason: 'late', address: { postalCode: '10110' } });
  t.equal(lockedModify.body.error.code, 'ORDER_LOCKED', 'a released order cannot be modified either');

  // The analysts' tables carry who cancelled.
  await embedded.flush();
  const rows = await db.query<{ order_id: string; actor: string | null }>(
    `SELECT order_id, actor FROM order_status_history WHERE to_status = 9000 AND source = 'update' ORDER BY order_id`,
  );
  t.same(
    rows.rows.map((row) => [row.order_id, row.actor]),
    [
      [a1, 'clerk-a'],
      [a2, 'clerk-a'],
    ],
    'order_status_history.actor: the clerk, for the cancels the clerk asked for',
  );
  const pipelines = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM order_status_history WHERE source <> 'update' AND actor IS NOT NULL`,
  );
  t.equal(Number(pipelines.rows[0]!.n), 0, "the pipeline's own steps have no actor");
});
