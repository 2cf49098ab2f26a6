// The in-process nonce store: a nonce is remembered for twice the window in bounded memory, held by one attempt
// for a lease, then spent; an identical resend is told apart from a reused nonce by the digest of what was signed.
import t from 'tap';
import { type NonceClaim, NonceCache } from '../../../connectors/nonce-cache.js';

const LEASE_MS = 15_000;
let holders = 0;
/** A new attempt at the request `key` signed with `digest`. */
const attempt = (key: string, digest = 'digest-a'): NonceClaim => ({ key, digest, holder: `attempt-${++holders}`, leaseMs: LEASE_MS });

t.test('a nonce is claimed once for twice the window, memory stays bounded', async (t) => {
  const cache = NonceCache.forWindow(300, 3);
  const first = attempt('slick:a');
  t.equal(cache.claim(first, 0), 'claimed');
  t.ok(cache.spend(first));
  t.equal(cache.claim(attempt('slick:a'), 599_999), 'replayed', 'still remembered just before 2 × window');
  t.equal(cache.claim(attempt('grab:a'), 1), 'claimed', 'partners have their own nonces');
  const b = attempt('slick:b');
  t.equal(cache.claim(b, 2), 'claimed');
  t.equal(cache.claim(attempt('slick:c'), 3), 'full', 'full of live nonces: refused, none forgotten');
  t.equal(cache.size, 3);
  t.equal(cache.claim(attempt('slick:a'), 600_000), 'claimed', 'expired at 2 × window, so reusable (its timestamp can no longer pass)');
  t.equal(cache.size, 3, 'the expired one was evicted to make room');
  cache.release(b);
  t.equal(cache.claim(attempt('slick:b'), 600_001), 'claimed', 'a released nonce can be claimed again');
  t.equal(cache.claim(attempt('slick:c'), 1_300_000), 'claimed', 'everything expired: room again');
  t.equal(cache.size, 1);
  t.throws(() => new NonceCache(0, 1));
  t.throws(() => new NonceCache(1000, 0));
});

t.test('held: the identical request waits out the lease, then takes the claim over; another digest is a replay', async (t) => {
  const cache = NonceCache.forWindow(300, 10);
  const lost = attempt('pmp:n1');
  t.equal(cache.claim(lost, 1_000), 'claimed');
  t.equal(cache.claim(attempt('pmp:n1', 'digest-b'), 1_001), 'replayed', 'the nonce reused for other bytes');
  t.equal(cache.claim(attempt('pmp:n1'), 1_000 + LEASE_MS - 1), 'in-progress', 'the identical request while the lease runs');
  t.equal(cache.claim(lost, 1_002), 'claimed', 'its own holder claiming again (a resent command) keeps it');
  const retry = attempt('pmp:n1');
  t.equal(cache.claim(retry, 1_002 + LEASE_MS), 'claimed', 'the lease over: the identical retry takes it over');
  t.notOk(cache.spend(lost), 'the attempt it was taken from cannot spend it');
  cache.release(lost);
  t.equal(cache.claim(attempt('pmp:n1'), 1_003 + LEASE_MS), 'in-progress', 'nor release it: still held by the retry');
  t.ok(cache.spend(retry), 'the holder spends it');
  t.equal(cache.claim(attempt('pmp:n1'), 1_000 + 10 * LEASE_MS), 'replayed', 'spent: the identical request is a replay for good');
  cache.release(retry);
  t.equal(cache.claim(attempt('pmp:n1'), 1_000 + 10 * LEASE_MS), 'replayed', 'a spent claim is not released');
  t.equal(cache.size, 1);
});

t.test('a taken-over claim keeps its first expiry', async (t) => {
  const cache = NonceCache.forWindow(1, 10); // remembered 2 s
  t.equal(cache.claim({ key: 'pmp:n2', digest: 'd', holder: 'a', leaseMs: 100 }, 0), 'claimed');
  t.equal(cache.claim({ key: 'pmp:n2', digest: 'd', holder: 'b', leaseMs: 100 }, 1_500), 'claimed', 'taken over');
  t.equal(cache.claim({ key: 'pmp:n2', digest: 'other', holder: 'c', leaseMs: 100 }, 1_999), 'replayed');
  t.equal(
    cache.claim({ key: 'pmp:n2', digest: 'other', holder: 'c', leaseMs: 100 }, 2_000),
    'claimed',
    'expired 2 s after it was first claimed',
  );
});
