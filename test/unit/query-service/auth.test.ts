import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import t, { type Test } from 'tap';
import { devToken } from '../../../query-service/app.js';
import { type AuthConfig, tokenVerifier } from '../../../query-service/auth.js';
import { bearer, hs256, SECRET, T0, testService } from './helpers.js';

const now = Math.floor(T0 / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'clerk-1',
  roles: ['store_staff'],
  stores: ['S001'],
  iat: now,
  exp: now + 600,
  ...extra,
});

/** A JWT signed by jose (the issuer's side): HS* with a string secret, RS256/ES256 with a private key. */
const signJwt = (
  alg: string,
  key: string | KeyObject,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> =>
  new SignJWT(JSON.parse(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: 'JWT', ...header })
    .sign(typeof key === 'string' ? new TextEncoder().encode(key) : key);

/** Asks /api/v1/orders/O-100 with the given headers; returns status, body and the challenge header. */
async function ask(headers: Record<string, string>, service = testService()) {
  const response = await service.app.inject({ method: 'GET', url: '/api/v1/orders/O-100', headers });
  return { status: response.statusCode, body: response.json(), challenge: response.headers['www-authenticate'] };
}

const expect401 = async (t: Test, headers: Record<string, string>, code: string, service = testService()) => {
  const { status, body, challenge } = await ask(headers, service);
  t.equal(status, 401, `${code}: 401`);
  t.equal(body.error.code, code);
  t.type(body.error.message, 'string');
  t.match(challenge, /^Bearer error="invalid_token", error_description="[^"]+"$/, 'the challenge names the error');
};

t.test('a valid HS256 token: 200, and the route sees the principal', async (t) => {
  const service = testService();
  const token = await signJwt(
    'HS256',
    SECRET,
    claims({ jti: 'token-7', roles: ['store_manager', 'shelf_stacker'], stores: ['S001', 'S002'] }),
  );
  const response = await service.app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
  t.equal(response.statusCode, 200);
  t.same(
    response.json(),
    { subject: 'clerk-1', roles: ['store_manager'], stores: ['S001', 'S002'], tokenId: 'jti:token-7' },
    'unknown roles are dropped',
  );
  const order = await service.app.inject({ url: '/api/v1/orders/O-100', headers: bearer(devToken(hs256, { sub: 'dev-1' }, T0)) });
  t.equal(order.statusCode, 200);
  t.equal(order.json().viewer, 'dev-1', 'devToken makes a token the service accepts');
});

t.test('no token: 401 TOKEN_MISSING with a bare challenge (RFC 6750 §3.1)', async (t) => {
  for (const headers of [{}, { authorization: 'Basic Y2xlcms6cHc=' }, { authorization: 'Bearer ' }] as Array<Record<string, string>>) {
    const { status, body, challenge } = await ask(headers);
    t.equal(status, 401);
    t.equal(body.error.code, 'TOKEN_MISSING');
    t.equal(challenge, 'Bearer realm="omnia"');
  }
});

t.test('a malformed token: 401 TOKEN_MALFORMED', async (t) => {
  await expect401(t, bearer('not-a-jwt'), 'TOKEN_MALFORMED');
  await expect401(t, bearer('a.b'), 'TOKEN_MALFORMED');
  await expect401(t, bearer('a.b.c.d'), 'TOKEN_MALFORMED');
  await expect401(t, bearer(`${Buffer.from('not json').toString('base64url')}.e30.c2ln`), 'TOKEN_MALFORMED');
  await expect401(t, bearer(`${Buffer.from('[1]').toString('base64url')}.e30.c2ln`), 'TOKEN_MALFORMED');
  await expect401(t, bearer('eyJhbGciOiJIUzI1NiJ9.e30.sig+nature/'), 'TOKEN_MALFORMED');
  // A payload that is not JSON under a valid signature is malformed too.
  const header = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
  const payload = Buffer.from('{"sub":').toString('base64url');
  const signature = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
  await expect401(t, bearer(`${header}.${payload}.${signature}`), 'TOKEN_MALFORMED');
});

t.test('an expired token: 401 TOKEN_EXPIRED; within the clock skew it still passes', async (t) => {
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ iat: now - 3600, exp: now - 31 }))), 'TOKEN_EXPIRED');
  t.equal(
    (await ask(bearer(await signJwt('HS256', SECRET, claims({ iat: now - 3600, exp: now - 10 }))))).status,
    200,
    '10 s past exp is within the 30 s skew',
  );
  const service = testService();
  const token = await signJwt('HS256', SECRET, claims({ exp: now + 60 }));
  t.equal((await ask(bearer(token), service)).status, 200);
  service.clock.now += 91_000;
  await expect401(t, bearer(token), 'TOKEN_EXPIRED', service);
});

