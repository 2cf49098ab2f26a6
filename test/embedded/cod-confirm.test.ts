/**
 * COD cash confirmed by store staff (query-service/cod-routes.ts) on the embedded default: the delivery partners
 * are made unable to confirm — Slick's hand-over to Grab / PMP is refused (their fault switch), so no partner
 * reports anything by itself — and the test then sends the partner callbacks it wants: a delivery without the
 * COLLECTED callback, a failed delivery. A clerk confirms the cash; the pipeline records it as the partner's
 * COLLECTED would be, in the clerk's name, and the daily reconciliation judges it.
 *
 * The second test drives the route alone, with a stub order source, for the refusals the embedded pipeline
 * cannot produce (an order not paid COD, an order without a carrier) and the record it sends.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { apiClient, type Claims } from './api-client.js';
import { devToken } from '../../query-service/auth.js';
import type { DeliveryStatus } from '../../avro/records.js';
import { WEBHOOK_ROUTES } from '../../connectors/webhook-server.js';
import type { DeliverySimulator } from '../../connectors/simulators/delivery-simulator.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { formatMoney, parseMoney } from '../../processors/domain/money.js';
import { codRoutes } from '../../query-service/cod-routes.js';
import type { OrderLocator } from '../../query-service/order-lookup-routes.js';
import { type OrderView, viewFromPostgres } from '../../query-service/order-view.js';
import { bearer, hs256, T0, testService } from '../unit/query-service/helpers.js';
import { freePort } from '../free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface History {
  from: number | null;
  to: number;
  reason: string | null;
  source: string;
  actor: string | null;
}

interface Order {
  orderId: string;
  shipFromLocationId: string;
  status: number;
  paymentStatus: string | null;
  carrier: string | null;
  trackingId: string | null;
  collectedAmount: string | null;
  collectedAt: string | null;
  totals: { orderTotal: string } | null;
  history: History[];
}

interface Body {
  error: { code: string; message: string; details: Array<{ field: string }> };
  order: Order;
  accepted: boolean;
  commandId: string;
  exceptions: Array<{ orderId: string; kind: string; collectedAmount: string | null; difference: string }>;
  runs: Array<{ reconciledOrders: number }>;
}

const client = (embedded: Embedded, claims: Claims) => apiClient<Body>(embedded, claims);

/** HH:MM (UTC) of an instant. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

t.test('a clerk confirms the cash the partner could not: Collected in the clerk’s name, then reconciled', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  // The cut-off six hours from now: none falls during the test until the clock is moved past it.
  const cutOff = Date.now() + 6 * 3_600_000;
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock: () => Date.now() + offsetMs,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      OMNIA_RECONCILIATION_CUTOFF: hhmm(cutOff),
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      // The test polls a dozen orders at a time.
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const { slick, grab, pmp } = embedded.partners;
  // The partners refuse every shipment Slick hands over: they never report a delivery, nor the cash, by themselves.
  grab.setFaults({ failureRate: 1 });
  pmp.setFaults({ failureRate: 1 });

  const clerk = client(embedded, { sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] });
  const managerB = client(embedded, { sub: 'manager-b', roles: ['store_manager'], stores: ['QC0002'] });
  const coordinator = client(embedded, { sub: 'coord', roles: ['regional_coordinator'] });
  const orderOf = async (orderId: string) => (await clerk.get(`/api/v1/orders/${orderId}`)).body.order;
  const confirmPath = (orderId: string) => `/api/v1/orders/${orderId}/cod/confirm`;

  const orders = Array.from({ length: 24 }, (_, n) =>
    demoOrder(n, new Date(Date.now()), { stores: 2, customers: 50, seed: 23, invalidShare: 0 }),
  );
  for (const order of orders) await embedded.pipeOrder(order);

  // Every QC0001 order shipped (7000, with its carrier) or cancelled by the COD rules.
  const ids = orders.filter((order) => order.ShipFromLocationID === 'QC0001').map((order) => order.OrderID);
  const shippedOrders = async (): Promise<Order[]> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const all = await Promise.all(ids.map(orderOf));
      if (all.every((order) => order.status === 9000 || (order.status === 7000 && order.carrier !== null)))
        return all.filter((order) => order.status === 7000);
      if (Date.now() > deadline)
        throw new Error(`not shipped in time: ${all.map((order) => `${order.orderId} ${order.status}`).join(', ')}`);
      await sleep(50);
    }
  };
  const shipped = await shippedOrders();
  const byGrab = shipped.filter((order) => order.carrier === 'GRAB');
  t.ok(shipped.length >= 5 && byGrab.length >= 1, `enough shipped orders (${shipped.length}, ${byGrab.length} by Grab)`);
  const failed = byGrab[0]!;
  const [delivered, short, waiting, kerry] = shipped.filter((order) => order !== failed) as [Order, Order, Order, Order];
  const partnerOf = (order: Order): DeliverySimulator => (order.carrier === 'GRAB' ? grab : pmp);
  const shipment = (order: Order, trackingId = order.trackingId!) => ({
    OrderID: order.orderId,
    ShipFromLocationID: order.shipFromLocationId,
    TrackingID: trackingId,
    CodAmount: null, // as if prepaid: the partner reports the delivery and never the cash
  });

  // The partner reports the delivery but not the cash (delivered, short); a Grab delivery fails (failed).
  await partnerOf(delivered).deliver(shipment(delivered));
  await partnerOf(short).deliver(shipment(short));
  await grab.deliver(shipment(failed), { failFirstAttempt: true, until: 'FAILED' });
  t.match(await orderOf(delivered.orderId), { status: 7500, paymentStatus: '5000', collectedAmount: null });
  t.match(await orderOf(failed.orderId), { status: 7400, paymentStatus: '5000' });
  t.equal(slick.collections.size, 0, 'no cash confirmed to Slick yet');

  // The clerk confirms the full amount: accepted, and applied as the partner's COLLECTED, in the clerk's name.
  const total = delivered.totals!.orderTotal;
  const body = { amount: total, reference: 'RCPT-0001', note: 'rider handed the cash in at the store' };
  const confirmed = await clerk.post(confirmPath(delivered.orderId), body, 'cod-key-1');
  t.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
  t.match(confirmed.body, { accepted: true, orderId: delivered.orderId, action: 'CONFIRM_CASH', requestedBy: 'clerk-a' });
  const afterConfirm = await orderOf(delivered.orderId);
  t.match(afterConfirm, { status: 7500, paymentStatus: 'Collected', collectedAmount: total });
  t.match(afterConfirm.history.at(-1), {
    from: 7500,
    to: 7500,
    source: 'store',
    actor: 'clerk-a',
    reason: `COLLECTED ${total} for ${delivered.carrier}, confirmed at the store (reference "RCPT-0001": rider handed the cash in at the store)`,
  });

  // The same command again (same Idempotency-Key and body): the same answer, one effect.
  const again = await clerk.post(confirmPath(delivered.orderId), body, 'cod-key-1');
  t.equal(again.status, 202);
  t.ok(again.replayed, 'marked as replayed');
  t.same(again.body, confirmed.body, 'the same answer');
  t.equal((await orderOf(delivered.orderId)).history.length, afterConfirm.history.length, 'no second history entry');
  const reused = await clerk.post(confirmPath(delivered.orderId), { ...body, amount: '1.00' }, 'cod-key-1');
  t.equal(reused.status, 422, 'the same key for another request');
  t.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
  // A second confirmation under a new key: the cash is already confirmed.
  const twice = await clerk.post(confirmPath(delivered.orderId), body, 'cod-key-2');
  t.equal(twice.status, 409);
  t.equal(twice.body.error.code, 'COD_ALREADY_CONFIRMED');

  // A failed delivery, the customer pays at the store: the confirmation also delivers the order (7400 → 7500).
  const failedTotal = failed.totals!.orderTotal;
  t.equal((await clerk.post(confirmPath(failed.orderId), { amount: failedTotal, reference: 'RCPT-0002' }, 'cod-key-3')).status, 202);
  const afterFailed = await orderOf(failed.orderId);
  t.match(afterFailed, { status: 7500, paymentStatus: 'Collected', collectedAmount: failedTotal });
  t.match(
    afterFailed.history.filter((entry) => entry.source === 'store'),
    [
      { from: 7400, to: 7500, reason: 'COLLECTED', actor: 'clerk-a' },
      { from: 7500, to: 7500, reason: /^COLLECTED .* confirmed at the store \(reference "RCPT-0002"\)$/, actor: 'clerk-a' },
    ],
  );

  // One baht short: accepted (the cash is what it is), a SHORT exception at the cut-off.
  const shortAmount = formatMoney(parseMoney(short.totals!.orderTotal).minus(parseMoney('1')));
  t.equal((await clerk.post(confirmPath(short.orderId), { amount: shortAmount, reference: 'RCPT-0003' }, 'cod-key-4')).status, 202);
  t.match(await orderOf(short.orderId), { paymentStatus: 'Collected', collectedAmount: shortAmount });
  t.match((await orderOf(short.orderId)).history.at(-1), { reason: /SHORT against .*, a reconciliation exception$/, actor: 'clerk-a' });

  // Refusals.
  const notYet = await clerk.post(confirmPath(waiting.orderId), { amount: '10', reference: 'R' });
  t.equal(notYet.status, 409, 'shipped, not delivered: the partner still has it');
  t.equal(notYet.body.error.code, 'NOT_DELIVERED_YET');
  t.match(notYet.body.error.message, /Fulfilled \(7000\)/);
  // Delivered, then a late ship event naming a carrier Omnia does not confirm cash for (KERRY). The other way
  // round the delivery would be refused: once a carrier is named, only it reports the delivery (Reading 73).
  await grab.deliver(shipment(kerry, `KERRY-${kerry.orderId}`));
  t.ok(
    await slick.webhook.send({
      method: WEBHOOK_ROUTES.slickShipEvents.method,
      path: WEBHOOK_ROUTES.slickShipEvents.url,
      body: {
        EventID: `SLK-REL-${kerry.orderId}-shipped-kerry`,
        OrderID: kerry.orderId,
        ShipFromLocationID: kerry.shipFromLocationId,
        EventType: 'shipped',
        TrackingID: `KERRY-${kerry.orderId}`,
        Carrier: 'KERRY',
        EstimatedDelivery: null,
        Lines: null,
        At: new Date().toISOString(),
      },
    }),
  );
  t.match(await orderOf(kerry.orderId), { status: 7500, carrier: 'KERRY' });
  const noCarrier = await clerk.post(confirmPath(kerry.orderId), { amount: '10', reference: 'R' });
  t.equal(noCarrier.status, 409);
  t.equal(noCarrier.body.error.code, 'NO_CARRIER');
  const elsewhere = await managerB.post(confirmPath(short.orderId), { amount: '10', reference: 'R' });
  t.equal(elsewhere.status, 404, "another store's order does not exist for manager B");
  t.equal(elsewhere.body.error.code, 'ORDER_NOT_FOUND');
  t.equal((await clerk.post(confirmPath('QC0001-99999999'), { amount: '10', reference: 'R' })).body.error.code, 'ORDER_NOT_FOUND');
  const readOnly = await coordinator.post(confirmPath(kerry.orderId), { amount: '10', reference: 'R' });
  t.equal(readOnly.status, 403, 'a coordinator reads but does not act');
  const bad = await clerk.post(confirmPath(kerry.orderId), { amount: '0.00', reference: '', note: 'x'.repeat(201), extra: 1 });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  t.same(
    [...new Set(bad.body.error.details.map((detail) => detail.field))].sort(),
    ['amount', 'extra', 'note', 'reference'],
    'every failing field listed',
  );
  for (const amount of ['12.34567', '-5', '1e3', '01.50', '0', '1.', ' 1', 12, '']) {
    const refused = await clerk.post(confirmPath(kerry.orderId), { amount, reference: 'R' });
    t.equal(refused.status, 400, `amount ${JSON.stringify(amount)} refused`);
  }
  t.match(await orderOf(kerry.orderId), { paymentStatus: '5000', collectedAmount: null }, 'no refusal touched the order');

  // Past the cut-off: the full confirmations reconcile, the short one is a SHORT exception.
  offsetMs = 7 * 3_600_000;
  await embedded.tick();
  t.match(await orderOf(delivered.orderId), { paymentStatus: 'Reconciled' });
  t.match(await orderOf(failed.orderId), { paymentStatus: 'Reconciled' });
  t.match(await orderOf(short.orderId), { paymentStatus: 'Collected' });
  await embedded.flush();
  const report = await clerk.get('/api/v1/stores/QC0001/reconciliation');
  t.equal(report.status, 200);
  t.equal(report.body.runs.at(-1)?.reconciledOrders, 2, 'the two full confirmations reconciled');
  t.match(
    report.body.exceptions.filter((exception) => exception.orderId === short.orderId),
    [{ kind: 'SHORT', collectedAmount: shortAmount, difference: '-1.0000' }],
  );
  t.match(
    report.body.exceptions.find((exception) => exception.orderId === kerry.orderId),
    { kind: 'MISSING' },
    'the unconfirmed delivery is MISSING',
  );
  t.notOk(
    report.body.exceptions.some((exception) => exception.orderId === delivered.orderId || exception.orderId === failed.orderId),
    'no exception for the matched ones',
  );

  // The tables: the move the clerk's confirmation made carries the clerk; the cash is paid in once per order.
  const moves = await db.query<{ order_id: string; from_status: number; actor: string | null }>(
    `SELECT order_id, from_status, actor FROM order_status_history WHERE source = 'store' ORDER BY order_id`,
  );
  t.same(
    moves.rows.map((row) => [row.order_id, Number(row.from_status), row.actor]),
    [[failed.orderId, 7400, 'clerk-a']],
  );
  const payments = await db.query<{ order_id: string; payment_status: string; amount: string }>(
    `SELECT order_id, payment_status, amount FROM payments WHERE order_id = $1 AND payment_status IN ('Collected', 'Reconciled') ORDER BY kafka_offset`,
    [delivered.orderId],
  );
  t.same(
    payments.rows.map((row) => [row.payment_status, String(row.amount)]),
    [
      ['Collected', total],
      ['Reconciled', total],
    ],
    'one Collected, then Reconciled',
  );
  // The lookup answered from the tables shows the carrier and the cash as the replica's state does.
  const fromTables = await viewFromPostgres(db, short.orderId);
  t.match(fromTables, { carrier: short.carrier, trackingId: short.trackingId, collectedAmount: shortAmount });
  t.same(pick(fromTables!), pick(await orderOf(short.orderId)), 'the same carrier, tracking id and collection from both sources');
});

const pick = (order: Pick<OrderView, 'carrier' | 'trackingId' | 'collectedAmount' | 'collectedAt'>) => ({
  carrier: order.carrier,
  trackingId: order.trackingId,
  collectedAmount: order.collectedAmount,
  collectedAt: order.collectedAt,
});

/** An order as the lookup shows it, delivered and COD-accepted; `change` adjusts it per case. */
const view = (change: Partial<OrderView> = {}): OrderView => ({
  orderId: 'QC0001-00000001',
  shipFromLocationId: 'QC0001',
  customerId: null,
  custRef: null,
  status: 7500,
  statusName: 'Delivered',
  paymentMethod: 'COD',
  paymentStatus: '5000',
  releaseId: 'REL-QC0001-00000001',
  createdAt: '2026-11-21T09:00:00.000Z',
  updatedAt: '2026-11-21T10:00:00.000Z',
  totals: null,
  lines: [],
  history: [],
  carrier: 'PMP',
  trackingId: 'PMP-REL-QC0001-00000001',
  collectedAmount: null,
  collectedAt: null,
  ...change,
});

