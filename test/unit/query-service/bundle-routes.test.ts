/**
 * The bundle routes over an in-memory table and a publisher that records what it is given: roles, store scope,
 * the record written (key, value, headers), idempotency, every failing field in one 400, the OpenAPI entries.
 */
import t from 'tap';
import { devToken } from '../../../query-service/app.js';
import { type BundleCatalog, CatalogUnavailable } from '../../../query-service/bundle-catalog.js';
import { definitionOf } from '../../../query-service/bundle-definitions.js';
import { bundleRoutes } from '../../../query-service/bundle-routes.js';
import type { PublishRecord } from '../../../connectors/webhook-publisher.js';
import type { BundleDefinition, Product } from '../../../processors/domain/types.js';
import { bearer, hs256, T0, testService } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOPIC = 'staging.bundle.definition.v1';

function harness(options: { unavailable?: boolean } = {}) {
  const table = new Map<string, BundleDefinition>();
  const products = new Map<string, Product>([
    ['SKU-100', { ItemID: 'SKU-100', ShortDescription: null, ImageURL: null, UnitPrice: '35.5000', TaxRate: '0.0700' }],
  ]);
  const sent: PublishRecord[] = [];
  const guard = () => {
    if (options.unavailable) throw new CatalogUnavailable('bundles');
  };
  const catalog: BundleCatalog = {
    all: async () => (guard(), [...table.values()]),
    get: async (bundleId) => (guard(), table.get(bundleId)),
    product: async (itemId) => (guard(), products.get(itemId)),
  };
  const routes = bundleRoutes({
    catalog,
    // As the pipeline would: the table holds what was written.
    publisher: {
      publish: async (record) => {
        sent.push(record);
        const definition = JSON.parse(record.value.toString()) as BundleDefinition;
        table.set(record.key, definition);
        return { partition: 0 };
      },
    },
    bundleTopic: TOPIC,
    encode: (bundle) => Buffer.from(JSON.stringify(bundle)),
    now: () => T0,
  });
  const { app } = testService({ routes: [routes] });
  const as = (claims: { sub?: string; roles: string[]; stores?: string[] }) => {
    const headers = bearer(devToken(hs256, claims, T0));
    return {
      get: (url: string) => app.inject({ url: `/api/v1${url}`, headers }),
      post: (url: string, payload?: unknown, key?: string) =>
        app.inject({
          method: 'POST',
          url: `/api/v1${url}`,
          headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
          payload: payload as Json,
        }),
      put: (url: string, payload: unknown) => app.inject({ method: 'PUT', url: `/api/v1${url}`, headers, payload: payload as Json }),
    };
  };
  return { app, table, sent, as };
}

const breakfast = {
  bundleId: 'B-MORNING',
  components: [
    { itemId: 'SKU-100', quantity: 1 },
    { itemId: 'SKU-101', quantity: 2 },
  ],
  pricing: { type: 'AMOUNT_OFF', amount: '10' },
  locations: ['QC0001'],
  priority: 3,
};

