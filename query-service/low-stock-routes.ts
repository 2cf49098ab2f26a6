/**
 * Low stock on the analysts' Postgres tables (postgres/migrations/009_low_stock.sql, the view low_stock_current):
 * the items a store is short of now — more units allocated to orders not yet shipped than were last counted on
 * hand — each with its latest low-stock event (the order whose allocation raised it, and when).
 *
 * `GET /stores/:id/low-stock[?limit=]`: one store's items, most units short first (then item id).
 *
 * `GET /low-stock[?store=&limit=]`: the same over every store the caller sees (coordinators, admins and bundle
 * managers: every store; store roles: the stores in their claim), most units short first (then store, then item),
 * with how many items and units each store is short. Stores belong to no region in the tables or in the tokens,
 * so, as for /region/pipeline, a coordinator's region is every store: `region` is not a parameter, and naming it
 * is refused with that said.
 *
 * Store scope as the other store routes: a store role naming a store outside its claim gets 404 STORE_NOT_FOUND, as
 * for a store that does not exist; a store without low stock (or an id no store has) answers empty lists. Bad input
 * is one 400 VALIDATION_FAILED listing every failing field, an unknown parameter included. Units are whole numbers.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '../postgres/sql.js';
import { errorResponseSchema, type FieldError } from './errors.js';
import { requestFieldErrors, validationMessage } from './request-validation.js';
import { canSeeStore, visibleStores } from './principal.js';

export const DEFAULT_LOW_STOCK_LIMIT = 100;
export const MAX_LOW_STOCK_LIMIT = 1000;

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

// ---------------------------------------------------------------------------------------------- answers

export interface LowStockItem {
  storeId: string;
  itemId: string;
  description: string | null;
  onHand: number;
  allocated: number;
  shortUnits: number;
  lastOrderId: string | null;
  lastEventAt: string | null;
}

/** GET /stores/:id/low-stock. */
export interface StoreLowStockAnswer {
  asOf: string;
  storeId: string;
  total: number;
  items: LowStockItem[];
}

export interface LowStockStore {
  storeId: string;
  items: number;
  shortUnits: number;
}

/** GET /low-stock. */
export interface LowStockAnswer {
  asOf: string;
  storeId: string | null;
  total: number;
  stores: LowStockStore[];
  items: LowStockItem[];
}

// ---------------------------------------------------------------------------------------------- schemas

const storeId = { type: 'string', minLength: 1, maxLength: 100, description: 'ShipFromLocationID' } as const;

const itemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['storeId', 'itemId', 'description', 'onHand', 'allocated', 'shortUnits', 'lastOrderId', 'lastEventAt'],
  properties: {
    storeId: { type: 'string', description: 'ShipFromLocationID' },
    itemId: { type: 'string', description: 'ItemID (SKU)' },
    description: {
      type: ['string', 'null'],
      description: "the item's short description on the line of the order that last raised the event; null when unknown",
    },
    onHand: { type: 'integer', minimum: 0, description: 'units at the store as last counted' },
    allocated: { type: 'integer', minimum: 1, description: 'units allocated to orders not yet shipped' },
    shortUnits: { type: 'integer', minimum: 1, description: 'allocated minus on hand: units the shelf cannot cover' },
    lastOrderId: {
      type: ['string', 'null'],
      description: 'the order whose allocation raised the latest low-stock event; null when only a count brought the item short',
    },
    lastEventAt: { type: ['string', 'null'], format: 'date-time', description: 'when that event was raised' },
  },
} as const;

const limit = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_LOW_STOCK_LIMIT,
  default: DEFAULT_LOW_STOCK_LIMIT,
  description: `most items listed (1–${MAX_LOW_STOCK_LIMIT}); \`total\` counts them all`,
} as const;

const errors = {
  400: { ...errorResponseSchema, description: 'VALIDATION_FAILED, `details` listing every failing field' },
  401: { ...errorResponseSchema, description: 'no principal (TOKEN_MISSING)' },
  404: { ...errorResponseSchema, description: 'not a store the caller may see (STORE_NOT_FOUND)' },
} as const;

