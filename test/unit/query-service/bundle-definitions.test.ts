/** Bundle definitions as the API maps, checks and previews them (query-service/bundle-definitions.ts). */
import t from 'tap';
import type { BundleDefinition } from '../../../processors/domain/types.js';
import {
  activated,
  type BundleInput,
  bundleProblems,
  deactivated,
  definitionOf,
  isUtcTimestamp,
  pipelineProblem,
  previewDefinitions,
  previewOrder,
  pricePreview,
  requestField,
  viewOf,
  windowStatus,
} from '../../../query-service/bundle-definitions.js';

const T = Date.parse('2026-11-21T09:00:00Z');
const HOUR = 3_600_000;

const coffeeSet: BundleInput = {
  bundleId: 'BDL-COFFEE-SET',
  components: [
    { itemId: 'SKU-100', quantity: 1 },
    { itemId: 'SKU-200', quantity: 1 },
  ],
  pricing: { type: 'FIXED', price: '69' },
};

const bundle = (overrides: Partial<BundleDefinition> = {}): BundleDefinition => ({
  ...definitionOf('BDL-COFFEE-SET', coffeeSet),
  ...overrides,
});

t.test('a request maps onto the record: PascalCase, money with 4 digits, the unread pricing fields null, defaults', async (t) => {
  t.same(definitionOf('BDL-COFFEE-SET', coffeeSet), {
    BundleID: 'BDL-COFFEE-SET',
    Components: [
      { ItemID: 'SKU-100', Quantity: 1 },
      { ItemID: 'SKU-200', Quantity: 1 },
    ],
    Pricing: { Type: 'FIXED', Price: '69.0000', Percent: null, Amount: null },
    ActiveFrom: null,
    ActiveTo: null,
    Locations: [],
    Priority: 0,
  });
  const percent = definitionOf('B-P', {
    ...coffeeSet,
    pricing: { type: 'PERCENT_OFF', percent: '12.5' },
    activeFrom: '2026-11-21T00:00:00Z',
    activeTo: '2026-12-01T00:00:00Z',
    locations: ['QC0001'],
    priority: 7,
  });
  t.same(percent.Pricing, { Type: 'PERCENT_OFF', Price: null, Percent: '12.5', Amount: null }, 'a percent is kept as given');
  t.same(
    [percent.ActiveFrom, percent.ActiveTo, percent.Locations, percent.Priority],
    ['2026-11-21T00:00:00Z', '2026-12-01T00:00:00Z', ['QC0001'], 7],
  );
  t.same(definitionOf('B-A', { ...coffeeSet, pricing: { type: 'AMOUNT_OFF', amount: '20.5' } }).Pricing.Amount, '20.5000');

  const view = viewOf(percent, T);
  t.same(view.pricing, { type: 'PERCENT_OFF', price: null, percent: '12.5', amount: null });
  t.same([view.status, view.active, view.problem], ['ACTIVE', true, null]);
  t.same(view.locations, ['QC0001']);
});

t.test('what a schema cannot say: the pricing field the type reads, and a window that ends after it starts', async (t) => {
  t.same(bundleProblems({ ...coffeeSet }), [], 'a good body');
  t.same(
    bundleProblems({ pricing: { type: 'FIXED', percent: '10', amount: null } }).map((problem) => problem.field),
    ['pricing.price', 'pricing.percent'],
    'FIXED without price, with a percent it would not read (a null one is fine)',
  );
  t.same(
    bundleProblems(
      { pricing: { type: 'PERCENT_OFF', percent: '10' }, activeFrom: '2026-11-21T10:00:00Z', activeTo: '2026-11-21T10:00:00Z' },
      'bundles.2.',
    ),
    [
      {
        location: 'body',
        field: 'bundles.2.activeTo',
        message: 'must be after activeFrom: the bundle is active from activeFrom (inclusive) to activeTo (exclusive)',
      },
    ],
    'an empty window, placed under the prefix',
  );
  t.same(bundleProblems('not an object'), [], 'a body of the wrong type is the schema’s to report');
  t.same(
    bundleProblems({ pricing: { type: 'BOGO' }, activeFrom: 'yesterday', activeTo: 3 }),
    [],
    'nor are unknown types and bad timestamps',
  );
});

