import fc from 'fast-check';
import t from 'tap';
import {
  applyBundles,
  bundleDiscount,
  compareLineIds,
  isBundleActive,
  prorate,
  type PricingRule,
} from '../../../processors/domain/bundles.js';
import { calculateOrder } from '../../../processors/domain/calculation.js';
import { formatMoney, parseMoney } from '../../../processors/domain/money.js';
import type { BundleDefinition, OrderLine } from '../../../processors/domain/types.js';
import { line } from './fixtures.js';

const item = (LineID: string, ItemID: string, Quantity: number, UnitPrice: string, extra: Partial<OrderLine> = {}): OrderLine =>
  line({ LineID, ItemID, Quantity, UnitPrice, Discounts: [], InformationalTaxes: [], ...extra });
const bundle = (
  BundleID: string,
  Components: Array<[string, number]>,
  pricing: PricingRule,
  extra: Partial<BundleDefinition> = {},
): BundleDefinition => ({
  BundleID,
  Components: Components.map(([ItemID, Quantity]) => ({ ItemID, Quantity })),
  Pricing: { Price: null, Percent: null, Amount: null, ...pricing },
  ActiveFrom: null,
  ActiveTo: null,
  Locations: [],
  Priority: 0,
  ...extra,
});
const orderOf = (OrderLines: OrderLine[], CreatedAt = '2026-11-21T09:15:00Z') => ({ ShipFromLocationID: 'QC0042', CreatedAt, OrderLines });
const money = (text: string) => parseMoney(text);
const shares = (values: ReturnType<typeof prorate>) => values.map(formatMoney);

t.test('LineIDs compare numerically when both are numbers', async (t) => {
  t.same(['10', '2', '1', 'b', 'a', '01'].sort(compareLineIds), ['01', '1', '2', '10', 'a', 'b']);
});

t.test('FIXED: discount is list value − Price; none when Price exceeds it', async (t) => {
  t.equal(formatMoney(bundleDiscount({ Type: 'FIXED', Price: '50' }, money('60'))), '10.0000');
  t.equal(formatMoney(bundleDiscount({ Type: 'FIXED', Price: '60' }, money('60'))), '0.0000');
  t.equal(formatMoney(bundleDiscount({ Type: 'FIXED', Price: '60.0001' }, money('60'))), '0.0000');
  t.equal(formatMoney(bundleDiscount({ Type: 'FIXED', Price: '0' }, money('60'))), '60.0000', 'free bundle');
});

t.test('PERCENT_OFF: discount is round4(list value × Percent / 100), half to even', async (t) => {
  t.equal(formatMoney(bundleDiscount({ Type: 'PERCENT_OFF', Percent: '10' }, money('60'))), '6.0000');
  t.equal(formatMoney(bundleDiscount({ Type: 'PERCENT_OFF', Percent: '10' }, money('0.0005'))), '0.0000', '0.00005 → 0.0000');
  t.equal(formatMoney(bundleDiscount({ Type: 'PERCENT_OFF', Percent: '10' }, money('0.0015'))), '0.0002', '0.00015 → 0.0002');
  t.equal(formatMoney(bundleDiscount({ Type: 'PERCENT_OFF', Percent: '12.5' }, money('19.99'))), '2.4988', '2.49875 → 2.4988');
});

t.test('AMOUNT_OFF: discount is Amount, at most the list value', async (t) => {
  t.equal(formatMoney(bundleDiscount({ Type: 'AMOUNT_OFF', Amount: '7.5' }, money('60'))), '7.5000');
  t.equal(formatMoney(bundleDiscount({ Type: 'AMOUNT_OFF', Amount: '70' }, money('60'))), '60.0000');
});

t.test('proration: rounded down, leftover to the largest remainders', async (t) => {
  // 10 over 1 : 2 : 7 of 10 → exact 1, 2, 7.
  t.same(
    shares(
      prorate(money('10'), [
        { LineID: '1', Value: money('1') },
        { LineID: '2', Value: money('2') },
        { LineID: '3', Value: money('7') },
      ]),
    ),
    ['1.0000', '2.0000', '7.0000'],
  );
  // 1.0000 over 1 : 2 (remainders 1/3 and 2/3 of 0.0001): the larger remainder gets the leftover.
  t.same(
    shares(
      prorate(money('1'), [
        { LineID: '1', Value: money('1') },
        { LineID: '2', Value: money('2') },
      ]),
    ),
    ['0.3333', '0.6667'],
  );
});

