import t from 'tap';
import { addressForm, EMPTY_ADDRESS, isMaskedPhone, linesChangeable, modifyRequest, parseQuantity } from '../../../web/src/logic/modify.js';

// The rates as the order view gives them: a tax-free line next to a 7 % one.
const lines = [
  { lineId: '1', itemId: 'ITEM-A', quantity: 2, unitPrice: '35.0000', taxRate: '0.0000' },
  { lineId: '2', itemId: 'ITEM-B', quantity: 1, unitPrice: '12.5000', taxRate: '0.0700' },
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

t.test('a changed quantity sends every remaining line, each with its own tax rate', async (t) => {
  const request = modifyRequest(lines, form({ quantities: { '1': '3' } }));
  t.same(request.body, {
    reason: 'Customer called',
    lines: [
      { lineId: '1', itemId: 'ITEM-A', quantity: 3, unitPrice: '35.0000', taxRate: '0.0000' },
      { lineId: '2', itemId: 'ITEM-B', quantity: 1, unitPrice: '12.5000', taxRate: '0.0700' },
    ],
  });
});

t.test('without the tax rates (answered from Postgres) the quantities cannot change; the address still can', async (t) => {
  const unknown = lines.map((line) => ({ ...line, taxRate: null }));
  t.ok(linesChangeable(lines));
  t.notOk(linesChangeable(unknown));
  t.notOk(linesChangeable(lines.map(({ taxRate: _rate, ...line }) => line)), 'nor from a replica that leaves them out');
  t.same(modifyRequest(unknown, form({ quantities: { '1': '3' } })).problems, { taxRateUnknown: true }, 'never a guessed rate');
  t.same(modifyRequest(unknown, form({ address: { ...EMPTY_ADDRESS, postalCode: '10330' } })).body, {
    reason: 'Customer called',
    address: { postalCode: '10330' },
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

t.test('the address starts as the order has it; only a change is sent, then as a whole', async (t) => {
  const current = addressForm({ line1: '12 Sukhumvit Rd', district: 'Khlong Toei', province: 'Bangkok', postalCode: '10110', phone: null });
  t.same(current, { line1: '12 Sukhumvit Rd', district: 'Khlong Toei', province: 'Bangkok', postalCode: '10110', phone: '' });
  t.same(addressForm(null), EMPTY_ADDRESS, 'not known: empty fields');
  t.same(addressForm(undefined), EMPTY_ADDRESS);

  t.same(modifyRequest(lines, form({ address: current }), current).problems, { nothing: true }, 'as it was: nothing to send');
  t.same(
    modifyRequest(lines, form({ address: { ...current, line1: ' 12  Sukhumvit Rd ' } }), current).problems,
    { nothing: true },
    'spaces alone are no change',
  );
  t.same(
    modifyRequest(lines, form({ address: { ...current, line1: '99 Rama IV Rd' }, quantities: { '2': '2' } }), current).body,
    {
      reason: 'Customer called',
      lines: [
        { lineId: '1', itemId: 'ITEM-A', quantity: 2, unitPrice: '35.0000', taxRate: '0.0000' },
        { lineId: '2', itemId: 'ITEM-B', quantity: 2, unitPrice: '12.5000', taxRate: '0.0700' },
      ],
      address: { postalCode: '10110', line1: '99 Rama IV Rd', district: 'Khlong Toei', province: 'Bangkok' },
    },
    'one field changed: the whole address goes, with the lines',
  );
  t.same(
    modifyRequest(lines, form({ address: { ...current, district: '' } }), current).body?.address,
    { postalCode: '10110', line1: '12 Sukhumvit Rd', province: 'Bangkok' },
    'a field emptied is left out of the new address',
  );
  t.same(
    modifyRequest(lines, form({ address: EMPTY_ADDRESS }), current).problems,
    { address: { postalCode: 'postalCodeRequired' } },
    'an address cannot be removed',
  );
});

t.test('each line goes back with the bundle its order line names; a masked phone left as shown goes back as shown', async (t) => {
  const bundled = [
    { ...lines[0]!, bundleId: 'B-BREAKFAST' },
    { ...lines[1]!, bundleId: null },
  ];
  t.same(modifyRequest(bundled, form({ quantities: { '2': '2' } })).body?.lines, [
    { lineId: '1', itemId: 'ITEM-A', quantity: 2, unitPrice: '35.0000', taxRate: '0.0000', bundleId: 'B-BREAKFAST' },
    { lineId: '2', itemId: 'ITEM-B', quantity: 2, unitPrice: '12.5000', taxRate: '0.0700' },
  ]);
  // The service puts the order's own number in place of its mask (query-service/order-modify-routes.ts).
  const current = addressForm({ line1: '12 Sukhumvit Rd', district: null, province: null, postalCode: '10110', phone: '081****678' });
  t.same(modifyRequest(lines, form({ address: { ...current, district: 'Khlong Toei' } }), current).body?.address, {
    postalCode: '10110',
    line1: '12 Sukhumvit Rd',
    district: 'Khlong Toei',
    phone: '081****678',
  });
  t.ok(isMaskedPhone('081****678'));
  t.notOk(isMaskedPhone('0812345678'));
  t.notOk(isMaskedPhone(null));
});
