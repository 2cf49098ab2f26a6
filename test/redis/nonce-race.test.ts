/**
 * The nonce claim that lands in Redis although the ingress gave up on it: the partner's identical retry after
 * the 503 is accepted once and published once, never refused as a replay. Between the ingress and a real
 * redis-server of the test's own sits a proxy that lets the claim run in Redis and holds its answer past the
 * ingress's timeout (the ingress gives the claim back), or cuts the connection when the answer comes (the claim
 * cannot be given back: the retry waits out its lease). Also: two replicas given the identical request at once
 * publish it once.
 */
import { createClient } from 'redis';
import t, { type Test } from 'tap';
import { RedisNonceStore } from '../../connectors/redis-nonce-store.js';
import { signWebhook } from '../../connectors/signature.js';
import { buildWebhookServer, NONCE_LEASE_MARGIN_MS, WEBHOOK_ROUTES } from '../../connectors/webhook-server.js';
import type { PublishRecord, WebhookPublisher } from '../../connectors/webhook-publisher.js';
import { capturingLogger, until } from '../unit/connectors/helpers.js';
import { PrivateRedis, requireRedis } from './private-redis.js';
import { RedisProxy } from './redis-proxy.js';

const secrets = { slick: 'slick-webhook-secret-for-tests', grab: 'grab-webhook-secret-for-tests', pmp: 'pmp-webhook-secret-for-tests' };
const route = WEBHOOK_ROUTES.pmpDelivered;
const PRODUCE_TIMEOUT_MS = 1_000;
const KEY_PREFIX = 'omnia:webhook-nonce:';