t.test('create: bundle managers and admins only; the record keyed by BundleID, the actor in a header; 409 when taken', async (t) => {
  const { sent, as } = harness();
  const clerk = as({ sub: 'clerk', roles: ['store_staff'], stores: ['QC0001'] });
  const coordinator = as({ sub: 'coord', roles: ['regional_coordinator'] });
  const manager = as({ sub: 'promo-anna', roles: ['bundle_manager'] });

  for (const [who, client] of [
    ['store staff', clerk],
    ['a coordinator', coordinator],
  ] as const) {
    const refused = await client.post('/bundles', breakfast);
    t.equal(refused.statusCode, 403, `${who}: 403`);
    t.equal(refused.json().error.code, 'FORBIDDEN');
  }
  t.equal((await clerk.post('/bundles', { bundleId: '' })).statusCode, 403, 'the role is checked before the body');
  t.equal(sent.length, 0);

  const created = await manager.post('/bundles', breakfast);
  t.equal(created.statusCode, 202);
  t.match(created.json(), { accepted: true, bundleId: 'B-MORNING', requestedBy: 'promo-anna', acceptedAt: new Date(T0).toISOString() });
  t.equal(sent.length, 1);
  const [record] = sent as [PublishRecord];
  t.equal(record.topic, TOPIC);
  t.equal(record.key, 'B-MORNING', 'keyed by BundleID, as the global table is');
  t.same(record.headers, {
    'omnia-command-id': created.json().commandId,
    'omnia-requested-by': 'promo-anna',
    'omnia-requested-role': 'bundle_manager',
  });
  t.same(JSON.parse(record.value.toString()), {
    BundleID: 'B-MORNING',
    Components: [
      { ItemID: 'SKU-100', Quantity: 1 },
      { ItemID: 'SKU-101', Quantity: 2 },
    ],
    Pricing: { Type: 'AMOUNT_OFF', Price: null, Percent: null, Amount: '10.0000' },
    ActiveFrom: null,
    ActiveTo: null,
    Locations: ['QC0001'],
    Priority: 3,
  });

  const taken = await as({ sub: 'root', roles: ['admin'] }).post('/bundles', breakfast);
  t.equal(taken.statusCode, 409, 'an admin writes too; the id is taken');
  t.equal(taken.json().error.code, 'BUNDLE_EXISTS');
});