t.test('proration ties go to the earlier LineID', async (t) => {
  const parts = (ids: string[]) => ids.map((LineID) => ({ LineID, Value: money('5') }));
  t.same(shares(prorate(money('10'), parts(['1', '2', '3']))), ['3.3334', '3.3333', '3.3333']);
  t.same(shares(prorate(money('10'), parts(['3', '10', '2']))), ['3.3333', '3.3333', '3.3334'], '"2" is earliest');
  t.same(shares(prorate(money('0.0002'), parts(['b', 'a', 'c']))), ['0.0001', '0.0001', '0.0000']);
});

t.test('proration refuses a discount above the list value', async (t) => {
  t.throws(() => prorate(money('11'), [{ LineID: '1', Value: money('10') }]), RangeError);
  t.same(shares(prorate(money('0'), [{ LineID: '1', Value: money('0') }])), ['0.0000']);
});

t.test('detection: one instance, discount spread over its lines, one group', async (t) => {
  const result = applyBundles(orderOf([item('1', 'A', 1, '40'), item('2', 'B', 1, '20'), item('3', 'C', 1, '5')]), [
    bundle(
      'B1',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'FIXED', Price: '50' },
    ),
  ]);
  t.same(result.Lines, [
    { LineID: '1', BundleQuantity: 1, BundleDiscount: '6.6667', BundleGroupID: 'B1#1' },
    { LineID: '2', BundleQuantity: 1, BundleDiscount: '3.3333', BundleGroupID: 'B1#1' },
  ]);
  t.equal(result.TotalDiscount, '10.0000');
  t.same(result.Instances[0], {
    BundleID: 'B1',
    FirstInstanceID: 'B1#1',
    Count: 1,
    BundleGroupID: 'B1#1',
    Declared: false,
    Lines: [
      { LineID: '1', Quantity: 1, Share: '6.6667' },
      { LineID: '2', Quantity: 1, Share: '3.3333' },
    ],
    ListValue: '60.0000',
    Discount: '10.0000',
  });
  t.same(result.Notes, []);
});

t.test('detection: as many whole instances as quantities allow; leftovers stay on the line', async (t) => {
  const result = applyBundles(orderOf([item('1', 'A', 5, '10'), item('2', 'B', 2, '10')]), [
    bundle(
      'B1',
      [
        ['A', 2],
        ['B', 1],
      ],
      { Type: 'AMOUNT_OFF', Amount: '3' },
    ),
  ]);
  t.equal(result.Instances.length, 1, 'identical instances are one run');
  t.equal(result.Instances[0]?.Count, 2);
  t.same(result.Lines, [
    { LineID: '1', BundleQuantity: 4, BundleDiscount: '4.0000', BundleGroupID: 'B1#1' },
    { LineID: '2', BundleQuantity: 2, BundleDiscount: '2.0000', BundleGroupID: 'B1#1' },
  ]);
  t.equal(result.TotalDiscount, '6.0000');
});

t.test('detection: an instance may draw one component from two lines', async (t) => {
  const result = applyBundles(
    orderOf([item('1', 'A', 1, '10'), item('2', 'A', 2, '10'), item('3', 'B', 2, '10'), item('4', 'B', 1, '10')]),
    [
      bundle(
        'B1',
        [
          ['A', 3],
          ['B', 3],
        ],
        { Type: 'PERCENT_OFF', Percent: '50' },
      ),
    ],
  );
  t.equal(result.Instances.length, 1);
  t.same(
    result.Instances[0]?.Lines.map((l) => [l.LineID, l.Quantity]),
    [
      ['1', 1],
      ['2', 2],
      ['3', 2],
      ['4', 1],
    ],
  );
  t.equal(result.TotalDiscount, '30.0000');
  t.same(
    result.Lines.map((l) => l.BundleGroupID),
    ['B1#1', 'B1#1', 'B1#1', 'B1#1'],
  );
});

