import t from 'tap';
import {
  applyShorts,
  decideSubstitution,
  repriceOrder,
  substitutePriceAccepted,
  type PricedLineRef,
} from '../../../processors/domain/shorts.js';
import type { Product } from '../../../processors/domain/types.js';
import { line } from './fixtures.js';

// Line 1 alone (2 × 35.50, promo 5.00); lines 2 and 3 one bundle instance, group B#1, bundle discount 10.00
// spread 4.0000 / 6.0000 over them. Charges 20.00.
const lines = [
  line(),
  line({ LineID: '2', ItemID: 'SKU-200', Quantity: 1, UnitPrice: '20.0000', Discounts: [], InformationalTaxes: [], BundleID: 'B' }),
  line({ LineID: '3', ItemID: 'SKU-300', Quantity: 1, UnitPrice: '30.0000', Discounts: [], InformationalTaxes: [], BundleID: 'B' }),
];
const priced: PricedLineRef[] = [
  { LineID: '1', LineDiscount: '5.0000', BundleGroupID: null },
  { LineID: '2', LineDiscount: '4.0000', BundleGroupID: 'B#1' },
  { LineID: '3', LineDiscount: '6.0000', BundleGroupID: 'B#1' },
];
const charges = [{ Type: 'DeliveryFee', Amount: '20.0000' }];

t.test('shorting one line of a bundle group shorts the whole group; the rest is repriced exactly', async (t) => {
  const outcome = applyShorts(lines, priced, [{ LineID: '2', Quantity: 1 }]);
  t.same(
    outcome.Shorted.map((s) => [s.LineID, s.Quantity, s.Whole, s.BundleGroupID]),
    [
      ['2', 1, true, 'B#1'],
      ['3', 1, true, 'B#1'],
    ],
  );
  t.same(
    outcome.OrderLines.map((l) => l.LineID),
    ['1'],
  );
  const totals = repriceOrder({ OrderLines: outcome.OrderLines, Charges: charges }, priced);
  // 71.00 − 5.00 + round4(66.00 × 0.07) 4.62 + 20.00
  t.match(totals, {
    SubTotal: '71.0000',
    TotalDiscount: '5.0000',
    TotalTaxes: '4.6200',
    InformationalTaxes: '4.6500',
    TotalCharges: '20.0000',
    OrderTotal: '90.6200',
  });
});

t.test('remaining bundle lines keep the share they were priced with', async (t) => {
  const outcome = applyShorts(lines, priced, [{ LineID: '1', Quantity: 2 }]);
  t.same(
    outcome.Shorted.map((s) => [s.LineID, s.Whole]),
    [['1', true]],
  );
  const totals = repriceOrder({ OrderLines: outcome.OrderLines, Charges: charges }, priced);
  t.same(
    totals.Lines.map((l) => [l.LineID, l.LineDiscount, l.LineTax, l.BundleGroupID]),
    [
      ['2', '4.0000', '1.1200', 'B#1'],
      ['3', '6.0000', '1.6800', 'B#1'],
    ],
  );
  // 50.00 − 10.00 + 2.80 + 20.00
  t.equal(totals.OrderTotal, '62.8000');
});

t.test('a partial short of a line outside bundles keeps the other units, its discounts scaled', async (t) => {
  const outcome = applyShorts(lines, priced, [{ LineID: '1', Quantity: 1 }]);
  t.same(outcome.Shorted, [{ LineID: '1', ItemID: 'SKU-100', Quantity: 1, Whole: false, BundleGroupID: null }]);
  const kept = outcome.OrderLines[0]!;
  t.equal(kept.Quantity, 1);
  t.same(kept.Discounts, [{ Type: 'Promo', Amount: '2.5000' }]);
  t.same(kept.InformationalTaxes, [{ Type: 'VATIncluded', Amount: '2.3250' }]);
  const totals = repriceOrder({ OrderLines: outcome.OrderLines, Charges: charges }, priced);
  // 85.50 − 12.50 + (round4(33.00 × 0.07) 2.31 + 2.80) + 20.00
  t.match(totals, {
    SubTotal: '85.5000',
    TotalDiscount: '12.5000',
    TotalTaxes: '5.1100',
    InformationalTaxes: '2.3250',
    OrderTotal: '98.1100',
  });
});

