/**
 * Production auth: tokens verified against the issuer's JWKS, served here by a real HTTP server on 127.0.0.1
 * whose key set the test changes — key rotation with an overlap, RS256 and ES256 side by side, HS256 refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import t, { type Test } from 'tap';
import type { AuthConfig } from '../../../query-service/auth.js';
import { bearer, T0, testService } from './helpers.js';

const now = Math.floor(T0 / 1000);
const ISSUER = 'https://idp.omnia.example';
const AUDIENCE = 'omnia-query';

interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function issuerKey(kid: string, alg: 'RS256' | 'ES256'): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** The issuer's JWKS endpoint: serves whatever `keys` holds at the time of the request, and counts the fetches. */
async function jwksServer(t: Test) {
  const state = { keys: [] as JWK[], fetches: 0 };
  const server: Server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    state.fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return { state, url };
}

/** A token as the issuer signs it; `claims` override the defaults. */
const sign = (key: IssuerKey, claims: Record<string, unknown> = {}) =>
  new SignJWT({
    sub: `signed-by-${key.kid}`,
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 600,
    roles: ['regional_coordinator'],
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);

function service(url: string, overrides: Partial<AuthConfig> = {}) {
  const auth: AuthConfig = { jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, jwksCacheMaxAgeMs: 300, jwksCooldownMs: 0, ...overrides };
  const { app } = testService({ auth });
  return async (token: string) => {
    const response = await app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
    return { status: response.statusCode, body: response.json() };
  };
}

t.test(
  'key rotation: during the overlap the old and the new key both pass; once the old key is gone from the JWKS, its tokens are 401',
  async (t) => {
    const { state, url } = await jwksServer(t);
    const [oldKey, newKey] = [await issuerKey('2026-10', 'RS256'), await issuerKey('2026-11', 'RS256')];
    const ask = service(url);
    const [oldToken, newToken] = [await sign(oldKey), await sign(newKey)];

    state.keys = [oldKey.jwk];
    const before = await ask(oldToken);
    t.equal(before.status, 200, 'the old key, before the rotation');
    t.equal(before.body.subject, 'signed-by-2026-10');

    // The issuer publishes the new key next to the old one and starts signing with it.
    state.keys = [oldKey.jwk, newKey.jwk];
    const fetches = state.fetches;
    const fresh = await ask(newToken);
    t.equal(fresh.status, 200, 'a token of the new key: its unknown kid fetches the set again');
    t.equal(fresh.body.subject, 'signed-by-2026-11');
    t.equal(state.fetches, fetches + 1, 'one fetch for the unknown kid');
    t.equal((await ask(oldToken)).status, 200, 'the old key still passes during the overlap');
    t.equal((await ask(newToken)).status, 200);

    // The issuer retires the old key; once the cached set is older than its max age, it is fetched again.
    state.keys = [newKey.jwk];
    await sleep(400);
    const retired = await ask(oldToken);
    t.equal(retired.status, 401, 'a token of the removed key is refused');
    t.equal(retired.body.error.code, 'TOKEN_SIGNATURE_INVALID');
    t.equal((await ask(newToken)).status, 200, 'the new key goes on passing');
    t.equal((await ask(await sign(oldKey))).status, 401, 'and so is every token the old key signs now');
  },
);

t.test('RS256 and ES256 keys in one set both pass; a key the set lacks, a forged signature and HS256 are refused', async (t) => {
  const { state, url } = await jwksServer(t);
  const [rsa, ec] = [await issuerKey('rsa-1', 'RS256'), await issuerKey('ec-1', 'ES256')];
  state.keys = [rsa.jwk, ec.jwk];
  const ask = service(url);

  const viaRsa = await ask(await sign(rsa));
  t.equal(viaRsa.status, 200, 'RS256');
  t.same(viaRsa.body.roles, ['regional_coordinator']);
  t.equal((await ask(await sign(ec))).status, 200, 'ES256');

  const stranger = await issuerKey('not-published', 'ES256');
  t.equal((await ask(await sign(stranger))).body.error.code, 'TOKEN_SIGNATURE_INVALID', 'a kid the JWKS does not have');
  const impostor = { ...(await issuerKey('rsa-1', 'RS256')) };
  t.equal((await ask(await sign(impostor))).body.error.code, 'TOKEN_SIGNATURE_INVALID', 'a published kid, another private key');

  // HS256 is off the allowlist when a JWKS is configured: a token MACed with a public key (alg confusion) or
  // with any secret is refused before a key is looked up.
  for (const secret of [JSON.stringify(rsa.jwk), 'a-secret-that-is-at-least-32-bytes-long!!']) {
    const hs = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(secret));
    const refused = await ask(hs);
    t.equal(refused.status, 401, 'HS256: 401');
    t.equal(refused.body.error.code, 'TOKEN_ALGORITHM_REJECTED');
  }
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  t.equal(
    (await ask(`${encode({ alg: 'none', kid: 'rsa-1' })}.${encode({ sub: 'x', exp: now + 60, roles: ['admin'] })}.`)).body.error.code,
    'TOKEN_ALGORITHM_REJECTED',
    'none',
  );

  t.equal((await ask(await sign(rsa, { aud: 'billing' }))).body.error.code, 'TOKEN_AUDIENCE_INVALID', 'audience checked');
  t.equal((await ask(await sign(rsa, { iss: 'https://evil.example' }))).body.error.code, 'TOKEN_ISSUER_INVALID', 'issuer checked');
  t.equal((await ask(await sign(ec, { exp: now - 120 }))).body.error.code, 'TOKEN_EXPIRED', 'expiry checked');
  t.equal((await ask(await sign(rsa, { roles: ['shelf_stacker'] }))).status, 403, 'no known role: 403');
});

t.test('one pinned algorithm: OMNIA_JWT_ALG=ES256 refuses the RS256 keys of the same set', async (t) => {
  const { state, url } = await jwksServer(t);
  const [rsa, ec] = [await issuerKey('rsa-1', 'RS256'), await issuerKey('ec-1', 'ES256')];
  state.keys = [rsa.jwk, ec.jwk];
  const ask = service(url, { algorithm: 'ES256' });
  t.equal((await ask(await sign(ec))).status, 200);
  t.equal((await ask(await sign(rsa))).body.error.code, 'TOKEN_ALGORITHM_REJECTED');
});

t.test('the JWKS out of reach: 503 AUTH_UNAVAILABLE, not a 401 that blames the token', async (t) => {
  const { url } = await jwksServer(t);
  const key = await issuerKey('rsa-1', 'RS256');
  for (const broken of [url.replace('jwks.json', 'missing.json'), 'http://127.0.0.1:9/.well-known/jwks.json']) {
    const response = await service(broken, { jwksTimeoutMs: 500 })(await sign(key));
    t.equal(response.status, 503, broken);
    t.equal(response.body.error.code, 'AUTH_UNAVAILABLE');
  }
});
