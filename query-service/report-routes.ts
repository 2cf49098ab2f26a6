/**
 * Reports on the analysts' Postgres tables (postgres/migrations/): what a store or the region did over a range of
 * business days. Read-only.
 *
 * `GET /reports?from=YYYY-MM-DD&to=YYYY-MM-DD[&store=]`, both days inclusive, at most MAX_REPORT_DAYS of them:
 *   - ordersPerDay: per store and business day of creation, the orders created, how many of them are cancelled
 *     and delivered now, and the value of those not cancelled;
 *   - cancellations: per store and reason, the orders cancelled in the range (by when it happened), the reason as
 *     given (a CANCEL's own reason, or the pipeline's code such as COD_AMOUNT_OUT_OF_RANGE; null when none);
 *   - timeInStatus: per store and status, the stays that began in the range (an order entering the status), with
 *     the average, median, 95th percentile and longest of those that ended; Delivered and Cancelled never end
 *     and are left out;
 *   - cod: per store and business day of delivery, the COD orders delivered, the cash expected (OrderTotal; 0 for
 *     a cancelled order, as the reconciliation has it), the cash collected and the difference;
 *   - bundleSales: per store, bundle and business day of creation, over released orders not cancelled (as the view
 *     bundle_sales_daily counts them): bundle groups, orders, units, list amount, discount and net.
 * Each section has its `rows` per store and its `totals` over the stores answered (time in status computed over
 * all their stays, not averaged).
 *
 * `GET /bundles/:bundleId/sales?from&to[&store=]`: one bundle's sales per store and day, and the totals.
 *
 * Business days are dates in OMNIA_BUSINESS_TIMEZONE (the reconciliation's), passed to every statement, so they
 * do not depend on the database's omnia.business_timezone setting.
 *
 * Store scope as the other Postgres routes: a store role sees its stores; naming another is 404 STORE_NOT_FOUND.
 * Bad input is one 400 VALIDATION_FAILED listing every failing field (a day that is not a date, from after to, a
 * range too long, an unknown parameter). Money is the exact 4-decimal string of NUMERIC(18,4).
 */
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatMoney, parseMoney, sum } from '../processors/domain/money.js';
import { OrderStatusName, type OrderStatusCode } from '../processors/domain/types.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { orderSettings } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';
import { errorResponseSchema, type FieldError, fieldErrors } from './errors.js';
import { canSeeStore, visibleStores } from './principal.js';

/** Longest range one report covers, in business days: a quarter. */
export const MAX_REPORT_DAYS = 92;

const MONEY_PATTERN = '^-?\\d{1,14}\\.\\d{4}$';
const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------- answers

export interface OrdersDayRow {
  storeId: string;
  day: string;
  orders: number;
  cancelled: number;
  delivered: number;
  orderValue: string;
}
export type OrdersDayTotal = Omit<OrdersDayRow, 'storeId'>;

export interface CancellationRow {
  storeId: string;
  reason: string | null;
  cancellations: number;
  orderValue: string;
}
export type CancellationTotal = Omit<CancellationRow, 'storeId'>;

export interface StatusTimeRow {
  storeId: string;
  status: number;
  statusName: string | null;
  stays: number;
  completed: number;
  avgSeconds: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
}
export type StatusTimeTotal = Omit<StatusTimeRow, 'storeId'>;

export interface CodDayRow {
  storeId: string;
  day: string;
  deliveredOrders: number;
  expected: string;
  collectedOrders: number;
  collected: string;
  difference: string;
  missingOrders: number;
}
export type CodDayTotal = Omit<CodDayRow, 'storeId'>;

export interface BundleSalesRow {
  storeId: string;
  bundleId: string;
  day: string;
  groups: number;
  orders: number;
  units: number;
  listAmount: string;
  discount: string;
  netAmount: string;
}
export type BundleSalesTotal = Omit<BundleSalesRow, 'storeId'>;

interface Section<R, T> {
  rows: R[];
  totals: T[];
}

