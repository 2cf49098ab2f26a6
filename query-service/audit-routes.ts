/**
 * The audit trail, read from the analysts' table action_audit (postgres/migrations/014_action_audit.sql, written by
 * the sink from the command records): who did what, to which order or bundle, when, and what the pipeline made of it.
 *
 * `GET /audit[?store=&from=&to=&actor=&limit=]`, newest first.
 * - Admins read every store's actions and the bundles'. Store managers read their own stores' actions only; a store
 *   outside their claim is 404 STORE_NOT_FOUND, as elsewhere. Every other role is 403: the trail names staff.
 * - `from` / `to` are ISO-8601 times (`to` exclusive), by default the last 24 hours; at most 92 days apart.
 * - Bad input is one 400 VALIDATION_FAILED listing every failing field.
 */
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '../postgres/sql.js';
import { signedIn } from './commands.js';
import { ApiError, errorResponseSchema, type FieldError } from './errors.js';
import { requestFieldErrors, validationMessage } from './request-validation.js';
import type { Principal } from './principal.js';

export const DEFAULT_AUDIT_LIMIT = 200;
export const MAX_AUDIT_LIMIT = 1000;
const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 92;
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const ISO_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})$';

export interface AuditEntry {
  auditId: string;
  commandId: string | null;
  actor: string | null;
  actorRole: string | null;
  action: string;
  target: { kind: string; id: string };
  storeId: string | null;
  requestedAt: string;
  outcome: string | null;
  outcomeReason: string | null;
  outcomeAt: string | null;
  details: Record<string, unknown>;
}

const nullableText = (description: string) => ({ type: ['string', 'null'], description }) as const;
const time = (description: string) => ({ type: 'string', pattern: ISO_TIME, description }) as const;

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'auditId',
    'commandId',
    'actor',
    'actorRole',
    'action',
    'target',
    'storeId',
    'requestedAt',
    'outcome',
    'outcomeReason',
    'outcomeAt',
    'details',
  ],
  properties: {
    auditId: { type: 'string', description: 'the command id; else where the command was read (topic/partition/offset)' },
    commandId: nullableText('the CommandID the action’s answer gave'),
    actor: nullableText('the token subject who asked; null for a channel’s own command'),
    actorRole: nullableText('the roles the command said its sender had; null when it did not say'),
    action: { type: 'string', description: 'CANCEL, MODIFY, CONFIRM_CASH, ACKNOWLEDGE_RECONCILIATION, …, DEFINE_BUNDLE' },
    target: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'id'],
      properties: { kind: { type: 'string', enum: ['order', 'bundle', 'store'] }, id: { type: 'string' } },
    },
    storeId: nullableText('the order’s ShipFromLocationID; null for a bundle'),
    requestedAt: { type: 'string', format: 'date-time' },
    outcome: { type: ['string', 'null'], enum: ['APPLIED', 'REFUSED', null], description: 'null until the pipeline says' },
    outcomeReason: nullableText('the pipeline’s code when refused'),
    outcomeAt: { type: ['string', 'null'], format: 'date-time' },
    details: { type: 'object', description: 'the request’s key fields as the command carries them' },
  },
} as const;

const auditSchema = {
  summary: 'Who did what: the audit trail of actions',
  description:
    'Every action sent through the service (and the channels’ own commands), newest first, with its outcome when the pipeline gave one. ' +
    'Admins: every store and the bundles; store managers: their own stores. `from`/`to` default to the last 24 hours.',
  tags: ['actions'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      store: { type: 'string', minLength: 1, maxLength: 100, description: 'only this ShipFromLocationID' },
      from: time('from this time, inclusive (ISO-8601)'),
      to: time('until this time, exclusive (ISO-8601); default now'),
      actor: { type: 'string', minLength: 1, maxLength: 200, description: 'only this token subject' },
      limit: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_LIMIT, default: DEFAULT_AUDIT_LIMIT },
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to', 'storeId', 'truncated', 'actions'],
      properties: {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        storeId: { type: ['string', 'null'] },
        truncated: { type: 'boolean', description: 'more actions matched than `limit`' },
        actions: { type: 'array', items: entrySchema },
      },
    },
    400: { ...errorResponseSchema, description: 'VALIDATION_FAILED, `details` listing every failing field' },
    403: { ...errorResponseSchema, description: 'a role that may not read the trail (FORBIDDEN)' },
    404: { ...errorResponseSchema, description: 'not a store the caller manages (STORE_NOT_FOUND)' },
  },
} as const;

