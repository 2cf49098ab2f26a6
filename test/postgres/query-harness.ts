/**
 * What the query service's Postgres route tests share: orders inserted straight into the table, principals, and
 * a Fastify app that takes its principal from a test header and checks every response against its schema.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Test } from 'tap';
import type { Principal } from '../../query-service/principal.js';

export interface OrderFixture {
  id: string;
  store: string;
  customer?: string | null;
  status: number;
  total?: string | null;
  createdAt: string;
  paymentStatus?: string | null;
}

export async function insertOrders(client: pg.Client, orders: readonly OrderFixture[]): Promise<void> {
  await client.query(
    `INSERT INTO orders (order_id, ship_from_location_id, customer_id, status, payment_method, payment_status, order_total, created_at, updated_at)
     SELECT id, store, customer, status, 'COD', payment, total, created, created + interval '1 minute'
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::numeric[], $7::timestamptz[]) AS r(id, store, customer, status, payment, total, created)`,
    [
      orders.map((o) => o.id),
      orders.map((o) => o.store),
      orders.map((o) => (o.customer === undefined ? 'C-1' : o.customer)),
      orders.map((o) => o.status),
      orders.map((o) => o.paymentStatus ?? null),
      orders.map((o) => (o.total === undefined ? '10.0000' : o.total)),
      orders.map((o) => o.createdAt),
    ],
  );
}

export const coordinator: Principal = { subject: 'coord', roles: ['regional_coordinator'], stores: [], tokenId: 't-coord' };
export const storeStaff = (...stores: string[]): Principal => ({
  subject: 'staff',
  roles: ['store_staff'],
  stores,
  tokenId: `t-${stores.join('-')}`,
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A Fastify app as the core will build it, reduced to what these routes need: the principal from a test header,
 * and every response checked against its route's schema before it is sent (a mismatch is a 500).
 */
export async function testApp(t: Test, plugin: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify();
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)) });
  const validators = new Map<unknown, ValidateFunction>();
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-test-principal'];
    if (typeof header === 'string') request.principal = JSON.parse(header) as Principal;
  });
  app.addHook('preSerialization', async (request, reply, payload) => {
    const schema = (request.routeOptions.schema?.response as Record<string, object> | undefined)?.[String(reply.statusCode)];
    if (!schema) throw new Error(`no response schema for ${reply.statusCode}`);
    let validate = validators.get(schema);
    if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
    if (!validate(payload))
      throw new Error(`response does not match its schema: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(payload).slice(0, 500)}`);
    return payload;
  });
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema?.summary || !Array.isArray(schema.tags) || !schema.response)
      throw new Error(`route ${route.url} lacks summary, tags or response schemas`);
  });
  await app.register(plugin, { prefix: '/api/v1' });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

export interface ErrorReply {
  error?: { code: string; message: string };
}

/** GET as `principal` (none: no principal at all); the status and the JSON body, read as `B`. */
export async function get<B = ErrorReply>(
  app: FastifyInstance,
  url: string,
  principal: Principal | undefined,
): Promise<{ status: number; body: B }> {
  const response = await app.inject({ method: 'GET', url, headers: principal ? { 'x-test-principal': JSON.stringify(principal) } : {} });
  return { status: response.statusCode, body: response.json<B>() };
}
