import t from 'tap';
import type { BundleView } from '../../../web/src/api-types.js';
import {
  basketOfComponents,
  bundleRequest,
  emptyForm,
  formFieldOf,
  formOf,
  instantOf,
  localTimeOf,
  PREVIEW_DRAFT_ID,
  previewRequest,
  saveBody,
  splitLocations,
  type BundleForm,
} from '../../../web/src/logic/bundles.js';
import { canWriteBundles, worksOnBundlesOnly } from '../../../web/src/logic/claims.js';

/** Bangkok: seven hours east of UTC, no daylight saving. */
const BANGKOK = () => 420;

const view = (change: Partial<BundleView> = {}): BundleView => ({
  bundleId: 'B-SNACK',
  components: [
    { itemId: 'SKU-105', quantity: 2 },
    { itemId: 'SKU-106', quantity: 1 },
  ],
  pricing: { type: 'FIXED', price: '49.0000', percent: null, amount: null },
  activeFrom: '2026-12-01T02:15:30.250Z',
  activeTo: null,
  locations: ['QC0001', 'QC0002'],
  priority: 3,
  status: 'ACTIVE',
  active: true,
  problem: null,
  ...change,
});

const filled = (change: Partial<BundleForm> = {}): BundleForm => ({
  ...emptyForm(),
  bundleId: 'B-SNACK',
  components: [
    { itemId: ' SKU-105 ', quantity: '2' },
    { itemId: 'SKU-106', quantity: '1' },
    { itemId: '', quantity: '1' },
  ],
  price: '49',
  ...change,
});

t.test('local time and UTC, at the zone’s offset', async (t) => {
  t.equal(instantOf('2026-12-06T16:00', BANGKOK), '2026-12-06T09:00:00.000Z');
  t.equal(instantOf('2026-12-06T03:30', BANGKOK), '2026-12-05T20:30:00.000Z', 'the day before in UTC');
  t.equal(instantOf('2026-02-30T10:00', BANGKOK), undefined, 'not a real day');
  t.equal(instantOf('2026-12-06', BANGKOK), undefined);
  t.equal(localTimeOf('2026-12-06T09:00:00.000Z', BANGKOK), '2026-12-06T16:00');
  t.equal(localTimeOf('2026-12-31T20:00:00Z', BANGKOK), '2027-01-01T03:00', 'into the next year');
  t.equal(localTimeOf('nonsense', BANGKOK), '');
});

t.test('a bundle as the form shows it, and back unchanged', async (t) => {
  const form = formOf(view(), BANGKOK);
  t.match(form, {
    bundleId: 'B-SNACK',
    components: [
      { itemId: 'SKU-105', quantity: '2' },
      { itemId: 'SKU-106', quantity: '1' },
    ],
    pricingType: 'FIXED',
    price: '49.0000',
    activeFrom: '2026-12-01T09:15',
    activeTo: '',
    scope: 'stores',
    locations: 'QC0001, QC0002',
    priority: '3',
  });
  const { input, problems } = bundleRequest(form, BANGKOK);
  t.same(problems, []);
  t.same(
    input,
    {
      bundleId: 'B-SNACK',
      components: [
        { itemId: 'SKU-105', quantity: 2 },
        { itemId: 'SKU-106', quantity: 1 },
      ],
      pricing: { type: 'FIXED', price: '49.0000' },
      activeFrom: '2026-12-01T02:15:30.250Z',
      activeTo: null,
      locations: ['QC0001', 'QC0002'],
      priority: 3,
    },
    'an untouched window bound goes back to the millisecond',
  );
  const moved = bundleRequest({ ...form, activeFrom: '2026-12-01T10:00' }, BANGKOK).input;
  t.equal(moved.activeFrom, '2026-12-01T03:00:00.000Z', 'a changed one is the new minute');
  const edited = saveBody(input, 'edit');
  t.notOk('bundleId' in edited, 'an edit names the bundle in the path only');
  t.same(edited.components, input.components);
  t.equal(saveBody(input, 'create').bundleId, 'B-SNACK');
});

