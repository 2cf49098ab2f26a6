/**
 * `GET /orders`: order search on the analysts' Postgres tables, newest first, paged by an opaque keyset cursor.
 *
 * Filters: `store`, `status` and `paymentStatus` (several, comma-separated or repeated), `from` (inclusive) / `to`
 * (exclusive) on created_at, `customer`, `minTotal` / `maxTotal` (inclusive, decimal strings), `limit` (1–200, 50)
 * and `cursor`. A store role only ever searches its own stores: a `store` filter naming others narrows to the
 * stores it may see, and when none is left the page is empty (never an error, never their rows).
 *
 * Every page is one statement whose work is bounded by the page size, not the table's size (searchStatement).
 * Rows come newest first by (created_at, order_id), read from indexes in that order and cut at the page size:
 *   - by customer: `orders_customer` (a customer has few orders), the other filters checked on its rows;
 *   - one store and/or one status, or neither: one range of the matching 004 index (or 002's store+status);
 *   - several stores and/or statuses: one range per (store, status), sort keys only, merged; then the rows;
 *   - a total range alone: the planner may take `orders_total` when the range is narrow.
 * The time range and the cursor bound every range; totals and payment statuses are otherwise checked on the rows
 * read (no index has them), so a narrow total range or a rare payment status within a broad search reads more rows
 * than it returns. Filters 400 with a code per parameter (INVALID_STORE, INVALID_STATUS, INVALID_PAYMENT_STATUS,
 * INVALID_FROM, INVALID_TO, INVALID_TIME_RANGE, INVALID_CUSTOMER, INVALID_AMOUNT, INVALID_AMOUNT_RANGE,
 * INVALID_LIMIT, INVALID_CURSOR), the code of the first parameter at fault; `details` names every one of them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OrderStatus, OrderStatusName, PaymentStatus, type OrderStatusCode } from '../processors/domain/types.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { CursorError, decodeCursor, encodeCursor, MAX_CURSOR_LENGTH, type CursorPosition } from './cursor.js';
import { visibleStores } from './principal.js';
import { errorResponseSchema, type FieldError, fieldErrors } from './errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
/** Most stores one search may name: each is an index range of its own. */
export const MAX_STORES = 100;
/**
 * Most sort keys one page reads from per-(store, status) ranges (stores × statuses × page size): that index
 * (002) has no order_id, so each key costs a row read. Per-store ranges come from the index alone (004), so
 * any MAX_STORES stores are read that way.
 */
const MAX_PAIR_KEYS = 12_000;

const STATUS_CODES: readonly number[] = Object.values(OrderStatus);

/** A payment status an order can hold: `Refunded` is an event only, never the order's own (contract §4, Reading 95). */
export type SearchPaymentStatus = Exclude<PaymentStatus, typeof PaymentStatus.Refunded>;
export const SEARCH_PAYMENT_STATUSES: readonly SearchPaymentStatus[] = Object.values(PaymentStatus).filter(
  (status): status is SearchPaymentStatus => status !== PaymentStatus.Refunded,
);
/** One or more of them, comma-separated: the schema refuses any other value, naming the parameter. */
const PAYMENT_STATUS_LIST = `^(${SEARCH_PAYMENT_STATUSES.join('|')})(,(${SEARCH_PAYMENT_STATUSES.join('|')}))*$`;
const MONEY_PATTERN = '^-?\\d{1,14}\\.\\d{4}$';
/** A filter amount: what NUMERIC(18,4) holds, at most 4 decimals (no rounding). */
const AMOUNT = /^(-)?(\d{1,14})(?:\.(\d{1,4}))?$/;
/** RFC 3339 date-time, with a zone (a bare local time would mean a different instant on every server). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Every error answer: the service's one error shape. */
const errorBody = errorResponseSchema;

const listParam = (description: string, itemPattern: string) => ({
  type: 'array',
  description,
  maxItems: MAX_STORES,
  items: { type: 'string', minLength: 1, maxLength: 2000, pattern: itemPattern },
});

