import { createHmac } from 'node:crypto';
import t from 'tap';
import { NonceCache } from '../../../connectors/nonce-cache.js';
import { NONCE_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, verifyWebhook } from '../../../connectors/signature.js';

const SECRET = 'slick-secret-0123456789abcdef';
const BODY = '{"EventID":"E1","Note":"สวัสดี"}';
const NOW = 1_790_000_000_000;
const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

t.test('signWebhook implements the contract: sha256=hex(HMAC(secret, "ts.nonce.body")) over the body bytes', async (t) => {
  const headers = signWebhook(SECRET, BODY, { timestamp: 1_790_000_000, nonce: 'nonce-0001' });
  const expected = createHmac('sha256', SECRET).update(`1790000000.nonce-0001.${BODY}`).digest('hex');
  t.same(headers, { [TIMESTAMP_HEADER]: '1790000000', [NONCE_HEADER]: 'nonce-0001', [SIGNATURE_HEADER]: `sha256=${expected}` });
  t.same(
    signWebhook(SECRET, Buffer.from(BODY), { timestamp: 1_790_000_000, nonce: 'nonce-0001' }),
    headers,
    'a Buffer body signs the same as its UTF-8 string',
  );
  const fresh = signWebhook(SECRET, BODY);
  t.match(fresh[NONCE_HEADER], /^[A-Za-z0-9_-]{8,128}$/, 'a generated nonce fits the alphabet');
  t.not(signWebhook(SECRET, BODY)[NONCE_HEADER], fresh[NONCE_HEADER], 'and is new every call');
  t.throws(() => signWebhook(SECRET, BODY, { nonce: 'short' }), /nonce/);
  t.throws(() => signWebhook(SECRET, BODY, { nonce: 'has space in it' }), /nonce/);
});

t.test('verifyWebhook accepts a signed request, with lower-cased (Node) or canonical header names', async (t) => {
  const headers = signWebhook(SECRET, BODY, { timestamp: NOW / 1000, nonce: 'abcdefgh' });
  t.same(verifyWebhook(SECRET, Buffer.from(BODY), lower(headers), { nowMs: NOW }), { ok: true, timestamp: NOW / 1000, nonce: 'abcdefgh' });
  t.ok(verifyWebhook(SECRET, BODY, headers, { nowMs: NOW }).ok);
  const upperHex = { ...lower(headers), 'x-omnia-signature': `sha256=${headers[SIGNATURE_HEADER].slice('sha256='.length).toUpperCase()}` };
  t.ok(verifyWebhook(SECRET, BODY, upperHex, { nowMs: NOW }).ok, 'hex digits in either case');
});

t.test('verifyWebhook refuses forged, altered, mis-formed and missing signatures with SIGNATURE_INVALID', async (t) => {
  const good = lower(signWebhook(SECRET, BODY, { timestamp: NOW / 1000, nonce: 'abcdefgh' }));
  const cases: Array<[string, Record<string, string | string[] | undefined>, string | Buffer, RegExp]> = [
    [
      'another secret',
      lower(signWebhook('grab-secret-0123456789abcdef', BODY, { timestamp: NOW / 1000, nonce: 'abcdefgh' })),
      BODY,
      /does not match/,
    ],
    ['body changed by one byte', good, BODY.replace('E1', 'E2'), /does not match/],
    ['body re-serialised (whitespace)', good, JSON.stringify(JSON.parse(BODY), null, 1), /does not match/],
    ['nonce changed', { ...good, 'x-omnia-nonce': 'abcdefgi' }, BODY, /does not match/],
    ['timestamp changed', { ...good, 'x-omnia-timestamp': String(NOW / 1000 + 1) }, BODY, /does not match/],
    ['no signature', { ...good, 'x-omnia-signature': undefined }, BODY, /missing X-Omnia-Signature/],
    ['no nonce', { ...good, 'x-omnia-nonce': undefined }, BODY, /missing X-Omnia-Nonce/],
    ['no timestamp', { ...good, 'x-omnia-timestamp': '' }, BODY, /missing X-Omnia-Timestamp/],
    ['repeated header', { ...good, 'x-omnia-signature': [good['x-omnia-signature']!, good['x-omnia-signature']!] }, BODY, /more than once/],
    ['another scheme', { ...good, 'x-omnia-signature': good['x-omnia-signature']!.replace('sha256=', 'sha1=') }, BODY, /sha256=/],
    ['truncated hex', { ...good, 'x-omnia-signature': good['x-omnia-signature']!.slice(0, -2) }, BODY, /sha256=/],
    ['non-hex', { ...good, 'x-omnia-signature': `sha256=${'z'.repeat(64)}` }, BODY, /sha256=/],
    ['nonce too short', { ...good, 'x-omnia-nonce': 'abc' }, BODY, /8–128/],
    ['nonce with other characters', { ...good, 'x-omnia-nonce': 'abc/defgh' }, BODY, /8–128/],
    ['timestamp in ms with a dot', { ...good, 'x-omnia-timestamp': '1790000000.5' }, BODY, /unix seconds/],
  ];
  for (const [name, headers, body, message] of cases) {
    const result = verifyWebhook(SECRET, body, headers, { nowMs: NOW });
    t.equal(result.ok, false, name);
    if (!result.ok) {
      t.equal(result.code, 'SIGNATURE_INVALID', `${name}: code`);
      t.match(result.message, message, `${name}: message`);
    }
  }
});

