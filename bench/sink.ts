/**
 * The Postgres sink connector (sinks/sink-connector.ts) on the real broker and real Postgres, against its
 * targets: ≥ 20,000 rows/s into Postgres with exactly-once; catch-up after a 60 s Postgres outage at that
 * rate. Method and results: bench/sink.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sink.js                    # both figures (~4 minutes, at most 5)
 *   node dist/bench/sink.js --figures=throughput --batches=1000,5000,20000 --repeat=3 --orders=30000
 *   node dist/bench/sink.js --figures=outage --rate=20000 --outage-s=60 --outage-batch=5000
 *
 * Input: the pipeline's output for demo orders (test/sink/harness.ts `pipelineOutput`: the order topology run
 * in-process, the orders changelog included), on 8 partitions per topic. A base feed is generated once and
 * repeated with new order ids (same length, so Avro and JSON bytes stay valid) for larger volumes.
 *
 * 1. Throughput: all records are produced first; each run starts a fresh connector (own group, own schema on
 *    the shared Postgres) from offset 0 and is timed from start() resolving (group joined, loop starting) to
 *    the SQL commit of the last record. Rows/s = rows the connector wrote (its rowsWritten metric).
 * 2. Outage: a private Postgres (test/postgres/private-cluster.ts); records are produced at a paced rate of
 *    rows/s while the connector runs; after a warm-up the server is stopped (-m immediate) for 60 s and
 *    started again; catch-up ends when the connector's committed records are within one second of input (or
 *    the warm-up's largest lag) of what was produced. Then production stops, the connector drains, and the
 *    tables are counted.
 *
 * Every run ends by checking exactly-once: per-table row counts equal what the feed implies, no dead letters,
 * and the stored offsets equal the topics' end offsets.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SinkConnector } from '../sinks/sink-connector.js';
import { itemOf, type SinkSources } from '../sinks/sink-sources.js';
import { pgDatabase } from '../postgres/sql.js';
import type { KafkaClient, Producer } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { PrivatePostgres } from '../test/postgres/private-cluster.js';
import { createSinkTopics, pipelineOutput, sourcesFor, withSchema } from '../test/sink/harness.js';
import { brokerPid, cpuIndexMs, cpuSeconds, machineBusySeconds } from './runtime/common.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PARTITIONS = 8;
const LINGER_MS = 50; // the sink's default (sinks/sink-config.ts)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const fmt = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

/** What Ctrl-C must undo (topics, schemas, the private server, the load process) while a figure runs. */
const cleanUps = new Set<() => Promise<unknown>>();
function onInterrupt(cleanUp: () => Promise<unknown>): () => void {
  cleanUps.add(cleanUp);
  return () => cleanUps.delete(cleanUp);
}

// ---------------------------------------------------------------------------------------------- options