t.test('nbf and iat in the future: 401 TOKEN_NOT_YET_VALID, beyond the skew only', async (t) => {
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ nbf: now + 120 }))), 'TOKEN_NOT_YET_VALID');
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ iat: now + 120 }))), 'TOKEN_NOT_YET_VALID');
  t.equal((await ask(bearer(await signJwt('HS256', SECRET, claims({ nbf: now + 20, iat: now + 20 }))))).status, 200);
});

t.test('a bad signature: 401 TOKEN_SIGNATURE_INVALID', async (t) => {
  await expect401(t, bearer(await signJwt('HS256', 'another-secret-also-at-least-32-bytes!!', claims())), 'TOKEN_SIGNATURE_INVALID');
  // The payload changed after signing (store_staff made admin).
  const [header, , signature] = (await signJwt('HS256', SECRET, claims())).split('.');
  const forged = Buffer.from(JSON.stringify(claims({ roles: ['admin'] }))).toString('base64url');
  await expect401(t, bearer(`${header}.${forged}.${signature}`), 'TOKEN_SIGNATURE_INVALID');
  // A signature is checked before the claims: an expired forgery is a bad signature, not "expired".
  await expect401(
    t,
    bearer(await signJwt('HS256', 'another-secret-also-at-least-32-bytes!!', claims({ exp: now - 1000 }))),
    'TOKEN_SIGNATURE_INVALID',
  );
});

