/**
 * The payment statuses the search filters by: the ones an order can hold (contract §4), in the order a COD order
 * goes through them, then the ones that end it badly. The codes are the service's (`SearchPaymentStatus`); one
 * added there and not placed here fails the type check below.
 */
import type { SearchPaymentStatus } from '../api-types.js';

export const SEARCH_PAYMENT_STATUSES = [
  '5000',
  'Collected',
  'Reconciled',
  'Failed',
  'Reversed',
] as const satisfies readonly SearchPaymentStatus[];

/** Every payment status the search takes is listed above: `true` only when none is missing. */
type Missing = Exclude<SearchPaymentStatus, (typeof SEARCH_PAYMENT_STATUSES)[number]>;
export const SEARCH_PAYMENT_STATUSES_COMPLETE: [Missing] extends [never] ? true : never = true;

/**
 * The payment status filter of a search address (`#/search?paymentStatus=…`), or '' for any. A value the service
 * would refuse (an old bookmark, a typo) is dropped, so the list shows instead of an error.
 */
export function paymentStatusFilter(value: string | null | undefined): SearchPaymentStatus | '' {
  return SEARCH_PAYMENT_STATUSES.find((status) => status === value) ?? '';
}
