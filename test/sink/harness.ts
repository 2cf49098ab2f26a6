/**
 * Shared by the sink's tests on the real broker and Postgres: the pipeline's output for a feed of orders,
 * published to Kafka; the sink run as a process of its own (so it can be SIGKILLed); and the two views of
 * the result to compare — what the topics say, computed here independently of sinks/tables.ts, and what the
 * tables hold.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { demoOrder, referenceData, storeIds } from '../../bin/demo-feed.js';
import { serdeConfig } from '../../avro/config.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import type { OrderState } from '../../processors/order-state.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { sinkSources, type SinkSources } from '../../sinks/sink-sources.js';
import { BROKERS, readAll } from '../kafka/harness.js';
import { freePort } from '../free-port.js';

const OMNIA = resolve('dist/bin/omnia.js');

export const sourcesFor = (app: string): SinkSources =>
  sinkSources({ applicationId: app, topicPrefix: `${app}.`, serdes: serdeConfig({}) });

/** Creates the topics the sink reads, as the pipeline would: the changelog compacted. */
export async function createSinkTopics(client: KafkaClient, sources: SinkSources, partitions: number): Promise<void> {
  const admin = client.admin();
  // Kept whatever their age: the records carry the pipeline's timestamps (fixed dates), and the broker's 7-day
  // time retention would otherwise delete them in the middle of a test.
  const keep = { 'retention.ms': '-1' };
  await admin.ensureTopics(
    sources.topics.map((topic) => ({
      topic,
      partitions,
      configs: topic.endsWith('-changelog') ? { ...keep, 'cleanup.policy': 'compact' } : keep,
    })),
  );
  await admin.close();
}

/**
 * What the pipeline publishes for `orders` demo orders (with their updates), run in-process: the records of
 * the topics the sink reads, partitioned as on Kafka. Orders are created `createdAt`, an hour apart per 1000.
 * Every store counted 5 units of SKU-100 first, so that orders past them raise low-stock events.
 */
export async function pipelineOutput(app: string, orders: number, partitions: number, seed = 11): Promise<ProducedRecord[]> {
  const prefix = `${app}.`;
  const config = loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix });
  const start = Date.parse('2026-11-20T01:00:00Z');
  const driver = new InProcessRuntime(orderTopology(config, orderSerdes(serdeConfig({}), prefix)), {
    applicationId: app,
    partitions,
    startTime: start,
  });
  for (const entry of referenceData(200))
    await driver.pipeRaw(prefix + entry.topic, Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  for (const store of storeIds(50))
    await driver.pipeRaw(
      prefix + Topics.inventoryLevel,
      Buffer.from(store),
      Buffer.from(JSON.stringify({ ShipFromLocationID: store, ItemID: 'SKU-100', OnHand: 5 })),
      { timestamp: start },
    );
  for (let n = 0; n < orders; n++) {
    const at = start + n * 3_600;
    const order = demoOrder(n, new Date(at), { stores: 50, customers: 200, seed });
    await driver.pipeRaw(prefix + Topics.orderCreate, Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
      timestamp: at,
    });
  }
  const wanted = new Set(sourcesFor(app).topics);
  const records = driver.output.filter((record) => wanted.has(record.topic));
  await driver.close();
  return records;
}