const searchSchema = {
  summary: 'Search orders',
  description:
    "Orders from the analysts' tables, newest first (created_at, then order id, both descending). Pages are walked with `nextCursor`; " +
    'a cursor only continues the search it came from (same filters). A store role sees only its stores: naming another store gives an empty page.',
  tags: ['orders'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      store: listParam('ShipFromLocationIDs, comma-separated or repeated (at most 100)', '^[^,]+(,[^,]+)*$'),
      status: listParam('status codes (§4), comma-separated or repeated', '^\\d{4}(,\\d{4})*$'),
      paymentStatus: listParam(
        `payment statuses (§4: ${SEARCH_PAYMENT_STATUSES.join(', ')}), comma-separated or repeated`,
        PAYMENT_STATUS_LIST,
      ),
      from: { type: 'string', format: 'date-time', description: 'created at or after (RFC 3339, with zone)' },
      to: { type: 'string', format: 'date-time', description: 'created before (RFC 3339, with zone)' },
      customer: { type: 'string', minLength: 1, maxLength: 200, description: 'CustomerID' },
      minTotal: {
        type: 'string',
        pattern: '^-?\\d{1,14}(\\.\\d{1,4})?$',
        description: 'order total at least (decimal, at most 4 decimals)',
      },
      maxTotal: {
        type: 'string',
        pattern: '^-?\\d{1,14}(\\.\\d{1,4})?$',
        description: 'order total at most (decimal, at most 4 decimals)',
      },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `page size (1–${MAX_LIMIT})` },
      cursor: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_CURSOR_LENGTH,
        pattern: '^[A-Za-z0-9_-]+$',
        description: 'nextCursor of the previous page',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['orders', 'nextCursor'],
      properties: {
        orders: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: [
              'orderId',
              'shipFromLocationId',
              'customerId',
              'status',
              'statusName',
              'paymentStatus',
              'orderTotal',
              'createdAt',
              'updatedAt',
            ],
            properties: {
              orderId: { type: 'string' },
              shipFromLocationId: { type: 'string' },
              customerId: { type: ['string', 'null'] },
              status: { type: 'integer', description: 'status code (§4)' },
              statusName: { type: ['string', 'null'], description: 'null for a code §4 does not name' },
              paymentStatus: { type: ['string', 'null'] },
              orderTotal: { type: ['string', 'null'], pattern: MONEY_PATTERN, description: 'exact, 4 decimals; null before pricing' },
              createdAt: { type: 'string', format: 'date-time' },
              updatedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
        nextCursor: { type: ['string', 'null'], description: 'null on the last page' },
      },
    },
    400: { ...errorBody, description: 'a filter or the cursor is not acceptable; `error.code` says which' },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
  },
} as const;

/** One order of a GET /orders page: its row in the analysts' tables. */
export interface OrderSummary {
  orderId: string;
  shipFromLocationId: string;
  customerId: string | null;
  status: number;
  /** Null for a code §4 does not name. */
  statusName: string | null;
  paymentStatus: string | null;
  /** Exact, 4 decimals; null before pricing. */
  orderTotal: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The 200 of GET /orders: a page, newest first, and the cursor of the next one (null on the last page). */
export interface SearchPage {
  orders: OrderSummary[];
  nextCursor: string | null;
}

/** The search as asked, normalised: lists sorted and deduplicated, amounts at 4 decimals. */
export interface SearchFilters {
  readonly stores?: readonly string[];
  readonly statuses?: readonly number[];
  readonly paymentStatuses?: readonly SearchPaymentStatus[];
  readonly from?: string;
  readonly to?: string;
  readonly customer?: string;
  readonly minTotal?: string;
  readonly maxTotal?: string;
}

export class FilterError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The parameters at fault, each with what is wrong with it: the answer's `details`. */
    readonly details: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

/** A refusal of `fields` (each named in the details) with the code of the first. */
const refused = (code: string, fields: string | readonly string[], message: string) =>
  new FilterError(
    code,
    message,
    [fields].flat().map((field) => ({ location: 'querystring', field, message })),
  );

interface SearchQuery {
  store?: string | string[];
  status?: string | string[];
  paymentStatus?: string | string[];
  from?: string;
  to?: string;
  customer?: string;
  minTotal?: string;
  maxTotal?: string;
  limit?: number | string;
  cursor?: string;
}

const CODE_BY_FIELD: Record<string, string> = {
  store: 'INVALID_STORE',
  status: 'INVALID_STATUS',
  paymentStatus: 'INVALID_PAYMENT_STATUS',
  from: 'INVALID_FROM',
  to: 'INVALID_TO',
  customer: 'INVALID_CUSTOMER',
  minTotal: 'INVALID_AMOUNT',
  maxTotal: 'INVALID_AMOUNT',
  limit: 'INVALID_LIMIT',
  cursor: 'INVALID_CURSOR',
};

/** A schema verdict on the query string, as the specific code of the parameter it is about. */
function schemaFailure(error: {
  validation?: readonly { instancePath?: string; params?: Record<string, unknown> }[];
  message: string;
}): FilterError {
  const first = error.validation?.[0];
  const field = first?.instancePath?.split('/')[1] ?? (first?.params?.additionalProperty as string | undefined) ?? '';
  return new FilterError(CODE_BY_FIELD[field] ?? 'INVALID_QUERY', error.message, fieldErrors('querystring', error.validation ?? []));
}

const splitList = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(','));

