/**
 * The sink against a Postgres that goes away: its private server is stopped (immediate shutdown, as a crash
 * or a failover does) for a few seconds while the pipeline keeps publishing, then started again. The sink
 * must ride it out in the same process — retrying from its stored offsets — and end with tables that say
 * exactly what the topics say: nothing lost, nothing written twice, no dead letters.
 */
import pg from 'pg';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Stores, Topics } from '../../topology/topics.js';
import type { StoreEngine } from '../../state/engine.js';
import { changelogTopic } from '../../state/store-definition.js';
import { tpKey } from '../../topology/kafka/client.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { produce, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { PrivatePostgres } from '../postgres/private-cluster.js';
import {
  createSinkTopics,
  digestOfTables,
  digestOfTopics,
  pgClient,
  readSinkTopics,
  sameTables,
  SinkProcess,
  sourcesFor,
} from './harness.js';

const ORDERS = 3_000;
const PARTITIONS = 4;
/** How long Postgres stays down. */
const OUTAGE_MS = 5_000;
/** Each third of the feed is produced in this many pieces, spread over time. */
const PIECES = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One query on a connection of its own; undefined while Postgres does not answer (or the tables are not there yet). */
async function tryQuery<R>(url: string, sql: string, params: unknown[] = []): Promise<R[] | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql, params)).rows as R[];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True as soon as the sink's connection is inside a transaction; false after `timeoutMs` without one. */
async function sinkInTransaction(url: string, group: string, timeoutMs: number): Promise<boolean> {
  const client = await pgClient(url);
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      const { rows } = await client.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL', [group]);
      if (rows.length) return true;
    }
    return false;
  } finally {
    await client.end();
  }
}

/** Records the sink has stored offsets past, over all its partitions (offsets start at 0 on these fresh topics). */
async function recordsWritten(url: string, group: string): Promise<number | undefined> {
  const rows = await tryQuery<{ n: string }>(
    url,
    'SELECT coalesce(sum(greatest(next_offset, 0)), 0) AS n FROM sink_offsets WHERE consumer = $1',
    [group],
  );
  return rows === undefined ? undefined : Number(rows[0]!.n);
}

/**
 * What the pipeline publishes for `orders` demo orders, in `slices` consecutive parts (the output topics and
 * the orders changelog, as the harness's pipelineOutput), and at the end of each slice every order's state
 * so far once more, as a restored or compacting changelog would carry it: so orders of the first slice are
 * written again across and after the outage, through the orders upsert and the order_lines replace.
 */
async function pipelineOutputInSlices(app: string, orders: number, partitions: number, slices: number): Promise<ProducedRecord[][]> {
  const prefix = `${app}.`;
  const config = loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix });
  const start = Date.parse('2026-11-20T01:00:00Z');
  const driver = new InProcessRuntime(orderTopology(config, orderSerdes(serdeConfig({}), prefix)), {
    applicationId: app,
    partitions,
    startTime: start,
  });
  const wanted = new Set(sourcesFor(app).topics);
  const changelog = changelogTopic(app, Stores.orders);
  for (const entry of referenceData(200))
    await driver.pipeRaw(prefix + entry.topic, Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  const out: ProducedRecord[][] = [];
  for (let slice = 0; slice < slices; slice++) {
    for (let n = Math.floor((orders * slice) / slices); n < Math.floor((orders * (slice + 1)) / slices); n++) {
      const at = start + n * 3_600;
      const order = demoOrder(n, new Date(at), { stores: 50, customers: 200, seed: 11 });
      await driver.pipeRaw(prefix + Topics.orderCreate, Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
        timestamp: at,
      });
    }
    const records = driver.output.filter((record) => wanted.has(record.topic));
    driver.clearOutput();
    for (let partition = 0; partition < partitions; partition++) {
      const { engine } = driver.store<{ engine: StoreEngine }>(Stores.orders, partition);
      for await (const [key, value] of engine.range())
        records.push({ topic: changelog, partition, key, value, timestamp: Date.now(), headers: {} });
    }
    out.push(records);
  }
  await driver.close();
  return out;
}

/** The records in `pieces` consecutive slices, each partition's records staying in order. */
const split = (records: ProducedRecord[], pieces: number): ProducedRecord[][] =>
  Array.from({ length: pieces }, (_, i) =>
    records.slice(Math.floor((records.length * i) / pieces), Math.floor((records.length * (i + 1)) / pieces)),
  );

