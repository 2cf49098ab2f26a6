/**
 * A bundle group's prices on the order detail: its list price (what its lines cost at their own prices, the sum of
 * the line amounts, Cal A) and its bundle price (what the group costs once its discounts are taken off). The
 * difference is what the customer saves by buying the items together.
 *
 * The lookup gives each line one discount, its share of the bundle discount plus any discount of its own
 * (contract §5), so the bundle price is after both; a line's own discount is rare, and the detail shows it on the
 * line. Both prices are before tax, as the unit prices are. Worked out on the digits (BigInt on ten-thousandths):
 * a float never touches an amount.
 */

export interface PricedGroupLine {
  /** UnitPrice × Quantity, 4 decimals ("71.0000"). */
  lineAmount: string;
  /** The line's discount, 4 decimals. */
  lineDiscount: string;
}

export interface GroupPrice {
  listPrice: string;
  bundlePrice: string;
  /** listPrice − bundlePrice: what the bundle takes off. */
  saving: string;
}

const AMOUNT = /^(-?)(\d+)\.(\d{4})$/;

/** An amount of the API (4 decimals) in ten-thousandths; undefined for anything else. */
function scaled(value: string): bigint | undefined {
  const match = AMOUNT.exec(value);
  return match ? BigInt(`${match[1]}${match[2]}${match[3]}`) : undefined;
}

/** Ten-thousandths as the API writes an amount: "-1.0500", never "-0.0000". */
function amount(tenThousandths: bigint): string {
  const negative = tenThousandths < 0n;
  const digits = (negative ? -tenThousandths : tenThousandths).toString().padStart(5, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

/** The group's prices, or undefined when it has no lines or an amount is not one (then nothing is shown, not a wrong sum). */
export function groupPrice(lines: readonly PricedGroupLine[]): GroupPrice | undefined {
  if (lines.length === 0) return undefined;
  let list = 0n;
  let discount = 0n;
  for (const line of lines) {
    const lineAmount = scaled(line.lineAmount);
    const lineDiscount = scaled(line.lineDiscount);
    if (lineAmount === undefined || lineDiscount === undefined) return undefined;
    list += lineAmount;
    discount += lineDiscount;
  }
  return { listPrice: amount(list), bundlePrice: amount(list - discount), saving: amount(discount) };
}
