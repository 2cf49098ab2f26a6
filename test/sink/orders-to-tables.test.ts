/**
 * The pipeline on the real broker, the sink as a process of its own into the real Postgres: after 10,000
 * orders every table agrees with the topics exactly, although the sink was SIGKILLed five times while a
 * batch transaction was open in Postgres.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { Topics } from '../../topology/topics.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import {
  digestOfTables,
  digestOfTopics,
  pgClient,
  readSinkTopics,
  sameTables,
  SinkProcess,
  sourcesFor,
  type TablesDigest,
  withSchema,
} from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const ORDERS = 10_000;
const PARTITIONS = 8;
const KILLS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test(
  '10,000 orders through the pipeline on Kafka: the tables agree with the topics exactly after five SIGKILLs of the sink mid-batch',
  async (t) => {
    if (!(await requireKafka(t))) return;
    const admin = await freshSchema(t);
    if (!admin) return;
    const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    const client = testClient();
    const app = uniqueName('sink-e2e');
    const prefix = `${app}.`;
    const name = (topic: string) => prefix + topic;
    const group = `${app}-sink-postgres`;

    await createPipelineTopics(client, prefix, PARTITIONS);
    const now = Date.now();
    const record = (topic: string, key: string, value: unknown, partitions: number) => jsonRecord(name(topic), key, value, partitions, now);
    await produce(
      client,
      referenceData(200).map((entry) => record(entry.topic, entry.key, entry.value, 1)),
    );

    // The pipeline, on Kafka.
    const stateDir = `.state/test-${app}`;
    const pipeline: ChildProcess = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-0`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => pipeline.stdout!.once('data', () => resolve()));

    // The sink, killable; static membership so a restart takes its partitions straight back.
    const sink = SinkProcess.forApp(app, withSchema(DATABASE_URL, schema), {
      OMNIA_INSTANCE_ID: `${app}-sink-0`,
      OMNIA_SINK_BATCH_RECORDS: '2000',
    });
    t.teardown(async () => {
      await sink.kill();
      pipeline.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    });
    await sink.start();

    const feeding = (async () => {
      const orders = Array.from({ length: ORDERS }, (_, n) => demoOrder(n, new Date(now), { stores: 50, customers: 200, seed: 23 }));
      for (let i = 0; i < ORDERS; i += 250) {
        await produce(
          client,
          orders.slice(i, i + 250).map((order) => record(Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS)),
        );
        await sleep(150);
      }
    })();

    // Kill only while a batch transaction is open in Postgres: the sink's session is inside a transaction and
    // its latest statement is one of a batch's (not a migration's, not a read of the offsets).
    const inTransaction = async () =>
      (
        await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')
           AND query ~ '^(INSERT INTO (orders|order_lines|order_status_history|releases|payments|validations|validation_errors) |DELETE FROM order_lines |UPDATE sink_offsets )'`,
          [group],
        )
      ).rows[0]!.n > 0;
    let midBatch = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(300 + Math.random() * 700);
      const deadline = Date.now() + 30_000;
      let open = await inTransaction();
      while (!open && Date.now() < deadline) {
        await sleep(2);
        open = await inTransaction();
      }
      await sink.kill('SIGKILL');
      if (open) midBatch++;
      await sink.start();
    }
    t.equal(midBatch, KILLS, `the sink was SIGKILLed ${KILLS} times, each time with a batch transaction open`);
    await feeding;

    // Done when the pipeline has published every order's outcome and the tables hold all of it.
    const sources = sourcesFor(app);
    let expected: TablesDigest | undefined;
    let actual: TablesDigest | undefined;
    const db = await pgClient(withSchema(DATABASE_URL, schema));
    t.teardown(() => db.end());
    await waitFor(
      'the tables to catch up with the topics',
      async () => {
        expected = digestOfTopics(await readSinkTopics(client, sources), sources);
        if (Object.keys(expected.validations).length < ORDERS) return false;
        actual = await digestOfTables(db).catch(() => undefined); // the tables appear with the sink's first start

        return actual !== undefined && isDeepStrictEqual(actual, expected);
      },
      180_000,
    ).catch((error: Error) => t.comment(`${error.message}; the sink said:\n${sink.output}`));
    t.ok(sink.running, 'the sink is still running');
    t.ok(
      expected && Object.keys(expected.validations).length === ORDERS,
      `every one of the ${ORDERS} orders has its validation verdict on the topic`,
    );
    sameTables(t, actual!, expected!, 'after five SIGKILLs');
    t.ok(
      expected!.counts.orders! > ORDERS * 0.8 && expected!.counts.order_status_history! > ORDERS * 2,
      `a real load: ${JSON.stringify(expected!.counts)}`,
    );
    const letters = await db.query('SELECT count(*)::int AS n FROM sink_dead_letters');
    t.equal(letters.rows[0].n, 0, 'no record was dead-lettered');
    const money = await db.query<{ total: string; released: string }>(
      'SELECT (SELECT sum(order_total) FROM releases) AS released, (SELECT sum(order_total) FROM orders WHERE status = 3000) AS total',
    );
    t.equal(money.rows[0]!.total, money.rows[0]!.released, `released orders' totals agree to the 4th decimal (${money.rows[0]!.released})`);
  },
);