t.test('the route alone: each refusal from the order as looked up, and the record it sends', async (t) => {
  let order = view();
  const locator: OrderLocator = {
    lookup: async () => ({ source: 'local-state', answeredBy: 'test', order }),
    close: () => undefined,
  };
  const sent: Array<{ topic: string; key: string; record: DeliveryStatus; headers: unknown }> = [];
  let failing = false;
  const { app } = testService({
    rateLimit: { perSecond: 1000, burst: 1000 },
    routes: [
      codRoutes({
        locator,
        publisher: {
          publish: async (record) => {
            if (failing) throw new Error('broker unreachable');
            sent.push({
              topic: record.topic,
              key: record.key,
              record: JSON.parse(record.value.toString('utf8')) as DeliveryStatus,
              headers: record.headers,
            });
            return { partition: 0 };
          },
        },
        deliveryTopic: 'staging.delivery.status.v1',
        encode: (status) => Buffer.from(JSON.stringify(status)),
        now: () => T0,
      }),
    ],
  });
  t.teardown(() => app.close());
  const token = devToken(hs256, { sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] }, T0);
  const confirm = (payload: unknown = { amount: '90.6', reference: ' RCPT-9 ' }, key?: string) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/orders/${order.orderId}/cod/confirm`,
      headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
      payload: payload as object,
    });
  const codeOf = async (change: Partial<OrderView>) => {
    order = view(change);
    const response = await confirm();
    return [response.statusCode, (response.json() as { error?: { code: string } }).error?.code];
  };

  t.same(await codeOf({ paymentMethod: 'CARD' }), [409, 'NOT_COD']);
  t.same(await codeOf({ paymentStatus: 'Collected', collectedAmount: '90.6000' }), [409, 'COD_ALREADY_CONFIRMED']);
  t.same(await codeOf({ paymentStatus: 'Reconciled' }), [409, 'COD_ALREADY_CONFIRMED']);
  for (const status of [3000, 3700, 7000, 7100, 7200, 7300, 9000])
    t.same(await codeOf({ status, statusName: String(status) }), [409, 'NOT_DELIVERED_YET'], `status ${status}`);
  t.same(await codeOf({ carrier: null }), [409, 'NO_CARRIER']);
  t.same(await codeOf({ carrier: 'KERRY' }), [409, 'NO_CARRIER']);
  t.same(await codeOf({ shipFromLocationId: 'QC0002' }), [404, 'ORDER_NOT_FOUND'], "another store's order");
  t.equal(sent.length, 0, 'nothing sent for a refusal');

  order = view({ status: 7400, statusName: 'Delivery Failed' });
  const accepted = await confirm(undefined, 'key-1');
  t.equal(accepted.statusCode, 202);
  const answer = accepted.json() as { commandId: string; acceptedAt: string };
  t.equal(answer.acceptedAt, new Date(T0).toISOString());
  t.same(sent, [
    {
      topic: 'staging.delivery.status.v1',
      key: 'QC0001',
      headers: { 'omnia-command-id': answer.commandId, 'omnia-requested-role': 'store_staff' },
      record: {
        EventID: `manual-${answer.commandId}`,
        OrderID: order.orderId,
        ShipFromLocationID: 'QC0001',
        Partner: 'PMP',
        Status: 'COLLECTED',
        CollectedAmount: '90.6000',
        At: new Date(T0).toISOString(),
        ConfirmedBy: 'clerk-a',
        Reference: 'RCPT-9',
        Note: null,
      },
    },
  ]);
  // The command id comes from (subject, key): a retry on another replica would send the same EventID.
  const other = testService({
    routes: [
      codRoutes({ locator, publisher: { publish: async () => ({ partition: 0 }) }, deliveryTopic: 'x', encode: () => Buffer.alloc(0) }),
    ],
  });
  t.teardown(() => other.app.close());
  const elsewhere = await other.app.inject({
    method: 'POST',
    url: `/api/v1/orders/${order.orderId}/cod/confirm`,
    headers: { ...bearer(token), 'idempotency-key': 'key-1' },
    payload: { amount: '90.6', reference: ' RCPT-9 ' },
  });
  t.equal((elsewhere.json() as { commandId: string }).commandId, answer.commandId, 'the same command id');

  failing = true;
  const unsent = await confirm(undefined, 'key-2');
  t.equal(unsent.statusCode, 503);
  t.equal((unsent.json() as { error: { code: string } }).error.code, 'COMMAND_NOT_SENT');
  failing = false;
  t.equal((await confirm(undefined, 'key-2')).statusCode, 202, 'a failed send is not remembered: the retry goes through');
});