t.test('UTC timestamps: Z or a zero offset, a real calendar day', async (t) => {
  for (const good of ['2026-11-21T09:15:00Z', '2026-11-21T09:15:00.123Z', '2028-02-29T23:59:59+00:00']) t.ok(isUtcTimestamp(good), good);
  for (const bad of [
    '2026-11-21T09:15:00+07:00',
    '2026-11-21 09:15:00Z',
    '2026-02-30T00:00:00Z',
    '2026-11-21T24:00:00Z',
    '2026-11-21',
    20261121,
  ])
    t.notOk(isUtcTimestamp(bad), String(bad));
});

t.test('the pipeline’s own rules judge a definition, whatever its window', async (t) => {
  t.equal(pipelineProblem(bundle()), undefined, 'a good one');
  t.equal(
    pipelineProblem(bundle({ ActiveFrom: '2030-01-01T00:00:00Z', Locations: ['QC0999'] })),
    undefined,
    'scheduled elsewhere: still usable',
  );
  t.match(pipelineProblem(bundle({ Pricing: { Type: 'PERCENT_OFF', Price: null, Percent: '150', Amount: null } })), /Pricing/);
  t.match(pipelineProblem(bundle({ Pricing: { Type: 'FIXED', Price: null, Percent: '10', Amount: null } })), /Pricing/);
  t.match(pipelineProblem(bundle({ Components: [{ ItemID: 'SKU-100', Quantity: 0 }] })), /Quantity/);
  t.match(pipelineProblem(bundle({ ActiveTo: 'soon' })), /ActiveFrom\/ActiveTo/);
  t.equal(pipelineProblem(bundle({ Components: [] })), 'Components is not a non-empty array');
  const view = viewOf(bundle({ ActiveTo: 'soon' }), T);
  t.same([view.active, view.status], [false, 'INACTIVE'], 'an ignored definition is never active');
});

t.test('the window: status at a moment, activate, deactivate', async (t) => {
  const at = (hours: number) => new Date(T + hours * HOUR).toISOString();
  t.equal(windowStatus(bundle(), T), 'ACTIVE', 'no window: always');
  t.equal(windowStatus(bundle({ ActiveFrom: at(1) }), T), 'SCHEDULED');
  t.equal(windowStatus(bundle({ ActiveFrom: at(0) }), T), 'ACTIVE', 'ActiveFrom is inclusive');
  t.equal(windowStatus(bundle({ ActiveTo: at(0) }), T), 'INACTIVE', 'ActiveTo is exclusive');
  t.equal(windowStatus(bundle({ ActiveFrom: at(2), ActiveTo: at(2) }), T), 'INACTIVE', 'an empty window never starts');

  t.equal(activated(bundle(), T), undefined, 'active already');
  t.same(pick(activated(bundle({ ActiveFrom: at(-5), ActiveTo: at(-1) }), T)), [at(0), null], 'ended: from now, open-ended');
  t.same(pick(activated(bundle({ ActiveFrom: at(3), ActiveTo: at(10) }), T)), [at(0), at(10)], 'scheduled: starts now, keeps its end');
  t.same(
    pick(activated(bundle({ ActiveFrom: at(3), ActiveTo: at(3) }), T)),
    [at(0), null],
    'an emptied window does not come back as an end',
  );

  t.same(pick(deactivated(bundle({ ActiveFrom: at(-5) }), T)), [at(-5), at(0)], 'active: ends now');
  t.same(pick(deactivated(bundle({ ActiveFrom: at(3), ActiveTo: at(10) }), T)), [at(3), at(3)], 'scheduled: an empty window');
  t.equal(deactivated(bundle({ ActiveTo: at(-1) }), T), undefined, 'ended already');
  t.equal(windowStatus(deactivated(bundle(), T)!, T), 'INACTIVE');
  t.equal(windowStatus(activated(deactivated(bundle(), T)!, T + 1000)!, T + 1000), 'ACTIVE', 'and back');
});

const pick = (definition: BundleDefinition | undefined) => (definition ? [definition.ActiveFrom, definition.ActiveTo] : definition);

