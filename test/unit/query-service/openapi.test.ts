import type { RouteOptions } from 'fastify';
import { Registry } from 'prom-client';
import t from 'tap';
import type { SqlDatabase } from '../../../postgres/sql.js';
import type { RoutePlugin } from '../../../query-service/app.js';
import { eventsRoutes } from '../../../query-service/events-routes.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { lowStockRoutes } from '../../../query-service/low-stock-routes.js';
import { orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { pipelineRoutes } from '../../../query-service/pipeline-routes.js';
import { reconciliationRoutes } from '../../../query-service/reconciliation-routes.js';
import { searchRoutes } from '../../../query-service/search-routes.js';
import { StatusFeed } from '../../../query-service/status-feed.js';
import { testService } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function documentOf(): Promise<Json> {
  const { app } = testService();
  const response = await app.inject({ url: '/docs/openapi.json' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  return response.json();
}

t.test('the document is OpenAPI 3.1 with bearer auth, generated from the routes', async (t) => {
  const document = await documentOf();
  t.equal(document.openapi, '3.1.0');
  t.equal(document.info.title, 'Omnia query service');
  t.same(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  t.same(
    Object.keys(document.paths).sort(),
    [
      '/api/v1/boom',
      '/api/v1/broken',
      '/api/v1/coerced',
      '/api/v1/dated',
      '/api/v1/notes',
      '/api/v1/orders/{orderId}',
      '/api/v1/search',
      '/api/v1/stores/{storeId}',
      '/api/v1/whoami',
      '/health/live',
      '/health/ready',
      '/metrics',
    ],
    'every route, :params as {params}; the docs routes hide themselves',
  );
  t.notOk(
    Object.values(document.paths).some((item) => 'head' in (item as Json)),
    'no HEAD duplicates',
  );
  const { app } = testService();
  t.same((await app.inject({ url: '/docs/json' })).json(), document, 'Swagger UI reads the same document at /docs/json');
});

t.test('an operation: summary, tags, path parameters, responses with their schemas, bearer security and the standard errors', async (t) => {
  const operation = (await documentOf()).paths['/api/v1/orders/{orderId}'].get;
  t.equal(operation.summary, 'One order by id');
  t.same(operation.tags, ['orders']);
  t.equal(operation.operationId, 'getApiV1OrdersOrderId');
  t.same(operation.parameters, [
    { name: 'orderId', in: 'path', required: true, description: 'The OrderID', schema: { type: 'string', minLength: 3 } },
  ]);
  t.same(operation.security, [{ bearerAuth: [] }]);
  const ok = operation.responses['200'];
  t.equal(ok.description, 'OK');
  t.same(ok.content['application/json'].schema.required, ['OrderID', 'ShipFromLocationID', 'status']);
  t.same(ok.content['application/json'].schema.properties.status, { type: 'integer' });
  t.same(operation.responses['404'].content['application/json'].schema.required, ['error'], 'the route’s own 404 schema');
  for (const status of ['400', '401', '403', '429', '500', '503'])
    t.match(operation.responses[status], { $ref: /^#\/components\/responses\// }, `${status} documented`);
  const document = await documentOf();
  t.match(document.components.responses.Unavailable.description, /retry/i, '503: a dependency does not answer, retry');
  t.notOk(document.paths['/health/live'].get.responses['503'], 'an open route that needs nothing is not said to answer 503');
});

t.test('query parameters with required, enum, bounds and defaults; a request body', async (t) => {
  const document = await documentOf();
  const search = document.paths['/api/v1/search'].get;
  t.same(
    search.parameters.map((parameter: Json) => [parameter.name, parameter.in, parameter.required]),
    [
      ['store', 'query', true],
      ['status', 'query', false],
      ['limit', 'query', false],
    ],
  );
  t.same(search.parameters[0].schema, { type: 'string', pattern: '^S\\d{3}$' });
  t.same(search.parameters[1].schema.enum, [1000, 2000, 3000]);
  t.same(search.parameters[2].schema, { type: 'integer', minimum: 1, maximum: 100, default: 20 });
  t.equal(search.responses['200'].content['application/json'].schema.properties.items.type, 'array');

  const notes = document.paths['/api/v1/notes'].post;
  t.equal(notes.requestBody.required, true);
  t.same(notes.requestBody.content['application/json'].schema.required, ['orderId', 'text']);
  t.ok(notes.responses['201'], 'a 201 response');
});

t.test('shared schemas become components named by their $id, and $refs point there', async (t) => {
  const document = await documentOf();
  t.same(document.paths['/api/v1/stores/{storeId}'].get.responses['200'].content['application/json'].schema, {
    $ref: '#/components/schemas/store',
  });
  t.match(document.components.schemas.store, {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' }, name: { type: 'string' } },
  });
  t.match(document.components.schemas.Error, { required: ['error'] }, 'the error shape');
  for (const name of ['ValidationFailed', 'Unauthorized', 'Forbidden', 'RateLimited', 'InternalError']) {
    t.same(
      document.components.responses[name].content['application/json'].schema,
      { $ref: '#/components/schemas/Error' },
      `${name}: the error shape`,
    );
  }
  t.notMatch(JSON.stringify(document), /"\$id"/, 'no $id left to change how $refs resolve');
});

t.test('open routes are documented as open', async (t) => {
  const document = await documentOf();
  for (const path of ['/health/live', '/health/ready', '/metrics']) {
    t.same(document.paths[path].get.security, [], `${path} needs no token`);
    t.notOk(document.paths[path].get.responses['401'], `${path} has no 401`);
  }
  t.same(document.paths['/health/ready'].get.responses['503'].content['application/json'].schema.required, ['ready']);
});

/** Fastify's `/a/:b` as OpenAPI's `/a/{b}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

t.test('the service’s own routes: every one is in the document, with each response its schema declares', async (t) => {
  const declared: RouteOptions[] = [];
  const watched =
    (plugin: RoutePlugin): RoutePlugin =>
    async (app) => {
      app.addHook('onRoute', (route) => void declared.push(route));
      await plugin(app);
    };
  const registry = new Registry();
  const db = {} as SqlDatabase; // no route queries while the document is built
  const local = {} as LocalOrders;
  const feed = new StatusFeed({ registry, log: () => undefined });
  const routes = [
    orderLookupRoutes({ local, db }),
    searchRoutes(db),
    pipelineRoutes(db),
    reconciliationRoutes(db),
    lowStockRoutes(db),
    eventsRoutes(feed),
  ].map(watched);
  const { app } = testService({ registry, routes });
  const document: Json = (await app.inject({ url: '/docs/openapi.json' })).json();

  const operations = declared.flatMap((route) => [route.method].flat().map((method) => ({ method: method.toLowerCase(), route })));
  const documented = operations.filter(({ method, route }) => method !== 'head' && (route.schema as Json | undefined)?.hide !== true);
  for (const { method, route } of documented) {
    const name = `${method.toUpperCase()} ${route.url}`;
    const operation = document.paths[openApiPath(route.url)]?.[method];
    if (!t.ok(operation, `${name} is documented`)) continue;
    t.same(operation.security, [{ bearerAuth: [] }], `${name} needs the bearer token`);
    for (const status of Object.keys((route.schema as Json | undefined)?.response ?? {})) {
      t.ok(operation.responses[status], `${name}: its ${status}`);
      const declaredSchema = (route.schema as Json).response[status];
      if (declaredSchema?.content === undefined && operation.responses[status]?.content) {
        t.ok(operation.responses[status].content['application/json']?.schema, `${name}: its ${status} with a schema`);
      }
    }
    for (const status of ['401', '403', '429', '500']) t.ok(operation.responses[status], `${name}: ${status}`);
  }
  t.same(
    documented.map(({ method, route }) => `${method.toUpperCase()} ${route.url}`).sort(),
    [
      'GET /api/v1/events',
      'GET /api/v1/low-stock',
      'GET /api/v1/orders',
      'GET /api/v1/orders/:orderId',
      'GET /api/v1/region/pipeline',
      'GET /api/v1/region/reconciliation',
      'GET /api/v1/releases/awaiting-slick',
      'GET /api/v1/stores/:id/low-stock',
      'GET /api/v1/stores/:id/pipeline',
      'GET /api/v1/stores/:id/reconciliation',
    ],
    'the routes of query-service/README.md',
  );
  t.same(
    Object.keys(document.paths)
      .filter((path) => !path.startsWith('/api/'))
      .sort(),
    ['/health/live', '/health/ready', '/metrics'],
    'and the open ones',
  );
  const every = Object.values(document.paths as Record<string, Json>).flatMap((item) => Object.values(item)) as Json[];
  t.ok(
    every.every((operation) => Object.keys(operation.responses).some((status) => /^2/.test(status))),
    'every operation has its success response',
  );
});
