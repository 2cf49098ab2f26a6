/**
 * Order lookups forwarded from one replica to the one that owns the order's partition, authenticated both ways
 * with a secret every replica shares (OMNIA_FORWARD_SECRET):
 *
 *   the request   The forwarding replica never sends the caller's bearer token. It signs a token of its own
 *                 (an HS256 JWT of type `omnia-forward+jwt`, valid 30 s) carrying the caller's subject, roles
 *                 and stores, the purpose `order-lookup`, the exact path and query asked for, a unique id, and
 *                 as audience the endpoint it sends to; in the `x-omnia-forwarded` header.
 *   the receiver  Accepts a forwarded request only on a route made for it (the lookup) and only with such a
 *                 token: signed with the secret, addressed to its own OMNIA_ENDPOINT, for this very path,
 *                 unexpired and not seen before. The caller's store scope then applies from the claims as it
 *                 would from the caller's own token. Anything else is a 401 (FORWARD_NOT_ACCEPTED,
 *                 FORWARD_TOKEN_INVALID).
 *   the answer    The receiver signs what it answers (an HMAC of the token's id, the status and the body) in
 *                 `x-omnia-forward-proof`; the forwarding replica relays only an answer that carries the proof,
 *                 and otherwise answers from Postgres.
 *
 * Anything that can join the consumer group can advertise an endpoint and have lookups forwarded to it: such a
 * member now receives no user token, only forwarded tokens that are good at its own address alone, for one
 * path, for 30 seconds; and what it answers is not relayed to anyone.
 *
 * Mutual TLS between the replicas would authenticate them as well, but it needs a certificate per replica,
 * their rotation, and the query service's port (which also serves the store app through the ingress) speaking
 * TLS to both; a signed token needs one more secret, works over the same port and carries the caller's scope
 * along, so the owner checks it itself.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiError } from './errors.js';
import { type Principal, type Role, Roles } from './principal.js';

/** The inter-replica token of a forwarded request (it replaces the caller's Authorization header). */
export const FORWARDED_HEADER = 'x-omnia-forwarded';
/** The receiving replica's HMAC over its answer: the forwarding replica relays nothing without it. */
export const FORWARD_PROOF_HEADER = 'x-omnia-forward-proof';
export const FORWARD_TOKEN_TYPE = 'omnia-forward+jwt';
export const FORWARD_ISSUER = 'omnia-replica';
export const FORWARD_PURPOSE = 'order-lookup';
export const FORWARD_TOKEN_SECONDS = 30;
/** OMNIA_FORWARD_SECRET's least length, as for any HS256 secret (RFC 7518 §3.2). */
export const FORWARD_SECRET_MIN_BYTES = 32;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers requests forwarded by another replica (with an inter-replica token). */
    forwardable?: boolean;
  }
  interface FastifyRequest {
    /** Set on a forwarded request whose inter-replica token verified: the token's id, which the answer's proof covers. */
    forwardId?: string;
  }
}

export interface ReplicaForwarding {
  /** Whether forwarded requests are accepted here: only by a replica that knows its own advertised endpoint. */
  readonly accepts: boolean;
  /** The token for forwarding `path` (path and query) to the replica at `endpoint` on behalf of `principal`. */
  sign(principal: Principal, endpoint: string, path: string, nowMs?: number): Promise<{ token: string; id: string }>;
  /** The caller of a forwarded request; a 401 ApiError when the token does not hold. */
  verify(token: string, request: Pick<FastifyRequest, 'method' | 'url'>, nowMs: number): Promise<{ principal: Principal; id: string }>;
  /** The proof of an answer to the forwarded request `id`. */
  prove(id: string, status: number, body: string): string;
  /** Whether `proof` is the proof of this answer. */
  proves(id: string, status: number, body: string, proof: string | undefined): boolean;
}

export interface ForwardingConfig {
  /** OMNIA_FORWARD_SECRET: the same on every replica, ≥ 32 bytes, not the JWT secret. */
  secret: string;
  /** This replica's OMNIA_ENDPOINT (host:port): the audience forwarded tokens must name. Unset: none accepted. */
  endpoint?: string | undefined;
  /** Tolerance of the replicas' clocks, either way; default 30 s. */
  clockSkewSeconds?: number;
}

export const forwardRefused = (code: 'FORWARD_NOT_ACCEPTED' | 'FORWARD_TOKEN_INVALID', message: string): ApiError =>
  new ApiError(401, code, message);