t.test('only the pricing field of the type is sent, as typed', async (t) => {
  const base = filled({ price: '49', percent: '15', amount: '10.5' });
  t.same(bundleRequest(base, BANGKOK).input.pricing, { type: 'FIXED', price: '49' });
  t.same(bundleRequest({ ...base, pricingType: 'PERCENT_OFF' }, BANGKOK).input.pricing, { type: 'PERCENT_OFF', percent: '15' });
  t.same(bundleRequest({ ...base, pricingType: 'AMOUNT_OFF' }, BANGKOK).input.pricing, { type: 'AMOUNT_OFF', amount: '10.5' });
  t.same(
    bundleRequest(filled(), BANGKOK).input.components,
    [
      { itemId: 'SKU-105', quantity: 2 },
      { itemId: 'SKU-106', quantity: 1 },
    ],
    'item ids trimmed, the empty row left out',
  );
  t.same(bundleRequest(filled(), BANGKOK).input.locations, [], 'all stores');
});

t.test('what the form refuses, field by field', async (t) => {
  const keys = (form: BundleForm) => bundleRequest(form, BANGKOK).problems.map((problem) => `${problem.field}:${problem.key}`);
  t.same(keys(filled()), []);
  t.same(keys(filled({ bundleId: '' })), ['bundleId:bundleId.required']);
  t.same(keys(filled({ bundleId: 'has space' })), ['bundleId:bundleId.format']);
  t.same(keys(filled({ bundleId: 'x'.repeat(51) })), ['bundleId:bundleId.format']);
  t.same(keys(filled({ components: [{ itemId: '', quantity: '1' }] })), ['components:components.none']);
  t.same(
    keys(
      filled({
        components: [
          { itemId: 'SKU-1', quantity: '0' },
          { itemId: 'SKU-2', quantity: '1.5' },
        ],
      }),
    ),
    ['components.0.quantity:quantity', 'components.1.quantity:quantity'],
  );
  t.same(keys(filled({ components: [{ itemId: 'x'.repeat(51), quantity: '1' }] })), ['components.0.itemId:itemId.tooLong']);
  t.same(keys(filled({ components: Array.from({ length: 51 }, (_, i) => ({ itemId: `SKU-${i}`, quantity: '1' })) })), [
    'components:components.tooMany',
  ]);
  t.same(keys(filled({ price: '' })), ['pricing:price']);
  t.same(keys(filled({ price: '49.12345' })), ['pricing:price']);
  t.same(keys(filled({ pricingType: 'PERCENT_OFF', percent: '100.5' })), ['pricing:percent']);
  t.same(keys(filled({ pricingType: 'PERCENT_OFF', percent: '100' })), []);
  t.same(keys(filled({ pricingType: 'PERCENT_OFF', percent: '12.5' })), []);
  t.same(keys(filled({ pricingType: 'AMOUNT_OFF', amount: '-1' })), ['pricing:amount']);
  t.same(keys(filled({ activeFrom: '2026-12-06T16:00', activeTo: '2026-12-06T16:00' })), ['activeTo:window.order']);
  t.same(keys(filled({ activeFrom: '2026-13-01T10:00' })), ['activeFrom:window.format']);
  t.same(keys(filled({ scope: 'stores', locations: ' , ' })), ['locations:locations.none']);
  t.same(keys(filled({ scope: 'stores', locations: 'x'.repeat(51) })), ['locations:locations.format']);
  t.same(keys(filled({ priority: '1.5' })), ['priority:priority']);
  t.same(keys(filled({ priority: '' })), [], 'no priority: 0');
  t.same(keys(filled({ priority: '-7' })), []);
});

t.test('a preview needs no id yet', async (t) => {
  const { input, problems } = bundleRequest(filled({ bundleId: '' }), BANGKOK, true);
  t.same(problems, []);
  t.equal(input.bundleId, PREVIEW_DRAFT_ID);
  t.same(
    bundleRequest(filled({ bundleId: 'bad id' }), BANGKOK, true).problems.map((problem) => problem.key),
    ['bundleId.format'],
    'a wrong one is still wrong',
  );
});

