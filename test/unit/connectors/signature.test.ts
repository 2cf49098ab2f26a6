import { createHash, createHmac } from 'node:crypto';
import t from 'tap';
import {
  NONCE_HEADER,
  SIGNATURE_HEADER,
  signedDigest,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '../../../connectors/signature.js';

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
  t.same(verifyWebhook(SECRET, Buffer.from(BODY), lower(headers), { nowMs: NOW }), {
    ok: true,
    timestamp: NOW / 1000,
    nonce: 'abcdefgh',
    digest: createHash('sha256')
      .update(`${NOW / 1000}.abcdefgh.${BODY}`)
      .digest('hex'),
    secretIndex: 0,
  });
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

t.test('two secrets during a rotation: a signature made with either passes and says which; any other is refused', async (t) => {
  const current = 'grab-secret-new-0123456789abcdef';
  const previous = 'grab-secret-old-0123456789abcdef';
  const signedWith = (secret: string) => lower(signWebhook(secret, BODY, { timestamp: NOW / 1000, nonce: 'rotation-1' }));
  const withCurrent = verifyWebhook([current, previous], BODY, signedWith(current), { nowMs: NOW });
  const withPrevious = verifyWebhook([current, previous], BODY, signedWith(previous), { nowMs: NOW });
  t.match(withCurrent, { ok: true, secretIndex: 0 }, 'the current secret');
  t.match(withPrevious, { ok: true, secretIndex: 1 }, 'the previous secret');
  if (withCurrent.ok && withPrevious.ok)
    t.equal(withCurrent.digest, withPrevious.digest, 'the same signed bytes have the same digest whichever secret signed them');
  const other = verifyWebhook([current, previous], BODY, signedWith(SECRET), { nowMs: NOW });
  t.match(other, { ok: false, code: 'SIGNATURE_INVALID' }, 'a third secret');
  t.match(verifyWebhook([current], BODY, signedWith(previous), { nowMs: NOW }), { ok: false, code: 'SIGNATURE_INVALID' }, 'once unset');
  const stale = lower(signWebhook(previous, BODY, { timestamp: NOW / 1000 - 301, nonce: 'rotation-2' }));
  t.match(
    verifyWebhook([current, previous], BODY, stale, { nowMs: NOW }),
    { ok: false, code: 'TIMESTAMP_OUT_OF_WINDOW' },
    'the window applies',
  );
});

t.test('signedDigest covers timestamp, nonce and body: any of them changed is another request', async (t) => {
  const digest = signedDigest('1790000000', 'nonce-0001', BODY);
  t.match(digest, /^[0-9a-f]{64}$/);
  t.equal(signedDigest('1790000000', 'nonce-0001', Buffer.from(BODY)), digest, 'a Buffer body as its UTF-8 string');
  t.not(signedDigest('1790000001', 'nonce-0001', BODY), digest, 'timestamp');
  t.not(signedDigest('1790000000', 'nonce-0002', BODY), digest, 'nonce');
  t.not(signedDigest('1790000000', 'nonce-0001', BODY.replace('E1', 'E2')), digest, 'body');
});
