/**
 * Partner webhook bodies → the pipeline's input records. Pure: parsed JSON in, a record or every failing field
 * out (`{ field, message }`, the field as a dotted path such as `Lines.0.Quantity`).
 *
 * Common rules: the body is a JSON object; fields the partner adds beyond these are ignored (a partner can add
 * fields without breaking ingress); ids are non-empty strings of a restricted alphabet; timestamps are ISO-8601
 * with `Z` or an offset and are stored in UTC (an offset is converted: `2026-11-21T16:15:00+07:00` →
 * `2026-11-21T09:15:00.000Z`); money is a decimal string (never a JSON number) with at most 4 fraction digits,
 * stored with exactly 4 (`"20.5"` → `"20.5000"`).
 *
 * - Slick `POST /api/fulfillment/ship-events` → ShipEvent: EventID, OrderID, ShipFromLocationID, EventType
 *   (picking | picked | packing | packed | shipped | short | substitution), TrackingID?, Carrier?,
 *   EstimatedDelivery?, Lines? ([{ LineID, ItemID, Quantity ≥ 1, SubstituteItemID? }]; required and non-empty for
 *   short and substitution, and every substitution line names its SubstituteItemID), At.
 * - Grab `PUT /api/delivery/status` → DeliveryStatus (Partner GRAB): EventID, OrderID, ShipFromLocationID, Status
 *   (one of DELIVERY_STATUSES), CollectedAmount (required with COLLECTED, refused otherwise), At.
 * - PMP `POST /api/delivery/pmp/delivered` → DeliveryStatus (Partner PMP, Status DELIVERED): EventID, OrderID,
 *   ShipFromLocationID, At.
 * - PMP `POST /api/delivery/pmp/cash-collected` → DeliveryStatus (Partner PMP, Status COLLECTED): the same and
 *   CollectedAmount.
 */
import type { DeliveryPartner, DeliveryStatus, ShipEvent, ShipEventLine, ShipEventType } from '../avro/records.js';

/** Normalised delivery statuses, shared with the delivery-status stage. */
export const DELIVERY_STATUSES = [
  'HANDED_OVER',
  'IN_TRANSIT',
  'OUT_FOR_DELIVERY',
  'DELIVERED',
  'FAILED',
  'RESCHEDULED',
  'COLLECTED',
] as const;
export type DeliveryStatusCode = (typeof DELIVERY_STATUSES)[number];

export const SHIP_EVENT_TYPES: readonly ShipEventType[] = ['picking', 'picked', 'packing', 'packed', 'shipped', 'short', 'substitution'];

export interface PayloadFieldError {
  field: string;
  message: string;
}

export type PayloadResult<T> = { ok: true; record: T } | { ok: false; errors: PayloadFieldError[] };

const ORDER_ID = /^[A-Za-z0-9_-]{1,50}$/;
const LOCATION_ID = /^[A-Za-z0-9_-]{1,50}$/;
const EVENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MONEY = /^(0|[1-9]\d{0,13})(\.(\d{1,4}))?$/;

/** Collects field errors while reading one object; every check records its failure and returns undefined. */
class Reader {
  readonly errors: PayloadFieldError[] = [];