t.test('idempotency: the same key and body give the same answer and one record; another body is 422', async (t) => {
  const { sent, as } = harness();
  const manager = as({ sub: 'promo-anna', roles: ['bundle_manager'] });
  const first = await manager.post('/bundles', breakfast, 'create-1');
  const again = await manager.post('/bundles', breakfast, 'create-1');
  t.equal(again.statusCode, 202);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.same(again.json(), first.json());
  t.equal(sent.length, 1, 'one record');
  const other = await manager.post('/bundles', { ...breakfast, priority: 4 }, 'create-1');
  t.equal(other.statusCode, 422);
  t.equal(other.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
});

t.test('bad input: every failing field in one 400, schema and cross-field alike; no coercion', async (t) => {
  const { sent, as } = harness();
  const manager = as({ roles: ['bundle_manager'] });
  const bad = await manager.post('/bundles', {
    bundleId: 'has spaces',
    components: [{ itemId: '', quantity: 0 }],
    pricing: { type: 'FIXED', price: 55, percent: '10' },
    activeFrom: '2026-12-01T00:00:00Z',
    activeTo: '2026-11-01T00:00:00Z',
    locations: ['QC0001', 'QC0001'],
    priority: 1.5,
    colour: 'red',
  });
  t.equal(bad.statusCode, 400);
  const error = bad.json().error;
  t.equal(error.code, 'VALIDATION_FAILED');
  const fields = new Set(error.details.map((detail: Json) => detail.field));
  for (const field of [
    'bundleId',
    'components.0.itemId',
    'components.0.quantity',
    'pricing.price',
    'pricing.percent',
    'activeTo',
    'locations',
    'priority',
    'colour',
  ])
    t.ok(fields.has(field), `${field} is listed`);
  t.match(error.message, /^Invalid body: /);
  t.equal(sent.length, 0);

  const percent = await manager.post('/bundles', { ...breakfast, pricing: { type: 'PERCENT_OFF', percent: '100.5' } });
  t.equal(percent.statusCode, 400, 'a percent above 100');
  const decimals = await manager.post('/bundles', { ...breakfast, pricing: { type: 'AMOUNT_OFF', amount: '1.23456' } });
  t.equal(decimals.statusCode, 400, 'money with 5 decimals');
  const offset = await manager.post('/bundles', { ...breakfast, activeFrom: '2026-11-21T09:00:00+07:00' });
  t.equal(offset.statusCode, 400, 'a timestamp not in UTC');
  const none = await manager.post('/bundles', { ...breakfast, components: [] });
  t.same(
    none.json().error.details.map((detail: Json) => detail.field),
    ['components'],
    'no components',
  );
});

t.test('edit, activate, deactivate: the window written, the refusals', async (t) => {
  const { table, sent, as } = harness();
  const manager = as({ sub: 'promo-anna', roles: ['bundle_manager'] });
  t.equal((await manager.put('/bundles/B-MORNING', breakfast)).statusCode, 404, 'edit: no such bundle');
  await manager.post('/bundles', breakfast);

  const renamed = await manager.put('/bundles/B-MORNING', { ...breakfast, bundleId: 'B-EVENING' });
  t.equal(renamed.statusCode, 400);
  t.same(
    renamed.json().error.details.map((detail: Json) => detail.field),
    ['bundleId'],
  );
  const edited = await manager.put('/bundles/B-MORNING', { components: breakfast.components, pricing: { type: 'FIXED', price: '49.5' } });
  t.equal(edited.statusCode, 202);
  t.same(table.get('B-MORNING')!.Pricing, { Type: 'FIXED', Price: '49.5000', Percent: null, Amount: null });
  t.same(table.get('B-MORNING')!.Locations, [], 'a full replacement: what is left out takes its default');

  const now = new Date(T0).toISOString();
  t.equal((await manager.post('/bundles/B-MORNING/activate')).json().error.code, 'BUNDLE_ALREADY_ACTIVE');
  t.equal((await manager.post('/bundles/B-MORNING/deactivate')).statusCode, 202);
  t.same([table.get('B-MORNING')!.ActiveFrom, table.get('B-MORNING')!.ActiveTo], [null, now], 'deactivate: the window ends now');
  t.equal((await manager.post('/bundles/B-MORNING/deactivate')).json().error.code, 'BUNDLE_ALREADY_INACTIVE');
  t.equal((await manager.post('/bundles/B-MORNING/activate')).statusCode, 202);
  t.same([table.get('B-MORNING')!.ActiveFrom, table.get('B-MORNING')!.ActiveTo], [now, null], 'activate: from now, open-ended');
  t.equal((await manager.post('/bundles/NOPE/activate')).statusCode, 404);

  table.set('B-BROKEN', {
    ...definitionOf('B-BROKEN', breakfast as never),
    Pricing: { Type: 'FIXED', Price: null, Percent: null, Amount: null },
  });
  const broken = await manager.post('/bundles/B-BROKEN/activate');
  t.equal(broken.statusCode, 409);
  t.equal(broken.json().error.code, 'BUNDLE_INVALID');
  t.equal(sent.length, 4, 'create, edit, deactivate, activate');
  t.equal((await as({ roles: ['store_manager'], stores: ['QC0001'] }).post('/bundles/B-MORNING/deactivate')).statusCode, 403);
});

t.test('reading: every role; a store role sees its stores’ bundles and the all-store ones; filters', async (t) => {
  const { table, as } = harness();
  const put = (definition: BundleDefinition) => table.set(definition.BundleID, definition);
  put(definitionOf('B-1', { ...breakfast, locations: ['QC0001'] } as never));
  put(definitionOf('B-2', { ...breakfast, locations: ['QC0002'] } as never));
  put(definitionOf('B-ALL', { ...breakfast, locations: [] } as never));
  put(definitionOf('B-ENDED', { ...breakfast, locations: [], activeTo: '2026-01-01T00:00:00Z' } as never));
  const ids = async (client: ReturnType<typeof as>, url: string) =>
    (await client.get(url)).json().bundles.map((bundle: Json) => bundle.bundleId);

  const clerk = as({ roles: ['store_staff'], stores: ['QC0001'] });
  t.same(await ids(clerk, '/bundles'), ['B-1', 'B-ALL', 'B-ENDED']);
  t.same(await ids(clerk, '/bundles?store=QC0002'), [], 'another store: nothing');
  t.same(await ids(clerk, '/bundles?active=false'), ['B-ENDED']);
  t.equal((await clerk.get('/bundles/B-2')).statusCode, 404, 'another store’s bundle does not exist for it');
  t.match((await clerk.get('/bundles/B-1')).json().bundle, { bundleId: 'B-1', status: 'ACTIVE', active: true, problem: null });

  const manager = as({ roles: ['bundle_manager'] });
  t.same(await ids(manager, '/bundles'), ['B-1', 'B-2', 'B-ALL', 'B-ENDED']);
  t.same(await ids(manager, '/bundles?store=QC0002&active=true'), ['B-2', 'B-ALL']);
  t.equal((await manager.get('/bundles?active=yes')).statusCode, 400);
});

t.test('preview: store scope, the catalog’s tax rate, drafts', async (t) => {
  const { as } = harness();
  const clerk = as({ roles: ['store_staff'], stores: ['QC0001'] });
  const basket = {
    store: 'QC0001',
    at: '2026-11-21T09:00:00Z',
    lines: [
      { itemId: 'SKU-100', quantity: 1, unitPrice: '35.5000' },
      { itemId: 'SKU-101', quantity: 2, unitPrice: '29.0000', taxRate: '0.0700' },
    ],
  };
  const plain = await clerk.post('/bundles/preview', basket);
  t.equal(plain.statusCode, 200);
  t.match(plain.json(), { priced: true, totals: { subTotal: '93.5000', totalDiscount: '0.0000', totalTaxes: '6.5450' }, bundles: [] });
  t.equal(plain.json().lines[0].taxRate, '0.0700', 'the catalog’s rate');

  const drafted = await clerk.post('/bundles/preview', { ...basket, bundles: [breakfast] });
  t.equal(drafted.statusCode, 200);
  t.match(drafted.json(), {
    totals: { totalDiscount: '10.0000', totalTaxes: '5.8450', orderTotal: '89.3450' },
    bundles: [{ bundleId: 'B-MORNING', draft: true }],
  });

  t.equal((await clerk.post('/bundles/preview', { ...basket, store: 'QC0002' })).statusCode, 404, 'another store');
  const unknown = await clerk.post('/bundles/preview', { ...basket, lines: [{ itemId: 'SKU-999', quantity: 1, unitPrice: '1' }] });
  t.equal(unknown.statusCode, 400);
  t.same(
    unknown.json().error.details.map((detail: Json) => detail.field),
    ['lines.0.taxRate'],
  );
  const bad = await clerk.post('/bundles/preview', {
    store: 'QC0001',
    lines: [{ itemId: 'SKU-100', quantity: '2', unitPrice: 35.5 }],
    bundles: [{ ...breakfast, pricing: { type: 'FIXED' } }],
  });
  t.same(
    bad.json().error.details.map((detail: Json) => detail.field),
    ['lines.0.quantity', 'lines.0.unitPrice', 'bundles.0.pricing.price'],
  );
});

t.test('the tables not loaded yet: 503 to retry', async (t) => {
  const { as } = harness({ unavailable: true });
  const response = await as({ roles: ['admin'] }).get('/bundles');
  t.equal(response.statusCode, 503);
  t.equal(response.json().error.code, 'BUNDLES_UNAVAILABLE');
  t.equal(response.headers['retry-after'], '2');
});

t.test('the OpenAPI document: every bundle route under the bundles tag, with its answers', async (t) => {
  const { app } = harness();
  const document: Json = (await app.inject({ url: '/docs/openapi.json' })).json();
  const operations = [
    ['/api/v1/bundles', 'get', '200'],
    ['/api/v1/bundles', 'post', '202'],
    ['/api/v1/bundles/{bundleId}', 'get', '200'],
    ['/api/v1/bundles/{bundleId}', 'put', '202'],
    ['/api/v1/bundles/{bundleId}/activate', 'post', '202'],
    ['/api/v1/bundles/{bundleId}/deactivate', 'post', '202'],
    ['/api/v1/bundles/preview', 'post', '200'],
  ] as const;
  for (const [path, method, ok] of operations) {
    const operation = document.paths[path]?.[method];
    if (!t.ok(operation, `${method.toUpperCase()} ${path}`)) continue;
    t.same(operation.tags, ['bundles']);
    t.ok(operation.responses[ok], `its ${ok}`);
    t.same(operation.security, [{ bearerAuth: [] }]);
  }
});
