/**
 * COD reconciliation and the releases Slick has not taken, on the analysts' Postgres tables (postgres/migrations/
 * 005_fulfilment.sql).
 *
 * `GET /stores/:id/reconciliation[?day=YYYY-MM-DD]`: a store's runs on that business day (normally one) and the
 * exceptions they reported, each saying whether it is still open (the order's latest exception, and no
 * Reconciled payment since that run's cut-off). Without `day`, the business day of the store's latest run; a
 * store without runs answers `day: null` and empty lists.
 *
 * `GET /region/reconciliation[?day=YYYY-MM-DD]`: per store the caller sees, the run of that day (the latest, if
 * a day was ever reported twice) with its exceptions counted and summed by kind, most exceptions first (then
 * the largest shortfall, then store id), and the totals over them. Without `day`, the latest business day any
 * visible store has a run for. A store with nothing to reconcile that day has no run and is not listed.
 *
 * `GET /releases/awaiting-slick[?store=&limit=]`: the manual-action list (view releases_awaiting_slick), oldest
 * release first, with the last call's attempt and outcome.
 *
 * Store scope as the pipeline routes: a store role naming a store outside its claim gets 404 STORE_NOT_FOUND,
 * as for a store that does not exist; lists only ever hold the caller's stores. Money is the exact 4-decimal
 * string of NUMERIC(18,4).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatMoney, parseMoney, sum } from '../processors/domain/money.js';
import { OrderStatusName, type OrderStatusCode } from '../processors/domain/types.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { canSeeStore, type Principal, visibleStores } from './principal.js';
import { errorResponseSchema, type FieldError, fieldErrors } from './errors.js';

export const DEFAULT_AWAITING_LIMIT = 100;
export const MAX_AWAITING_LIMIT = 1000;

const MONEY_PATTERN = '^-?\\d{1,14}\\.\\d{4}$';
const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', ${ISO_MS})`;

/** Every error answer: the service's one error shape. */
const errorBody = errorResponseSchema;

const money = (description: string) => ({ type: 'string', pattern: MONEY_PATTERN, description }) as const;
const nullableMoney = (description: string) => ({ type: ['string', 'null'], pattern: MONEY_PATTERN, description }) as const;
const dateTime = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;
const nullableDateTime = (description: string) => ({ type: ['string', 'null'], format: 'date-time', description }) as const;

const dayQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { day: { type: 'string', pattern: DAY_PATTERN, description: 'business day (YYYY-MM-DD); the latest reported when omitted' } },
} as const;

const runProperties = {
  businessDay: { type: 'string', pattern: DAY_PATTERN, description: 'the local date of the cut-off' },
  timeZone: { type: 'string', description: 'IANA time zone of the business day' },
  cutOffAt: dateTime('the cut-off of the run'),
  at: dateTime('when the run happened'),
  reconciledOrders: { type: 'integer', minimum: 0, description: 'orders whose cash matched: marked Reconciled' },
  reconciledAmount: money('their OrderTotal, summed'),
  exceptionCount: { type: 'integer', minimum: 0 },
  expectedTotal: money('expected over the reconciled orders and the exceptions'),
  collectedTotal: money('collected over the same orders'),
} as const;
const runRequired = [
  'businessDay',
  'timeZone',
  'cutOffAt',
  'at',
  'reconciledOrders',
  'reconciledAmount',
  'exceptionCount',
  'expectedTotal',
  'collectedTotal',
] as const;

/** A person's decision on an exception (exception_outcomes): who, when, their note. */
const decisionSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['by', 'at', 'note'],
  properties: { by: { type: 'string' }, at: dateTime('when the pipeline applied it'), note: { type: 'string' } },
} as const;

const exceptionSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'orderId',
    'kind',
    'expectedAmount',
    'collectedAmount',
    'difference',
    'deliveredAt',
    'collectedAt',
    'settledAmount',
    'businessDay',
    'cutOffAt',
    'open',
    'acknowledged',
    'resolved',
  ],
  properties: {
    orderId: { type: 'string' },
    kind: {
      type: 'string',
      enum: ['MISSING', 'SHORT', 'OVER', 'SETTLEMENT_MISMATCH', 'NOT_IN_SETTLEMENT', 'SETTLEMENT_WITHOUT_COLLECTION'],
      description:
        'MISSING: delivered, no cash confirmed; SHORT: less than expected; OVER: more. PMP’s settlement report against its callback: ' +
        'SETTLEMENT_MISMATCH: another amount settled; NOT_IN_SETTLEMENT: collected, not settled when due; SETTLEMENT_WITHOUT_COLLECTION: settled, no collection',
    },
    expectedAmount: money('what should have been collected (0 for a cancelled order); for a settlement kind, what the callback collected'),
    collectedAmount: nullableMoney('cash the partner confirmed; null for MISSING'),
    difference: money('collected minus expected; for a settlement kind, settled minus collected'),
    deliveredAt: nullableDateTime('when the partner reported delivery'),
    collectedAt: nullableDateTime('when the partner reported the collection'),
    settledAmount: nullableMoney('what PMP’s settlement report says it settled; null but for a settlement kind'),
    businessDay: { type: 'string', pattern: DAY_PATTERN },
    cutOffAt: dateTime('the cut-off of the run that reported it'),
    open: {
      type: 'boolean',
      description:
        "the order's latest exception of its source (the callback, or PMP's settlement), neither reconciled (settled) nor resolved since",
    },
    acknowledged: { ...decisionSchema, description: 'the latest acknowledgement since it was reported, or null' },
    resolved: { ...decisionSchema, description: 'the resolution since it was reported (it then no longer repeats), or null' },
  },
} as const;

const storeSchema = {
  summary: "One store's reconciliation",
  description:
    "The store's reconciliation runs of a business day and the exceptions they reported (MISSING / SHORT / OVER, and PMP's settlement against its callbacks: SETTLEMENT_MISMATCH / NOT_IN_SETTLEMENT / SETTLEMENT_WITHOUT_COLLECTION), each marked open unless reconciled (settled) or reported again since. " +
    'Without `day`, the day of the latest run. A store role gets 404 for a store outside its claim.',
  tags: ['reconciliation'],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 100, description: 'ShipFromLocationID' } },
  },
  querystring: dayQuery,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['storeId', 'day', 'runs', 'exceptions'],
      properties: {
        storeId: { type: 'string' },
        day: { type: ['string', 'null'], pattern: DAY_PATTERN, description: 'the business day answered; null when the store has no runs' },
        runs: {
          type: 'array',
          description: 'oldest cut-off first',
          items: { type: 'object', additionalProperties: false, required: runRequired, properties: runProperties },
        },
        exceptions: { type: 'array', description: "by run, then in the report's order (OrderID)", items: exceptionSchema },
      },
    },
    400: { ...errorBody, description: 'the store id or the day is not acceptable (INVALID_STORE, INVALID_DAY)' },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
    404: { ...errorBody, description: 'not a store the caller may see (STORE_NOT_FOUND)' },
  },
} as const;

const exceptionTotals = {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'missing', 'short', 'over', 'expectedAmount', 'collectedAmount', 'difference'],
  properties: {
    count: { type: 'integer', minimum: 0 },
    missing: { type: 'integer', minimum: 0 },
    short: { type: 'integer', minimum: 0 },
    over: { type: 'integer', minimum: 0 },
    expectedAmount: money('expected over the exceptions'),
    collectedAmount: money('collected over the exceptions (nothing for MISSING)'),
    difference: money('collected minus expected over the exceptions'),
  },
} as const;

const regionStoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['storeId', ...runRequired, 'exceptions'],
  properties: { storeId: { type: 'string' }, ...runProperties, exceptions: exceptionTotals },
} as const;

const regionSchema = {
  summary: 'Reconciliation of every store the caller sees',
  description:
    "Per visible store, the business day's run (the latest, should a day have two) with its exceptions counted and summed by kind; most exceptions first, then the largest shortfall, then store id; and the totals. " +
    'Without `day`, the latest business day any visible store has a run for. Stores without a run that day are not listed.',
  tags: ['reconciliation'],
  querystring: dayQuery,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['day', 'stores', 'totals'],
      properties: {
        day: {
          type: ['string', 'null'],
          pattern: DAY_PATTERN,
          description: 'the business day answered; null when no visible store has runs',
        },
        stores: { type: 'array', items: regionStoreSchema },
        totals: {
          type: 'object',
          additionalProperties: false,
          required: ['stores', 'reconciledOrders', 'reconciledAmount', 'expectedTotal', 'collectedTotal', 'exceptions'],
          properties: {
            stores: { type: 'integer', minimum: 0 },
            reconciledOrders: { type: 'integer', minimum: 0 },
            reconciledAmount: money('over the stores'),
            expectedTotal: money('over the stores'),
            collectedTotal: money('over the stores'),
            exceptions: exceptionTotals,
          },
        },
      },
    },
    400: { ...errorBody, description: 'the day is not acceptable (INVALID_DAY)' },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
  },
} as const;

