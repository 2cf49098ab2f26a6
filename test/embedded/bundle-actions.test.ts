/**
 * Bundle promotions through the query service of the embedded default: a definition written through the API
 * reaches the in-process pipeline's bundle table, the preview prices a basket exactly as the pipeline then prices
 * the order, and an edit or a deactivation changes the price of the next order. Orders are held before release
 * (OMNIA_RELEASE_HOLD_SECONDS) so nothing but pricing happens to them while the test reads them.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { apiClient, type Claims } from './api-client.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import { freePort } from '../free-port.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const client = (embedded: Embedded, claims: Claims) => apiClient<Json>(embedded, claims);

/** The basket of the test, as the preview takes it and as order lines: chips, noodles, water (with its own promo). */
const BASKET = [
  { itemId: 'SKU-105', quantity: 3, unitPrice: '22.0000', taxRate: '0.0700' },
  { itemId: 'SKU-106', quantity: 1, unitPrice: '15.0000' }, // the preview takes the catalog's rate
  { itemId: 'SKU-102', quantity: 2, unitPrice: '7.0000', taxRate: '0.0700', discounts: [{ type: 'Promo', amount: '1.0000' }] },
];
const FEE = [{ type: 'DeliveryFee', amount: '20.0000' }];

let orders = 0;
/** An order of store QC0001 with the basket's lines, created now. */
function basketOrder(): OrderCreate {
  const base = demoOrder(orders++, new Date(), { stores: 1, customers: 50, seed: 7, invalidShare: 0 });
  return {
    ...base,
    OrderID: `QC0001-BDL-${orders}`,
    CustomerID: null,
    Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
    OrderLines: BASKET.map((line, index) => ({
      LineID: String(index + 1),
      ItemID: line.itemId,
      ShipFromLocationID: 'QC0001',
      Quantity: line.quantity,
      UnitPrice: line.unitPrice,
      TaxRate: '0.0700',
      ShortDescription: null,
      ImageURL: null,
      Discounts: (line.discounts ?? []).map((discount) => ({ Type: discount.type, Amount: discount.amount })),
      InformationalTaxes: [],
      BundleID: null,
    })),
  };
}

const priced = (lines: Json[]) =>
  lines.map((line) => ({
    lineId: line.lineId,
    lineAmount: line.lineAmount,
    lineDiscount: line.lineDiscount,
    lineTax: line.lineTax,
    bundleGroupId: line.bundleGroupId,
  }));

