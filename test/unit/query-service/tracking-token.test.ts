// The customer's tracking link: signed, expiring, deterministic; a tampered, truncated or foreign token is invalid;
// the page's language from ?lang= or Accept-Language.
import t from 'tap';
import { signTrackingToken, trackingLink, verifyTrackingToken } from '../../../query-service/tracking-token.js';
import { pickLanguage } from '../../../query-service/tracking-routes.js';

const SECRET = 'tracking-test-secret-0123456789abcdef';
const NOW = Date.parse('2026-12-06T10:00:00Z');
const in1h = Math.floor(NOW / 1000) + 3600;

t.test('a signed token opens until it expires', async (t) => {
  const token = signTrackingToken(SECRET, { orderId: 'QC0042-000123', expiresAt: in1h });
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/, 'payload.signature, base64url, 128-bit signature');
  t.same(verifyTrackingToken(SECRET, token, NOW), { ok: true, claim: { orderId: 'QC0042-000123', expiresAt: in1h } });
  t.same(
    verifyTrackingToken(SECRET, token, in1h * 1000 - 1),
    { ok: true, claim: { orderId: 'QC0042-000123', expiresAt: in1h } },
    'the last millisecond',
  );
  t.same(verifyTrackingToken(SECRET, token, in1h * 1000), { ok: false, reason: 'expired' }, 'expired at its time');
  t.equal(signTrackingToken(SECRET, { orderId: 'QC0042-000123', expiresAt: in1h }), token, 'deterministic: a resend carries the same link');
});

t.test('tampered, foreign and malformed tokens are invalid', async (t) => {
  const token = signTrackingToken(SECRET, { orderId: 'QC0042-000123', expiresAt: in1h });
  const [payload, signature] = token.split('.') as [string, string];
  const otherOrder = Buffer.from(`QC0042-000124|${in1h}`).toString('base64url');
  const later = Buffer.from(`QC0042-000123|${in1h + 86_400 * 365}`).toString('base64url');
  const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
  const cases: Array<[string, string]> = [
    ['another order, the same signature', `${otherOrder}.${signature}`],
    ['a later expiry, the same signature', `${later}.${signature}`],
    ['one character of the signature changed', `${payload}.${flip(signature, 5)}`],
    ['one character of the payload changed', `${flip(payload, 3)}.${signature}`],
    ['signed with another secret', signTrackingToken('another-secret-0123456789abcdef-xyz', { orderId: 'QC0042-000123', expiresAt: in1h })],
    ['no signature', payload],
    ['a truncated signature', `${payload}.${signature.slice(0, 10)}`],
    ['empty', ''],
    ['not base64url', `${payload}.${signature}!`],
    ['too long', `${'A'.repeat(300)}.${signature}`],
  ];
  for (const [what, candidate] of cases) t.same(verifyTrackingToken(SECRET, candidate, NOW), { ok: false, reason: 'invalid' }, what);
  // An expired token with a bad signature is invalid, not expired: nothing is read before the signature holds.
  const old = signTrackingToken('another-secret-0123456789abcdef-xyz', { orderId: 'QC0042-000123', expiresAt: 1 });
  t.same(verifyTrackingToken(SECRET, old, NOW), { ok: false, reason: 'invalid' });
  t.throws(() => signTrackingToken(SECRET, { orderId: 'bad id|x', expiresAt: in1h }), /not an OrderID/);
});

t.test('the link of a message expires linkDays after the change it tells of', async (t) => {
  const link = trackingLink('https://track.omnia.example/', SECRET, 'QC0042-000123', '2026-12-06T10:00:00Z', 30);
  t.match(link, /^https:\/\/track\.omnia\.example\/track\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const token = link.slice(link.lastIndexOf('/') + 1);
  const verdict = verifyTrackingToken(SECRET, token, NOW);
  t.same(verdict, { ok: true, claim: { orderId: 'QC0042-000123', expiresAt: Math.floor(NOW / 1000) + 30 * 86_400 } });
  t.same(verifyTrackingToken(SECRET, token, NOW + 30 * 86_400_000), { ok: false, reason: 'expired' });
});

t.test('the page’s language', async (t) => {
  t.equal(pickLanguage(undefined, undefined), 'th', 'Thai by default');
  t.equal(pickLanguage('en', 'th-TH'), 'en', '?lang= first');
  t.equal(pickLanguage('fr', 'en-US,en;q=0.9'), 'en', 'an unknown ?lang= is ignored');
  t.equal(pickLanguage(undefined, 'en-US,en;q=0.9,th;q=0.8'), 'en');
  t.equal(pickLanguage(undefined, 'th-TH,th;q=0.9,en;q=0.8'), 'th');
  t.equal(pickLanguage(undefined, 'fr-FR,en;q=0.5,th;q=0.7'), 'th', 'by q');
  t.equal(pickLanguage(undefined, 'de-DE,fr;q=0.9'), 'th', 'neither: Thai');
  t.equal(pickLanguage(undefined, 'en;q=0'), 'th', 'q=0 refuses');
});