const awaitingSchema = {
  summary: 'Releases Slick has not taken',
  description:
    "The manual-action list: released orders with no ACCEPTED or DUPLICATE release call to Slick yet, oldest release first, with the calls made and the last one's attempt, outcome, HTTP status and error " +
    "(all null when the egress has not called yet). Only the caller's stores; naming a store outside a store role's claim gives 404.",
  tags: ['reconciliation'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      store: { type: 'string', minLength: 1, maxLength: 100, description: 'only this ShipFromLocationID' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_AWAITING_LIMIT,
        default: DEFAULT_AWAITING_LIMIT,
        description: `most releases listed (1–${MAX_AWAITING_LIMIT})`,
      },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['asOf', 'total', 'releases'],
      properties: {
        asOf: dateTime('when the list was read'),
        total: { type: 'integer', minimum: 0, description: 'releases awaiting Slick in scope; `releases` holds the first `limit`' },
        releases: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: [
              'releaseId',
              'orderId',
              'storeId',
              'releasedAt',
              'ageSeconds',
              'orderStatus',
              'orderStatusName',
              'calls',
              'lastAttempt',
              'lastOutcome',
              'lastHttpStatus',
              'lastError',
              'lastAt',
              'refused',
              'parked',
            ],
            properties: {
              releaseId: { type: 'string' },
              orderId: { type: 'string' },
              storeId: { type: 'string' },
              releasedAt: dateTime('when the order was released'),
              ageSeconds: { type: 'integer', minimum: 0, description: 'since the release, at asOf' },
              orderStatus: {
                type: ['integer', 'null'],
                description: "the order's current status (a cancelled order stays listed: Slick was never told)",
              },
              orderStatusName: { type: ['string', 'null'] },
              calls: { type: 'integer', minimum: 0, description: 'release calls to Slick so far' },
              lastAttempt: { type: ['integer', 'null'], minimum: 0, description: '0 when the circuit breaker refused the call' },
              lastOutcome: { type: ['string', 'null'], enum: ['FAILED', 'CIRCUIT_OPEN', 'GAVE_UP', 'REFUSED', null] },
              lastHttpStatus: { type: ['integer', 'null'] },
              lastError: { type: ['string', 'null'] },
              lastAt: nullableDateTime('when the last call ended'),
              refused: {
                type: 'boolean',
                description: 'Slick refused it a whole round (a 4xx other than 408 / 429): set aside until someone retries or parks it',
              },
              parked: { ...decisionSchema, description: 'who parked it, when and why; null unless parked (a retry clears it)' },
            },
          },
        },
      },
    },
    400: { ...errorBody, description: 'a parameter is not acceptable (INVALID_STORE, INVALID_LIMIT)' },
    401: { ...errorBody, description: 'no principal (TOKEN_MISSING)' },
    404: { ...errorBody, description: 'not a store the caller may see (STORE_NOT_FOUND)' },
  },
} as const;

/** A reconciliation run, as GET /stores/:id/reconciliation lists it. */
export interface ReconciliationRun {
  businessDay: string;
  timeZone: string;
  cutOffAt: string;
  at: string;
  reconciledOrders: number;
  reconciledAmount: string;
  exceptionCount: number;
  expectedTotal: string;
  collectedTotal: string;
}
interface ExceptionTotals {
  count: number;
  missing: number;
  short: number;
  over: number;
  expectedAmount: string;
  collectedAmount: string;
  difference: string;
}
export interface RegionStore extends ReconciliationRun {
  storeId: string;
  exceptions: ExceptionTotals;
}