interface Options {
  figures: Array<'throughput' | 'outage'>;
  /** Orders whose output the throughput runs read. */
  orders: number;
  /** Orders the driver generates; larger volumes repeat them under new ids. */
  baseOrders: number;
  batches: number[];
  repeat: number;
  /** Rows/s worth of records produced during the outage figure. */
  rate: number;
  outageSeconds: number;
  warmSeconds: number;
  catchUpLimitSeconds: number;
  /** batchRecords of the outage figure's connector. */
  outageBatch: number;
  /** CPU-profile the measured windows (this process: the connector) into bench/results/profiles/. */
  profile: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const given = new Map(
    argv
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => {
        const [name, value = 'true'] = arg.slice(2).split('=');
        return [name!, value];
      }),
  );
  const known = [
    'figures',
    'orders',
    'base-orders',
    'batches',
    'repeat',
    'rate',
    'outage-s',
    'warm-s',
    'catch-up-limit-s',
    'outage-batch',
    'profile',
  ];
  for (const name of given.keys())
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  const value = (name: string, env: string, fallback: string) => given.get(name) ?? process.env[env] ?? fallback;
  const int = (name: string, env: string, fallback: number) => {
    const parsed = Number(value(name, env, String(fallback)));
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive integer`);
    return parsed;
  };
  const figures = value('figures', 'SINK_BENCH_FIGURES', 'throughput,outage').split(',') as Options['figures'];
  for (const figure of figures) if (figure !== 'throughput' && figure !== 'outage') throw new Error(`unknown figure ${figure}`);
  return {
    figures,
    orders: int('orders', 'SINK_BENCH_ORDERS', 30_000),
    baseOrders: int('base-orders', 'SINK_BENCH_BASE_ORDERS', 10_000),
    batches: value('batches', 'SINK_BENCH_BATCHES', '1000,5000,20000').split(',').map(Number),
    repeat: int('repeat', 'SINK_BENCH_REPEAT', 3),
    rate: int('rate', 'SINK_BENCH_RATE', 20_000),
    outageSeconds: int('outage-s', 'SINK_BENCH_OUTAGE_S', 60),
    warmSeconds: int('warm-s', 'SINK_BENCH_WARM_S', 20),
    catchUpLimitSeconds: int('catch-up-limit-s', 'SINK_BENCH_CATCH_UP_LIMIT_S', 90),
    outageBatch: int('outage-batch', 'SINK_BENCH_OUTAGE_BATCH', 5_000),
    profile: value('profile', 'SINK_BENCH_PROFILE', 'false') !== 'false',
  };
}

// ------------------------------------------------------------------------------------------------- feed

/** The pipeline's output for `orders` demo orders, and what it must become in the tables. */
interface Feed {
  readonly orders: number;
  readonly records: readonly ProducedRecord[];
  /** OrderID of each record (every record of these topics names one). */
  readonly ids: readonly string[];
  /** Rows each record becomes. */
  readonly rows: readonly number[];
  readonly rowsTotal: number;
  /** Rows per table once the feed is written: event tables one per event, orders and lines as they stand. */
  readonly tableRows: Readonly<Record<string, number>>;
}

/** The pipeline's output for `orders` demo orders (test/sink/harness.ts), with its ids and rows per record. */
async function buildFeed(app: string, sources: SinkSources, orders: number): Promise<Feed> {
  const records = await pipelineOutput(app, orders, PARTITIONS);
  const ids: string[] = [];
  const rows: number[] = [];
  for (const record of records) {
    const item = itemOf({ ...record, offset: 0n }, sources);
    if (item.unusable !== undefined) throw new Error(`feed record ${record.topic} is unusable: ${item.unusable}`);
    const value = sources.decode(record.topic, record.value) as { OrderID?: string; Order?: { OrderID: string } } | null;
    const id = value?.Order?.OrderID ?? value?.OrderID;
    if (!id || !/-\d{8}$/.test(id)) throw new Error(`feed record ${record.topic} has no demo OrderID`);
    ids.push(id);
    rows.push(item.rows.length);
  }
  const feed = { orders, records, ids, rows, rowsTotal: rows.reduce((sum, n) => sum + n, 0), tableRows: {} };
  return { ...feed, tableRows: tableRowsOf(feed, sources, records.length) };
}

/** Rows per table once the first `count` records of (a copy of) the feed are written. */
function tableRowsOf(feed: Pick<Feed, 'records' | 'ids'>, sources: SinkSources, count: number): Record<string, number> {
  const tableRows: Record<string, number> = {};
  const orderIds = new Set<string>();
  const linesOf = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const record = feed.records[i]!;
    const id = feed.ids[i]!;
    let lines = 0;
    for (const row of itemOf({ ...record, offset: 0n }, sources).rows) {
      if (row.table.name === 'orders') orderIds.add(id);
      else if (row.table.name === 'order_lines') lines++;
      else tableRows[row.table.name] = (tableRows[row.table.name] ?? 0) + 1;
    }
    if (sources.sourceOf(record.topic) === 'orders') linesOf.set(id, lines); // the latest version's lines stand
  }
  tableRows.orders = orderIds.size;
  tableRows.order_lines = [...linesOf.values()].reduce((total, n) => total + n, 0);
  return tableRows;
}

function replaceAll(bytes: Buffer | null, from: Buffer, to: Buffer): Buffer | null {
  if (bytes === null || bytes.indexOf(from) < 0) return bytes;
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + to.length)) to.copy(out, at);
  return out;
}

/**
 * Copy `k` of the feed: every order id `<store>-<8 digits n>` becomes `<store>-<n + k·orders>` (same length,
 * so the Avro changelog's length prefixes and the JSON stay valid), release ids with it. Copy 0 is the feed.
 */
function copyOf(feed: Feed, k: number): ProducedRecord[] {
  if (k === 0) return [...feed.records];
  return feed.records.map((record, i) => {
    const id = feed.ids[i]!;
    const n = Number(id.slice(-8)) + k * feed.orders;
    if (n >= 1e8) throw new Error('too many copies of the feed for 8-digit order numbers');
    const from = Buffer.from(id);
    const to = Buffer.from(`${id.slice(0, -8)}${String(n).padStart(8, '0')}`);
    return { ...record, key: replaceAll(record.key, from, to), value: replaceAll(record.value, from, to) };
  });
}

// --------------------------------------------------------------------------------------------- measuring

const sum = async (metric: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
  (await metric.get()).values.reduce((total, sample) => total + sample.value, 0);

async function progress(
  connector: SinkConnector,
): Promise<{ records: number; rows: number; batches: number; batchSeconds: number; retries: number }> {
  const histogram = (await connector.metrics.batchSeconds.get()).values as Array<{ metricName?: string; value: number }>;
  return {
    records: await sum(connector.metrics.recordsConsumed),
    rows: await sum(connector.metrics.rowsWritten),
    batches: await sum(connector.metrics.batches),
    batchSeconds: histogram.find((sample) => sample.metricName === 'omnia_sink_batch_seconds_sum')?.value ?? 0,
    retries: await sum(connector.metrics.retries),
  };
}

/** CPU seconds used between two marks by this process (the connector), the broker, the connector's Postgres backends and the rest. */
class CpuWatch {
  private readonly broker = brokerPid();
  private readonly start = {
    self: cpuSeconds(process.pid),
    broker: this.broker && cpuSeconds(this.broker),
    machine: machineBusySeconds(),
    at: performance.now(),
  };

  /** `postgres`: CPU seconds of the connector's backends, read before its pool closed. */
  end(postgres: number | undefined): Record<string, number> {
    const seconds = (performance.now() - this.start.at) / 1000;
    const delta = (now: number | undefined, then: number | undefined) => (now === undefined || then === undefined ? NaN : now - then);
    const self = delta(cpuSeconds(process.pid), this.start.self);
    const broker = this.broker ? delta(cpuSeconds(this.broker), this.start.broker) : NaN;
    const machine = delta(machineBusySeconds(), this.start.machine);
    const cores = (value: number) => Number((value / seconds).toFixed(2));
    return {
      connectorCores: cores(self),
      postgresBackendCores: cores(postgres ?? NaN),
      brokerCores: cores(broker),
      otherCores: cores(machine - self - broker - (postgres ?? 0)),
      machineCores: cores(machine),
    };
  }
}

/** CPU seconds of the server processes serving `applicationName` (the connector's pool: lives as long as the run). */
async function backendCpu(admin: pg.Client, applicationName: string): Promise<number | undefined> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
  if (rows.length === 0) return undefined;
  let total = 0;
  for (const { pid } of rows) total += cpuSeconds(pid) ?? 0;
  return total;
}

/** Exactly-once check: rows per table as the feed implies, no dead letters, stored offsets at the topics' ends. */
async function verify(
  client: pg.Client,
  kafka: KafkaClient,
  sources: SinkSources,
  group: string,
  expected: Record<string, number>,
): Promise<{ ok: boolean; detail: string }> {
  const problems: string[] = [];
  for (const [table, count] of Object.entries(expected)) {
    const actual = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    if (actual !== count) problems.push(`${table} ${actual} rows, expected ${count}`);
  }
  const dead = Number((await client.query('SELECT count(*) AS n FROM sink_dead_letters')).rows[0].n);
  if (dead) problems.push(`${dead} dead letters`);
  const admin = kafka.admin();
  const partitions = sources.topics.flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  const ends = await admin.endOffsets(partitions, true);
  await admin.close();
  const stored = new Map(
    (
      await client.query<{ topic: string; partition: number; next_offset: string }>(
        'SELECT topic, partition, next_offset FROM sink_offsets WHERE consumer = $1',
        [group],
      )
    ).rows.map((row) => [tpKey(row.topic, row.partition), BigInt(row.next_offset)]),
  );
  const off = partitions.filter(
    (tp) => (stored.get(tpKey(tp.topic, tp.partition)) ?? -1n) !== (ends.get(tpKey(tp.topic, tp.partition)) ?? 0n),
  );
  if (off.length) problems.push(`${off.length} partitions' stored offsets differ from the topic ends`);
  return {
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `${Object.values(expected)
          .reduce((a, b) => a + b, 0)
          .toLocaleString('en-US')} rows in ${Object.keys(expected).length} tables as expected, no dead letters, offsets at the topic ends`,
  };
}