t.test('the timestamp window is ±tolerance, checked after the HMAC', async (t) => {
  const at = (offsetSeconds: number, secret = SECRET) =>
    lower(signWebhook(secret, BODY, { timestamp: NOW / 1000 + offsetSeconds, nonce: 'abcdefgh' }));
  for (const offset of [-300, 300, 0, -299]) t.ok(verifyWebhook(SECRET, BODY, at(offset), { nowMs: NOW }).ok, `${offset} s accepted`);
  for (const offset of [-301, 301, -86_400]) {
    const result = verifyWebhook(SECRET, BODY, at(offset), { nowMs: NOW });
    t.same(result.ok ? null : result.code, 'TIMESTAMP_OUT_OF_WINDOW', `${offset} s refused`);
  }
  const forgedStale = verifyWebhook(SECRET, BODY, at(-3600, 'wrong-secret-xxxxxxxxxxxxxxx'), { nowMs: NOW });
  t.same(forgedStale.ok ? null : forgedStale.code, 'SIGNATURE_INVALID', 'a forged stale request is told only that its signature is wrong');
  t.ok(verifyWebhook(SECRET, BODY, at(-50), { nowMs: NOW, toleranceSeconds: 60 }).ok);
  t.notOk(verifyWebhook(SECRET, BODY, at(-61), { nowMs: NOW, toleranceSeconds: 60 }).ok, 'a configured window');
});

t.test('NonceCache: a nonce is claimed once for twice the window, memory stays bounded', async (t) => {
  const cache = NonceCache.forWindow(300, 3);
  t.equal(cache.claim('slick:a', 0), 'claimed');
  t.equal(cache.claim('slick:a', 599_999), 'replayed', 'still remembered just before 2 × window');
  t.equal(cache.claim('grab:a', 1), 'claimed', 'partners have their own nonces');
  t.equal(cache.claim('slick:b', 2), 'claimed');
  t.equal(cache.claim('slick:c', 3), 'full', 'full of live nonces: refused, none forgotten');
  t.equal(cache.size, 3);
  t.equal(cache.claim('slick:a', 600_000), 'claimed', 'expired at 2 × window, so reusable (its timestamp can no longer pass)');
  t.equal(cache.size, 3, 'the expired one was evicted to make room');
  cache.release('slick:b');
  t.equal(cache.claim('slick:b', 600_001), 'claimed', 'a released nonce can be claimed again');
  t.equal(cache.claim('slick:c', 1_300_000), 'claimed', 'everything expired: room again');
  t.equal(cache.size, 1);
  t.throws(() => new NonceCache(0, 1));
  t.throws(() => new NonceCache(1000, 0));
});