/** A person's decision on an exception (decisionSchema): who, when, their note. */
export interface ExceptionDecisionView {
  by: string;
  at: string;
  note: string;
}

/** An exception a run reported, as GET /stores/:id/reconciliation lists it (exceptionSchema). */
export interface ReconciliationExceptionView {
  orderId: string;
  kind: 'MISSING' | 'SHORT' | 'OVER' | 'SETTLEMENT_MISMATCH' | 'NOT_IN_SETTLEMENT' | 'SETTLEMENT_WITHOUT_COLLECTION';
  expectedAmount: string;
  collectedAmount: string | null;
  difference: string;
  deliveredAt: string | null;
  collectedAt: string | null;
  /** What PMP's settlement report says it settled; null but for a settlement kind. */
  settledAmount: string | null;
  businessDay: string;
  cutOffAt: string;
  open: boolean;
  /** The latest acknowledgement since it was reported. */
  acknowledged: ExceptionDecisionView | null;
  /** The resolution since it was reported (it then no longer repeats). */
  resolved: ExceptionDecisionView | null;
}

/** The 200 of GET /stores/:id/reconciliation. */
export interface StoreReconciliation {
  storeId: string;
  /** The business day answered; null when the store has no runs. */
  day: string | null;
  runs: ReconciliationRun[];
  exceptions: ReconciliationExceptionView[];
}

/** A release of GET /releases/awaiting-slick. */
export interface ReleaseAwaitingView {
  releaseId: string;
  orderId: string;
  storeId: string;
  releasedAt: string;
  ageSeconds: number;
  orderStatus: number | null;
  orderStatusName: string | null;
  calls: number;
  lastAttempt: number | null;
  lastOutcome: 'FAILED' | 'CIRCUIT_OPEN' | 'GAVE_UP' | 'REFUSED' | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  lastAt: string | null;
  /** Slick refused it a whole round: set aside until someone retries or parks it. */
  refused: boolean;
  parked: ExceptionDecisionView | null;
}

/** The 200 of GET /releases/awaiting-slick. */
export interface ReleasesAwaiting {
  asOf: string;
  /** Releases awaiting Slick in scope; `releases` holds the first `limit`. */
  total: number;
  releases: ReleaseAwaitingView[];
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For a 400: every parameter at fault, with what is wrong with it. */
    readonly details: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

/** A real calendar date (2026-02-30 is not). */
function parseDay(day: string | undefined): string | undefined {
  if (day === undefined) return undefined;
  const parsed = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(parsed) || new Date(parsed).toISOString().slice(0, 10) !== day) {
    const message = `day must be a date YYYY-MM-DD, got ${JSON.stringify(day)}`;
    throw new RequestError(400, 'INVALID_DAY', message, [{ location: 'querystring', field: 'day', message }]);
  }
  return day;
}

const runColumns = `r.business_day::text AS "businessDay", r.time_zone AS "timeZone", ${iso('r.cut_off_at')} AS "cutOffAt", ${iso('r.at')} AS at,
  r.reconciled_orders AS "reconciledOrders", r.reconciled_amount::text AS "reconciledAmount", r.exception_count AS "exceptionCount",
  r.expected_total::text AS "expectedTotal", r.collected_total::text AS "collectedTotal"`;

