/** A demo route plugin and a service built around it, for the query-service core tests. */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildQueryService, type QueryServiceOptions, type RoutePlugin } from '../../../query-service/app.js';
import type { AuthConfig } from '../../../query-service/auth.js';
import { errorResponseSchema, notFound } from '../../../query-service/errors.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
export const hs256: AuthConfig = { algorithm: 'HS256', secret: SECRET };
export const T0 = Date.parse('2026-11-21T09:00:00Z');

const orderSchema = {
  type: 'object',
  required: ['OrderID', 'ShipFromLocationID', 'status'],
  properties: {
    OrderID: { type: 'string' },
    ShipFromLocationID: { type: 'string' },
    status: { type: 'integer' },
    viewer: { type: 'string' },
  },
};

/** Orders by id, a search with a query, a body route, a route whose response breaks its schema, one that throws. */
export const demoRoutes: RoutePlugin = async (app) => {
  app.addSchema({ $id: 'store', type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' } } });

  app.get(
    '/orders/:orderId',
    {
      schema: {
        summary: 'One order by id',
        tags: ['orders'],
        params: {
          type: 'object',
          required: ['orderId'],
          properties: { orderId: { type: 'string', minLength: 3, description: 'The OrderID' } },
        },
        response: { 200: orderSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const { orderId } = request.params as { orderId: string };
      if (orderId === 'missing') throw notFound(`No order ${orderId}`);
      return { OrderID: orderId, ShipFromLocationID: 'S001', status: 3000, viewer: request.principal?.subject };
    },
  );

  app.get(
    '/search',
    {
      schema: {
        summary: 'Search orders',
        tags: ['search'],
        querystring: {
          type: 'object',
          required: ['store'],
          additionalProperties: false,
          properties: {
            store: { type: 'string', pattern: '^S\\d{3}$' },
            status: { type: 'integer', enum: [1000, 2000, 3000] },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: orderSchema }, limit: { type: 'integer' } },
          },
        },
      },
    },
    async (request) => {
      const query = request.query as { store: string; limit: number };
      return { items: [{ OrderID: 'O-1', ShipFromLocationID: query.store, status: 1000 }], limit: query.limit };
    },
  );

  app.get(
    '/stores/:storeId',
    { schema: { params: { type: 'object', properties: { storeId: { type: 'string' } } }, response: { 200: { $ref: 'store#' } } } },
    async (request) => ({
      id: (request.params as { storeId: string }).storeId,
    }),
  );

  app.post(
    '/notes',
    {
      schema: {
        body: {
          type: 'object',
          required: ['orderId', 'text'],
          properties: { orderId: { type: 'string' }, text: { type: 'string', maxLength: 20 } },
        },
        response: { 201: { type: 'object', properties: { saved: { type: 'boolean' } } } },
      },
    },
    async (_request, reply) => reply.code(201).send({ saved: true }),
  );

  // A bug: the handler returns numbers where the schema says strings, and misses a required field.
  app.get('/broken', { schema: { response: { 200: orderSchema } } }, async () => ({
    OrderID: 42,
    status: 'released',
    secret: 'card 4111',
  }));

  // Subtler: Fastify's serializer alone would quietly send OrderID "42".
  app.get('/coerced', { schema: { response: { 200: orderSchema } } }, async () => ({
    OrderID: 42,
    ShipFromLocationID: 'S001',
    status: 3000,
  }));

  app.get(
    '/dated',
    { schema: { response: { 200: { type: 'object', required: ['at'], properties: { at: { type: 'string', format: 'date-time' } } } } } },
    async () => ({
      at: new Date(Date.UTC(2026, 10, 21, 9)),
    }),
  );

  app.get('/boom', async () => {
    throw new Error('connection to postgres://admin:hunter2@db failed');
  });

  app.get('/whoami', async (request) => request.principal);
};

export interface TestService {
  app: ReturnType<typeof buildQueryService>;
  registry: Registry;
  clock: { now: number };
  ready: { ready: boolean; reason?: string };
}

export function testService(overrides: Partial<QueryServiceOptions> = {}): TestService {
  const clock = { now: T0 };
  const registry = new Registry();
  const ready: { ready: boolean; reason?: string } = { ready: true };
  const app = buildQueryService({
    auth: hs256,
    rateLimit: { perSecond: 5, burst: 10 },
    readiness: () => ready,
    registry,
    routes: [demoRoutes],
    now: () => clock.now,
    // Quiet unless a test listens: the default is the project logger on stdout.
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  return { app, registry, clock, ready };
}

/** The security headers every answer carries, as helmet is configured in plugins.ts. */
export const SECURITY_HEADERS: Readonly<Record<string, string | RegExp>> = {
  'content-security-policy': /^default-src 'none';/,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** The names of the security headers missing or wrong in `headers`. */
export const wrongSecurityHeaders = (headers: Record<string, unknown>): string[] =>
  Object.entries(SECURITY_HEADERS)
    .filter(([name, expected]) => {
      const value = headers[name];
      return typeof value !== 'string' || (typeof expected === 'string' ? value !== expected : !expected.test(value));
    })
    .map(([name]) => name);

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
