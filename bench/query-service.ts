/**
 * The query service under load, against its targets: order lookups (GET /api/v1/orders/:id) p99 ≤ 5 ms at
 * 2,000 requests/s; order search (GET /api/v1/orders) p99 ≤ 50 ms over 1,000,000 orders; the product
 * requirement, p99 under 200 ms; and live status events (GET /api/v1/events) from commit to the subscriber.
 * Method and results: bench/query-service.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/query-service.js   # every figure (~5 min; up to ~9 waiting for quiet)
 *   node dist/bench/query-service.js --figures=lookups --rates=500,1000,2000 --seconds=20
 *   node dist/bench/query-service.js --figures=search --rows=1000000 --search-rates=200,500
 *   node dist/bench/query-service.js --figures=events --events=1000 --subscribers=20
 *   node dist/bench/query-service.js --profile      # CPU profiles of the servers → bench/results/profiles/
 *
 * The load generator (bench/open-loop.ts) is open-loop: request i is due at start + i / rate whatever happened to
 * the earlier ones, and its latency is measured from that due time to the end of its response, so a stalled
 * server is charged for every request it held up (no coordinated omission). node:http over a keep-alive Agent,
 * loopback only, each run bounded in time (requests still open 10 s after the last is due count as errors).
 * Every measured run follows a warm-up at its rate and waits (at most 30 s) for the rest of the machine to be
 * quiet; it reports the cores each process used, and CPU per request.
 *
 * 1. Lookups: `omnia start` on Kafka (child process, own application id and topic prefix, rate limit raised
 *    so one token can send the load) and `omnia sink` into a fresh schema; demo orders are produced and the
 *    bench waits until every valid one is released (or cancelled) and in Postgres; then random existing
 *    orders are looked up. One replica owning every partition: with ?store= (its orders store) at each rate,
 *    and without (its stores are searched first). Then a second replica joins, takes half the partitions, and
 *    replica a is loaded again: with ?store= half the lookups are forwarded to b; without, half need
 *    Postgres to name the store, then b.
 * 2. Search: a throwaway schema's orders table filled with 1,000,000 rows by generate_series (50 stores,
 *    skewed; statuses by age; 100,000 customers, skewed; totals; created_at over 30 days), indexes built
 *    after the fill, VACUUM ANALYZE; the query service alone (startQueryService, no Kafka, local state that
 *    owns nothing) in a child process; a mix of searches, including pages 2–4 through nextCursor.
 * 3. Events: on replica a of (1), between the single-replica lookups and the second replica: status changes
 *    committed to its order.status.v1 in small transactions, timed from each commit to a subscriber's receipt.
 *
 * The machine has 2 shared cores: the load generator, the servers, Postgres and the broker share them, and
 * other work on the machine shows in the per-run CPU split (`cores.other`).
 */
import { randomUUID } from 'node:crypto';
import { CpuWatch } from './cpu-watch.js';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { Registry } from 'prom-client';
import { serdeConfig } from '../avro/config.js';
import { demoOrder, random, referenceData, storeIds } from '../bin/demo-feed.js';
import type { StatusChange } from '../processors/domain/types.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { Topics } from '../topology/topics.js';
import { devToken, type AuthConfig } from '../query-service/auth.js';
import type { LocalOrders } from '../query-service/local-orders.js';
import { startQueryService } from '../query-service/service.js';
import { migrate } from '../postgres/migrate.js';
import { pgDatabase } from '../postgres/sql.js';
import type { KafkaClient } from '../topology/kafka/client.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { SinkProcess, withSchema } from '../test/sink/harness.js';
import { SseClient } from '../test/unit/query-service/sse-client.js';
import { brokerPid, spawnNode, type SpawnedChild, terminate, until } from './runtime/common.js';
import { formatSummary, summarise } from './runtime/profile.js';
import { countBy, latency, type LoadRun, type Outcome, openLoop, percentile, type Shot as HttpShot } from './open-loop.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OMNIA = path.resolve('dist/bin/omnia.js');
const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const PARTITIONS = 4;
const STORES = 50;
const SECRET = 'bench-query-service-secret-of-32-bytes-or-more';
const AUTH: AuthConfig = { algorithm: 'HS256', secret: SECRET };
/** High enough that one token's bucket never refuses the load (the limit is per token, 20/s by default). */
const RATE_LIMIT = { OMNIA_RATE_LIMIT_PER_SECOND: '1000000', OMNIA_RATE_LIMIT_BURST: '1000000' };
const PROFILE_DIR = path.resolve('bench/results/profiles');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const round = (value: number, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : NaN);

// ---------------------------------------------------------------------------------------------- options

type Figure = 'lookups' | 'search' | 'events';
const FIGURES: readonly Figure[] = ['lookups', 'search', 'events'];

