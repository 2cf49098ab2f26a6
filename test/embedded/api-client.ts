/** The query service of an embedded default, called as one user (a token the process signs for `claims`). */
import type { Embedded } from '../../bin/embedded.js';
import { devToken } from '../../query-service/auth.js';

export interface Claims {
  sub: string;
  roles: string[];
  stores?: string[];
}

export interface Reply<Body> {
  status: number;
  body: Body;
  /** The answer is one the service remembered for this Idempotency-Key. */
  replayed: boolean;
}

export interface ApiClient<Body> {
  get(path: string): Promise<Reply<Body>>;
  post(path: string, body?: unknown, idempotencyKey?: string): Promise<Reply<Body>>;
  put(path: string, body: unknown): Promise<Reply<Body>>;
}

/** `Body`: what the test reads of the answers (every answer is JSON). */
export function apiClient<Body>(embedded: Embedded, claims: Claims): ApiClient<Body> {
  const token = devToken(embedded.query.devAuth!, { ...claims });
  const call = async (method: string, path: string, body?: unknown, key?: string): Promise<Reply<Body>> => {
    const response = await fetch(`${embedded.query.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Body,
      replayed: response.headers.get('idempotent-replayed') === 'true',
    };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, key) => call('POST', path, body, key),
    put: (path, body) => call('PUT', path, body),
  };
}
