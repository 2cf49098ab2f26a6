/**
 * The audit trail: every command people send through the query service, and the channels' own, as one row of
 * action_audit — who asked (the token subject), what, on which order or bundle, when, the command id, the request's
 * key fields, and the pipeline's verdict when it gives one. Pure: no I/O.
 *
 * The rows come from the command records themselves, on the topics the actions produce to. The same command can
 * arrive several times: redelivered, sent again under the same CommandID, as its dead letter (refused, with the
 * code), or inside its ExceptionOutcome. Every copy names the same row (`audit_id`) and the table merges them
 * (tables.ts, mode merge), so the trail holds one row per command whatever the order they come in.
 */
import type { ExceptionOutcome } from '../avro/records.js';
import { DlqHeaders, REDRIVEN_FROM_HEADER } from '../runtime/dead-letter.js';
import { type Row, Tables } from './tables.js';

/** The topics actions are sent on, by the sink's name for them. */
export type CommandSource = 'orderUpdate' | 'cashConfirmation' | 'exceptionAction' | 'orderReturn' | 'bundleDefinition';

/** A command's dead letter (`<topic>.dlq`): the original bytes and headers, with why the pipeline refused it. */
export type RefusedCommandSource = `${CommandSource}Refused`;

/** How a command record was read: its headers say who sent it when its value does not. */
export interface CommandRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Headers of a command record: its id (every action sends it), who asked (bundles, whose record has no field for it),
 * and the sender's roles (read when a sender adds them; none does yet).
 */
export const CommandHeaders = {
  commandId: 'omnia-command-id',
  requestedBy: 'omnia-requested-by',
  requestedRole: 'omnia-requested-role',
} as const;

interface Verdict {
  readonly outcome: 'APPLIED' | 'REFUSED';
  readonly reason: string | null;
  readonly at: string;
}

/** What a command says of itself, before it becomes a row. */
interface Action {
  readonly commandId: string | null;
  readonly actor: string | null;
  readonly action: string;
  readonly target: { readonly kind: 'order' | 'bundle' | 'store'; readonly id: string };
  readonly store: string | null;
  readonly requestedAt: string;
  readonly details: Record<string, unknown>;
}

// Records on order.update.v1 in JSON are not checked against the schema before the update stage (topology/order-serdes.ts),
// so every field is read as it may be.
type Loose = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** An ISO-8601 time as Postgres will take it, else the record's own timestamp. */
function timeOf(value: unknown, fallbackMs: number): string {
  const parsed = typeof value === 'string' ? Date.parse(value) : NaN;
  return new Date(Number.isNaN(parsed) ? fallbackMs : parsed).toISOString();
}

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The new lines of a MODIFY as the clerk gave them: what changed, not the catalog's descriptions. */
function linesOf(value: unknown): unknown {
  if (!Array.isArray(value)) return null;
  return value.map((line: unknown) =>
    isObject(line)
      ? {
          LineID: line.LineID ?? null,
          ItemID: line.ItemID ?? null,
          Quantity: line.Quantity ?? null,
          UnitPrice: line.UnitPrice ?? null,
          BundleID: line.BundleID ?? null,
        }
      : line,
  );
}

/** The new address of a MODIFY without its line and phone: personal data stays in the order's own row. */
const areaOf = (value: unknown): unknown =>
  isObject(value) ? { District: value.District ?? null, Province: value.Province ?? null, PostalCode: value.PostalCode ?? null } : null;

function orderUpdate(update: Loose, record: CommandRecord): Action | undefined {
  const orderId = text(update.OrderID);
  if (!orderId) return undefined; // nothing to name; the update stage dead-letters it (INVALID_ORDER_ID)
  const modify = update.Action === 'MODIFY';
  return {
    commandId: text(update.CommandID),
    actor: text(update.RequestedBy),
    action: text(update.Action) ?? 'UNKNOWN',
    target: { kind: 'order', id: orderId },
    store: text(update.ShipFromLocationID),
    requestedAt: timeOf(undefined, record.timestamp), // OrderUpdate has no time of its own
    details: modify
      ? { Reason: update.Reason ?? null, OrderLines: linesOf(update.OrderLines), DeliveryAddress: areaOf(update.DeliveryAddress) }
      : { Reason: update.Reason ?? null },
  };
}

const MANUAL_EVENT_PREFIX = 'manual-';

/** Only cash store staff confirmed on the partner's behalf: a partner's own statuses are its reports, not actions. */
function cashConfirmation(status: Loose, record: CommandRecord): Action | undefined {
  const orderId = text(status.OrderID);
  const confirmedBy = text(status.ConfirmedBy);
  if (!orderId || !confirmedBy) return undefined;
  const eventId = text(status.EventID);
  return {
    // The route's CommandID travels in the header and in the EventID (manual-<CommandID>, query-service/cod-routes.ts).
    commandId: eventId?.startsWith(MANUAL_EVENT_PREFIX) ? eventId.slice(MANUAL_EVENT_PREFIX.length) : null,
    actor: confirmedBy,
    action: 'CONFIRM_CASH',
    target: { kind: 'order', id: orderId },
    store: text(status.ShipFromLocationID),
    requestedAt: timeOf(status.At, record.timestamp),
    details: {
      Partner: status.Partner ?? null,
      CollectedAmount: status.CollectedAmount ?? null,
      Reference: status.Reference ?? null,
      Note: status.Note ?? null,
      EventID: status.EventID ?? null,
    },
  };
}

