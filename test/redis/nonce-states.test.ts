/**
 * The Redis nonce store's states on a real redis-server of the test's own, as nonce-cache.ts has them in
 * process: held by one attempt for a lease (an identical request is in progress, another digest a replay),
 * taken over once the lease is over (keeping the key's expiry), spent or released only by its holder; a key
 * written before these states reads as spent.
 */
import { createClient } from 'redis';
import t from 'tap';
import type { NonceClaim } from '../../connectors/nonce-cache.js';
import { RedisNonceStore } from '../../connectors/redis-nonce-store.js';
import { capturingLogger } from '../unit/connectors/helpers.js';
import { PrivateRedis, requireRedis } from './private-redis.js';

const TTL_MS = 600_000;
const LEASE_MS = 15_000;
const NOW = 1_790_000_000_000;
const KEY = 'omnia:webhook-nonce:pmp:nonce-0001';
const attempt = (holder: string, digest = 'digest-a'): NonceClaim => ({ key: 'pmp:nonce-0001', digest, holder, leaseMs: LEASE_MS });

t.test('nonce states in Redis', async (t) => {
  if (!requireRedis(t)) return;
  const redis = await PrivateRedis.create();
  t.teardown(() => redis.kill());
  const store = await RedisNonceStore.connect({ url: redis.url, ttlMs: TTL_MS, logger: capturingLogger().logger });
  t.teardown(() => store.close());
  const raw = createClient({ url: redis.url });
  await raw.connect();
  t.teardown(() => raw.close());

  t.test('held, in progress, taken over, spent', async (t) => {
    const [a, b] = [attempt('attempt-a'), attempt('attempt-b')];
    t.equal(await store.claim(a, NOW), 'claimed');
    t.equal(await raw.get(KEY), `held:${NOW + LEASE_MS}:attempt-a:digest-a`);
    const ttl = await raw.pTTL(KEY);
    t.ok(ttl > 0 && ttl <= TTL_MS, `expires (PTTL ${ttl} ms)`);
    t.equal(await store.claim(attempt('attempt-c', 'digest-b'), NOW + 1), 'replayed', 'another digest');
    t.equal(await store.claim(b, NOW + LEASE_MS - 1), 'in-progress', 'the identical request while the lease runs');
    t.equal(await store.claim(a, NOW + 2), 'claimed', 'its holder again (a resent command)');

    await raw.pExpire(KEY, 100_000);
    t.equal(await store.claim(b, NOW + 2 + LEASE_MS), 'claimed', 'the lease over: taken over');
    t.equal(await raw.get(KEY), `held:${NOW + 2 + 2 * LEASE_MS}:attempt-b:digest-a`);
    t.ok((await raw.pTTL(KEY)) <= 100_000, 'the takeover keeps the expiry it had');
    t.notOk(await store.spend(a), 'the attempt it was taken from cannot spend it');
    await store.release(a);
    t.match(await raw.get(KEY), /^held:\d+:attempt-b:/, 'nor release it');
    t.ok(await store.spend(b), 'its holder spends it');
    t.equal(await raw.get(KEY), 'spent::attempt-b:digest-a');
    t.equal(await store.claim(attempt('attempt-d'), NOW + 100 * LEASE_MS), 'replayed', 'spent: a replay for good');
    await store.release(b);
    t.equal(await raw.get(KEY), 'spent::attempt-b:digest-a', 'a spent nonce is not released');
    await raw.del(KEY);
  });

  t.test('released by its holder: claimed afresh', async (t) => {
    const a = attempt('attempt-e');
    t.equal(await store.claim(a, NOW), 'claimed');
    await store.release(a);
    t.equal(await raw.exists(KEY), 0);
    t.equal(await store.claim(attempt('attempt-f'), NOW), 'claimed');
    await raw.del(KEY);
  });

  t.test('a key written before these states is spent', async (t) => {
    await raw.set(KEY, '1', { expiration: { type: 'PX', value: TTL_MS } });
    t.equal(await store.claim(attempt('attempt-g'), NOW), 'replayed');
    t.equal(await raw.get(KEY), '1', 'left as it was');
    await raw.del(KEY);
  });
});
