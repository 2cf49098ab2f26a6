import fc from 'fast-check';
import t from 'tap';
import { calculateOrder, lineAmount, lineTax, sumAmounts } from '../../../processors/domain/calculation.js';
import { decimal, formatMoney, parseMoney } from '../../../processors/domain/money.js';
import type { OrderLine } from '../../../processors/domain/types.js';
import { line, order } from './fixtures.js';

const plain = (overrides: Partial<OrderLine>): OrderLine => line({ Discounts: [], InformationalTaxes: [], ...overrides });

t.test('the contract example: every total', async (t) => {
  const result = calculateOrder(order());
  t.same(result, {
    SubTotal: '71.0000',
    TotalDiscount: '5.0000',
    TotalTaxes: '4.6200',
    InformationalTaxes: '4.6500',
    TotalCharges: '20.0000',
    OrderTotal: '90.6200',
    Lines: [{ LineID: '1', LineAmount: '71.0000', LineDiscount: '5.0000', LineTax: '4.6200', BundleGroupID: null }],
    Errors: [],
  });
});

t.test('line amount is UnitPrice × Quantity, exact at the 4-decimal boundaries', async (t) => {
  t.equal(formatMoney(lineAmount({ UnitPrice: '0.0001', Quantity: 3 })), '0.0003');
  t.equal(formatMoney(lineAmount({ UnitPrice: '0.1', Quantity: 3 })), '0.3000', 'no float drift');
  t.equal(formatMoney(lineAmount({ UnitPrice: '99999999999999.9999', Quantity: 1 })), '99999999999999.9999');
  t.equal(formatMoney(lineAmount({ UnitPrice: '12.3456', Quantity: 1000 })), '12345.6000');
});

t.test('line tax rounds half to even: 0.00005 → 0.0000, 0.00015 → 0.0002, 0.00025 → 0.0002', async (t) => {
  t.equal(formatMoney(lineTax(parseMoney('0.0005'), parseMoney('0'), '0.1')), '0.0000');
  t.equal(formatMoney(lineTax(parseMoney('0.0015'), parseMoney('0'), '0.1')), '0.0002');
  t.equal(formatMoney(lineTax(parseMoney('0.0025'), parseMoney('0'), '0.1')), '0.0002');
  t.equal(formatMoney(lineTax(parseMoney('0.0035'), parseMoney('0'), '0.1')), '0.0004');
  t.equal(formatMoney(lineTax(parseMoney('10.0000'), parseMoney('9.9995'), '0.1')), '0.0000', 'on the discounted base');
  t.equal(formatMoney(lineTax(parseMoney('1.2345'), parseMoney('0'), '0.0700')), '0.0864', '0.086415 rounds down');
});

t.test('line discount adds the line’s discounts and its bundle share; the line carries its group', async (t) => {
  const result = calculateOrder(
    {
      Charges: [],
      OrderLines: [
        plain({
          LineID: '1',
          Discounts: [
            { Type: 'Promo', Amount: '1.0000' },
            { Type: 'Staff', Amount: '0.5000' },
          ],
        }),
        plain({ LineID: '2' }),
      ],
    },
    [{ LineID: '1', BundleDiscount: '2.2500', BundleGroupID: 'B1#1' }],
  );
  t.same(result.Lines[0], { LineID: '1', LineAmount: '71.0000', LineDiscount: '3.7500', LineTax: '4.7075', BundleGroupID: 'B1#1' });
  t.same(result.Lines[1], { LineID: '2', LineAmount: '71.0000', LineDiscount: '0.0000', LineTax: '4.9700', BundleGroupID: null });
  t.equal(result.TotalDiscount, '3.7500');
});

t.test('Cal A SubTotal is the sum of line amounts', async (t) => {
  const result = calculateOrder({
    Charges: [],
    OrderLines: [plain({ LineID: '1', UnitPrice: '0.1', Quantity: 1 }), plain({ LineID: '2', UnitPrice: '0.2', Quantity: 1 })],
  });
  t.equal(result.SubTotal, '0.3000');
});

