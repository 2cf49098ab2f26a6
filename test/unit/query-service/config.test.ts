import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { devToken } from '../../../query-service/auth.js';
import { authConfig, loadQueryConfig, rateLimitConfig, withDevSecret } from '../../../query-service/config.js';

t.test('defaults', async (t) => {
  const config = loadQueryConfig({}, {});
  t.equal(config.port, 8080);
  t.equal(config.jwtAlgorithm, undefined);
  t.equal(config.jwtSecret, undefined);
  t.equal(config.jwtJwksUrl, undefined);
  t.equal(config.jwtClockSkewSeconds, 30);
  t.same(authConfig(config), { clockSkewSeconds: 30 });
  t.same(rateLimitConfig(config), { perSecond: 20, burst: 40 });
  t.equal(config.rateLimitRedisUrl, undefined);
});

t.test('production: a JWKS URL, its cache and cooldown; a shared Redis for the rate limit', async (t) => {
  const config = loadQueryConfig(
    {},
    {
      OMNIA_JWT_JWKS_URL: 'https://idp.omnia.example/.well-known/jwks.json',
      OMNIA_JWT_ISSUER: 'https://idp.omnia.example',
      OMNIA_JWT_AUDIENCE: 'omnia-query',
      OMNIA_JWT_JWKS_CACHE_MAX_AGE_SECONDS: '120',
      OMNIA_JWT_JWKS_COOLDOWN_SECONDS: '0',
      OMNIA_RATE_LIMIT_REDIS_URL: 'redis://:pw@redis:6379/2',
    },
  );
  t.same(authConfig(config), {
    clockSkewSeconds: 30,
    jwksUrl: 'https://idp.omnia.example/.well-known/jwks.json',
    jwksCacheMaxAgeMs: 120_000,
    jwksCooldownMs: 0,
    issuer: 'https://idp.omnia.example',
    audience: 'omnia-query',
  });
  t.equal(config.rateLimitRedisUrl, 'redis://:pw@redis:6379/2');
  t.equal(withDevSecret(authConfig(config)).secret, undefined, 'npm start makes up no secret next to a JWKS');
});

t.test('from the environment; a public key as PEM text or as a path', async (t) => {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const file = join(mkdtempSync(join(tmpdir(), 'omnia-query-')), 'issuer.pem');
  writeFileSync(file, pem);
  const env = {
    PORT: '9000',
    OMNIA_JWT_ALG: 'RS256',
    OMNIA_JWT_PUBLIC_KEY: file,
    OMNIA_JWT_ISSUER: 'https://idp',
    OMNIA_JWT_AUDIENCE: 'omnia-query',
    OMNIA_RATE_LIMIT_PER_SECOND: '2.5',
    OMNIA_RATE_LIMIT_BURST: '10',
  };
  const config = loadQueryConfig({}, env);
  t.equal(config.port, 9000);
  t.equal(config.jwtPublicKey, pem);
  t.same(authConfig(config), { algorithm: 'RS256', publicKey: pem, issuer: 'https://idp', audience: 'omnia-query', clockSkewSeconds: 30 });
  t.same(rateLimitConfig(config), { perSecond: 2.5, burst: 10 });
  t.equal(
    loadQueryConfig({}, { OMNIA_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).jwtPublicKey,
    pem,
    'PEM text with escaped newlines, as env files often hold it',
  );
});

t.test('bad values refuse to start', async (t) => {
  t.throws(() => loadQueryConfig({}, { OMNIA_JWT_ALG: 'none' }), /OMNIA_JWT_ALG must be one of HS256, RS256, ES256/);
  t.throws(() => loadQueryConfig({}, { OMNIA_JWT_JWKS_URL: 'idp.example/jwks.json' }), /OMNIA_JWT_JWKS_URL must be an http\(s\) URL/);
  t.throws(() => loadQueryConfig({}, { OMNIA_JWT_JWKS_COOLDOWN_SECONDS: '-1' }), /OMNIA_JWT_JWKS_COOLDOWN_SECONDS/);
  t.throws(() => loadQueryConfig({}, { OMNIA_RATE_LIMIT_PER_SECOND: '0' }), /positive number/);
  t.throws(() => loadQueryConfig({}, { OMNIA_RATE_LIMIT_BURST: '1.5' }), /positive integer/);
  t.throws(() => loadQueryConfig({}, { OMNIA_JWT_PUBLIC_KEY: '/no/such/key.pem' }), /neither a PEM key nor a readable file/);
});

t.test('npm start without a secret: a random one for the process, and a dev token for it', async (t) => {
  const auth = withDevSecret(authConfig(loadQueryConfig({}, {})));
  t.ok(auth.secret && auth.secret.length >= 32);
  t.not(withDevSecret(authConfig(loadQueryConfig({}, {}))).secret, auth.secret, 'random per process');
  t.match(devToken(auth), /^[\w-]+\.[\w-]+\.[\w-]+$/);
  t.equal(
    withDevSecret({ algorithm: 'HS256', secret: 'configured-secret-configured-secret!' }).secret,
    'configured-secret-configured-secret!',
  );
  t.equal(withDevSecret({ publicKey: 'PEM' }).secret, undefined, 'nor next to a public key');
});
