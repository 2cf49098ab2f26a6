/**
 * The connector in-process on the real broker and Postgres: no transaction holds more than `batchRecords`
 * records (a poll may return many more), and while the next batch is read as one is written, replicas
 * joining and leaving the group still leave every table exactly as the topics say.
 */
import t from 'tap';
import { SinkConnector } from '../../sinks/sink-connector.js';
import { pgDatabase, type SqlDatabase } from '../../postgres/sql.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { BROKERS, produce, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import {
  createSinkTopics,
  digestOfTables,
  digestOfTopics,
  pipelineOutput,
  readSinkTopics,
  sameTables,
  sourcesFor,
  withSchema,
} from './harness.js';

const PARTITIONS = 4;
const BATCH = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The database, noting how many records each committed-or-not batch moved its offsets past. */
function counting(db: SqlDatabase, sizes: number[]): SqlDatabase {
  return {
    ...db,
    async session() {
      const session = await db.session();
      return {
        ...session,
        query: async <R>(text: string, params?: readonly unknown[]) => {
          if (text.startsWith('UPDATE sink_offsets') && params) {
            const [expected, next] = [params[3] as string[], params[4] as string[]];
            // Produced without transactions: offsets are dense, so the moves add up to the batch's records.
            sizes.push(next.reduce((sum, to, i) => sum + Number(BigInt(to) - (BigInt(expected[i]!) < 0n ? 0n : BigInt(expected[i]!))), 0));
          }
          return session.query<R>(text, params);
        },
      };
    },
  };
}

t.test('batches stay within batchRecords, and replicas joining and leaving mid-run leave the tables exact', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const app = uniqueName('sink-batches');
  const group = `${app}-sink`;
  const sources = sourcesFor(app);
  const client = testClient();
  await createSinkTopics(client, sources, PARTITIONS);
  t.teardown(async () => {
    const topics = client.admin();
    await topics.deleteTopics(sources.topics).catch(() => undefined);
    await topics.close();
  });
  const records = await pipelineOutput(app, 3_000, PARTITIONS);

  // The first half at once: polls return far more than one batch.
  const half = Math.floor(records.length / 2);
  await produce(client, records.slice(0, half));

  const sizes: number[] = [];
  const replica = (name: string) => {
    const db = counting(pgDatabase(withSchema(DATABASE_URL, schema), { applicationName: `${group}-${name}` }), sizes);
    const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, `${group}-${name}`), sources, {
      group,
      batchRecords: BATCH,
      lingerMs: 20,
      sessionTimeoutMs: 6_000,
      log: () => undefined,
    });
    t.teardown(async () => {
      await connector.stop();
      await db.close();
    });
    return connector;
  };
  const consumed = async (connector: SinkConnector) =>
    (await connector.metrics.recordsConsumed.get()).values.reduce((sum, sample) => sum + sample.value, 0);

  const a = replica('a');
  await a.start();
  await waitFor('the first replica to write', async () => (await consumed(a)) > 0);

  // The rest arrives while a second replica joins (a rebalance) and then the first leaves (another).
  const feeding = (async () => {
    for (let i = half; i < records.length; i += 500) {
      await produce(client, records.slice(i, i + 500));
      await sleep(100);
    }
  })();
  const b = replica('b');
  await b.start();
  await waitFor('both replicas to hold partitions', () => a.status().partitions > 0 && b.status().partitions > 0);
  await waitFor('both replicas to write', async () => (await consumed(b)) > 0);
  await a.stop();
  await feeding;

  const expected = await readSinkTopics(client, sources);
  const perTopic = (list: ReadonlyArray<{ topic: string }>) =>
    sources.topics.map((topic) => list.filter((record) => record.topic === topic).length).join('/');
  t.equal(
    expected.length,
    records.length,
    `every record is on the topics (read back per topic ${perTopic(expected)}, produced ${perTopic(records)})`,
  );
  const stored = async () =>
    (
      await admin.query<{ n: string }>('SELECT coalesce(sum(greatest(next_offset, 0)), 0) AS n FROM sink_offsets WHERE consumer = $1', [
        group,
      ])
    ).rows[0]!.n;
  await waitFor('the offsets to reach the topic ends', async () => Number(await stored()) === records.length, 60_000);

  const retries = async (connector: SinkConnector) =>
    (await connector.metrics.retries.get()).values.map((sample) => `${sample.labels.cause} ${sample.value}`).join(', ') || 'none';
  t.comment(`records written: a ${await consumed(a)}, b ${await consumed(b)}; retries: a ${await retries(a)}, b ${await retries(b)}`);
  t.ok(
    sizes.length > 0 && sizes.every((size) => size <= BATCH),
    `no batch holds more than ${BATCH} records (largest ${Math.max(...sizes)}, ${sizes.length} batches)`,
  );
  t.equal(
    Number((await admin.query('SELECT count(*) AS n FROM sink_dead_letters')).rows[0].n),
    0,
    'no dead letters (a record written twice would be one)',
  );
  sameTables(t, await digestOfTables(admin), digestOfTopics(expected, sources), 'after two rebalances');
});