t.test('detection: separate lines make separate groups; shared lines join instances', async (t) => {
  const def = bundle(
    'B1',
    [
      ['A', 1],
      ['B', 1],
    ],
    { Type: 'FIXED', Price: '15' },
  );
  const separate = applyBundles(
    orderOf([item('1', 'A', 1, '10'), item('2', 'A', 1, '10'), item('3', 'B', 1, '10'), item('4', 'B', 1, '10')]),
    [def],
  );
  t.same(
    separate.Lines.map((l) => [l.LineID, l.BundleGroupID]),
    [
      ['1', 'B1#1'],
      ['2', 'B1#2'],
      ['3', 'B1#1'],
      ['4', 'B1#2'],
    ],
  );
  const shared = applyBundles(orderOf([item('1', 'A', 2, '10'), item('3', 'B', 1, '10'), item('4', 'B', 1, '10')]), [def]);
  t.same(
    shared.Lines.map((l) => [l.LineID, l.BundleGroupID]),
    [
      ['1', 'B1#1'],
      ['3', 'B1#1'],
      ['4', 'B1#1'],
    ],
    'line 1 is in both instances',
  );
  t.same(
    shared.Instances.map((i) => [i.FirstInstanceID, i.BundleGroupID]),
    [
      ['B1#1', 'B1#1'],
      ['B1#2', 'B1#1'],
    ],
  );
});

t.test('detection: a line feeding two different bundles joins them into one group', async (t) => {
  const result = applyBundles(orderOf([item('1', 'A', 2, '10'), item('2', 'B', 1, '10'), item('3', 'C', 1, '10')]), [
    bundle(
      'AB',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'AMOUNT_OFF', Amount: '1' },
      { Priority: 2 },
    ),
    bundle(
      'AC',
      [
        ['A', 1],
        ['C', 1],
      ],
      { Type: 'AMOUNT_OFF', Amount: '1' },
      { Priority: 1 },
    ),
  ]);
  t.same(
    result.Instances.map((i) => [i.FirstInstanceID, i.BundleGroupID]),
    [
      ['AB#1', 'AB#1'],
      ['AC#1', 'AB#1'],
    ],
  );
  t.same(
    result.Lines.map((l) => l.BundleGroupID),
    ['AB#1', 'AB#1', 'AB#1'],
  );
});

t.test('detection: highest Priority first, ties by BundleID', async (t) => {
  const lines = [item('1', 'A', 1, '10'), item('2', 'B', 1, '10'), item('3', 'C', 1, '10')];
  const ab = (priority: number) =>
    bundle(
      'AB',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'AMOUNT_OFF', Amount: '1' },
      { Priority: priority },
    );
  const ac = (priority: number) =>
    bundle(
      'AC',
      [
        ['A', 1],
        ['C', 1],
      ],
      { Type: 'AMOUNT_OFF', Amount: '2' },
      { Priority: priority },
    );
  t.same(
    applyBundles(orderOf(lines), [ab(1), ac(5)]).Instances.map((i) => i.BundleID),
    ['AC'],
  );
  t.same(
    applyBundles(orderOf(lines), [ac(1), ab(5)]).Instances.map((i) => i.BundleID),
    ['AB'],
  );
  t.same(
    applyBundles(orderOf(lines), [ac(3), ab(3)]).Instances.map((i) => i.BundleID),
    ['AB'],
    'tie: BundleID order',
  );
  t.same(
    applyBundles(orderOf(lines), [ab(3), ac(3)]).Instances.map((i) => i.BundleID),
    ['AB'],
    'whatever the table order',
  );
});

t.test('detection: ActiveFrom ≤ CreatedAt < ActiveTo, open ends, Locations', async (t) => {
  const def = (extra: Partial<BundleDefinition>) => bundle('B1', [['A', 1]], { Type: 'AMOUNT_OFF', Amount: '1' }, extra);
  const at = '2026-11-21T09:15:00Z';
  t.ok(isBundleActive(def({ ActiveFrom: at }), at, 'QC0042'), 'from is inclusive');
  t.notOk(isBundleActive(def({ ActiveTo: at }), at, 'QC0042'), 'to is exclusive');
  t.ok(isBundleActive(def({ ActiveFrom: '2026-01-01T00:00:00Z', ActiveTo: null }), at, 'QC0042'), 'open-ended');
  t.notOk(isBundleActive(def({ ActiveFrom: '2026-11-21T09:15:01Z' }), at, 'QC0042'));
  t.ok(isBundleActive(def({ Locations: ['QC0001', 'QC0042'] }), at, 'QC0042'));
  t.notOk(isBundleActive(def({ Locations: ['QC0001'] }), at, 'QC0042'));
  t.same(applyBundles(orderOf([item('1', 'A', 1, '10')]), [def({ ActiveTo: at })]).Instances, [], 'inactive: not detected');
});