const asOf = { type: 'string', format: 'date-time', description: 'when the tables were read' } as const;
const total = { type: 'integer', minimum: 0, description: 'items short in scope; `items` holds the first `limit`' } as const;

const storeSchema = {
  summary: "A store's low stock",
  description:
    'The items the store is short of now: more units allocated to orders not yet shipped than were last counted on hand, most units short first, ' +
    'each with the order whose allocation last raised a low-stock event. A store role gets 404 for a store outside its claim.',
  tags: ['inventory'],
  params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: storeId } },
  querystring: { type: 'object', additionalProperties: false, properties: { limit } },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['asOf', 'storeId', 'total', 'items'],
      properties: { asOf, storeId: { type: 'string' }, total, items: { type: 'array', items: itemSchema } },
    },
    ...errors,
  },
} as const;

const acrossSchema = {
  summary: 'Low stock of every store the caller sees',
  description:
    'The items short now at every store the caller sees (coordinators and admins: every store; store roles: their own), most units short first, ' +
    'and per store how many items and units. Stores belong to no region, so there is no `region` parameter: `store` narrows to one store.',
  tags: ['inventory'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { store: { ...storeId, description: 'only this ShipFromLocationID' }, limit },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['asOf', 'storeId', 'total', 'stores', 'items'],
      properties: {
        asOf,
        storeId: { type: ['string', 'null'], description: 'the store asked for; null: every store the caller sees' },
        total,
        stores: {
          type: 'array',
          description: 'stores with low stock, most items first (then most units, then store id)',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['storeId', 'items', 'shortUnits'],
            properties: {
              storeId: { type: 'string' },
              items: { type: 'integer', minimum: 1, description: 'items short' },
              shortUnits: { type: 'integer', minimum: 1, description: 'units short over those items' },
            },
          },
        },
        items: { type: 'array', items: itemSchema },
      },
    },
    ...errors,
  },
} as const;

// ------------------------------------------------------------------------------------------- statements

/** int8 and sums come back as exact strings; units are whole and far below 2^53. */
const whole = (value: string): number => Number(value);

interface ItemRow extends Omit<LowStockItem, 'onHand' | 'allocated' | 'shortUnits'> {
  onHand: string;
  allocated: string;
  shortUnits: string;
}

/** The statement's scope: `stores` undefined is every store. */
const scopeOf = (stores: readonly string[] | undefined) =>
  stores
    ? { where: 'WHERE ship_from_location_id = ANY($1::text[])', params: [stores] as unknown[] }
    : { where: '', params: [] as unknown[] };

/** The first `limit` items short among `stores` (undefined: all), most units short first. */
export async function lowStockItems(db: SqlDatabase, stores: readonly string[] | undefined, limit: number): Promise<LowStockItem[]> {
  const { where, params } = scopeOf(stores);
  const rows = await db.query<ItemRow>(
    `SELECT ship_from_location_id AS "storeId", item_id AS "itemId", short_description AS description,
            on_hand::text AS "onHand", allocated::text AS allocated, short_units::text AS "shortUnits",
            last_order_id AS "lastOrderId", to_char(last_event_at AT TIME ZONE 'UTC', ${ISO_MS}) AS "lastEventAt"
     FROM low_stock_current ${where}
     ORDER BY short_units DESC, ship_from_location_id, item_id LIMIT $${params.length + 1}`,
    [...params, limit],
  );
  return rows.rows.map((row) => ({
    ...row,
    onHand: whole(row.onHand),
    allocated: whole(row.allocated),
    shortUnits: whole(row.shortUnits),
  }));
}

