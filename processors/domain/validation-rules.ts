// Section 3: Rules A–G, the line checks and the payment-method check, as pure functions over the decoded
// JSON value of an `order.create.v1` record.
//
// `validateOrder` reports every failed check at once. It takes `unknown`, not `OrderCreate`: a value that is
// not of the schema gets errors, never an exception. Two kinds of code come out:
//
// - MALFORMED_RECORD (Rule '—') when the structure is wrong: the record, a line, an entry or the address is not
//   an object; OrderLines, Discounts, InformationalTaxes or Charges is not an array; or a field that no rule
//   covers is missing or of the wrong JSON type (ShipFromLocationID, CreatedAt, Currency, PostalCode, an
//   entry's Type, ShortDescription, ImageURL). The caller sends such a record to the DLQ as MALFORMED_RECORD
//   (`isMalformed`).
// - the rule's own code when a field a rule checks is wrong, whatever the reason, wrong JSON type included:
//   `"Quantity": "2"` is INVALID_LINE, `"IsForceAllocation": "true"` is FORCE_ALLOCATION_REQUIRED.
//
// "When given" (Rules D–G) means present and not null. An empty string is given, and fails.
//
// Redelivery (Rule A, second row). The rules keep no state; the caller passes what it remembers:
//   - `payloadHash(bytes)` of the record's value bytes exactly as they arrived;
//   - `previous`: what it stored for an earlier record with the same OrderID, or undefined.
// `classifyArrival(previous, hash)` then says:
//   'first'      no earlier record with this OrderID            → validate and process;
//   'redelivery' same OrderID, byte-identical payload          → absorb silently: no order, no validation
//                                                                  record, no DLQ entry (upstream retries are safe);
//   'duplicate'  same OrderID, different payload               → DUPLICATE_ORDER_ID (validateOrder reports it).
// Callers check for 'redelivery' before validating. Byte-identical means the bytes, so a resend whose JSON
// differs only in key order or spacing is a duplicate; `canonicalJson` exists for a caller that no longer has
// the bytes, and makes such resends redeliveries instead.
import { createHash } from 'node:crypto';
import { tryParseMoney } from './money.js';
import { checkOrderUnlocked } from './status.js';
import type { Customer, OrderStatusCode, Timestamp, ValidationError, ValidationResult, ValidationRule } from './types.js';
import { ErrorCode, OrderUpdateAction } from './types.js';
import { Topics } from '../../avro/topic-catalogue.js';

/** What the caller remembers about an earlier record with the same OrderID. */
export interface SeenOrder {
  payloadHash: string;
}

/** Data the rules need from outside the record, looked up by the caller. */
export interface OrderLookups {
  /** `customer.profile.v1` entry for the order's CustomerID; undefined or null when the table has none (Rule G). */
  customer?: Customer | null;
  /** An earlier record with the same OrderID, or undefined for a first sighting (Rule A). */
  previous?: SeenOrder | null;
  /** `payloadHash` of this record's bytes. Without it, any `previous` counts as a different payload. */
  payloadHash?: string;
}

/** A record as decoded JSON, before it is known to be of the schema. */
type Fields = Readonly<Record<string, unknown>>;

/** One check: reads the record, appends what fails to `errors`. */
export type OrderRule = (order: Fields, lookups: OrderLookups, errors: ValidationError[]) => void;

const ORDER_ID = /^[A-Za-z0-9_-]{1,50}$/;
/** Rule A's shape of an OrderID: what an order can be looked up by (a settlement row's, say). */
export const isOrderId = (value: unknown): value is string => typeof value === 'string' && ORDER_ID.test(value);
const T1_MEMBERSHIP_ID = /^[0-9]{16}$/;
const T1_NUMBER = /^T1-[0-9]{6}$/;
const PRINTABLE_ASCII_1_50 = /^[\x20-\x7E]{1,50}$/;
/** UTC ISO-8601: date, time, optional fraction, and Z or a zero offset. */
const UTC_TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-]00:?00)$/;
const SUPPORTED_PAYMENT_METHOD = 'COD';

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isGiven = (value: unknown): boolean => value !== undefined && value !== null;
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** How a value reads in a message: strings quoted (and shortened), "missing" for an absent field. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