/** GET /reports, 200. */
export interface ReportAnswer {
  asOf: string;
  from: string;
  to: string;
  timeZone: string;
  storeId: string | null;
  ordersPerDay: Section<OrdersDayRow, OrdersDayTotal>;
  cancellations: Section<CancellationRow, CancellationTotal>;
  timeInStatus: Section<StatusTimeRow, StatusTimeTotal>;
  cod: Section<CodDayRow, CodDayTotal>;
  bundleSales: Section<BundleSalesRow, BundleSalesTotal>;
}

/** GET /bundles/:bundleId/sales, 200. */
export interface BundleSalesAnswer {
  asOf: string;
  bundleId: string;
  from: string;
  to: string;
  timeZone: string;
  storeId: string | null;
  rows: Omit<BundleSalesRow, 'bundleId'>[];
  totals: Omit<BundleSalesTotal, 'bundleId' | 'day'>;
}

// ---------------------------------------------------------------------------------------------- schemas

const money = (description: string) => ({ type: 'string', pattern: MONEY_PATTERN, description }) as const;
const count = (description: string) => ({ type: 'integer', minimum: 0, description }) as const;
const day = (description: string) => ({ type: 'string', pattern: DAY_PATTERN, description }) as const;
const seconds = (description: string) => ({ type: ['number', 'null'], minimum: 0, description }) as const;
const storeId = { type: 'string', description: 'ShipFromLocationID' } as const;

/** A row schema and its totals' schema (the same fields without the store). */
function rowAndTotal<P extends Record<string, unknown>>(properties: P) {
  const required = Object.keys(properties);
  return {
    row: {
      type: 'object',
      additionalProperties: false,
      required: ['storeId', ...required],
      properties: { storeId, ...properties },
    },
    total: { type: 'object', additionalProperties: false, required, properties },
  } as const;
}

const ordersDay = rowAndTotal({
  day: day('business day the orders were created'),
  orders: count('orders created'),
  cancelled: count('of them, cancelled now'),
  delivered: count('of them, delivered now'),
  orderValue: money('OrderTotal summed over the ones not cancelled'),
});
const cancellation = rowAndTotal({
  reason: {
    type: ['string', 'null'],
    description: "the reason given with a CANCEL, or the pipeline's code (e.g. COD_AMOUNT_OUT_OF_RANGE); null when none was given",
  },
  cancellations: count('orders cancelled in the range'),
  orderValue: money('their OrderTotal, summed'),
});
const statusTime = rowAndTotal({
  status: { type: 'integer', description: 'status code (§4)' },
  statusName: { type: ['string', 'null'] },
  stays: count('stays that began in the range'),
  completed: count('of them, ended (the order moved on)'),
  avgSeconds: seconds('average length of the ended stays; null when none ended'),
  p50Seconds: seconds('median'),
  p95Seconds: seconds('95th percentile'),
  maxSeconds: seconds('longest'),
});
const codDay = rowAndTotal({
  day: day('business day of the delivery'),
  deliveredOrders: count('COD orders delivered (or with cash collected, if no delivery was reported)'),
  expected: money('cash expected: OrderTotal, 0 for a cancelled order'),
  collectedOrders: count('of them, with the cash collected'),
  collected: money('cash collected'),
  difference: money('collected minus expected'),
  missingOrders: count('delivered, no cash collected yet'),
});
const bundleSalesProperties = {
  groups: count('bundle groups sold (an order line group counts under its first bundle)'),
  orders: count('orders with the bundle'),
  units: count('units of the lines in the bundle'),
  listAmount: money('LineAmount of those lines, before discounts'),
  discount: money('discount given on them (LineDiscount)'),
  netAmount: money('list amount minus discount'),
} as const;
const bundleSales = rowAndTotal({
  bundleId: { type: 'string' },
  day: day('business day the orders were created'),
  ...bundleSalesProperties,
});

const section = (parts: { row: object; total: object }, description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['rows', 'totals'],
    description,
    properties: {
      rows: { type: 'array', items: parts.row },
      totals: { type: 'array', description: 'the same over every store answered', items: parts.total },
    },
  }) as const;