t.test('declared lines are taken as their bundle, even outside its dates, and never feed detection', async (t) => {
  const expired = bundle(
    'B1',
    [
      ['A', 1],
      ['B', 1],
    ],
    { Type: 'FIXED', Price: '15' },
    { ActiveTo: '2020-01-01T00:00:00Z' },
  );
  const other = bundle(
    'B2',
    [
      ['A', 1],
      ['B', 1],
    ],
    { Type: 'FIXED', Price: '1' },
    { Priority: 9 },
  );
  const result = applyBundles(
    orderOf([
      item('1', 'A', 1, '10', { BundleID: 'B1' }),
      item('2', 'B', 1, '10', { BundleID: 'B1' }),
      item('3', 'A', 1, '10'),
      item('4', 'B', 1, '10'),
    ]),
    [expired, other],
  );
  t.same(
    result.Instances.map((i) => [i.FirstInstanceID, i.Declared, i.Lines.map((l) => l.LineID)]),
    [
      ['B1#1', true, ['1', '2']],
      ['B2#1', false, ['3', '4']],
    ],
  );
  t.equal(result.TotalDiscount, '24.0000');
});

t.test('declared lines that cannot be applied get no discount and a note', async (t) => {
  const def = bundle(
    'B1',
    [
      ['A', 2],
      ['B', 1],
    ],
    { Type: 'FIXED', Price: '15' },
  );
  const result = applyBundles(
    orderOf([
      item('1', 'A', 1, '10', { BundleID: 'B1' }),
      item('2', 'B', 1, '10', { BundleID: 'B1' }),
      item('3', 'C', 1, '10', { BundleID: 'B1' }),
      item('4', 'D', 1, '10', { BundleID: 'NOPE' }),
    ]),
    [def],
  );
  t.same(result.Lines, []);
  t.same(
    result.Notes.map((n) => [n.BundleID, n.LineID, n.Reason]),
    [
      ['NOPE', '4', 'UNKNOWN_BUNDLE'],
      ['B1', '1', 'NO_WHOLE_INSTANCE'],
      ['B1', '2', 'NO_WHOLE_INSTANCE'],
      ['B1', '3', 'NOT_A_COMPONENT'],
    ],
  );
});

t.test('an invalid definition is skipped with a note, only when it concerns the order', async (t) => {
  const bad = bundle('BAD', [['A', 1]], { Type: 'PERCENT_OFF', Percent: '150' });
  const unrelated = bundle('ZZZ', [['Z', 0]], { Type: 'FIXED', Price: '1' });
  const result = applyBundles(orderOf([item('1', 'A', 1, '10')]), [bad, unrelated]);
  t.same(result.Instances, []);
  t.same(
    result.Notes.map((n) => [n.BundleID, n.Reason]),
    [['BAD', 'INVALID_DEFINITION']],
  );
});

t.test('a bundle priced above its list value forms its instance with no discount', async (t) => {
  const result = applyBundles(orderOf([item('1', 'A', 1, '10'), item('2', 'B', 1, '10')]), [
    bundle(
      'B1',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'FIXED', Price: '25' },
    ),
  ]);
  t.equal(result.Instances[0]?.Discount, '0.0000');
  t.same(
    result.Lines.map((l) => l.BundleDiscount),
    ['0.0000', '0.0000'],
  );
});

t.test('huge quantities are runs, not loops', async (t) => {
  const started = process.hrtime.bigint();
  const result = applyBundles(orderOf([item('1', 'A', 1_000_000_000, '1'), item('2', 'B', 1_000_000_000, '1')]), [
    bundle(
      'B1',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'FIXED', Price: '1.5' },
    ),
  ]);
  t.equal(result.Instances.length, 1);
  t.equal(result.TotalDiscount, '500000000.0000');
  t.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'under a second');
});

t.test('bundle shares flow into the order calculation', async (t) => {
  const lines = [item('1', 'A', 1, '40', { TaxRate: '0.07' }), item('2', 'B', 1, '20', { TaxRate: '0.07' })];
  const applied = applyBundles(orderOf(lines), [
    bundle(
      'B1',
      [
        ['A', 1],
        ['B', 1],
      ],
      { Type: 'FIXED', Price: '50' },
    ),
  ]);
  const totals = calculateOrder({ OrderLines: lines, Charges: [] }, applied.Lines);
  t.equal(totals.TotalDiscount, '10.0000');
  t.same(
    totals.Lines.map((l) => [l.LineTax, l.BundleGroupID]),
    [
      ['2.3333', 'B1#1'],
      ['1.1667', 'B1#1'],
    ],
  );
  t.equal(totals.OrderTotal, '53.5000');
});