async function sendChunked(producer: Producer, records: ProducedRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 2000) await producer.send(records.slice(i, i + 2000));
}

async function deleteTopics(kafka: KafkaClient, sources: SinkSources): Promise<void> {
  const admin = kafka.admin();
  await admin.deleteTopics(sources.topics).catch(() => undefined);
  await admin.close();
}

/** A V8 CPU profile of this process between start() and stop(name), when profiling was asked for. */
class Profiler {
  private session: Session | undefined;

  constructor(private readonly enabled: boolean) {}

  async start(): Promise<void> {
    if (!this.enabled) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }

  async stop(name: string): Promise<void> {
    if (!this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    this.session = undefined;
    await mkdir('bench/results/profiles', { recursive: true });
    const file = path.join('bench/results/profiles', `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    log(`profile: ${file} (node dist/bench/runtime/profile.js ${file} 30)`);
  }
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// ------------------------------------------------------------------------------------------- throughput

interface ThroughputRun {
  batchRecords: number;
  run: number;
  records: number;
  rows: number;
  seconds: number;
  recordsPerSec: number;
  rowsPerSec: number;
  startMs: number;
  firstCommitMs: number;
  batches: number;
  /** Share of the measured time spent inside the SQL transaction of a batch. */
  sqlShare: number;
  cpu: Record<string, number>;
  rssMb: number;
  check: string;
}

async function throughputRun(
  kafka: KafkaClient,
  admin: pg.Client,
  app: string,
  sources: SinkSources,
  expected: Record<string, number>,
  totalRecords: number,
  batchRecords: number,
  run: number,
  profiler: Profiler,
): Promise<ThroughputRun> {
  const schema = `bench_sink_${randomUUID().slice(0, 8)}`;
  const group = `${app}-b${batchRecords}-r${run}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const forget = onInterrupt(() => admin.query(`DROP SCHEMA ${schema} CASCADE`));
  const db = pgDatabase(withSchema(DATABASE_URL, schema), { applicationName: group });
  const client = new pg.Client({ connectionString: withSchema(DATABASE_URL, schema) });
  await client.connect();
  const lines: string[] = [];
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, group), sources, {
    group,
    batchRecords,
    lingerMs: LINGER_MS,
    log: (line) => lines.push(line),
  });
  try {
    const started = performance.now();
    await connector.start();
    await profiler.start();
    const loopStart = performance.now();
    const cpu = new CpuWatch();
    let firstCommit = NaN;
    let rss = 0;
    for (let p = await progress(connector); p.records < totalRecords; p = await progress(connector)) {
      if (Number.isNaN(firstCommit) && p.batches > 0) firstCommit = performance.now();
      rss = Math.max(rss, process.memoryUsage().rss);
      if (performance.now() - loopStart > 240_000)
        throw new Error(`not caught up after 240 s: ${p.records} of ${totalRecords} records; log: ${lines.slice(-3).join(' / ')}`);
      await sleep(10);
    }
    const done = performance.now();
    const p = await progress(connector);
    const usage = cpu.end(await backendCpu(admin, group));
    await profiler.stop(`sink-b${batchRecords}-r${run}`);
    await connector.stop();
    const seconds = (done - loopStart) / 1000;
    const check = await verify(client, kafka, sources, group, expected);
    if (!check.ok) throw new Error(`exactly-once check failed: ${check.detail}`);
    return {
      batchRecords,
      run,
      records: p.records,
      rows: p.rows,
      seconds: Number(seconds.toFixed(2)),
      recordsPerSec: Math.round(p.records / seconds),
      rowsPerSec: Math.round(p.rows / seconds),
      startMs: Math.round(loopStart - started),
      firstCommitMs: Math.round(firstCommit - loopStart),
      batches: p.batches,
      sqlShare: Number((p.batchSeconds / seconds).toFixed(2)),
      cpu: usage,
      rssMb: Math.round(rss / 1e6),
      check: check.detail,
    };
  } finally {
    await connector.stop().catch(() => undefined);
    await client.end().catch(() => undefined);
    await db.close().catch(() => undefined);
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    forget();
  }
}

async function throughput(options: Options, results: Record<string, unknown>): Promise<void> {
  const app = `bench-sink-${randomUUID().slice(0, 8)}`;
  const sources = sourcesFor(app);
  const kafka = new PlatformaticClient(BROKERS, app);
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const forget = onInterrupt(() => deleteTopics(kafka, sources));
  try {
    let at = performance.now();
    const base = Math.min(options.baseOrders, options.orders);
    const feed = await buildFeed(app, sources, base);
    const copies = Math.ceil(options.orders / base);
    log(
      `feed: ${fmt(base)} orders → ${fmt(feed.records.length)} records, ${fmt(feed.rowsTotal)} rows in ${fmt(performance.now() - at)} ms; ${copies} copies`,
    );
    at = performance.now();
    await createSinkTopics(kafka, sources, PARTITIONS);
    const producer = kafka.producer({});
    await producer.init();
    for (let k = 0; k < copies; k++) await sendChunked(producer, copyOf(feed, k));
    await producer.close();
    const totalRecords = feed.records.length * copies;
    const expected = Object.fromEntries(Object.entries(feed.tableRows).map(([table, n]) => [table, n * copies]));
    log(`produced ${fmt(totalRecords)} records (${fmt(feed.rowsTotal * copies)} rows) in ${fmt(performance.now() - at)} ms`);
    const runs: ThroughputRun[] = [];
    // Batch sizes alternate within each round, so slow phases of a shared machine hit them alike.
    for (let run = 1; run <= options.repeat; run++) {
      for (const batchRecords of options.batches) {
        const result = await throughputRun(
          kafka,
          admin,
          app,
          sources,
          expected,
          totalRecords,
          batchRecords,
          run,
          new Profiler(options.profile),
        );
        log(
          `batch ${batchRecords} run ${run}: ${fmt(result.rowsPerSec)} rows/s, ${fmt(result.recordsPerSec)} records/s (${result.seconds} s; ${result.batches} batches, SQL ${Math.round(result.sqlShare * 100)} % of the time; cores ${JSON.stringify(result.cpu)})`,
        );
        runs.push(result);
      }
    }
    const summary = options.batches.map((batchRecords) => {
      const mine = runs.filter((run) => run.batchRecords === batchRecords);
      return {
        batchRecords,
        rowsPerSec: median(mine.map((run) => run.rowsPerSec)),
        rowsPerSecRange: [Math.min(...mine.map((run) => run.rowsPerSec)), Math.max(...mine.map((run) => run.rowsPerSec))],
        recordsPerSec: median(mine.map((run) => run.recordsPerSec)),
        sqlShare: median(mine.map((run) => run.sqlShare)),
        connectorCores: median(mine.map((run) => run.cpu.connectorCores!)),
        postgresBackendCores: median(mine.map((run) => run.cpu.postgresBackendCores!)),
      };
    });
    results.throughput = {
      orders: base * copies,
      records: totalRecords,
      rows: feed.rowsTotal * copies,
      tableRows: expected,
      summary,
      runs,
    };
  } finally {
    await deleteTopics(kafka, sources);
    await admin.end();
    forget();
  }
}

// ----------------------------------------------------------------------------------------------- outage

interface ProducerProgress {
  sentRecords: number;
  sentRows: number;
  /** Copies of the feed started; the last one sent up to `index`. */
  copies: number;
  index: number;
  done?: boolean;
}

/**
 * The load: a process of its own (as the pipeline would be), producing copies of the feed at `rate` rows/s —
 * every 10 ms the records whose rows are due by then — and reporting progress every 100 ms.
 */
async function producerRole(config: { app: string; baseOrders: number; rate: number }): Promise<void> {
  const feed = await buildFeed(config.app, sourcesFor(config.app), config.baseOrders);
  const kafka = new PlatformaticClient(BROKERS, `${config.app}-load`);
  const producer = kafka.producer({});
  await producer.init();
  let producing = true;
  const go = new Promise<void>((resolve) =>
    process.on('message', (message) => {
      if (message === 'go') resolve();
      if (message === 'stop') producing = false;
    }),
  );
  process.on('disconnect', () => process.exit(0)); // the bench is gone: stop producing
  process.send!('ready');
  await go;
  const progress: ProducerProgress = { sentRecords: 0, sentRows: 0, copies: 0, index: 0 };
  const report = setInterval(() => process.send!(progress), 100);
  let queue: ProducedRecord[] = [];
  const t0 = performance.now();
  while (producing) {
    const due = ((performance.now() - t0) / 1000) * config.rate;
    const batch: ProducedRecord[] = [];
    while (progress.sentRows < due) {
      if (progress.index === queue.length) {
        queue = copyOf(feed, progress.copies++);
        progress.index = 0;
      }
      progress.sentRows += feed.rows[progress.index]!;
      batch.push(queue[progress.index++]!);
    }
    if (batch.length) await sendChunked(producer, batch);
    progress.sentRecords += batch.length;
    await sleep(10);
  }
  clearInterval(report);
  await producer.close();
  process.send!({ ...progress, done: true }, () => process.exit(0));
}

async function outage(options: Options, results: Record<string, unknown>): Promise<void> {
  const app = `bench-sink-outage-${randomUUID().slice(0, 8)}`;
  const sources = sourcesFor(app);
  const kafka = new PlatformaticClient(BROKERS, app);
  const group = `${app}-sink`;
  const server = await PrivatePostgres.create();
  const forget = onInterrupt(async () => {
    load.kill('SIGKILL');
    await server.destroy();
    await deleteTopics(kafka, sources);
  });
  const db = pgDatabase(server.url, { applicationName: group });
  const lines: string[] = [];
  let t0 = performance.now();
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, group), sources, {
    group,
    batchRecords: options.outageBatch,
    lingerMs: LINGER_MS,
    log: (line) => lines.push(`${((performance.now() - t0) / 1000).toFixed(1)} s ${line}`),
  });
  const load = fork(process.argv[1]!, [], {
    execArgv: [],
    env: { ...process.env, SINK_BENCH_PRODUCER: JSON.stringify({ app, baseOrders: options.baseOrders, rate: options.rate }) },
  });
  let latest: ProducerProgress = { sentRecords: 0, sentRows: 0, copies: 0, index: 0 };
  const ready = new Promise<void>((resolve, reject) => {
    load.on('message', (message) => {
      if (message === 'ready') resolve();
      else latest = message as ProducerProgress;
    });
    load.once('exit', (code) => reject(new Error(`the load process exited (${code}) before it was ready`)));
  });
  const finished = new Promise<ProducerProgress>((resolve) =>
    load.on('message', (message) => (message as ProducerProgress).done && resolve(message as ProducerProgress)),
  );
  const profiler = new Profiler(options.profile);
  try {
    const feed = await buildFeed(app, sources, options.baseOrders);
    log(
      `feed: ${fmt(options.baseOrders)} orders → ${fmt(feed.records.length)} records, ${fmt(feed.rowsTotal)} rows; producing ${fmt(options.rate)} rows/s from a process of its own`,
    );
    await createSinkTopics(kafka, sources, PARTITIONS);
    await connector.start();
    await ready;
    t0 = performance.now();
    load.send('go');
    const seconds = () => (performance.now() - t0) / 1000;
    const samples: Array<{ t: number; sentRecords: number; sentRows: number; committedRecords: number; rows: number }> = [];
    const sample = async () => {
      const p = await progress(connector);
      const entry = {
        t: Number(seconds().toFixed(2)),
        sentRecords: latest.sentRecords,
        sentRows: latest.sentRows,
        committedRecords: p.records,
        rows: p.rows,
      };
      samples.push(entry);
      return entry;
    };

    // Warm-up: the connector keeps up; the largest lag in its second half is the steady lag.
    const steadyLags: number[] = [];
    while (seconds() < options.warmSeconds) {
      const s = await sample();
      if (s.t > options.warmSeconds / 2) steadyLags.push(s.sentRecords - s.committedRecords);
      await sleep(250);
    }
    const recordsPerSec = options.rate * (feed.records.length / feed.rowsTotal);
    const steadyLag = Math.max(...steadyLags);
    const threshold = Math.max(recordsPerSec, steadyLag); // caught up: lag ≤ 1 s of input (or the steady lag)
    const beforeStop = await sample();
    let blocked = performance.now();
    await server.stop();
    const stopBlockedMs = performance.now() - blocked;
    const stoppedAt = seconds();
    log(
      `Postgres stopped at ${stoppedAt.toFixed(1)} s (steady lag ${fmt(steadyLag)} records); starting it again in ${options.outageSeconds} s`,
    );
    while (seconds() < stoppedAt + options.outageSeconds) {
      await sample();
      await sleep(500);
    }
    blocked = performance.now();
    await server.start();
    const startBlockedMs = performance.now() - blocked;
    const restartedAt = seconds();
    const atRestart = await sample();
    log(`Postgres up again at ${restartedAt.toFixed(1)} s; backlog ${fmt(atRestart.sentRecords - atRestart.committedRecords)} records`);
    await profiler.start();
    const cpu = new CpuWatch();
    const loadCpu = cpuSeconds(load.pid!);
    let firstCommitAfter = NaN;
    let caughtUp: typeof atRestart | undefined;
    while (seconds() < restartedAt + options.catchUpLimitSeconds) {
      const s = await sample();
      if (Number.isNaN(firstCommitAfter) && s.committedRecords > atRestart.committedRecords) firstCommitAfter = s.t;
      if (s.sentRecords - s.committedRecords <= threshold) {
        caughtUp = s;
        break;
      }
      await sleep(100);
    }
    const catchUpCpu = {
      ...cpu.end(await backendCpuOf(server.url, group)),
      loadCores: Number((((cpuSeconds(load.pid!) ?? NaN) - (loadCpu ?? NaN)) / (seconds() - restartedAt)).toFixed(2)),
    };
    await profiler.stop('sink-outage-catch-up');
    if (caughtUp) log(`caught up at ${caughtUp.t.toFixed(1)} s, ${(caughtUp.t - restartedAt).toFixed(1)} s after the restart`);
    else log(`NOT caught up ${options.catchUpLimitSeconds} s after the restart`);
    // A few more seconds at the rate, then production stops and the connector drains.
    const after = seconds() + 5;
    while (seconds() < after) {
      await sample();
      await sleep(250);
    }
    load.send('stop');
    const final = await finished;
    latest = final;
    const producedEnd = await sample();
    const drainLimit = seconds() + 45;
    let drained = producedEnd;
    while (drained.committedRecords < final.sentRecords && seconds() < drainLimit) {
      await sleep(100);
      drained = await sample();
    }
    const p = await progress(connector);
    await connector.stop();
    let check = {
      ok: false,
      detail: `not checked: ${fmt(final.sentRecords - drained.committedRecords)} records still unwritten 45 s after production stopped`,
    };
    if (drained.committedRecords >= final.sentRecords) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      // Expected rows: the copies sent whole, and the part of the last one that was sent.
      const partial = tableRowsOf(feed, sources, final.index);
      const expected = Object.fromEntries(
        Object.entries(feed.tableRows).map(([table, n]) => [table, n * (final.copies - 1) + (partial[table] ?? 0)]),
      );
      check = await verify(client, kafka, sources, group, expected);
      await client.end();
      if (!check.ok) throw new Error(`exactly-once check failed after the outage: ${check.detail}`);
    }
    const catchUpSeconds = caughtUp ? caughtUp.t - restartedAt : NaN;
    results.outage = {
      rateTarget: options.rate,
      producedRowsPerSec: Math.round(producedEnd.sentRows / producedEnd.t),
      producedRecordsPerSec: Math.round(producedEnd.sentRecords / producedEnd.t),
      batchRecords: options.outageBatch,
      warmSeconds: options.warmSeconds,
      steadyLagRecords: steadyLag,
      caughtUpThresholdRecords: Math.round(threshold),
      lagAtStopRecords: beforeStop.sentRecords - beforeStop.committedRecords,
      outageSeconds: Number((restartedAt - stoppedAt).toFixed(1)),
      stopBlockedMs: Math.round(stopBlockedMs),
      startBlockedMs: Math.round(startBlockedMs),
      backlogAtRestartRecords: atRestart.sentRecords - atRestart.committedRecords,
      backlogAtRestartRows: atRestart.sentRows - atRestart.rows,
      firstCommitAfterRestartSeconds: Number((firstCommitAfter - restartedAt).toFixed(1)),
      catchUpSeconds: Number(catchUpSeconds.toFixed(1)),
      catchUpRowsPerSec: caughtUp ? Math.round((caughtUp.rows - atRestart.rows) / catchUpSeconds) : NaN,
      catchUpRecordsPerSec: caughtUp ? Math.round((caughtUp.committedRecords - atRestart.committedRecords) / catchUpSeconds) : NaN,
      catchUpCpu,
      retries: p.retries,
      totalRecords: final.sentRecords,
      totalRows: p.rows,
      check: check.detail,
      log: lines,
      samples: samples.filter((_, i) => i % 4 === 0),
    };
  } finally {
    if (load.exitCode === null) load.kill('SIGKILL');
    await connector.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    await server.destroy().catch(() => undefined);
    await deleteTopics(kafka, sources);
    forget();
  }
}

