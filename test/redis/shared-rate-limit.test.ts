/**
 * Query-service replicas sharing one per-token rate limit in a real Redis (a redis-server of the test's own):
 * @fastify/rate-limit with the node-redis store. Requests to either replica count against one window; with
 * Redis gone the replicas let requests through (unlimited) and count again once it is back.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createClient } from 'redis';
import t, { type Test } from 'tap';
import type { SqlDatabase } from '../../postgres/sql.js';
import { buildQueryService, type RoutePlugin } from '../../query-service/app.js';
import { devToken } from '../../query-service/auth.js';
import type { LocalOrders } from '../../query-service/local-orders.js';
import { connectRateLimitRedis, redisRateLimitStore } from '../../query-service/redis-rate-limit-store.js';
import { startQueryService } from '../../query-service/service.js';
import { freePort } from '../free-port.js';
import { waitFor } from '../kafka/harness.js';
import { PrivateRedis, requireRedis } from './private-redis.js';

const SECRET = 'rate-limit-test-secret-at-least-32-bytes';
const auth = { secret: SECRET };
const token = (jti: string) => ({ authorization: `Bearer ${devToken(auth, { jti })}` });

const ping: RoutePlugin = async (app) => {
  app.get(
    '/ping',
    { schema: { summary: 'Answers', tags: ['test'], response: { 200: { type: 'object', properties: { pong: { type: 'boolean' } } } } } },
    async () => ({ pong: true }),
  );
};

/** One replica: the service with its own Redis client, as each process has. */
async function replica(t: Test, redis: PrivateRedis, limit: { perSecond: number; burst: number }) {
  const client = await connectRateLimitRedis(redis.url, 1_000);
  const app = buildQueryService({
    auth,
    rateLimit: { ...limit, store: redisRateLimitStore(client, { commandTimeoutMs: 250 }) },
    readiness: () => ({ ready: true }),
    registry: new Registry(),
    routes: [ping],
    logger: pino({ level: 'silent' }),
  });
  t.teardown(async () => {
    await app.close();
    await client.close().catch(() => client.destroy());
  });
  return (jti: string) => app.inject({ url: '/api/v1/ping', headers: token(jti) });
}

t.test('replicas on one Redis', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());

  t.test('two services share one limit per token; the window ends for both', async (t) => {
    // 4 requests per 4 / 2 s = 2 s, whichever replica they reach.
    const limit = { perSecond: 2, burst: 4 };
    const [a, b] = [await replica(t, redis, limit), await replica(t, redis, limit)];
    t.equal((await a('shared-1')).statusCode, 200);
    t.equal((await b('shared-1')).headers['ratelimit-remaining'], '2', 'B counts what A counted');
    t.equal((await a('shared-1')).statusCode, 200);
    const last = await b('shared-1');
    t.equal(last.statusCode, 200);
    t.equal(last.headers['ratelimit-remaining'], '0');
    for (const [name, ask] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const limited = await ask('shared-1');
      t.equal(limited.statusCode, 429, `${name}: the fifth and later requests are refused`);
      t.equal(limited.json().error.code, 'RATE_LIMITED');
      t.ok(Number(limited.headers['retry-after']) >= 1);
    }
    t.equal((await b('shared-other')).statusCode, 200, 'another token has its own count');

    const raw = createClient({ url: redis.url });
    await raw.connect();
    t.teardown(() => raw.close());
    const keys = await raw.keys('omnia:query-rate-limit:*');
    t.same(
      keys.sort(),
      ['omnia:query-rate-limit:jti:shared-1', 'omnia:query-rate-limit:jti:shared-other'],
      'one counter per token, keyed by its jti',
    );
    const ttl = await raw.pTTL('omnia:query-rate-limit:jti:shared-1');
    t.ok(ttl > 0 && ttl <= 2_000, `the counter expires with its window (PTTL ${ttl} ms)`);

    await waitFor('the window to end', async () => (await a('shared-1')).statusCode === 200, 5_000);
    t.equal((await b('shared-1')).headers['ratelimit-remaining'], '2', 'a new window, counted for both');
  });

  t.test('Redis gone: requests pass, unlimited; Redis back: the limit holds again without a restart', async (t) => {
    const limit = { perSecond: 0.5, burst: 2 };
    const [a, b] = [await replica(t, redis, limit), await replica(t, redis, limit)];
    t.equal((await a('outage')).statusCode, 200);
    t.equal((await b('outage')).statusCode, 200);
    t.equal((await a('outage')).statusCode, 429);
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const response = await (i % 2 ? a : b)('outage');
      t.equal(response.statusCode, 200, `request ${i + 1} while Redis is down passes`);
      t.equal(response.headers['ratelimit-remaining'], '2', 'uncounted');
    }
    await redis.start();
    // Each replica's client reconnects by itself. A token's first request counted leaves 1 of 2; one let
    // through uncounted says 2.
    let probe = 0;
    const counts = async (ask: typeof a) => (await ask(`probe-${++probe}`)).headers['ratelimit-remaining'] === '1';
    await waitFor('both replicas to count in Redis again', async () => (await counts(a)) && (await counts(b)), 20_000);
    t.equal((await a('after-outage')).statusCode, 200);
    t.equal((await b('after-outage')).statusCode, 200);
    t.equal((await a('after-outage')).statusCode, 429, 'limited again, across replicas');
  });
});

t.test('OMNIA_RATE_LIMIT_REDIS_URL: two query services as omnia start runs them share the limit', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());
  const start = async () => {
    const env = {
      PORT: String(await freePort()),
      OMNIA_QUERY_HOST: '127.0.0.1',
      OMNIA_JWT_SECRET: SECRET,
      OMNIA_RATE_LIMIT_PER_SECOND: '1',
      OMNIA_RATE_LIMIT_BURST: '3',
      OMNIA_RATE_LIMIT_REDIS_URL: redis.url,
    };
    // Nothing here reads orders: the lookup and search routes are registered but not called.
    const service = await startQueryService({
      db: {} as SqlDatabase,
      local: {} as LocalOrders,
      registry: new Registry(),
      readiness: () => ({ ready: true }),
      routes: [ping],
      env,
      logger: pino({ level: 'silent' }),
    });
    t.teardown(() => service.app.close());
    return (jti: string) => fetch(`${service.url}/api/v1/ping`, { headers: token(jti) });
  };
  const [a, b] = [await start(), await start()];
  const statuses = [];
  for (const ask of [a, b, a, b, a]) statuses.push((await ask('env-1')).status);
  t.same(statuses, [200, 200, 200, 429, 429], 'three per window for the pair, not three each');
});

t.test('a rate-limit Redis nobody answers at stops the service at start, naming it without its password', async (t) => {
  const url = `redis://:secret@127.0.0.1:${await freePort()}`;
  const env = { PORT: String(await freePort()), OMNIA_QUERY_HOST: '127.0.0.1', OMNIA_JWT_SECRET: SECRET, OMNIA_RATE_LIMIT_REDIS_URL: url };
  await t.rejects(
    startQueryService({
      db: {} as SqlDatabase,
      local: {} as LocalOrders,
      registry: new Registry(),
      readiness: () => ({ ready: true }),
      env,
      logger: pino({ level: 'silent' }),
    }),
    /cannot connect to the rate-limit Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/,
  );
});