t.test('bundles: create, read, preview = the pipeline’s price, edit, deactivate, activate; roles, bad input, idempotency', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), OMNIA_RELEASE_HOLD_SECONDS: '3600' },
  });
  t.teardown(() => embedded.stop());

  const manager = client(embedded, { sub: 'promo-anna', roles: ['bundle_manager'] });
  const clerkA = client(embedded, { sub: 'clerk-a', roles: ['store_staff'], stores: ['QC0001'] });
  const clerkB = client(embedded, { sub: 'clerk-b', roles: ['store_staff'], stores: ['QC0002'] });
  const coordinator = client(embedded, { sub: 'coord', roles: ['regional_coordinator'] });

  /** The preview of the basket now, and the order piped right after it, as GET /orders/:id shows it. */
  const previewAndOrder = async () => {
    const preview = await clerkA.post('/api/v1/bundles/preview', { store: 'QC0001', lines: BASKET, charges: FEE });
    t.equal(preview.status, 200, 'previewed');
    const order = basketOrder();
    await embedded.pipeOrder(order);
    const lookup = await clerkA.get(`/api/v1/orders/${order.OrderID}?store=QC0001`);
    t.equal(lookup.status, 200, 'the order is there');
    t.equal(lookup.body.order.status, 2000, 'priced, allocated and held');
    return { preview: preview.body, order: lookup.body.order };
  };
  const samePrice = (preview: Json, order: Json, what: string) => {
    t.same(order.totals, preview.totals, `${what}: the order's totals are the preview's, to the 4th decimal`);
    t.same(priced(order.lines), priced(preview.lines), `${what}: and so are its lines`);
  };

  // Create, as a bundle manager: 12.5 % off two bags of chips and a cup of noodles, at QC0001 only.
  const snack = {
    bundleId: 'B-SNACK',
    components: [
      { itemId: 'SKU-105', quantity: 2 },
      { itemId: 'SKU-106', quantity: 1 },
    ],
    pricing: { type: 'PERCENT_OFF', percent: '12.5' },
    locations: ['QC0001'],
    priority: 3,
  };
  const forbidden = await clerkA.post('/api/v1/bundles', snack);
  t.equal(forbidden.status, 403, 'store staff cannot create a bundle');
  t.equal(forbidden.body.error.code, 'FORBIDDEN');

  const created = await manager.post('/api/v1/bundles', snack, 'snack-1');
  t.equal(created.status, 202);
  t.match(created.body, { accepted: true, bundleId: 'B-SNACK', requestedBy: 'promo-anna' });
  t.ok(Date.parse(created.body.acceptedAt));

  // Idempotent: the same key and body replay the answer (a second create would be 409); another body is 422.
  const replayed = await manager.post('/api/v1/bundles', snack, 'snack-1');
  t.equal(replayed.status, 202);
  t.ok(replayed.replayed, 'marked as replayed');
  t.same(replayed.body, created.body, 'the same answer');
  const twice = await manager.post('/api/v1/bundles', snack);
  t.equal(twice.status, 409, 'without the key it is a second create');
  t.equal(twice.body.error.code, 'BUNDLE_EXISTS');
  const reused = await manager.post('/api/v1/bundles', { ...snack, priority: 4 }, 'snack-1');
  t.equal(reused.status, 422);
  t.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');

  // It is in the table: every role reads it, a store role only for its stores.
  const ids = (body: Json) => body.bundles.map((bundle: Json) => bundle.bundleId);
  t.same(ids((await clerkA.get('/api/v1/bundles')).body), ['B-BREAKFAST', 'B-LUNCH', 'B-SNACK'], 'with the demo bundles');
  t.same(ids((await clerkB.get('/api/v1/bundles')).body), ['B-BREAKFAST', 'B-LUNCH'], 'not at another store');
  const shown = await coordinator.get('/api/v1/bundles/B-SNACK');
  t.match(shown.body.bundle, {
    bundleId: 'B-SNACK',
    pricing: { type: 'PERCENT_OFF', percent: '12.5', price: null, amount: null },
    locations: ['QC0001'],
    priority: 3,
    status: 'ACTIVE',
    active: true,
    problem: null,
  });

  // Preview, then the order: the same price, the bundle's discount in it.
  const first = await previewAndOrder();
  t.match(first.preview.bundles, [{ bundleId: 'B-SNACK', count: 1, listValue: '59.0000', discount: '7.3750', draft: false }]);
  t.match(first.preview.totals, { subTotal: '95.0000', totalDiscount: '8.3750', totalCharges: '20.0000' });
  samePrice(first.preview, first.order, 'created');
  t.equal(first.order.lines[0].bundleGroupId, 'B-SNACK#1');

  // Edit: a fixed price instead; the next order is priced with it.
  t.equal((await coordinator.put('/api/v1/bundles/B-SNACK', snack)).status, 403, 'a coordinator reads, does not write');
  const edited = await manager.put('/api/v1/bundles/B-SNACK', { ...snack, bundleId: undefined, pricing: { type: 'FIXED', price: '50' } });
  t.equal(edited.status, 202);
  t.match((await manager.get('/api/v1/bundles/B-SNACK')).body.bundle.pricing, { type: 'FIXED', price: '50.0000', percent: null });
  const second = await previewAndOrder();
  t.match(second.preview.bundles, [{ bundleId: 'B-SNACK', discount: '9.0000' }]);
  samePrice(second.preview, second.order, 'edited');
  t.not(second.order.totals.orderTotal, first.order.totals.orderTotal, 'a new price');

  // Deactivate: the next order is priced without it.
  const deactivated = await manager.post('/api/v1/bundles/B-SNACK/deactivate', undefined, 'snack-off');
  t.equal(deactivated.status, 202);
  t.match((await manager.get('/api/v1/bundles/B-SNACK')).body.bundle, { status: 'INACTIVE', active: false });
  t.same(ids((await manager.get('/api/v1/bundles?active=false')).body), ['B-SNACK']);
  const third = await previewAndOrder();
  t.same(third.preview.bundles, [], 'no bundle in the preview');
  samePrice(third.preview, third.order, 'deactivated');
  t.equal(third.order.totals.totalDiscount, '1.0000', 'only the water’s own promo');
  t.ok(
    third.order.lines.every((line: Json) => line.bundleGroupId === null),
    'no line in a bundle',
  );
  t.equal((await manager.post('/api/v1/bundles/B-SNACK/deactivate')).body.error.code, 'BUNDLE_ALREADY_INACTIVE');

  // A draft previews a bundle before it exists; activating brings the stored one back.
  const draft = await clerkA.post('/api/v1/bundles/preview', {
    store: 'QC0001',
    lines: BASKET,
    charges: FEE,
    bundles: [{ ...snack, bundleId: 'B-SNACK-DRAFT', pricing: { type: 'AMOUNT_OFF', amount: '5' } }],
  });
  t.match(draft.body.bundles, [{ bundleId: 'B-SNACK-DRAFT', draft: true, discount: '5.0000' }]);
  t.equal((await manager.post('/api/v1/bundles/B-SNACK/activate')).status, 202);
  const fourth = await previewAndOrder();
  samePrice(fourth.preview, fourth.order, 'activated again');
  t.equal(fourth.order.totals.orderTotal, second.order.totals.orderTotal, 'priced as before the deactivation');

  // Bad input: every failing field in one answer.
  const bad = await manager.post('/api/v1/bundles', {
    bundleId: 'B BAD',
    components: [{ itemId: 'SKU-105', quantity: 0 }],
    pricing: { type: 'PERCENT_OFF', percent: '150' },
    activeFrom: '2026-12-31T00:00:00Z',
    activeTo: '2026-12-01T00:00:00Z',
  });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'VALIDATION_FAILED');
  t.same(
    bad.body.error.details.map((detail: Json) => detail.field).sort(),
    ['activeTo', 'bundleId', 'components.0.quantity', 'pricing.percent'],
    `each failing field: ${JSON.stringify(bad.body.error.details)}`,
  );
  const badPreview = await clerkA.post('/api/v1/bundles/preview', {
    store: 'QC0001',
    lines: [
      { itemId: 'SKU-105', quantity: 0, unitPrice: '22.00001' },
      { itemId: 'SKU-999', quantity: 1, unitPrice: '1.0000' },
    ],
  });
  t.equal(badPreview.status, 400);
  t.same(
    badPreview.body.error.details.map((detail: Json) => detail.field),
    ['lines.0.quantity', 'lines.0.unitPrice'],
  );
  t.equal((await clerkB.post('/api/v1/bundles/preview', { store: 'QC0001', lines: BASKET })).status, 404, 'another store’s basket');
});