t.test('alg none and other algorithms: 401 TOKEN_ALGORITHM_REJECTED', async (t) => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  await expect401(t, bearer(new UnsecuredJWT(claims()).encode()), 'TOKEN_ALGORITHM_REJECTED');
  await expect401(t, bearer(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`), 'TOKEN_ALGORITHM_REJECTED');
  await expect401(
    t,
    bearer(`${encode({ alg: 'none' })}.${encode(claims())}.${createHmac('sha256', SECRET).update('x').digest('base64url')}`),
    'TOKEN_ALGORITHM_REJECTED',
  );
  await expect401(t, bearer(`${encode({ alg: 'HS512' })}.${encode(claims())}.c2ln`), 'TOKEN_ALGORITHM_REJECTED');
  await expect401(t, bearer(await signJwt('HS512', SECRET, claims())), 'TOKEN_ALGORITHM_REJECTED');
  await expect401(t, bearer(`${encode({ typ: 'JWT' })}.${encode(claims())}.c2ln`), 'TOKEN_MALFORMED');
});

t.test('claims: exp is required, sub a string, roles and stores string arrays: else 401 TOKEN_CLAIMS_INVALID', async (t) => {
  const { exp: _exp, ...withoutExp } = claims();
  await expect401(t, bearer(await signJwt('HS256', SECRET, withoutExp)), 'TOKEN_CLAIMS_INVALID');
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ exp: String(now + 600) }))), 'TOKEN_CLAIMS_INVALID');
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ sub: undefined }))), 'TOKEN_CLAIMS_INVALID');
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ roles: 'admin' }))), 'TOKEN_CLAIMS_INVALID');
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ stores: 'S001' }))), 'TOKEN_CLAIMS_INVALID');
});

t.test('issuer and audience, when configured, must match', async (t) => {
  const config: AuthConfig = { ...hs256, issuer: 'https://idp.omnia.example', audience: 'omnia-query' };
  const service = () => testService({ auth: config });
  t.equal(
    (
      await ask(
        bearer(await signJwt('HS256', SECRET, claims({ iss: 'https://idp.omnia.example', aud: ['other', 'omnia-query'] }))),
        service(),
      )
    ).status,
    200,
  );
  t.equal((await ask(bearer(devToken(config, {}, T0)), service())).status, 200, 'devToken fills in iss and aud');
  await expect401(
    t,
    bearer(await signJwt('HS256', SECRET, claims({ iss: 'https://evil.example', aud: 'omnia-query' }))),
    'TOKEN_ISSUER_INVALID',
    service(),
  );
  await expect401(t, bearer(await signJwt('HS256', SECRET, claims({ aud: 'omnia-query' }))), 'TOKEN_ISSUER_INVALID', service());
  await expect401(
    t,
    bearer(await signJwt('HS256', SECRET, claims({ iss: 'https://idp.omnia.example', aud: 'billing' }))),
    'TOKEN_AUDIENCE_INVALID',
    service(),
  );
  await expect401(
    t,
    bearer(await signJwt('HS256', SECRET, claims({ iss: 'https://idp.omnia.example' }))),
    'TOKEN_AUDIENCE_INVALID',
    service(),
  );
});

t.test('a token with no known role: 403 FORBIDDEN', async (t) => {
  for (const roles of [[], ['shelf_stacker'], undefined]) {
    const { status, body, challenge } = await ask(bearer(await signJwt('HS256', SECRET, claims({ roles }))));
    t.equal(status, 403);
    t.equal(body.error.code, 'FORBIDDEN');
    t.match(challenge, /error="insufficient_scope"/);
  }
});

t.test(
  'RS256 with one public key: a token signed with the private key passes; HS256 signed with the public key (alg confusion) is refused',
  async (t) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const service = () => testService({ auth: { publicKey: publicPem } });

    const good = await signJwt('RS256', privateKey, claims({ roles: ['regional_coordinator'] }));
    const response = await service().app.inject({ url: '/api/v1/whoami', headers: bearer(good) });
    t.equal(response.statusCode, 200);
    t.same(response.json().roles, ['regional_coordinator']);

    // The classic confusion: the attacker knows the public key and uses it as an HMAC secret.
    await expect401(t, bearer(await signJwt('HS256', publicPem, claims({ roles: ['admin'] }))), 'TOKEN_ALGORITHM_REJECTED', service());
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect401(t, bearer(await signJwt('RS256', other, claims())), 'TOKEN_SIGNATURE_INVALID', service());
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await expect401(t, bearer(`${encode({ alg: 'none' })}.${encode(claims())}.`), 'TOKEN_ALGORITHM_REJECTED', service());
    // An RS256 token against an HS256 service is refused the same way.
    await expect401(t, bearer(good), 'TOKEN_ALGORITHM_REJECTED');
    // ES256 is not RS256's key type: refused before any key is tried.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expect401(t, bearer(await signJwt('ES256', ec, claims())), 'TOKEN_ALGORITHM_REJECTED', service());
  },
);

t.test('ES256 with one public key (P-256)', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const service = testService({ auth: { publicKey } });
  const response = await service.app.inject({ url: '/api/v1/whoami', headers: bearer(await signJwt('ES256', privateKey, claims())) });
  t.equal(response.statusCode, 200);
  t.equal(response.json().subject, 'clerk-1');
  await expect401(
    t,
    bearer(await signJwt('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, claims())),
    'TOKEN_SIGNATURE_INVALID',
    service,
  );
});

t.test('a config that cannot verify, or would accept HS256 next to a public key, is refused at start', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  t.throws(() => tokenVerifier({ secret: 'short' }), /at least 32 bytes/);
  t.throws(() => tokenVerifier({}), /OMNIA_JWT_JWKS_URL/);
  t.throws(() => tokenVerifier({ algorithm: 'HS256' }), /secret|OMNIA_JWT_SECRET/);
  t.throws(() => tokenVerifier({ algorithm: 'RS256' }), /JWKS_URL or OMNIA_JWT_PUBLIC_KEY/);
  t.throws(() => tokenVerifier({ publicKey: rsa, secret: SECRET }), /cannot be combined/);
  t.throws(() => tokenVerifier({ jwksUrl: 'https://idp.example/jwks.json', secret: SECRET }), /cannot be combined/);
  t.throws(() => tokenVerifier({ jwksUrl: 'https://idp.example/jwks.json', publicKey: rsa }), /not both/);
  t.throws(() => tokenVerifier({ jwksUrl: 'https://idp.example/jwks.json', algorithm: 'HS256' }), /does not fit/);
  t.throws(() => tokenVerifier({ jwksUrl: 'ftp://idp.example/jwks.json' }), /http/);
  t.throws(() => tokenVerifier({ publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey }), /2048/);
  t.throws(() => tokenVerifier({ publicKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey }), /P-256/);
  t.throws(() => tokenVerifier({ publicKey: rsa, algorithm: 'ES256' }), /does not fit/);
  t.throws(() => tokenVerifier({ algorithm: 'none' as 'HS256', secret: SECRET }), /Unsupported/);
  t.doesNotThrow(
    () => tokenVerifier({ jwksUrl: 'https://idp.example/jwks.json' }),
    'a JWKS is fetched when a token needs it, not at start',
  );
  t.throws(() => devToken({ publicKey: rsa }), /HS256/);
});

t.test('the rate-limit key: jti when present, else a hash of the token', async (t) => {
  const verify = tokenVerifier(hs256);
  const token = await signJwt('HS256', SECRET, claims());
  t.match((await verify(token, T0)).tokenId, /^sha256:[A-Za-z0-9_-]{43}$/);
  t.not((await verify(token, T0)).tokenId, (await verify(await signJwt('HS256', SECRET, claims({ iat: now - 1 })), T0)).tokenId);
  t.equal((await verify(await signJwt('HS256', SECRET, claims({ jti: 'abc' })), T0)).tokenId, 'jti:abc');
});

t.test('open routes need no token; an unknown /api path without one is 401, with one 404', async (t) => {
  const { app } = testService();
  for (const url of [
    '/health/live',
    '/health/ready',
    '/metrics',
    '/docs',
    '/docs/',
    '/docs/openapi.json',
    '/docs/json',
    '/docs/static/index.css',
  ]) {
    t.equal((await app.inject({ url })).statusCode, 200, url);
  }
  t.equal((await app.inject({ url: '/api/v1/nothing-here' })).statusCode, 401);
  const unknown = await app.inject({ url: '/api/v1/nothing-here', headers: bearer(devToken(hs256, {}, T0)) });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().error.code, 'NOT_FOUND');
});

t.test('a token verified once is not trusted beyond its claims: the same token expires, and waits for nbf, on the clock', async (t) => {
  const verify = tokenVerifier({ secret: SECRET, clockSkewSeconds: 30 });
  const token = await signJwt('HS256', SECRET, claims({ exp: now + 100 }));
  t.equal((await verify(token, T0)).subject, 'clerk-1', 'verified');
  t.equal((await verify(token, T0 + 120_000)).subject, 'clerk-1', 'again, within the skew after exp');
  await t.rejects(verify(token, T0 + 131_000), { code: 'TOKEN_EXPIRED' }, 'once past exp and the skew, refused with its code');
  t.equal((await verify(token, T0)).subject, 'clerk-1', 'the clock back: it passes again (verified afresh)');

  const early = await signJwt('HS256', SECRET, claims({ nbf: now + 60 }));
  await t.rejects(verify(early, T0), { code: 'TOKEN_NOT_YET_VALID' }, 'nbf beyond the skew');
  t.equal((await verify(early, T0 + 31_000)).subject, 'clerk-1', 'valid from nbf minus the skew');
  await t.rejects(verify(early, T0), { code: 'TOKEN_NOT_YET_VALID' }, 'remembered, yet refused again before nbf');

  const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  await t.rejects(
    verify(forged, T0),
    { code: 'TOKEN_SIGNATURE_INVALID' },
    'another signature on the same claims is not the remembered token',
  );
});
