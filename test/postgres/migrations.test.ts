import t from 'tap';
import { loadMigrations, migrate } from '../../postgres/migrate.js';
import { freshSchema } from './harness.js';

t.test('migrations apply in order on a real Postgres, and re-running applies nothing', async (t) => {
  const client = await freshSchema(t);
  if (!client) return;
  const all = (await loadMigrations()).map((migration) => migration.name);
  t.same(await migrate(client), all, 'every migration applied on an empty schema');
  t.same(await migrate(client), [], 'a second start applies nothing');
  const relations = async (type: string) =>
    (
      await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = $1 ORDER BY 1',
        [type],
      )
    ).rows.map((row) => row.table_name);
  t.same(await relations('BASE TABLE'), [
    'action_audit',
    'exception_outcomes',
    'fulfillment_interactions',
    'inventory_counters',
    'low_stock_events',
    'notification_outcomes',
    'order_history',
    'order_lines',
    'order_return_lines',
    'order_returns',
    'order_shorted_lines',
    'order_status_history',
    'orders',
    'payment_settlements',
    'payments',
    'reconciliation_exceptions',
    'reconciliation_runs',
    'releases',
    'schema_migrations',
    'sink_dead_letters',
    'sink_offsets',
    'validation_errors',
    'validations',
  ]);
  t.same(await relations('VIEW'), [
    'action_audit_daily',
    'bundle_sales_daily',
    'cod_settlement_monthly',
    'cod_settlement_orders',
    'cod_settlement_weekly',
    'daily_cod_totals',
    'low_stock_current',
    'open_reconciliation_exceptions',
    'order_status_names',
    'orders_per_store_status',
    'releases_awaiting_slick',
    'status_dwell',
    'status_dwell_times',
  ]);
  const money = await client.query<{ numeric_precision: number; numeric_scale: number }>(
    "SELECT numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'orders' AND column_name = 'order_total'",
  );
  t.same(money.rows[0], { numeric_precision: 18, numeric_scale: 4 }, 'money is NUMERIC(18,4)');
  await client.query(
    "INSERT INTO orders (order_id, ship_from_location_id, status, payment_method, order_total, created_at, updated_at) VALUES ('QC0042-1', 'QC0042', 3000, 'COD', '90.62', now(), now())",
  );
  const stored = await client.query<{ order_total: string }>("SELECT order_total FROM orders WHERE order_id = 'QC0042-1'");
  t.equal(stored.rows[0]!.order_total, '90.6200', 'read back as the exact 4-digit string, never a float');
});

t.test('a migration edited after it was applied is refused, naming it', async (t) => {
  const client = await freshSchema(t);
  if (!client) return;
  const migrations = await loadMigrations();
  await migrate(client, migrations);
  const edited = migrations.map((migration, i) => (i === 0 ? { ...migration, checksum: 'edited' } : migration));
  await t.rejects(migrate(client, edited), /migration 001_tables\.sql changed after it was applied/);
});

t.test('a failing migration rolls back and leaves the earlier ones in place', async (t) => {
  const client = await freshSchema(t);
  if (!client) return;
  const migrations = await loadMigrations();
  const broken = [
    ...migrations,
    { version: 999, name: '999_broken.sql', sql: 'CREATE TABLE half (id int); SELECT no_such_column FROM orders;', checksum: 'x' },
  ];
  await t.rejects(migrate(client, broken), /migration 999_broken\.sql failed: column "no_such_column" does not exist/);
  const half = await client.query("SELECT to_regclass('half') AS present");
  t.equal(half.rows[0].present, null, 'nothing of the failed migration remains');
  t.same(await migrate(client, migrations), [], 'the good ones stay applied');
});