t.test('the preview prices as the pipeline does: the contract’s coffee-set example (§6)', async (t) => {
  const { order, problems } = previewOrder(
    {
      store: 'QC0107',
      lines: [
        { itemId: 'SKU-100', quantity: 2, unitPrice: '35.5000', taxRate: '0.0700' },
        { itemId: 'SKU-200', quantity: 1, unitPrice: '45.0000' },
      ],
      charges: [{ type: 'DeliveryFee', amount: '20.0000' }],
    },
    '2026-11-21T09:00:00Z',
    new Map([['SKU-200', '0.0700']]),
  );
  t.same(problems, []);
  t.same(
    order.OrderLines.map((line) => [line.LineID, line.TaxRate]),
    [
      ['1', '0.0700'],
      ['2', '0.0700'],
    ],
    'line ids by position; the catalog’s tax rate when none is given',
  );
  const preview = pricePreview(order, [definitionOf('BDL-COFFEE-SET', coffeeSet)]);
  t.same(preview.totals, {
    subTotal: '116.0000',
    totalDiscount: '11.5000',
    totalTaxes: '7.3150',
    informationalTaxes: '0.0000',
    totalCharges: '20.0000',
    orderTotal: '131.8150',
  });
  t.match(preview.lines, [
    {
      lineId: '1',
      lineDiscount: '5.0714',
      lineTax: '4.6150',
      bundleGroupId: 'BDL-COFFEE-SET#1',
      bundleQuantity: 1,
      bundleDiscount: '5.0714',
    },
    { lineId: '2', lineDiscount: '6.4286', lineTax: '2.7000', bundleGroupId: 'BDL-COFFEE-SET#1', bundleQuantity: 1 },
  ]);
  t.match(preview.bundles, [
    { bundleId: 'BDL-COFFEE-SET', count: 1, declared: false, draft: false, listValue: '80.5000', discount: '11.5000' },
  ]);
  t.same([preview.priced, preview.errors, preview.notes], [true, [], []]);

  const inactive = pricePreview(order, [definitionOf('BDL-COFFEE-SET', { ...coffeeSet, activeTo: '2026-11-21T09:00:00Z' })]);
  t.equal(inactive.totals.totalDiscount, '0.0000', 'not detected outside its window');
  t.same(inactive.bundles, []);
});

t.test('the preview: what the pipeline would refuse, an order it could not price, drafts', async (t) => {
  const { problems } = previewOrder(
    {
      store: 'QC0001',
      lines: [
        { lineId: 'A', itemId: 'SKU-1', quantity: 1, unitPrice: '1.0000', taxRate: '0.0700' },
        { lineId: 'A', itemId: 'SKU-X', quantity: 1, unitPrice: '1.0000' },
      ],
    },
    '2026-11-21T09:00:00Z',
    new Map(),
  );
  t.same(
    problems.map((problem) => problem.field),
    ['lines.1.taxRate', 'lines.1.lineId'],
    'no tax rate and none in the catalog; a repeated LineID (the validate stage’s check)',
  );
  t.equal(requestField('OrderLines[0].Discounts[1].Amount'), 'lines.0.discounts.1.amount');
  t.equal(requestField('Charges[2].Amount'), 'charges.2.amount');
  t.equal(requestField('CreatedAt'), 'at');
  t.equal(requestField(''), '(root)');

  const coupon = previewOrder(
    {
      store: 'QC0001',
      lines: [
        { itemId: 'SKU-1', quantity: 1, unitPrice: '14.0000', taxRate: '0.0700', discounts: [{ type: 'Coupon', amount: '50.0000' }] },
      ],
    },
    '2026-11-21T09:00:00Z',
    new Map(),
  );
  const refused = pricePreview(coupon.order, []);
  t.equal(refused.priced, false);
  t.match(refused.errors, [{ code: 'DISCOUNT_EXCEEDS_SUBTOTAL', field: 'TotalDiscount' }]);

  const stored = [bundle(), definitionOf('B-OTHER', { ...coffeeSet, bundleId: 'B-OTHER' })];
  const draft = definitionOf('BDL-COFFEE-SET', { ...coffeeSet, pricing: { type: 'AMOUNT_OFF', amount: '5' } });
  t.same(
    previewDefinitions(stored, [draft]).map((definition) => [definition.BundleID, definition.Pricing.Type]),
    [
      ['B-OTHER', 'FIXED'],
      ['BDL-COFFEE-SET', 'AMOUNT_OFF'],
    ],
    'a draft replaces its namesake',
  );
  t.same(
    previewDefinitions(stored, [draft], false).map((definition) => definition.BundleID),
    ['BDL-COFFEE-SET'],
    'or prices alone',
  );
});
