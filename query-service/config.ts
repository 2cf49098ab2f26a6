/** The query service's settings: environment variable, default, meaning and validation, as the runtime's. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadSettings, oneOf, optionalText, positiveInt, type Setting, text } from '../runtime/config.js';
import { type AuthConfig, type JwtAlgorithm, JwtAlgorithms } from './auth.js';
import type { RateLimitConfig } from './rate-limit.js';

export interface QueryConfig {
  port: number;
  host: string;
  jwtAlgorithm: JwtAlgorithm;
  jwtSecret: string | undefined;
  /** The PEM text itself (a path in the environment is read at load). */
  jwtPublicKey: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  jwtClockSkewSeconds: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
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
  jwtAlgorithm: { env: 'OMNIA_JWT_ALG', doc: 'Signature algorithm bearer tokens must use: HS256 (shared secret) or RS256 (issuer’s RSA key). Tokens signed otherwise are refused.', default: 'HS256', parse: oneOf('OMNIA_JWT_ALG', JwtAlgorithms) },
  jwtSecret: { env: 'OMNIA_JWT_SECRET', doc: 'HS256 shared secret, at least 32 bytes.', default: undefined, parse: optionalText },
  jwtPublicKey: { env: 'OMNIA_JWT_PUBLIC_KEY', doc: 'RS256: the token issuer’s RSA public key, as PEM text or the path of a PEM file.', default: undefined, parse: pemOrPath },
  jwtIssuer: { env: 'OMNIA_JWT_ISSUER', doc: 'When set, tokens must carry this `iss`.', default: undefined, parse: optionalText },
  jwtAudience: { env: 'OMNIA_JWT_AUDIENCE', doc: 'When set, tokens’ `aud` must include this.', default: undefined, parse: optionalText },
  jwtClockSkewSeconds: { env: 'OMNIA_JWT_CLOCK_SKEW_SECONDS', doc: 'Tolerance for token exp/nbf/iat against this host’s clock.', default: 30, parse: nonNegativeInt('OMNIA_JWT_CLOCK_SKEW_SECONDS') },
  rateLimitPerSecond: { env: 'OMNIA_RATE_LIMIT_PER_SECOND', doc: 'Sustained requests per second allowed per token.', default: 20, parse: positiveNumber('OMNIA_RATE_LIMIT_PER_SECOND') },
  rateLimitBurst: { env: 'OMNIA_RATE_LIMIT_BURST', doc: 'Requests a token may make at once after being idle.', default: 40, parse: positiveInt('OMNIA_RATE_LIMIT_BURST') },
};

export const loadQueryConfig = (overrides: Partial<QueryConfig> = {}, env: NodeJS.ProcessEnv = process.env): QueryConfig => loadSettings(querySettings, overrides, env);

export const authConfig = (config: QueryConfig): AuthConfig => ({
  algorithm: config.jwtAlgorithm,
  secret: config.jwtSecret,
  publicKey: config.jwtPublicKey,
  issuer: config.jwtIssuer,
  audience: config.jwtAudience,
  clockSkewSeconds: config.jwtClockSkewSeconds,
});

export const rateLimitConfig = (config: QueryConfig): RateLimitConfig => ({ perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst });

/**
 * For `npm start` without OMNIA_JWT_SECRET: HS256 with a random secret of this process, so `devToken` can
 * print a token that works until the process ends. A configured secret or RS256 key is left as it is.
 */
export const withDevSecret = (auth: AuthConfig): AuthConfig =>
  auth.algorithm === 'HS256' && !auth.secret ? { ...auth, secret: randomBytes(32).toString('base64url') } : auth;
