/**
 * The catalog item search over an in-memory table: matching by ID prefix and by name (Thai included), the order of
 * the answer, limits, every failing field in one 400, roles, the table not loaded yet, the rate limit and the
 * OpenAPI entry.
 */
import t from 'tap';
import { devToken } from '../../../query-service/app.js';
import { type BundleCatalog, CatalogUnavailable } from '../../../query-service/bundle-catalog.js';
import { catalogRoutes, folded, itemCatalogOf, searchCatalog } from '../../../query-service/catalog-routes.js';
import type { Product } from '../../../processors/domain/types.js';
import { bearer, hs256, T0, testService } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const product = (ItemID: string, ShortDescription: string | null, UnitPrice = '10.0000'): Product => ({
  ItemID,
  ShortDescription,
  ImageURL: null,
  UnitPrice,
  TaxRate: '0.0700',
});

const PRODUCTS: Product[] = [
  product('SKU-100', 'Iced coffee 250 ml', '35.5000'),
  product('SKU-101', 'Butter croissant', '29.0000'),
  product('SKU-105', 'Potato chips 50 g', '22.0000'),
  product('SKU-106', 'Instant noodles cup', '15.0000'),
  product('SKU-1050', 'Chips and dip'),
  product('TH-200', 'น้ำดื่ม 600 มล.', '7.0000'),
  product('TH-201', 'กาแฟเย็น\u200bแก้วใหญ่', '45.0000'),
  product('TH-202', 'ข้าวมันไก่', '50.0000'),
  product('ZZ-1', null),
];

function harness(options: { unavailable?: boolean; products?: Product[]; rateLimit?: { perSecond: number; burst: number } } = {}) {
  const products = options.products ?? PRODUCTS;
  let reads = 0;
  const routes = catalogRoutes({
    catalog: {
      products: async () => {
        reads++;
        if (options.unavailable) throw new CatalogUnavailable('catalog');
        return products;
      },
    },
  });
  const { app } = testService({ routes: [routes], ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}) });
  const as = (claims: { sub?: string; roles: string[]; stores?: string[] }) => {
    const headers = bearer(devToken(hs256, claims, T0));
    return (query: string) => app.inject({ url: `/api/v1/catalog/items${query}`, headers });
  };
  return { app, as, reads: () => reads };
}

const ids = (answer: Json): string[] => answer.items.map((item: Json) => item.itemId);

t.test('by ItemID prefix, case-insensitive: the exact ID first, then the others by ID', async (t) => {
  const search = harness().as({ roles: ['bundle_manager'] });
  const response = await search('?q=sku-105');
  t.equal(response.statusCode, 200);
  t.same(response.json(), {
    items: [
      { itemId: 'SKU-105', description: 'Potato chips 50 g', unitPrice: '22.0000', taxRate: '0.0700' },
      { itemId: 'SKU-1050', description: 'Chips and dip', unitPrice: '10.0000', taxRate: '0.0700' },
    ],
    more: false,
  });
  t.same(ids((await search('?q=SKU-1')).json()), ['SKU-100', 'SKU-101', 'SKU-105', 'SKU-1050', 'SKU-106'], 'every SKU-1…, by ID');
  t.same(ids((await search('?q=05')).json()), [], 'an ID is matched at its start only');
});

t.test('by name: every word, anywhere; names that start with it or whose words start with it first', async (t) => {
  const search = harness().as({ roles: ['admin'] });
  t.same(ids((await search('?q=CHIPS')).json()), ['SKU-1050', 'SKU-105'], 'a name that starts with it, then a word that does');
  t.same(ids((await search('?q=chips%20potato')).json()), ['SKU-105'], 'every word, in any order');
  t.same(ids((await search('?q=offee')).json()), ['SKU-100'], 'inside a word too');
  t.same(ids((await search('?q=%20%20iced%20%20%20coffee%20')).json()), ['SKU-100'], 'spaces around and between words do not matter');
  t.same(ids((await search('?q=tea')).json()), [], 'nothing matches');
});

t.test('Thai: by any part of the name, whatever the spelling of ำ and the invisible spaces', async (t) => {
  const search = harness().as({ roles: ['bundle_manager'] });
  const thai = async (q: string) => ids((await search(`?q=${encodeURIComponent(q)}`)).json());
  t.same(await thai('น้ำ'), ['TH-200'], 'the start of a name');
  t.same(await thai('มันไก่'), ['TH-202'], 'inside a name written without spaces');
  t.same(await thai('น\u0e49\u0e4d\u0e32'), ['TH-200'], 'ำ typed as nikhahit and sara aa');
  t.same(await thai('เย็นแก้ว'), ['TH-201'], 'across a zero-width space in the catalog');
  t.same(await thai('กาแฟ แก้วใหญ่'), ['TH-201'], 'two words');
  t.equal(folded('ＳＫＵ－１０５'), 'sku-105', 'full-width Latin as ASCII');
});