/** A store's runs and exceptions of `day` (undefined: its latest run's day). */
export async function storeReconciliation(db: SqlDatabase, store: string, day: string | undefined): Promise<StoreReconciliation> {
  const answered =
    day ??
    (
      await db.query<{ day: string }>(
        `SELECT business_day::text AS day FROM reconciliation_runs WHERE ship_from_location_id = $1
     ORDER BY cut_off_at DESC, business_day DESC LIMIT 1`,
        [store],
      )
    ).rows[0]?.day;
  if (answered === undefined) return { storeId: store, day: null, runs: [], exceptions: [] };
  const [runs, exceptions] = await Promise.all([
    db.query<ReconciliationRun>(
      `SELECT ${runColumns} FROM reconciliation_runs r WHERE r.ship_from_location_id = $1 AND r.business_day = $2::date
       ORDER BY r.cut_off_at, r.kafka_partition, r.kafka_offset`,
      [store, answered],
    ),
    db.query<ReconciliationExceptionView>(
      `SELECT e.order_id AS "orderId", e.kind, e.expected_amount::text AS "expectedAmount", e.collected_amount::text AS "collectedAmount",
              e.difference::text AS difference, ${iso('e.delivered_at')} AS "deliveredAt", ${iso('e.collected_at')} AS "collectedAt",
              e.settled_amount::text AS "settledAmount", e.business_day::text AS "businessDay", ${iso('e.cut_off_at')} AS "cutOffAt",
              NOT EXISTS (SELECT 1 FROM reconciliation_exceptions later WHERE later.order_id = e.order_id
                            AND omnia_settlement_kind(later.kind) = omnia_settlement_kind(e.kind)
                            AND (later.cut_off_at, later.kafka_partition, later.kafka_offset) > (e.cut_off_at, e.kafka_partition, e.kafka_offset))
              AND CASE WHEN omnia_settlement_kind(e.kind) THEN NOT omnia_settlement_matches(e.order_id)
                       ELSE NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = e.order_id AND p.payment_status = 'Reconciled' AND p.at >= e.cut_off_at) END
              AND resolved.at IS NULL AS open,
              CASE WHEN ack.at IS NULL THEN NULL ELSE json_build_object('by', ack.actor, 'at', ${iso('ack.at')}, 'note', ack.note) END AS acknowledged,
              CASE WHEN resolved.at IS NULL THEN NULL ELSE json_build_object('by', resolved.actor, 'at', ${iso('resolved.at')}, 'note', resolved.note) END AS resolved
       FROM reconciliation_exceptions e
       LEFT JOIN LATERAL (${latestDecision('ACKNOWLEDGE')}) ack ON true
       LEFT JOIN LATERAL (${latestDecision('RESOLVE')}) resolved ON true
       WHERE e.ship_from_location_id = $1 AND e.business_day = $2::date
       ORDER BY e.cut_off_at, e.kafka_partition, e.kafka_offset, e.exception_index`,
      [store, answered],
    ),
  ]);
  return { storeId: store, day: answered, runs: runs.rows, exceptions: exceptions.rows };
}

/** Most exceptions first, then the largest shortfall (most negative difference), then store id. */
export function mostExceptionsFirst(a: RegionStore, b: RegionStore): number {
  if (a.exceptions.count !== b.exceptions.count) return b.exceptions.count - a.exceptions.count;
  const shortfall = parseMoney(a.exceptions.difference).comparedTo(parseMoney(b.exceptions.difference)) ?? 0;
  if (shortfall !== 0) return shortfall;
  return a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0;
}

/** Per store of `stores` (undefined: all), the latest run of `day` (undefined: the latest day with a run) and its exceptions summed. */
export async function regionReconciliation(
  db: SqlDatabase,
  stores: readonly string[] | undefined,
  day: string | undefined,
): Promise<{ day: string | null; stores: RegionStore[] }> {
  const scope = stores ? 'ship_from_location_id = ANY($1::text[])' : 'true';
  const answered =
    day ??
    (
      await db.query<{ day: string | null }>(
        `SELECT max(business_day)::text AS day FROM reconciliation_runs WHERE ${scope}`,
        stores ? [stores] : [],
      )
    ).rows[0]?.day ??
    undefined;
  if (answered === undefined) return { day: null, stores: [] };
  const rows = await db.query<
    ReconciliationRun & {
      storeId: string;
      count: number;
      missing: number;
      short: number;
      over: number;
      exceptionExpected: string;
      exceptionCollected: string;
      exceptionDifference: string;
    }
  >(
    `WITH latest AS (
       SELECT DISTINCT ON (ship_from_location_id) * FROM reconciliation_runs
       WHERE business_day = $${stores ? 2 : 1}::date AND ${scope}
       ORDER BY ship_from_location_id, cut_off_at DESC, kafka_partition DESC, kafka_offset DESC)
     SELECT r.ship_from_location_id AS "storeId", ${runColumns}, x.count, x.missing, x.short, x.over,
            x.expected::text AS "exceptionExpected", x.collected::text AS "exceptionCollected", x.difference::text AS "exceptionDifference"
     FROM latest r CROSS JOIN LATERAL (
       SELECT count(*)::int AS count, count(*) FILTER (WHERE e.kind = 'MISSING')::int AS missing,
              count(*) FILTER (WHERE e.kind = 'SHORT')::int AS short, count(*) FILTER (WHERE e.kind = 'OVER')::int AS over,
              coalesce(sum(e.expected_amount), 0)::numeric(18,4) AS expected, coalesce(sum(e.collected_amount), 0)::numeric(18,4) AS collected,
              coalesce(sum(e.difference), 0)::numeric(18,4) AS difference
       FROM reconciliation_exceptions e WHERE e.kafka_partition = r.kafka_partition AND e.kafka_offset = r.kafka_offset) x`,
    stores ? [stores, answered] : [answered],
  );
  const list = rows.rows.map(
    ({ count, missing, short, over, exceptionExpected, exceptionCollected, exceptionDifference, ...run }): RegionStore => ({
      ...run,
      exceptions: {
        count,
        missing,
        short,
        over,
        expectedAmount: exceptionExpected,
        collectedAmount: exceptionCollected,
        difference: exceptionDifference,
      },
    }),
  );
  return { day: answered, stores: list.sort(mostExceptionsFirst) };
}

