/**
 * Bearer-token auth: a JWT signed HS256 (shared secret) or RS256 (the issuer's RSA public key), verified with
 * node:crypto. The order of checks is the order of trust:
 *
 *   1. a `Bearer` token is present                                   else 401 TOKEN_MISSING
 *   2. three base64url parts, header and payload JSON objects        else 401 TOKEN_MALFORMED
 *   3. header `alg` is exactly the configured algorithm              else 401 TOKEN_ALGORITHM_REJECTED
 *      (`none`, and HS256 when RS256 is configured — alg confusion — are refused here, before any key is used)
 *   4. the signature verifies                                        else 401 TOKEN_SIGNATURE_INVALID
 *   5. claims well-typed: `sub`, `exp` required                      else 401 TOKEN_CLAIMS_INVALID
 *   6. not expired / not before `nbf` / not issued in the future     else 401 TOKEN_EXPIRED / TOKEN_NOT_YET_VALID
 *   7. `iss` / `aud` match when configured                           else 401 TOKEN_ISSUER_INVALID / TOKEN_AUDIENCE_INVALID
 *   8. at least one known role                                       else 403 FORBIDDEN
 *
 * Nothing in the claims is looked at before the signature holds. Times allow `clockSkewSeconds` either way.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, type KeyObject, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { type Principal, type Role, Roles } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An open route (health, metrics, docs): no token asked for. Every other route needs one. */
    public?: boolean;
  }
}

