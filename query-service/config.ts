/** The query service's settings: environment variable, default, meaning and validation, as the runtime's. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadSettings, oneOf, optionalText, positiveInt, type Setting, text } from '../runtime/config.js';
import { type AuthConfig, type JwtAlgorithm, JwtAlgorithms } from './auth.js';
import type { RateLimitConfig } from './plugins.js';

export interface QueryConfig {
  port: number;
  host: string;
  jwtJwksUrl: string | undefined;
  jwtJwksCacheMaxAgeSeconds: number;
  jwtJwksCooldownSeconds: number;
  jwtAlgorithm: JwtAlgorithm | undefined;
  jwtSecret: string | undefined;
  /** The PEM text itself (a path in the environment is read at load). */
  jwtPublicKey: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  jwtClockSkewSeconds: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  rateLimitRedisUrl: string | undefined;
}

const positiveNumber = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
};

const nonNegativeInt = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of seconds, got "${raw}"`);
  return value;
};

const httpUrl = (name: string) => (raw: string) => {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
};

/** PEM text as is; anything else is a path to a PEM file. */
const pemOrPath = (raw: string): string | undefined => {
  if (!raw) return undefined;
  if (raw.includes('-----BEGIN')) return raw.replace(/\\n/g, '\n');
  try {
    return readFileSync(raw, 'utf8');
  } catch (error) {
    throw new Error(`OMNIA_JWT_PUBLIC_KEY is neither a PEM key nor a readable file: ${(error as Error).message}`, { cause: error });
  }
};

export const querySettings: { [K in keyof QueryConfig]: Setting<QueryConfig[K]> } = {
  port: { env: 'PORT', doc: 'Port the query service listens on.', default: 8080, parse: positiveInt('PORT') },
  host: { env: 'OMNIA_QUERY_HOST', doc: 'Address the query service listens on.', default: '0.0.0.0', parse: text },
  jwtJwksUrl: {
    env: 'OMNIA_JWT_JWKS_URL',
    doc: 'Production: the token issuer’s JSON Web Key Set URL. RS256 and ES256 tokens are verified with the key their `kid` names; keys rotate without a restart.',
    default: undefined,
    parse: httpUrl('OMNIA_JWT_JWKS_URL'),
  },
  jwtJwksCacheMaxAgeSeconds: {
    env: 'OMNIA_JWT_JWKS_CACHE_MAX_AGE_SECONDS',
    doc: 'A JWKS older than this is fetched again before use, so a key removed by the issuer stops being accepted.',
    default: 600,
    parse: positiveInt('OMNIA_JWT_JWKS_CACHE_MAX_AGE_SECONDS'),
  },
  jwtJwksCooldownSeconds: {
    env: 'OMNIA_JWT_JWKS_COOLDOWN_SECONDS',
    doc: 'Least time between two JWKS fetches; a token with an unknown `kid` refetches the set once this has passed.',
    default: 30,
    parse: nonNegativeInt('OMNIA_JWT_JWKS_COOLDOWN_SECONDS'),
  },
  jwtAlgorithm: {
    env: 'OMNIA_JWT_ALG',
    doc: 'Pins the one algorithm tokens may use (HS256, RS256, ES256). Unset: RS256 and ES256 with a JWKS, the key’s own with OMNIA_JWT_PUBLIC_KEY, HS256 with OMNIA_JWT_SECRET alone.',
    default: undefined,
    parse: oneOf('OMNIA_JWT_ALG', JwtAlgorithms),
  },
  jwtSecret: {
    env: 'OMNIA_JWT_SECRET',
    doc: 'HS256 shared secret, at least 32 bytes; only without OMNIA_JWT_JWKS_URL and OMNIA_JWT_PUBLIC_KEY. `npm start` makes one up and prints a token.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  jwtPublicKey: {
    env: 'OMNIA_JWT_PUBLIC_KEY',
    doc: 'One token issuer key instead of a JWKS: RSA (RS256) or EC P-256 (ES256), as PEM text or the path of a PEM file.',
    default: undefined,
    parse: pemOrPath,
  },
  jwtIssuer: { env: 'OMNIA_JWT_ISSUER', doc: 'When set, tokens must carry this `iss`.', default: undefined, parse: optionalText },
  jwtAudience: { env: 'OMNIA_JWT_AUDIENCE', doc: 'When set, tokens’ `aud` must include this.', default: undefined, parse: optionalText },
  jwtClockSkewSeconds: { env: 'OMNIA_JWT_CLOCK_SKEW_SECONDS', doc: 'Tolerance for token exp/nbf/iat against this host’s clock.', default: 30, parse: nonNegativeInt('OMNIA_JWT_CLOCK_SKEW_SECONDS') },
  rateLimitPerSecond: { env: 'OMNIA_RATE_LIMIT_PER_SECOND', doc: 'Sustained requests per second allowed per token.', default: 20, parse: positiveNumber('OMNIA_RATE_LIMIT_PER_SECOND') },
  rateLimitBurst: {
    env: 'OMNIA_RATE_LIMIT_BURST',
    doc: 'Requests a token may make at once after being idle: the limit of one window of BURST / PER_SECOND seconds.',
    default: 40,
    parse: positiveInt('OMNIA_RATE_LIMIT_BURST'),
  },
  rateLimitRedisUrl: {
    env: 'OMNIA_RATE_LIMIT_REDIS_URL',
    doc: 'When set, the per-token counts live in this Redis (redis://[user:password@]host:port[/db]) and every replica shares one limit; unset, each process counts alone.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
};

export const loadQueryConfig = (overrides: Partial<QueryConfig> = {}, env: NodeJS.ProcessEnv = process.env): QueryConfig => loadSettings(querySettings, overrides, env);

/** The auth config of the settings; keys that are not set are left out. */
export const authConfig = (config: QueryConfig): AuthConfig => {
  const auth: AuthConfig = { clockSkewSeconds: config.jwtClockSkewSeconds };
  if (config.jwtAlgorithm !== undefined) auth.algorithm = config.jwtAlgorithm;
  if (config.jwtJwksUrl !== undefined) {
    auth.jwksUrl = config.jwtJwksUrl;
    auth.jwksCacheMaxAgeMs = config.jwtJwksCacheMaxAgeSeconds * 1000;
    auth.jwksCooldownMs = config.jwtJwksCooldownSeconds * 1000;
  }
  if (config.jwtPublicKey !== undefined) auth.publicKey = config.jwtPublicKey;
  if (config.jwtSecret !== undefined) auth.secret = config.jwtSecret;
  if (config.jwtIssuer !== undefined) auth.issuer = config.jwtIssuer;
  if (config.jwtAudience !== undefined) auth.audience = config.jwtAudience;
  return auth;
};

export const rateLimitConfig = (config: QueryConfig): RateLimitConfig => ({ perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst });

/**
 * For `npm start` without any key configured: HS256 with a random secret of this process, so `devToken` can
 * print a token that works until the process ends. A configured secret, public key or JWKS is left as it is.
 */
export const withDevSecret = (auth: AuthConfig): AuthConfig =>
  !auth.secret && !auth.jwksUrl && !auth.publicKey && (auth.algorithm === undefined || auth.algorithm === 'HS256') ? { ...auth, secret: randomBytes(32).toString('base64url') } : auth;