t.test('store ids and the service’s field names', async (t) => {
  t.same(splitLocations(' QC0001, QC0002\nQC0001  QC0003,'), ['QC0001', 'QC0002', 'QC0003']);
  t.equal(formFieldOf('pricing.price'), 'pricing');
  t.equal(formFieldOf('locations.3'), 'locations');
  t.equal(formFieldOf('components.2.quantity'), 'components.2.quantity');
  t.equal(formFieldOf('components'), 'components');
  t.equal(formFieldOf('activeTo'), 'activeTo');
  t.equal(formFieldOf('(root)'), '(root)');
});

t.test('the preview basket', async (t) => {
  const draft = bundleRequest(filled(), BANGKOK).input;
  const basket = {
    store: ' QC0001 ',
    lines: [
      { itemId: 'SKU-105', quantity: '2', unitPrice: '22.00' },
      { itemId: ' SKU-106', quantity: '1', unitPrice: '15' },
      { itemId: '', quantity: '1', unitPrice: '' },
    ],
    deliveryFee: '20',
  };
  t.same(previewRequest(basket, draft), {
    body: {
      store: 'QC0001',
      lines: [
        { itemId: 'SKU-105', quantity: 2, unitPrice: '22.00' },
        { itemId: 'SKU-106', quantity: 1, unitPrice: '15' },
      ],
      charges: [{ type: 'DeliveryFee', amount: '20' }],
      bundles: [draft],
    },
    problems: [],
  });
  t.notOk('charges' in previewRequest({ ...basket, deliveryFee: '' }, draft).body!, 'no fee, no charge');
  t.notOk('bundles' in previewRequest(basket, undefined).body!, 'no draft: the stored bundles alone');
  const wrong = previewRequest(
    {
      store: '',
      lines: [
        { itemId: '', quantity: '0', unitPrice: '1.23456' },
        { itemId: 'SKU-1', quantity: '1', unitPrice: '' },
      ],
      deliveryFee: 'free',
    },
    draft,
  );
  t.equal(wrong.body, undefined);
  t.same(
    wrong.problems.map((problem) => `${problem.field}:${problem.key}`),
    [
      'store:store',
      'lines.0.itemId:itemId',
      'lines.0.quantity:quantity',
      'lines.0.unitPrice:unitPrice',
      'lines.1.unitPrice:unitPrice',
      'deliveryFee:deliveryFee',
    ],
  );
  t.same(previewRequest({ ...basket, lines: [{ itemId: '', quantity: '1', unitPrice: '' }] }, draft).problems, [
    { field: 'lines', key: 'empty' },
  ]);
});

t.test('the basket filled from the bundle keeps the prices typed', async (t) => {
  t.same(
    basketOfComponents(
      [
        { itemId: 'SKU-105', quantity: '2' },
        { itemId: ' SKU-106 ', quantity: '' },
        { itemId: '', quantity: '1' },
      ],
      [{ itemId: 'SKU-105', quantity: '9', unitPrice: '22.00' }],
    ),
    [
      { itemId: 'SKU-105', quantity: '2', unitPrice: '22.00' },
      { itemId: 'SKU-106', quantity: '1', unitPrice: '' },
    ],
  );
  t.same(basketOfComponents([], []), [{ itemId: '', quantity: '1', unitPrice: '' }]);
});

t.test('who changes bundles, and who sees only them', async (t) => {
  const claims = (...roles: string[]) => ({ roles });
  t.ok(canWriteBundles(claims('bundle_manager')));
  t.ok(canWriteBundles(claims('admin')));
  t.notOk(canWriteBundles(claims('store_manager')));
  t.notOk(canWriteBundles(claims('regional_coordinator')));
  t.ok(worksOnBundlesOnly(claims('bundle_manager')), 'no order role: the app opens on the bundles');
  t.notOk(worksOnBundlesOnly(claims('bundle_manager', 'store_manager')));
  t.notOk(worksOnBundlesOnly(claims('bundle_manager', 'regional_coordinator')));
  t.notOk(worksOnBundlesOnly(claims('store_staff')));
});