/** The stores a reader's answer is limited to: undefined for an admin (every store, bundles included). */
function readableStores(principal: Principal): readonly string[] | undefined {
  if (principal.roles.includes('admin')) return undefined;
  if (principal.roles.includes('store_manager')) return principal.stores;
  throw new ApiError(403, 'FORBIDDEN', 'Your role cannot read the audit trail; ask your store manager or an admin');
}

/** Whether the date and time as typed exist: Date.parse reads 2026-02-30T10:00Z as 2 March, and 24:00 as the next day. */
function realTime(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= new Date(Date.UTC(year, month, 0)).getUTCDate() &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
}

/** The asked window, or every failing field. */
function windowOf(query: { from?: string; to?: string }, nowMs: number): { from: number; to: number } {
  const problems: FieldError[] = [];
  const parse = (field: 'from' | 'to') => {
    const value = query[field];
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms) || !realTime(value)) problems.push({ location: 'querystring', field, message: 'must be a real ISO-8601 time' });
    return ms;
  };
  const to = parse('to') ?? nowMs;
  const from = parse('from') ?? to - DAY_MS;
  if (problems.length === 0 && from >= to) problems.push({ location: 'querystring', field: 'from', message: 'must be before `to`' });
  if (problems.length === 0 && to - from > MAX_RANGE_DAYS * DAY_MS)
    problems.push({ location: 'querystring', field: 'from', message: `at most ${MAX_RANGE_DAYS} days before \`to\`` });
  if (problems.length) throw new ApiError(400, 'VALIDATION_FAILED', 'Invalid querystring: from, to', problems);
  return { from, to };
}

function refuseInvalid(request: FastifyRequest): void {
  const error = request.validationError;
  if (!error) return;
  const details = requestFieldErrors(request, error, 'querystring');
  throw new ApiError(400, 'VALIDATION_FAILED', validationMessage(details), details);
}

export function auditRoutes(db: SqlDatabase, options: { now?: () => number } = {}): (app: FastifyInstance) => Promise<void> {
  const now = options.now ?? Date.now;
  // `limit` read as a number; nothing else coerced or dropped.
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, removeAdditional: false, useDefaults: true, strict: false, logger: false });
  return async (app) => {
    app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
    app.get('/audit', { schema: auditSchema, attachValidation: true }, async (request) => {
      const principal = signedIn(request);
      const managed = readableStores(principal);
      refuseInvalid(request);
      const query = request.query as { store?: string; from?: string; to?: string; actor?: string; limit: number };
      if (query.store !== undefined && managed && !managed.includes(query.store))
        throw new ApiError(404, 'STORE_NOT_FOUND', `No store ${JSON.stringify(query.store)} in your stores`);
      const { from, to } = windowOf(query, now());
      const scope = query.store !== undefined ? [query.store] : managed;
      const { rows } = await db.query<Omit<AuditEntry, 'target'> & { targetKind: string; targetId: string }>(
        `SELECT audit_id AS "auditId", command_id AS "commandId", actor, actor_role AS "actorRole", action,
                target_kind AS "targetKind", target_id AS "targetId", ship_from_location_id AS "storeId",
                to_char(requested_at AT TIME ZONE 'UTC', ${ISO_MS}) AS "requestedAt", outcome, outcome_reason AS "outcomeReason",
                to_char(outcome_at AT TIME ZONE 'UTC', ${ISO_MS}) AS "outcomeAt", details
         FROM action_audit
         WHERE requested_at >= $1 AND requested_at < $2
           AND ($3::text[] IS NULL OR ship_from_location_id = ANY($3::text[]))
           AND ($4::text IS NULL OR actor = $4)
         ORDER BY requested_at DESC, audit_id
         LIMIT $5`,
        [new Date(from).toISOString(), new Date(to).toISOString(), scope ? [...scope] : null, query.actor ?? null, query.limit + 1],
      );
      const actions: AuditEntry[] = rows.slice(0, query.limit).map(({ targetKind, targetId, ...row }) => ({
        ...row,
        target: { kind: targetKind, id: targetId },
      }));
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        storeId: query.store ?? null,
        truncated: rows.length > query.limit,
        actions,
      };
    });
  };
}
