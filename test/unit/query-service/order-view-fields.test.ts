/**
 * The order view's tax rate per line and delivery address, from the replica's state: what the modify dialog
 * sends back. The address only to the roles that deliver or change the order (principal.ts); every answer
 * checked against the route's response schema (query-harness.ts).
 */
import { Ajv } from 'ajv';
import t from 'tap';
import type { SqlDatabase } from '../../../postgres/sql.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { type OrderView, orderViewSchema, viewOfState } from '../../../query-service/order-view.js';
import type { Principal } from '../../../query-service/principal.js';
import { openOrder, type OrderState } from '../../../processors/order-state.js';
import { coordinator, get, storeStaff, testApp } from '../../postgres/query-harness.js';
import { examples, orderCreate } from '../avro/examples.js';

const order = {
  ...orderCreate,
  DeliveryAddress: { Line1: '12 Sukhumvit Rd', District: 'Khlong Toei', Province: 'Bangkok', PostalCode: '10110', Phone: null },
  OrderLines: [
    { ...orderCreate.OrderLines[0]!, TaxRate: '0.07' },
    { ...orderCreate.OrderLines[0]!, LineID: '2', ItemID: 'SKU-200', TaxRate: '0' },
  ],
};
const state: OrderState = {
  ...openOrder(order, 'hash', '2026-11-21T09:15:01Z').state,
  Lines: [examples.OrderState.Lines[0]!, { ...examples.OrderState.Lines[0]!, LineID: '2', ItemID: 'SKU-200' }],
};

t.test('from state: each line its own rate (4 decimals), the address as the pipeline holds it; the schema holds', async (t) => {
  const view = viewOfState(state);
  t.same(
    view.lines.map((line) => [line.lineId, line.taxRate]),
    [
      ['1', '0.0700'],
      ['2', '0.0000'],
    ],
  );
  t.same(view.deliveryAddress, {
    line1: '12 Sukhumvit Rd',
    district: 'Khlong Toei',
    province: 'Bangkok',
    postalCode: '10110',
    phone: null,
  });
  const validate = new Ajv({ strict: false, allErrors: true }).addFormat('date-time', true).compile(orderViewSchema);
  t.ok(validate(JSON.parse(JSON.stringify(view))), JSON.stringify(validate.errors));
  // A priced line the order's lines do not name (never expected) has no rate rather than a guessed one.
  const orphan = viewOfState({ ...state, Lines: [{ ...state.Lines[0]!, LineID: '9' }] });
  t.equal(orphan.lines[0]!.taxRate, null);
  // An answer of an earlier version (no rate, no address) is still valid.
  const { deliveryAddress: _address, ...older } = JSON.parse(JSON.stringify(view)) as OrderView;
  older.lines = older.lines.map(({ taxRate: _rate, ...line }) => line);
  t.ok(validate(older), 'an earlier replica’s forwarded answer passes');
});

t.test('GET /orders/:id: the address to store roles of the store and admins, null to coordinators', async (t) => {
  const local: LocalOrders = {
    instance: 'replica-1',
    partitionOf: () => 0,
    state: () => 'ready',
    readyPartitions: () => [0],
    get: async (_partition, orderId) => (orderId === state.Order.OrderID ? state : undefined),
  };
  const db = { query: () => Promise.reject(new Error('not asked')) } as unknown as SqlDatabase;
  const app = await testApp(t, orderLookupRoutes({ local, db }));
  const url = `/api/v1/orders/${state.Order.OrderID}?store=QC0042`;
  const admin: Principal = { subject: 'root', roles: ['admin'], stores: [], tokenId: 't-admin' };
  const manager: Principal = { subject: 'm', roles: ['store_manager'], stores: ['QC0042'], tokenId: 't-m' };
  const bundles: Principal = { subject: 'b', roles: ['bundle_manager'], stores: [], tokenId: 't-b' };
  type Reply = { order: OrderView };

  for (const [who, principal] of [
    ['store staff', storeStaff('QC0042')],
    ['a store manager', manager],
    ['an admin', admin],
  ] as const) {
    const { status, body } = await get<Reply>(app, url, principal);
    t.equal(status, 200);
    t.equal(body.order.deliveryAddress?.postalCode, '10110', `${who} sees the address`);
    t.same(
      body.order.lines.map((line) => line.taxRate),
      ['0.0700', '0.0000'],
    );
  }
  for (const [who, principal] of [
    ['a coordinator', coordinator],
    ['a bundle manager', bundles],
  ] as const) {
    const { status, body } = await get<Reply>(app, url, principal);
    t.equal(status, 200);
    t.equal(body.order.deliveryAddress, null, `${who} does not`);
    t.same(
      body.order.lines.map((line) => line.taxRate),
      ['0.0700', '0.0000'],
      'the tax rates are no secret',
    );
  }
  t.equal((await get(app, `/api/v1/orders/${state.Order.OrderID}`, storeStaff('QC0001'))).status, 404, 'another store: none at all');
});