t.test('Stopping Postgres for a while and starting it again loses nothing', async (t) => {
  if (!(await requireKafka(t))) return;
  const app = uniqueName('sink-outage');
  const cluster = await PrivatePostgres.create();
  const sink = SinkProcess.forApp(app, cluster.url);
  const clients: pg.Client[] = [];
  t.teardown(async () => {
    await sink.kill();
    for (const db of clients) await db.end().catch(() => undefined);
    await cluster.destroy();
  });
  const group = `${app}-sink-postgres`;
  const client = testClient();
  const sources = sourcesFor(app);

  const [before, during, after] = (await pipelineOutputInSlices(app, ORDERS, PARTITIONS, 3)) as [
    ProducedRecord[],
    ProducedRecord[],
    ProducedRecord[],
  ];
  const records = [...before, ...during, ...after];
  t.ok(
    before.some((record) => sources.sourceOf(record.topic) === 'orders'),
    'the feed includes the orders changelog',
  );
  await createSinkTopics(client, sources, PARTITIONS);
  const producePiecesOver = async (slice: ProducedRecord[], spanMs: number) => {
    for (const piece of split(slice, PIECES)) {
      await produce(client, piece);
      await sleep(spanMs / PIECES);
    }
  };

  await sink.start();
  /** Ends a wait at once if the sink died: the outage must not take it down. */
  const running = () => {
    if (!sink.running) throw new Error('the sink exited');
    return true;
  };

  // Before: a third of the feed, written while Postgres is up.
  await producePiecesOver(before, 1_000);
  await waitFor(
    'the sink to write the first third',
    async () => running() && ((await recordsWritten(cluster.url, group)) ?? 0) >= before.length,
    60_000,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n--- sink output ---\n${sink.output}`);
  });
  t.ok(sink.running, 'the sink is running before the outage');

  // During: the next third starts arriving, so the sink is writing batch after batch; Postgres goes down as
  // soon as the sink is seen inside a transaction (if the moment is caught, that transaction is cut short and
  // rolls back) and stays down while the rest of the third arrives.
  const outputBeforeOutage = sink.output.length;
  const pieces = split(during, PIECES);
  const feeding = (async () => {
    for (const piece of pieces) {
      await produce(client, piece);
      await sleep(OUTAGE_MS / pieces.length);
    }
  })();
  const caught = await sinkInTransaction(cluster.url, group, 3_000);
  await cluster.stop();
  const stoppedAt = Date.now();
  t.comment(
    caught ? 'Postgres stopped while the sink had a transaction open' : 'the sink was not seen in a transaction; Postgres stopped anyway',
  );
  await feeding;
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
  t.ok(sink.running, 'the sink is still running while Postgres is down');
  await cluster.start();
  const startedAt = Date.now();

  // After: the last third, while the sink finds Postgres again by itself.
  await producePiecesOver(after, 1_000);
  let written: number | undefined;
  await waitFor(
    'the sink to catch up after the outage',
    async () => running() && (written = await recordsWritten(cluster.url, group)) === records.length,
    120_000,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}: ${written} of ${records.length} records written\n--- sink output ---\n${sink.output}`);
  });
  t.comment(`caught up ${Date.now() - startedAt} ms after Postgres came back`);

  const duringOutage = sink.output.slice(outputBeforeOutage);
  t.ok(sink.running, 'the sink survived the outage in the same process');
  t.match(duringOutage, /batch not written \(postgres: |Postgres unavailable/, 'the sink said it could not write and retried');
  const retries = duringOutage.split('\n').filter((line) => /batch not written|Postgres unavailable/.test(line));
  t.comment(`${retries.length} retry lines, first: ${retries[0] ?? '(none)'}`);
  t.comment(`last: ${retries.at(-1) ?? '(none)'}`);

  // Rows commit with their offsets, so with every offset stored the tables must already say what the topics
  // say (read back from Kafka here, independently of the sink) — no waiting for them.
  const consumed = await readSinkTopics(client, sources);
  t.equal(consumed.length, records.length, 'every produced record is on the topics');
  const db = await pgClient(cluster.url);
  clients.push(db);
  sameTables(t, await digestOfTables(db), digestOfTopics(consumed, sources), 'after a Postgres outage');

  const letters = await db.query('SELECT topic, partition, kafka_offset, error FROM sink_dead_letters');
  t.same(letters.rows, [], 'no dead letters');

  const ends = new Map<string, bigint>();
  for (const record of consumed) {
    const key = tpKey(record.topic, record.partition);
    if ((ends.get(key) ?? -1n) < record.offset + 1n) ends.set(key, record.offset + 1n);
  }
  const stored = await db.query<{ topic: string; partition: number; next_offset: string }>(
    'SELECT topic, partition, next_offset FROM sink_offsets WHERE consumer = $1',
    [group],
  );
  const storedMap = new Map(stored.rows.map((row) => [tpKey(row.topic, row.partition), BigInt(row.next_offset)]));
  t.equal(stored.rows.length, sources.topics.length * PARTITIONS, 'sink_offsets has a row for every partition the sink reads');
  t.same(
    [...ends].filter(([key, end]) => storedMap.get(key) !== end).map(([key, end]) => ({ partition: key, stored: storedMap.get(key), end })),
    [],
    'each partition’s stored offset is its end offset',
  );
  t.ok(sink.running, 'the sink is still running at the end');
});
