/**
 * The return routes alone (query-service/return-routes.ts), with a stub order source and stub tables: what is
 * refused at once and with which code, who may act on which store, the records sent, and Idempotency-Key.
 */
import t from 'tap';
import type { ReturnCommand } from '../../../avro/records.js';
import type { SqlDatabase } from '../../../postgres/sql.js';
import { devToken } from '../../../query-service/auth.js';
import type { OrderLocator } from '../../../query-service/order-lookup-routes.js';
import type { OrderLineView, OrderView } from '../../../query-service/order-view.js';
import { returnIdOf, returnRoutes } from '../../../query-service/return-routes.js';
import { bearer, hs256, T0, testService } from './helpers.js';

const DAY = 86_400_000;
const DELIVERED = new Date(T0 - 2 * DAY).toISOString();

const orderLine = (lineId: string, quantity: number): OrderLineView => ({
  lineId,
  itemId: `SKU-${lineId}`,
  quantity,
  unitPrice: '10.0000',
  lineAmount: `${quantity * 10}.0000`,
  lineDiscount: '0.0000',
  lineTax: '0.0000',
  bundleGroupId: null,
  shortDescription: null,
  imageUrl: null,
});

/** A delivered order as the lookup shows it, two days ago; `change` adjusts it per case. */
const view = (change: Partial<OrderView> = {}): OrderView => ({
  orderId: 'QC0001-00000001',
  shipFromLocationId: 'QC0001',
  customerId: null,
  custRef: null,
  status: 7500,
  statusName: 'Delivered',
  paymentMethod: 'COD',
  paymentStatus: 'Collected',
  releaseId: 'REL-QC0001-00000001',
  createdAt: '2026-11-18T09:00:00.000Z',
  updatedAt: DELIVERED,
  totals: null,
  lines: [orderLine('L1', 3), orderLine('L2', 1)],
  history: [{ from: 7300, to: 7500, reason: 'DELIVERED', source: 'pmp', at: DELIVERED, actor: null }],
  carrier: 'PMP',
  trackingId: 'PMP-1',
  deliveredAt: DELIVERED,
  collectedAmount: '40.0000',
  collectedAt: DELIVERED,
  ...change,
});

interface Answer {
  error?: { code: string; message: string; details?: Array<{ field?: string; code?: string; lineId?: string }> };
  returnId?: string;
  commandId?: string;
  action?: string;
}