/** Refuses at start a secret that is missing where it is needed, short, or the same as the JWT secret. */
export function checkForwardSecret(endpoint: string | undefined, secret: string | undefined, jwtSecret: string | undefined): void {
  if (endpoint && !secret)
    throw new Error(
      `OMNIA_ENDPOINT is set (${endpoint}), so other replicas forward order lookups here: set OMNIA_FORWARD_SECRET, the same random secret of at least ${FORWARD_SECRET_MIN_BYTES} bytes on every replica (openssl rand -base64 48), with which they sign forwarded requests`,
    );
  if (secret && Buffer.byteLength(secret) < FORWARD_SECRET_MIN_BYTES)
    throw new Error(`OMNIA_FORWARD_SECRET must be at least ${FORWARD_SECRET_MIN_BYTES} bytes`);
  if (secret && jwtSecret && secret === jwtSecret)
    throw new Error('OMNIA_FORWARD_SECRET must differ from OMNIA_JWT_SECRET: a forwarded token must never pass as a user’s token');
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function replicaForwarding(config: ForwardingConfig): ReplicaForwarding {
  checkForwardSecret(config.endpoint, config.secret, undefined);
  const key = new TextEncoder().encode(config.secret);
  const skew = config.clockSkewSeconds ?? 30;
  // Each forwarded token is used once: its id is remembered for as long as it could still verify.
  const seen = new LRUCache<string, true>({ max: 100_000, ttl: (FORWARD_TOKEN_SECONDS + 2 * skew) * 1000 });
  const mac = (id: string, status: number, body: string) =>
    createHmac('sha256', config.secret).update(`omnia-forward-proof\n${id}\n${status}\n`).update(body).digest();

  const sign: ReplicaForwarding['sign'] = async (principal, endpoint, path, nowMs = Date.now()) => {
    const id = randomUUID();
    const iat = Math.floor(nowMs / 1000);
    const token = await new SignJWT({
      roles: [...principal.roles],
      stores: [...principal.stores],
      tid: principal.tokenId,
      purpose: FORWARD_PURPOSE,
      path,
    })
      .setProtectedHeader({ alg: 'HS256', typ: FORWARD_TOKEN_TYPE })
      .setIssuer(FORWARD_ISSUER)
      .setAudience(endpoint)
      .setSubject(principal.subject)
      .setJti(id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + FORWARD_TOKEN_SECONDS)
      .sign(key);
    return { token, id };
  };

  const verify: ReplicaForwarding['verify'] = async (token, request, nowMs) => {
    if (!config.endpoint)
      throw forwardRefused('FORWARD_NOT_ACCEPTED', 'This replica advertises no endpoint (OMNIA_ENDPOINT): nothing is forwarded to it');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        typ: FORWARD_TOKEN_TYPE,
        issuer: FORWARD_ISSUER,
        audience: config.endpoint,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        maxTokenAge: FORWARD_TOKEN_SECONDS + skew,
        clockTolerance: skew,
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      throw forwardRefused('FORWARD_TOKEN_INVALID', `The inter-replica token does not hold: ${reason(error)}`);
    }
    if (claims.purpose !== FORWARD_PURPOSE || request.method !== 'GET')
      throw forwardRefused('FORWARD_TOKEN_INVALID', 'The inter-replica token is not for this kind of request');
    if (claims.path !== request.url)
      throw forwardRefused('FORWARD_TOKEN_INVALID', 'The inter-replica token was issued for another request');
    if (!isStringArray(claims.roles) || !isStringArray(claims.stores) || typeof claims.tid !== 'string' || typeof claims.sub !== 'string')
      throw forwardRefused('FORWARD_TOKEN_INVALID', "The inter-replica token's claims are malformed");
    const id = claims.jti as string;
    if (seen.has(id)) throw forwardRefused('FORWARD_TOKEN_INVALID', 'The inter-replica token was used already');
    seen.set(id, true);
    const roles = claims.roles.filter((role): role is Role => (Roles as readonly string[]).includes(role));
    if (roles.length === 0) throw new ApiError(403, 'FORBIDDEN', `The token grants none of the roles ${Roles.join(', ')}`);
    return { principal: { subject: claims.sub, roles, stores: claims.stores, tokenId: claims.tid }, id };
  };

  return {
    accepts: Boolean(config.endpoint),
    sign,
    verify,
    prove: (id, status, body) => mac(id, status, body).toString('base64url'),
    proves: (id, status, body, proof) => {
      if (typeof proof !== 'string') return false;
      const expected = mac(id, status, body);
      const given = Buffer.from(proof, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

function reason(error: unknown): string {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify (another OMNIA_FORWARD_SECRET?)';
  if (error instanceof errors.JWTExpired) return 'it has expired (or the replicas’ clocks disagree)';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'it is addressed to another replica';
    return `its ${error.claim} claim is invalid (${error.reason})`;
  }
  if (error instanceof errors.JOSEError) return error.message;
  return String(error);
}