t.test('shorting every line leaves nothing (the order is then cancelled); unknown lines are reported', async (t) => {
  const outcome = applyShorts(lines, priced, [
    { LineID: '1', Quantity: 5 },
    { LineID: '3', Quantity: 1 },
    { LineID: '9', Quantity: 1 },
  ]);
  t.same(outcome.OrderLines, []);
  t.same(
    outcome.Shorted.map((s) => s.LineID),
    ['1', '2', '3'],
  );
  t.same(outcome.UnknownLineIDs, ['9']);
});

t.test('a substitute may cost at most 20 % more: exactly 20 % is accepted, one ten-thousandth more is not', async (t) => {
  t.ok(substitutePriceAccepted('10.0000', '12.0000'));
  t.notOk(substitutePriceAccepted('10.0000', '12.0001'));
  t.ok(substitutePriceAccepted('35.5000', '42.6000'), '35.50 × 1.2 = 42.60');
  t.notOk(substitutePriceAccepted('35.5000', '42.6001'));
  t.ok(substitutePriceAccepted('0.0001', '0.0001'));
  t.ok(substitutePriceAccepted('10.0000', '3.0000'), 'cheaper is always accepted');
});

const product = (overrides: Partial<Product> = {}): Product => ({
  ItemID: 'SKU-900',
  ShortDescription: 'Iced tea 250 ml',
  ImageURL: null,
  UnitPrice: '40.0000',
  TaxRate: '0.0700',
  ...overrides,
});

t.test('an accepted substitute takes the line at the lower of the two prices', async (t) => {
  const dearer = decideSubstitution(line(), null, { Quantity: 2, SubstituteItemID: 'SKU-900' }, product({ UnitPrice: '42.6000' }));
  t.match(dearer, { Accepted: true, Line: { ItemID: 'SKU-900', UnitPrice: '35.5000', ShortDescription: 'Iced tea 250 ml', Quantity: 2 } });
  const cheaper = decideSubstitution(
    line(),
    null,
    { Quantity: 2, SubstituteItemID: 'SKU-900' },
    product({ UnitPrice: '30.0000', TaxRate: '0.0000' }),
  );
  t.match(cheaper, { Accepted: true, Line: { UnitPrice: '30.0000', TaxRate: '0.0000' } });
});

t.test('refused substitutions say why', async (t) => {
  const reason = (decision: ReturnType<typeof decideSubstitution>) => (decision.Accepted ? 'ACCEPTED' : decision.Reason);
  t.equal(
    reason(decideSubstitution(line(), null, { Quantity: 2, SubstituteItemID: 'SKU-900' }, product({ UnitPrice: '42.6001' }))),
    'SUBSTITUTE_TOO_EXPENSIVE',
  );
  t.equal(reason(decideSubstitution(line(), null, { Quantity: 2, SubstituteItemID: 'SKU-900' }, undefined)), 'SUBSTITUTE_UNKNOWN');
  t.equal(reason(decideSubstitution(line(), null, { Quantity: 2, SubstituteItemID: null }, undefined)), 'SUBSTITUTE_MISSING');
  t.equal(reason(decideSubstitution(line(), 'B#1', { Quantity: 2, SubstituteItemID: 'SKU-900' }, product())), 'SUBSTITUTE_IN_BUNDLE');
  t.equal(reason(decideSubstitution(line(), null, { Quantity: 1, SubstituteItemID: 'SKU-900' }, product())), 'SUBSTITUTION_PARTIAL');
});
