import fc from 'fast-check';
import t from 'tap';
import {
  decimal,
  formatMoney,
  isMoney,
  MoneyFormatError,
  normaliseMoney,
  parseMoney,
  round4,
  sum,
  tryParseMoney,
  ZERO,
} from '../../../processors/domain/money.js';

t.test('parseMoney accepts up to 4 fraction digits and keeps the exact value', async (t) => {
  t.equal(formatMoney(parseMoney('35.5')), '35.5000');
  t.equal(formatMoney(parseMoney('0')), '0.0000');
  t.equal(formatMoney(parseMoney('0.0001')), '0.0001');
  t.equal(formatMoney(parseMoney('-5.0000')), '-5.0000');
  t.equal(formatMoney(parseMoney('99999999999999.9999')), '99999999999999.9999', 'DECIMAL(18,4) maximum');
});

t.test('parseMoney rejects 5 decimals, exponents, NaN, empty, spaces, hex, signs and over-long integers', async (t) => {
  const bad = ['1.00005', '0.00001', '1e5', '1E-4', 'NaN', 'Infinity', '', ' 1', '1 ', '0x10', '+1', '1.', '.5', '1,5', '100000000000000'];
  for (const text of bad) {
    t.throws(() => parseMoney(text), MoneyFormatError, JSON.stringify(text));
    t.equal(tryParseMoney(text), undefined, JSON.stringify(text));
    t.notOk(isMoney(text), JSON.stringify(text));
  }
});

t.test('the parse error names the bad value', async (t) => {
  t.throws(() => parseMoney('12.34567'), /"12\.34567"/);
});

t.test('tryParseMoney and isMoney refuse non-strings, floats included', async (t) => {
  for (const value of [35.5, 1, null, undefined, {}, ['1'], true]) {
    t.equal(tryParseMoney(value), undefined, String(value));
    t.notOk(isMoney(value), String(value));
  }
});

t.test('round4 is half to even (banker’s rounding)', async (t) => {
  const cases: Array<[string, string]> = [
    ['0.00005', '0.0000'],
    ['0.00015', '0.0002'],
    ['0.00025', '0.0002'],
    ['0.00035', '0.0004'],
    ['0.000050001', '0.0001'],
    ['1.23444999', '1.2344'],
    ['-0.00015', '-0.0002'],
    ['2.5', '2.5000'],
  ];
  for (const [input, expected] of cases) t.equal(round4(decimal(input)).toFixed(4), expected, input);
});

t.test('formatMoney always gives exactly 4 digits, rounds half to even and never prints -0.0000', async (t) => {
  t.equal(formatMoney(decimal('123.45')), '123.4500');
  t.equal(formatMoney(decimal('0.00005')), '0.0000');
  t.equal(formatMoney(decimal('-0.00004')), '0.0000');
  t.equal(formatMoney(decimal('1000000')), '1000000.0000', 'no exponent');
  t.equal(normaliseMoney('7'), '7.0000');
});

t.test('decimal refuses floats and exponent strings', async (t) => {
  t.throws(() => decimal(0.1), MoneyFormatError);
  t.throws(() => decimal('1e3'), MoneyFormatError);
  t.equal(decimal(3).toFixed(), '3');
});

t.test('sum is exact where floats are not', async (t) => {
  t.equal(formatMoney(sum([parseMoney('0.1'), parseMoney('0.2')])), '0.3000');
  t.equal(sum([]), ZERO);
  t.equal(formatMoney(sum(Array.from({ length: 10_000 }, () => parseMoney('0.0001')))), '1.0000');
});

t.test('property: formatted money parses back to the same value', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), (units) => {
      const negative = units < 0n;
      const digits = (negative ? -units : units).toString().padStart(5, '0');
      const text = `${negative ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`;
      const formatted = formatMoney(parseMoney(text));
      return units === 0n ? formatted === '0.0000' : formatted === text.replace(/^(-?)0+(?=\d)/, '$1');
    }),
  );
  t.pass('held for all generated amounts');
});