function exceptionAction(command: Loose, record: CommandRecord): Action | undefined {
  const orderId = text(command.OrderID);
  if (!orderId) return undefined;
  return {
    commandId: text(command.CommandID),
    actor: text(command.RequestedBy),
    action: `${text(command.Action) ?? 'UNKNOWN'}_${text(command.Exception) ?? 'UNKNOWN'}`,
    target: { kind: 'order', id: orderId },
    store: text(command.ShipFromLocationID),
    requestedAt: timeOf(command.At, record.timestamp),
    details: { Exception: command.Exception ?? null, Action: command.Action ?? null, Note: command.Note ?? null },
  };
}

function orderReturn(command: Loose, record: CommandRecord): Action | undefined {
  const orderId = text(command.OrderID);
  if (!orderId) return undefined;
  return {
    commandId: text(command.CommandID),
    actor: text(command.RequestedBy),
    action: `${text(command.Action) ?? 'UNKNOWN'}_RETURN`,
    target: { kind: 'order', id: orderId },
    store: text(command.ShipFromLocationID),
    requestedAt: timeOf(command.At, record.timestamp),
    details: { ReturnID: command.ReturnID ?? null, Lines: command.Lines ?? null, Reason: command.Reason ?? null },
  };
}

/** A bundle written whole: create, edit, activate and deactivate all send the full definition (the window says which). */
function bundleDefinition(definition: Loose, record: CommandRecord): Action | undefined {
  const bundleId = text(definition.BundleID);
  if (!bundleId) return undefined;
  const { BundleID: _id, ...rest } = definition;
  return {
    commandId: null,
    actor: null,
    action: 'DEFINE_BUNDLE',
    target: { kind: 'bundle', id: bundleId },
    store: null,
    requestedAt: timeOf(undefined, record.timestamp), // BundleDefinition has no time of its own
    details: rest,
  };
}

const READERS: Readonly<Record<CommandSource, (value: Loose, record: CommandRecord) => Action | undefined>> = {
  orderUpdate,
  cashConfirmation,
  exceptionAction,
  orderReturn,
  bundleDefinition,
};

/**
 * The row's name: the command's id (its field, else the header), else where the record was read. A command an
 * operator re-drove from its dead-letter topic is a new attempt with a verdict of its own, so it is named apart.
 */
function auditIdOf(commandId: string | null, record: CommandRecord): string {
  const base = commandId ?? `${record.topic}/${record.partition}/${record.offset}`;
  const redriven = record.headers[REDRIVEN_FROM_HEADER];
  return redriven ? `${base}@${redriven}` : base;
}

function rowOf(action: Action, record: CommandRecord | undefined, verdict: Verdict | undefined): Row {
  const headers = record?.headers ?? {};
  const commandId = action.commandId ?? text(headers[CommandHeaders.commandId]);
  const auditId = record ? auditIdOf(commandId, record) : commandId!;
  return {
    table: Tables.actionAudit,
    values: [
      auditId,
      commandId,
      action.actor ?? text(headers[CommandHeaders.requestedBy]),
      text(headers[CommandHeaders.requestedRole]),
      action.action,
      action.target.kind,
      action.target.id,
      action.store,
      action.requestedAt,
      verdict?.outcome ?? null,
      verdict?.reason ?? null,
      verdict?.at ?? null,
      JSON.stringify(action.details),
      record?.topic ?? null,
      record?.partition ?? null,
      record?.offset ?? null,
    ],
  };
}

/** The row of a command as it was sent; none for a record that is no one's action (a partner's own delivery status). */
export function commandAuditRows(source: CommandSource, value: unknown, record: CommandRecord): Row[] {
  if (!isObject(value)) return [];
  const action = READERS[source](value, record);
  return action ? [rowOf(action, record, undefined)] : [];
}

/**
 * A command's dead letter: the same row as the command's (named from where the command was read, as the dead letter's
 * headers say), refused with the pipeline's code.
 */
export function refusedAuditRows(source: CommandSource, value: unknown, letter: CommandRecord): Row[] {
  if (!isObject(value)) return [];
  const headers = letter.headers;
  const origin: CommandRecord = {
    topic: headers[DlqHeaders.topic] ?? letter.topic,
    partition: Number(headers[DlqHeaders.partition] ?? letter.partition),
    offset: BigInt(headers[DlqHeaders.offset] ?? letter.offset),
    timestamp: letter.timestamp, // a dead letter keeps the original timestamp
    headers,
  };
  const action = READERS[source](value, origin);
  if (!action) return [];
  const verdict: Verdict = {
    outcome: 'REFUSED',
    reason: text(headers[DlqHeaders.code]),
    at: timeOf(headers[DlqHeaders.at], letter.timestamp),
  };
  return [rowOf(action, origin, verdict)];
}

/** What became of a decision on an exception: the decision's own row (it carries the command whole), with the outcome. */
export function outcomeAuditRows(value: unknown): Row[] {
  if (!isObject(value) || !isObject(value.Command)) return [];
  const outcome = value as unknown as ExceptionOutcome;
  const at = timeOf(outcome.At, 0);
  const action = exceptionAction(value.Command, { topic: '', partition: 0, offset: 0n, timestamp: Date.parse(at), headers: {} });
  if (!action?.commandId) return [];
  return [rowOf(action, undefined, { outcome: outcome.Outcome, reason: outcome.Reason ?? null, at })];
}
