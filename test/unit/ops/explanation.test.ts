// `omnia explain`'s pure part, on orders the whole topology priced in the driver: the recomputation agrees with the
// stored pricing and the release to the 4th decimal, says which bundle table it used, and says why when it differs.
import t from 'tap';
import { serdeConfig } from '../../../avro/config.js';
import { explain, pricedAt, renderExplanation, sameAmount, type ExplainInputs } from '../../../ops/explanation.js';
import { DEFAULT_COD_CONFIG } from '../../../processors/domain/cod.js';
import type { BundleDefinition, OrderLine, Release } from '../../../processors/domain/types.js';
import type { OrderState } from '../../../processors/order-state.js';
import { InProcessRuntime } from '../../../runtime/in-process-runtime.js';
import { loadOrderConfig } from '../../../topology/order-config.js';
import { orderSerdes } from '../../../topology/order-serdes.js';
import { orderTopology } from '../../../topology/order-topology.js';
import { Stores, Topics } from '../../../topology/topics.js';
import { customer, line, order } from '../domain/fixtures.js';

const CREATED = Date.parse('2026-11-21T09:15:00Z');

const breakfast = (price: string): BundleDefinition => ({
  BundleID: 'B-BREAKFAST',
  Components: [
    { ItemID: 'SKU-100', Quantity: 1 },
    { ItemID: 'SKU-101', Quantity: 1 },
  ],
  Pricing: { Type: 'FIXED', Price: price, Percent: null, Amount: null },
  ActiveFrom: null,
  ActiveTo: null,
  Locations: [],
  Priority: 0,
});

/** The order of docs/contract.md §6's example (2 coffee, 1 croissant, FIXED 69.0000), run through the topology. */
async function priced(extra: OrderLine[] = []): Promise<{ state: OrderState; release: Release; driver: InProcessRuntime }> {
  const driver = new InProcessRuntime(orderTopology(loadOrderConfig({}), orderSerdes(serdeConfig({}))), { startTime: CREATED });
  const send = (topic: string, key: string, value: unknown) =>
    driver.pipeRaw(topic, Buffer.from(key), Buffer.from(JSON.stringify(value)), { timestamp: driver.now });
  await send(Topics.customers, 'C-1001', customer());
  await send(Topics.bundles, 'B-BREAKFAST', breakfast('69.0000'));
  await send(
    Topics.orderCreate,
    'QC0042',
    order({
      OrderLines: [
        line({ LineID: '1', ItemID: 'SKU-100', Quantity: 2, UnitPrice: '35.5000', Discounts: [], InformationalTaxes: [] }),
        line({
          LineID: '2',
          ItemID: 'SKU-101',
          Quantity: 1,
          UnitPrice: '45.0000',
          Discounts: [{ Type: 'Promo', Amount: '1.0000' }],
          InformationalTaxes: [{ Type: 'VATIncluded', Amount: '2.9400' }],
        }),
        ...extra,
      ],
    }),
  );
  const state = (await driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get('QC0042-000123'))!;
  const release = JSON.parse(driver.output.find((record) => record.topic === Topics.release)!.value!.toString()) as Release;
  return { state, release, driver };
}

const inputs = (state: OrderState, release: Release, overrides: Partial<ExplainInputs> = {}): ExplainInputs => ({
  stored: { state, source: 'orders changelog p0@1', owner: 'omnia-a' },
  bundlesAtPricing: [breakfast('69.0000')],
  bundlesNow: [breakfast('69.0000')],
  bundleChangesSince: [],
  customer: customer(),
  cod: DEFAULT_COD_CONFIG,
  release: { source: 'order.release.v1 p0', totals: release },
  ...overrides,
});

