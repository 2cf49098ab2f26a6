import t from 'tap';
import { amountPrefill, amountProblem } from '../../../web/src/logic/money.js';

t.test('typed money: what the API takes, on the digits', async (t) => {
  t.equal(amountProblem('245.50'), undefined);
  t.equal(amountProblem(' 245.5 '), undefined, 'spaces around are not part of the amount');
  t.equal(amountProblem('0'), undefined, 'zero is a price');
  t.equal(amountProblem('0.0001'), undefined);
  t.equal(amountProblem('12345678901234.9999'), undefined, '14 whole digits, beyond a double');
  t.equal(amountProblem(''), 'required');
  t.equal(amountProblem('   '), 'required');
  for (const text of ['1,000', '1.', '.5', '-5', '1e3', '฿20', '12.3.4', '٣'])
    t.equal(amountProblem(text), 'format', `${JSON.stringify(text)} is not written as the API takes it`);
  t.equal(amountProblem('12.34567'), 'decimals');
  t.equal(amountProblem('123456789012345'), 'tooLarge');
});

t.test('a cash amount: above zero, no leading zeros', async (t) => {
  const cash = { positive: true, noLeadingZeros: true };
  t.equal(amountProblem('0.50', cash), undefined);
  t.equal(amountProblem('90.6', cash), undefined);
  t.equal(amountProblem('0', cash), 'zero');
  t.equal(amountProblem('0.0000', cash), 'zero');
  t.equal(amountProblem('01.50', cash), 'format');
  t.equal(amountProblem('01.50'), undefined, 'a price may have them');
});

t.test('the prefill: two decimals when exact, else every digit that matters', async (t) => {
  t.equal(amountPrefill('245.5000'), '245.50');
  t.equal(amountPrefill('245.0000'), '245.00');
  t.equal(amountPrefill('245.4550'), '245.455', 'never rounded: accepting it must match the total');
  t.equal(amountPrefill('245.4551'), '245.4551');
  t.equal(amountPrefill('0.0000'), '0.00');
  t.equal(amountPrefill(null), '');
  t.equal(amountPrefill('n/a'), '');
});
