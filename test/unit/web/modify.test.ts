import t from 'tap';
import { DEFAULT_TAX_RATE, EMPTY_ADDRESS, modifyRequest, parseQuantity } from '../../../web/src/logic/modify.js';

const lines = [
  { lineId: '1', itemId: 'ITEM-A', quantity: 2, unitPrice: '35.0000' },
  { lineId: '2', itemId: 'ITEM-B', quantity: 1, unitPrice: '12.5000' },
];
const form = (over: Partial<Parameters<typeof modifyRequest>[1]> = {}) => ({
  quantities: {},
  address: EMPTY_ADDRESS,
  reason: 'Customer called',
  ...over,
});

t.test('quantities typed', async (t) => {
  t.same(parseQuantity(' 3 '), { quantity: 3 });
  t.same(parseQuantity('0'), { quantity: 0 });
  t.same(parseQuantity(''), { problem: 'format' });
  t.same(parseQuantity('1.5'), { problem: 'format' });
  t.same(parseQuantity('-1'), { problem: 'format' });
  t.same(parseQuantity('10001'), { problem: 'tooLarge' });
  t.same(parseQuantity('10000'), { quantity: 10_000 });
});

t.test('a changed quantity sends every remaining line, with Thai VAT', async (t) => {
  const request = modifyRequest(lines, form({ quantities: { '1': '3' } }));
  t.same(request.body, {
    reason: 'Customer called',
    lines: [
      { lineId: '1', itemId: 'ITEM-A', quantity: 3, unitPrice: '35.0000', taxRate: DEFAULT_TAX_RATE },
      { lineId: '2', itemId: 'ITEM-B', quantity: 1, unitPrice: '12.5000', taxRate: '0.0700' },
    ],
  });
});

t.test('0 removes a line; at least one must remain', async (t) => {
  t.same(
    modifyRequest(lines, form({ quantities: { '2': '0' } })).body?.lines?.map((line) => line.lineId),
    ['1'],
  );
  t.same(modifyRequest(lines, form({ quantities: { '1': '0', '2': '0' } })).problems, { noLines: true });
});

t.test('bad quantities are named per line', async (t) => {
  t.same(modifyRequest(lines, form({ quantities: { '1': 'x', '2': '20000' } })).problems, {
    quantities: { '1': 'format', '2': 'tooLarge' },
  });
});

t.test('the address: postal code required, five digits; empty fields left out', async (t) => {
  const address = { ...EMPTY_ADDRESS, line1: '  12  Sukhumvit Rd ', postalCode: '10110' };
  t.same(modifyRequest(lines, form({ address })).body, {
    reason: 'Customer called',
    address: { postalCode: '10110', line1: '12 Sukhumvit Rd' },
  });
  t.same(modifyRequest(lines, form({ address: { ...address, postalCode: '' } })).problems, {
    address: { postalCode: 'postalCodeRequired' },
  });
  t.same(modifyRequest(lines, form({ address: { ...address, postalCode: '1011' } })).problems, { address: { postalCode: 'postalCode' } });
  t.same(modifyRequest(lines, form({ address: { ...address, phone: '9'.repeat(31) } })).problems, { address: { phone: 'tooLong' } });
});

t.test('a reason is required, and something must change', async (t) => {
  t.same(modifyRequest(lines, form({ quantities: { '1': '3' }, reason: '   ' })).problems, { reason: 'required' });
  t.same(modifyRequest(lines, form({ quantities: { '1': '3' }, reason: 'x'.repeat(201) })).problems, { reason: 'tooLong' });
  t.same(modifyRequest(lines, form()).problems, { nothing: true });
  t.same(modifyRequest(lines, form({ quantities: { '1': '2' } })).problems, { nothing: true }, 'the same quantity is no change');
});
