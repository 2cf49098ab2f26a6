/**
 * The store app under load, on the real broker. Target (the product's issue): 100 board clients on SSE plus
 * 50 actions/s while 1,000 orders/s flow — board update p99 ≤ 1 s after the commit, action accepted p99 ≤ 200 ms;
 * first load of the app ≤ 300 KB of gzipped JavaScript. Method and results: bench/store-app.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/store-app.js [--orders-per-second=1000] [--clients=100] [--actions-per-second=50] [--seconds=30]
 *   node dist/bench/store-app.js --profile     # + a CPU profile of the replica → bench/results/profiles/
 *
 * Processes: one `omnia start` replica on Kafka (own application id and topic prefix, 4 partitions, JWT
 * secret, per-token rate limit raised, OMNIA_RELEASE_HOLD_SECONDS=600 so orders wait at 2000 Allocated and
 * can be cancelled) and `omnia sink` into a fresh schema; the demo reference data first. Then three more:
 *
 * - the board clients (bench/store-app/board-clients.ts): `--clients` streams of GET /api/v1/events?store=,
 *   each with a store manager's token for one store, spread over the 50 stores; every status event is stamped
 *   when it arrives;
 * - the producer (bench/store-app/producer.ts): demo orders at `--orders-per-second` for `--warm-seconds`
 *   + `--seconds` (+ 1), keyed by store, to `<prefix>order.create.v1`, telling the bench which orders were
 *   acknowledged when;
 * - this process: after the warm-up, for `--seconds`, open-loop cancels (bench/open-loop.ts) at
 *   `--actions-per-second` — POST /api/v1/orders/:id/cancel {reason} with an Idempotency-Key, as store staff of
 *   the order's store, on orders acknowledged at least `--action-age-seconds` earlier (so they exist and wait at
 *   2000) — and the commit clock (bench/store-app/commit-clock.ts): the status topic's last stable offsets
 *   polled every 10 ms, which say when each status record became committed.
 *
 * "After the commit" is measured from when the status record's offset first showed below the topic's last
 * stable offset (the commit clock). The commit happened between the poll before (sent) and that poll
 * (answered): receipt − answer is the figure (a lower bound), receipt − the earlier send its upper bound, both
 * reported with the width between them. Not the StatusChange's `At` (which is also the record's timestamp: the
 * pipeline stamps its output with the processing time): it comes before the commit by up to a commit interval
 * (100 ms) plus however long the commit takes; receipt − At is reported too, as "from processing".
 *
 * Reported: board update latency (p50/p90/p99/max, count) from the commit and from At, deliveries and overflows;
 * cancel latency (open loop: from the due time to the response) with status counts; cancel → the 9000 event
 * on the store's boards; CreatedAt → first status (whether the pipeline keeps up); cores per process; the
 * replica's event-loop delay and commit time over the window; the app's JavaScript and CSS, gzipped.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { serdeConfig } from '../avro/config.js';
import { random, referenceData, storeIds } from '../bin/demo-feed.js';
import { devToken } from '../query-service/auth.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { SinkProcess, withSchema } from '../test/sink/harness.js';
import type { KafkaClient } from '../topology/kafka/client.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { Topics } from '../topology/topics.js';
import { countBy, latency, openLoop, type Shot } from './open-loop.js';
import { BROKERS, brokerPid, GroupOffsets, log, round, sleep, spawnNode, type SpawnedChild, terminate, until } from './runtime/common.js';
import { formatSummary, summarise } from './runtime/profile.js';
import { CommitClock } from './store-app/commit-clock.js';
import {
  AUTH,
  benchOrder,
  type BenchToBoard,
  type BoardMessage,
  type BoardResults,
  HOST,
  orderNumber,
  type ProducerAcked,
  type ProducerDone,
  type ProducerMessage,
  SECRET,
  spread,
  STORES,
} from './store-app/common.js';
import { CpuWatch } from './cpu-watch.js';
import { servedWeight, webWeight } from './store-app/web-assets.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OMNIA = path.resolve('dist/bin/omnia.js');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRODUCER = path.join(HERE, 'store-app', 'producer.js');
const BOARDS = path.join(HERE, 'store-app', 'board-clients.js');
const PROFILE_DIR = path.resolve('bench/results/profiles');
const PARTITIONS = 4;
/** High enough that no token's bucket refuses the load (the limit is per token, 20/s by default). */
const RATE_LIMIT = { OMNIA_RATE_LIMIT_PER_SECOND: '1000000', OMNIA_RATE_LIMIT_BURST: '1000000' };
const HOLD_SECONDS = 600;
const CANCEL_REASON = 'Customer asked to cancel';