t.test('Cal B TotalCharges sums the order charges; none is zero', async (t) => {
  t.equal(
    calculateOrder(
      order({
        Charges: [
          { Type: 'DeliveryFee', Amount: '20' },
          { Type: 'Packaging', Amount: '0.0001' },
        ],
      }),
    ).TotalCharges,
    '20.0001',
  );
  t.equal(calculateOrder(order({ Charges: [] })).TotalCharges, '0.0000');
});

t.test('Cal C OrderTotal = SubTotal − TotalDiscount + TotalTaxes + TotalCharges', async (t) => {
  const result = calculateOrder(order({ OrderLines: [line(), line({ LineID: '2', UnitPrice: '10.0001', Quantity: 3, TaxRate: '0' })] }));
  t.equal(result.SubTotal, '101.0003');
  t.equal(result.OrderTotal, '115.6203');
});

t.test('Cal D TotalDiscount equal to SubTotal is fine; above it is DISCOUNT_EXCEEDS_SUBTOTAL', async (t) => {
  const equal = calculateOrder({
    Charges: [],
    OrderLines: [plain({ UnitPrice: '10', Quantity: 1, Discounts: [{ Type: 'Promo', Amount: '10' }] })],
  });
  t.same(equal.Errors, []);
  t.equal(equal.OrderTotal, '0.0000');
  const over = calculateOrder({
    Charges: [],
    OrderLines: [plain({ UnitPrice: '10', Quantity: 1, Discounts: [{ Type: 'Promo', Amount: '10.0001' }] })],
  });
  t.same(
    over.Errors.map((error) => [error.Code, error.Field]),
    [['DISCOUNT_EXCEEDS_SUBTOTAL', 'TotalDiscount']],
  );
  t.match(over.Errors[0]?.Message, /10\.0001.*10\.0000/);
  t.equal(over.TotalDiscount, '10.0001', 'totals are still reported');
});

t.test('Cal E TotalTaxes is the sum of the rounded line taxes', async (t) => {
  // Each line's tax is 0.00015 → 0.0002; the sum of rounded taxes is 0.0004, not round4(0.0003).
  const result = calculateOrder({
    Charges: [],
    OrderLines: [
      plain({ LineID: '1', UnitPrice: '0.0015', Quantity: 1, TaxRate: '0.1' }),
      plain({ LineID: '2', UnitPrice: '0.0015', Quantity: 1, TaxRate: '0.1' }),
    ],
  });
  t.equal(result.TotalTaxes, '0.0004');
});

t.test('Cal F InformationalTaxes are summed and never charged', async (t) => {
  const result = calculateOrder({
    Charges: [],
    OrderLines: [
      plain({
        InformationalTaxes: [
          { Type: 'VATIncluded', Amount: '4.6500' },
          { Type: 'Excise', Amount: '1' },
        ],
      }),
    ],
  });
  t.equal(result.InformationalTaxes, '5.6500');
  t.equal(result.OrderTotal, '75.9700', 'OrderTotal ignores them');
  t.equal(formatMoney(sumAmounts(null)), '0.0000');
});

t.test('a bundle share for a line the order does not have is refused', async (t) => {
  t.throws(() => calculateOrder(order(), [{ LineID: '9', BundleDiscount: '1', BundleGroupID: 'B#1' }]), /9/);
});

t.test('money that is not money throws: the calculation expects a validated order', async (t) => {
  t.throws(() => calculateOrder({ Charges: [], OrderLines: [plain({ UnitPrice: '1.00001' })] }), /1\.00001/);
});

// ---------------------------------------------------------------------------------------------- property