const push = (errors: ValidationError[], Rule: ValidationRule, Code: ErrorCode, Field: string, Message: string): void => {
  errors.push({ Rule, Code, Field, Message });
};
const malformed = (errors: ValidationError[], field: string, message: string): void =>
  push(errors, '—', ErrorCode.MalformedRecord, field, message);
const invalidLine = (errors: ValidationError[], field: string, message: string): void =>
  push(errors, '—', ErrorCode.InvalidLine, field, message);

// ---------------------------------------------------------------------------------------------- redelivery

/** SHA-256 (hex) of a record's value bytes; strings are hashed as their UTF-8 bytes. */
export function payloadHash(payload: Uint8Array | string): string {
  return createHash('sha256').update(payload).digest('hex');
}

/** JSON with object keys sorted at every level: equal for values that differ only in key order or spacing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export type Arrival = 'first' | 'redelivery' | 'duplicate';

/** See the file comment: a first sighting, a byte-identical redelivery, or a different payload under a used OrderID. */
export function classifyArrival(previous: SeenOrder | null | undefined, hash: string | undefined): Arrival {
  if (!previous) return 'first';
  return hash !== undefined && previous.payloadHash === hash ? 'redelivery' : 'duplicate';
}

// -------------------------------------------------------------------------------------------------- shape

/** Structure and the fields no rule covers: ShipFromLocationID, CreatedAt, Currency, DeliveryAddress, Charges. */
export const checkRecordShape: OrderRule = (order, _lookups, errors) => {
  if (!isNonEmptyString(order.ShipFromLocationID)) {
    malformed(
      errors,
      'ShipFromLocationID',
      `ShipFromLocationID must be a non-empty string, got ${describeValue(order.ShipFromLocationID)}`,
    );
  }
  const createdAt = order.CreatedAt;
  if (typeof createdAt !== 'string' || !UTC_TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    malformed(
      errors,
      'CreatedAt',
      `CreatedAt must be a UTC ISO-8601 timestamp such as "2026-11-21T09:15:00Z", got ${describeValue(createdAt)}`,
    );
  }
  if (isGiven(order.Currency) && typeof order.Currency !== 'string') {
    malformed(errors, 'Currency', `Currency must be a string or null, got ${describeValue(order.Currency)}`);
  }
  checkAddressShape(order.DeliveryAddress, 'DeliveryAddress', errors);
  checkAmountEntries(order.Charges, 'Charges', errors);
};

const ADDRESS_TEXT_FIELDS = ['Line1', 'District', 'Province', 'Phone'] as const;

function checkAddressShape(address: unknown, field: string, errors: ValidationError[]): void {
  if (!isObject(address)) {
    malformed(errors, field, `${field} must be an object with at least PostalCode, got ${describeValue(address)}`);
    return;
  }
  if (typeof address.PostalCode !== 'string') {
    malformed(errors, `${field}.PostalCode`, `${field}.PostalCode must be a string, got ${describeValue(address.PostalCode)}`);
  }
  for (const name of ADDRESS_TEXT_FIELDS) {
    const value = address[name];
    if (isGiven(value) && typeof value !== 'string') {
      malformed(errors, `${field}.${name}`, `${field}.${name} must be a string or null, got ${describeValue(value)}`);
    }
  }
}

