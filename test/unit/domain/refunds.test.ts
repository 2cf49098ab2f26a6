// Refunds (processors/domain/refunds.ts) on orders priced by the pipeline's own Cal A–F and bundle shares: examples,
// then properties over random orders and random sequences of partial returns.
import fc from 'fast-check';
import t from 'tap';
import { applyBundles } from '../../../processors/domain/bundles.js';
import { calculateOrder } from '../../../processors/domain/calculation.js';
import { formatMoney, parseMoney, sum } from '../../../processors/domain/money.js';
import { refundableTotal, refundFor, returnRefusals, type ReturnedUnits } from '../../../processors/domain/refunds.js';
import type { BundleDefinition, BundlePricing, OrderLine } from '../../../processors/domain/types.js';
import { pricedOrder } from '../../../processors/stages/calculate.js';
import { line, order } from './fixtures.js';

const price = (
  orderLines: OrderLine[],
  charges = [{ Type: 'DeliveryFee', Amount: '20.0000' }],
  shares: Parameters<typeof calculateOrder>[1] = [],
) => pricedOrder(orderLines, calculateOrder({ ...order(), OrderLines: orderLines, Charges: charges }, shares));

t.test('the §5 bundle example returned: each line its share, all of it the OrderTotal less the fee', async (t) => {
  // 2 × 35.5000 coffee and 1 × 45.0000 croissant in one coffee-set instance (FIXED 69.0000), a 20.0000 fee.
  const lines = [
    line({ LineID: '1', ItemID: 'COFFEE', Quantity: 2, UnitPrice: '35.5000', TaxRate: '0.0700', Discounts: [] }),
    line({ LineID: '2', ItemID: 'CROISSANT', Quantity: 1, UnitPrice: '45.0000', TaxRate: '0.0700', Discounts: [] }),
  ];
  const { lines: priced, totals } = price(lines, undefined, [
    { LineID: '1', BundleDiscount: '5.0714', BundleGroupID: 'G1' },
    { LineID: '2', BundleDiscount: '6.4286', BundleGroupID: 'G1' },
  ]);
  t.equal(totals.OrderTotal, '131.8150');
  const one = refundFor(priced, [{ LineID: '1', Quantity: 1 }], new Map());
  t.same(
    one.Lines,
    [{ LineID: '1', Quantity: 1, Amount: '35.5000', Discount: '2.5357', Tax: '2.3075', Refund: '35.2718' }],
    'half of the coffee line, half to even',
  );
  const rest = refundFor(
    priced,
    [
      { LineID: '1', Quantity: 1 },
      { LineID: '2', Quantity: 1 },
    ],
    new Map([['1', 1]]),
  );
  t.same(rest.Lines[0], { LineID: '1', Quantity: 1, Amount: '35.5000', Discount: '2.5357', Tax: '2.3075', Refund: '35.2718' });
  t.equal(
    formatMoney(parseMoney(one.Total).plus(parseMoney(rest.Total))),
    '111.8150',
    'everything returned: 131.8150 less the 20.0000 fee',
  );
  t.equal(refundableTotal(priced), '111.8150');
});

t.test('a return that cannot be taken says why, per line', async (t) => {
  const { lines } = price([line({ LineID: '1', Quantity: 3 }), line({ LineID: '2', Quantity: 1 })]);
  t.same(
    returnRefusals(
      lines,
      [
        { LineID: '1', Quantity: 3 },
        { LineID: '2', Quantity: 0 },
        { LineID: '9', Quantity: 1 },
        { LineID: '1', Quantity: 1 },
      ],
      new Map([['1', 1]]),
    ),
    [
      { Code: 'QUANTITY_EXCEEDS_SHIPPED', LineID: '1', Shipped: 3, Returnable: 2 },
      { Code: 'INVALID_QUANTITY', LineID: '2' },
      { Code: 'UNKNOWN_LINE', LineID: '9' },
      { Code: 'DUPLICATE_LINE', LineID: '1' },
    ],
  );
  t.throws(
    () => refundFor(lines, [{ LineID: '1', Quantity: 4 }], new Map()),
    RangeError,
    'the refund of such a return is a defect, not a number',
  );
});

/** Money with up to 4 decimals, as customers' orders carry it. */
const moneyArb = (max: number) =>
  fc
    .integer({ min: 0, max: max * 10_000 })
    .map((units) => formatMoney(parseMoney(`${Math.floor(units / 10_000)}.${String(units % 10_000).padStart(4, '0')}`)));