t.test('limit: default 20, at most 50, `more` when others match', async (t) => {
  const many = Array.from({ length: 60 }, (_, n) => product(`SKU-${String(n).padStart(3, '0')}`, `Snack ${n}`));
  const search = harness({ products: many }).as({ roles: ['bundle_manager'] });
  const first = (await search('?q=snack')).json();
  t.equal(first.items.length, 20, 'default 20');
  t.equal(first.more, true);
  t.same(ids(first).slice(0, 2), ['SKU-000', 'SKU-001'], 'by ID within a class');
  const most = (await search('?q=snack&limit=50')).json();
  t.equal(most.items.length, 50);
  t.equal(most.more, true);
  const exact = (await search('?q=snack 5&limit=2')).json();
  t.same(ids(exact), ['SKU-005', 'SKU-050'], 'every word, each at a word start');
  const all = (await search('?q=sku-05&limit=10')).json();
  t.same(all, { items: all.items, more: false });
  t.equal(all.items.length, 10, 'SKU-050 to SKU-059');
});

t.test('bad input: every failing field in one 400', async (t) => {
  const search = harness().as({ roles: ['bundle_manager'] });
  const fields = async (query: string) => {
    const response = await search(query);
    t.equal(response.statusCode, 400, query);
    t.equal(response.json().error.code, 'VALIDATION_FAILED');
    // A field that breaks two rules (empty: too short and no character) is listed once per rule.
    return [...new Set<string>(response.json().error.details.map((detail: Json) => `${detail.location}:${detail.field}`))].sort();
  };
  t.same(await fields(''), ['querystring:q'], 'q is required');
  t.same(await fields('?q=%20%20'), ['querystring:q'], 'spaces only');
  t.same(await fields(`?q=${'x'.repeat(101)}`), ['querystring:q'], 'at most 100 characters');
  t.same(
    await fields('?q=&limit=0&store=QC0001'),
    ['querystring:limit', 'querystring:q', 'querystring:store'],
    'all at once, an unknown one too',
  );
  t.same(await fields('?q=a&limit=51'), ['querystring:limit']);
  t.same(await fields('?q=a&limit=ten'), ['querystring:limit']);
  t.same(await fields('?q=a&q=b'), ['querystring:q'], 'one q');
});

t.test('roles: those who edit bundles and every other role that reads them; no token, 401', async (t) => {
  const { as, app } = harness();
  for (const roles of [['bundle_manager'], ['admin'], ['store_staff'], ['store_manager'], ['regional_coordinator']]) {
    const response = await as({ roles, stores: ['QC0001'] })('?q=sku');
    t.equal(response.statusCode, 200, roles.join());
  }
  const anonymous = await app.inject({ url: '/api/v1/catalog/items?q=sku' });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().error.code, 'TOKEN_MISSING');
});

t.test('the table not loaded yet: 503 to retry', async (t) => {
  const response = await harness({ unavailable: true }).as({ roles: ['bundle_manager'] })('?q=sku');
  t.equal(response.statusCode, 503);
  t.equal(response.json().error.code, 'CATALOG_UNAVAILABLE');
  t.equal(response.headers['retry-after'], '2');
});

t.test('rate-limited per token, as every route', async (t) => {
  const search = harness({ rateLimit: { perSecond: 1, burst: 2 } }).as({ sub: 'promo', roles: ['bundle_manager'] });
  t.equal((await search('?q=sku')).statusCode, 200);
  const second = await search('?q=sku');
  t.equal(second.statusCode, 200);
  t.equal(second.headers['ratelimit-limit'], '2');
  const third = await search('?q=sku');
  t.equal(third.statusCode, 429);
  t.equal(third.json().error.code, 'RATE_LIMITED');
});

t.test('the index is built once per table state; a new state is searched anew', async (t) => {
  const before = [product('A-1', 'Old name')];
  t.same(ids(searchCatalog(before, 'old', 20)), ['A-1']);
  t.same(ids(searchCatalog(before, 'old', 20)), ['A-1']);
  const after = [product('A-1', 'New name')];
  t.same(ids(searchCatalog(after, 'old', 20)), [], 'a changed table is a new array');
  t.same(ids(searchCatalog(after, 'new', 20)), ['A-1']);
  t.same(searchCatalog(after, '\u200b', 20), { items: [], more: false }, 'nothing left to search for');
});

t.test('the bundle table’s catalog gives the search its products when it has them', async (t) => {
  const base: BundleCatalog = { all: async () => [], get: async () => undefined, product: async () => undefined };
  t.equal(itemCatalogOf(base), undefined, 'none: no route');
  const items = itemCatalogOf({ ...base, products: async () => PRODUCTS });
  t.same(await items?.products(), PRODUCTS);
});

t.test('the OpenAPI document: the route under the catalog tag, its parameters and answers', async (t) => {
  const { app } = harness();
  const document: Json = (await app.inject({ url: '/docs/openapi.json' })).json();
  const operation = document.paths['/api/v1/catalog/items']?.get;
  if (!t.ok(operation, 'GET /api/v1/catalog/items')) return;
  t.same(operation.tags, ['catalog']);
  t.equal(operation.operationId, 'getApiV1CatalogItems');
  t.same(operation.security, [{ bearerAuth: [] }]);
  t.same(
    operation.parameters.map((parameter: Json) => [parameter.name, parameter.in, parameter.required]),
    [
      ['q', 'query', true],
      ['limit', 'query', false],
    ],
  );
  t.match(operation.parameters[1].schema, { type: 'integer', minimum: 1, maximum: 50, default: 20 });
  t.same(operation.responses['200'].content['application/json'].schema.required, ['items', 'more']);
  for (const status of ['400', '401', '403', '429', '500', '503']) t.ok(operation.responses[status], `its ${status}`);
});
