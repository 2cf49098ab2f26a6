/**
 * How long the webhook ingress waits on a client, as Node's HTTP server options (Fastify hands them over):
 * - headers: a request's headers must arrive within `headersTimeoutMs` of its start;
 * - body: the whole request within `bodyTimeoutMs` — a body dribbled in to hold a connection (and its buffer)
 *   open is cut off with 408. Node's own limit is 300 s, and Fastify turns it off;
 * - idle: a connection on which nothing moves either way for `idleTimeoutMs` is destroyed (a client that stops
 *   reading its answer). A request waiting for Kafka's acks is silent meanwhile, so this must be longer than the
 *   produce timeout;
 * - keep-alive: `keepAliveTimeoutMs` between requests, longer than the load balancer's idle timeout so that the
 *   balancer closes first and never sends a request down a connection being closed.
 * What Node refuses before a route runs (too slow, headers too large, not HTTP) is answered on the socket in
 * the service's error shape, then the connection is closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from '../query-service/errors.js';

export interface ConnectionTimeouts {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** As `settings/registry.ts` documents them. */
export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = {
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
};

/** Fastify's server options for `timeouts`; throws on a combination Node refuses or that would cut off a waiting request. */
export function connectionTimeoutOptions(timeouts: ConnectionTimeouts, produceTimeoutMs: number) {
  const { headersTimeoutMs, bodyTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs } = timeouts;
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`webhook ingress: ${name} must be a positive whole number of ms, got ${value}`);
  }
  if (headersTimeoutMs > bodyTimeoutMs)
    throw new Error(
      `webhook ingress: the headers timeout (${headersTimeoutMs} ms) must not be longer than the body timeout (${bodyTimeoutMs} ms), which includes it`,
    );
  if (idleTimeoutMs <= produceTimeoutMs)
    throw new Error(
      `webhook ingress: the idle timeout (${idleTimeoutMs} ms) must be longer than the produce timeout (${produceTimeoutMs} ms), or a request waiting for acks loses its connection`,
    );
  return {
    requestTimeout: bodyTimeoutMs,
    connectionTimeout: idleTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: bodyTimeoutMs,
      // Node checks both deadlines on this interval (30 s by default): a quarter of the shorter keeps them close.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    },
  };
}

const REFUSALS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' },
};
const NOT_HTTP = { status: 400, code: 'BAD_REQUEST', message: 'the request is not valid HTTP' };

/**
 * Fastify's `clientErrorHandler`: answers what Node refused on a connection, then closes it. `refused` hears of
 * each refusal (its code), before the answer is written.
 */
export function answerClientErrors(refused: (socket: Socket, code: string) => void) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = REFUSALS[error.code ?? ''] ?? NOT_HTTP;
    refused(socket, refusal.code);
    if (socket.writable) {
      const body = JSON.stringify(errorBody(refusal.code, refusal.message));
      socket.write(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nConnection: close\r\nCache-Control: no-store\r\n` +
          `X-Content-Type-Options: nosniff\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
