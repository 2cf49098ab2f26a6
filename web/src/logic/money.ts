/**
 * Money on screen. The API sends amounts as exact decimal strings with four decimals ("123.4550"); the app shows
 * two, rounded half away from zero ("123.46", "-1.01" for "-1.0050"), and the exact four on demand. All of it is
 * done on the digits: a float never touches an amount.
 */

const MONEY = /^(-)?(\d+)(?:\.(\d+))?$/;

interface Parts {
  negative: boolean;
  whole: string;
  fraction: string;
}

function parts(value: string): Parts | undefined {
  const match = MONEY.exec(value.trim());
  if (!match) return undefined;
  return { negative: match[1] === '-', whole: match[2]!.replace(/^0+(?=\d)/, ''), fraction: match[3] ?? '' };
}

/** Adds one to a string of digits ("199" → "200", "9" → "10"). */
function increment(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== '9') {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
    out[i] = '0';
  }
  return `1${out.join('')}`;
}

/** `value` rounded to `decimals` places, half away from zero: "123.4550" → "123.46". Undefined when it is not a decimal. */
export function roundDecimal(value: string, decimals: number): string | undefined {
  const p = parts(value);
  if (!p) return undefined;
  const padded = p.fraction.padEnd(decimals + 1, '0');
  let digits = p.whole + padded.slice(0, decimals);
  const roundUp = Number(padded[decimals]) >= 5;
  if (roundUp) digits = increment(digits);
  const whole = (digits.slice(0, digits.length - decimals) || '0').replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(digits.length - decimals);
  const zero = /^0*$/.test(whole + fraction);
  return `${p.negative && !zero ? '-' : ''}${whole}${decimals > 0 ? `.${fraction}` : ''}`;
}

/** "1234567.5" → "1,234,567.5": thousands separators on the whole part. */
export function groupThousands(value: string): string {
  const match = /^(-?)(\d+)(.*)$/.exec(value);
  if (!match) return value;
  return `${match[1]}${match[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${match[3]}`;
}

/**
 * An amount for display: "฿1,234.57" from "1234.5650" (two decimals), or "฿1,234.5650" with `exact`.
 * Text that is not an amount is returned as it is, so a surprise from the server shows rather than vanishes.
 */
export function formatBaht(value: string, exact = false): string {
  const p = parts(value);
  if (!p) return value;
  const fixed = exact ? `${p.negative ? '-' : ''}${p.whole}.${p.fraction.padEnd(4, '0')}` : roundDecimal(value, 2)!;
  const grouped = groupThousands(fixed.replace(/^-/, ''));
  return `${fixed.startsWith('-') ? '-' : ''}฿${grouped}`;
}

/** True for a value that is not zero once rounded to two decimals ("0.0049" is zero on screen). */
export function isNonZero(value: string): boolean {
  const rounded = roundDecimal(value, 2);
  return rounded !== undefined && !/^-?0\.00$/.test(rounded);
}

/** Why typed money is not an amount the API takes; undefined when it is. */
export type AmountProblem = 'required' | 'format' | 'decimals' | 'tooLarge' | 'zero';

export interface AmountRules {
  /** Above zero (a cash confirmation); else zero is allowed (a price, an amount off). */
  positive?: boolean;
  /** "01.50" refused, as the COD confirmation's pattern refuses it. */
  noLeadingZeros?: boolean;
}

/**
 * Checks money as typed, on the digits: digits with an optional dot and 1–4 decimals, at most 14 whole digits
 * ("1,000", "1.", "-5", "1e3" are refused). What passes is sent as it was typed (trimmed): the service stores it
 * with four decimals.
 */
export function amountProblem(text: string, rules: AmountRules = {}): AmountProblem | undefined {
  const value = text.trim();
  if (value === '') return 'required';
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return 'format';
  const whole = match[1]!;
  if (rules.noLeadingZeros && /^0\d/.test(whole)) return 'format';
  if (whole.length > 14) return 'tooLarge';
  if ((match[2] ?? '').length > 4) return 'decimals';
  if (rules.positive && !/[1-9]/.test(value)) return 'zero';
  return undefined;
}

/**
 * An amount (4-decimal string from the API) to prefill a field with: two decimals when that is exact
 * ("123.4500" → "123.45"), else the exact digits without trailing zeros ("123.4550" → "123.455"), so that
 * accepting the prefill never differs from the amount by a fraction of a satang.
 */
export function amountPrefill(value: string | null | undefined): string {
  if (!value) return '';
  const p = parts(value);
  if (!p) return '';
  const fraction = p.fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${p.negative ? '-' : ''}${p.whole}.${fraction}`;
}
