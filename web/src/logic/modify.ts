/**
 * "Change order" (POST /orders/:id/modify): the lines' quantities and the delivery address edited in the dialog,
 * checked as the service checks them (query-service/order-modify-routes.ts), and the body to send. Only what
 * changed is sent: the lines when a quantity changed (then all the lines that remain, each with its own tax rate
 * from the order view, as the new lines replace the old ones), the address when it differs from the current one.
 * A line goes back with the bundle the order line names, so a change keeps it. A store role sees the phone masked
 * ("081****678"): left as shown, it is sent as shown, and the service keeps the order's phone.
 */
import type { DeliveryAddressView } from '../api-types.js';

export const MAX_MODIFY_REASON_LENGTH = 200;
export const MAX_QUANTITY = 10_000;
export const ADDRESS_LIMITS = { line1: 200, district: 100, province: 100, phone: 30 } as const;

/** A line as the order view gives it (query-service/order-view.ts), the parts the request needs. */
export interface ModifiableLine {
  lineId: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  /** Null when the view could not say (an order the tables have not had since, or a replica of an earlier version). */
  taxRate?: string | null;
  /** The bundle the order line names; absent from a replica of an earlier version. */
  bundleId?: string | null;
}

/** The address as the order view gives it (null when it could not say). */
export type CurrentAddress = DeliveryAddressView;

export interface AddressForm {
  line1: string;
  district: string;
  province: string;
  postalCode: string;
  phone: string;
}

export const EMPTY_ADDRESS: AddressForm = { line1: '', district: '', province: '', postalCode: '', phone: '' };

/** The dialog's address fields, filled with the order's current address (empty when it is not known). */
export const addressForm = (address: CurrentAddress | null | undefined): AddressForm =>
  address
    ? {
        line1: address.line1 ?? '',
        district: address.district ?? '',
        province: address.province ?? '',
        postalCode: address.postalCode,
        phone: address.phone ?? '',
      }
    : EMPTY_ADDRESS;

/** A phone shown partly hidden (`*`): the service keeps the order's own number when it comes back as shown. */
export const isMaskedPhone = (phone: string | null | undefined): boolean => typeof phone === 'string' && phone.includes('*');

/** Quantities can be sent only with every line's own tax rate: a guessed rate would price the order wrongly. */
export const linesChangeable = (lines: readonly ModifiableLine[]): boolean =>
  lines.every((line) => typeof line.taxRate === 'string' && line.taxRate !== '');

export interface ModifyForm {
  /** The quantity typed per line ID; a line not in it keeps its quantity. */
  quantities: Readonly<Record<string, string>>;
  address: AddressForm;
  reason: string;
}

export interface ModifyLineBody {
  lineId: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  bundleId?: string;
}

export interface ModifyAddressBody {
  line1?: string;
  district?: string;
  province?: string;
  postalCode: string;
  phone?: string;
}

export interface ModifyBody {
  reason: string;
  lines?: ModifyLineBody[];
  address?: ModifyAddressBody;
}

export type QuantityProblem = 'format' | 'tooLarge';
export type AddressProblem = 'postalCode' | 'postalCodeRequired' | 'tooLong';

export interface ModifyProblems {
  /** Per line ID. */
  quantities?: Record<string, QuantityProblem>;
  /** Every line set to 0: at least one must remain. */
  noLines?: true;
  address?: Partial<Record<keyof AddressForm, AddressProblem>>;
  reason?: 'required' | 'tooLong';
  /** Neither a quantity nor the address changed. */
  nothing?: true;
  /** A quantity changed, but a line's tax rate is not known. */
  taxRateUnknown?: true;
}

/** The quantity typed, as a whole number from 0 (remove the line) to 10 000, or what is wrong with it. */
export function parseQuantity(
  text: string,
): { quantity: number; problem?: undefined } | { quantity?: undefined; problem: QuantityProblem } {
  const trimmed = text.trim();
  if (!/^[0-9]{1,6}$/.test(trimmed)) return { problem: 'format' };
  const quantity = Number(trimmed);
  if (quantity > MAX_QUANTITY) return { problem: 'tooLarge' };
  return { quantity };
}

const clean = (value: string): string => value.trim().replace(/\s+/g, ' ');
const sameAddress = (a: AddressForm, b: AddressForm): boolean =>
  (Object.keys(a) as (keyof AddressForm)[]).every((field) => clean(a[field]) === clean(b[field]));

/** The body to send, or what is wrong. `current`: the address the fields started with (the order's, or empty). */
export function modifyRequest(
  lines: readonly ModifiableLine[],
  form: ModifyForm,
  current: AddressForm = EMPTY_ADDRESS,
): { body: ModifyBody; problems?: undefined } | { body?: undefined; problems: ModifyProblems } {
  const problems: ModifyProblems = {};

  const kept: ModifyLineBody[] = [];
  let linesChanged = false;
  for (const line of lines) {
    const typed = form.quantities[line.lineId];
    const parsed = typed === undefined ? { quantity: line.quantity } : parseQuantity(typed);
    if (parsed.problem) {
      (problems.quantities ??= {})[line.lineId] = parsed.problem;
      continue;
    }
    if (parsed.quantity !== line.quantity) linesChanged = true;
    if (parsed.quantity > 0)
      kept.push({
        lineId: line.lineId,
        itemId: line.itemId,
        quantity: parsed.quantity,
        unitPrice: line.unitPrice,
        taxRate: line.taxRate ?? '',
        ...(line.bundleId ? { bundleId: line.bundleId } : {}),
      });
  }
  if (!problems.quantities && linesChanged && kept.length === 0) problems.noLines = true;
  if (!problems.quantities && linesChanged && kept.some((line) => line.taxRate === '')) problems.taxRateUnknown = true;

  // The new address replaces the old one as a whole: a field emptied is dropped from it.
  const addressGiven = !sameAddress(form.address, current);
  const address: ModifyAddressBody = { postalCode: form.address.postalCode.trim() };
  if (addressGiven) {
    const addressProblems: Partial<Record<keyof AddressForm, AddressProblem>> = {};
    if (address.postalCode === '') addressProblems.postalCode = 'postalCodeRequired';
    else if (!/^[0-9]{5}$/.test(address.postalCode)) addressProblems.postalCode = 'postalCode';
    for (const field of ['line1', 'district', 'province', 'phone'] as const) {
      const value = clean(form.address[field]);
      if (value === '') continue;
      if (value.length > ADDRESS_LIMITS[field]) addressProblems[field] = 'tooLong';
      else address[field] = value;
    }
    if (Object.keys(addressProblems).length > 0) problems.address = addressProblems;
  }

  const reason = clean(form.reason);
  if (reason === '') problems.reason = 'required';
  else if (reason.length > MAX_MODIFY_REASON_LENGTH) problems.reason = 'tooLong';

  if (Object.keys(problems).length === 0 && !linesChanged && !addressGiven) problems.nothing = true;
  if (Object.keys(problems).length > 0) return { problems };
  return { body: { reason, ...(linesChanged ? { lines: kept } : {}), ...(addressGiven ? { address } : {}) } };
}

/** Refusals another try will not change: the dialog offers only Close. */
export const FINAL_MODIFY_CODES: readonly string[] = [
  'ORDER_LOCKED',
  'ORDER_ALREADY_CANCELLED',
  'ORDER_NOT_FOUND',
  'FORBIDDEN',
  'IDEMPOTENCY_KEY_REUSED',
];
