import t from 'tap';
import { openApiPath } from '../../../query-service/openapi.js';
import { testService } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function documentOf(): Promise<Json> {
  const { app } = testService();
  const response = await app.inject({ url: '/docs/openapi.json' });
  t.equal(response.statusCode, 200);
  return response.json();
}

t.test('the document is OpenAPI 3.1 with bearer auth, generated from the routes', async (t) => {
  const document = await documentOf();
  t.equal(document.openapi, '3.1.0');
  t.equal(document.info.title, 'Omnia query service');
  t.same(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  t.same(
    Object.keys(document.paths).sort(),
    ['/api/v1/boom', '/api/v1/broken', '/api/v1/coerced', '/api/v1/dated', '/api/v1/notes', '/api/v1/orders/{orderId}', '/api/v1/search', '/api/v1/stores/{storeId}', '/api/v1/whoami', '/health/live', '/health/ready', '/metrics'],
    'every route, :params as {params}; the docs routes hide themselves',
  );
  t.notOk(Object.values(document.paths).some((item) => 'head' in (item as Json)), 'no HEAD duplicates');
});

t.test('an operation: summary, tags, path parameters, responses with their schemas, bearer security and the standard errors', async (t) => {
  const operation = (await documentOf()).paths['/api/v1/orders/{orderId}'].get;
  t.equal(operation.summary, 'One order by id');
  t.same(operation.tags, ['orders']);
  t.equal(operation.operationId, 'getApiV1OrdersOrderId');
  t.same(operation.parameters, [{ name: 'orderId', in: 'path', required: true, description: 'The OrderID', schema: { type: 'string', minLength: 3 } }]);
  t.same(operation.security, [{ bearerAuth: [] }]);
  const ok = operation.responses['200'];
  t.equal(ok.description, 'OK');
  t.same(ok.content['application/json'].schema.required, ['OrderID', 'ShipFromLocationID', 'status']);
  t.same(ok.content['application/json'].schema.properties.status, { type: 'integer' });
  t.same(operation.responses['404'].content['application/json'].schema.required, ['error'], 'the route’s own 404 schema');
  for (const status of ['400', '401', '403', '429', '500']) t.match(operation.responses[status], { $ref: /^#\/components\/responses\// }, `${status} documented`);
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

t.test('shared schemas become components, and $refs point there', async (t) => {
  const document = await documentOf();
  t.same(document.paths['/api/v1/stores/{storeId}'].get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/store' });
  t.same(document.components.schemas.store, { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' } } });
  t.ok(document.components.schemas.Error, 'the error shape');
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

t.test('/docs is a plain HTML index of the operations', async (t) => {
  const { app } = testService();
  const response = await app.inject({ url: '/docs' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^text\/html/);
  t.match(response.body, /href="\/docs\/openapi.json"/);
  t.match(response.body, /<td>GET<\/td><td><code>\/api\/v1\/orders\/\{orderId\}<\/code><\/td><td>One order by id<\/td><td>bearer token<\/td>/);
});

t.test('paths: params, regex params, wildcards and prefix trailing slashes', async (t) => {
  t.equal(openApiPath('/api/v1/orders/:orderId'), '/api/v1/orders/{orderId}');
  t.equal(openApiPath('/api/v1/stores/:storeId/orders/:orderId'), '/api/v1/stores/{storeId}/orders/{orderId}');
  t.equal(openApiPath('/api/v1/items/:id(^\\d+$)'), '/api/v1/items/{id}');
  t.equal(openApiPath('/api/v1/'), '/api/v1');
  t.equal(openApiPath('/static/*'), '/static/{wildcard}');
  t.equal(openApiPath('/'), '/');
});
