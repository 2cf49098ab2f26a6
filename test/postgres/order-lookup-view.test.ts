/**
 * An order answered from the analysts' tables (the owning replica restoring) that the sink last wrote before
 * migration 012 (its rows inserted here as such a sink wrote them): no tax rate per line, no delivery address, no
 * shorted lines, and the history of its published transitions (order_status_history), since order_history has none
 * of it; the answer passes the route's schema. test/postgres/lookup-parity.test.ts has the rows the sink writes now.
 */
import t from 'tap';
import type { LocalOrders } from '../../query-service/local-orders.js';
import { orderLookupRoutes } from '../../query-service/order-lookup-routes.js';
import type { OrderView } from '../../query-service/order-view.js';
import { migratedDatabase } from './harness.js';
import { get, insertOrders, storeStaff, testApp } from './query-harness.js';

t.test('from Postgres, a row of before 012: taxRate and deliveryAddress null, the transitions as history, schema valid', async (t) => {
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
  await client.query(
    `INSERT INTO order_status_history (kafka_partition, kafka_offset, order_id, ship_from_location_id, from_status, to_status, reason, source, at)
     VALUES (0, 7, 'QC0042-000123', 'QC0042', NULL, 1000, 'VALIDATED', 'validate', '2026-11-21T09:15:01Z'),
            (0, 9, 'QC0042-000123', 'QC0042', 1000, 2000, 'FORCE_ALLOCATED', 'allocate', '2026-11-21T09:15:02Z')`,
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
  t.equal(body.order.deliveryAddress, null, 'no address in the row, even for the store’s staff');
  t.same(body.order.shortedLines, []);
  t.same(
    body.order.history.map((entry) => [entry.from, entry.to, entry.reason]),
    [
      [null, 1000, 'VALIDATED'],
      [1000, 2000, 'FORCE_ALLOCATED'],
    ],
    'the published transitions, in topic order',
  );
});
