import t from 'tap';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { sinkHealthServer } from '../../sinks/health-server.js';
import { SinkConnector } from '../../sinks/sink-connector.js';
import { pgDatabase } from '../../postgres/sql.js';
import { BROKERS, produce, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { createSinkTopics, pipelineOutput, SinkProcess, sourcesFor, withSchema } from './harness.js';

const quiet = () => undefined;

t.test('health: not ready (503, with the reason) while Postgres cannot be reached, live all along', async (t) => {
  if (!(await requireKafka(t))) return;
  const app = uniqueName('sink-health-down');
  // Nothing listens on port 1: every connection is refused, as when Postgres is down.
  const db = pgDatabase('postgres://postgres@127.0.0.1:1/none');
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, app), sourcesFor(app), {
    group: app,
    batchRecords: 100,
    lingerMs: 10,
    log: quiet,
  });
  const port = await SinkProcess.freePort();
  const server = await sinkHealthServer(connector, { host: '127.0.0.1', port });
  const starting = connector.start();
  t.teardown(async () => {
    await connector.stop();
    await starting.catch(() => undefined);
    await server.close();
    await db.close();
  });
  await waitFor('the connector to notice Postgres is down', () => connector.status().postgres === 'down', 10_000);
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
  t.equal(ready.status, 503);
  t.match(await ready.json(), { ready: false, reason: 'connector is starting', postgres: 'down', lastError: /ECONNREFUSED/ });
  t.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200, 'live: it is retrying, not stuck');
  t.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /omnia_sink_postgres_up 0/);
});

t.test('health: ready once writing; /metrics counts rows written per table and shows the lag', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const app = uniqueName('sink-health-up');
  const client = testClient();
  const sources = sourcesFor(app);
  await createSinkTopics(client, sources, 2);
  await produce(client, await pipelineOutput(app, 200, 2));
  const db = pgDatabase(withSchema(DATABASE_URL, schema));
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, app), sources, {
    group: app,
    batchRecords: 500,
    lingerMs: 10,
    log: quiet,
  });
  const port = await SinkProcess.freePort();
  const server = await sinkHealthServer(connector, { host: '127.0.0.1', port });
  t.teardown(async () => {
    await connector.stop();
    await server.close();
    await db.close();
  });
  await connector.start();
  await waitFor(
    'the sink to catch up',
    async () =>
      connector.status().lag === 0 &&
      Number((await admin.query('SELECT count(*) AS n FROM orders').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n) >= 180,
    30_000,
  );
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
  t.equal(ready.status, 200);
  t.match(
    await ready.json(),
    { ready: true, state: 'running', postgres: 'up', partitions: sources.topics.length * 2 },
    'every partition of the topics it reads',
  );
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const history = Number(/omnia_sink_rows_written_total\{table="order_status_history"\} (\d+)/.exec(metrics)?.[1]);
  t.equal(
    history,
    Number((await admin.query('SELECT count(*) AS n FROM order_status_history')).rows[0].n),
    'rows written, per table, as counted in Postgres',
  );
  t.match(metrics, /omnia_sink_lag_records\{topic="[^"]+",partition="\d"\} \d+/, 'lag per partition');
  t.match(metrics, /omnia_sink_postgres_up 1/);
});

t.test('stopped while waiting for its topics: start resolves, and the connector ends stopped', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const app = uniqueName('sink-stop-early');
  const db = pgDatabase(withSchema(DATABASE_URL, schema));
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, app), sourcesFor(app), {
    group: app,
    batchRecords: 100,
    lingerMs: 10,
    log: quiet,
  });
  t.teardown(() => db.close());
  const starting = connector.start();
  await waitFor('the connector to wait for the pipeline’s topics', () => connector.status().state === 'waiting-for-topics', 30_000);
  await connector.stop();
  t.equal(
    await starting.then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.message}`,
    ),
    'resolved',
    'start() resolves',
  );
  t.equal(connector.status().state, 'stopped', 'and the connector stays stopped');
});