interface Options {
  figures: Figure[];
  /** Demo orders fed to the pipeline for the lookups. */
  orders: number;
  rates: number[];
  /** Rate of the runs without ?store= and of the two-replica runs. */
  otherRate: number;
  seconds: number;
  warmSeconds: number;
  rows: number;
  searchRates: number[];
  /** Status changes committed for the SSE figure, and SSE subscribers besides the measuring one. */
  events: number;
  subscribers: number;
  profile: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const given = new Map(
    argv.map((arg) => {
      const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
      if (!match) throw new Error(`unknown argument "${arg}"`);
      return [match[1]!, match[2] ?? 'true'] as const;
    }),
  );
  const known = [
    'figures',
    'orders',
    'rates',
    'other-rate',
    'seconds',
    'warm-s',
    'rows',
    'search-rates',
    'events',
    'subscribers',
    'profile',
  ];
  for (const name of given.keys())
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  const int = (name: string, fallback: number) => {
    const raw = given.get(name);
    const value = raw === undefined ? fallback : Number(raw.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const ints = (name: string, fallback: number[]) =>
    (
      given
        .get(name)
        ?.split(',')
        .map((item) => Number(item.replaceAll('_', ''))) ?? fallback
    ).filter((value) => value > 0);
  const figures = (given.get('figures')?.split(',') ?? [...FIGURES]) as Figure[];
  for (const figure of figures)
    if (!FIGURES.includes(figure)) throw new Error(`--figures: "${figure}" is not one of ${FIGURES.join(', ')}`);
  return {
    figures,
    orders: int('orders', 20_000),
    rates: ints('rates', [500, 1000, 2000]),
    otherRate: int('other-rate', 1000),
    seconds: int('seconds', 20),
    warmSeconds: int('warm-s', 3),
    rows: int('rows', 1_000_000),
    searchRates: ints('search-rates', [200, 500]),
    events: int('events', 1000),
    subscribers: int('subscribers', 20),
    profile: given.has('profile') && given.get('profile') !== 'false',
  };
}

// ---------------------------------------------------------------------------------------------- load generator

/** One request of a run (open-loop.ts sends it with the token as a bearer). */
interface Shot {
  path: string;
  token: string;
  /** What the run reports this request under (a search kind); undefined: the run as a whole only. */
  kind?: string;
}

type Classify = (shot: HttpShot, status: number, body: string) => string | undefined;

const asHttp = (shot: Shot): HttpShot => ({
  path: shot.path,
  headers: { authorization: `Bearer ${shot.token}` },
  ...(shot.kind === undefined ? {} : { kind: shot.kind }),
});

/** A label's suffix marking an answer with no rows (a search's empty page): reported as a count, not a label of its own. */
const EMPTY = '|empty';
const labelOf = (outcome: Outcome) => outcome.label?.replace(EMPTY, '');

/** A run's figures: latency over every HTTP response (failed requests counted apart), statuses, labels. */
function report(run: LoadRun, byLabel: boolean) {
  const answered = run.outcomes.filter((outcome) => outcome.status !== 0);
  const sortedLag = Float64Array.from(run.sendLagMs).sort();
  return {
    targetRps: run.rate,
    seconds: run.seconds,
    sent: run.sent,
    achievedRps: Math.round(answered.length / run.wallSeconds),
    ...latency(run.outcomes),
    statuses: countBy(run.outcomes, (outcome) => String(outcome.status)),
    errors: run.sent - answered.length,
    // Where the tail comes from: the seconds (by due time) whose slowest response was slowest.
    worstSeconds: Object.entries(
      run.outcomes.reduce<Record<number, { max: number; over10ms: number }>>((seconds, outcome) => {
        const second = (seconds[outcome.dueSecond] ??= { max: 0, over10ms: 0 });
        second.max = Math.max(second.max, outcome.latencyMs);
        if (outcome.latencyMs > 10) second.over10ms++;
        return seconds;
      }, {}),
    )
      .sort(([, a], [, b]) => b.max - a.max)
      .slice(0, 3)
      .map(([second, { max, over10ms }]) => ({ second: Number(second), maxMs: round(max, 1), over10ms })),
    generatorLagMs: {
      p50: round(percentile(sortedLag, 50), 2),
      p99: round(percentile(sortedLag, 99), 2),
      max: round(sortedLag.at(-1) ?? NaN, 2),
    },
    ...(byLabel
      ? {
          byLabel: Object.fromEntries(
            Object.keys(countBy(answered, (outcome) => labelOf(outcome))).map((label) => {
              const mine = answered.filter((outcome) => labelOf(outcome) === label);
              const empty = mine.filter((outcome) => outcome.label?.endsWith(EMPTY)).length;
              return [label, { ...latency(mine), ...(empty ? { emptyPages: empty } : {}) }];
            }),
          ),
        }
      : {}),
  };
}

/**
 * Waits (at most `limitMs`) until the rest of the machine — everything but the watched processes and this
 * one — has used under `threshold` cores for two consecutive seconds: other work on the shared machine
 * (other benchmarks, test suites) would otherwise be measured as the service's latency. Returns the seconds
 * waited and what the rest of the machine used in the last second; a run starts anyway after the limit.
 */
async function quietMachine(
  watch: CpuWatch,
  threshold = 0.3,
  limitMs = 30_000,
): Promise<{ waitedSeconds: number; otherCoresBefore: number }> {
  const started = performance.now();
  let quietSeconds = 0;
  let other = NaN;
  while (performance.now() - started < limitMs) {
    await watch.start();
    await sleep(1000);
    other = watch.stop().other ?? 0;
    quietSeconds = other < threshold ? quietSeconds + 1 : 0;
    if (quietSeconds >= 2) break;
  }
  const waitedSeconds = round((performance.now() - started) / 1000, 0);
  if (quietSeconds < 2) log(`the rest of the machine still used ${other} cores after ${waitedSeconds} s; measuring anyway`);
  return { waitedSeconds, otherCoresBefore: other };
}

/** A warm-up at the run's rate (discarded), then the measured run with the CPU split and CPU per request. */
async function measured(
  what: string,
  options: Options,
  port: number,
  rate: number,
  watch: CpuWatch,
  next: (i: number) => Shot,
  classify?: Classify,
) {
  const quiet = await quietMachine(watch);
  const load = (seconds: number) =>
    openLoop({ host: HOST, port, rate, seconds, next: (i) => asHttp(next(i)), ...(classify ? { classify } : {}) });
  await load(options.warmSeconds);
  await watch.start();
  const run = await load(options.seconds);
  const cores = watch.stop();
  const figures = report(run, classify !== undefined);
  const cpuUsPerRequest = Object.fromEntries(
    Object.entries(cores)
      .filter(([name]) => !['machine', 'other', 'broker', 'sink', 'postgresSink'].includes(name))
      .map(([name, value]) => [name, Math.round((value * 1e6) / figures.achievedRps)]),
  );
  const result = { what, ...figures, cores, cpuUsPerRequest, quiet };
  log(
    `${what} @ ${rate}/s: achieved ${result.achievedRps}/s, p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms, statuses ${JSON.stringify(result.statuses)}, cores ${JSON.stringify(cores)}, CPU µs/request ${JSON.stringify(cpuUsPerRequest)}`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------- Kafka and Postgres helpers

/** A record keyed (and partitioned) as the pipeline keys it; the value as JSON, or none. */
function record(topic: string, key: string, value: unknown, partitions: number): ProducedRecord {
  const keyBytes = Buffer.from(key);
  return {
    topic,
    partition: partitionForKey(keyBytes, partitions),
    key: keyBytes,
    value: value === undefined ? null : Buffer.from(JSON.stringify(value)),
    timestamp: Date.now(),
    headers: {},
  };
}

async function send(client: KafkaClient, records: ProducedRecord[]): Promise<void> {
  const producer = client.producer({});
  await producer.init();
  for (let i = 0; i < records.length; i += 2000) await producer.send(records.slice(i, i + 2000));
  await producer.close();
}

async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The Postgres backend processes serving connections of `applicationName` (their CPU is the queries'). */
const backends = (client: pg.Client, applicationName: string) => async (): Promise<number[]> =>
  (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows.map(
    (row) => row.pid,
  );

const httpJson = async (port: number, pathname: string, token?: string): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(`http://${HOST}:${port}${pathname}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
};

async function freePort(): Promise<number> {
  return SinkProcess.freePort();
}

/** Moves the --cpu-prof output of `name` to a stable file name and prints its summary. */
async function profileSummary(name: string): Promise<string | undefined> {
  const files = (await readdir(PROFILE_DIR).catch(() => [] as string[])).filter(
    (file) => file.startsWith(name) && file.endsWith('.cpuprofile'),
  );
  if (files.length === 0) return undefined;
  const summary = formatSummary(summarise(path.join(PROFILE_DIR, files.sort().at(-1)!), 25));
  log(`profile ${name}:\n${summary}`);
  return summary;
}

// ---------------------------------------------------------------------------------------------- 1. lookups (and 3. events) on Kafka

interface Replica {
  id: string;
  port: number;
  process: SpawnedChild;
  stateDir: string;
}

async function onKafka(options: Options, results: Record<string, unknown>): Promise<void> {
  const app = `bench-qs-${randomUUID().slice(0, 8)}`;
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  const schema = `bench_qs_${app.slice(-8)}`;
  const admin = await pgClient(DATABASE_URL);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = new PlatformaticClient(BROKERS, 'omnia-bench-query');
  const topics = client.admin();
  const replicas: Replica[] = [];
  const sink = SinkProcess.forApp(app, databaseUrl);
  const runs: unknown[] = [];
  const lookupsToo = options.figures.includes('lookups');
  if (lookupsToo) results.lookups = { orders: options.orders, partitions: PARTITIONS, stores: STORES, runs };
  const started = performance.now();

  const startReplica = async (id: string): Promise<Replica> => {
    const port = await freePort();
    const stateDir = path.resolve(`.state/bench-${app}-${id}`);
    const child = spawnNode(
      OMNIA,
      {
        ...process.env,
        ...RATE_LIMIT,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: databaseUrl,
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-${id}`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_SESSION_TIMEOUT_MS: '30000',
        OMNIA_ENDPOINT: `${HOST}:${port}`,
        PORT: String(port),
        OMNIA_QUERY_HOST: HOST,
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_FORWARD_SECRET: 'forward-secret-shared-by-the-replicas-0123456789', // required with OMNIA_ENDPOINT
      },
      options.profile ? { profile: { dir: PROFILE_DIR, name: `query-lookups-${id}.cpuprofile` } } : {},
    );
    await child.line(/query service on/, 60_000);
    const replica = { id, port, process: child, stateDir };
    replicas.push(replica);
    return replica;
  };

  try {
    // The topology's own inputs (as a deployment creates them): sources co-partitioned, global tables compacted.
    const topology = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix));
    await topics.ensureTopics([
      ...topology.sources.flatMap((source) => source.topics).map((topic) => ({ topic, partitions: PARTITIONS })),
      ...[...topology.globalTables.values()].map(({ topic }) => ({ topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } })),
    ]);
    await send(
      client,
      referenceData(200).map((entry) => record(name(entry.topic), entry.key, entry.value, 1)),
    );
    const a = await startReplica('a');
    await sink.start();
    await until('the sink to start', () => sink.output.includes('topics → Postgres'), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${sink.output}`);
    });

    const createdAt = new Date();
    // The events figure alone needs only a running pipeline: a few orders make sure it is.
    const orders = Array.from({ length: lookupsToo ? options.orders : 100 }, (_, n) =>
      demoOrder(n, createdAt, { stores: STORES, customers: 200, seed: 21 }),
    );
    const valid = orders.filter((order) => order.IsForceAllocation).length;
    log(`lookups: feeding ${orders.length} demo orders (${valid} valid) over ${STORES} stores, ${PARTITIONS} partitions`);
    const fedAt = performance.now();
    await send(
      client,
      orders.map((order) => record(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS)),
    );
    const settled = async () =>
      (
        await admin
          .query<{ n: string; open: string }>(
            `SELECT count(*) AS n, count(*) FILTER (WHERE status NOT IN (3000, 9000)) AS open FROM ${schema}.orders`,
          )
          .catch(() => ({ rows: [{ n: '0', open: '0' }] }))
      ).rows[0]!;
    let last = { n: '0', open: '0' };
    await until(
      'every valid order released or cancelled, and in Postgres',
      async () => {
        last = await settled();
        return Number(last.n) >= valid && Number(last.open) === 0;
      },
      180_000,
      500,
    ).catch(() =>
      log(`lookups: not settled after 180 s (${last.n} orders in Postgres, ${last.open} not released/cancelled); measuring what is there`),
    );
    const settleSeconds = round((performance.now() - fedAt) / 1000, 1);
    const byStatus = (
      await admin.query<{ status: number; n: string }>(`SELECT status, count(*) AS n FROM ${schema}.orders GROUP BY status ORDER BY status`)
    ).rows;
    const ids = (
      await admin.query<{ order_id: string; ship_from_location_id: string }>(
        `SELECT order_id, ship_from_location_id FROM ${schema}.orders ORDER BY order_id`,
      )
    ).rows;
    log(
      `lookups: ${ids.length} orders in Postgres after ${settleSeconds} s (${byStatus.map((row) => `${row.status}: ${row.n}`).join(', ')})`,
    );
    if (lookupsToo)
      Object.assign(results.lookups as object, {
        validOrders: valid,
        ordersInPostgres: ids.length,
        byStatus: Object.fromEntries(byStatus.map((row) => [row.status, Number(row.n)])),
        settleSeconds,
      });

    const token = devToken(AUTH, { sub: 'bench-coordinator', roles: ['regional_coordinator'], expiresInSeconds: 3600 });
    const pick = random(7);
    const withStore = (): Shot => {
      const order = ids[Math.floor(pick() * ids.length)]!;
      return {
        path: `/api/v1/orders/${encodeURIComponent(order.order_id)}?store=${encodeURIComponent(order.ship_from_location_id)}`,
        token,
      };
    };
    const withoutStore = (): Shot => ({
      path: `/api/v1/orders/${encodeURIComponent(ids[Math.floor(pick() * ids.length)]!.order_id)}`,
      token,
    });
    const source: Classify = (_shot, status, body) =>
      status === 200 ? (/"source":"([a-z-]+)"/.exec(body)?.[1] ?? 'unknown') : `HTTP ${status}`;

    const first = await httpJson(a.port, withStore().path, token);
    if (first.status !== 200) throw new Error(`a lookup answered ${first.status}: ${JSON.stringify(first.body)}`);
    const broker = brokerPid();
    const watchA = new CpuWatch(
      {
        replicaA: a.process.child.pid,
        postgresQuery: backends(admin, `${app}-query`),
        broker,
        sink: sink['child']?.pid,
        postgresSink: backends(admin, `${app}-sink-postgres`),
      },
      'loadGenerator',
    );

    if (lookupsToo) {
      for (const rate of options.rates)
        runs.push({
          replicas: 1,
          store: true,
          ...(await measured('lookup ?store=, 1 replica', options, a.port, rate, watchA, withStore, source)),
        });
      runs.push({
        replicas: 1,
        store: false,
        ...(await measured('lookup without store, 1 replica', options, a.port, options.otherRate, watchA, withoutStore, source)),
      });
    }
    if (options.figures.includes('events')) results.events = await events(options, client, name(Topics.status), a.port, watchA);
    if (!lookupsToo) return;

    // A second replica takes half the partitions: a forwards to it, and without ?store= asks Postgres first.
    log('lookups: starting replica b');
    const b = await startReplica('b');
    await until(
      'both replicas to own partitions',
      async () => {
        const members = await topics.groupMembers(app);
        const owned = members.map(
          (member) => new Set(member.partitions.filter((tp) => tp.topic === name(Topics.orderCreate)).map((tp) => tp.partition)).size,
        );
        return owned.length === 2 && owned.every((count) => count === PARTITIONS / 2);
      },
      120_000,
      250,
    );
    await until('replica b ready', async () => (await httpJson(b.port, '/health/ready')).status === 200, 120_000, 250);
    // Until b has restored its partitions, a's forwards are refused and Postgres answers: wait for b's answers.
    await until(
      'lookups forwarded to b',
      async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => httpJson(a.port, withStore().path, token)));
        return answers.some((answer) => (answer.body as { source?: string }).source === 'replica');
      },
      120_000,
      500,
    );
    const watchAB = new CpuWatch(
      {
        replicaA: a.process.child.pid,
        replicaB: b.process.child.pid,
        postgresQuery: backends(admin, `${app}-query`),
        broker,
        sink: sink['child']?.pid,
        postgresSink: backends(admin, `${app}-sink-postgres`),
      },
      'loadGenerator',
    );
    runs.push({
      replicas: 2,
      store: true,
      ...(await measured('lookup ?store=, 2 replicas (half forwarded)', options, a.port, options.otherRate, watchAB, withStore, source)),
    });
    runs.push({
      replicas: 2,
      store: false,
      ...(await measured(
        'lookup without store, 2 replicas (Postgres names the store for half)',
        options,
        a.port,
        options.otherRate,
        watchAB,
        withoutStore,
        source,
      )),
    });
  } finally {
    for (const replica of replicas) await terminate(replica.process, 20_000);
    await sink.kill('SIGTERM');
    if (options.profile)
      for (const replica of replicas)
        (results.lookups as Record<string, unknown>)[`profile-${replica.id}`] = await profileSummary(`query-lookups-${replica.id}`);
    // Every topic of this run: its prefix's and the changelogs (`<app>-<store>-changelog`).
    const lister = new Admin({ clientId: 'omnia-bench-query', bootstrapBrokers: BROKERS });
    const mine = (await lister.listTopics().catch(() => [] as string[])).filter(
      (topic) => topic.startsWith(prefix) || topic.startsWith(`${app}-`),
    );
    await lister.close();
    await topics.deleteTopics(mine).catch((error: Error) => log(`could not delete the topics: ${error.message}`));
    await topics.close();
    for (const replica of replicas) await rm(replica.stateDir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    log(`on Kafka: done in ${round((performance.now() - started) / 1000, 0)} s`);
  }
}

// ---------------------------------------------------------------------------------------------- 2. search

/** The orders table of `rows` orders: see the header. Indexes are dropped for the fill and built after it. */
async function fillOrders(client: pg.Client, schema: string, rows: number): Promise<Record<string, number>> {
  const timings: Record<string, number> = {};
  const time = async (what: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    timings[what] = round((performance.now() - started) / 1000, 1);
    log(`search: ${what} in ${timings[what]} s`);
  };
  const indexes = (
    await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'orders' AND indexname <> 'orders_pkey'`,
      [schema],
    )
  ).rows;
  for (const index of indexes) await client.query(`DROP INDEX ${schema}.${index.indexname}`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await client.query('SELECT setseed(0.42)');
  await time(`insert ${rows} orders`, () =>
    client.query(
      `INSERT INTO orders (order_id, ship_from_location_id, customer_id, cust_ref, status, payment_method, payment_status, release_id,
                           sub_total, total_discount, total_taxes, informational_taxes, total_charges, order_total, created_at, updated_at)
       SELECT store || '-' || lpad(n::text, 8, '0'), store, customer, 'SLK-' || n, status, 'COD',
              CASE WHEN status = 9000 THEN 'Failed' WHEN status = 7500 THEN 'Collected' WHEN status = 1000 THEN NULL ELSE 'Pending' END,
              CASE WHEN status >= 3000 AND status <> 9000 THEN 'REL-' || store || '-' || lpad(n::text, 8, '0') END,
              total - 20, 0, round(total * 7 / 107, 4), 0, 20, total, created, created + (1 - d) * least(age_h, 48) * interval '1 hour'
       FROM (
         SELECT n, store, customer, created, age_h, d,
                CASE WHEN age_h < 1 THEN (ARRAY[1000, 2000, 3000, 3000, 3500, 3600, 3700])[1 + floor(d * 7)::int]
                     WHEN age_h < 24 THEN (ARRAY[3700, 7000, 7100, 7200, 7300, 7400, 7500, 7500, 7500, 9000])[1 + floor(d * 10)::int]
                     WHEN d < 0.90 THEN 7500 WHEN d < 0.98 THEN 9000 ELSE 7400 END AS status,
                round((35 + 400 * power(e, 3) + CASE WHEN e > 0.99 THEN 300000 * (e - 0.99) ELSE 0 END)::numeric, 2) AS total
         FROM (
           SELECT n,
                  'QC' || lpad((1 + floor(${STORES} * power(a, 1.5)))::int::text, 4, '0') AS store,
                  'C-' || (1001 + floor(power(c, 2) * 100000))::int AS customer,
                  now() - b * interval '30 days' AS created,
                  b * 720 AS age_h, d, e
           FROM (SELECT n, random() AS a, random() AS b, random() AS c, random() AS d, random() AS e FROM generate_series(0, $1::int - 1) AS n) AS r
         ) AS x
       ) AS y`,
      [rows],
    ),
  );
  await time(`build ${indexes.length} indexes`, async () => {
    for (const index of indexes) await client.query(index.indexdef);
  });
  await time('VACUUM ANALYZE', () => client.query('VACUUM ANALYZE orders'));
  return timings;
}

interface SearchKind {
  name: string;
  weight: number;
  /** Query string (without cursor) and the token to send it with. */
  make: (next: () => number) => { query: string; token: string };
}

async function search(options: Options, results: Record<string, unknown>): Promise<void> {
  const schema = `bench_qs_search_${randomUUID().slice(0, 8)}`;
  const admin = await pgClient(DATABASE_URL);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path TO ${schema}`);
  let server: SpawnedChild | undefined;
  const runs: unknown[] = [];
  const started = performance.now();
  try {
    await migrate(admin);
    const fill = await fillOrders(admin, schema, options.rows);
    const shape = (
      await admin.query<{ n: string; stores: string; customers: string; first: string; last: string; open: string; cancelled: string }>(
        `SELECT count(*) AS n, count(DISTINCT ship_from_location_id) AS stores, count(DISTINCT customer_id) AS customers, min(created_at)::text AS first, max(created_at)::text AS last,
              count(*) FILTER (WHERE status < 3000) AS open, count(*) FILTER (WHERE status = 9000) AS cancelled FROM orders`,
      )
    ).rows[0]!;
    const tableMb = Number((await admin.query<{ mb: string }>(`SELECT round(pg_total_relation_size('orders') / 1e6) AS mb`)).rows[0]!.mb);
    results.search = {
      rows: Number(shape.n),
      stores: Number(shape.stores),
      customers: Number(shape.customers),
      createdFrom: shape.first,
      createdTo: shape.last,
      openOrders: Number(shape.open),
      cancelled: Number(shape.cancelled),
      tableAndIndexesMb: tableMb,
      fillSeconds: fill,
      runs,
    };

    const port = await freePort();
    server = spawnNode(
      SELF,
      {
        ...process.env,
        ...RATE_LIMIT,
        BENCH_QUERY_SERVICE_ROLE: 'search-server',
        DATABASE_URL: withSchema(DATABASE_URL, schema),
        PORT: String(port),
        OMNIA_QUERY_HOST: HOST,
        OMNIA_JWT_SECRET: SECRET,
      },
      options.profile ? { profile: { dir: PROFILE_DIR, name: 'query-search.cpuprofile' } } : {},
    );
    await server.line(/^listening/, 30_000);

    const coordinator = devToken(AUTH, { sub: 'bench-coordinator', roles: ['regional_coordinator'], expiresInSeconds: 3600 });
    const stores = Array.from({ length: STORES }, (_, i) => `QC${String(i + 1).padStart(4, '0')}`);
    const managers = Array.from({ length: 20 }, (_, i) =>
      devToken(AUTH, {
        sub: `manager-${i}`,
        roles: ['store_manager'],
        stores: [stores[(i * 3) % STORES]!, stores[(i * 3 + 1) % STORES]!, stores[(i * 3 + 2) % STORES]!],
        expiresInSeconds: 3600,
      }),
    );
    const newest = Date.parse(shape.last);
    const day = 86_400_000;
    const anyOf = <T>(next: () => number, items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const customer = (next: () => number) => `C-${1001 + Math.floor(next() ** 2 * 100_000)}`;
    const status = (next: () => number) => anyOf(next, [7500, 7500, 7500, 9000, 9000, 7400, 3000, 1000, 2000, 3700]);
    const iso = (ms: number) => new Date(ms).toISOString();
    const kinds: SearchKind[] = [
      { name: 'store', weight: 15, make: (next) => ({ query: `store=${anyOf(next, stores)}`, token: coordinator }) },
      {
        name: 'store+status',
        weight: 15,
        make: (next) => ({ query: `store=${anyOf(next, stores)}&status=${status(next)}`, token: coordinator }),
      },
      {
        name: 'statuses (3)',
        weight: 10,
        make: (next) => ({ query: `status=1000,2000,${anyOf(next, [3000, 3500, 7400])}`, token: coordinator }),
      },
      {
        name: 'created range (1 day)',
        weight: 10,
        make: (next) => {
          const from = newest - Math.floor(next() * 29) * day - day;
          return { query: `from=${iso(from)}&to=${iso(from + day)}`, token: coordinator };
        },
      },
      { name: 'customer', weight: 15, make: (next) => ({ query: `customer=${customer(next)}`, token: coordinator }) },
      {
        name: 'total range',
        weight: 5,
        make: (next) => ({
          query: `minTotal=${200 + Math.floor(next() * 200)}&maxTotal=${(400 + next() * 10).toFixed(2)}`,
          token: coordinator,
        }),
      },
      {
        name: 'store+minTotal',
        weight: 5,
        make: (next) => ({ query: `store=${anyOf(next, stores)}&minTotal=${anyOf(next, [100, 250, 400])}`, token: coordinator }),
      },
      {
        name: 'manager (3 stores)',
        weight: 5,
        make: (next) => ({ query: next() < 0.5 ? '' : `status=${status(next)}`, token: anyOf(next, managers) }),
      },
      { name: 'no filter', weight: 5, make: () => ({ query: '', token: coordinator }) },
    ];
    const cursorWeight = 15;

    // Cursors for pages 2–4 of store, store+status, statuses and created-range searches, from this server.
    const seed = random(99);
    const cursorPages: Shot[] = [];
    const paged = kinds.filter((kind) => ['store', 'store+status', 'statuses (3)', 'created range (1 day)'].includes(kind.name));
    for (let i = 0; i < 200; i++) {
      const { query, token } = anyOf(seed, paged).make(seed);
      let cursor: string | null | undefined;
      for (let page = 2; page <= 2 + (i % 3); page++) {
        const answer = await httpJson(port, `/api/v1/orders?${query}${cursor ? `&cursor=${cursor}` : ''}`, token);
        if (answer.status !== 200) throw new Error(`search ${query} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        cursor = (answer.body as { nextCursor: string | null }).nextCursor;
        if (!cursor) break;
        cursorPages.push({ path: `/api/v1/orders?${query}&cursor=${cursor}`, token, kind: 'next page (cursor)' });
      }
    }
    log(`search: ${cursorPages.length} cursor pages collected`);

    const totalWeight = kinds.reduce((sum, kind) => sum + kind.weight, 0) + cursorWeight;
    const pick = random(5);
    const nextShot = (): Shot => {
      let roll = pick() * totalWeight;
      for (const kind of kinds) {
        roll -= kind.weight;
        if (roll < 0) {
          const { query, token } = kind.make(pick);
          return { path: `/api/v1/orders${query ? `?${query}` : ''}`, token, kind: kind.name };
        }
      }
      return anyOf(pick, cursorPages);
    };
    const rowsOf: Classify = (shot, status, body) =>
      status === 200 ? `${shot.kind}${body.startsWith('{"orders":[]') ? EMPTY : ''}` : `${shot.kind} HTTP ${status}`;

    // Per-kind latencies of one kind at a time are not the mix's: each run reports its kinds (byLabel).
    const watch = new CpuWatch(
      { server: server.child.pid, postgres: backends(admin, 'bench-query-search'), broker: brokerPid() },
      'loadGenerator',
    );
    for (const rate of options.searchRates) runs.push(await measured('search mix', options, port, rate, watch, nextShot, rowsOf));
    const plans: Record<string, string> = {};
    for (const kind of kinds) {
      const { query } = kind.make(random(3));
      plans[kind.name] = query;
    }
    (results.search as Record<string, unknown>).exampleQueries = plans;
  } finally {
    if (server) await terminate(server, 10_000);
    if (options.profile && results.search) (results.search as Record<string, unknown>).profile = await profileSummary('query-search');
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    log(`search: done in ${round((performance.now() - started) / 1000, 0)} s`);
  }
}