/** An optional array of `{Type, Amount}` (Discounts, InformationalTaxes, Charges); amounts are money ≥ 0. */
function checkAmountEntries(entries: unknown, field: string, errors: ValidationError[]): void {
  if (!isGiven(entries)) return;
  if (!Array.isArray(entries)) {
    malformed(errors, field, `${field} must be an array, got ${describeValue(entries)}`);
    return;
  }
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const path = `${field}[${i}]`;
    if (!isObject(entry)) {
      malformed(errors, path, `${path} must be an object {Type, Amount}, got ${describeValue(entry)}`);
      continue;
    }
    if (typeof entry.Type !== 'string')
      malformed(errors, `${path}.Type`, `${path}.Type must be a string, got ${describeValue(entry.Type)}`);
    const amount = tryParseMoney(entry.Amount);
    if (amount === undefined || amount.isNegative()) {
      invalidLine(
        errors,
        `${path}.Amount`,
        `${path}.Amount must be a money amount ≥ 0 with at most 4 decimals, got ${describeValue(entry.Amount)}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------- Rules A–G

/** Rule A: OrderID present, 1–50 characters of [A-Za-z0-9_-]. */
export const checkOrderId: OrderRule = (order, _lookups, errors) => {
  const id = order.OrderID;
  if (typeof id !== 'string' || !ORDER_ID.test(id)) {
    push(
      errors,
      'A',
      ErrorCode.InvalidOrderId,
      'OrderID',
      `OrderID must be 1–50 characters of A–Z, a–z, 0–9, "_" or "-", got ${describeValue(id)}`,
    );
  }
};

/** Rule A: the OrderID was not seen before with a different payload (see `classifyArrival`). */
export const checkDuplicateOrderId: OrderRule = (order, lookups, errors) => {
  if (classifyArrival(lookups.previous, lookups.payloadHash) === 'duplicate') {
    push(
      errors,
      'A',
      ErrorCode.DuplicateOrderId,
      'OrderID',
      `OrderID ${describeValue(order.OrderID)} was already received with a different payload`,
    );
  }
};

/** Rule B: each line's ShipFromLocationID, when given, equals the order's. */
export const checkShipFromLocation: OrderRule = (order, _lookups, errors) => {
  const location = order.ShipFromLocationID;
  if (typeof location !== 'string' || !Array.isArray(order.OrderLines)) return; // reported by the shape check
  checkLineLocations(order.OrderLines, location, errors);
};

function checkLineLocations(lines: readonly unknown[], location: string, errors: ValidationError[]): void {
  for (let i = 0; i < lines.length; i++) {
    const line: unknown = lines[i];
    if (!isObject(line) || !isGiven(line.ShipFromLocationID) || line.ShipFromLocationID === location) continue;
    push(
      errors,
      'B',
      ErrorCode.ShipFromLocationMismatch,
      `OrderLines[${i}].ShipFromLocationID`,
      `line ShipFromLocationID ${describeValue(line.ShipFromLocationID)} differs from the order's ${describeValue(location)}`,
    );
  }
}

/** Rule C: IsForceAllocation is the boolean true. */
export const checkForceAllocation: OrderRule = (order, _lookups, errors) => {
  if (order.IsForceAllocation !== true) {
    push(
      errors,
      'C',
      ErrorCode.ForceAllocationRequired,
      'IsForceAllocation',
      `IsForceAllocation must be true, got ${describeValue(order.IsForceAllocation)}`,
    );
  }
};

/** Rule D: T1MembershipID, when given, is exactly 16 digits. */
export const checkT1MembershipId: OrderRule = (order, _lookups, errors) => {
  const value = order.T1MembershipID;
  if (isGiven(value) && (typeof value !== 'string' || !T1_MEMBERSHIP_ID.test(value))) {
    push(
      errors,
      'D',
      ErrorCode.InvalidT1MembershipId,
      'T1MembershipID',
      `T1MembershipID must be exactly 16 digits, got ${describeValue(value)}`,
    );
  }
};

/** Rule E: T1Number, when given, is "T1-" and 6 digits. */
export const checkT1Number: OrderRule = (order, _lookups, errors) => {
  const value = order.T1Number;
  if (isGiven(value) && (typeof value !== 'string' || !T1_NUMBER.test(value))) {
    push(errors, 'E', ErrorCode.InvalidT1Number, 'T1Number', `T1Number must be "T1-" followed by 6 digits, got ${describeValue(value)}`);
  }
};

/** Rule F: CustRef, when given, is 1–50 printable ASCII characters (space to tilde). */
export const checkCustRef: OrderRule = (order, _lookups, errors) => {
  const value = order.CustRef;
  if (isGiven(value) && (typeof value !== 'string' || !PRINTABLE_ASCII_1_50.test(value))) {
    push(errors, 'F', ErrorCode.InvalidCustRef, 'CustRef', `CustRef must be 1–50 printable ASCII characters, got ${describeValue(value)}`);
  }
};

