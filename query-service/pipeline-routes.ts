/**
 * Store pipeline counts on the analysts' Postgres tables.
 *
 * `GET /stores/:id/pipeline`: for one store, how many orders sit in each status now and the oldest of each,
 * how many are open (not yet Delivered 7500 or Cancelled 9000) and the oldest open one, and the last hour's
 * throughput: orders created (orders.created_at), released (transitions to 3000 in order_status_history) and
 * cancelled (transitions to 9000), each counted once per order.
 * A store role asking for a store outside its claim gets 404 STORE_NOT_FOUND, as for a store that does not
 * exist, so store ids leak nothing. Any other caller gets 200 for any id: a store with no orders (or an id no
 * store has) is all zeros with no statuses; Postgres cannot tell "no such store" from "no orders yet".
 *
 * `GET /region/pipeline`: the same for every store the caller sees (coordinators and admins: every store with
 * orders; store roles: the stores in their claim, zeros included), worst first — most open orders, then the
 * oldest open order, then store id — and the region's totals.
 *
 * `statuses` lists the statuses a store has orders in (ascending code); a status with none is left out.
 * Ages are whole seconds at `asOf`, never negative.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OrderStatus, OrderStatusName, type OrderStatusCode } from '../processors/domain/types.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { canSeeStore, visibleStores } from './principal.js';
import { errorResponseSchema, fieldErrors } from './errors.js';

const HOUR_MS = 3_600_000;
/** Done with by the pipeline: delivered (returns after it are the store's, not the pipeline's), or cancelled. */
const TERMINAL: readonly number[] = [OrderStatus.Delivered, OrderStatus.ReturnRequested, OrderStatus.Returned, OrderStatus.Cancelled];

/** Every error answer: the service's one error shape. */
const errorBody = errorResponseSchema;

const oldestSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['orderId', 'storeId', 'createdAt', 'ageSeconds'],
  properties: {
    orderId: { type: 'string' },
    storeId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    ageSeconds: { type: 'integer', minimum: 0 },
  },
} as const;

const oldestOpenSchema = {
  type: ['object', 'null'],
  description: 'the oldest order not yet Delivered or Cancelled; null when there is none',
  additionalProperties: false,
  required: ['orderId', 'storeId', 'status', 'statusName', 'createdAt', 'ageSeconds'],
  properties: {
    orderId: { type: 'string' },
    storeId: { type: 'string' },
    status: { type: 'integer' },
    statusName: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    ageSeconds: { type: 'integer', minimum: 0 },
  },
} as const;

const statusesSchema = {
  type: 'array',
  description: 'statuses with at least one order, ascending code',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['status', 'statusName', 'orders', 'oldest'],
    properties: {
      status: { type: 'integer' },
      statusName: { type: ['string', 'null'], description: 'null for a code §4 does not name' },
      orders: { type: 'integer', minimum: 0 },
      oldest: oldestSchema,
    },
  },
} as const;

const lastHourSchema = {
  type: 'object',
  description: 'throughput over (from, to]: orders created, released (→3000) and cancelled (→9000)',
  additionalProperties: false,
  required: ['from', 'to', 'created', 'released', 'cancelled'],
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    created: { type: 'integer', minimum: 0 },
    released: { type: 'integer', minimum: 0 },
    cancelled: { type: 'integer', minimum: 0 },
  },
} as const;

const countsProperties = {
  orders: { type: 'integer', minimum: 0, description: 'orders in any status' },
  openOrders: { type: 'integer', minimum: 0, description: 'orders not yet Delivered (7500) or Cancelled (9000)' },
  oldestOpen: oldestOpenSchema,
  statuses: statusesSchema,
  lastHour: lastHourSchema,
} as const;

const storePipelineSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['storeId', 'orders', 'openOrders', 'oldestOpen', 'statuses', 'lastHour'],
  properties: { storeId: { type: 'string' }, ...countsProperties },
} as const;

const storeSchema = {
  summary: "One store's pipeline",
  description:
    "Orders per status now (with the oldest of each), open orders and the oldest open one, and the last hour's created, released and cancelled orders. " +
    'A store role gets 404 for a store outside its claim; other callers get zeros for a store without orders.',
  tags: ['pipeline'],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 100, description: 'ShipFromLocationID' } },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['asOf', 'storeId', 'orders', 'openOrders', 'oldestOpen', 'statuses', 'lastHour'],
      properties: { asOf: { type: 'string', format: 'date-time' }, storeId: { type: 'string' }, ...countsProperties },
    },
    400: { ...errorBody, description: 'the store id is not acceptable (INVALID_STORE)' },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
    404: { ...errorBody, description: 'not a store the caller may see (STORE_NOT_FOUND)' },
  },
} as const;