const rangeProperties = {
  from: day('first business day, inclusive (YYYY-MM-DD)'),
  to: day(`last business day, inclusive (YYYY-MM-DD); a range is at most ${MAX_REPORT_DAYS} days`),
  store: { type: 'string', minLength: 1, maxLength: 100, description: 'only this ShipFromLocationID' },
} as const;
const rangeQuery = { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: rangeProperties } as const;

const answered = {
  asOf: { type: 'string', format: 'date-time', description: 'when the tables were read' },
  from: day('first business day answered'),
  to: day('last business day answered'),
  timeZone: { type: 'string', description: 'IANA time zone of the business days (OMNIA_BUSINESS_TIMEZONE)' },
  storeId: { type: ['string', 'null'], description: 'the store asked for; null: every store the caller sees' },
} as const;

const errors = {
  400: { ...errorResponseSchema, description: 'VALIDATION_FAILED, `details` listing every failing parameter' },
  401: { ...errorResponseSchema, description: 'no principal (TOKEN_MISSING)' },
  404: { ...errorResponseSchema, description: 'not a store the caller may see (STORE_NOT_FOUND)' },
} as const;

const reportSchema = {
  summary: 'Reports of a range of business days',
  description:
    'Orders per day, cancellations and their reasons, time in each status, COD expected against collected, and bundle sales, ' +
    `per store and over the stores answered, for the business days from \`from\` to \`to\` (both inclusive, at most ${MAX_REPORT_DAYS}). ` +
    'A store role sees its stores; naming another store gives 404.',
  tags: ['reports'],
  querystring: rangeQuery,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: [...Object.keys(answered), 'ordersPerDay', 'cancellations', 'timeInStatus', 'cod', 'bundleSales'],
      properties: {
        ...answered,
        ordersPerDay: section(ordersDay, 'by day, then store'),
        cancellations: section(cancellation, 'by store, then most cancellations; totals by reason'),
        timeInStatus: section(statusTime, 'by status, then store'),
        cod: section(codDay, 'by day, then store'),
        bundleSales: section(bundleSales, 'by day, bundle, then store'),
      },
    },
    ...errors,
  },
} as const;

const bundleSalesSchema = {
  summary: "One bundle's sales",
  description:
    'Per store and business day: bundle groups sold, orders, units, list amount, discount and net, over released orders not cancelled; and the totals. ' +
    'A bundle without sales in the range answers empty rows.',
  tags: ['reports', 'bundles'],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['bundleId'],
    properties: { bundleId: { type: 'string', minLength: 1, maxLength: 100, description: 'BundleID' } },
  },
  querystring: rangeQuery,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: [...Object.keys(answered), 'bundleId', 'rows', 'totals'],
      properties: {
        ...answered,
        bundleId: { type: 'string' },
        rows: {
          type: 'array',
          description: 'by day, then store',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['storeId', 'day', ...Object.keys(bundleSalesProperties)],
            properties: { storeId, day: day('business day the orders were created'), ...bundleSalesProperties },
          },
        },
        totals: {
          type: 'object',
          additionalProperties: false,
          required: Object.keys(bundleSalesProperties),
          properties: bundleSalesProperties,
        },
      },
    },
    ...errors,
  },
} as const;

// ------------------------------------------------------------------------------------------------ range

/** The range asked, checked; the days are inclusive. */
export interface ReportRange {
  from: string;
  to: string;
}