t.test('the return routes: refusals at once, store scope, the records sent, Idempotency-Key', async (t) => {
  let order = view();
  /** Units earlier returns asked for, as the order_return_lines table holds them; and a return the tables say was received. */
  let returnedLines: Array<{ line_id: string; units: number }> = [];
  let receivedReturn: { received_at: Date; received_by: string } | undefined = undefined;
  const db = {
    query: async (sql: string) => ({
      rows: sql.includes('order_return_lines') ? returnedLines : receivedReturn ? [receivedReturn] : [],
    }),
  } as unknown as SqlDatabase;
  const locator: OrderLocator = { lookup: async () => ({ source: 'local-state', answeredBy: 'test', order }), close: () => undefined };
  const sent: Array<{ topic: string; key: string; record: ReturnCommand }> = [];
  const { app } = testService({
    rateLimit: { perSecond: 1000, burst: 1000 },
    routes: [
      returnRoutes({
        locator,
        db,
        publisher: {
          publish: async (record) => {
            sent.push({ topic: record.topic, key: record.key, record: JSON.parse(record.value.toString('utf8')) as ReturnCommand });
            return { partition: 0 };
          },
        },
        returnTopic: 'staging.order.return.v1',
        encode: (command) => Buffer.from(JSON.stringify(command)),
        windowDays: 7,
        now: () => T0,
      }),
    ],
  });
  t.teardown(() => app.close());
  const tokenOf = (claims: { sub: string; roles: string[]; stores?: string[] }) => devToken(hs256, claims, T0);
  const clerk = tokenOf({ sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] });
  const ask = async (payload: unknown, token = clerk, key?: string) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${order.orderId}/returns`,
      headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
      payload: payload as object,
    });
    return { status: response.statusCode, body: response.json() as Answer, replayed: response.headers['idempotent-replayed'] === 'true' };
  };
  const receive = async (returnId: string, token = clerk, key?: string) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${order.orderId}/returns/${returnId}/receive`,
      headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
    });
    return { status: response.statusCode, body: response.json() as Answer };
  };
  const good = { lines: [{ lineId: 'L1', quantity: 2 }], reason: 'wrong size' };
  const codeOf = async (payload: unknown = good, token = clerk) => {
    const answer = await ask(payload, token);
    return [answer.status, answer.body.error?.code];
  };

  const malformed = await ask({ lines: [{ lineId: '', quantity: 0 }, { quantity: 1.5 }], extra: true });
  t.equal(malformed.status, 400);
  t.same(
    malformed.body.error?.details?.map((detail) => detail.field).sort(),
    ['extra', 'lines.0.lineId', 'lines.0.quantity', 'lines.1.lineId', 'lines.1.quantity', 'reason'],
    'every failing field',
  );
  const twice = await ask({ lines: [good.lines[0], { lineId: 'L1', quantity: 1 }], reason: 'x' });
  t.same([twice.status, twice.body.error?.code, twice.body.error?.details?.[0]?.field], [400, 'VALIDATION_FAILED', 'lines.1.lineId']);

  t.same(await codeOf(good, tokenOf({ sub: 'clerk-b', roles: ['store_staff'], stores: ['QC0002'] })), [404, 'ORDER_NOT_FOUND']);
  t.same(await codeOf(good, tokenOf({ sub: 'coord', roles: ['regional_coordinator'] })), [403, 'FORBIDDEN']);
  for (const status of [3000, 7000, 7300, 7400, 9000]) {
    order = view({ status, statusName: String(status), deliveredAt: null, history: [] });
    t.same(await codeOf(), [409, 'NOT_DELIVERED'], `status ${status}`);
  }
  order = view({ deliveredAt: new Date(T0 - 7 * DAY - 1).toISOString() });
  t.same(await codeOf(), [409, 'RETURN_WINDOW_CLOSED']);
  order = view({
    deliveredAt: undefined,
    history: [{ from: 7300, to: 7500, reason: 'DELIVERED', source: 'pmp', at: new Date(T0 - 8 * DAY).toISOString(), actor: null }],
  });
  t.same(await codeOf(), [409, 'RETURN_WINDOW_CLOSED'], 'a view without deliveredAt: the first 7500 of its history');
  order = view();
  const refused = await ask({
    lines: [
      { lineId: 'L1', quantity: 4 },
      { lineId: 'L9', quantity: 1 },
    ],
    reason: 'x',
  });
  t.equal(refused.status, 409);
  t.equal(refused.body.error?.code, 'QUANTITY_EXCEEDS_SHIPPED');
  t.same(
    refused.body.error?.details?.map((detail) => [detail.code, detail.lineId]),
    [
      ['QUANTITY_EXCEEDS_SHIPPED', 'L1'],
      ['UNKNOWN_LINE', 'L9'],
    ],
    'every line’s reason',
  );
  t.same(await codeOf({ lines: [{ lineId: 'L9', quantity: 1 }], reason: 'x' }), [409, 'UNKNOWN_LINE']);
  returnedLines = [{ line_id: 'L1', units: 2 }];
  t.same(await codeOf(), [409, 'QUANTITY_EXCEEDS_SHIPPED'], 'two of three units already asked back');
  t.equal(sent.length, 0, 'nothing sent for a refusal');

  returnedLines = [];
  order = view({ status: 8500, statusName: 'Returned' });
  const accepted = await ask(good, clerk, 'key-1');
  t.equal(accepted.status, 202, 'a second return at 8500 is taken');
  t.equal(accepted.body.returnId, returnIdOf(accepted.body.commandId!));
  t.match(accepted.body.returnId, /^RET-[0-9A-F]{12}$/);
  t.same(sent, [
    {
      topic: 'staging.order.return.v1',
      key: 'QC0001',
      record: {
        CommandID: accepted.body.commandId,
        OrderID: 'QC0001-00000001',
        ShipFromLocationID: 'QC0001',
        Action: 'REQUEST',
        ReturnID: accepted.body.returnId,
        Lines: [{ LineID: 'L1', Quantity: 2 }],
        Reason: 'wrong size',
        RequestedBy: 'clerk-a',
        At: new Date(T0).toISOString(),
      },
    },
  ]);
  const again = await ask(good, clerk, 'key-1');
  t.same([again.status, again.body, again.replayed], [202, accepted.body, true], 'the same key and body: the same answer');
  t.equal(sent.length, 1, 'and one record');
  t.same(await ask({ ...good, reason: 'other' }, clerk, 'key-1').then((answer) => [answer.status, answer.body.error?.code]), [
    422,
    'IDEMPOTENCY_KEY_REUSED',
  ]);

  const received = await receive(accepted.body.returnId!, tokenOf({ sub: 'admin-1', roles: ['admin'] }));
  t.equal(received.status, 202, 'an admin on any store');
  t.match(sent.at(-1), {
    key: 'QC0001',
    record: {
      Action: 'RECEIVE',
      ReturnID: accepted.body.returnId,
      Lines: null,
      RequestedBy: 'admin-1',
      CommandID: received.body.commandId,
    },
  });
  receivedReturn = { received_at: new Date(T0), received_by: 'admin-1' };
  t.same(await receive(accepted.body.returnId!).then((answer) => [answer.status, answer.body.error?.code]), [
    409,
    'RETURN_ALREADY_RECEIVED',
  ]);
  order = view({ status: 7000, statusName: 'Fulfilled' });
  t.same(await receive('RET-1').then((answer) => [answer.status, answer.body.error?.code]), [409, 'RETURN_NOT_FOUND']);
  t.same(
    await receive('RET-1', tokenOf({ sub: 'clerk-b', roles: ['store_manager'], stores: ['QC0002'] })).then((answer) => [
      answer.status,
      answer.body.error?.code,
    ]),
    [404, 'ORDER_NOT_FOUND'],
  );
});
