import t from 'tap';
import { demoOrder, referenceData } from '../../../bin/demo-feed.js';
import { serdeConfig } from '../../../avro/config.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Topics } from '../../../topology/topics.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { embeddedPostgres } from '../../../postgres/embedded-postgres.js';
import { EmbeddedSink } from '../../../sinks/embedded-sink.js';
import { migrate } from '../../../postgres/migrate.js';
import { sinkSources } from '../../../sinks/sink-sources.js';

t.test('the embedded default: the driver’s output lands in the embedded Postgres through the same writer, views included', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const session = await db.session();
  t.ok((await migrate(session)).length >= 3, 'the migrations apply to the embedded Postgres too');
  session.release();

  const driver = new InProcessRuntime(orderTopology(loadOrderConfig({}), orderSerdes(serdeConfig({}))), {
    partitions: 4,
    startTime: Date.parse('2026-11-21T09:00:00Z'),
  });
  t.teardown(() => driver.close());
  const sink = new EmbeddedSink(db, sinkSources({ applicationId: driver.applicationId, topicPrefix: '', serdes: serdeConfig({}) }));
  for (const entry of referenceData(50))
    await driver.pipeRaw(entry.topic, Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  for (let round = 0; round < 3; round++) {
    for (let n = round * 100; n < (round + 1) * 100; n++) {
      const order = demoOrder(n, new Date(driver.now), { stores: 5, customers: 50, seed: 3 });
      await driver.pipeRaw(Topics.orderCreate, Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)));
    }
    await sink.write(driver.output);
    driver.clearOutput();
  }

  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  const accepted = await count('SELECT count(*) AS n FROM orders');
  const rejected = await count('SELECT count(*) AS n FROM validations WHERE NOT valid');
  t.ok(
    accepted > 250 && accepted + rejected >= 300,
    `every order is a row or a rejected verdict (${accepted} accepted, ${rejected} rejections)`,
  );
  t.equal(
    await count('SELECT count(*) AS n FROM releases'),
    await count('SELECT count(*) AS n FROM orders WHERE status = 3000'),
    'one release per released order',
  );
  t.equal(
    await count('SELECT count(*) AS n FROM order_status_history WHERE to_status = 1000'),
    accepted,
    'each accepted order opened once',
  );
  t.equal(await count('SELECT count(*) AS n FROM sink_dead_letters'), 0);
  const perStore = await db.query<{ orders: string }>('SELECT sum(orders) AS orders FROM orders_per_store_status');
  t.equal(Number(perStore.rows[0]!.orders), accepted, 'the analyst views answer on the embedded Postgres');
  const offsets = await db.query<{ next_offset: string }>('SELECT next_offset FROM sink_offsets LIMIT 1');
  t.type(offsets.rows[0]!.next_offset, 'string', 'int8 comes back as an exact string, as from pg');
});

t.test('a session holds the embedded Postgres alone: a statement outside it waits for its transaction to end', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  await db.query('CREATE TABLE t (n integer)');
  const session = await db.session();
  await session.query('BEGIN');
  await session.query('INSERT INTO t VALUES (1)');
  let seen: number | undefined;
  const outside = db.query<{ n: string }>('SELECT count(*) AS n FROM t').then((result) => (seen = Number(result.rows[0]!.n)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(seen, undefined, 'the reader has not run inside the open transaction');
  await session.query('ROLLBACK');
  session.release();
  await outside;
  t.equal(seen, 0, 'it ran after the rollback and saw none of it');
});