/** The partner's request: signed once, sent as it is every time. */
function delivered(eventId: string, nonce: string) {
  const body = JSON.stringify({ EventID: eventId, OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', At: '2026-11-21T09:15:00Z' });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(secrets.pmp, body, { nonce }) } };
}

/** Records what reached it; while `hold()`ing, a publish waits for `letGo()`. */
function recorder() {
  const published: PublishRecord[] = [];
  let waiting: Array<() => void> = [];
  let holding = false;
  const publisher: WebhookPublisher = {
    publish: async (record) => {
      if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
      published.push(record);
      return { partition: 0 };
    },
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
  const letGo = () => {
    holding = false;
    for (const resolve of waiting) resolve();
    waiting = [];
  };
  return { publisher, published, hold: () => (holding = true), letGo, waiting: () => waiting.length };
}

/** An ingress replica on `url`, its clock the test's. */
async function replica(t: Test, url: string, clock: { now: number }) {
  const nonces = await RedisNonceStore.forWindow(url, 300, { commandTimeoutMs: 300, logger: capturingLogger().logger });
  const { publisher, published, hold, letGo, waiting } = recorder();
  const log = capturingLogger();
  const app = buildWebhookServer({
    secrets,
    publisher,
    nonces,
    produceTimeoutMs: PRODUCE_TIMEOUT_MS,
    now: () => clock.now,
    logger: log.logger,
  });
  t.teardown(async () => {
    await app.close();
    await nonces.close();
  });
  const post = (request: { body: string; headers: Record<string, string> }) =>
    app.inject({ method: route.method, url: route.url, headers: request.headers, payload: request.body });
  return { post, published, hold, letGo, waiting, log: log.lines };
}

t.test('the claim runs in Redis, its answer does not reach the ingress in time', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());
  const raw = createClient({ url: redis.url });
  await raw.connect();
  t.teardown(() => raw.close());
  const proxy = new RedisProxy(redis.port);
  await proxy.start();
  t.teardown(() => proxy.stop());
  const clock = { now: Date.now() };

  t.test('its answer comes late: the ingress gives the claim back, and the identical retry is accepted once', async (t) => {
    const ingress = await replica(t, proxy.url, clock);
    const request = delivered('PMP-race-1', 'late-answer-0001');
    proxy.holdReplies();
    const unavailable = await ingress.post(request);
    t.equal(unavailable.statusCode, 503);
    t.equal(unavailable.json().error.code, 'NONCE_STORE_UNAVAILABLE');
    t.ok(proxy.unheard >= 1, 'the claim ran in Redis; the ingress did not hear of it');
    await until('the claim given back in Redis', async () => (await raw.get(`${KEY_PREFIX}pmp:late-answer-0001`)) === null);
    proxy.releaseReplies();

    const retried = await ingress.post(request);
    t.equal(retried.statusCode, 202, 'the partner’s identical retry is accepted');
    t.equal(ingress.published.length, 1, 'and published once');
    t.match(await raw.get(`${KEY_PREFIX}pmp:late-answer-0001`), /^spent::/, 'the nonce is spent');
    const again = await ingress.post(request);
    t.equal(again.json().error.code, 'NONCE_REPLAYED', 'the same request once more is a replay');
    const reused = await ingress.post(delivered('PMP-race-2', 'late-answer-0001'));
    t.equal(reused.json().error.code, 'NONCE_REPLAYED', 'another body under the same nonce is a replay');
    t.equal(ingress.published.length, 1);
  });

  t.test('its answer never comes and the connection is gone: the retry waits out the lease with 503, then is accepted once', async (t) => {
    const ingress = await replica(t, proxy.url, clock);
    const request = delivered('PMP-race-3', 'lost-answer-0001');
    proxy.dropNextReply();
    const unavailable = await ingress.post(request);
    t.equal(unavailable.statusCode, 503);
    t.equal(unavailable.json().error.code, 'NONCE_STORE_UNAVAILABLE');
    await until('the ingress to give up giving the claim back', () => ingress.log.some((line) => /not given back/.test(line.msg)));
    t.match(await raw.get(`${KEY_PREFIX}pmp:lost-answer-0001`), /^held:\d+:/, 'the claim landed and could not be given back');
    proxy.restore();

    const answers: string[] = [];
    let code = 'NONCE_STORE_UNAVAILABLE';
    await until(
      'the replica to reach Redis again',
      async () => {
        const response = await ingress.post(request);
        code = response.statusCode === 503 ? response.json().error.code : String(response.statusCode);
        answers.push(code);
        return code !== 'NONCE_STORE_UNAVAILABLE';
      },
      20_000,
    );
    t.equal(code, 'NONCE_IN_PROGRESS', 'the identical retry is told to come back, not refused');
    t.notOk(answers.includes('409'), `never 409 (${[...new Set(answers)].join(', ')})`);
    t.equal(ingress.published.length, 0);

    clock.now += PRODUCE_TIMEOUT_MS + NONCE_LEASE_MARGIN_MS;
    const retried = await ingress.post(request);
    t.equal(retried.statusCode, 202, 'the lease over: the retry takes the claim over and is accepted');
    t.equal(ingress.published.length, 1, 'published once');
    t.equal((await ingress.post(request)).json().error.code, 'NONCE_REPLAYED', 'then the nonce is spent');
    t.equal(ingress.published.length, 1);
  });

  t.test('the identical request at two replicas at once is published once', async (t) => {
    const [a, b] = [await replica(t, redis.url, clock), await replica(t, redis.url, clock)];
    const request = delivered('PMP-race-4', 'concurrent-0001');
    a.hold();
    const atA = a.post(request);
    await until('A to be publishing', () => a.waiting() === 1);
    const atB = await b.post(request);
    t.equal(atB.statusCode, 503, 'B: retry later');
    t.equal(atB.json().error.code, 'NONCE_IN_PROGRESS');
    t.equal(atB.headers['retry-after'], '1');
    a.letGo();
    t.equal((await atA).statusCode, 202, 'A accepted it');
    t.equal((await b.post(request)).json().error.code, 'NONCE_REPLAYED', 'B’s retry: accepted by A already');
    t.equal(a.published.length + b.published.length, 1, 'published once');
  });
});