t.test('a released order: every step re-run agrees with the stored totals and the release to the 4th decimal', async (t) => {
  const { state, release } = await priced();
  const x = explain(inputs(state, release));
  t.equal(x.verdict, 'AGREES');
  t.same(x.reasons, []);
  t.ok(x.validation.every((rule) => rule.passed));
  t.equal(x.validation.length, 11, 'every rule of ORDER_RULES');
  t.match(x.pricing.instances, [
    {
      bundleId: 'B-BREAKFAST',
      instances: 'B-BREAKFAST#1',
      listValue: '80.5000',
      discount: '11.5000',
      pricing: 'FIXED price 69.0000: D = L − price = 11.5000',
      lines: [
        { lineId: '1', units: 1, weight: '35.5000', exact: '5.071428…', share: '5.0714' },
        { lineId: '2', units: 1, weight: '45.0000', exact: '6.428571…', share: '6.4286' },
      ],
    },
  ]);
  t.match(x.pricing.lines, [
    { lineId: '1', amount: '71.0000', bundleShare: '5.0714', discount: '5.0714', taxExact: '4.615002', tax: '4.6150' },
    {
      lineId: '2',
      amount: '45.0000',
      ownDiscount: '1.0000',
      bundleShare: '6.4286',
      discount: '7.4286',
      taxExact: '2.629998',
      tax: '2.6300',
    },
  ]);
  t.same(
    x.pricing.totals.map((step) => [step.cal, step.value]),
    [
      ['A', '116.0000'],
      ['D', '12.5000'],
      ['E', '7.2450'],
      ['F', '2.9400'],
      ['B', '20.0000'],
      ['C', '130.7450'],
    ],
  );
  t.equal(x.pricing.totals[5]!.formula, 'A − D + E + B = 116.0000 − 12.5000 + 7.2450 + 20.0000 = 130.7450');
  for (const row of x.comparison) {
    t.ok(row.equal, `${row.name}`);
    t.ok(sameAmount(row.recomputed, release[row.name]), `${row.name} = the release's`);
  }
  t.ok(x.cod.accepted);
  const text = renderExplanation(x);
  t.match(
    text.split('\n')[1],
    /AGREES: recomputed totals equal the stored totals and release REL-QC0042-000123 to the 4th decimal \(OrderTotal 130\.7450\)/,
  );
  t.match(text, /line 1: 11\.5000 × 35\.5000 \/ 80\.5000 = 5\.071428… → 5\.0714/);
  t.match(text, /tax \(71\.0000 − 5\.0714\) × 0\.0700 = 4\.615002 → 4\.6150/);
});

t.test('the bundle table changed since: the table as of pricing reproduces it; without it, DIFFERS and why', async (t) => {
  const { state, release } = await priced();
  const later = [{ bundleId: 'B-BREAKFAST', at: '2026-11-21T10:00:00.000Z' }];
  const rebuilt = explain(inputs(state, release, { bundlesNow: [breakfast('60.0000')], bundleChangesSince: later }));
  t.equal(rebuilt.verdict, 'AGREES', 'the table as it was when the order was priced');
  t.match(rebuilt.pricing.bundleTable, /as of 2026-11-21T09:15:00\.000Z, when the order was priced/);

  // Compacted away: the definitions the order was priced with are gone, today's is all there is.
  const lost = explain(inputs(state, release, { bundlesAtPricing: null, bundlesNow: [breakfast('60.0000')], bundleChangesSince: later }));
  t.equal(lost.verdict, 'DIFFERS');
  t.same(lost.reasons.slice(0, 5), [
    'the bundle table as of the pricing time could not be rebuilt; today’s is used',
    'D TotalDiscount: recomputed 21.5000, stored 12.5000',
    'E TotalTaxes: recomputed 6.6150, stored 7.2450',
    'C OrderTotal: recomputed 121.1150, stored 130.7450',
    'line 1 LineDiscount: recomputed 9.0404, stored 5.0714',
  ]);
  t.match(lost.reasons.at(-1), /bundle definitions changed after the order was priced: B-BREAKFAST \(2026-11-21T10:00:00\.000Z\)/);
  t.match(
    renderExplanation(lost),
    /DIFFERS: the recomputation does not equal the stored totals and release REL-QC0042-000123[\s\S]*C OrderTotal +121\.1150 +130\.7450 +130\.7450 +DIFFERS/,
  );

  const bad = explain(inputs(state, release, { release: { source: 'x', totals: { ...release, OrderTotal: '130.7451' } } }));
  t.equal(bad.verdict, 'DIFFERS', 'a release one ten-thousandth off differs');
  t.match(bad.reasons, [/C OrderTotal: the release carried 130\.7451, the stored order 130\.7450/]);
  t.equal(
    explain(inputs(state, release, { release: undefined })).reasons.at(-1),
    'the order was released but its release record was not found (order.release.v1 retention, or no DATABASE_URL)',
  );
});

