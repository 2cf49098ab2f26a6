// Shorts and substitutions reported by Slick after release (docs/contract.md §4, §5, §6), and the repricing they cause.
//
// Shorts
// - A line in a bundle group shorts whole, with every other line of its group (§6: a bundle instance is
//   allocated, released and shorted together), whatever Quantity the event gives.
// - A line outside any bundle loses the units shorted; when none are left (Quantity ≥ the line's) it is cancelled.
//   A partial short scales the line's own Discounts and InformationalTaxes to the units kept
//   (amount × kept / ordered, rounded half to even at 4 decimals): a promo given on 2 units is halved on 1.
// - Repricing re-runs Cal A–F on the remaining lines. Each remaining line keeps the bundle share it was priced
//   with (LineDiscount − its own Discounts): its group is intact, and the bundle table may have changed since
//   the order was created, so bundles are not detected again.
//
// Substitutions
// - Accepted only when the substitute's catalog UnitPrice is at most 20 % above the line's UnitPrice
//   (substitute ≤ original × 1.2, exact: exactly 20 % is accepted).
// - The customer pays the lower of the two prices (never more than ordered); the line takes the substitute's
//   ItemID, TaxRate, ShortDescription and ImageURL and keeps its own Discounts.
// - Refused, with the order unchanged for that line: an unknown substitute item, no SubstituteItemID, a line in a
//   bundle group (the bundle is priced as a whole), or a partial substitution (Quantity ≠ the line's Quantity).
import { calculateOrder, sumAmounts, type BundleShareInput, type CalculationInput, type OrderCalculation } from './calculation.js';
import { decimal, formatMoney, parseMoney } from './money.js';
import type { AmountEntry, Money, OrderLine, Product } from './types.js';

/** What repricing reads of a line as it was priced. */
export interface PricedLineRef {
  LineID: string;
  LineDiscount: Money;
  BundleGroupID: string | null;
}

/** One line of a short event: `Quantity` units of `LineID` are not available. */
export interface ShortRequest {
  LineID: string;
  Quantity: number;
}

export interface ShortedLine {
  LineID: string;
  ItemID: string;
  /** Units taken off the line (all of them when `Whole`). */
  Quantity: number;
  Whole: boolean;
  BundleGroupID: string | null;
}

export interface ShortOutcome {
  /** The order's lines after the short, in order; empty when every line was shorted. */
  OrderLines: OrderLine[];
  /** Lines and units taken off, in the order's line order. */
  Shorted: ShortedLine[];
  /** LineIDs the order does not have. */
  UnknownLineIDs: string[];
}

const scale = (entries: readonly AmountEntry[], kept: number, ordered: number): AmountEntry[] =>
  entries.map((entry) => ({ ...entry, Amount: formatMoney(parseMoney(entry.Amount).times(kept).div(ordered)) }));

/** Applies a short event's lines to an order's lines (pure; see the file comment). */
export function applyShorts(lines: readonly OrderLine[], priced: readonly PricedLineRef[], shorts: readonly ShortRequest[]): ShortOutcome {
  const groupOf = new Map(priced.map((line) => [line.LineID, line.BundleGroupID]));
  const present = new Set(lines.map((line) => line.LineID));
  const wholeGroups = new Set<string>();
  const units = new Map<string, number>();
  const unknown: string[] = [];
  for (const short of shorts) {
    if (!present.has(short.LineID)) {
      unknown.push(short.LineID);
      continue;
    }
    const group = groupOf.get(short.LineID) ?? null;
    if (group !== null) wholeGroups.add(group);
    else units.set(short.LineID, (units.get(short.LineID) ?? 0) + short.Quantity);
  }
  const kept: OrderLine[] = [];
  const shorted: ShortedLine[] = [];
  for (const line of lines) {
    const group = groupOf.get(line.LineID) ?? null;
    const short = units.get(line.LineID) ?? 0;
    if ((group !== null && wholeGroups.has(group)) || short >= line.Quantity) {
      shorted.push({ LineID: line.LineID, ItemID: line.ItemID, Quantity: line.Quantity, Whole: true, BundleGroupID: group });
    } else if (short > 0) {
      const left = line.Quantity - short;
      kept.push({
        ...line,
        Quantity: left,
        Discounts: scale(line.Discounts, left, line.Quantity),
        InformationalTaxes: scale(line.InformationalTaxes, left, line.Quantity),
      });
      shorted.push({ LineID: line.LineID, ItemID: line.ItemID, Quantity: short, Whole: false, BundleGroupID: null });
    } else {
      kept.push(line);
    }
  }
  return { OrderLines: kept, Shorted: shorted, UnknownLineIDs: unknown };
}

