// Decimal money at 4 fraction digits (DECIMAL(18,4)), on a private bignumber.js constructor whose rounding is
// half-to-even, the retailer's financial standard. No value here ever passes through a JavaScript float.
//
// Products and sums of 4-digit amounts are exact in bignumber.js; rounding happens only where a caller asks
// for it (`round4`, `formatMoney`).
import BigNumber from 'bignumber.js';

const Dec = BigNumber.clone({
  ROUNDING_MODE: BigNumber.ROUND_HALF_EVEN,
  // Only division uses this; every caller rounds to 4 digits afterwards.
  DECIMAL_PLACES: 20,
  // toString never switches to exponent notation.
  EXPONENTIAL_AT: 1e9,
});

/** A decimal value from this module's constructor. */
export type Decimal = BigNumber;

export const ZERO: Decimal = new Dec(0);

/** Up to 14 integer digits and 4 fraction digits, optional leading minus: what DECIMAL(18,4) can hold. */
const MONEY = /^-?[0-9]{1,14}(?:\.[0-9]{1,4})?$/;
/** Any plain decimal, for intermediate values (no exponent, no hex, no spaces). */
const PLAIN_DECIMAL = /^-?[0-9]+(?:\.[0-9]+)?$/;

export class MoneyFormatError extends RangeError {
  override readonly name = 'MoneyFormatError';
}

/** True when `value` is a money string: at most 14 integer and 4 fraction digits, no exponent, no spaces. */
export const isMoney = (value: unknown): value is string => typeof value === 'string' && MONEY.test(value);

/** The decimal value of a money string, or undefined when it is not one (see `isMoney`). */
export const tryParseMoney = (value: unknown): Decimal | undefined => (isMoney(value) ? new Dec(value) : undefined);

/** The decimal value of a money string; throws MoneyFormatError naming the value when it is not one. */
export function parseMoney(value: string): Decimal {
  if (!isMoney(value)) {
    throw new MoneyFormatError(`not a money amount (at most 4 decimals, no exponent): ${JSON.stringify(value)}`);
  }
  return new Dec(value);
}

/**
 * A decimal of any precision from a plain decimal string ("0.00015") or a safe integer (a quantity). For
 * intermediate values and tests; records go through `parseMoney`.
 */
export function decimal(value: string | number): Decimal {
  if (typeof value === 'number' ? !Number.isSafeInteger(value) : !PLAIN_DECIMAL.test(value)) {
    throw new MoneyFormatError(`not a plain decimal or safe integer: ${JSON.stringify(value)}`);
  }
  return new Dec(value);
}

/** Rounds to 4 fraction digits, half to even: 0.00005 → 0.0000, 0.00015 → 0.0002. */
export const round4 = (value: Decimal): Decimal => value.decimalPlaces(4, BigNumber.ROUND_HALF_EVEN);

/** The money string of a value with exactly 4 fraction digits ("123.4500"), rounded half to even; never "-0.0000". */
export function formatMoney(value: Decimal): string {
  const rounded = round4(value);
  return rounded.isZero() ? '0.0000' : rounded.toFixed(4);
}

/** Exact sum; ZERO for none. */
export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
}

/** Reformats a money string to exactly 4 digits ("35.5" → "35.5000"); throws MoneyFormatError when it is not money. */
export const normaliseMoney = (value: string): string => formatMoney(parseMoney(value));