/** The search figure's server: the query service alone on DATABASE_URL's schema; its local state owns nothing. */
async function searchServer(): Promise<void> {
  const db = pgDatabase(process.env.DATABASE_URL!, { applicationName: 'bench-query-search' });
  const nothing: LocalOrders = {
    instance: 'bench-search',
    partitionOf: () => 0,
    state: () => 'elsewhere',
    readyPartitions: () => [],
    get: async () => undefined,
  };
  const { app, url } = await startQueryService({ db, local: nothing, registry: new Registry(), readiness: () => ({ ready: true }) });
  const stop = async () => {
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  console.log(`listening on ${url}`);
}

// ---------------------------------------------------------------------------------------------- 3. events (SSE)

/**
 * Commit → SSE delivery on replica a of `omnia start` (its KafkaStatusTail and GET /events): status changes
 * committed to its order.status.v1 in small transactions (1–5 changes, a random 0–40 ms apart, random
 * stores), as the pipeline commits them; a subscriber to every store timestamps each event; `subscribers`
 * more subscribers, one store each, make the fan-out real. The pipeline is idle meanwhile (every order done).
 */
async function events(
  options: Options,
  client: KafkaClient,
  topic: string,
  port: number,
  watch: CpuWatch,
): Promise<Record<string, unknown>> {
  const stores = storeIds(STORES);
  const subscribers: SseClient[] = [];
  const url = `http://${HOST}:${port}/api/v1/events`;
  const headers = {
    authorization: `Bearer ${devToken(AUTH, { sub: 'bench-coordinator', roles: ['regional_coordinator'], expiresInSeconds: 3600 })}`,
  };
  const producer = client.producer({ transactionalId: `${topic}-bench-tx` });
  try {
    const probe = await SseClient.connect(url, headers);
    subscribers.push(probe);
    for (let i = 0; i < options.subscribers; i++)
      subscribers.push(await SseClient.connect(`${url}?store=${stores[i % stores.length]}`, headers));
    for (const subscriber of subscribers) {
      if (subscriber.status !== 200) throw new Error(`GET /events answered ${subscriber.status}: ${subscriber.body}`);
      await subscriber.waitFor('the stream to open', () => subscriber.comments.includes('connected'), 10_000);
    }
    const serde = orderSerdes(serdeConfig({}), topic.slice(0, -Topics.status.length)).topic(Topics.status);
    await producer.init();
    const committedAt = new Map<string, number>();
    const next = random(17);
    const quiet = await quietMachine(watch);
    await watch.start();
    const started = performance.now();
    let sent = 0;
    let transactions = 0;
    while (sent < options.events) {
      await sleep(next() * 40);
      const changes = Array.from({ length: Math.min(1 + Math.floor(next() * 5), options.events - sent) }, (_, i): StatusChange => {
        const store = stores[Math.floor(next() * stores.length)]!;
        return {
          OrderID: `${store}-E${String(sent + i).padStart(7, '0')}`,
          ShipFromLocationID: store,
          FromStatus: 3000,
          ToStatus: 3500,
          Reason: 'picking',
          Source: 'bench',
          At: new Date().toISOString(),
          Actor: null,
        };
      });
      await producer.beginTransaction();
      await producer.send(
        changes.map((change) => ({ ...record(topic, change.ShipFromLocationID, undefined, PARTITIONS), value: serde.serialize(change) })),
      );
      await producer.commitTransaction();
      const at = performance.now();
      for (const change of changes) committedAt.set(change.OrderID, at);
      sent += changes.length;
      transactions++;
    }
    const producedSeconds = (performance.now() - started) / 1000;
    const received = () =>
      probe.events.filter((event) => event.event === 'status' && committedAt.has((JSON.parse(event.data) as { orderId: string }).orderId));
    await probe
      .waitFor('every change', () => received().length >= sent, 30_000)
      .catch(() => log(`events: ${received().length} of ${sent} received`));
    const cores = watch.stop();
    const latencies = received().map(
      (event) => event.receivedAt - committedAt.get((JSON.parse(event.data) as { orderId: string }).orderId)!,
    );
    const sorted = Float64Array.from(latencies).sort();
    // Each store subscriber gets its store's changes, and only those (its last ones may still be on the way).
    const ofStore = countBy([...committedAt.keys()], (id) => id.slice(0, id.indexOf('-')));
    const expectedOf = (i: number) => ofStore[stores[i % stores.length]!] ?? 0;
    const mineOf = (subscriber: SseClient) =>
      subscriber.events.filter(
        (event) => event.event === 'status' && committedAt.has((JSON.parse(event.data) as { orderId: string }).orderId),
      );
    await Promise.all(
      subscribers
        .slice(1)
        .map((subscriber, i) =>
          subscriber.waitFor('its store’s changes', () => mineOf(subscriber).length >= expectedOf(i), 5_000).catch(() => undefined),
        ),
    );
    const expectedByStore = Array.from({ length: options.subscribers }, (_, i) => expectedOf(i)).reduce((sum, count) => sum + count, 0);
    const receivedByStore = subscribers.slice(1).reduce((sum, subscriber) => sum + mineOf(subscriber).length, 0);
    const foreign = subscribers
      .slice(1)
      .reduce(
        (sum, subscriber, i) =>
          sum +
          mineOf(subscriber).filter(
            (event) => (JSON.parse(event.data) as { shipFromLocationId: string }).shipFromLocationId !== stores[i % stores.length],
          ).length,
        0,
      );
    const figure = {
      changes: sent,
      transactions,
      seconds: round(producedSeconds, 1),
      received: latencies.length,
      subscribers: subscribers.length,
      receivedByStoreSubscribers: receivedByStore,
      expectedByStoreSubscribers: expectedByStore,
      otherStoresEventsToStoreSubscribers: foreign,
      latencyMs: {
        p50: round(percentile(sorted, 50), 1),
        p90: round(percentile(sorted, 90), 1),
        p99: round(percentile(sorted, 99), 1),
        max: round(sorted.at(-1) ?? NaN, 1),
        min: round(sorted[0] ?? NaN, 1),
      },
      cores,
      quiet,
    };
    log(
      `events: ${sent} changes in ${transactions} transactions; commit → SSE p50 ${figure.latencyMs.p50} ms, p90 ${figure.latencyMs.p90} ms, p99 ${figure.latencyMs.p99} ms, max ${figure.latencyMs.max} ms; ${receivedByStore} of ${expectedByStore} events to the ${options.subscribers} store subscribers`,
    );
    return figure;
  } finally {
    for (const subscriber of subscribers) subscriber.close();
    await producer.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.profile) {
    await mkdir(PROFILE_DIR, { recursive: true });
    for (const file of await readdir(PROFILE_DIR)) if (file.startsWith('query-')) await rm(path.join(PROFILE_DIR, file));
  }
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    options,
    machine: { cores: (await import('node:os')).cpus().length, loadAverage: (await import('node:os')).loadavg() },
  };
  const started = performance.now();
  if (options.figures.includes('lookups') || options.figures.includes('events')) await onKafka(options, results);
  if (options.figures.includes('search')) await search(options, results);
  results.totalSeconds = round((performance.now() - started) / 1000, 0);
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/query-service.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

if (process.env.BENCH_QUERY_SERVICE_ROLE === 'search-server') await searchServer();
else await main();