// ---------------------------------------------------------------------------------------------- property

const ITEMS = ['A', 'B', 'C', 'D'];
const moneyArb = fc.integer({ min: 0, max: 5_000_000 }).map((n) => formatMoney(parseMoney(String(n)).shiftedBy(-4)));
const pricingArb: fc.Arbitrary<PricingRule> = fc.oneof(
  moneyArb.map((Price) => ({ Type: 'FIXED' as const, Price })),
  fc
    .integer({ min: 0, max: 1_000_000 })
    .map((n) => ({ Type: 'PERCENT_OFF' as const, Percent: formatMoney(parseMoney(String(n)).shiftedBy(-4)) })),
  moneyArb.map((Amount) => ({ Type: 'AMOUNT_OFF' as const, Amount })),
);
const definitionArb = fc.record({
  BundleID: fc.constantFrom('B1', 'B2', 'B3'),
  Components: fc.uniqueArray(fc.record({ ItemID: fc.constantFrom(...ITEMS), Quantity: fc.integer({ min: 1, max: 3 }) }), {
    minLength: 1,
    maxLength: 3,
    selector: (c) => c.ItemID,
  }),
  Pricing: pricingArb,
  Priority: fc.integer({ min: 0, max: 3 }),
});
const linesArb = fc.array(
  fc.record({
    ItemID: fc.constantFrom(...ITEMS),
    Quantity: fc.integer({ min: 1, max: 7 }),
    UnitPrice: moneyArb,
    BundleID: fc.constantFrom(null, null, null, 'B1', 'B2'),
  }),
  { minLength: 1, maxLength: 10 },
);

t.test('property: shares sum exactly to each bundle discount, none negative, lines agree with instances', async (t) => {
  fc.assert(
    fc.property(linesArb, fc.uniqueArray(definitionArb, { maxLength: 3, selector: (d) => d.BundleID }), (rows, definitions) => {
      const lines = rows.map((row, i) => item(String(i + 1), row.ItemID, row.Quantity, row.UnitPrice, { BundleID: row.BundleID }));
      const result = applyBundles(
        orderOf(lines),
        definitions.map((d) =>
          bundle(
            d.BundleID,
            d.Components.map((c) => [c.ItemID, c.Quantity]),
            d.Pricing,
            { Priority: d.Priority },
          ),
        ),
      );
      let total = parseMoney('0');
      const perLine = new Map<string, ReturnType<typeof parseMoney>>();
      const units = new Map<string, number>();
      for (const run of result.Instances) {
        const discount = parseMoney(run.Discount);
        let sum = parseMoney('0');
        for (const share of run.Lines) {
          const value = parseMoney(share.Share);
          if (value.isNegative()) return false;
          sum = sum.plus(value);
          perLine.set(share.LineID, (perLine.get(share.LineID) ?? parseMoney('0')).plus(value.times(run.Count)));
          units.set(share.LineID, (units.get(share.LineID) ?? 0) + share.Quantity * run.Count);
        }
        if (!sum.isEqualTo(discount) || discount.isNegative() || discount.isGreaterThan(parseMoney(run.ListValue))) return false;
        total = total.plus(discount.times(run.Count));
      }
      if (formatMoney(total) !== result.TotalDiscount) return false;
      for (const share of result.Lines) {
        const original = lines.find((l) => l.LineID === share.LineID)!;
        if (share.BundleDiscount !== formatMoney(perLine.get(share.LineID)!)) return false;
        if (share.BundleQuantity !== units.get(share.LineID) || share.BundleQuantity > original.Quantity) return false;
      }
      return result.Lines.length === perLine.size;
    }),
    { numRuns: 1000 },
  );
  t.pass('held for every generated order and bundle table');
});

t.test('property: prorate shares sum to the discount and are never negative', async (t) => {
  fc.assert(
    fc.property(fc.array(moneyArb, { minLength: 1, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, fraction) => {
      const parts = values.map((value, i) => ({ LineID: String(i + 1), Value: parseMoney(value) }));
      const list = parts.reduce((s, p) => s.plus(p.Value), parseMoney('0'));
      const discount = list.times(fraction.toFixed(6)).decimalPlaces(4, 1);
      const result = prorate(discount, parts);
      return result.every((share) => !share.isNegative()) && result.reduce((s, v) => s.plus(v), parseMoney('0')).isEqualTo(discount);
    }),
    { numRuns: 1000 },
  );
  t.pass('held for every generated split');
});
