// A store's reconciliation through the query service with settlement exceptions in it: the new kinds and the settled
// amount are in the answer (checked against the route's schema), and "open" follows the source of each exception — a
// Reconciled payment closes the collection exception, not the settlement one; the settlement matching closes it.
import t from 'tap';
import { reconciliationRoutes } from '../../query-service/reconciliation-routes.js';
import { migratedDatabase } from './harness.js';
import { coordinator, get } from './query-harness.js';
import { testApp } from './query-harness.js';

interface Reply {
  exceptions: Array<{
    orderId: string;
    kind: string;
    expectedAmount: string;
    collectedAmount: string | null;
    settledAmount: string | null;
    difference: string;
    open: boolean;
  }>;
}

t.test('settlement exceptions in a store’s reconciliation: kinds, settled amount, open per source', async (t) => {
  const database = await migratedDatabase(t);
  if (!database) return;
  const { client, db } = database;
  const app = await testApp(t, reconciliationRoutes(db, { now: () => new Date('2026-11-24T12:00:00.000Z') }));
  await client.query(
    `INSERT INTO orders (order_id, ship_from_location_id, status, payment_method, payment_status, order_total, created_at, updated_at,
                         carrier, collected_amount, settled_amount)
     VALUES ('S-1', 'QC0042', 7500, 'COD', 'Reconciled', 90.62, now(), now(), 'PMP', 90.62, 90.00),
            ('S-2', 'QC0042', 7500, 'COD', '5000', 90.62, now(), now(), 'PMP', NULL, 90.62)`,
  );
  await client.query(
    `INSERT INTO reconciliation_runs VALUES (0, 1, 'QC0042', '2026-11-23', 'Asia/Bangkok', '2026-11-23T16:00:00Z', 1, 90.62, 3, 181.24, 90.62, '2026-11-23T16:00:05Z')`,
  );
  const exception = (
    index: number,
    order: string,
    kind: string,
    expected: string,
    collected: string | null,
    settled: string | null,
    difference: string,
  ) =>
    client.query(
      `INSERT INTO reconciliation_exceptions (kafka_partition, kafka_offset, exception_index, ship_from_location_id, business_day, cut_off_at,
         order_id, kind, expected_amount, collected_amount, difference, at, settled_amount)
       VALUES (0, 1, $1, 'QC0042', '2026-11-23', '2026-11-23T16:00:00Z', $2, $3, $4, $5, $6, '2026-11-23T16:00:05Z', $7)`,
      [index, order, kind, expected, collected, difference, settled],
    );
  await exception(0, 'S-2', 'MISSING', '90.6200', null, null, '-90.6200');
  await exception(1, 'S-1', 'SETTLEMENT_MISMATCH', '90.6200', '90.6200', '90.0000', '-0.6200');
  await exception(2, 'S-2', 'SETTLEMENT_WITHOUT_COLLECTION', '0.0000', null, '90.6200', '90.6200');
  // S-1's cash was reconciled at that very run.
  await client.query(`INSERT INTO payments VALUES (0, 9, 'S-1', 'QC0042', 'COD', 'Reconciled', 90.62, '2026-11-23T16:00:05Z')`);

  const answer = async () => {
    const reply = await get<Reply>(app, '/api/v1/stores/QC0042/reconciliation?day=2026-11-23', coordinator);
    t.equal(reply.status, 200, 'the answer fits the route’s schema');
    return reply.body.exceptions.map((e) => [
      e.orderId,
      e.kind,
      e.expectedAmount,
      e.collectedAmount,
      e.settledAmount,
      e.difference,
      e.open,
    ]);
  };
  t.same(await answer(), [
    ['S-2', 'MISSING', '90.6200', null, null, '-90.6200', true],
    ['S-1', 'SETTLEMENT_MISMATCH', '90.6200', '90.6200', '90.0000', '-0.6200', true],
    ['S-2', 'SETTLEMENT_WITHOUT_COLLECTION', '0.0000', null, '90.6200', '90.6200', true],
  ]);

  // PMP's corrected row now matches S-1's collection; S-2's cash is confirmed for the settled amount.
  await client.query(`UPDATE orders SET settled_amount = 90.62 WHERE order_id = 'S-1'`);
  await client.query(`UPDATE orders SET collected_amount = 90.62 WHERE order_id = 'S-2'`);
  t.same(
    (await answer()).map((e) => [e[0], e[1], e[6]]),
    [
      ['S-2', 'MISSING', true],
      ['S-1', 'SETTLEMENT_MISMATCH', false],
      ['S-2', 'SETTLEMENT_WITHOUT_COLLECTION', false],
    ],
    'settled: closed; the MISSING waits for its Reconciled payment',
  );
  t.same(
    (await client.query('SELECT order_id, kind FROM open_reconciliation_exceptions ORDER BY order_id')).rows,
    [{ order_id: 'S-2', kind: 'MISSING' }],
    'the view agrees',
  );
});
