/**
 * Actions on the real broker: `omnia start` on Kafka sends a cancel as an order.update.v1 record, the topology
 * applies it, the status topic and the tables carry who asked; a released order answers ORDER_LOCKED; a command
 * sent again after the replica lost its memory of the key (SIGKILL, restart) is still applied once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { devToken } from '../../query-service/auth.js';
import { Topics } from '../../topology/topics.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { SinkProcess, withSchema } from '../sink/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 2;
const HOLD_SECONDS = 20;
const SECRET = 'actions-test-secret-of-at-least-32-bytes!';
const auth = { algorithm: 'HS256' as const, secret: SECRET, clockSkewSeconds: 30 };

t.test('actions on Kafka: cancel applied by the topology with its actor, ORDER_LOCKED after release, one effect per command', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = testClient();
  const app = uniqueName('actions');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(
    client,
    referenceData(200).map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1)),
  );

  let replica: { process: ChildProcess; port: number } | undefined;
  const start = async () => {
    const port = await SinkProcess.freePort();
    const child = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: databaseUrl,
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-a`,
        OMNIA_STATE_DIR: `.state/test-${app}`,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_SESSION_TIMEOUT_MS: '10000',
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    replica = { process: child, port };
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk.toString();
        if (out.includes('query service on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the replica exited (${code}): ${out}`)));
    });
  };
  const sink = SinkProcess.forApp(app, databaseUrl);
  t.teardown(async () => {
    replica?.process.kill('SIGKILL');
    await sink.kill();
    await rm(`.state/test-${app}`, { recursive: true, force: true });
  });
  await start();
  await sink.start();

  const orders = Array.from({ length: 6 }, (_, n) => demoOrder(n, new Date(), { stores: 2, customers: 50, seed: 9, invalidShare: 0 }));
  await produce(
    client,
    orders.map((order) => jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS)),
  );
  const [a1, , a2] = orders as [(typeof orders)[0], unknown, (typeof orders)[0]];
  const clerk = devToken(auth, { sub: 'clerk-k', roles: ['store_staff'], stores: [a1.ShipFromLocationID] });
  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const response = await fetch(`http://127.0.0.1:${replica!.port}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${clerk}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string }; order?: { status: number } } };
  };
  const statusOf = async (orderId: string) => (await call('GET', `/orders/${orderId}?store=${a1.ShipFromLocationID}`)).body.order?.status;
  await waitFor('the orders to be allocated and held', async () => (await statusOf(a1.OrderID)) === 2000, 60_000);

  const accepted = await call('POST', `/orders/${a1.OrderID}/cancel`, { reason: 'customer asked' }, 'kafka-key-1');
  t.equal(accepted.status, 202, 'accepted');
  await waitFor('the topology to cancel it', async () => (await statusOf(a1.OrderID)) === 9000, 30_000);

  // The replica forgets the key (SIGKILL, restart): the same command again is still applied once by the topology.
  replica!.process.kill('SIGKILL');
  await new Promise((resolve) => replica!.process.once('exit', resolve));
  await start();
  await waitFor('the restarted replica to answer', async () => (await statusOf(a1.OrderID)) === 9000, 60_000);
  const again = await call('POST', `/orders/${a1.OrderID}/cancel`, { reason: 'customer asked' }, 'kafka-key-1');
  t.equal(again.status, 409, 'a new process sees the order cancelled');
  t.equal(again.body.error?.code, 'ORDER_ALREADY_CANCELLED');

  // Past the hold: released, and a cancel is refused at once.
  await waitFor('the second order to be released', async () => (await statusOf(a2.OrderID)) === 3000, (HOLD_SECONDS + 30) * 1000);
  const locked = await call('POST', `/orders/${a2.OrderID}/cancel`, { reason: 'too late' });
  t.equal(locked.status, 409);
  t.equal(locked.body.error?.code, 'ORDER_LOCKED');

  // The topics: one cancel record, one 9000 with the actor; nothing dead-lettered.
  const updates = (await readAll(client, name(Topics.orderUpdate))).map((record) => JSON.parse(record.value!.toString()));
  t.equal(updates.length, 1, 'one command on order.update.v1');
  t.match(updates[0], { OrderID: a1.OrderID, Action: 'CANCEL', RequestedBy: 'clerk-k' });
  const cancels = (await readAll(client, name(Topics.status)))
    .map((record) => JSON.parse(record.value!.toString()) as { OrderID: string; ToStatus: number; Actor: string | null })
    .filter((change) => change.ToStatus === 9000);
  t.same(
    cancels.map((change) => [change.OrderID, change.Actor]),
    [[a1.OrderID, 'clerk-k']],
    'one cancellation, naming the clerk',
  );
  t.same(await readAll(client, name(`${Topics.orderUpdate}.dlq`)), [], 'nothing dead-lettered');
  await waitFor(
    'the sink to write the cancellation',
    async () =>
      (await admin.query(`SELECT actor FROM ${schema}.order_status_history WHERE order_id = $1 AND to_status = 9000`, [a1.OrderID])).rows[0]
        ?.actor === 'clerk-k',
    60_000,
  );
  t.pass('order_status_history names the clerk');
});