/** The sink as a child process, stdout collected; `kill()` is SIGKILL. */
export class SinkProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  static readonly freePort = freePort;

  /** Starts `omnia sink` for the app's topics against `databaseUrl`. */
  static forApp(app: string, databaseUrl: string, extra: Record<string, string> = {}): SinkProcess {
    return new SinkProcess({
      KAFKA_BROKERS: BROKERS.join(','),
      DATABASE_URL: databaseUrl,
      OMNIA_APPLICATION_ID: app,
      OMNIA_TOPIC_PREFIX: `${app}.`,
      OMNIA_SINK_HOST: '127.0.0.1',
      ...extra,
    });
  }

  async start(): Promise<void> {
    const port = await SinkProcess.freePort();
    this.child = spawn(process.execPath, [OMNIA, 'sink'], {
      env: { ...process.env, ...this.env, OMNIA_SINK_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk.toString()));
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

export { withSchema } from '../postgres/harness.js';

/**
 * The analysts' view of a run, as comparable plain values: one entry per order (current row, lines, history,
 * payments, validations, release) with money as the exact 4-decimal strings.
 */
export interface TablesDigest {
  orders: Record<string, string>;
  lines: Record<string, string>;
  history: Record<string, string>;
  payments: Record<string, string>;
  releases: Record<string, string>;
  validations: Record<string, string>;
  counts: Record<string, number>;
}

// Records and rows are read field by field below; their shapes are the schemas' and the tables'.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A topic's optional timestamp as the tables' digest prints it: epoch ms, or null. */
const msOf = (value: string | null | undefined): number | null => (value ? Date.parse(value) : null);
/** A topic's money string as NUMERIC(18,4) reads back: four decimals ("50.5" → "50.5000"), or null. */
function money4(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const [whole, fraction = ''] = value.split('.');
  return `${whole}.${fraction.padEnd(4, '0')}`;
}

const add = (map: Record<string, string>, key: string, entry: string) =>
  void (map[key] = map[key] === undefined ? entry : `${map[key]} | ${entry}`);

/** What the topics say the tables must hold. Records must be in offset order per partition (readAll's order). */
export function digestOfTopics(records: readonly ConsumedRecord[], sources: SinkSources): TablesDigest {
  const digest: TablesDigest = { orders: {}, lines: {}, history: {}, payments: {}, releases: {}, validations: {}, counts: {} };
  const latest = new Map<string, OrderState>();
  let errors = 0;
  const extra = { fulfillment_interactions: 0, reconciliation_runs: 0, reconciliation_exceptions: 0, low_stock_events: 0 };
  const counters = new Set<string>();
  for (const record of records) {
    const source = sources.sourceOf(record.topic);
    const value = sources.decode(record.topic, record.value) as Loose | null;
    if (value === null) continue;
    if (source === 'orders') latest.set(record.key!.toString(), value as unknown as OrderState);
    else if (source === 'status')
      add(digest.history, value.OrderID, `${value.FromStatus}>${value.ToStatus} ${value.Reason} ${value.Source} ${Date.parse(value.At)}`);
    else if (source === 'payment') add(digest.payments, value.OrderID, `${value.PaymentStatus} ${value.Amount} ${Date.parse(value.At)}`);
    else if (source === 'release')
      add(
        digest.releases,
        value.OrderID,
        `${value.ReleaseID} ${(value.ReleaseLines as unknown[]).length} ${value.SubTotal} ${value.TotalDiscount} ${value.TotalTaxes} ${value.InformationalTaxes} ${value.TotalCharges} ${value.OrderTotal} ${value.CodAmount}`,
      );
    else if (source === 'fulfillment') extra.fulfillment_interactions++;
    else if (source === 'lowStock') extra.low_stock_events++;
    else if (source === 'inventory') counters.add(`${value.ShipFromLocationID}|${value.ItemID}`);
    else if (source === 'reconciliation') {
      extra.reconciliation_runs++;
      extra.reconciliation_exceptions += ((value.Exceptions ?? []) as unknown[]).length;
    } else if (source === 'validation') {
      const list = (value.Errors ?? []) as Array<{ Code: string; Field: string }>;
      errors += list.length;
      add(digest.validations, value.OrderID, `${value.Valid} ${list.map((error) => `${error.Code}:${error.Field}`).join(',')}`);
    }
  }
  for (const [id, state] of latest) {
    const totals = state.Totals;
    digest.orders[id] =
      `${state.Order.ShipFromLocationID} ${state.Status} ${state.PaymentStatus} ${state.ReleaseID} ${totals?.SubTotal} ${totals?.TotalDiscount} ${totals?.TotalTaxes} ${totals?.TotalCharges} ${totals?.OrderTotal} ${Date.parse(state.Order.CreatedAt)}` +
      ` ${state.TrackingID ?? null} ${state.Carrier ?? null} ${msOf(state.DeliveredAt)} ${money4(state.CollectedAmount)} ${msOf(state.CollectedAt)}`;
    for (const line of [...state.Lines].sort((a, b) => a.LineID.localeCompare(b.LineID)))
      add(
        digest.lines,
        id,
        `${line.LineID} ${line.ItemID} ${line.Quantity} ${line.UnitPrice} ${line.LineAmount} ${line.LineDiscount} ${line.LineTax} ${line.BundleGroupID}`,
      );
  }
  digest.counts = {
    orders: latest.size,
    order_lines: [...latest.values()].reduce((sum, state) => sum + state.Lines.length, 0),
    order_status_history: Object.values(digest.history).reduce((sum, list) => sum + list.split(' | ').length, 0),
    payments: Object.values(digest.payments).reduce((sum, list) => sum + list.split(' | ').length, 0),
    releases: Object.keys(digest.releases).length,
    validations: Object.values(digest.validations).reduce((sum, list) => sum + list.split(' | ').length, 0),
    validation_errors: errors,
    ...extra,
    inventory_counters: counters.size,
  };
  return digest;
}

/** What the tables hold, in the same shape. */
export async function digestOfTables(db: pg.Client): Promise<TablesDigest> {
  const digest: TablesDigest = { orders: {}, lines: {}, history: {}, payments: {}, releases: {}, validations: {}, counts: {} };
  const rows = async (sql: string) => (await db.query(sql)).rows as Loose[];
  const ms = (value: Date | null) => (value === null ? NaN : value.getTime());
  for (const r of await rows('SELECT * FROM orders ORDER BY order_id')) {
    digest.orders[r.order_id] =
      `${r.ship_from_location_id} ${r.status} ${r.payment_status} ${r.release_id} ${r.sub_total} ${r.total_discount} ${r.total_taxes} ${r.total_charges} ${r.order_total} ${ms(r.created_at)}` +
      ` ${r.tracking_id} ${r.carrier} ${r.delivered_at === null ? null : ms(r.delivered_at)} ${r.collected_amount} ${r.collected_at === null ? null : ms(r.collected_at)}`;
  }
  for (const r of await rows('SELECT * FROM order_lines ORDER BY order_id, line_id'))
    add(
      digest.lines,
      r.order_id,
      `${r.line_id} ${r.item_id} ${r.quantity} ${r.unit_price} ${r.line_amount} ${r.line_discount} ${r.line_tax} ${r.bundle_group_id}`,
    );
  for (const r of await rows('SELECT * FROM order_status_history ORDER BY order_id, kafka_offset'))
    add(digest.history, r.order_id, `${r.from_status}>${r.to_status} ${r.reason} ${r.source} ${ms(r.at)}`);
  for (const r of await rows('SELECT * FROM payments ORDER BY order_id, kafka_offset'))
    add(digest.payments, r.order_id, `${r.payment_status} ${r.amount} ${ms(r.at)}`);
  for (const r of await rows('SELECT * FROM releases ORDER BY order_id'))
    add(
      digest.releases,
      r.order_id,
      `${r.release_id} ${r.line_count} ${r.sub_total} ${r.total_discount} ${r.total_taxes} ${r.informational_taxes} ${r.total_charges} ${r.order_total} ${r.cod_amount}`,
    );
  const errors = new Map<string, string[]>();
  for (const r of await rows('SELECT * FROM validation_errors ORDER BY kafka_partition, kafka_offset, error_index'))
    errors.set(`${r.kafka_partition}:${r.kafka_offset}`, [
      ...(errors.get(`${r.kafka_partition}:${r.kafka_offset}`) ?? []),
      `${r.code}:${r.field}`,
    ]);
  for (const r of await rows('SELECT * FROM validations ORDER BY order_id, kafka_offset'))
    add(digest.validations, r.order_id, `${r.valid} ${(errors.get(`${r.kafka_partition}:${r.kafka_offset}`) ?? []).join(',')}`);
  for (const table of [
    'orders',
    'order_lines',
    'order_status_history',
    'payments',
    'releases',
    'validations',
    'validation_errors',
    'fulfillment_interactions',
    'reconciliation_runs',
    'reconciliation_exceptions',
    'low_stock_events',
    'inventory_counters',
  ]) {
    digest.counts[table] = Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  }
  return digest;
}

/** Every record of the sink's topics, each topic's partitions in offset order. */
export async function readSinkTopics(client: KafkaClient, sources: SinkSources): Promise<ConsumedRecord[]> {
  const all: ConsumedRecord[] = [];
  for (const topic of sources.topics) all.push(...(await readAll(client, topic)));
  return all;
}

/** Compares the two digests table by table, naming the first few orders that differ. */
export function sameTables(t: Test, actual: TablesDigest, expected: TablesDigest, what: string): void {
  t.same(actual.counts, expected.counts, `${what}: row counts per table`);
  for (const table of ['orders', 'lines', 'history', 'payments', 'releases', 'validations'] as const) {
    const ids = [...new Set([...Object.keys(actual[table]), ...Object.keys(expected[table])])];
    const differing = ids.filter((id) => actual[table][id] !== expected[table][id]).slice(0, 3);
    t.same(
      differing.map((id) => ({ id, actual: actual[table][id], expected: expected[table][id] })),
      [],
      `${what}: ${table} agree for all ${ids.length} orders`,
    );
  }
}

export async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