// ---------------------------------------------------------------------------------------------- options

interface Options {
  ordersPerSecond: number;
  clients: number;
  actionsPerSecond: number;
  seconds: number;
  /** Orders flow this long before the measured window (JIT, caches, the first commits). */
  warmSeconds: number;
  /** Cancels go to orders acknowledged at least this long before. */
  actionAgeSeconds: number;
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
  const known = ['orders-per-second', 'clients', 'actions-per-second', 'seconds', 'warm-seconds', 'action-age-seconds', 'profile'];
  for (const name of given.keys())
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  const int = (name: string, fallback: number) => {
    const raw = given.get(name);
    const value = raw === undefined ? fallback : Number(raw.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    ordersPerSecond: int('orders-per-second', 1000),
    clients: int('clients', 100),
    actionsPerSecond: int('actions-per-second', 50),
    seconds: int('seconds', 30),
    warmSeconds: int('warm-seconds', 5),
    actionAgeSeconds: int('action-age-seconds', 5),
    profile: given.has('profile') && given.get('profile') !== 'false',
  };
}

// ---------------------------------------------------------------------------------------------- helpers

/** A record keyed (and partitioned) as the pipeline keys it, the value as JSON. */
const record = (topic: string, key: string, value: unknown, partitions: number): ProducedRecord => {
  const keyBytes = Buffer.from(key);
  return {
    topic,
    partition: partitionForKey(keyBytes, partitions),
    key: keyBytes,
    value: Buffer.from(JSON.stringify(value)),
    timestamp: Date.now(),
    headers: {},
  };
};

async function send(client: KafkaClient, records: ProducedRecord[]): Promise<void> {
  const producer = client.producer({});
  await producer.init();
  for (let i = 0; i < records.length; i += 2000) await producer.send(records.slice(i, i + 2000));
  await producer.close();
}

/** IPC messages of a child, waited for by type. */
function inbox<T extends { type: string }>(child: ChildProcess, onMessage?: (message: T) => boolean) {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (message: T) => {
    if (onMessage?.(message)) return;
    queue.push(message);
    wake?.();
  });
  child.once('exit', () => wake?.());
  return async <K extends T['type']>(type: K, timeoutMs: number): Promise<Extract<T, { type: K }>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = queue.findIndex((message) => message.type === type);
      if (index >= 0) return queue.splice(index, 1)[0] as Extract<T, { type: K }>;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited before saying ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
}

/** The sum over labels of a Prometheus metric in a /metrics text; undefined when absent. */
function metric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const scrape = (port: number): Promise<string> =>
  fetch(`http://${HOST}:${port}/metrics`)
    .then((response) => response.text())
    .catch(() => '');

