/**
 * Bearer-token auth: JWTs verified with `jose`. Three ways to hold the issuer's key, one of them configured:
 *
 *   jwksUrl     production: RS256 / ES256 tokens checked against the issuer's JWKS, the key chosen by the
 *               token's `kid`; an unknown `kid` refetches the set (at most once per cooldown) and the set is
 *               refetched when older than its max age, so keys rotate without a restart
 *   publicKey   one issuer key (PEM or KeyObject), RS256 for an RSA key, ES256 for a P-256 key
 *   secret      HS256 with a shared secret: the embedded default (`npm start` prints a token) and tests
 *
 * The algorithms are an allowlist fixed by the key material: `none` is never on it, and HS256 is on it only
 * when no public key or JWKS is configured, so a token MACed with the public key (alg confusion) is refused
 * before any key is used. The checks and their answers:
 *
 *   a `Bearer` token is present                                      else 401 TOKEN_MISSING
 *   compact JWS, header and payload JSON objects, header has `alg`   else 401 TOKEN_MALFORMED
 *   `alg` on the allowlist                                           else 401 TOKEN_ALGORITHM_REJECTED
 *   signature verifies with the key (a `kid` the JWKS lacks: no key) else 401 TOKEN_SIGNATURE_INVALID
 *   claims well-typed: `sub`, `exp` required                         else 401 TOKEN_CLAIMS_INVALID
 *   not expired / not before `nbf` / not issued in the future        else 401 TOKEN_EXPIRED / TOKEN_NOT_YET_VALID
 *   `iss` / `aud` match when configured                              else 401 TOKEN_ISSUER_INVALID / TOKEN_AUDIENCE_INVALID
 *   at least one known role                                          else 403 FORBIDDEN
 *   (the JWKS cannot be fetched                                           503 AUTH_UNAVAILABLE)
 *
 * jose verifies the signature before it reads a claim. Times allow `clockSkewSeconds` either way. A token that
 * passed is remembered (verified-tokens.ts): the same token again skips the signature, never the time checks.
 */
import { createHash, createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors, type ExportedJWKSCache, jwksCache, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ApiError } from './errors.js';
import { FORWARD_PROOF_HEADER, FORWARDED_HEADER, forwardRefused, type ReplicaForwarding } from './forwarding.js';
import { type Principal, type Role, Roles } from './principal.js';
import { VerifiedTokens } from './verified-tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An open route (health, metrics, docs): no token asked for. Every other route needs one. */
    public?: boolean;
  }
}

export const JwtAlgorithms = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JwtAlgorithms)[number];