const rateArb = fc.oneof(
  fc.constant('0.0700'),
  fc.constant('0'),
  fc.integer({ min: 0, max: 9_999 }).map((n) => `0.${String(n).padStart(4, '0')}`),
);
const orderArb = fc
  .array(
    fc.record({
      Quantity: fc.integer({ min: 1, max: 24 }),
      UnitPrice: moneyArb(2_000),
      TaxRate: rateArb,
      discount: fc.option(moneyArb(20), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((specs) =>
    specs.map((spec, index) =>
      line({
        LineID: String(index + 1),
        ItemID: `SKU-${index}`,
        Quantity: spec.Quantity,
        UnitPrice: spec.UnitPrice,
        TaxRate: spec.TaxRate,
        Discounts: spec.discount ? [{ Type: 'Coupon', Amount: spec.discount }] : [],
      }),
    ),
  );

/** Returns until every unit is back: each step takes some units of some lines, chosen by the seeds. */
function returnSequence(lines: ReturnType<typeof price>['lines'], seeds: number[]): ReturnedUnits[][] {
  const left = new Map(lines.map((l) => [l.LineID, l.Quantity]));
  const steps: ReturnedUnits[][] = [];
  let i = 0;
  while ([...left.values()].some((n) => n > 0)) {
    const step: ReturnedUnits[] = [];
    for (const [id, n] of left) {
      const seed = seeds[i++ % seeds.length]!;
      if (n === 0 || seed % 3 === 0) continue;
      const q = 1 + (seed % n);
      step.push({ LineID: id, Quantity: q });
      left.set(id, n - q);
    }
    if (step.length === 0) {
      // Every seed said "not this line": take one unit of the first line with any left, so the sequence ends.
      const [id, n] = [...left].find(([, units]) => units > 0)!;
      step.push({ LineID: id, Quantity: 1 });
      left.set(id, n - 1);
    }
    steps.push(step);
  }
  return steps;
}

t.test('property: any partial returns never refund more than was paid; all of them refund OrderTotal − charges exactly', async (t) => {
  fc.assert(
    fc.property(
      orderArb,
      moneyArb(100),
      fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 20 }),
      (orderLines, fee, seeds) => {
        const { lines, totals } = price(orderLines, [{ Type: 'DeliveryFee', Amount: fee }]);
        const soFar = new Map<string, number>();
        const refunded = new Map<string, ReturnType<typeof parseMoney>>();
        for (const step of returnSequence(lines, seeds)) {
          const refund = refundFor(lines, step, soFar);
          for (const r of refund.Lines) {
            soFar.set(r.LineID, (soFar.get(r.LineID) ?? 0) + r.Quantity);
            refunded.set(r.LineID, (refunded.get(r.LineID) ?? parseMoney('0')).plus(parseMoney(r.Refund)));
            if (!/^-?\d+\.\d{4}$/.test(r.Refund)) return false;
          }
          // After every step: no line has been refunded more than its cumulative share allows, i.e. than it was paid.
          for (const l of lines) {
            const paid = parseMoney(l.LineAmount).minus(parseMoney(l.LineDiscount)).plus(parseMoney(l.LineTax));
            const got = refunded.get(l.LineID) ?? parseMoney('0');
            if (paid.isPositive() && got.isGreaterThan(paid)) return false;
          }
        }
        const total = sum(refunded.values());
        const expected = parseMoney(totals.OrderTotal).minus(parseMoney(totals.TotalCharges));
        return total.isEqualTo(expected) && formatMoney(total) === refundableTotal(lines);
      },
    ),
    { numRuns: 400 },
  );
  t.pass('400 random orders, each returned in random partial steps');
});

/** A bundle over the first two lines' items, priced one of the three ways; the pipeline's own detection applies it. */
const bundleArb = fc
  .record({
    first: fc.integer({ min: 1, max: 3 }),
    second: fc.integer({ min: 1, max: 3 }),
    pricing: fc.oneof(
      moneyArb(500).map((Price): BundlePricing => ({ Type: 'FIXED', Price, Percent: null, Amount: null })),
      fc.integer({ min: 1, max: 99 }).map((n): BundlePricing => ({ Type: 'PERCENT_OFF', Price: null, Percent: String(n), Amount: null })),
      moneyArb(300).map((Amount): BundlePricing => ({ Type: 'AMOUNT_OFF', Price: null, Percent: null, Amount })),
    ),
  })
  .map(({ first, second, pricing }): BundleDefinition => ({
    BundleID: 'SET',
    Components: [
      { ItemID: 'SKU-0', Quantity: first },
      { ItemID: 'SKU-1', Quantity: second },
    ],
    Pricing: pricing,
    ActiveFrom: null,
    ActiveTo: null,
    Locations: [],
    Priority: 0,
  }));

t.test('property, with bundles: each line refunds its share of the bundle discount; all of it, the OrderTotal − charges', async (t) => {
  let bundled = 0;
  fc.assert(
    fc.property(
      orderArb.filter((lines) => lines.length >= 2),
      bundleArb,
      moneyArb(100),
      fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 20 }),
      (orderLines, bundle, fee, seeds) => {
        const application = applyBundles({ ...order(), OrderLines: orderLines }, [bundle]);
        if (application.Instances.length > 0) bundled++;
        const { lines, totals } = price(orderLines, [{ Type: 'DeliveryFee', Amount: fee }], application.Lines);
        const soFar = new Map<string, number>();
        const refunded = new Map<string, ReturnType<typeof parseMoney>>();
        for (const step of returnSequence(lines, seeds)) {
          for (const r of refundFor(lines, step, soFar).Lines) {
            soFar.set(r.LineID, (soFar.get(r.LineID) ?? 0) + r.Quantity);
            refunded.set(r.LineID, (refunded.get(r.LineID) ?? parseMoney('0')).plus(parseMoney(r.Refund)));
          }
          for (const l of lines) {
            const paid = parseMoney(l.LineAmount).minus(parseMoney(l.LineDiscount)).plus(parseMoney(l.LineTax));
            if (paid.isPositive() && (refunded.get(l.LineID) ?? parseMoney('0')).isGreaterThan(paid)) return false;
          }
        }
        return sum(refunded.values()).isEqualTo(parseMoney(totals.OrderTotal).minus(parseMoney(totals.TotalCharges)));
      },
    ),
    { numRuns: 400 },
  );
  // The generator must exercise bundles, not only orders too small for one.
  t.ok(bundled > 100, `${bundled} of 400 random orders formed a bundle instance`);
});
