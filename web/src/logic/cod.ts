/**
 * "Confirm cash collected" (POST /orders/:id/cod/confirm): who is offered it, for which orders, what the dialog
 * checks before sending, and which refusals are final. The service decides (query-service/cod-routes.ts); this
 * only keeps the button off orders it would refuse anyway and says why a form cannot be sent yet.
 */
import { type AmountProblem, amountPrefill, amountProblem } from './money.js';

/** Order statuses at which the store may confirm cash: 7400 Delivery failed, 7500 Delivered. */
export const CASH_STATUSES: readonly number[] = [7400, 7500];
/** Payment statuses after which there is nothing to confirm. */
export const CASH_DONE: readonly string[] = ['Collected', 'Reconciled'];
/** "COD accepted": the payment status of a COD order not yet paid. */
export const COD_ACCEPTED = '5000';

export const MAX_REFERENCE_LENGTH = 100;
export const MAX_NOTE_LENGTH = 200;

/** Refusals another try will not change: the dialog offers only Close. */
export const FINAL_CASH_CODES: readonly string[] = [
  'NOT_DELIVERED_YET',
  'COD_ALREADY_CONFIRMED',
  'NOT_COD',
  'NO_CARRIER',
  'ORDER_NOT_FOUND',
  'FORBIDDEN',
  'IDEMPOTENCY_KEY_REUSED',
];

/** Store staff and managers at their own stores, admins everywhere (a coordinator reads only). */
export function canConfirmCashAt(claims: { roles: readonly string[]; stores: readonly string[] }, store: string): boolean {
  if (claims.roles.includes('admin')) return true;
  return claims.roles.some((role) => role === 'store_staff' || role === 'store_manager') && claims.stores.includes(store);
}

export interface CashCandidate {
  status: number;
  /** Absent when the answer does not carry it (a search row): then a COD-accepted payment status says COD. */
  paymentMethod?: string | null;
  paymentStatus: string | null;
}

/** The order is COD, delivered or failed delivery, and its cash not yet Collected or Reconciled. */
export function awaitsCash(order: CashCandidate): boolean {
  if (!CASH_STATUSES.includes(order.status)) return false;
  if (order.paymentStatus !== null && CASH_DONE.includes(order.paymentStatus)) return false;
  if (order.paymentMethod === undefined) return order.paymentStatus === COD_ACCEPTED;
  return order.paymentMethod === 'COD';
}

/** The amount field's first value: the order total, two decimals unless that would not be exact. */
export const cashPrefill = (orderTotal: string | null | undefined): string => amountPrefill(orderTotal);

export interface CashForm {
  amount: string;
  reference: string;
  note: string;
}

export interface CashBody {
  amount: string;
  reference: string;
  note?: string;
}

export type ReferenceProblem = 'required' | 'tooLong';

export interface CashProblems {
  amount?: AmountProblem;
  reference?: ReferenceProblem;
  note?: 'tooLong';
}

/** The body to send, or what is wrong. The amount goes as typed (trimmed): > 0, at most 4 decimals. */
export function cashRequest(form: CashForm): { body: CashBody; problems?: undefined } | { body?: undefined; problems: CashProblems } {
  const problems: CashProblems = {};
  const amount = amountProblem(form.amount, { positive: true, noLeadingZeros: true });
  if (amount) problems.amount = amount;
  const reference = form.reference.trim();
  if (reference === '') problems.reference = 'required';
  else if (reference.length > MAX_REFERENCE_LENGTH) problems.reference = 'tooLong';
  const note = form.note.trim();
  if (note.length > MAX_NOTE_LENGTH) problems.note = 'tooLong';
  if (Object.keys(problems).length > 0) return { problems };
  return { body: { amount: form.amount.trim(), reference, ...(note ? { note } : {}) } };
}