const regionSchema = {
  summary: 'Pipeline of every store the caller sees',
  description:
    "Each visible store's pipeline, worst first (most open orders, then the oldest open order, then store id), and the totals over them. " +
    'Coordinators and admins see every store with orders; a store role sees the stores in its claim.',
  tags: ['pipeline'],
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['asOf', 'stores', 'totals'],
      properties: {
        asOf: { type: 'string', format: 'date-time' },
        stores: { type: 'array', items: storePipelineSchema },
        totals: {
          type: 'object',
          additionalProperties: false,
          required: ['stores', 'orders', 'openOrders', 'oldestOpen', 'statuses', 'lastHour'],
          properties: { stores: { type: 'integer', minimum: 0 }, ...countsProperties },
        },
      },
    },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
  },
} as const;

interface Oldest {
  orderId: string;
  storeId: string;
  createdAt: string;
  ageSeconds: number;
}
interface StatusCount {
  status: number;
  statusName: string | null;
  orders: number;
  oldest: Oldest | null;
}
interface OldestOpen extends Oldest {
  status: number;
  statusName: string | null;
}
interface LastHour {
  from: string;
  to: string;
  created: number;
  released: number;
  cancelled: number;
}
export interface StorePipeline {
  storeId: string;
  orders: number;
  openOrders: number;
  oldestOpen: OldestOpen | null;
  statuses: StatusCount[];
  lastHour: LastHour;
}

/** The 200 of GET /stores/:id/pipeline: the store's pipeline and when it was read. */
export type StorePipelineAnswer = StorePipeline & { asOf: string };

/** The 200 of GET /region/pipeline: every visible store's pipeline, worst first, and the totals over them. */
export interface RegionPipelineAnswer {
  asOf: string;
  stores: StorePipeline[];
  totals: Omit<StorePipeline, 'storeId'> & { stores: number };
}

const statusName = (status: number): string | null => OrderStatusName[status as OrderStatusCode] ?? null;
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Older first; equal times by order id, as the statements order them. */
const olderFirst = (a: Oldest, b: Oldest): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;

function summarise(storeId: string, statuses: StatusCount[], lastHour: LastHour): StorePipeline {
  statuses.sort((a, b) => a.status - b.status);
  let oldestOpen: OldestOpen | null = null;
  let orders = 0;
  let openOrders = 0;
  for (const entry of statuses) {
    orders += entry.orders;
    if (TERMINAL.includes(entry.status)) continue;
    openOrders += entry.orders;
    if (entry.oldest && (!oldestOpen || olderFirst(entry.oldest, oldestOpen) < 0))
      oldestOpen = { ...entry.oldest, status: entry.status, statusName: entry.statusName };
  }
  return { storeId, orders, openOrders, oldestOpen, statuses, lastHour };
}

/** Worst first: most open orders, then the oldest open order (none last), then store id. */
export function worstFirst(a: StorePipeline, b: StorePipeline): number {
  if (a.openOrders !== b.openOrders) return b.openOrders - a.openOrders;
  if (a.oldestOpen && b.oldestOpen) {
    const age = olderFirst(a.oldestOpen, b.oldestOpen);
    if (age !== 0) return age;
  } else if (a.oldestOpen || b.oldestOpen) {
    return a.oldestOpen ? -1 : 1;
  }
  return a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0;
}

/**
 * The pipelines of `stores` (undefined: every store with orders) at `asOf`, in three statements:
 *  1. orders per (store, status), from orders_location_status_created alone, and the oldest of each pair by
 *     one probe of the same index;
 *  2. orders created in the hour, one range per store of orders_location_created_order (004);
 *  3. transitions to 3000 and 9000 in the hour, one range per store of status_history_location_at.
 */