function parseAmount(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = AMOUNT.exec(value);
  if (!match)
    throw refused(
      'INVALID_AMOUNT',
      field,
      `${field} must be a decimal with at most 14 digits before the point and 4 after, got ${JSON.stringify(value)}`,
    );
  const whole = match[2]!.replace(/^0+(?=\d)/, '');
  const fraction = (match[3] ?? '').padEnd(4, '0');
  const negative = match[1] === '-' && !/^0+$/.test(whole + fraction);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

function parseTime(field: 'from' | 'to', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const code = field === 'from' ? 'INVALID_FROM' : 'INVALID_TO';
  const match = DATE_TIME.exec(value);
  if (!match)
    throw refused(
      code,
      field,
      `${field} must be an RFC 3339 date-time with a zone (e.g. 2026-11-21T09:00:00Z), got ${JSON.stringify(value)}`,
    );
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offset = match[8]!;
  const offsetOk = offset.length === 1 || (Number(offset.slice(1, 3)) < 24 && Number(offset.slice(4, 6)) < 60);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) {
    throw refused(code, field, `${field} is not a real date and time: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The filters of a query string, or a FilterError with the code of the first bad one. */
export function parseFilters(query: SearchQuery): SearchFilters {
  const storeList = splitList(query.store);
  if (storeList !== undefined) {
    if (storeList.some((store) => store.length === 0 || store.length > 100))
      throw refused('INVALID_STORE', 'store', 'store must be non-empty ShipFromLocationIDs of at most 100 characters, separated by commas');
    if (new Set(storeList).size > MAX_STORES) throw refused('INVALID_STORE', 'store', `at most ${MAX_STORES} stores per search`);
  }
  const statusList = splitList(query.status);
  let statuses: number[] | undefined;
  if (statusList !== undefined) {
    statuses = statusList.map((text) => {
      const code = /^\d{4}$/.test(text) ? Number(text) : NaN;
      if (!STATUS_CODES.includes(code))
        throw refused('INVALID_STATUS', 'status', `status ${JSON.stringify(text)} is not a status code of §4 (${STATUS_CODES.join(', ')})`);
      return code;
    });
  }
  const paymentList = splitList(query.paymentStatus);
  let paymentStatuses: SearchPaymentStatus[] | undefined;
  if (paymentList !== undefined) {
    paymentStatuses = paymentList.map((text) => {
      const status = SEARCH_PAYMENT_STATUSES.find((known) => known === text);
      if (status === undefined)
        throw refused(
          'INVALID_PAYMENT_STATUS',
          'paymentStatus',
          `paymentStatus ${JSON.stringify(text)} is not a payment status of §4 (${SEARCH_PAYMENT_STATUSES.join(', ')})`,
        );
      return status;
    });
  }
  const from = parseTime('from', query.from);
  const to = parseTime('to', query.to);
  if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to))
    throw refused('INVALID_TIME_RANGE', ['from', 'to'], 'from must be before to');
  const customer = query.customer;
  if (customer !== undefined && (customer.length === 0 || customer.length > 200))
    throw refused('INVALID_CUSTOMER', 'customer', 'customer must be a CustomerID of 1 to 200 characters');
  const minTotal = parseAmount('minTotal', query.minTotal);
  const maxTotal = parseAmount('maxTotal', query.maxTotal);
  if (minTotal !== undefined && maxTotal !== undefined && compareDecimal(minTotal, maxTotal) > 0)
    throw refused('INVALID_AMOUNT_RANGE', ['minTotal', 'maxTotal'], 'minTotal must not exceed maxTotal');
  return {
    ...(storeList && { stores: [...new Set(storeList)].sort() }),
    ...(statuses && { statuses: [...new Set(statuses)].sort((a, b) => a - b) }),
    ...(paymentStatuses && { paymentStatuses: [...new Set(paymentStatuses)].sort() }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(customer !== undefined && { customer }),
    ...(minTotal !== undefined && { minTotal }),
    ...(maxTotal !== undefined && { maxTotal }),
  };
}

/** Compares two normalised decimals (`-?\d+\.\d{4}`) exactly. */
function compareDecimal(a: string, b: string): number {
  const scaled = (value: string) => BigInt(value.replace('.', ''));
  const difference = scaled(a) - scaled(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/**
 * What a cursor is tied to: the filters as asked (not as narrowed by the caller's visibility). The payment statuses
 * come last and only when asked, so a cursor issued before that filter existed still continues its search.
 */
export const canonicalFilters = (filters: SearchFilters): string =>
  JSON.stringify([
    filters.stores ?? null,
    filters.statuses ?? null,
    filters.from ?? null,
    filters.to ?? null,
    filters.customer ?? null,
    filters.minTotal ?? null,
    filters.maxTotal ?? null,
    ...(filters.paymentStatuses ? [filters.paymentStatuses] : []),
  ]);

interface OrderRow {
  order_id: string;
  ship_from_location_id: string;
  customer_id: string | null;
  status: number;
  payment_status: string | null;
  order_total: string | null;
  created_at: string;
  updated_at: string;
  created_key: string;
}

const COLUMNS = `o.order_id, o.ship_from_location_id, o.customer_id, o.status, o.payment_status, o.order_total::text AS order_total,
  to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;
const NEWEST_FIRST = 'ORDER BY o.created_at DESC, o.order_id DESC';

/**
 * The one statement for a page: `rows` rows after `after`, among `stores` (undefined: all) and the filters.
 *
 * With one store and one status at most, it is one index range read newest first and cut at `rows`. With
 * several, each (store, status) range is read the same way for its sort keys only (from the index alone where
 * it holds them), the newest `rows` keys of all ranges are kept, and only their rows are read. Past the
 * limits above, the stores become a filter on the status ranges (or on the created_at order) instead.
 */
export function searchStatement(
  filters: SearchFilters,
  stores: readonly string[] | undefined,
  after: CursorPosition | undefined,
  rows: number,
): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const conditions: string[] = [];
  if (filters.from !== undefined) conditions.push(`o.created_at >= ${param(filters.from, 'timestamptz')}`);
  if (filters.to !== undefined) conditions.push(`o.created_at < ${param(filters.to, 'timestamptz')}`);
  if (filters.minTotal !== undefined) conditions.push(`o.order_total >= ${param(filters.minTotal, 'numeric')}`);
  if (filters.maxTotal !== undefined) conditions.push(`o.order_total <= ${param(filters.maxTotal, 'numeric')}`);
  if (filters.paymentStatuses !== undefined) conditions.push(`o.payment_status = ANY(${param(filters.paymentStatuses, 'text[]')})`);
  if (after !== undefined)
    conditions.push(`(o.created_at, o.order_id) < (${param(after.createdAt, 'timestamptz')}, ${param(after.orderId, 'text')})`);
  const limit = param(rows, 'int');
  const where = (extra: string[]) => {
    const all = [...extra, ...conditions];
    return all.length ? `WHERE ${all.join(' AND ')}` : '';
  };
  const plain = (extra: string[]) => ({ text: `SELECT ${COLUMNS} FROM orders o ${where(extra)} ${NEWEST_FIRST} LIMIT ${limit}`, params });
  const statuses = filters.statuses;
  const oneOrAny = (column: string, values: readonly unknown[], type: string) =>
    values.length === 1 ? `${column} = ${param(values[0], type)}` : `${column} = ANY(${param(values, `${type}[]`)})`;

  if (filters.customer !== undefined) {
    // A customer's orders are few: read them all by orders_customer and check the rest on them.
    const extra = [`o.customer_id = ${param(filters.customer, 'text')}`];
    if (stores) extra.push(oneOrAny('o.ship_from_location_id', stores, 'text'));
    if (statuses) extra.push(oneOrAny('o.status', statuses, 'int'));
    return plain(extra);
  }
  const storeRanges = stores === undefined ? 1 : stores.length;
  const statusRanges = statuses === undefined ? 1 : statuses.length;
  if (storeRanges === 1 && statusRanges === 1) {
    const extra: string[] = [];
    if (stores) extra.push(oneOrAny('o.ship_from_location_id', stores, 'text'));
    if (statuses) extra.push(oneOrAny('o.status', statuses, 'int'));
    return plain(extra);
  }
  const drivers: string[] = [];
  const extra: string[] = [];
  const storesDrive = statuses === undefined ? storeRanges <= MAX_STORES : storeRanges * statusRanges * rows <= MAX_PAIR_KEYS;
  if (stores && storesDrive) {
    drivers.push(`unnest(${param(stores, 'text[]')}) AS s(store)`);
    extra.push('o.ship_from_location_id = s.store');
  } else if (stores) {
    extra.push(oneOrAny('o.ship_from_location_id', stores, 'text'));
  }
  if (statuses && statusRanges > 1) {
    drivers.push(`unnest(${param(statuses, 'int[]')}) AS t(status)`);
    extra.push('o.status = t.status');
  } else if (statuses) {
    extra.push(oneOrAny('o.status', statuses, 'int'));
  }
  if (drivers.length === 0) return plain(extra);
  const keys =
    `SELECT k.created_at, k.order_id FROM ${drivers.join(' CROSS JOIN ')} ` +
    `CROSS JOIN LATERAL (SELECT o.created_at, o.order_id FROM orders o ${where(extra)} ${NEWEST_FIRST} LIMIT ${limit}) k ` +
    `ORDER BY k.created_at DESC, k.order_id DESC LIMIT ${limit}`;
  return { text: `SELECT ${COLUMNS} FROM (${keys}) page JOIN orders o ON o.order_id = page.order_id ${NEWEST_FIRST}`, params };
}

function tokenMissing(reply: FastifyReply) {
  return reply.code(401).send({ error: { code: 'TOKEN_MISSING', message: 'a bearer token is required' } });
}

export function searchRoutes(db: SqlDatabase, options: { cursorSecret?: string } = {}): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get(
      '/orders',
      { schema: searchSchema, attachValidation: true },
      async (request: FastifyRequest, reply: FastifyReply): Promise<SearchPage | FastifyReply> => {
        const principal = request.principal;
        if (!principal) return tokenMissing(reply);
        const query = request.query as SearchQuery;
        let filters: SearchFilters;
        let after: CursorPosition | undefined;
        let limit: number;
        try {
          if (request.validationError) throw schemaFailure(request.validationError as Parameters<typeof schemaFailure>[0]);
          filters = parseFilters(query);
          limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
          if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
            throw refused('INVALID_LIMIT', 'limit', `limit must be an integer from 1 to ${MAX_LIMIT}`);
          after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, canonicalFilters(filters), options.cursorSecret);
        } catch (error) {
          // The code of the first parameter at fault, and every one of them in `details`.
          if (error instanceof FilterError)
            return reply
              .code(400)
              .send({ error: { code: error.code, message: error.message, ...(error.details.length ? { details: error.details } : {}) } });
          if (error instanceof CursorError)
            return reply.code(400).send({
              error: {
                code: 'INVALID_CURSOR',
                message: error.message,
                details: [{ location: 'querystring', field: 'cursor', message: error.message }],
              },
            });
          throw error;
        }

        // A store role's search is narrowed to its stores; nothing left to search is an empty page.
        const visible = visibleStores(principal);
        const stores =
          visible === undefined
            ? filters.stores
            : filters.stores
              ? filters.stores.filter((store) => visible.includes(store))
              : [...new Set(visible)].sort();
        if (stores !== undefined && stores.length === 0) return { orders: [], nextCursor: null };

        const statement = searchStatement(filters, stores, after, limit + 1);
        const rows = (await db.query<OrderRow>(statement.text, statement.params)).rows;
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          orders: page.map((row) => ({
            orderId: row.order_id,
            shipFromLocationId: row.ship_from_location_id,
            customerId: row.customer_id,
            status: row.status,
            statusName: OrderStatusName[row.status as OrderStatusCode] ?? null,
            paymentStatus: row.payment_status,
            orderTotal: row.order_total,
            createdAt: row.created_at,
            updatedAt: row.updated_at,
          })),
          nextCursor:
            rows.length > limit && last
              ? encodeCursor({ createdAt: last.created_key, orderId: last.order_id }, canonicalFilters(filters), options.cursorSecret)
              : null,
        };
      },
    );
  };
}