export const JwtAlgorithms = ['HS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JwtAlgorithms)[number];

export interface AuthConfig {
  algorithm: JwtAlgorithm;
  /** HS256: the shared secret, at least 32 bytes (RFC 7518 §3.2). */
  secret?: string;
  /** RS256: the issuer's public key, PEM (SPKI or PKCS#1) or a KeyObject. */
  publicKey?: string | KeyObject;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` (a string or an array) must contain it. */
  audience?: string;
  /** Tolerance for `exp`, `nbf` and `iat` against this host's clock; default 30 s. */
  clockSkewSeconds?: number;
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
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A 401: RFC 6750 §3 — no error attributes when no token was sent, `invalid_token` with a description otherwise. */
export function tokenError(code: TokenErrorCode, message: string): ApiError {
  const challenge = code === 'TOKEN_MISSING' ? 'Bearer realm="omnia"' : `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`;
  return new ApiError(401, code, message, undefined, { 'www-authenticate': challenge });
}

const noKnownRole = (): ApiError =>
  new ApiError(403, 'FORBIDDEN', `The token grants none of the roles ${Roles.join(', ')}`, undefined, {
    'www-authenticate': 'Bearer error="insufficient_scope", error_description="The token grants no known role"',
  });

/** The signature check of the configured algorithm; refuses at start a config that cannot verify anything. */
function signatureCheck(config: AuthConfig): (signingInput: string, signature: Buffer) => boolean {
  if (config.algorithm === 'HS256') {
    if (!config.secret || Buffer.byteLength(config.secret) < 32) throw new Error('HS256 needs a secret of at least 32 bytes (OMNIA_JWT_SECRET)');
    const secret = Buffer.from(config.secret);
    return (signingInput, signature) => {
      const expected = createHmac('sha256', secret).update(signingInput).digest();
      return signature.length === expected.length && timingSafeEqual(signature, expected);
    };
  }
  if (config.algorithm === 'RS256') {
    if (!config.publicKey) throw new Error('RS256 needs the issuer’s public key (OMNIA_JWT_PUBLIC_KEY)');
    const key = typeof config.publicKey === 'string' ? createPublicKey(config.publicKey) : config.publicKey;
    if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') throw new Error('RS256 needs an RSA public key');
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RS256 needs an RSA key of at least 2048 bits');
    return (signingInput, signature) => {
      try {
        return cryptoVerify('sha256', Buffer.from(signingInput), key, signature);
      } catch {
        return false;
      }
    };
  }
  throw new Error(`Unsupported JWT algorithm ${String(config.algorithm)}; use one of ${JwtAlgorithms.join(', ')}`);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

function decodeJson(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw tokenError('TOKEN_MALFORMED', 'The token is not a JWT: a part is not base64url-encoded JSON');
  }
  if (!isObject(value)) throw tokenError('TOKEN_MALFORMED', 'The token is not a JWT: header and payload must be JSON objects');
  return value;
}

const numericDate = (claims: Record<string, unknown>, name: string, required: boolean): number | undefined => {
  const value = claims[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw tokenError('TOKEN_CLAIMS_INVALID', `The token's ${name} claim must be a NumericDate${required ? ' and is required' : ''}`);
  return value;
};

export type TokenVerifier = (token: string, nowMs: number) => Principal;

/** Builds the verifier once per config (the key is parsed here, not per request). */
export function tokenVerifier(config: AuthConfig): TokenVerifier {
  const checkSignature = signatureCheck(config);
  const skew = config.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  return (token, nowMs) => {
    const parts = token.split('.');
    const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
    // The signature may be empty here (an unsecured `alg: none` token), so that such a token is told apart below.
    if (token.length > MAX_TOKEN_LENGTH || parts.length !== 3 || !BASE64URL.test(encodedHeader) || !BASE64URL.test(encodedPayload) || !/^[A-Za-z0-9_-]*$/.test(encodedSignature)) {
      throw tokenError('TOKEN_MALFORMED', 'The token is not a JWT: expected three base64url parts');
    }
    const header = decodeJson(encodedHeader);
    if (typeof header.alg !== 'string') throw tokenError('TOKEN_MALFORMED', 'The token header has no alg');
    if (header.alg !== config.algorithm) throw tokenError('TOKEN_ALGORITHM_REJECTED', `The token is signed ${header.alg}; only ${config.algorithm} is accepted`);
    if (header.crit !== undefined) throw tokenError('TOKEN_MALFORMED', 'The token header lists critical extensions this service does not support');
    if (!checkSignature(`${encodedHeader}.${encodedPayload}`, Buffer.from(encodedSignature, 'base64url'))) {
      throw tokenError('TOKEN_SIGNATURE_INVALID', 'The token signature does not verify');
    }

    const claims = decodeJson(encodedPayload);
    const now = nowMs / 1000;
    const exp = numericDate(claims, 'exp', true)!;
    const nbf = numericDate(claims, 'nbf', false);
    const iat = numericDate(claims, 'iat', false);
    if (typeof claims.sub !== 'string' || claims.sub === '') throw tokenError('TOKEN_CLAIMS_INVALID', "The token's sub claim must be a non-empty string");
    if (claims.roles !== undefined && !isStringArray(claims.roles)) throw tokenError('TOKEN_CLAIMS_INVALID', "The token's roles claim must be an array of strings");
    if (claims.stores !== undefined && !isStringArray(claims.stores)) throw tokenError('TOKEN_CLAIMS_INVALID', "The token's stores claim must be an array of strings");
    if (now >= exp + skew) throw tokenError('TOKEN_EXPIRED', 'The token has expired');
    if ((nbf !== undefined && now + skew < nbf) || (iat !== undefined && now + skew < iat)) throw tokenError('TOKEN_NOT_YET_VALID', 'The token is not valid yet');
    if (config.issuer !== undefined && claims.iss !== config.issuer) throw tokenError('TOKEN_ISSUER_INVALID', 'The token was issued by an issuer this service does not trust');
    if (config.audience !== undefined) {
      const audiences = typeof claims.aud === 'string' ? [claims.aud] : isStringArray(claims.aud) ? claims.aud : [];
      if (!audiences.includes(config.audience)) throw tokenError('TOKEN_AUDIENCE_INVALID', 'The token is not meant for this service');
    }

    const roles = ((claims.roles as string[] | undefined) ?? []).filter((role): role is Role => (Roles as readonly string[]).includes(role));
    if (roles.length === 0) throw noKnownRole();
    const tokenId = typeof claims.jti === 'string' && claims.jti !== '' ? `jti:${claims.jti}` : `sha256:${createHash('sha256').update(token).digest('base64url')}`;
    return { subject: claims.sub, roles: [...new Set(roles)], stores: (claims.stores as string[] | undefined) ?? [], tokenId };
  };
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer …` header, or undefined when there is none (another scheme counts as none). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}

/** Signs a JWT; for tests, tools and `devToken`. `key` is the HS256 secret or an RS256 private key (PEM or KeyObject). */
export function signJwt(algorithm: JwtAlgorithm, key: string | KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: algorithm, typ: 'JWT', ...header })}.${encode(claims)}`;
  const signature =
    algorithm === 'HS256'
      ? createHmac('sha256', typeof key === 'string' ? Buffer.from(key) : key).update(signingInput).digest()
      : cryptoSign('sha256', Buffer.from(signingInput), typeof key === 'string' ? createPrivateKey(key) : key);
  return `${signingInput}.${signature.toString('base64url')}`;
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
 * for trying the API, and what tests sign with. Defaults: subject `dev`, role admin, valid one hour.
 */
export function devToken(config: AuthConfig, claims: DevClaims = {}, nowMs = Date.now()): string {
  if (config.algorithm !== 'HS256' || !config.secret) throw new Error('devToken signs HS256 with the configured secret; the config is not HS256');
  const { expiresInSeconds = 3600, ...rest } = claims;
  const iat = Math.floor(nowMs / 1000);
  return signJwt('HS256', config.secret, {
    sub: 'dev',
    roles: ['admin'],
    stores: [],
    iat,
    exp: iat + expiresInSeconds,
    ...(config.issuer !== undefined ? { iss: config.issuer } : {}),
    ...(config.audience !== undefined ? { aud: config.audience } : {}),
    ...rest,
  });
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
}

/** The onRequest hook that sets `request.principal` or refuses the request. */
export function installAuth(app: FastifyInstance, config: AuthConfig, options: AuthHookOptions): void {
  const verify = tokenVerifier(config);
  app.addHook('onRequest', async (request) => {
    if (!requiresToken(request)) return;
    try {
      const token = bearerToken(request);
      if (token === undefined) throw tokenError('TOKEN_MISSING', 'This route needs an Authorization: Bearer <token> header');
      request.principal = verify(token, options.now());
    } catch (error) {
      if (error instanceof ApiError) options.onRefused?.(error.code);
      throw error;
    }
  });
}
