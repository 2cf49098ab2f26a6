import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import t from 'tap';
import { devToken } from '../../../query-service/app.js';
import { rateLimitWindow } from '../../../query-service/plugins.js';
import { bearer, hs256, T0, testService } from './helpers.js';

t.test('per token: the burst passes, then 429 with Retry-After; the next window lets it through again', async (t) => {
  // 3 requests per 3 / 1.5 s = 2 s.
  const service = testService({ rateLimit: { perSecond: 1.5, burst: 3 } });
  const alice = bearer(devToken(hs256, { sub: 'alice', jti: 'a' }, T0));
  const bob = bearer(devToken(hs256, { sub: 'bob', jti: 'b' }, T0));
  const ask = (headers: Record<string, string>) => service.app.inject({ url: '/api/v1/orders/O-100', headers });

  const first = await ask(alice);
  t.equal(first.statusCode, 200);
  t.equal(first.headers['ratelimit-limit'], '3');
  t.equal(first.headers['ratelimit-remaining'], '2');
  t.equal(first.headers['ratelimit-reset'], '2', 'seconds until the window ends, rounded up');
  t.equal((await ask(alice)).statusCode, 200);
  t.equal((await ask(alice)).headers['ratelimit-remaining'], '0');

  const limited = await ask(alice);
  t.equal(limited.statusCode, 429);
  t.match(
    limited.json(),
    { error: { code: 'RATE_LIMITED', message: /^Too many requests for this token; retry in [12] s$/ } },
    'the service’s error shape',
  );
  t.same(Object.keys(limited.json().error), ['code', 'message']);
  t.match(limited.headers['retry-after'], /^[12]$/);
  t.equal(limited.headers['ratelimit-remaining'], '0');
  t.equal(limited.headers['x-content-type-options'], 'nosniff', 'a 429 has the security headers too');
  t.equal((await ask(bob)).statusCode, 200, 'another token has its own count');
  t.equal((await service.app.inject({ url: '/health/live' })).statusCode, 200, 'open routes are not limited');
  t.notOk((await service.app.inject({ url: '/health/live' })).headers['ratelimit-limit']);

  await sleep(Number(limited.headers['ratelimit-reset']) * 1000 + 50);
  const recovered = await ask(alice);
  t.equal(recovered.statusCode, 200, 'a new window');
  t.equal(recovered.headers['ratelimit-remaining'], '2', 'with the full burst, not more');
  const metrics = await service.app.inject({ url: '/metrics' });
  t.match(metrics.body, /omnia_query_rate_limited_total 1/);
});

t.test('a bad token is refused before the rate limit, and counts against nothing', async (t) => {
  const service = testService({ rateLimit: { perSecond: 0.01, burst: 1 } });
  for (let i = 0; i < 5; i++)
    t.equal((await service.app.inject({ url: '/api/v1/orders/O-100', headers: bearer('x.y.z') })).statusCode, 401);
  t.equal((await service.app.inject({ url: '/api/v1/orders/O-100', headers: bearer(devToken(hs256, {}, T0)) })).statusCode, 200);
});

t.test('a store that fails lets requests through (a rate-limit outage does not take the API down)', async (t) => {
  let calls = 0;
  class FailingStore implements FastifyRateLimitStore {
    incr(_key: string, callback: (error: Error | null) => void): void {
      calls++;
      callback(new Error('store down'));
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  }
  const service = testService({ rateLimit: { perSecond: 1, burst: 1, store: FailingStore as unknown as FastifyRateLimitStoreCtor } });
  const token = bearer(devToken(hs256, {}, T0));
  for (let i = 0; i < 3; i++) t.equal((await service.app.inject({ url: '/api/v1/orders/O-100', headers: token })).statusCode, 200);
  t.equal(calls, 3, 'the store was asked each time');
});

t.test('the window of the settings: BURST requests per BURST / PER_SECOND seconds', async (t) => {
  t.same(rateLimitWindow({ perSecond: 20, burst: 40 }), { max: 40, timeWindowMs: 2000 });
  t.same(rateLimitWindow({ perSecond: 2.5, burst: 10 }), { max: 10, timeWindowMs: 4000 });
  t.same(rateLimitWindow({ perSecond: 1_000_000, burst: 1_000_000 }), { max: 1_000_000, timeWindowMs: 1000 });
  t.throws(() => rateLimitWindow({ perSecond: 0, burst: 1 }));
  t.throws(() => rateLimitWindow({ perSecond: 1, burst: 0.5 }));
});