export interface AuthConfig {
  /**
   * Pins the one algorithm accepted. Default: RS256 and ES256 with `jwksUrl`, the key's own with `publicKey`,
   * HS256 with `secret` alone. HS256 never goes with a public key or a JWKS.
   */
  algorithm?: JwtAlgorithm;
  /** The issuer's JSON Web Key Set (https://…/.well-known/jwks.json). */
  jwksUrl?: string;
  /** One issuer public key, PEM (SPKI or PKCS#1) or a KeyObject: RSA ≥ 2048 bits or EC P-256. */
  publicKey?: string | KeyObject;
  /** HS256: the shared secret, at least 32 bytes (RFC 7518 §3.2). */
  secret?: string;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` (a string or an array) must contain it. */
  audience?: string;
  /** Tolerance for `exp`, `nbf` and `iat` against this host's clock; default 30 s. */
  clockSkewSeconds?: number;
  /** A JWKS older than this is fetched again before use; default 10 minutes. */
  jwksCacheMaxAgeMs?: number;
  /** Least time between two fetches of the JWKS (an unknown `kid` waits it out); default 30 s. */
  jwksCooldownMs?: number;
  /** Longest wait for the JWKS; default 5 s. */
  jwksTimeoutMs?: number;
}

export type TokenErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_ALGORITHM_REJECTED'
  | 'TOKEN_SIGNATURE_INVALID'
  | 'TOKEN_CLAIMS_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_ISSUER_INVALID'
  | 'TOKEN_AUDIENCE_INVALID';

const MAX_TOKEN_LENGTH = 8192;
const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/** A 401: RFC 6750 §3 — no error attributes when no token was sent, `invalid_token` with a description otherwise. */
export function tokenError(code: TokenErrorCode, message: string): ApiError {
  const challenge =
    code === 'TOKEN_MISSING'
      ? 'Bearer realm="omnia"'
      : `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`;
  return new ApiError(401, code, message, undefined, { 'www-authenticate': challenge });
}

const noKnownRole = (): ApiError =>
  new ApiError(403, 'FORBIDDEN', `The token grants none of the roles ${Roles.join(', ')}`, undefined, {
    'www-authenticate': 'Bearer error="insufficient_scope", error_description="The token grants no known role"',
  });

/** A 503: the JWKS could not be fetched. Why is logged (a 5xx's details are), not sent. */
const authUnavailable = (cause: unknown): ApiError =>
  new ApiError(
    503,
    'AUTH_UNAVAILABLE',
    'The token issuer’s keys cannot be fetched; retry shortly',
    { jwks: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause) },
    { 'retry-after': '5' },
  );

interface KeyMaterial {
  key: Uint8Array | KeyObject | JWTVerifyGetKey;
  algorithms: JwtAlgorithm[];
  remote: boolean;
  /** Which key set is in use now (changes on every JWKS fetch), or undefined when it is due to be fetched. */
  keySetVersion: () => unknown;
}

/** A key configured in the process never changes. */
const local = () => 'local';

/** The key and the algorithm allowlist of a config; refuses at start a config that cannot verify anything. */
function keyMaterial(config: AuthConfig): KeyMaterial {
  if (config.algorithm !== undefined && !JwtAlgorithms.includes(config.algorithm))
    throw new Error(`Unsupported JWT algorithm ${String(config.algorithm)}; use one of ${JwtAlgorithms.join(', ')}`);
  const asymmetric = [config.jwksUrl, config.publicKey].filter((value) => value !== undefined && value !== '').length;
  if (asymmetric > 1) throw new Error('Configure one of OMNIA_JWT_JWKS_URL and OMNIA_JWT_PUBLIC_KEY, not both');
  if (asymmetric === 1 && config.secret)
    throw new Error('OMNIA_JWT_SECRET (HS256) cannot be combined with a public key or JWKS: HS256 tokens would be accepted next to them');
  const pinned = (allowed: JwtAlgorithm[]): JwtAlgorithm[] => {
    if (config.algorithm === undefined) return allowed;
    if (!allowed.includes(config.algorithm))
      throw new Error(`JWT algorithm ${config.algorithm} does not fit the configured key (${allowed.join(', ')})`);
    return [config.algorithm];
  };

  if (config.jwksUrl) {
    let url: URL;
    try {
      url = new URL(config.jwksUrl);
    } catch {
      throw new Error(`OMNIA_JWT_JWKS_URL is not a URL: ${config.jwksUrl}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('OMNIA_JWT_JWKS_URL must be an http(s) URL');
    // jose stamps `uat` on this object at every fetch of the set: the version verified tokens are bound to.
    const fetched = {} as ExportedJWKSCache;
    const jwks = createRemoteJWKSet(url, {
      cacheMaxAge: config.jwksCacheMaxAgeMs ?? 600_000,
      cooldownDuration: config.jwksCooldownMs ?? 30_000,
      timeoutDuration: config.jwksTimeoutMs ?? 5_000,
      [jwksCache]: fetched,
    });
    const keySetVersion = () => (jwks.fresh ? fetched.uat : undefined);
    return { key: jwks, algorithms: pinned(['RS256', 'ES256']), remote: true, keySetVersion };
  }
  if (config.publicKey) {
    const key = typeof config.publicKey === 'string' ? createPublicKey(config.publicKey) : config.publicKey;
    if (key.type !== 'public') throw new Error('OMNIA_JWT_PUBLIC_KEY must be a public key');
    if (key.asymmetricKeyType === 'rsa') {
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RS256 needs an RSA key of at least 2048 bits');
      return { key, algorithms: pinned(['RS256']), remote: false, keySetVersion: local };
    }
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      return { key, algorithms: pinned(['ES256']), remote: false, keySetVersion: local };
    throw new Error('OMNIA_JWT_PUBLIC_KEY must be an RSA key (RS256) or an EC P-256 key (ES256)');
  }
  if (config.algorithm !== undefined && config.algorithm !== 'HS256')
    throw new Error(`${config.algorithm} needs the issuer’s keys: OMNIA_JWT_JWKS_URL or OMNIA_JWT_PUBLIC_KEY`);
  if (!config.secret)
    throw new Error('No way to verify tokens: set OMNIA_JWT_JWKS_URL (or OMNIA_JWT_PUBLIC_KEY), or OMNIA_JWT_SECRET for HS256');
  if (Buffer.byteLength(config.secret) < 32) throw new Error('HS256 needs a secret of at least 32 bytes (OMNIA_JWT_SECRET)');
  return { key: new TextEncoder().encode(config.secret), algorithms: ['HS256'], remote: false, keySetVersion: local };
}

