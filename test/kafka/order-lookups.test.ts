/**
 * Interactive order lookups across replicas on the real broker and Postgres: two `omnia start` replicas
 * split the partitions; a lookup on the replica that does not own the order is answered by the owner; with
 * the owner killed, Postgres answers; a store manager cannot read another store's order. Forwarding is
 * authenticated (query-service/forwarding.ts): a fake member that joins the group and advertises an endpoint
 * is sent no user token, its answer is not relayed, and what it was sent is refused by the real owner, as is a
 * forwarded request without, or with a wrong, inter-replica token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { devToken } from '../../query-service/auth.js';
import { Topics } from '../../topology/topics.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { SinkProcess, withSchema } from '../sink/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, requireKafka, testClient, uniqueName, waitFor } from './harness.js';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serdeConfig } from '../../avro/config.js';
import { FORWARDED_HEADER, replicaForwarding } from '../../query-service/forwarding.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 4;
const SECRET = 'lookup-test-secret-of-at-least-32-bytes!!';
const auth = { algorithm: 'HS256' as const, secret: SECRET, clockSkewSeconds: 30 };
/** Shared by the replicas: they sign the lookups they forward to each other with it. */
const FORWARD_SECRET = 'lookup-test-forward-secret-of-32-bytes-or-more';

interface Answer {
  source: string;
  answeredBy: string;
  order: {
    orderId: string;
    shipFromLocationId: string;
    status: number;
    totals: { orderTotal: string } | null;
    lines: unknown[];
    history: unknown[];
  };
}

