import t from 'tap';
import { devToken } from '../../../query-service/app.js';
import { TokenBuckets } from '../../../query-service/rate-limit.js';
import { bearer, hs256, T0, testService } from './helpers.js';

t.test('per token: the burst passes, then 429 with Retry-After; the bucket refills with time', async (t) => {
  const service = testService({ rateLimit: { perSecond: 2, burst: 3 } });
  const alice = bearer(devToken(hs256, { sub: 'alice', jti: 'a' }, T0));
  const bob = bearer(devToken(hs256, { sub: 'bob', jti: 'b' }, T0));
  const ask = (headers: Record<string, string>) => service.app.inject({ url: '/api/v1/orders/O-100', headers });

  const first = await ask(alice);
  t.equal(first.statusCode, 200);
  t.equal(first.headers['ratelimit-limit'], '3');
  t.equal(first.headers['ratelimit-remaining'], '2');
  t.equal(first.headers['ratelimit-policy'], '3;w=2');
  t.equal((await ask(alice)).statusCode, 200);
  t.equal((await ask(alice)).headers['ratelimit-remaining'], '0');

  const limited = await ask(alice);
  t.equal(limited.statusCode, 429);
  t.same(limited.json().error.code, 'RATE_LIMITED');
  t.equal(limited.headers['retry-after'], '1');
  t.equal(limited.headers['ratelimit-remaining'], '0');
  t.equal(limited.headers['x-content-type-options'], 'nosniff', 'a 429 has the security headers too');
  t.equal((await ask(bob)).statusCode, 200, 'another token has its own bucket');
  t.equal((await service.app.inject({ url: '/health/live' })).statusCode, 200, 'open routes are not limited');

  service.clock.now += 500;
  const recovered = await ask(alice);
  t.equal(recovered.statusCode, 200, 'half a second at 2/s is one request');
  t.equal(recovered.headers['ratelimit-remaining'], '0');
  t.equal((await ask(alice)).statusCode, 429);
  service.clock.now += 10_000;
  t.equal((await ask(alice)).headers['ratelimit-remaining'], '2', 'an idle token is back to its full burst, not more');
  const metrics = await service.app.inject({ url: '/metrics' });
  t.match(metrics.body, /omnia_query_rate_limited_total 2/);
});

t.test('a bad token is refused before the rate limit, and takes nothing from any bucket', async (t) => {
  const service = testService({ rateLimit: { perSecond: 1, burst: 1 } });
  for (let i = 0; i < 5; i++) t.equal((await service.app.inject({ url: '/api/v1/orders/O-100', headers: bearer('x.y.z') })).statusCode, 401);
  t.equal((await service.app.inject({ url: '/api/v1/orders/O-100', headers: bearer(devToken(hs256, {}, T0)) })).statusCode, 200);
});

t.test('buckets: memory stays bounded — idle full buckets are swept, and past maxBuckets the least recently used goes', async (t) => {
  const buckets = new TokenBuckets({ perSecond: 10, burst: 10, maxBuckets: 100 });
  for (let i = 0; i < 1000; i++) buckets.take(`token-${i}`, 0);
  t.equal(buckets.size, 100, 'never more than maxBuckets');
  t.equal(buckets.take('token-999', 0).remaining, 8, 'a recent bucket was kept');
  t.equal(buckets.take('token-0', 0).remaining, 9, 'an evicted one starts full again');

  buckets.take('busy', 500);
  for (let i = 0; i < 9; i++) buckets.take('busy', 999);
  buckets.take('fresh', 1_000);
  t.ok(buckets.size <= 3, `after a fill period only recently used buckets remain (${buckets.size})`);
  t.equal(buckets.take('busy', 1_000).remaining, 0, 'a bucket still in use keeps its debt');
});

t.test('buckets: continuous refill, capped at the burst; fractional rates work', async (t) => {
  const buckets = new TokenBuckets({ perSecond: 0.5, burst: 2 });
  t.ok(buckets.take('k', 0).allowed);
  t.ok(buckets.take('k', 0).allowed);
  const refused = buckets.take('k', 0);
  t.notOk(refused.allowed);
  t.equal(refused.retryAfterSeconds, 2);
  t.equal(refused.resetSeconds, 4);
  t.notOk(buckets.take('k', 1_999).allowed);
  t.ok(buckets.take('k', 2_000).allowed);
  t.throws(() => new TokenBuckets({ perSecond: 0, burst: 1 }));
  t.throws(() => new TokenBuckets({ perSecond: 1, burst: 0.5 }));
});