/** Rule G: CustomerID, when given, is in `customer.profile.v1` (the caller passes the lookup's result). */
export const checkCustomer: OrderRule = (order, lookups, errors) => {
  const id = order.CustomerID;
  if (!isGiven(id)) return;
  if (typeof id !== 'string') {
    push(errors, 'G', ErrorCode.UnknownCustomer, 'CustomerID', `CustomerID must be a string, got ${describeValue(id)}`);
  } else if (!lookups.customer) {
    push(errors, 'G', ErrorCode.UnknownCustomer, 'CustomerID', `CustomerID ${describeValue(id)} is not in ${Topics.customers}`);
  }
};

/** PaymentMethod is "COD", the only method supported. */
export const checkPaymentMethod: OrderRule = (order, _lookups, errors) => {
  if (order.PaymentMethod !== SUPPORTED_PAYMENT_METHOD) {
    push(
      errors,
      '—',
      ErrorCode.UnsupportedPaymentMethod,
      'PaymentMethod',
      `PaymentMethod must be "COD", got ${describeValue(order.PaymentMethod)}`,
    );
  }
};

// ------------------------------------------------------------------------------------------------- lines

/** At least one line; each line's fields; unique LineIDs. */
export const checkOrderLines: OrderRule = (order, _lookups, errors) => checkLines(order.OrderLines, errors);

function checkLines(lines: unknown, errors: ValidationError[]): void {
  if (!Array.isArray(lines)) {
    malformed(errors, 'OrderLines', `OrderLines must be an array of lines, got ${describeValue(lines)}`);
    return;
  }
  if (lines.length === 0) {
    invalidLine(errors, 'OrderLines', 'an order needs at least one line, got an empty OrderLines');
    return;
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line: unknown = lines[i];
    const path = `OrderLines[${i}]`;
    if (!isObject(line)) {
      malformed(errors, path, `${path} must be an object, got ${describeValue(line)}`);
      continue;
    }
    checkLine(line, path, errors);
    if (isNonEmptyString(line.LineID)) {
      const first = seen.get(line.LineID);
      if (first === undefined) seen.set(line.LineID, i);
      else invalidLine(errors, `${path}.LineID`, `LineID ${describeValue(line.LineID)} is already used by OrderLines[${first}]`);
    }
  }
}

/** One line's own fields (not its location: Rule B; not LineID uniqueness: `checkLines`). */
export function checkLine(line: Fields, path: string, errors: ValidationError[]): void {
  if (!isNonEmptyString(line.LineID))
    invalidLine(errors, `${path}.LineID`, `LineID must be a non-empty string, got ${describeValue(line.LineID)}`);
  if (!isNonEmptyString(line.ItemID))
    invalidLine(errors, `${path}.ItemID`, `ItemID must be a non-empty string, got ${describeValue(line.ItemID)}`);
  const quantity = line.Quantity;
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) {
    invalidLine(errors, `${path}.Quantity`, `Quantity must be a whole number ≥ 1, got ${describeValue(quantity)}`);
  }
  const price = tryParseMoney(line.UnitPrice);
  if (price === undefined || price.isNegative()) {
    invalidLine(
      errors,
      `${path}.UnitPrice`,
      `UnitPrice must be a money amount ≥ 0 with at most 4 decimals, got ${describeValue(line.UnitPrice)}`,
    );
  }
  const rate = tryParseMoney(line.TaxRate);
  if (rate === undefined || rate.isNegative() || rate.isGreaterThan(1)) {
    invalidLine(
      errors,
      `${path}.TaxRate`,
      `TaxRate must be a fraction from 0 to 1 with at most 4 decimals ("0.0700" is 7 %), got ${describeValue(line.TaxRate)}`,
    );
  }
  if (isGiven(line.BundleID) && !isNonEmptyString(line.BundleID)) {
    invalidLine(errors, `${path}.BundleID`, `BundleID must be a non-empty string or null, got ${describeValue(line.BundleID)}`);
  }
  for (const name of ['ShortDescription', 'ImageURL'] as const) {
    if (isGiven(line[name]) && typeof line[name] !== 'string') {
      malformed(errors, `${path}.${name}`, `${path}.${name} must be a string or null, got ${describeValue(line[name])}`);
    }
  }
  checkAmountEntries(line.Discounts, `${path}.Discounts`, errors);
  checkAmountEntries(line.InformationalTaxes, `${path}.InformationalTaxes`, errors);
}

