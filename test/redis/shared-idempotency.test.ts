/**
 * Idempotency keys shared by two replicas in a real Redis (a redis-server of the test's own): the same key and
 * request answered once and replayed on the other replica; another request with the key is 422 there too; a
 * replica that sees the key while the other still runs the action waits for its answer; an answer that is not
 * kept (a 5xx) frees the key for every replica; with Redis gone each replica goes on alone.
 */
import t from 'tap';
import { ApiError } from '../../query-service/errors.js';
import { connectRateLimitRedis } from '../../query-service/redis-rate-limit-store.js';
import { IdempotentActions } from '../../query-service/idempotency.js';
import { RedisSharedKeys } from '../../query-service/shared-idempotency.js';
import { PrivateRedis, requireRedis } from './private-redis.js';

t.test('replicas sharing idempotency keys in Redis', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());
  const errors: unknown[] = [];
  const replica = async () => {
    const client = await connectRateLimitRedis(redis.url, 2_000, 'idempotency');
    t.teardown(() => client.close().catch(() => client.destroy()));
    return new IdempotentActions({ shared: new RedisSharedKeys(client, { waitMs: 2_000, onError: (error) => errors.push(error) }) });
  };
  const [a, b] = [await replica(), await replica()];
  let effects = 0;
  const cancel = async () => {
    effects++;
    return { status: 202, body: { accepted: true, effect: effects } };
  };

  const first = await a.run('key-1', 'clerk', { orderId: 'O-1' }, cancel);
  t.same(first, { status: 202, body: { accepted: true, effect: 1 }, replayed: false });
  const onB = await b.run('key-1', 'clerk', { orderId: 'O-1' }, cancel);
  t.same(onB, { status: 202, body: { accepted: true, effect: 1 }, replayed: true }, 'the other replica replays the answer');
  t.equal(effects, 1, 'one effect');
  await t.rejects(
    b.run('key-1', 'clerk', { orderId: 'O-2' }, cancel),
    { code: 'IDEMPOTENCY_KEY_REUSED' },
    'another request: 422 there too',
  );
  const otherClerk = await b.run('key-1', 'manager', { orderId: 'O-1' }, cancel);
  t.equal(otherClerk.replayed, false, 'keys are per subject');

  // A refusal is an answer like any other, replayed everywhere.
  await t.rejects(
    a.run('key-2', 'clerk', { orderId: 'O-3' }, async () => {
      throw new ApiError(409, 'ORDER_LOCKED', 'locked');
    }),
    { code: 'ORDER_LOCKED' },
  );
  t.same(await b.run('key-2', 'clerk', { orderId: 'O-3' }, cancel), {
    status: 409,
    body: { error: { code: 'ORDER_LOCKED', message: 'locked' } },
    replayed: true,
  });

  // While A runs the action, B waits for its answer instead of running it again.
  let release: () => void = () => undefined;
  const slow = a.run('key-3', 'clerk', { orderId: 'O-4' }, async () => {
    await new Promise<void>((resolve) => (release = resolve));
    effects++;
    return { status: 202, body: { slow: true } };
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const waiting = b.run('key-3', 'clerk', { orderId: 'O-4' }, cancel);
  setTimeout(() => release(), 200);
  const before = effects;
  t.same(await waiting, { status: 202, body: { slow: true }, replayed: true }, 'B answered with A’s answer');
  await slow;
  t.equal(effects, before + 1, 'run once');

  // A 5xx is not kept: the key is free again, on either replica.
  const failing = await a.run('key-4', 'clerk', { orderId: 'O-5' }, async () => ({ status: 503, body: { error: 'down' } }));
  t.equal(failing.status, 503);
  t.equal((await b.run('key-4', 'clerk', { orderId: 'O-5' }, cancel)).replayed, false, 'tried again');

  // Redis gone: each replica goes on alone, and says so.
  await redis.kill();
  const alone = await a.run('key-5', 'clerk', { orderId: 'O-6' }, cancel);
  t.equal(alone.status, 202, 'the action still runs');
  t.ok(errors.length > 0, 'the failure was reported');
  t.equal((await a.run('key-5', 'clerk', { orderId: 'O-6' }, cancel)).replayed, true, 'the process still remembers its own');
});