/** The Postgres backends serving connections of `applicationName`. */
const backends = (client: pg.Client, applicationName: string) => async (): Promise<number[]> =>
  (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows.map(
    (row) => row.pid,
  );

/** Waits (at most 30 s) until the rest of the machine used < 0.3 cores for two consecutive seconds. */
async function quietMachine(watch: CpuWatch): Promise<{ waitedSeconds: number; otherCoresBefore: number }> {
  const started = performance.now();
  let quiet = 0;
  let other = NaN;
  while (performance.now() - started < 30_000 && quiet < 2) {
    await watch.start();
    await sleep(1000);
    other = watch.stop().other ?? 0;
    quiet = other < 0.3 ? quiet + 1 : 0;
  }
  if (quiet < 2) log(`the rest of the machine still used ${other} cores; measuring anyway`);
  return { waitedSeconds: round((performance.now() - started) / 1000), otherCoresBefore: other };
}

// ---------------------------------------------------------------------------------------------- the run

async function run(options: Options, results: Record<string, unknown>): Promise<void> {
  const app = `bench-sa-${randomUUID().slice(0, 8)}`;
  const prefix = `${app}.`;
  const schema = `bench_sa_${app.slice(-8)}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = new PlatformaticClient(BROKERS, 'omnia-bench-store-app');
  const topics = client.admin();
  const clockAdmin = client.admin();
  const groupOffsets = new GroupOffsets();
  const sink = SinkProcess.forApp(app, databaseUrl);
  const stateDir = path.resolve(`.state/bench-${app}`);
  const children: SpawnedChild[] = [];
  let replica: SpawnedChild | undefined;
  let clock: CommitClock | undefined;
  const started = performance.now();
  const resultsFile = path.join(os.tmpdir(), `${app}-boards.json`);

  try {
    // The topology's own inputs (as a deployment creates them): sources co-partitioned, global tables compacted.
    const topology = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix));
    await topics.ensureTopics([
      ...topology.sources.flatMap((source) => source.topics).map((topic) => ({ topic, partitions: PARTITIONS })),
      ...[...topology.globalTables.values()].map(({ topic }) => ({ topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } })),
    ]);
    await send(
      client,
      referenceData(200).map((entry) => record(prefix + entry.topic, entry.key, entry.value, 1)),
    );

    const port = await SinkProcess.freePort();
    replica = spawnNode(
      OMNIA,
      {
        ...process.env,
        ...RATE_LIMIT,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: databaseUrl,
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-a`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_SESSION_TIMEOUT_MS: '30000',
        OMNIA_ENDPOINT: `${HOST}:${port}`,
        PORT: String(port),
        OMNIA_QUERY_HOST: HOST,
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_FORWARD_SECRET: 'forward-secret-shared-by-the-replicas-0123456789', // required with OMNIA_ENDPOINT
        OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS),
      },
      options.profile ? { profile: { dir: PROFILE_DIR, name: 'store-app-replica.cpuprofile' } } : {},
    );
    await replica.line(/query service on/, 60_000);
    await sink.start();
    await until('the sink to start', () => sink.output.includes('topics → Postgres'), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${sink.output}`);
    });
    const statusTopic = prefix + Topics.status;
    let statusPartitions = 0;
    await until(
      `${statusTopic} to exist`,
      async () => (statusPartitions = (await topics.partitionCounts([statusTopic])).get(statusTopic) ?? 0) > 0,
      60_000,
      250,
    );
    log(
      `replica on :${port}, sink started, ${statusTopic} has ${statusPartitions} partitions (${round((performance.now() - started) / 1000)} s)`,
    );

    // The board clients: --clients streams spread over the stores, two per store at the default 100.
    const stores = storeIds(STORES);
    const boardStores = Array.from({ length: options.clients }, (_, i) => stores[i % STORES]!);
    const boards = spawnNode(BOARDS, { ...process.env, BENCH_PORT: String(port), BENCH_STORES: boardStores.join(',') }, { ipc: true });
    children.push(boards);
    const fromBoards = inbox<BoardMessage>(boards.child);
    const connected = await fromBoards('connected', 60_000);
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${options.clients} board clients could not open their stream`);
    log(`${connected.clients} board clients connected`);

    // The producer, told to go once everything else is ready.
    const acks: ProducerAcked[] = [];
    const producer = spawnNode(
      PRODUCER,
      {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        BENCH_TOPIC: prefix + Topics.orderCreate,
        BENCH_PARTITIONS: String(PARTITIONS),
        BENCH_RATE: String(options.ordersPerSecond),
        BENCH_SECONDS: String(options.warmSeconds + options.seconds + 1),
      },
      { ipc: true },
    );
    children.push(producer);
    const fromProducer = inbox<ProducerMessage>(producer.child, (message) => {
      if (message.type !== 'acked') return false;
      acks.push(message);
      return true;
    });
    await fromProducer('ready', 30_000);

    const watch = new CpuWatch({
      replica: replica.child.pid,
      broker: brokerPid(),
      sink: sink['child']?.pid,
      postgresSink: backends(admin, `${app}-sink-postgres`),
      producer: producer.child.pid,
      boardClients: boards.child.pid,
    });
    const quiet = await quietMachine(watch);

    clock = new CommitClock(clockAdmin, statusTopic, statusPartitions);
    await clock.start();

    // Orders acknowledged by `limit` (epoch ms): the `to` of the last ack at or before it.
    const acknowledgedBy = (limit: number): number => {
      for (let i = acks.length - 1; i >= 0; i--) if (acks[i]!.ackedAt <= limit) return acks[i]!.to;
      return 0;
    };
    const createdAtOf = (n: number): number | undefined => {
      let low = 0;
      let high = acks.length - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        const ack = acks[middle]!;
        if (n < ack.from) high = middle - 1;
        else if (n >= ack.to) low = middle + 1;
        else return ack.createdAt;
      }
      return undefined;
    };

    producer.child.send({ type: 'go' });
    const goAt = Date.now();
    // The pipeline's backlog each second: orders acknowledged by the broker minus the group's committed offsets.
    const backlog: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let second = 1; sampling; second++) {
        await sleep(goAt + second * 1000 - Date.now());
        const committed = await groupOffsets.committed(app, prefix + Topics.orderCreate).catch(() => NaN);
        backlog.push(acknowledgedBy(Date.now()) - committed);
      }
    })();
    log(`producing ${options.ordersPerSecond} orders/s for ${options.warmSeconds} s warm-up + ${options.seconds} s`);
    const ageMs = options.actionAgeSeconds * 1000;
    await until('orders old enough to cancel', () => acknowledgedBy(Date.now() - ageMs) > 0, ageMs + 60_000, 20);
    await sleep(Math.max(0, goAt + options.warmSeconds * 1000 - Date.now()));

    // The cancels: the newest second of orders old enough, each order once, valid ones only.
    const tokens = new Map(
      stores.map((store) => [
        store,
        devToken(AUTH, { sub: `staff-${store}`, roles: ['store_staff'], stores: [store], expiresInSeconds: 3600 }),
      ]),
    );
    const used = new Set<number>();
    const pick = random(77);
    const epoch = new Date(0);
    const cancellable = (n: number) => n >= 0 && !used.has(n) && benchOrder(n, epoch).IsForceAllocation;
    const next = (): Shot => {
      const eligible = acknowledgedBy(Date.now() - ageMs);
      let n = -1;
      for (let tries = 0; tries < 100 && n < 0; tries++) {
        const candidate = eligible - 1 - Math.floor(pick() * Math.min(eligible, options.ordersPerSecond));
        if (cancellable(candidate)) n = candidate;
      }
      for (let candidate = eligible - 1; n < 0 && candidate >= 0; candidate--) if (cancellable(candidate)) n = candidate;
      if (n < 0) n = eligible - 1;
      used.add(n);
      const order = benchOrder(n, epoch);
      return {
        method: 'POST',
        path: `/api/v1/orders/${encodeURIComponent(order.OrderID)}/cancel`,
        headers: {
          authorization: `Bearer ${tokens.get(order.ShipFromLocationID)!}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: Buffer.from(JSON.stringify({ reason: CANCEL_REASON })),
      };
    };
    const acceptedAt = new Map<string, number>();
    const classify = (shot: Shot, status: number, body: string) => {
      if (status === 202) {
        acceptedAt.set(decodeURIComponent(shot.path.split('/')[4]!), Date.now());
        return 'accepted';
      }
      return /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? `HTTP ${status}`;
    };

    const metricsBefore = await scrape(port);
    await watch.start();
    const windowStart = Date.now();
    const windowEnd = windowStart + options.seconds * 1000;
    // The window is the cancels' schedule: cores and the replica's metrics are read when it ends, whatever is still open.
    const closing = (async () => {
      await sleep(windowEnd - Date.now());
      const cores = watch.stop();
      return { cores, metricsAfter: await scrape(port) };
    })();
    log(`measuring: ${options.actionsPerSecond} cancels/s for ${options.seconds} s`);
    const actions = await openLoop({ host: HOST, port, rate: options.actionsPerSecond, seconds: options.seconds, next, classify });
    const { cores, metricsAfter } = await closing;
    const produced = (await fromProducer('done', 60_000)) as ProducerDone;
    log(`produced ${produced.produced} orders in ${round(produced.seconds, 1)} s; waiting for the boards to settle`);

    // Drain: until the status topic's committed end and the boards' deliveries stop moving (2 s).
    const boardCount = async () => {
      boards.child.send({ type: 'count' } satisfies BenchToBoard);
      return (await fromBoards('count', 10_000)).deliveries;
    };
    let last = '';
    let stableSince = Date.now();
    const drainStarted = Date.now();
    await until(
      'the boards to settle',
      async () => {
        const now = `${clock!.total}/${await boardCount()}`;
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
        return Date.now() - stableSince >= 2000;
      },
      90_000,
      250,
    ).catch(() => log('the boards were still receiving after 90 s; counting what arrived'));
    const drainSeconds = round((Date.now() - drainStarted) / 1000, 1);
    sampling = false;
    await sampler;
    await clock.stop();
    boards.child.send({ type: 'stop', file: resultsFile } satisfies BenchToBoard);
    await fromBoards('written', 60_000);
    const board = JSON.parse(await readFile(resultsFile, 'utf8')) as BoardResults;

    // ------------------------------------------------------------------ figures
    const inWindow = board.deliveries.filter(([, , , , at]) => at >= windowStart && at <= windowEnd);
    const afterCommit: number[] = [];
    const afterCommitUpper: number[] = [];
    const afterAt: number[] = [];
    const commitWindows: number[] = [];
    let noCommitTime = 0;
    for (const [, partition, offset, , at, receivedAt] of inWindow) {
      afterAt.push(receivedAt - at);
      const visible = clock.visible(partition, offset);
      if (!visible) noCommitTime++;
      else {
        afterCommit.push(receivedAt - visible.at);
        afterCommitUpper.push(receivedAt - visible.earliest);
        commitWindows.push(visible.windowMs);
      }
    }
    const distinct = new Map<string, { store: string; toStatus: number; orderId: string }>();
    for (const [index, partition, offset, toStatus, , , orderId] of board.deliveries)
      distinct.set(`${partition}-${offset}`, { store: board.clients[index]!.store, toStatus, orderId });
    const clientsOfStore = countBy(board.clients, (entry) => entry.store);
    const expectedDeliveries = [...distinct.values()].reduce((sum, event) => sum + (clientsOfStore[event.store] ?? 0), 0);

    // The pipeline: CreatedAt → the order's first status (its processing), → 2000 on a board.
    const firstAt = new Map<number, number>();
    const allocatedSeen = new Map<number, number>();
    for (const [, , , toStatus, at, receivedAt, orderId] of board.deliveries) {
      const n = orderNumber(orderId);
      firstAt.set(n, Math.min(firstAt.get(n) ?? Infinity, at));
      if (toStatus === 2000) allocatedSeen.set(n, Math.min(allocatedSeen.get(n) ?? Infinity, receivedAt));
    }
    const toFirstStatus: number[] = [];
    const toAllocatedOnBoard: number[] = [];
    for (const [n, at] of firstAt) {
      const created = createdAtOf(n);
      if (created === undefined || created < windowStart || created > windowEnd) continue;
      toFirstStatus.push(at - created);
      const seen = allocatedSeen.get(n);
      if (seen !== undefined) toAllocatedOnBoard.push(seen - created);
    }

    // Cancel accepted → the 9000 on the store's first board to show it.
    const cancelledSeen = new Map<string, number>();
    for (const [, , , toStatus, , receivedAt, orderId] of board.deliveries)
      if (toStatus === 9000 && acceptedAt.has(orderId))
        cancelledSeen.set(orderId, Math.min(cancelledSeen.get(orderId) ?? Infinity, receivedAt));
    const cancelToBoard = [...cancelledSeen].map(([orderId, seen]) => seen - acceptedAt.get(orderId)!);

    const answered = actions.outcomes.filter((outcome) => outcome.status !== 0);
    const loopDelay = (name: string) => round((metric(metricsAfter, name) ?? NaN) * 1000, 1);
    const delta = (name: string) => (metric(metricsAfter, name) ?? NaN) - (metric(metricsBefore, name) ?? NaN);
    const windowSeconds = (windowEnd - windowStart) / 1000;
    const ordersInWindow = acks
      .filter((ack) => ack.createdAt >= windowStart && ack.createdAt <= windowEnd)
      .reduce((sum, ack) => sum + ack.to - ack.from, 0);
    const boardAfterCommit = spread(afterCommit);
    const boardAfterCommitUpper = spread(afterCommitUpper);
    const actionLatency = latency(actions.outcomes);
    const web = await webWeight();
    const firstLoadJsGzipKb = ((web.firstLoad as { js?: { gzipKb: number } } | undefined)?.js?.gzipKb ?? NaN) as number;

    Object.assign(results, {
      app,
      partitions: statusPartitions,
      windowSeconds: round(windowSeconds, 1),
      quiet,
      targets: {
        // Between the two bounds of the commit time: met when even the upper bound is, missed when even the lower one is not.
        boardUpdateP99AfterCommitMs: {
          target: 1000,
          measured: boardAfterCommit.p99,
          upperBound: boardAfterCommitUpper.p99,
          met: boardAfterCommitUpper.p99 <= 1000 ? true : boardAfterCommit.p99 > 1000 ? false : 'undecided',
        },
        actionAcceptedP99Ms: { target: 200, measured: actionLatency.p99, met: actionLatency.p99 <= 200 },
        firstLoadJsGzipKb: { target: 300, measured: firstLoadJsGzipKb, met: firstLoadJsGzipKb <= 300 },
      },
      orders: {
        targetPerSecond: options.ordersPerSecond,
        produced: produced.produced,
        produceSeconds: round(produced.seconds, 1),
        inWindowPerSecond: round(ordersInWindow / windowSeconds),
        producerMaxScheduleLagMs: produced.maxScheduleLagMs,
        producerSends: produced.sends,
        createdToFirstStatusMs: spread(toFirstStatus),
        createdToAllocatedOnBoardMs: spread(toAllocatedOnBoard),
        backlogEachSecond: backlog,
      },
      board: {
        clients: board.clients.length,
        stores: Object.keys(clientsOfStore).length,
        afterCommitMs: boardAfterCommit,
        afterCommitUpperBoundMs: boardAfterCommitUpper,
        afterAtMs: spread(afterAt),
        commitClock: {
          polls: clock.polls,
          pollGapMs: spread(clock.pollGaps),
          uncertaintyMs: spread(commitWindows),
        },
        deliveriesInWindow: inWindow.length,
        deliveriesWithoutCommitTime: noCommitTime,
        deliveriesPerSecondInWindow: round(inWindow.length / windowSeconds),
        deliveries: board.deliveries.length,
        distinctEvents: distinct.size,
        expectedDeliveriesOfThoseEvents: expectedDeliveries,
        distinctEventsByStatus: countBy([...distinct.values()], (event) => String(event.toStatus)),
        overflows: board.clients.reduce((sum, entry) => sum + entry.overflows, 0),
        resets: board.clients.reduce((sum, entry) => sum + entry.resets, 0),
        streamsEndedEarly: board.clients.filter((entry) => entry.endedEarly).length,
        drainSeconds,
      },
      actions: {
        targetPerSecond: options.actionsPerSecond,
        sent: actions.sent,
        achievedPerSecond: round(answered.length / actions.wallSeconds, 1),
        latencyMs: actionLatency,
        acceptedLatencyMs: latency(actions.outcomes.filter((outcome) => outcome.status === 202)),
        statuses: countBy(actions.outcomes, (outcome) => String(outcome.status)),
        outcomes: countBy(actions.outcomes, (outcome) => outcome.label),
        failed: actions.sent - answered.length,
        generatorLagMs: spread(actions.sendLagMs),
        cancelToBoardMs: { ...spread(cancelToBoard), notSeen: acceptedAt.size - cancelledSeen.size },
      },
      cores,
      machineCores: watch.machine,
      otherProcesses: watch.otherProcesses,
      replica: {
        eventLoopDelayMs: {
          p50: loopDelay('nodejs_eventloop_lag_p50_seconds'),
          p99: loopDelay('nodejs_eventloop_lag_p99_seconds'),
          max: loopDelay('nodejs_eventloop_lag_max_seconds'),
        },
        commits: delta('omnia_commits_total'),
        commitMeanMs: round((delta('omnia_commit_latency_seconds_sum') / delta('omnia_commit_latency_seconds_count')) * 1000, 1),
        statusSubscribers: metric(metricsAfter, 'omnia_query_status_subscribers'),
        statusOverflows: delta('omnia_query_status_overflows_total'),
        consumerLagRecordsAtEnd: metric(metricsAfter, 'omnia_consumer_lag_records'),
      },
      web: { ...web, servedByTheQueryService: await servedWeight(HOST, port).catch((error: Error) => ({ error: error.message })) },
    });
    log(
      `board (${board.clients.length} clients): after the commit p50 ${boardAfterCommit.p50} ms, p90 ${boardAfterCommit.p90} ms, p99 ${boardAfterCommit.p99} ms, max ${boardAfterCommit.max} ms over ${boardAfterCommit.count} deliveries; cancels: p50 ${actionLatency.p50} ms, p99 ${actionLatency.p99} ms, max ${actionLatency.max} ms, ${JSON.stringify(countBy(actions.outcomes, (outcome) => outcome.label))}; cores ${JSON.stringify(cores)}`,
    );
  } finally {
    await clock?.stop().catch(() => undefined);
    for (const child of children) await terminate(child, 5_000);
    if (replica) await terminate(replica, 20_000);
    await sink.kill('SIGTERM');
    await rm(resultsFile, { force: true });
    if (options.profile) {
      const files = (await readdir(PROFILE_DIR).catch(() => [] as string[])).filter((file) => file.startsWith('store-app-replica'));
      if (files.length > 0) {
        const summary = formatSummary(summarise(path.join(PROFILE_DIR, files.sort().at(-1)!), 25));
        log(`profile of the replica:\n${summary}`);
        results.replicaProfile = summary;
      }
    }
    // Every topic of this run: its prefix's and the changelogs (`<app>-<store>-changelog`).
    const lister = new Admin({ clientId: 'omnia-bench-store-app', bootstrapBrokers: BROKERS });
    const mine = (await lister.listTopics().catch(() => [] as string[])).filter(
      (topic) => topic.startsWith(prefix) || topic.startsWith(`${app}-`),
    );
    await lister.close();
    await topics.deleteTopics(mine).catch((error: Error) => log(`could not delete the topics: ${error.message}`));
    await topics.close();
    await clockAdmin.close();
    await groupOffsets.close();
    await rm(stateDir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    log(`done in ${round((performance.now() - started) / 1000)} s`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.profile) {
    await mkdir(PROFILE_DIR, { recursive: true });
    for (const file of await readdir(PROFILE_DIR)) if (file.startsWith('store-app-')) await rm(path.join(PROFILE_DIR, file));
  }
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    options,
    machine: { cores: os.cpus().length, model: os.cpus()[0]?.model, loadAverage: os.loadavg() },
  };
  const started = performance.now();
  await run(options, results);
  results.totalSeconds = round((performance.now() - started) / 1000);
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/store-app.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

await main();