// ---------------------------------------------------------------------------------------------- the whole

/** Every check, in the order its errors are listed. */
export const ORDER_RULES: readonly OrderRule[] = [
  checkOrderId,
  checkDuplicateOrderId,
  checkShipFromLocation,
  checkForceAllocation,
  checkT1MembershipId,
  checkT1Number,
  checkCustRef,
  checkCustomer,
  checkOrderLines,
  checkPaymentMethod,
  checkRecordShape,
];

/**
 * Every failed check of an OrderCreate, empty when it is valid. Never throws on bad data. A redelivery (see
 * `classifyArrival`) is the caller's to absorb before calling this; it passes here as not a duplicate.
 */
export function validateOrder(value: unknown, lookups: OrderLookups = {}): ValidationError[] {
  if (!isObject(value)) {
    return [
      {
        Rule: '—',
        Code: ErrorCode.MalformedRecord,
        Field: '',
        Message: `an OrderCreate must be a JSON object, got ${describeValue(value)}`,
      },
    ];
  }
  const errors: ValidationError[] = [];
  for (const rule of ORDER_RULES) rule(value, lookups, errors);
  return errors;
}

/**
 * Every failed check of an OrderUpdate: OrderID (Rule A's format), ShipFromLocationID, Action CANCEL or MODIFY,
 * Reason a string when given; for MODIFY, new OrderLines and/or DeliveryAddress that pass the same checks as on create
 * (Rule B against the update's ShipFromLocationID); and ORDER_LOCKED when `currentStatus` is 3000 or beyond.
 */
export function validateOrderUpdate(value: unknown, currentStatus?: OrderStatusCode | null): ValidationError[] {
  if (!isObject(value)) {
    return [
      {
        Rule: '—',
        Code: ErrorCode.MalformedRecord,
        Field: '',
        Message: `an OrderUpdate must be a JSON object, got ${describeValue(value)}`,
      },
    ];
  }
  const errors: ValidationError[] = [];
  checkOrderId(value, {}, errors);
  const location = value.ShipFromLocationID;
  if (!isNonEmptyString(location))
    malformed(errors, 'ShipFromLocationID', `ShipFromLocationID must be a non-empty string, got ${describeValue(location)}`);
  if (isGiven(value.Reason) && typeof value.Reason !== 'string')
    malformed(errors, 'Reason', `Reason must be a string or null, got ${describeValue(value.Reason)}`);
  const action = value.Action;
  if (action === OrderUpdateAction.Modify) {
    const hasLines = isGiven(value.OrderLines);
    const hasAddress = isGiven(value.DeliveryAddress);
    if (!hasLines && !hasAddress)
      malformed(errors, 'OrderLines', 'a MODIFY must carry new OrderLines and/or a new DeliveryAddress, got neither');
    if (hasLines) {
      checkLines(value.OrderLines, errors);
      if (typeof location === 'string' && Array.isArray(value.OrderLines)) checkLineLocations(value.OrderLines, location, errors);
    }
    if (hasAddress) checkAddressShape(value.DeliveryAddress, 'DeliveryAddress', errors);
  } else if (action !== OrderUpdateAction.Cancel) {
    malformed(errors, 'Action', `Action must be "CANCEL" or "MODIFY", got ${describeValue(action)}`);
  }
  if (currentStatus !== undefined && currentStatus !== null) {
    const locked = checkOrderUnlocked(currentStatus);
    if (locked) errors.push(locked);
  }
  return errors;
}

/** True when the errors say the record is not of the schema: the caller dead-letters it as MALFORMED_RECORD. */
export const isMalformed = (errors: readonly ValidationError[]): boolean =>
  errors.some((error) => error.Code === ErrorCode.MalformedRecord);

/** The `order.validation.v1` record for a processed value; OrderID and location read as "" when unusable. */
export function validationResult(value: unknown, errors: ValidationError[], at: Timestamp): ValidationResult {
  const fields = isObject(value) ? value : {};
  return {
    OrderID: typeof fields.OrderID === 'string' ? fields.OrderID : '',
    ShipFromLocationID: typeof fields.ShipFromLocationID === 'string' ? fields.ShipFromLocationID : '',
    Valid: errors.length === 0,
    Errors: errors,
    At: at,
  };
}
