/** The query service's settings, defined in `settings/registry.ts`. */
import { randomBytes } from 'node:crypto';
import { loadSettings } from '../settings/setting.js';
import { querySection } from '../settings/registry.js';
import type { AuthConfig, JwtAlgorithm } from './auth.js';
import type { RateLimitConfig } from './plugins.js';

export interface QueryConfig {
  port: number;
  host: string;
  /** Postgres timeouts (postgres/timeouts.ts); the statement limit is the query service's own. */
  postgresConnectTimeoutMs: number;
  postgresStatementTimeoutMs: number;
  postgresIdleInTransactionTimeoutMs: number;
  /** How long /health/ready waits for Postgres to answer. */
  postgresProbeTimeoutMs: number;
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
  idempotencyRedisUrl: string | undefined;
  /** Signs and checks lookups forwarded between replicas (forwarding.ts); required with OMNIA_ENDPOINT on Kafka. */
  forwardSecret: string | undefined;
  /** Signs search cursors (cursor.ts); unset: a random key of this process. */
  searchCursorKey: string | undefined;
  /** /metrics and the docs on this port only (admin-port.ts); unset: on `port`. */
  adminPort: number | undefined;
  /** Open GET /events streams at most, in all and per token subject (events-routes.ts). */
  eventsMaxStreams: number;
  eventsMaxStreamsPerSubject: number;
}

export const querySettings = querySection;

export const loadQueryConfig = (overrides: Partial<QueryConfig> = {}, env: NodeJS.ProcessEnv = process.env): QueryConfig =>
  loadSettings(querySettings, overrides, env);

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

export const rateLimitConfig = (config: QueryConfig): RateLimitConfig => ({
  perSecond: config.rateLimitPerSecond,
  burst: config.rateLimitBurst,
});

/**
 * For `npm start` without any key configured: HS256 with a random secret of this process, so `devToken` can
 * print a token that works until the process ends. A configured secret, public key or JWKS is left as it is.
 */
export const withDevSecret = (auth: AuthConfig): AuthConfig =>
  !auth.secret && !auth.jwksUrl && !auth.publicKey && (auth.algorithm === undefined || auth.algorithm === 'HS256')
    ? { ...auth, secret: randomBytes(32).toString('base64url') }
    : auth;
