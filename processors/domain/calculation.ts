// Section 5, Cal A–F, for an order that passed `validateOrder` and whose bundle discount shares are known
// (`applyBundles`). Every amount is exact at 4 fraction digits; the only rounding is the line tax, half to even.
// Money fields that are not money throw MoneyFormatError: validate first.
//
//   line amount   = UnitPrice × Quantity                                  (exact)
//   line discount = Σ line Discounts + the line's bundle share
//   line tax      = round4((line amount − line discount) × TaxRate)
//   Cal A SubTotal           = Σ line amount
//   Cal D TotalDiscount      = Σ line discount   (DISCOUNT_EXCEEDS_SUBTOTAL when > SubTotal)
//   Cal E TotalTaxes         = Σ line tax
//   Cal F InformationalTaxes = Σ line InformationalTaxes[].Amount  (reported, never charged)
//   Cal B TotalCharges       = Σ order Charges                       (never prorated onto lines)
//   Cal C OrderTotal         = SubTotal − TotalDiscount + TotalTaxes + TotalCharges
//
// A line whose own discounts exceed its amount is not an error here (the contract only bounds the order's
// TotalDiscount); its taxable base is negative and so is its tax.
import { type Decimal, formatMoney, parseMoney, round4, ZERO } from './money.js';
import type { AmountEntry, Money, OrderCreate, OrderLine, OrderTotals, ValidationError } from './types.js';
import { ErrorCode } from './types.js';

/** What the calculation reads of an order. */
export type CalculationInput = Pick<OrderCreate, 'OrderLines' | 'Charges'>;

/** A line's part of bundle discounts, as `applyBundles` gives it (only the fields read here). */
export interface BundleShareInput {
  LineID: string;
  BundleDiscount: Money;
  BundleGroupID: string | null;
}

export interface LineCalculation {
  LineID: string;
  LineAmount: Money;
  /** Its own Discounts plus its bundle share. */
  LineDiscount: Money;
  LineTax: Money;
  BundleGroupID: string | null;
}

export interface OrderCalculation extends OrderTotals {
  /** In the order's line order. */
  Lines: LineCalculation[];
  /** DISCOUNT_EXCEEDS_SUBTOTAL, or empty. The totals are filled in either way. */
  Errors: ValidationError[];
}

/** Σ Amount of `{Type, Amount}` entries; absent or null is none. */
export function sumAmounts(entries: readonly AmountEntry[] | null | undefined): Decimal {
  let total = ZERO;
  if (entries) for (const entry of entries) total = total.plus(parseMoney(entry.Amount));
  return total;
}

/** UnitPrice × Quantity, exact. */
export const lineAmount = (line: Pick<OrderLine, 'UnitPrice' | 'Quantity'>): Decimal => parseMoney(line.UnitPrice).times(line.Quantity);

/** round4((amount − discount) × TaxRate), half to even. */
export const lineTax = (amount: Decimal, discount: Decimal, taxRate: string): Decimal =>
  round4(amount.minus(discount).times(parseMoney(taxRate)));

/** Cal A–F over the order's lines and charges. `shares` holds one entry per line in a bundle (any order). */
export function calculateOrder(order: CalculationInput, shares: readonly BundleShareInput[] = []): OrderCalculation {
  const shareByLine = new Map<string, BundleShareInput>();
  for (const share of shares) shareByLine.set(share.LineID, share);

  let subTotal = ZERO;
  let totalDiscount = ZERO;
  let totalTaxes = ZERO;
  let informationalTaxes = ZERO;
  const lines: LineCalculation[] = new Array(order.OrderLines.length);
  for (let i = 0; i < order.OrderLines.length; i++) {
    const line = order.OrderLines[i]!;
    const share = shareByLine.get(line.LineID);
    if (share) shareByLine.delete(line.LineID);
    const amount = lineAmount(line);
    const discount = share ? sumAmounts(line.Discounts).plus(parseMoney(share.BundleDiscount)) : sumAmounts(line.Discounts);
    const tax = lineTax(amount, discount, line.TaxRate);
    subTotal = subTotal.plus(amount);
    totalDiscount = totalDiscount.plus(discount);
    totalTaxes = totalTaxes.plus(tax);
    informationalTaxes = informationalTaxes.plus(sumAmounts(line.InformationalTaxes));
    lines[i] = {
      LineID: line.LineID,
      LineAmount: formatMoney(amount),
      LineDiscount: formatMoney(discount),
      LineTax: formatMoney(tax),
      BundleGroupID: share?.BundleGroupID ?? null,
    };
  }
  if (shareByLine.size > 0) {
    throw new RangeError(`bundle shares for lines the order does not have: ${[...shareByLine.keys()].join(', ')}`);
  }

  const totalCharges = sumAmounts(order.Charges);
  const orderTotal = subTotal.minus(totalDiscount).plus(totalTaxes).plus(totalCharges);
  const errors: ValidationError[] = [];
  if (totalDiscount.isGreaterThan(subTotal)) {
    errors.push({
      Rule: '—',
      Code: ErrorCode.DiscountExceedsSubtotal,
      Field: 'TotalDiscount',
      Message: `TotalDiscount ${formatMoney(totalDiscount)} exceeds SubTotal ${formatMoney(subTotal)}`,
    });
  }
  return {
    SubTotal: formatMoney(subTotal),
    TotalDiscount: formatMoney(totalDiscount),
    TotalTaxes: formatMoney(totalTaxes),
    InformationalTaxes: formatMoney(informationalTaxes),
    TotalCharges: formatMoney(totalCharges),
    OrderTotal: formatMoney(orderTotal),
    Lines: lines,
    Errors: errors,
  };
}
