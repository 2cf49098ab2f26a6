/**
 * Nonces shared by ingress replicas in a real Redis (a redis-server of the test's own): a request replayed to
 * another replica is refused; a request that was not accepted frees its nonce for every replica; with Redis
 * gone the ingress answers 503 and accepts nothing it cannot rule out as a replay, and it recovers by itself.
 */
import { createClient } from 'redis';
import t, { type Test } from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { RedisNonceStore } from '../../connectors/redis-nonce-store.js';
import { signWebhook } from '../../connectors/signature.js';
import { buildWebhookServer, startWebhookServer, WEBHOOK_ROUTES } from '../../connectors/webhook-server.js';
import type { PublishRecord, WebhookPublisher } from '../../connectors/webhook-publisher.js';
import { freePort } from '../free-port.js';
import { createTopics, readAll, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { PrivateRedis, requireRedis } from './private-redis.js';

const secrets = { slick: 'slick-webhook-secret-for-tests', grab: 'grab-webhook-secret-for-tests', pmp: 'pmp-webhook-secret-for-tests' };
const TOLERANCE_SECONDS = 300;
const route = WEBHOOK_ROUTES.pmpDelivered;

function delivered(eventId: string) {
  const body = JSON.stringify({ EventID: eventId, OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', At: '2026-11-21T09:15:00Z' });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(secrets.pmp, body) } };
}

/** A publisher that records what reached it and fails on demand. */
function recorder() {
  const published: PublishRecord[] = [];
  let failing = false;
  const publisher: WebhookPublisher = {
    publish: async (record) => {
      if (failing) throw new Error('broker down');
      published.push(record);
      return { partition: 0 };
    },
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
  return { publisher, published, fail: (on: boolean) => (failing = on) };
}

async function replica(t: Test, redis: PrivateRedis) {
  const nonces = await RedisNonceStore.forWindow(redis.url, TOLERANCE_SECONDS, { commandTimeoutMs: 500 });
  const { publisher, published, fail } = recorder();
  const app = buildWebhookServer({ secrets, publisher, nonces, toleranceSeconds: TOLERANCE_SECONDS });
  t.teardown(async () => {
    await app.close();
    await nonces.close();
  });
  const post = (request: { body: string; headers: Record<string, string> }) =>
    app.inject({ method: route.method, url: route.url, headers: request.headers, payload: request.body });
  return { post, published, fail, nonces };
}

t.test('replicas sharing Redis', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());

  t.test('a request accepted by one replica is refused by the other, and its nonce expires after twice the window', async (t) => {
    const [a, b] = [await replica(t, redis), await replica(t, redis)];
    const request = delivered('PMP-shared-1');
    t.equal((await a.post(request)).statusCode, 202, 'accepted by A');
    const replayed = await b.post(request);
    t.equal(replayed.statusCode, 409, 'the same bytes to B');
    t.equal(replayed.json().error.code, 'NONCE_REPLAYED');
    t.equal(b.published.length, 0, 'B published nothing');
    t.equal((await b.post(delivered('PMP-shared-2'))).statusCode, 202, 'a new nonce passes at B');
    t.equal(a.nonces.size, 1, "A's size counts its own claims");

    const raw = createClient({ url: redis.url });
    await raw.connect();
    t.teardown(() => raw.close());
    const keys = await raw.keys('omnia:webhook-nonce:pmp:*');
    t.equal(keys.length, 2, 'one key per accepted nonce, under the partner');
    for (const key of keys) {
      const ttl = await raw.pTTL(key);
      t.ok(ttl > 0 && ttl <= 2 * TOLERANCE_SECONDS * 1000, `${key} expires (PTTL ${ttl} ms)`);
    }
  });

  t.test('a request that was not accepted frees its nonce for every replica', async (t) => {
    const [a, b] = [await replica(t, redis), await replica(t, redis)];
    const request = delivered('PMP-shared-3');
    a.fail(true);
    const failed = await a.post(request);
    t.equal(failed.statusCode, 503);
    t.equal(failed.json().error.code, 'PRODUCE_FAILED');
    t.equal((await b.post(request)).statusCode, 202, 'the identical retry is accepted at B');
    t.equal(b.published.length, 1);
  });

  t.test('Redis gone: 503 NONCE_STORE_UNAVAILABLE and nothing published; Redis back: accepted without a restart', async (t) => {
    const a = await replica(t, redis);
    await redis.kill();
    const request = delivered('PMP-shared-4');
    const refused = await a.post(request);
    t.equal(refused.statusCode, 503);
    t.equal(refused.json().error.code, 'NONCE_STORE_UNAVAILABLE');
    t.equal(refused.headers['retry-after'], '1');
    t.equal(a.published.length, 0, 'nothing reached the publisher');
    await redis.start();
    let status = 0;
    await waitFor(
      'the replica to reconnect and accept the retry',
      async () => (status = (await a.post(request)).statusCode) !== 503,
      20_000,
    );
    t.equal(status, 202, 'the identical retry is accepted');
    t.equal(a.published.length, 1);
  });
});

t.test('a nonce store nobody answers at stops the ingress at start, naming it', async (t) => {
  const url = `redis://:secret@127.0.0.1:${await freePort()}`;
  await t.rejects(
    RedisNonceStore.forWindow(url, TOLERANCE_SECONDS, { commandTimeoutMs: 500 }),
    /cannot connect to the nonce store at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/,
  );
});

t.test('OMNIA_WEBHOOK_NONCE_REDIS_URL: two ingress processes on Kafka share their nonces', async (t) => {
  if (!requireRedis(t) || !(await requireKafka(t))) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());
  const client = testClient();
  const topics = { shipEvents: uniqueName('ship-event'), deliveryStatus: uniqueName('delivery-status') };
  await createTopics(client, [topics.shipEvents, topics.deliveryStatus], 3);
  const config = {
    slickSecret: secrets.slick,
    grabSecret: secrets.grab,
    pmpSecret: secrets.pmp,
    port: 0,
    host: '127.0.0.1',
    nonceRedisUrl: redis.url,
  };
  const [a, b] = [
    await startWebhookServer({ config, env: {}, client, serdeConfig: serdeConfig({}), topics }),
    await startWebhookServer({ config, env: {}, client, serdeConfig: serdeConfig({}), topics }),
  ];
  t.teardown(async () => {
    await a.close();
    await b.close();
    const admin = client.admin();
    await admin.deleteTopics([topics.shipEvents, topics.deliveryStatus]).catch(() => undefined);
    await admin.close();
  });
  const request = delivered('PMP-kafka-1');
  const send = (server: typeof a) =>
    fetch(`${server.url}${route.url}`, { method: route.method, headers: request.headers, body: request.body });
  t.equal((await send(a)).status, 202, 'accepted by A');
  t.equal((await send(b)).status, 409, 'replayed to B');
  const records = await readAll(client, topics.deliveryStatus);
  t.same(
    records.map((record) => JSON.parse(record.value!.toString()).EventID),
    ['PMP-kafka-1'],
    'one record on the topic',
  );
});
