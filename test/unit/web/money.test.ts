import t from 'tap';
import { formatBaht, groupThousands, isNonZero, roundDecimal } from '../../../web/src/logic/money.js';

t.test('two decimals, half away from zero, on the digits', async (t) => {
  t.equal(roundDecimal('123.4500', 2), '123.45');
  t.equal(roundDecimal('123.4550', 2), '123.46');
  t.equal(roundDecimal('123.4549', 2), '123.45');
  t.equal(roundDecimal('0.0050', 2), '0.01');
  t.equal(roundDecimal('0.0049', 2), '0.00');
  t.equal(roundDecimal('9.9950', 2), '10.00', 'the carry runs into the whole part');
  t.equal(roundDecimal('999999.9999', 2), '1000000.00');
  t.equal(roundDecimal('-1.0050', 2), '-1.01', 'away from zero for a negative amount');
  t.equal(roundDecimal('-0.0040', 2), '0.00', 'no negative zero');
  t.equal(roundDecimal('12', 2), '12.00');
  t.equal(roundDecimal('007.5', 2), '7.50');
  t.equal(roundDecimal('12345678901234.9999', 2), '12345678901235.00', 'beyond what a double holds exactly');
  t.equal(roundDecimal('1.2.3', 2), undefined);
  t.equal(roundDecimal('', 2), undefined);
});

t.test('baht with thousands separators; the exact four decimals on demand', async (t) => {
  t.equal(formatBaht('123.4500'), '฿123.45');
  t.equal(formatBaht('1234567.8950'), '฿1,234,567.90');
  t.equal(formatBaht('1234567.8950', true), '฿1,234,567.8950');
  t.equal(formatBaht('-35.5000'), '-฿35.50');
  t.equal(formatBaht('-35.5000', true), '-฿35.5000');
  t.equal(formatBaht('0.0000'), '฿0.00');
  t.equal(formatBaht('n/a'), 'n/a', 'not an amount: shown as sent');
  t.equal(groupThousands('1000'), '1,000');
  t.equal(groupThousands('999.9999'), '999.9999');
});

t.test('non-zero as shown', async (t) => {
  t.equal(isNonZero('0.0000'), false);
  t.equal(isNonZero('0.0049'), false);
  t.equal(isNonZero('0.0050'), true);
  t.equal(isNonZero('-12.0000'), true);
});