const total = (values: readonly string[]): string => formatMoney(sum(values.map(parseMoney)));

export function regionTotals(stores: readonly RegionStore[]) {
  const count = (pick: (store: RegionStore) => number) => stores.reduce((n, store) => n + pick(store), 0);
  return {
    stores: stores.length,
    reconciledOrders: count((store) => store.reconciledOrders),
    reconciledAmount: total(stores.map((store) => store.reconciledAmount)),
    expectedTotal: total(stores.map((store) => store.expectedTotal)),
    collectedTotal: total(stores.map((store) => store.collectedTotal)),
    exceptions: {
      count: count((store) => store.exceptions.count),
      missing: count((store) => store.exceptions.missing),
      short: count((store) => store.exceptions.short),
      over: count((store) => store.exceptions.over),
      expectedAmount: total(stores.map((store) => store.exceptions.expectedAmount)),
      collectedAmount: total(stores.map((store) => store.exceptions.collectedAmount)),
      difference: total(stores.map((store) => store.exceptions.difference)),
    },
  };
}

/** The latest applied decision of a kind on exception `e` since it was reported (exception_outcomes). */
const latestDecision = (action: 'ACKNOWLEDGE' | 'RESOLVE') =>
  `SELECT x.actor, x.at, x.note FROM exception_outcomes x
   WHERE x.order_id = e.order_id AND x.exception = 'RECONCILIATION' AND x.action = '${action}' AND x.outcome = 'APPLIED' AND x.at >= e.at
   ORDER BY x.at DESC, x.kafka_partition DESC, x.kafka_offset DESC LIMIT 1`;