const isCalendarDay = (value: string): boolean => {
  const parsed = Date.parse(`${value}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === value;
};

/** The problems of a range whose fields passed the schema: days that are not dates, from after to, too long. */
export function rangeProblems(query: { from?: unknown; to?: unknown }, schemaFields: ReadonlySet<string>): FieldError[] {
  const problems: FieldError[] = [];
  const checked: Partial<Record<'from' | 'to', string>> = {};
  for (const field of ['from', 'to'] as const) {
    const value = query[field];
    if (schemaFields.has(field) || typeof value !== 'string') continue;
    if (isCalendarDay(value)) checked[field] = value;
    else problems.push({ location: 'querystring', field, message: `must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}` });
  }
  if (checked.from !== undefined && checked.to !== undefined) {
    const days = (Date.parse(checked.to) - Date.parse(checked.from)) / DAY_MS + 1;
    if (days < 1) problems.push({ location: 'querystring', field: 'from', message: `must be on or before to (${checked.to})` });
    else if (days > MAX_REPORT_DAYS)
      problems.push({
        location: 'querystring',
        field: 'to',
        message: `the range is ${days} days; a report covers at most ${MAX_REPORT_DAYS}`,
      });
  }
  return problems;
}

// ------------------------------------------------------------------------------------------- statements

interface Scope {
  /** undefined: every store. */
  stores: readonly string[] | undefined;
  range: ReportRange;
  timeZone: string;
}

/**
 * The parameters of one statement and the SQL that uses them: the range's bounds as instants (the first day's
 * midnight up to the midnight after the last, in the time zone), a column's business day, the store scope.
 */
function bind(scope: Scope) {
  const params: unknown[] = [scope.range.from, scope.range.to, scope.timeZone];
  const start = `(($1::date)::timestamp AT TIME ZONE $3::text)`;
  const end = `((($2::date) + 1)::timestamp AT TIME ZONE $3::text)`;
  const add = (value: unknown): string => `$${params.push(value)}`;
  const stores = scope.stores ? add(scope.stores) : undefined;
  return {
    params,
    add,
    end,
    inRange: (column: string) => `${column} >= ${start} AND ${column} < ${end}`,
    businessDay: (column: string) => `((${column}) AT TIME ZONE $3::text)::date`,
    inScope: (column: string) => (stores ? `${column} = ANY(${stores}::text[])` : 'true'),
  };
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const total = (values: readonly string[]): string => formatMoney(sum(values.map(parseMoney)));
const plusMoney = (a: string, b: string): string => formatMoney(parseMoney(a).plus(parseMoney(b)));
const statusName = (status: number): string | null => OrderStatusName[status as OrderStatusCode] ?? null;
const secondsOf = (value: string | null): number | null => (value === null ? null : Number(value));

/** Rows summed per key (the caller adds each field), in the order their keys first appear. */
function totalsBy<R extends object, T extends object>(
  rows: readonly R[],
  key: (row: R) => string,
  start: (row: R) => T,
  add: (into: T, row: R) => void,
): T[] {
  const totals = new Map<string, T>();
  for (const row of rows) {
    const current = totals.get(key(row));
    if (current) add(current, row);
    else totals.set(key(row), start(row));
  }
  return [...totals.values()];
}

export async function ordersPerDay(db: SqlDatabase, scope: Scope): Promise<Section<OrdersDayRow, OrdersDayTotal>> {
  const sql = bind(scope);
  const { rows } = await db.query<OrdersDayRow>(
    `SELECT o.ship_from_location_id AS "storeId", ${sql.businessDay('o.created_at')}::text AS day, count(*)::int AS orders,
            count(*) FILTER (WHERE o.status = 9000)::int AS cancelled, count(*) FILTER (WHERE o.status = 7500)::int AS delivered,
            coalesce(sum(o.order_total) FILTER (WHERE o.status <> 9000), 0)::numeric(18,4)::text AS "orderValue"
     FROM orders o
     WHERE ${sql.inRange('o.created_at')} AND ${sql.inScope('o.ship_from_location_id')}
     GROUP BY 1, 2 ORDER BY 2, 1`,
    sql.params,
  );
  const totals = totalsBy(
    rows,
    (row) => row.day,
    ({ storeId: _storeId, ...row }) => row,
    (into, row) => {
      into.orders += row.orders;
      into.cancelled += row.cancelled;
      into.delivered += row.delivered;
      into.orderValue = plusMoney(into.orderValue, row.orderValue);
    },
  );
  return { rows, totals };
}

export async function cancellations(db: SqlDatabase, scope: Scope): Promise<Section<CancellationRow, CancellationTotal>> {
  const sql = bind(scope);
  // One row per cancelled order (its first move to 9000); a CANCEL's reason is recorded as "CANCELLED: <reason>".
  const { rows } = await db.query<CancellationRow>(
    `WITH cancelled AS (
       SELECT DISTINCT ON (h.order_id) h.order_id, h.ship_from_location_id, h.reason
       FROM order_status_history h
       WHERE h.to_status = 9000 AND h.from_status IS DISTINCT FROM 9000 AND ${sql.inRange('h.at')}
         AND ${sql.inScope('h.ship_from_location_id')}
       ORDER BY h.order_id, h.kafka_offset)
     SELECT c.ship_from_location_id AS "storeId",
            CASE WHEN c.reason = 'CANCELLED' OR c.reason = '' THEN NULL
                 WHEN c.reason LIKE 'CANCELLED: %' THEN substr(c.reason, 12) ELSE c.reason END AS reason,
            count(*)::int AS cancellations, coalesce(sum(o.order_total), 0)::numeric(18,4)::text AS "orderValue"
     FROM cancelled c LEFT JOIN orders o ON o.order_id = c.order_id
     GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2 NULLS LAST`,
    sql.params,
  );
  const totals = totalsBy(
    rows,
    (row) => JSON.stringify(row.reason),
    ({ storeId: _storeId, ...row }) => row,
    (into, row) => {
      into.cancellations += row.cancellations;
      into.orderValue = plusMoney(into.orderValue, row.orderValue);
    },
  ).sort((a, b) => b.cancellations - a.cancellations || (a.reason === null ? 1 : b.reason === null ? -1 : byText(a.reason, b.reason)));
  return { rows, totals };
}

export async function timeInStatus(db: SqlDatabase, scope: Scope): Promise<Section<StatusTimeRow, StatusTimeTotal>> {
  const sql = bind(scope);
  // A stay begins with a move into the status and ends with the order's next move (one order's moves share a
  // partition, so offset order is theirs), found through status_history_order: only the range's moves are read.
  const { rows } = await db.query<{
    storeId: string | null;
    status: number;
    stays: number;
    completed: number;
    avg: string | null;
    p50: string | null;
    p95: string | null;
    max: string | null;
  }>(
    `WITH stays AS (
       SELECT h.ship_from_location_id AS store, h.to_status AS status, extract(epoch FROM n.at - h.at)::numeric AS seconds
       FROM order_status_history h
       LEFT JOIN LATERAL (
         SELECT n.at FROM order_status_history n
         WHERE n.order_id = h.order_id AND n.kafka_offset > h.kafka_offset AND n.from_status IS DISTINCT FROM n.to_status
         ORDER BY n.kafka_offset LIMIT 1) n ON true
       WHERE ${sql.inRange('h.at')} AND h.from_status IS DISTINCT FROM h.to_status AND h.to_status NOT IN (7500, 9000)
         AND ${sql.inScope('h.ship_from_location_id')})
     SELECT CASE WHEN GROUPING(store) = 0 THEN store END AS "storeId", status, count(*)::int AS stays,
            count(seconds)::int AS completed, round(avg(seconds), 3)::text AS avg,
            round((percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds))::numeric, 3)::text AS p50,
            round((percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds))::numeric, 3)::text AS p95,
            round(max(seconds), 3)::text AS max
     FROM stays GROUP BY GROUPING SETS ((store, status), (status))
     ORDER BY status, GROUPING(store), store`,
    sql.params,
  );
  const result: Section<StatusTimeRow, StatusTimeTotal> = { rows: [], totals: [] };
  for (const { storeId: store, status, stays, completed, avg, p50, p95, max } of rows) {
    const entry = {
      status,
      statusName: statusName(status),
      stays,
      completed,
      avgSeconds: secondsOf(avg),
      p50Seconds: secondsOf(p50),
      p95Seconds: secondsOf(p95),
      maxSeconds: secondsOf(max),
    };
    if (store === null) result.totals.push(entry);
    else result.rows.push({ storeId: store, ...entry });
  }
  return result;
}

export async function codPerDay(db: SqlDatabase, scope: Scope): Promise<Section<CodDayRow, CodDayTotal>> {
  const sql = bind(scope);
  // Delivery has no index of its own: the store's orders created before the range's end are read
  // (orders_location_created_order) and their delivery checked.
  const deliveredAt = 'coalesce(o.delivered_at, o.collected_at)';
  const { rows } = await db.query<Omit<CodDayRow, 'difference'>>(
    `SELECT o.ship_from_location_id AS "storeId", ${sql.businessDay(deliveredAt)}::text AS day, count(*)::int AS "deliveredOrders",
            coalesce(sum(CASE WHEN o.status = 9000 THEN 0 ELSE o.order_total END), 0)::numeric(18,4)::text AS expected,
            count(o.collected_amount)::int AS "collectedOrders",
            coalesce(sum(o.collected_amount), 0)::numeric(18,4)::text AS collected,
            count(*) FILTER (WHERE o.collected_amount IS NULL)::int AS "missingOrders"
     FROM orders o
     WHERE o.payment_method = 'COD' AND o.created_at < ${sql.end} AND ${sql.inRange(deliveredAt)}
       AND ${sql.inScope('o.ship_from_location_id')}
     GROUP BY 1, 2 ORDER BY 2, 1`,
    sql.params,
  );
  const full = rows.map((row): CodDayRow => ({
    ...row,
    difference: formatMoney(parseMoney(row.collected).minus(parseMoney(row.expected))),
  }));
  const totals = totalsBy(
    full,
    (row) => row.day,
    ({ storeId: _storeId, ...row }) => row,
    (into, row) => {
      into.deliveredOrders += row.deliveredOrders;
      into.collectedOrders += row.collectedOrders;
      into.missingOrders += row.missingOrders;
      into.expected = plusMoney(into.expected, row.expected);
      into.collected = plusMoney(into.collected, row.collected);
      into.difference = plusMoney(into.difference, row.difference);
    },
  );
  return { rows: full, totals };
}

export async function bundleSalesPerDay(
  db: SqlDatabase,
  scope: Scope,
  bundleId?: string,
): Promise<Section<BundleSalesRow, BundleSalesTotal>> {
  const sql = bind(scope);
  const oneBundle = bundleId === undefined ? '' : `AND l.bundle_id = ${sql.add(bundleId)}`;
  const { rows } = await db.query<BundleSalesRow>(
    `SELECT o.ship_from_location_id AS "storeId", l.bundle_id AS "bundleId", ${sql.businessDay('o.created_at')}::text AS day,
            count(DISTINCT (l.order_id, l.bundle_group_id))::int AS groups, count(DISTINCT l.order_id)::int AS orders,
            sum(l.quantity)::int AS units, sum(l.line_amount)::numeric(18,4)::text AS "listAmount",
            sum(l.line_discount)::numeric(18,4)::text AS discount,
            sum(l.line_amount - l.line_discount)::numeric(18,4)::text AS "netAmount"
     FROM orders o JOIN order_lines l ON l.order_id = o.order_id
     WHERE l.bundle_id IS NOT NULL AND o.status >= 3000 AND o.status <> 9000 AND ${sql.inRange('o.created_at')}
       AND ${sql.inScope('o.ship_from_location_id')} ${oneBundle}
     GROUP BY 1, 2, 3 ORDER BY 3, 2, 1`,
    sql.params,
  );
  const totals = totalsBy(
    rows,
    (row) => `${row.day} ${row.bundleId}`,
    ({ storeId: _storeId, ...row }) => row,
    (into, row) => {
      into.groups += row.groups;
      into.orders += row.orders;
      into.units += row.units;
      into.listAmount = plusMoney(into.listAmount, row.listAmount);
      into.discount = plusMoney(into.discount, row.discount);
      into.netAmount = plusMoney(into.netAmount, row.netAmount);
    },
  );
  return { rows, totals };
}

// ----------------------------------------------------------------------------------------------- routes

/** Request checks of this plugin: every error, nothing coerced or dropped (an unknown parameter is an error). */
function strictValidator() {
  const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false, logger: false });
  return ({ schema }: { schema: object }) => ajv.compile(schema);
}

interface Refusal {
  status: number;
  code: string;
  message: string;
  details?: FieldError[];
}

/** Why a request is not answered: no principal, or every failing parameter; undefined when it is answered. */
function refusal(request: FastifyRequest): Refusal | undefined {
  if (!request.principal) return { status: 401, code: 'TOKEN_MISSING', message: 'a bearer token is required' };
  const error = request.validationError;
  const schemaProblems = error ? fieldErrors(error.validationContext ?? 'querystring', error.validation ?? []) : [];
  const details = [...schemaProblems, ...rangeProblems(request.query as object, new Set(schemaProblems.map((p) => p.field)))];
  if (details.length === 0) return undefined;
  const fields = [...new Set(details.map((detail) => detail.field))].join(', ');
  return { status: 400, code: 'VALIDATION_FAILED', message: `Invalid ${error?.validationContext ?? 'querystring'}: ${fields}`, details };
}

const send = (reply: FastifyReply, { status, code, message, details }: Refusal) =>
  reply.code(status).send({ error: details ? { code, message, details } : { code, message } });

export interface ReportRouteOptions {
  /** Time zone of the business days; default OMNIA_BUSINESS_TIMEZONE of `env`. */
  timeZone?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export function reportRoutes(db: SqlDatabase, options: ReportRouteOptions = {}): (app: FastifyInstance) => Promise<void> {
  const timeZone =
    options.timeZone ?? loadSettings({ businessTimeZone: orderSettings.businessTimeZone }, {}, options.env ?? process.env).businessTimeZone;
  const now = options.now ?? (() => new Date());

  /** The request's scope and what the answer says of it, or the refusal to send. */
  const checked = (request: FastifyRequest) => {
    const failed = refusal(request);
    if (failed) return failed;
    const { from, to, store } = request.query as { from: string; to: string; store?: string };
    if (store !== undefined && !canSeeStore(request.principal!, store))
      return { status: 404, code: 'STORE_NOT_FOUND', message: `no store ${JSON.stringify(store)}` };
    const visible = visibleStores(request.principal!);
    const scope: Scope = { stores: store !== undefined ? [store] : visible && [...new Set(visible)], range: { from, to }, timeZone };
    const header = { asOf: now().toISOString(), from, to, timeZone, storeId: store ?? null };
    // A claim without stores sees nothing; no statement is needed for that.
    return { scope, header, nothing: scope.stores?.length === 0 };
  };

  return async (app) => {
    app.setValidatorCompiler(strictValidator());

    app.get('/reports', { schema: reportSchema, attachValidation: true }, async (request, reply) => {
      const asked = checked(request);
      if ('status' in asked) return send(reply, asked);
      const { scope, header, nothing } = asked;
      const empty = { rows: [], totals: [] };
      const [orders, cancelled, times, cod, bundles] = nothing
        ? [empty, empty, empty, empty, empty]
        : await Promise.all([
            ordersPerDay(db, scope),
            cancellations(db, scope),
            timeInStatus(db, scope),
            codPerDay(db, scope),
            bundleSalesPerDay(db, scope),
          ]);
      const answer: ReportAnswer = {
        ...header,
        ordersPerDay: orders,
        cancellations: cancelled,
        timeInStatus: times,
        cod,
        bundleSales: bundles,
      };
      return answer;
    });

    app.get('/bundles/:bundleId/sales', { schema: bundleSalesSchema, attachValidation: true }, async (request, reply) => {
      const asked = checked(request);
      if ('status' in asked) return send(reply, asked);
      const { scope, header, nothing } = asked;
      const { bundleId } = request.params as { bundleId: string };
      const sales = nothing ? { rows: [] } : await bundleSalesPerDay(db, scope, bundleId);
      const rows = sales.rows.map(({ bundleId: _bundleId, ...row }) => row);
      const answer: BundleSalesAnswer = {
        ...header,
        bundleId,
        rows,
        totals: {
          groups: rows.reduce((n, row) => n + row.groups, 0),
          orders: rows.reduce((n, row) => n + row.orders, 0),
          units: rows.reduce((n, row) => n + row.units, 0),
          listAmount: total(rows.map((row) => row.listAmount)),
          discount: total(rows.map((row) => row.discount)),
          netAmount: total(rows.map((row) => row.netAmount)),
        },
      };
      return answer;
    });
  };
}
