/**
 * Why an order was refused after it was received: the checks that run once the order is open cancel it (1000 or
 * 2000 → 9000) with the refusing code as the history entry's reason, and never send it to the warehouse:
 *   - `pay`, the cash-on-delivery rules (contract §7): COD_AMOUNT_OUT_OF_RANGE, COD_AREA_NOT_SERVED,
 *     COD_CUSTOMER_INELIGIBLE, on the order as received or as a change left it;
 *   - `calculate`, pricing (§5): DISCOUNT_EXCEEDS_SUBTOTAL.
 * The order lookup's history already carries this, from the replica and from Postgres alike, so the app reads it
 * there. The history keeps the first code only (the reason of the cancellation): the others the same check found
 * are on `order.validation.v1` and its table. An order refused before it was opened (Rules A–G) has no state and no
 * lookup: it is not found, and the order detail says so.
 */
import type { ErrorCode } from '../../../processors/domain/types.js';

/** The codes the store has words for, with what to do about each (detail-i18n.ts). */
export const REFUSAL_CODES = [
  'COD_AMOUNT_OUT_OF_RANGE',
  'COD_AREA_NOT_SERVED',
  'COD_CUSTOMER_INELIGIBLE',
  'DISCOUNT_EXCEEDS_SUBTOTAL',
] as const satisfies readonly ErrorCode[];
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** The stages that cancel an order they refuse, with the code as the reason. */
const REFUSING_SOURCES: readonly string[] = ['pay', 'calculate'];
const CANCELLED = 9000;
/** A code as the pipeline writes it ("COD_AREA_NOT_SERVED"); a person's cancel reads "CANCELLED: …". */
const CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

export interface RefusalEntry {
  from: number | null;
  to: number;
  reason: string | null;
  source: string;
  at: string;
}

export interface Refusal {
  code: string;
  /** The code when the app has words for it; undefined for another one (then it is shown as it is). */
  known: RefusalCode | undefined;
  /** When the order was refused and cancelled. */
  at: string;
}

/** The refusals in an order's history, oldest first; none for an order a person cancelled or that was not refused. */
export function refusalsOf(history: readonly RefusalEntry[]): Refusal[] {
  return history
    .filter(
      (entry) =>
        entry.to === CANCELLED &&
        entry.from !== CANCELLED &&
        REFUSING_SOURCES.includes(entry.source) &&
        entry.reason !== null &&
        CODE.test(entry.reason),
    )
    .map((entry) => {
      const code = entry.reason!;
      return { code, known: REFUSAL_CODES.find((known) => known === code), at: entry.at };
    });
}