/** jose's refusal as this service's 401 (or 503 when the JWKS is out of reach). */
function refusal(error: unknown, remote: boolean): ApiError {
  if (!(error instanceof errors.JOSEError)) {
    // fetch failing (connection refused, DNS) while getting the JWKS
    if (remote && error instanceof Error && !(error instanceof ApiError)) return authUnavailable(error);
    throw error;
  }
  switch (error.code) {
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return tokenError('TOKEN_MALFORMED', `The token is not a valid JWT: ${error.message}`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return tokenError('TOKEN_ALGORITHM_REJECTED', 'The token is signed with an algorithm this service does not accept');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return tokenError('TOKEN_SIGNATURE_INVALID', 'The token signature does not verify');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return tokenError('TOKEN_SIGNATURE_INVALID', 'The token is not signed with a key the issuer publishes');
    case 'ERR_JWT_EXPIRED':
      return (error as errors.JWTExpired).claim === 'exp'
        ? tokenError('TOKEN_EXPIRED', 'The token has expired')
        : tokenError('TOKEN_CLAIMS_INVALID', error.message);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as errors.JWTClaimValidationFailed;
      if (claim === 'iss') return tokenError('TOKEN_ISSUER_INVALID', 'The token was issued by an issuer this service does not trust');
      if (claim === 'aud') return tokenError('TOKEN_AUDIENCE_INVALID', 'The token is not meant for this service');
      if (claim === 'nbf' && reason === 'check_failed') return tokenError('TOKEN_NOT_YET_VALID', 'The token is not valid yet');
      return tokenError('TOKEN_CLAIMS_INVALID', `The token's claims are invalid: ${error.message}`);
    }
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return authUnavailable(error);
    default:
      // ERR_JOSE_GENERIC: a JWKS answer other than 200
      if (remote) return authUnavailable(error);
      return tokenError('TOKEN_MALFORMED', `The token cannot be verified: ${error.message}`);
  }
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** What jose leaves to the application: the shape of `sub`, `roles`, `stores`, an `iat` in the future, a known role. */
function principalOf(token: string, claims: JWTPayload, nowSeconds: number, skew: number): Principal {
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw tokenError('TOKEN_CLAIMS_INVALID', "The token's sub claim must be a non-empty string");
  if (claims.roles !== undefined && !isStringArray(claims.roles))
    throw tokenError('TOKEN_CLAIMS_INVALID', "The token's roles claim must be an array of strings");
  if (claims.stores !== undefined && !isStringArray(claims.stores))
    throw tokenError('TOKEN_CLAIMS_INVALID', "The token's stores claim must be an array of strings");
  if (claims.iat !== undefined && claims.iat > nowSeconds + skew) throw tokenError('TOKEN_NOT_YET_VALID', 'The token is not valid yet');
  const roles = ((claims.roles as string[] | undefined) ?? []).filter((role): role is Role => (Roles as readonly string[]).includes(role));
  if (roles.length === 0) throw noKnownRole();
  const tokenId =
    typeof claims.jti === 'string' && claims.jti !== ''
      ? `jti:${claims.jti}`
      : `sha256:${createHash('sha256').update(token).digest('base64url')}`;
  return { subject: claims.sub, roles: [...new Set(roles)], stores: (claims.stores as string[] | undefined) ?? [], tokenId };
}

export type TokenVerifier = (token: string, nowMs: number) => Promise<Principal>;

/** Builds the verifier once per config (keys parsed, the JWKS fetcher made here, not per request). */
export function tokenVerifier(config: AuthConfig): TokenVerifier {
  const { key: material, algorithms, remote, keySetVersion } = keyMaterial(config);
  // An HS256 secret imported once: handed to jose as bytes, it was imported again on every request (a third of
  // the verify time; bench/query-service).
  const key: Promise<unknown> =
    material instanceof Uint8Array
      ? crypto.subtle.importKey('raw', new Uint8Array(material), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : Promise.resolve(material);
  const skew = config.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const verified = new VerifiedTokens({ clockSkewSeconds: skew, keySetVersion });
  return async (token, nowMs) => {
    if (token.length > MAX_TOKEN_LENGTH) throw tokenError('TOKEN_MALFORMED', 'The token is longer than this service accepts');
    const known = verified.get(token, nowMs);
    if (known !== undefined) return known;
    const keySet = verified.currentKeySet();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, (await key) as JWTVerifyGetKey, {
        algorithms,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: skew,
        currentDate: new Date(nowMs),
        ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
        ...(config.audience !== undefined ? { audience: config.audience } : {}),
      }));
    } catch (error) {
      throw refusal(error, remote);
    }
    const principal = principalOf(token, claims, nowMs / 1000, skew);
    verified.remember(token, principal, { exp: claims.exp!, nbf: claims.nbf, iat: claims.iat }, nowMs, keySet);
    return principal;
  };
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer …` header, or undefined when there is none (another scheme counts as none). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}

export interface DevClaims {
  sub?: string;
  roles?: readonly string[];
  stores?: readonly string[];
  /** Lifetime from now when `exp` is not given; default one hour. */
  expiresInSeconds?: number;
  [claim: string]: unknown;
}

/**
 * An HS256 token this service accepts under `config` (issuer and audience filled in): what `npm start` prints
 * for trying the API, and what tests and benches sign with. Defaults: subject `dev`, role admin, valid one
 * hour. Synchronous (an HMAC of two JSON parts), so callers need not wait for WebCrypto; verifying stays jose's.
 */
export function devToken(config: AuthConfig, claims: DevClaims = {}, nowMs = Date.now()): string {
  if ((config.algorithm !== undefined && config.algorithm !== 'HS256') || !config.secret || config.jwksUrl || config.publicKey) {
    throw new Error('devToken signs HS256 with the configured secret; the config is not HS256');
  }
  const { expiresInSeconds = 3600, ...rest } = claims;
  const iat = Math.floor(nowMs / 1000);
  const payload = {
    sub: 'dev',
    roles: ['admin'],
    stores: [],
    iat,
    exp: iat + expiresInSeconds,
    ...(config.issuer !== undefined ? { iss: config.issuer } : {}),
    ...(config.audience !== undefined ? { aud: config.audience } : {}),
    ...rest,
  };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${signingInput}.${createHmac('sha256', config.secret).update(signingInput).digest('base64url')}`;
}