t.test('reference data gone since: a rule that fails now is shown, and said', async (t) => {
  const { state, release } = await priced();
  const x = explain(inputs(state, release, { customer: null }));
  const g = x.validation.find((rule) => rule.rule.startsWith('G'))!;
  t.notOk(g.passed);
  t.match(g.errors, [{ Code: 'UNKNOWN_CUSTOMER' }]);
  t.match(x.reasons, [/reference data it depends on changed since/]);
  t.match(renderExplanation(x), /FAIL {2}G {2}CustomerID, when given: in customer\.profile\.v1\n {8}UNKNOWN_CUSTOMER CustomerID/);
});

t.test('after a short: the repricing with the kept shares is re-run; the release is shown beside it', async (t) => {
  const { release, driver } = await priced([
    line({ LineID: '3', ItemID: 'SKU-105', Quantity: 2, UnitPrice: '22.0000', Discounts: [], InformationalTaxes: [] }),
  ]);
  await driver.pipeRaw(
    Topics.shipEvent,
    Buffer.from('QC0042'),
    Buffer.from(
      JSON.stringify({
        EventID: 'SLK-1',
        OrderID: 'QC0042-000123',
        ShipFromLocationID: 'QC0042',
        EventType: 'short',
        At: '2026-11-21T09:20:00Z',
        Lines: [{ LineID: '3', ItemID: 'SKU-105', Quantity: 1 }],
      }),
    ),
    { timestamp: driver.now },
  );
  const state = (await driver.store<{ get(key: string): Promise<OrderState | undefined> }>(Stores.orders).get('QC0042-000123'))!;
  t.equal(state.ShortedLines.length, 1, 'one unit of line 3 shorted');
  const x = explain(inputs(state, release));
  t.equal(x.pricing.mode, 'repriced');
  t.equal(x.verdict, 'AGREES', 'the stored lines and totals are what the repricing gives');
  t.match(x.pricing.bundleTable, /not formed again/);
  t.match(x.reasons, [
    new RegExp(
      `a short or substitution after release repriced the order: the release carried OrderTotal ${release.OrderTotal}, the order now ${state.Totals!.OrderTotal}`,
    ),
  ]);
  t.not(state.Totals!.OrderTotal, release.OrderTotal);
  t.match(renderExplanation(x), /line 1 keeps its share 5\.0714 \(group B-BREAKFAST#1\)/);
});

t.test('the pricing time: the VALIDATED entry, or the last MODIFIED one', async (t) => {
  const { state } = await priced();
  t.equal(pricedAt(state), state.History[0]!.At);
  const modified = {
    ...state,
    History: [
      ...state.History,
      { From: 2000, To: 2000, Reason: 'MODIFIED: customer asked', Source: 'update', At: '2026-11-21T09:30:00Z', Actor: 'clerk' },
    ],
  } as OrderState;
  t.equal(pricedAt(modified), '2026-11-21T09:30:00Z');
  t.ok(sameAmount('35.5', '35.5000'));
  t.notOk(sameAmount('35.5001', '35.5000'));
  t.ok(sameAmount(null, null));
  t.notOk(sameAmount('1.0000', null));
});