/** Each line's bundle share as it was priced: LineDiscount − Σ its own Discounts (exact), for lines in a group. */
export function bundleSharesOf(lines: readonly OrderLine[], priced: readonly PricedLineRef[]): BundleShareInput[] {
  const byId = new Map(priced.map((line) => [line.LineID, line]));
  const shares: BundleShareInput[] = [];
  for (const line of lines) {
    const was = byId.get(line.LineID);
    if (!was || was.BundleGroupID === null) continue;
    shares.push({
      LineID: line.LineID,
      BundleGroupID: was.BundleGroupID,
      BundleDiscount: formatMoney(parseMoney(was.LineDiscount).minus(sumAmounts(line.Discounts))),
    });
  }
  return shares;
}

/** Cal A–F over the order's (changed) lines, each keeping the bundle share it was priced with. */
export const repriceOrder = (order: CalculationInput, priced: readonly PricedLineRef[]): OrderCalculation =>
  calculateOrder(order, bundleSharesOf(order.OrderLines, priced));

/** How far above the original a substitute's unit price may be: 20 %. */
export const SUBSTITUTE_MAX_INCREASE_PERCENT = '20';

/** True when `substitutePrice` ≤ `originalPrice` × 1.2 (exact; exactly 20 % above is accepted). */
export function substitutePriceAccepted(originalPrice: Money, substitutePrice: Money): boolean {
  const limit = parseMoney(originalPrice)
    .times(decimal('100').plus(decimal(SUBSTITUTE_MAX_INCREASE_PERCENT)))
    .div(100);
  return parseMoney(substitutePrice).isLessThanOrEqualTo(limit);
}

export type SubstitutionRefusal =
  'SUBSTITUTE_UNKNOWN' | 'SUBSTITUTE_MISSING' | 'SUBSTITUTE_TOO_EXPENSIVE' | 'SUBSTITUTE_IN_BUNDLE' | 'SUBSTITUTION_PARTIAL';

export type SubstitutionDecision = { Accepted: true; Line: OrderLine } | { Accepted: false; Reason: SubstitutionRefusal; Message: string };

/** Whether `line` may be replaced by `request.SubstituteItemID` (catalog entry `product`), and the new line if so. */
export function decideSubstitution(
  line: OrderLine,
  bundleGroupId: string | null,
  request: { Quantity: number; SubstituteItemID?: string | null },
  product: Product | undefined,
): SubstitutionDecision {
  const item = request.SubstituteItemID;
  if (!item) return { Accepted: false, Reason: 'SUBSTITUTE_MISSING', Message: `line ${line.LineID}: no SubstituteItemID` };
  if (bundleGroupId !== null)
    return {
      Accepted: false,
      Reason: 'SUBSTITUTE_IN_BUNDLE',
      Message: `line ${line.LineID} is in bundle group ${bundleGroupId}; a bundle component is not substituted`,
    };
  if (request.Quantity !== line.Quantity) {
    return {
      Accepted: false,
      Reason: 'SUBSTITUTION_PARTIAL',
      Message: `line ${line.LineID}: ${request.Quantity} of ${line.Quantity} units; only a whole line is substituted`,
    };
  }
  if (!product)
    return { Accepted: false, Reason: 'SUBSTITUTE_UNKNOWN', Message: `line ${line.LineID}: substitute ${item} is not in the catalog` };
  if (!substitutePriceAccepted(line.UnitPrice, product.UnitPrice)) {
    return {
      Accepted: false,
      Reason: 'SUBSTITUTE_TOO_EXPENSIVE',
      Message: `line ${line.LineID}: substitute ${item} at ${product.UnitPrice} is more than ${SUBSTITUTE_MAX_INCREASE_PERCENT} % above ${line.ItemID} at ${line.UnitPrice}`,
    };
  }
  const original = parseMoney(line.UnitPrice);
  const substitute = parseMoney(product.UnitPrice);
  return {
    Accepted: true,
    Line: {
      ...line,
      ItemID: item,
      UnitPrice: formatMoney(substitute.isLessThan(original) ? substitute : original),
      TaxRate: product.TaxRate,
      ShortDescription: product.ShortDescription,
      ImageURL: product.ImageURL,
    },
  };
}