/** backendCpu() on a server of its own, through a connection of its own. */
async function backendCpuOf(url: string, applicationName: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await backendCpu(client, applicationName);
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = Date.now();
  const results: Record<string, unknown> = {};
  const failures: Array<{ figure: string; error: string }> = [];
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void Promise.allSettled([...cleanUps].map((cleanUp) => cleanUp())).finally(() => process.exit(130));
  });
  const index = cpuIndexMs();
  for (const figure of options.figures) {
    try {
      await (figure === 'throughput' ? throughput(options, results) : outage(options, results));
    } catch (error) {
      log(`${figure} failed: ${(error as Error).stack ?? error}`);
      failures.push({ figure, error: (error as Error).message });
    }
  }
  const report = {
    date: new Date(startedAt).toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, cpuIndexMs: index },
    options,
    ...results,
    failures,
  };
  await mkdir('bench/results', { recursive: true });
  const file = path.join('bench/results', 'sink.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const out: string[] = [];
  const t = results.throughput as
    | {
        summary: Array<{
          batchRecords: number;
          rowsPerSec: number;
          rowsPerSecRange: number[];
          recordsPerSec: number;
          sqlShare: number;
          connectorCores: number;
          postgresBackendCores: number;
        }>;
        orders: number;
        rows: number;
      }
    | undefined;
  if (t) {
    out.push(`throughput (${fmt(t.orders)} orders, ${fmt(t.rows)} rows, median of ${options.repeat}; target ≥ 20,000 rows/s):`);
    for (const s of t.summary)
      out.push(
        `  batch ${String(s.batchRecords).padStart(6)}: ${fmt(s.rowsPerSec)} rows/s (${fmt(s.rowsPerSecRange[0]!)}–${fmt(s.rowsPerSecRange[1]!)}), ${fmt(s.recordsPerSec)} records/s, SQL ${Math.round(s.sqlShare * 100)} % of the time, connector ${s.connectorCores} cores, its Postgres backends ${s.postgresBackendCores} cores — ${s.rowsPerSec >= 20_000 ? 'met' : 'missed'}`,
      );
  }
  const o = results.outage as
    | {
        outageSeconds: number;
        producedRowsPerSec: number;
        batchRecords: number;
        backlogAtRestartRows: number;
        firstCommitAfterRestartSeconds: number;
        catchUpSeconds: number;
        catchUpRowsPerSec: number;
        retries: number;
        catchUpCpu: Record<string, number>;
        check: string;
      }
    | undefined;
  if (o) {
    const caught = Number.isFinite(o.catchUpSeconds)
      ? `caught up after ${o.catchUpSeconds} s at ${fmt(o.catchUpRowsPerSec)} rows/s`
      : `NOT caught up within ${options.catchUpLimitSeconds} s`;
    out.push(
      `outage (${o.outageSeconds} s, ${fmt(o.producedRowsPerSec)} rows/s produced, batch ${o.batchRecords}): backlog ${fmt(o.backlogAtRestartRows)} rows; first commit ${o.firstCommitAfterRestartSeconds} s after the restart; ${caught}; ${o.retries} retries; cores while catching up: connector ${o.catchUpCpu.connectorCores}, its Postgres backends ${o.catchUpCpu.postgresBackendCores}, other processes ${o.catchUpCpu.otherCores}; ${o.check}`,
    );
  }
  for (const failure of failures) out.push(`${failure.figure} FAILED: ${failure.error.split('\n')[0]}`);
  process.stdout.write(`${out.join('\n')}\nJSON: ${file}\n`);
  if (failures.length) process.exitCode = 1;
}

const role = process.env.SINK_BENCH_PRODUCER
  ? producerRole(JSON.parse(process.env.SINK_BENCH_PRODUCER) as { app: string; baseOrders: number; rate: number })
  : main();
role.catch((error: Error) => {
  log(`failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
  if (process.env.SINK_BENCH_PRODUCER) process.exit(1);
});
