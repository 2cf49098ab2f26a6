/**
 * An order answered from the analysts' tables (the owning replica restoring) has the view's shape: the tables
 * keep no tax rate per line and no delivery address, so both are null, and the answer passes the route's schema.
 */
import t from 'tap';
import type { LocalOrders } from '../../query-service/local-orders.js';
import { orderLookupRoutes } from '../../query-service/order-lookup-routes.js';
import type { OrderView } from '../../query-service/order-view.js';
import { migratedDatabase } from './harness.js';
import { get, insertOrders, storeStaff, testApp } from './query-harness.js';

t.test('from Postgres: taxRate and deliveryAddress null, schema valid', async (t) => {
  const database = await migratedDatabase(t);
  if (!database) return;
  const { db, client } = database;
  await insertOrders(client, [{ id: 'QC0042-000123', store: 'QC0042', status: 2000, createdAt: '2026-11-21T09:15:00Z' }]);
  await client.query(
    `UPDATE orders SET sub_total = 71, total_discount = 5, total_taxes = 4.62, informational_taxes = 0, total_charges = 20, order_total = 90.62`,
  );
  await client.query(
    `INSERT INTO order_lines (order_id, line_id, item_id, quantity, unit_price, line_amount, line_discount, line_tax)
     VALUES ('QC0042-000123', '1', 'SKU-100', 2, 35.5, 71, 5, 4.62)`,
  );
  const restoring: LocalOrders = {
    instance: 'replica-1',
    partitionOf: () => 0,
    state: () => 'restoring',
    readyPartitions: () => [],
    get: async () => undefined,
  };
  const app = await testApp(t, orderLookupRoutes({ local: restoring, db }));
  const { status, body } = await get<{ source: string; order: OrderView }>(
    app,
    '/api/v1/orders/QC0042-000123?store=QC0042',
    storeStaff('QC0042'),
  );
  t.equal(status, 200, JSON.stringify(body));
  t.equal(body.source, 'postgres');
  t.same(
    body.order.lines.map((line) => [line.lineId, line.unitPrice, line.taxRate]),
    [['1', '35.5000', null]],
  );
  t.equal(body.order.deliveryAddress, null, 'no address in the tables, even for the store’s staff');
});
