/**
 * Refunds of returned units: Cal A, D and E of each line run in reverse (docs/contract.md §5).
 *
 * A line of Q units was paid LineAmount − LineDiscount + LineTax (its bundle share is in LineDiscount). Returning r
 * of them, over any number of returns, is worth the cumulative shares
 *
 *   amount(r) = round4(LineAmount × r / Q)   discount(r) = round4(LineDiscount × r / Q)   tax(r) = round4(LineTax × r / Q)
 *
 * each rounded half to even, and a return of q more units after r refunds share(r + q) − share(r) of each. So:
 *
 * - however the units are split over returns, the refunds of a line add up to its cumulative share, never more;
 * - returning every unit refunds exactly what the line was paid (share(Q) is the line's own figure, unrounded);
 * - returning every line refunds SubTotal − TotalDiscount + TotalTaxes = OrderTotal − TotalCharges: the charges
 *   (the delivery fee, Cal B) are not refundable, and informational taxes (Cal F) were never charged.
 *
 * Pure: the returns stage and the API's checks (query-service/return-routes.ts) both call it.
 */
import type { PricedLine } from '../../avro/records.js';
import { type Decimal, formatMoney, parseMoney, round4, sum, ZERO } from './money.js';

export interface ReturnedUnits {
  readonly LineID: string;
  readonly Quantity: number;
}

export interface LineRefund {
  readonly LineID: string;
  readonly Quantity: number;
  /** Cal A's share of the units returned now. */
  readonly Amount: string;
  /** Cal D's share: the line's own discounts and its bundle share. */
  readonly Discount: string;
  /** Cal E's share. */
  readonly Tax: string;
  /** Amount − Discount + Tax. */
  readonly Refund: string;
}

export interface RefundCalculation {
  readonly Lines: LineRefund[];
  /** Σ the lines' refunds. */
  readonly Total: string;
}

/** Why a return cannot be taken as asked; the codes the API and the stage refuse with. */
export type ReturnRefusal =
  | { readonly Code: 'UNKNOWN_LINE'; readonly LineID: string }
  | { readonly Code: 'INVALID_QUANTITY'; readonly LineID: string }
  | { readonly Code: 'DUPLICATE_LINE'; readonly LineID: string }
  | { readonly Code: 'QUANTITY_EXCEEDS_SHIPPED'; readonly LineID: string; readonly Shipped: number; readonly Returnable: number };

/** Units of each line already returned (or asked back), by LineID. */
export type ReturnedSoFar = ReadonlyMap<string, number>;

/** The cumulative share of `value` for `units` of `of`, half to even. */
function share(value: Decimal, units: number, of: number): Decimal {
  if (units === of) return value; // all of it: the line's own figure, whatever the rounding of the parts
  return round4(value.times(units).div(of));
}

/** Every reason the requested units cannot be returned: lines the order does not have, quantities beyond what is left. */
export function returnRefusals(lines: readonly PricedLine[], requested: readonly ReturnedUnits[], soFar: ReturnedSoFar): ReturnRefusal[] {
  const byId = new Map(lines.map((line) => [line.LineID, line]));
  const seen = new Set<string>();
  const refusals: ReturnRefusal[] = [];
  for (const { LineID, Quantity } of requested) {
    const line = byId.get(LineID);
    if (seen.has(LineID)) refusals.push({ Code: 'DUPLICATE_LINE', LineID });
    else if (!line) refusals.push({ Code: 'UNKNOWN_LINE', LineID });
    else if (!Number.isInteger(Quantity) || Quantity < 1) refusals.push({ Code: 'INVALID_QUANTITY', LineID });
    else {
      const returnable = line.Quantity - (soFar.get(LineID) ?? 0);
      if (Quantity > returnable)
        refusals.push({ Code: 'QUANTITY_EXCEEDS_SHIPPED', LineID, Shipped: line.Quantity, Returnable: Math.max(0, returnable) });
    }
    seen.add(LineID);
  }
  return refusals;
}

/**
 * The refund of `requested` units, after `soFar` units of each line were returned before. The request must have
 * passed `returnRefusals`; throws RangeError otherwise (a defect of the caller, never a customer's input).
 */
export function refundFor(lines: readonly PricedLine[], requested: readonly ReturnedUnits[], soFar: ReturnedSoFar): RefundCalculation {
  const refusals = returnRefusals(lines, requested, soFar);
  if (refusals.length) throw new RangeError(`refund of a return that cannot be taken: ${JSON.stringify(refusals)}`);
  const byId = new Map(lines.map((line) => [line.LineID, line]));
  const refunds = requested.map(({ LineID, Quantity }) => {
    const line = byId.get(LineID)!;
    const before = soFar.get(LineID) ?? 0;
    const part = (value: string) => {
      const whole = parseMoney(value);
      return share(whole, before + Quantity, line.Quantity).minus(share(whole, before, line.Quantity));
    };
    const amount = part(line.LineAmount);
    const discount = part(line.LineDiscount);
    const tax = part(line.LineTax);
    return { LineID, Quantity, amount, discount, tax, refund: amount.minus(discount).plus(tax) };
  });
  return {
    Lines: refunds.map((r) => ({
      LineID: r.LineID,
      Quantity: r.Quantity,
      Amount: formatMoney(r.amount),
      Discount: formatMoney(r.discount),
      Tax: formatMoney(r.tax),
      Refund: formatMoney(r.refund),
    })),
    Total: formatMoney(sum(refunds.map((r) => r.refund))),
  };
}

/** What the order's lines were paid, charges left out: the most any set of returns can refund. */
export function refundableTotal(lines: readonly PricedLine[]): string {
  return formatMoney(
    lines.reduce(
      (total, line) => total.plus(parseMoney(line.LineAmount)).minus(parseMoney(line.LineDiscount)).plus(parseMoney(line.LineTax)),
      ZERO,
    ),
  );
}