t.test('lookups: answered through the owning replica, by Postgres when the owner is gone, never across stores', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = testClient();
  const app = uniqueName('lookups');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  const topicAdmin = client.admin();
  const record = (topic: string, key: string, value: unknown, partitions: number) => jsonRecord(name(topic), key, value, partitions);
  await produce(
    client,
    referenceData(200).map((entry) => record(entry.topic, entry.key, entry.value, 1)),
  );

  const replicas = new Map<string, { process: ChildProcess; port: number }>();
  const startReplica = async (id: string) => {
    const port = await SinkProcess.freePort();
    const child = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: databaseUrl,
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-${id}`,
        OMNIA_STATE_DIR: `.state/test-${app}-${id}`,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_SESSION_TIMEOUT_MS: '30000',
        OMNIA_ENDPOINT: `127.0.0.1:${port}`,
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_FORWARD_SECRET: FORWARD_SECRET,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    replicas.set(id, { process: child, port });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk.toString();
        if (out.includes('query service on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`replica ${id} exited (${code}): ${out}`)));
    });
  };
  const sink = SinkProcess.forApp(app, databaseUrl);
  t.teardown(async () => {
    for (const { process: child } of replicas.values()) child.kill('SIGKILL');
    await sink.kill();
    await topicAdmin.close();
    for (const id of ['a', 'b']) await rm(`.state/test-${app}-${id}`, { recursive: true, force: true });
  });
  await Promise.all([startReplica('a'), startReplica('b')]);
  await sink.start();
  await waitFor('the sink to start', () => sink.output.includes('topics → Postgres'), 30_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${sink.output}`);
  });

  const orders = Array.from({ length: 400 }, (_, n) => demoOrder(n, new Date(), { stores: 20, customers: 200, seed: 5 })).filter(
    (order) => order.IsForceAllocation,
  );
  await produce(
    client,
    orders.map((order) => record(Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS)),
  );

  // Who owns what, as the group says; wait until both replicas hold partitions.
  let owned = new Map<string, number[]>();
  await waitFor(
    'both replicas to own partitions',
    async () => {
      owned = new Map();
      for (const member of await topicAdmin.groupMembers(app)) {
        const instance = (JSON.parse(member.metadata!.toString()) as { instance: string }).instance;
        owned.set(instance, [
          ...new Set(member.partitions.filter((tp) => tp.topic === name(Topics.orderCreate)).map((tp) => tp.partition)),
        ]);
      }
      return owned.get(`${app}-a`)?.length === 2 && owned.get(`${app}-b`)?.length === 2;
    },
    60_000,
  );
  const onB = orders.find((order) => owned.get(`${app}-b`)!.includes(partitionForKey(Buffer.from(order.ShipFromLocationID), PARTITIONS)))!;
  const otherStore = orders.find((order) => order.ShipFromLocationID !== onB.ShipFromLocationID)!.ShipFromLocationID;
  t.ok(onB, `order ${onB.OrderID} of store ${onB.ShipFromLocationID} lives on replica b`);

  const coordinator = devToken(auth, { sub: 'coordinator', roles: ['regional_coordinator'] });
  const ask = async (replica: string, orderId: string, token = coordinator, query = '') => {
    const response = await fetch(`http://127.0.0.1:${replicas.get(replica)!.port}/api/v1/orders/${orderId}${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Answer & { error?: { code: string } } };
  };

  // On replica a, which does not own it: answered by b, through a.
  let viaA: Awaited<ReturnType<typeof ask>> | undefined;
  await waitFor(
    'the order to be released and answerable',
    async () =>
      (viaA = await ask('a', onB.OrderID, coordinator, `?store=${onB.ShipFromLocationID}`)).status === 200 &&
      viaA.body.order.status === 3000,
    60_000,
  );
  t.match(
    viaA!.body,
    {
      source: 'replica',
      answeredBy: `${app}-b`,
      order: { orderId: onB.OrderID, shipFromLocationId: onB.ShipFromLocationID, status: 3000 },
    },
    'replica a relays the owner’s answer, and says so',
  );
  t.ok(viaA!.body.order.lines.length > 0 && viaA!.body.order.history.length === 3, 'with its lines and its history (1000 → 2000 → 3000)');
  const direct = await ask('b', onB.OrderID);
  t.match(direct.body, { source: 'local-state', answeredBy: `${app}-b` }, 'the owner answers from its own state');
  t.same(direct.body.order, viaA!.body.order, 'the same order either way');
  // Without ?store= Postgres says which store, and the lookup goes to its owner: never to every replica.
  await waitFor(
    'the sink to have the order',
    async () => (await admin.query(`SELECT 1 FROM ${schema}.orders WHERE order_id = $1`, [onB.OrderID])).rows.length === 1,
    60_000,
  );
  const noHint = await ask('a', onB.OrderID);
  t.equal(noHint.status, 200, 'without ?store= the store is found in Postgres');
  t.equal(noHint.body.source, 'replica', 'and its owner answers');

  // A store manager of another store: 404, as if the order did not exist.
  const manager = devToken(auth, { sub: 'manager', roles: ['store_manager'], stores: [otherStore] });
  const refused = await ask('a', onB.OrderID, manager, `?store=${onB.ShipFromLocationID}`);
  t.equal(refused.status, 404);
  t.equal(refused.body.error?.code, 'ORDER_NOT_FOUND');
  t.equal((await ask('a', onB.OrderID, manager)).status, 404, 'without the store hint too');
  const ownManager = devToken(auth, { sub: 'own', roles: ['store_manager'], stores: [onB.ShipFromLocationID] });
  t.equal((await ask('a', onB.OrderID, ownManager)).status, 200, 'its own store’s manager reads it');

  // A fake member joins the group advertising an endpoint of the test's: it gets partitions, so lookups of their
  // orders are forwarded to it. It must receive no user token, and what it answers must not be relayed.
  const fakeRequests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const fake = createServer((request, response) => {
    fakeRequests.push({ url: request.url ?? '', headers: request.headers });
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ source: 'local-state', answeredBy: 'forged', order: { orderId: 'forged' } }));
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => fake.close(() => resolve())));
  const fakeEndpoint = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const sources = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)).sources.flatMap(
    (source) => source.topics,
  );
  const intruder = client.groupConsumer({
    groupId: app,
    sessionTimeoutMs: 10_000,
    readCommitted: true,
    memberMetadata: Buffer.from(JSON.stringify({ instance: `${app}-zz-fake`, endpoint: fakeEndpoint })),
  });
  let intruderClosed = false;
  t.teardown(() => (intruderClosed ? undefined : intruder.close().catch(() => undefined)));
  await intruder.join(sources);
  let fakePartitions: number[] = [];
  await waitFor(
    'the fake member to own a partition',
    async () => {
      for (const member of await topicAdmin.groupMembers(app))
        if ((JSON.parse(member.metadata!.toString()) as { instance: string }).instance === `${app}-zz-fake`)
          fakePartitions = member.partitions.filter((tp) => tp.topic === name(Topics.orderCreate)).map((tp) => tp.partition);
      return fakePartitions.length > 0;
    },
    60_000,
  );
  const onFake = orders.find((order) => fakePartitions.includes(partitionForKey(Buffer.from(order.ShipFromLocationID), PARTITIONS)))!;
  await waitFor(
    'the sink to have the fake member’s order',
    async () => (await admin.query(`SELECT status FROM ${schema}.orders WHERE order_id = $1`, [onFake.OrderID])).rows[0]?.status === 3000,
    60_000,
  );
  let viaFake: Awaited<ReturnType<typeof ask>> | undefined;
  await waitFor(
    'replica a to forward a lookup to the fake member',
    async () => {
      viaFake = await ask('a', onFake.OrderID, coordinator, `?store=${onFake.ShipFromLocationID}`);
      return fakeRequests.length > 0;
    },
    30_000,
  );
  const sent = fakeRequests[0]!;
  t.notOk(sent.headers.authorization, 'the fake member is sent no Authorization header');
  t.notOk(JSON.stringify(sent).includes(coordinator), 'and the caller’s token nowhere else');
  t.match(
    viaFake!.body,
    { source: 'postgres', order: { orderId: onFake.OrderID } },
    'its unproven answer is not relayed: Postgres answers',
  );
  const owner = (id: string) => `http://127.0.0.1:${replicas.get(id)!.port}`;
  const harvested = await fetch(`${owner('b')}${sent.url}`, { headers: { [FORWARDED_HEADER]: String(sent.headers[FORWARDED_HEADER]) } });
  t.equal(harvested.status, 401, 'what the fake member was sent is refused by a real replica');
  t.equal(((await harvested.json()) as { error: { code: string } }).error.code, 'FORWARD_TOKEN_INVALID');

  // Forwarded requests to the owner without a valid inter-replica token are refused.
  const path = `/api/v1/orders/${onB.OrderID}?store=${onB.ShipFromLocationID}`;
  const endpointB = `127.0.0.1:${replicas.get('b')!.port}`;
  const forwardedTo = async (headers: Record<string, string>) => {
    const response = await fetch(`${owner('b')}${path}`, { headers });
    return [response.status, ((await response.json()) as { error?: { code: string } }).error?.code];
  };
  t.same(
    await forwardedTo({ [FORWARDED_HEADER]: '1', authorization: `Bearer ${coordinator}` }),
    [401, 'FORWARD_TOKEN_INVALID'],
    'no token',
  );
  const principal = { subject: 'coordinator', roles: ['regional_coordinator' as const], stores: [], tokenId: 'x' };
  const wrong = await replicaForwarding({ secret: 'a-forward-secret-this-cluster-does-not-share!!' }).sign(principal, endpointB, path);
  t.same(await forwardedTo({ [FORWARDED_HEADER]: wrong.token }), [401, 'FORWARD_TOKEN_INVALID'], 'a token signed with another secret');
  const right = await replicaForwarding({ secret: FORWARD_SECRET }).sign(principal, endpointB, path);
  t.same(await forwardedTo({ [FORWARDED_HEADER]: right.token }), [200, undefined], 'one signed with the replicas’ secret is answered');

  // The fake member leaves; the replicas own two partitions each again.
  intruderClosed = true;
  await intruder.close();
  await waitFor(
    'the replicas to own the partitions again',
    async () => {
      const members = await topicAdmin.groupMembers(app);
      return (
        members.length === 2 &&
        members.every((member) => member.partitions.filter((tp) => tp.topic === name(Topics.orderCreate)).length === 2)
      );
    },
    60_000,
  );

  // Owner gone: the sink has the order by now; Postgres answers on replica a.
  await waitFor(
    'the sink to have the order',
    async () => (await admin.query(`SELECT status FROM ${schema}.orders WHERE order_id = $1`, [onB.OrderID])).rows[0]?.status === 3000,
    60_000,
  );
  replicas.get('b')!.process.kill('SIGKILL');
  await new Promise((resolve) => replicas.get('b')!.process.once('exit', resolve));
  const fallback = await ask('a', onB.OrderID, coordinator, `?store=${onB.ShipFromLocationID}`);
  t.equal(fallback.status, 200);
  t.match(
    fallback.body,
    { source: 'postgres', answeredBy: 'postgres', order: { orderId: onB.OrderID, status: 3000 } },
    'with the owner down, Postgres answers, and says so',
  );
  t.same(fallback.body.order.totals, direct.body.order.totals, 'the same totals, to the 4th decimal');
  // The sink writes what the state holds (query-service/order-view.ts): the same lines, tax rates included.
  t.same(fallback.body.order.lines, direct.body.order.lines, 'the same lines, each with its tax rate');
  t.ok(
    (fallback.body.order.lines as Array<{ taxRate?: unknown }>).every((line) => typeof line.taxRate === 'string'),
    'the tax rates from Postgres too',
  );
});
