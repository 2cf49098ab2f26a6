import t from 'tap';
import type { Principal } from '../../../query-service/principal.js';
import { VerifiedTokens } from '../../../query-service/verified-tokens.js';

const T0 = Date.UTC(2026, 11, 6, 8, 0, 0);
const now = T0 / 1000;
const principal = (subject: string): Principal => ({ subject, roles: ['store_staff'], stores: ['S001'], tokenId: `jti:${subject}` });

t.test('a remembered token answers with its principal until exp (plus the skew), nbf and iat checked on every hit', async (t) => {
  const tokens = new VerifiedTokens({ clockSkewSeconds: 30 });
  t.equal(tokens.get('a', T0), undefined, 'nothing before it is remembered');
  tokens.remember('a', principal('a'), { exp: now + 60 }, T0, tokens.currentKeySet());
  t.equal(tokens.get('a', T0)?.subject, 'a');
  t.equal(tokens.get('a', T0 + 89_000)?.subject, 'a', 'within the skew after exp');
  t.equal(tokens.get('a', T0 + 90_000), undefined, 'at exp + skew: gone');
  t.equal(tokens.get('a', T0), undefined, 'and forgotten, so the next use is verified again');

  tokens.remember('b', principal('b'), { exp: now + 600, nbf: now + 100 }, T0 + 100_000, tokens.currentKeySet());
  t.equal(tokens.get('b', T0), undefined, 'a clock before nbf (minus the skew) is not answered from memory');
  tokens.remember('c', principal('c'), { exp: now + 600, iat: now + 100 }, T0 + 100_000, tokens.currentKeySet());
  t.equal(tokens.get('c', T0 + 1_000), undefined, 'nor one before iat');
});

t.test('an entry lives at most maxAgeMs, and never across a change of the key set', async (t) => {
  let version: unknown = 1;
  const tokens = new VerifiedTokens({ clockSkewSeconds: 0, maxAgeMs: 10_000, keySetVersion: () => version });
  tokens.remember('a', principal('a'), { exp: now + 3600 }, T0, tokens.currentKeySet());
  t.equal(tokens.get('a', T0 + 9_999)?.subject, 'a');
  t.equal(tokens.get('a', T0 + 10_000), undefined, 'older than maxAgeMs');

  tokens.remember('b', principal('b'), { exp: now + 3600 }, T0, tokens.currentKeySet());
  version = 2;
  t.equal(tokens.get('b', T0), undefined, 'the key set was fetched again: verify again');
  tokens.remember('c', principal('c'), { exp: now + 3600 }, T0, tokens.currentKeySet());
  version = undefined;
  t.equal(tokens.get('c', T0), undefined, 'the key set is due to be fetched: verify again');
  tokens.remember('d', principal('d'), { exp: now + 3600 }, T0, tokens.currentKeySet());
  version = 2;
  t.equal(tokens.get('d', T0), undefined, 'verified while the set was stale: never remembered');
});

t.test('memory is bounded by the characters of the tokens kept, least recently used out first', async (t) => {
  const tokens = new VerifiedTokens({ clockSkewSeconds: 0, maxCharacters: 3 * (1000 + 256) });
  const token = (i: number) => String(i).padStart(1000, 'x');
  for (let i = 0; i < 3; i++) tokens.remember(token(i), principal(`p${i}`), { exp: now + 60 }, T0, tokens.currentKeySet());
  t.equal(tokens.get(token(0), T0)?.subject, 'p0', 'touched: now the most recent');
  tokens.remember(token(3), principal('p3'), { exp: now + 60 }, T0, tokens.currentKeySet());
  t.equal(tokens.get(token(1), T0), undefined, 'the least recently used went');
  t.equal(tokens.get(token(0), T0)?.subject, 'p0');
  t.equal(tokens.get(token(3), T0)?.subject, 'p3');
});