export async function pipelines(db: SqlDatabase, stores: readonly string[] | undefined, asOf: Date): Promise<StorePipeline[]> {
  const to = asOf.toISOString();
  const from = new Date(asOf.getTime() - HOUR_MS).toISOString();
  const counts = await db.query<{ store: string; status: number; orders: number; order_id: string; created_at: string; age: number }>(
    `WITH counts AS (
       SELECT o.ship_from_location_id AS store, o.status, count(*)::int AS orders FROM orders o
       ${stores ? 'WHERE o.ship_from_location_id = ANY($2::text[])' : ''} GROUP BY 1, 2)
     SELECT c.store, c.status, c.orders, f.order_id, to_char(f.created_at AT TIME ZONE 'UTC', ${ISO_MS}) AS created_at,
            greatest(0, floor(extract(epoch FROM $1::timestamptz - f.created_at)))::int AS age
     FROM counts c CROSS JOIN LATERAL (
       SELECT o.order_id, o.created_at FROM orders o WHERE o.ship_from_location_id = c.store AND o.status = c.status
       ORDER BY o.created_at, o.order_id LIMIT 1) f`,
    stores ? [to, stores] : [to],
  );
  const storeIds = stores ? [...stores] : [...new Set(counts.rows.map((row) => row.store))];
  const [created, moved] = await Promise.all([
    db.query<{ store: string; created: number }>(
      `SELECT s.store, c.created FROM unnest($1::text[]) AS s(store) CROSS JOIN LATERAL (
         SELECT count(*)::int AS created FROM orders o
         WHERE o.ship_from_location_id = s.store AND o.created_at > $2::timestamptz AND o.created_at <= $3::timestamptz) c`,
      [storeIds, from, to],
    ),
    db.query<{ store: string; released: number; cancelled: number }>(
      `SELECT s.store, h.released, h.cancelled FROM unnest($1::text[]) AS s(store) CROSS JOIN LATERAL (
         SELECT count(DISTINCT h.order_id) FILTER (WHERE h.to_status = 3000)::int AS released,
                count(DISTINCT h.order_id) FILTER (WHERE h.to_status = 9000)::int AS cancelled
         FROM order_status_history h
         WHERE h.ship_from_location_id = s.store AND h.at > $2::timestamptz AND h.at <= $3::timestamptz AND h.to_status IN (3000, 9000)) h`,
      [storeIds, from, to],
    ),
  ]);
  const byStore = new Map<string, StatusCount[]>(storeIds.map((store) => [store, []]));
  for (const row of counts.rows) {
    byStore.get(row.store)?.push({
      status: row.status,
      statusName: statusName(row.status),
      orders: row.orders,
      oldest: { orderId: row.order_id, storeId: row.store, createdAt: row.created_at, ageSeconds: row.age },
    });
  }
  const createdBy = new Map(created.rows.map((row) => [row.store, row.created]));
  const movedBy = new Map(moved.rows.map((row) => [row.store, row]));
  return storeIds.map((store) =>
    summarise(store, byStore.get(store) ?? [], {
      from,
      to,
      created: createdBy.get(store) ?? 0,
      released: movedBy.get(store)?.released ?? 0,
      cancelled: movedBy.get(store)?.cancelled ?? 0,
    }),
  );
}

/** The region's totals: counts summed per status, the oldest of each status and the oldest open order over all stores. */
export function regionTotals(stores: readonly StorePipeline[], from: string, to: string): RegionPipelineAnswer['totals'] {
  const statuses = new Map<number, StatusCount>();
  for (const store of stores) {
    for (const entry of store.statuses) {
      const total = statuses.get(entry.status);
      if (!total) statuses.set(entry.status, { ...entry });
      else {
        total.orders += entry.orders;
        if (entry.oldest && (!total.oldest || olderFirst(entry.oldest, total.oldest) < 0)) total.oldest = entry.oldest;
      }
    }
  }
  const lastHour: LastHour = { from, to, created: 0, released: 0, cancelled: 0 };
  for (const store of stores) {
    lastHour.created += store.lastHour.created;
    lastHour.released += store.lastHour.released;
    lastHour.cancelled += store.lastHour.cancelled;
  }
  const { storeId: _storeId, ...summary } = summarise('', [...statuses.values()], lastHour);
  return { stores: stores.length, ...summary };
}

function tokenMissing(reply: FastifyReply) {
  return reply.code(401).send({ error: { code: 'TOKEN_MISSING', message: 'a bearer token is required' } });
}

export function pipelineRoutes(db: SqlDatabase, options: { now?: () => Date } = {}): (app: FastifyInstance) => Promise<void> {
  const now = options.now ?? (() => new Date());
  return async (app) => {
    app.get(
      '/stores/:id/pipeline',
      { schema: storeSchema, attachValidation: true },
      async (request: FastifyRequest, reply: FastifyReply): Promise<StorePipelineAnswer | FastifyReply> => {
        const principal = request.principal;
        if (!principal) return tokenMissing(reply);
        const { id } = request.params as { id: string };
        if (request.validationError || typeof id !== 'string' || id.length === 0 || id.length > 100) {
          const message = 'the store id must be a ShipFromLocationID of 1 to 100 characters';
          const details = request.validationError
            ? fieldErrors(request.validationError.validationContext ?? 'params', request.validationError.validation ?? [])
            : [{ location: 'params', field: 'id', message }];
          return reply.code(400).send({ error: { code: 'INVALID_STORE', message, details } });
        }
        if (!canSeeStore(principal, id))
          return reply.code(404).send({ error: { code: 'STORE_NOT_FOUND', message: `no store ${JSON.stringify(id)}` } });
        const asOf = now();
        const [pipeline] = await pipelines(db, [id], asOf);
        return { asOf: asOf.toISOString(), ...pipeline! };
      },
    );

    app.get(
      '/region/pipeline',
      { schema: regionSchema },
      async (request: FastifyRequest, reply: FastifyReply): Promise<RegionPipelineAnswer | FastifyReply> => {
        const principal = request.principal;
        if (!principal) return tokenMissing(reply);
        const visible = visibleStores(principal);
        const asOf = now();
        const stores = (visible && visible.length === 0 ? [] : await pipelines(db, visible && [...new Set(visible)], asOf)).sort(
          worstFirst,
        );
        const from = new Date(asOf.getTime() - HOUR_MS).toISOString();
        return { asOf: asOf.toISOString(), stores, totals: regionTotals(stores, from, asOf.toISOString()) };
      },
    );
  };
}