const units = (money: string): bigint => BigInt(money.replace('.', ''));
const moneyOf = (n: bigint): string => {
  const text = (n < 0n ? -n : n).toString().padStart(5, '0');
  return `${n < 0n ? '-' : ''}${text.slice(0, -4)}.${text.slice(-4)}`;
};
/** Half-even division of a non-negative or negative bigint by 10^4 (an independent oracle for round4). */
const roundUnits = (n: bigint): bigint => {
  const q = n / 10_000n;
  const r = n - q * 10_000n;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice < 10_000n || (twice === 10_000n && q % 2n === 0n)) return q;
  return n < 0n ? q - 1n : q + 1n;
};

const moneyArb = (max: bigint) => fc.bigInt({ min: 0n, max }).map(moneyOf);
const lineArb = fc.record({
  Quantity: fc.integer({ min: 1, max: 1000 }),
  UnitPrice: moneyArb(100_000_000n),
  TaxRate: moneyArb(10_000n),
  Discounts: fc.array(fc.record({ Type: fc.constant('Promo'), Amount: moneyArb(1_000_000n) }), { maxLength: 3 }),
  InformationalTaxes: fc.array(fc.record({ Type: fc.constant('VAT'), Amount: moneyArb(1_000_000n) }), { maxLength: 2 }),
  share: fc.option(moneyArb(1_000_000n)),
});
const orderArb = fc.record({
  lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
  Charges: fc.array(fc.record({ Type: fc.constant('DeliveryFee'), Amount: moneyArb(10_000_000n) }), { maxLength: 3 }),
});

t.test('property: OrderTotal = SubTotal − TotalDiscount + TotalTaxes + TotalCharges, and each total is the sum of its lines', async (t) => {
  fc.assert(
    fc.property(orderArb, ({ lines, Charges }) => {
      const OrderLines = lines.map(({ share: _share, ...fields }, i) => line({ ...fields, LineID: String(i + 1) }));
      const shares = lines.flatMap((l, i) =>
        l.share === null ? [] : [{ LineID: String(i + 1), BundleDiscount: l.share, BundleGroupID: `B#${i}` }],
      );
      const result = calculateOrder({ OrderLines, Charges }, shares);
      for (const money of [result.SubTotal, result.TotalDiscount, result.TotalTaxes, result.TotalCharges, result.OrderTotal]) {
        if (!/^-?[0-9]+\.[0-9]{4}$/.test(money)) return false;
      }
      if (
        units(result.OrderTotal) !==
        units(result.SubTotal) - units(result.TotalDiscount) + units(result.TotalTaxes) + units(result.TotalCharges)
      )
        return false;
      // An independent oracle in integers for every line and total.
      let sub = 0n;
      let discount = 0n;
      let taxes = 0n;
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        const amount = units(l.UnitPrice) * BigInt(l.Quantity);
        const d = l.Discounts.reduce((s, e) => s + units(e.Amount), 0n) + (l.share === null ? 0n : units(l.share));
        const tax = roundUnits((amount - d) * units(l.TaxRate));
        const out = result.Lines[i]!;
        if (out.LineAmount !== moneyOf(amount) || out.LineDiscount !== moneyOf(d) || units(out.LineTax) !== tax) return false;
        sub += amount;
        discount += d;
        taxes += tax;
      }
      const charges = Charges.reduce((s, c) => s + units(c.Amount), 0n);
      return (
        units(result.SubTotal) === sub &&
        units(result.TotalDiscount) === discount &&
        units(result.TotalTaxes) === taxes &&
        units(result.TotalCharges) === charges &&
        units(result.OrderTotal) === sub - discount + taxes + charges &&
        (result.Errors.length === 1) === discount > sub
      );
    }),
    { numRuns: 500 },
  );
  t.pass('held for every generated order');
});

t.test('the oracle agrees with round4 on the banker’s cases', async (t) => {
  t.equal(roundUnits(5n), 0n);
  t.equal(roundUnits(15_000n), 2n, '1.5 → 2');
  t.equal(roundUnits(25_000n), 2n, '2.5 → 2');
  t.equal(roundUnits(25_001n), 3n);
  t.equal(roundUnits(-15_000n), -2n);
  t.equal(formatMoney(decimal('0.00015').decimalPlaces(4)), '0.0002');
});