/**
 * Whether a request needs a token: every matched route unless its config says `public: true` (deny by
 * default, so a route added later is protected without anyone remembering to), and an unknown path under
 * `/api/` (so that which API paths exist is not told to a caller without a token).
 */
export const requiresToken = (request: FastifyRequest): boolean =>
  request.is404 ? request.url.startsWith('/api/') : request.routeOptions.config.public !== true;

export interface AuthHookOptions {
  now: () => number;
  /** Told the code of each refused request (401/403), for metrics. */
  onRefused?: (code: string) => void;
  /**
   * Lookups forwarded by another replica (forwarding.ts): their inter-replica token instead of a bearer token,
   * and a proof on the answer. Without it, a forwarded request is refused.
   */
  forwarding?: ReplicaForwarding;
}

/** The onRequest hook that sets `request.principal` or refuses the request. */
export function installAuth(app: FastifyInstance, config: AuthConfig, options: AuthHookOptions): void {
  const verify = tokenVerifier(config);
  const forwarding = options.forwarding;
  app.addHook('onRequest', async (request) => {
    if (!requiresToken(request)) return;
    try {
      const forwarded = request.headers[FORWARDED_HEADER];
      if (forwarded !== undefined) {
        // Another replica asks on a caller's behalf: its own token, never the caller's, and only where accepted.
        if (!forwarding?.accepts || request.routeOptions.config.forwardable !== true)
          throw forwardRefused('FORWARD_NOT_ACCEPTED', 'This replica does not answer forwarded requests here');
        const { principal, id } = await forwarding.verify(String(forwarded), request, options.now());
        request.principal = principal;
        request.forwardId = id;
        return;
      }
      const token = bearerToken(request);
      if (token === undefined) throw tokenError('TOKEN_MISSING', 'This route needs an Authorization: Bearer <token> header');
      request.principal = await verify(token, options.now());
    } catch (error) {
      if (error instanceof ApiError) options.onRefused?.(error.code);
      throw error;
    }
  });
  // The answer to a forwarded request proves it comes from a replica that holds the secret.
  if (forwarding)
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.forwardId === undefined) return payload;
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
      if (body !== undefined) reply.header(FORWARD_PROOF_HEADER, forwarding.prove(request.forwardId, reply.statusCode, body));
      return payload;
    });
}