/** The first `limit` releases awaiting Slick among `stores` (undefined: all), oldest first, and how many there are. */
export async function releasesAwaitingSlick(
  db: SqlDatabase,
  stores: readonly string[] | undefined,
  limit: number,
  asOf: Date,
): Promise<Omit<ReleasesAwaiting, 'asOf'>> {
  const scope = stores ? 'WHERE ship_from_location_id = ANY($1::text[])' : '';
  const params: unknown[] = stores ? [stores] : [];
  const [page, count] = await Promise.all([
    db.query<Omit<ReleaseAwaitingView, 'orderStatusName'>>(
      `SELECT release_id AS "releaseId", order_id AS "orderId", ship_from_location_id AS "storeId", ${iso('released_at')} AS "releasedAt",
              greatest(0, floor(extract(epoch FROM $${params.length + 1}::timestamptz - released_at)))::int AS "ageSeconds",
              order_status AS "orderStatus", calls, last_attempt AS "lastAttempt", last_outcome AS "lastOutcome",
              last_http_status AS "lastHttpStatus", last_error AS "lastError", ${iso('last_at')} AS "lastAt",
              coalesce(refused, false) AS refused,
              CASE WHEN parked_at IS NULL THEN NULL ELSE json_build_object('by', parked_by, 'at', ${iso('parked_at')}, 'note', parked_reason) END AS parked
       FROM releases_awaiting_slick ${scope} ORDER BY released_at, order_id LIMIT $${params.length + 2}`,
      [...params, asOf.toISOString(), limit],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM releases_awaiting_slick ${scope}`, params),
  ]);
  return {
    total: count.rows[0]?.n ?? 0,
    releases: page.rows.map((row) => ({
      ...row,
      orderStatusName: row.orderStatus === null ? null : (OrderStatusName[row.orderStatus as OrderStatusCode] ?? null),
    })),
  };
}

function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new RequestError(401, 'TOKEN_MISSING', 'a bearer token is required');
  return request.principal;
}

/** The code a failed query-string check gets: the parameter's own, else INVALID_QUERY; every failing one in `details`. */
function queryFailure(request: FastifyRequest, codes: Readonly<Record<string, string>>): RequestError | undefined {
  const error = request.validationError as
    | { validation?: readonly { instancePath?: string; params?: Record<string, unknown> }[]; validationContext?: string; message: string }
    | undefined;
  if (!error) return undefined;
  const first = error.validation?.[0];
  if (error.validationContext === 'params')
    return new RequestError(
      400,
      'INVALID_STORE',
      'the store id must be a ShipFromLocationID of 1 to 100 characters',
      fieldErrors('params', error.validation ?? []),
    );
  const field = first?.instancePath?.split('/')[1] ?? (first?.params?.additionalProperty as string | undefined) ?? '';
  return new RequestError(400, codes[field] ?? 'INVALID_QUERY', error.message, fieldErrors('querystring', error.validation ?? []));
}

async function answer(reply: FastifyReply, handler: () => Promise<unknown>): Promise<unknown> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof RequestError)
      return reply
        .code(error.status)
        .send({ error: { code: error.code, message: error.message, ...(error.details.length ? { details: error.details } : {}) } });
    throw error;
  }
}

const storeNotFound = (id: string) => new RequestError(404, 'STORE_NOT_FOUND', `no store ${JSON.stringify(id)}`);

export function reconciliationRoutes(db: SqlDatabase, options: { now?: () => Date } = {}): (app: FastifyInstance) => Promise<void> {
  const now = options.now ?? (() => new Date());
  return async (app) => {
    app.get(
      '/stores/:id/reconciliation',
      { schema: storeSchema, attachValidation: true },
      async (request: FastifyRequest, reply: FastifyReply) =>
        answer(reply, async (): Promise<StoreReconciliation> => {
          const principal = principalOf(request);
          const failure = queryFailure(request, { day: 'INVALID_DAY' });
          if (failure) throw failure;
          const { id } = request.params as { id: string };
          const { day } = request.query as { day?: string };
          if (!canSeeStore(principal, id)) throw storeNotFound(id);
          return storeReconciliation(db, id, parseDay(day));
        }),
    );

    app.get(
      '/region/reconciliation',
      { schema: regionSchema, attachValidation: true },
      async (request: FastifyRequest, reply: FastifyReply) =>
        answer(reply, async () => {
          const principal = principalOf(request);
          const failure = queryFailure(request, { day: 'INVALID_DAY' });
          if (failure) throw failure;
          const day = parseDay((request.query as { day?: string }).day);
          const visible = visibleStores(principal);
          const region =
            visible && visible.length === 0
              ? { day: null, stores: [] }
              : await regionReconciliation(db, visible && [...new Set(visible)], day);
          return { ...region, totals: regionTotals(region.stores) };
        }),
    );

    app.get(
      '/releases/awaiting-slick',
      { schema: awaitingSchema, attachValidation: true },
      async (request: FastifyRequest, reply: FastifyReply) =>
        answer(reply, async (): Promise<ReleasesAwaiting> => {
          const principal = principalOf(request);
          const failure = queryFailure(request, { store: 'INVALID_STORE', limit: 'INVALID_LIMIT' });
          if (failure) throw failure;
          const query = request.query as { store?: string; limit?: number };
          if (query.store !== undefined && !canSeeStore(principal, query.store)) throw storeNotFound(query.store);
          const visible = visibleStores(principal);
          const stores = query.store !== undefined ? [query.store] : visible && [...new Set(visible)];
          const asOf = now();
          const list =
            stores && stores.length === 0
              ? { total: 0, releases: [] }
              : await releasesAwaitingSlick(db, stores, query.limit ?? DEFAULT_AWAITING_LIMIT, asOf);
          return { asOf: asOf.toISOString(), ...list };
        }),
    );
  };
}