/** Per store among `stores` (undefined: all), the items and units short; most items first. */
export async function lowStockStores(db: SqlDatabase, stores: readonly string[] | undefined): Promise<LowStockStore[]> {
  const { where, params } = scopeOf(stores);
  const rows = await db.query<{ storeId: string; items: string; shortUnits: string }>(
    `SELECT ship_from_location_id AS "storeId", count(*)::text AS items, sum(short_units)::text AS "shortUnits"
     FROM low_stock_current ${where}
     GROUP BY ship_from_location_id ORDER BY count(*) DESC, sum(short_units) DESC, ship_from_location_id`,
    params,
  );
  return rows.rows.map((row) => ({ storeId: row.storeId, items: whole(row.items), shortUnits: whole(row.shortUnits) }));
}

// ----------------------------------------------------------------------------------------------- routes

/**
 * Request checks of this plugin: every error; `limit` read as a number, but nothing dropped (an unknown parameter
 * is an error, not ignored).
 */
function lowStockValidator() {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false, logger: false });
  return ({ schema }: { schema: object }) => ajv.compile(schema);
}

interface Refusal {
  status: number;
  code: string;
  message: string;
  details?: FieldError[];
}

/** What a caller asking for a region is told. */
const NO_REGIONS = "stores belong to no region: a coordinator's region is every store; name one with store=";

/** Why a request is not answered: no principal, or every failing field; undefined when it is answered. */
function refusal(request: FastifyRequest): Refusal | undefined {
  if (!request.principal) return { status: 401, code: 'TOKEN_MISSING', message: 'a bearer token is required' };
  const error = request.validationError;
  if (!error) return undefined;
  const details = requestFieldErrors(request, error, 'querystring').map((detail) =>
    detail.field === 'region' && detail.location === 'querystring' ? { ...detail, message: NO_REGIONS } : detail,
  );
  return { status: 400, code: 'VALIDATION_FAILED', message: validationMessage(details), details };
}

const send = (reply: FastifyReply, { status, code, message, details }: Refusal) =>
  reply.code(status).send({ error: details ? { code, message, details } : { code, message } });

const storeNotFound = (id: string): Refusal => ({ status: 404, code: 'STORE_NOT_FOUND', message: `no store ${JSON.stringify(id)}` });

export function lowStockRoutes(db: SqlDatabase, options: { now?: () => Date } = {}): (app: FastifyInstance) => Promise<void> {
  const now = options.now ?? (() => new Date());
  return async (app) => {
    app.setValidatorCompiler(lowStockValidator());

    app.get('/stores/:id/low-stock', { schema: storeSchema, attachValidation: true }, async (request, reply) => {
      const failed = refusal(request);
      if (failed) return send(reply, failed);
      const { id } = request.params as { id: string };
      if (!canSeeStore(request.principal!, id)) return send(reply, storeNotFound(id));
      const { limit } = request.query as { limit: number };
      const read = now();
      const [items, stores] = await Promise.all([lowStockItems(db, [id], limit), lowStockStores(db, [id])]);
      const answer: StoreLowStockAnswer = { asOf: read.toISOString(), storeId: id, total: stores[0]?.items ?? 0, items };
      return answer;
    });

    app.get('/low-stock', { schema: acrossSchema, attachValidation: true }, async (request, reply) => {
      const failed = refusal(request);
      if (failed) return send(reply, failed);
      const { store, limit } = request.query as { store?: string; limit: number };
      if (store !== undefined && !canSeeStore(request.principal!, store)) return send(reply, storeNotFound(store));
      const visible = visibleStores(request.principal!);
      const scope = store !== undefined ? [store] : visible && [...new Set(visible)];
      const read = now();
      // A claim without stores sees nothing; no statement is needed for that.
      const [items, stores] =
        scope?.length === 0 ? [[], []] : await Promise.all([lowStockItems(db, scope, limit), lowStockStores(db, scope)]);
      const answer: LowStockAnswer = {
        asOf: read.toISOString(),
        storeId: store ?? null,
        total: stores.reduce((sum, entry) => sum + entry.items, 0),
        stores,
        items,
      };
      return answer;
    });
  };
}