  constructor(
    private readonly body: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ field: this.prefix + field, message });
    return undefined;
  }

  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  /** A required string matching `pattern`. */
  id(field: string, pattern: RegExp, what: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') return this.fail(field, 'is required');
    if (typeof value !== 'string') return this.fail(field, `must be a string, got ${typeof value}`);
    if (!pattern.test(value)) return this.fail(field, what);
    return value;
  }

  /** An optional string of 1–`max` characters; null when absent. */
  optionalText(field: string, max: number): string | null | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') return this.fail(field, `must be a string or null, got ${typeof value}`);
    if (value.length === 0 || value.length > max) return this.fail(field, `must be 1–${max} characters`);
    return value;
  }

  timestamp(field: string, required: true): string | undefined;
  timestamp(field: string, required: false): string | null | undefined;
  timestamp(field: string, required: boolean): string | null | undefined {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') return required ? this.fail(field, 'is required') : null;
    if (typeof value !== 'string') return this.fail(field, `must be an ISO-8601 timestamp string, got ${typeof value}`);
    const utc = toUtc(value);
    return utc ?? this.fail(field, 'must be an ISO-8601 date-time with Z or an offset, e.g. 2026-11-21T09:15:00Z');
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') return this.fail(field, 'is required');
    if (typeof value !== 'string' || !allowed.includes(value as T)) return this.fail(field, `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  money(field: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') return this.fail(field, 'is required');
    if (typeof value !== 'string') return this.fail(field, `must be a decimal string such as "120.0000", not a JSON ${typeof value}`);
    const match = MONEY.exec(value);
    if (!match) return this.fail(field, 'must be a non-negative decimal with at most 4 fraction digits, e.g. "120.0000"');
    return `${match[1]}.${(match[3] ?? '').padEnd(4, '0')}`;
  }

  positiveInt(field: string): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return this.fail(field, 'is required');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647)
      return this.fail(field, 'must be an integer ≥ 1');
    return value;
  }
}

/** An ISO-8601 date-time with Z or an offset, as UTC; undefined when not one or not a real date. */
export function toUtc(value: string): string | undefined {
  const match = ISO_TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, , zone] = match;
  const year = Number(y),
    month = Number(mo),
    day = Number(d),
    hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCDate() !== day) return undefined; // 2026-02-30
  if (zone === 'Z') return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function asObject(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

const notAnObject = <T>(): PayloadResult<T> => ({ ok: false, errors: [{ field: '(root)', message: 'the body must be a JSON object' }] });

function common(reader: Reader) {
  return {
    EventID: reader.id('EventID', EVENT_ID, 'must be 1–128 characters of [A-Za-z0-9_.:-]'),
    OrderID: reader.id('OrderID', ORDER_ID, 'must be 1–50 characters of [A-Za-z0-9_-]'),
    ShipFromLocationID: reader.id('ShipFromLocationID', LOCATION_ID, 'must be 1–50 characters of [A-Za-z0-9_-]'),
  };
}

function lines(reader: Reader, body: Record<string, unknown>, eventType: ShipEventType | undefined): ShipEventLine[] | null | undefined {
  const value = body.Lines;
  const needed = eventType === 'short' || eventType === 'substitution';
  if (value === undefined || value === null) return needed ? reader.fail('Lines', `is required for a ${eventType} event`) : null;
  if (!Array.isArray(value)) return reader.fail('Lines', 'must be an array of lines or null');
  if (needed && value.length === 0) return reader.fail('Lines', `must list at least one line for a ${eventType} event`);
  const out: ShipEventLine[] = [];
  value.forEach((entry, index) => {
    const line = asObject(entry);
    if (!line) {
      reader.fail(`Lines.${index}`, 'must be an object');
      return;
    }
    const lineReader = new Reader(line, `Lines.${index}.`);
    const LineID = lineReader.id('LineID', /^.{1,50}$/s, 'must be 1–50 characters');
    const ItemID = lineReader.id('ItemID', /^.{1,50}$/s, 'must be 1–50 characters');
    const Quantity = lineReader.positiveInt('Quantity');
    let SubstituteItemID = lineReader.optionalText('SubstituteItemID', 50);
    if (eventType === 'substitution' && SubstituteItemID === null)
      SubstituteItemID = lineReader.fail('SubstituteItemID', 'is required on a substitution line');
    reader.errors.push(...lineReader.errors);
    if (LineID !== undefined && ItemID !== undefined && Quantity !== undefined && SubstituteItemID !== undefined)
      out.push({ LineID, ItemID, Quantity, SubstituteItemID });
  });
  return out;
}

/** Slick's ship event → ShipEvent (fulfillment.ship-event.v1). */
export function shipEventFromSlick(body: unknown): PayloadResult<ShipEvent> {
  const object = asObject(body);
  if (!object) return notAnObject();
  const reader = new Reader(object);
  const ids = common(reader);
  const EventType = reader.oneOf('EventType', SHIP_EVENT_TYPES);
  const record = {
    ...ids,
    EventType,
    TrackingID: reader.optionalText('TrackingID', 100),
    Carrier: reader.optionalText('Carrier', 50),
    EstimatedDelivery: reader.timestamp('EstimatedDelivery', false),
    Lines: lines(reader, object, EventType),
    At: reader.timestamp('At', true),
  };
  return reader.errors.length ? { ok: false, errors: reader.errors } : { ok: true, record: record as ShipEvent };
}

function deliveryStatus(
  reader: Reader,
  partner: DeliveryPartner,
  status: DeliveryStatusCode | undefined,
  amountWanted: boolean,
): PayloadResult<DeliveryStatus> {
  const ids = common(reader);
  let CollectedAmount: string | null | undefined = null;
  if (amountWanted) CollectedAmount = reader.money('CollectedAmount');
  else if (reader.has('CollectedAmount') && status !== undefined)
    reader.fail('CollectedAmount', `is only accepted with Status COLLECTED (got ${status})`);
  const At = reader.timestamp('At', true);
  if (reader.errors.length) return { ok: false, errors: reader.errors };
  // ConfirmedBy, Reference and Note belong to cash confirmed by store staff (the query service), never to a partner.
  const record = { ...ids, Partner: partner, Status: status, CollectedAmount, At, ConfirmedBy: null, Reference: null, Note: null };
  return { ok: true, record: record as DeliveryStatus };
}

/** Grab's status update → DeliveryStatus (delivery.status.v1, Partner GRAB). */
export function deliveryStatusFromGrab(body: unknown): PayloadResult<DeliveryStatus> {
  const object = asObject(body);
  if (!object) return notAnObject();
  const reader = new Reader(object);
  const status = reader.oneOf('Status', DELIVERY_STATUSES);
  return deliveryStatus(reader, 'GRAB', status, status === 'COLLECTED');
}

/** PMP's delivered notice → DeliveryStatus (Partner PMP, Status DELIVERED). */
export function deliveredFromPmp(body: unknown): PayloadResult<DeliveryStatus> {
  const object = asObject(body);
  if (!object) return notAnObject();
  return deliveryStatus(new Reader(object), 'PMP', 'DELIVERED', false);
}

/** PMP's cash-collected notice → DeliveryStatus (Partner PMP, Status COLLECTED, CollectedAmount). */
export function cashCollectedFromPmp(body: unknown): PayloadResult<DeliveryStatus> {
  const object = asObject(body);
  if (!object) return notAnObject();
  return deliveryStatus(new Reader(object), 'PMP', 'COLLECTED', true);
}
