import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { loggerOptions } from '../../../observability/logger.js';
import { devToken } from '../../../query-service/app.js';
import { bearer, hs256, T0, testService, wrongSecurityHeaders } from './helpers.js';

/** A logger as the project's (its options), writing JSON lines into `lines`. */
function capturedLogger(level: 'debug' | 'info' | 'error' = 'info') {
  const lines: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino(loggerOptions(level), stream).child({ component: 'query-service' }), lines };
}

const auth = bearer(devToken(hs256, { roles: ['store_manager'], stores: ['S001'] }, T0));

t.test(
  'security headers (helmet) on every response: success, 401, 404, 429, 500, metrics and docs; nothing names the server',
  async (t) => {
    const { app } = testService({ rateLimit: { perSecond: 1, burst: 1 } });
    const limitedToken = bearer(devToken(hs256, { jti: 'limited' }, T0));
    await app.inject({ url: '/api/v1/orders/O-100', headers: limitedToken });
    const responses = {
      ok: await app.inject({ url: '/api/v1/orders/O-100', headers: auth }),
      unauthorized: await app.inject({ url: '/api/v1/orders/O-100' }),
      notFound: await app.inject({ url: '/nowhere' }),
      limited: await app.inject({ url: '/api/v1/orders/O-100', headers: limitedToken }),
      failed: await app.inject({ url: '/api/v1/boom', headers: auth }),
      metrics: await app.inject({ url: '/metrics' }),
    };
    t.equal(responses.limited.statusCode, 429);
    for (const [name, response] of Object.entries(responses)) {
      t.same(wrongSecurityHeaders(response.headers), [], `${name}: every security header`);
      t.equal(
        response.headers['content-security-policy'],
        "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
        `${name}: the API's strict policy`,
      );
      t.equal(response.headers['cache-control'], 'no-store', `${name}: not cached`);
      t.notOk(response.headers['x-powered-by'], `${name}: no X-Powered-By`);
      t.notOk(response.headers.server, `${name}: no Server`);
    }

    // The docs (Swagger UI) load their own scripts and styles, from this origin only.
    const docs = await app.inject({ url: '/docs' });
    t.equal(docs.statusCode, 200);
    t.match(docs.headers['content-type'], /^text\/html/);
    t.same(
      wrongSecurityHeaders(docs.headers).filter((name) => name !== 'content-security-policy'),
      [],
      'docs: the security headers',
    );
    const csp = String(docs.headers['content-security-policy']);
    t.match(csp, /script-src 'self';/);
    t.match(csp, /frame-ancestors 'none'/);
    t.notMatch(csp, /https?:|\*|unsafe/, 'no other origin, nothing inline');
    const sources = [...docs.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    t.ok(sources.length > 0);
    t.ok(
      sources.every((source) => source.startsWith('/docs/') || source.startsWith('./')),
      'every script and style of the page is served here',
    );
    const script = await app.inject({ url: sources.find((source) => source.endsWith('swagger-ui-bundle.js'))! });
    t.equal(script.statusCode, 200, 'Swagger UI’s own script is served without a token');
  },
);

t.test(
  'logging: the project logger; every request line has the request id, taken from x-request-id or generated, and sent back',
  async (t) => {
    const { logger, lines } = capturedLogger('debug');
    const { app } = testService({ logger });
    const given = await app.inject({ url: '/api/v1/orders/O-100', headers: { ...auth, 'x-request-id': 'edge-7f3a' } });
    t.equal(given.statusCode, 200);
    t.equal(given.headers['x-request-id'], 'edge-7f3a', 'an incoming id is kept and returned');
    const generated = await app.inject({ url: '/api/v1/orders/O-100', headers: auth });
    const id = String(generated.headers['x-request-id']);
    t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'one is generated otherwise');
    t.not((await app.inject({ url: '/api/v1/orders/O-100', headers: auth })).headers['x-request-id'], id, 'a new one per request');
    const refused = await app.inject({ url: '/api/v1/orders/O-100', headers: { 'x-request-id': 'edge-401' } });
    t.equal(refused.statusCode, 401);
    t.equal(refused.headers['x-request-id'], 'edge-401', 'a refused request has it too');

    const ofGiven = lines.filter((line) => line.reqId === 'edge-7f3a');
    t.ok(
      ofGiven.some((line) => line.msg === 'request done'),
      'the request’s lines carry its id',
    );
    t.ok(
      lines.some((line) => line.reqId === id),
      'so do those of a generated one',
    );
    const requestLines = lines.filter((line) => line.msg === 'request done');
    t.equal(requestLines.length, 4, 'one access line per request');
    t.ok(
      requestLines.every(
        (line) => typeof line.reqId === 'string' && line.component === 'query-service' && /^\d{4}-\d\d-\d\dT/.test(line.time),
      ),
      'every access line: the request id, the component, the project’s time format',
    );

    const failed = await app.inject({ url: '/api/v1/boom', headers: { ...auth, 'x-request-id': 'edge-500' } });
    t.equal(failed.statusCode, 500);
    const error = lines.find((line) => line.reqId === 'edge-500' && line.level === 'error');
    t.ok(error, 'a 5xx is logged as an error, with the request id');
    t.match(error?.err?.stack, /Error: connection to postgres.*\n\s+at /s, 'with its stack');
  },
);

t.test('an unknown route: 404 in the error shape', async (t) => {
  const { app } = testService();
  for (const [method, url] of [
    ['GET', '/nowhere'],
    ['POST', '/health/live'],
    ['DELETE', '/api/v1/orders/O-100'],
  ] as const) {
    const response = await app.inject({ method, url, headers: auth });
    t.equal(response.statusCode, 404, `${method} ${url}`);
    t.match(response.headers['content-type'], /^application\/json/);
    t.same(Object.keys(response.json()), ['error']);
    t.equal(response.json().error.code, 'NOT_FOUND');
  }
  const thrown = await app.inject({ url: '/api/v1/orders/missing', headers: auth });
  t.equal(thrown.statusCode, 404, 'a route’s own not-found');
  t.same(thrown.json(), { error: { code: 'NOT_FOUND', message: 'No order missing' } });
});

t.test('an invalid request: 400 VALIDATION_FAILED listing every failing field', async (t) => {
  const { app } = testService();
  const query = await app.inject({ url: '/api/v1/search?store=X1&status=5&limit=1000', headers: auth });
  t.equal(query.statusCode, 400);
  const { error } = query.json();
  t.equal(error.code, 'VALIDATION_FAILED');
  t.same(
    new Set(error.details.map((detail: { field: string }) => detail.field)),
    new Set(['store', 'status', 'limit']),
    'all three fields, not just the first',
  );
  t.ok(
    error.details.every((detail: { location: string; message: string }) => detail.location === 'querystring' && detail.message),
    'each with where and why',
  );
  t.match(error.message, /store/);

  const missing = await app.inject({ url: '/api/v1/search', headers: auth });
  t.same(
    missing.json().error.details.map((detail: { field: string }) => detail.field),
    ['store'],
    'a missing required field is named',
  );

  const params = await app.inject({ url: '/api/v1/orders/ab', headers: auth });
  t.equal(params.statusCode, 400);
  t.same(params.json().error.details, [{ location: 'params', field: 'orderId', message: 'must NOT have fewer than 3 characters' }]);

  const body = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: auth, payload: { text: 'x'.repeat(30) } });
  t.equal(body.statusCode, 400);
  t.same(new Set(body.json().error.details.map((detail: { field: string }) => detail.field)), new Set(['orderId', 'text']));

  const badJson = await app.inject({
    method: 'POST',
    url: '/api/v1/notes',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{"orderId":',
  });
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().error.code, 'BAD_REQUEST');

  const ok = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: auth, payload: { orderId: 'O-1', text: 'call back' } });
  t.equal(ok.statusCode, 201);
  t.same(ok.json(), { saved: true });
  const defaults = await app.inject({ url: '/api/v1/search?store=S001', headers: auth });
  t.equal(defaults.json().limit, 20, 'schema defaults apply');
});

t.test('a response that breaks its schema: 500 RESPONSE_INVALID, logged, never sent', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { app } = testService({ logger: pino({ level: 'error' }, stream) });
  const response = await app.inject({ url: '/api/v1/broken', headers: auth });
  t.equal(response.statusCode, 500);
  t.same(response.json(), {
    error: { code: 'RESPONSE_INVALID', message: 'The service produced a response that does not match its schema' },
  });
  t.notMatch(response.body, /4111|released|42/, 'nothing of the payload reaches the client');
  const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.details?.route === 'GET /api/v1/broken');
  t.ok(logged, 'the mismatch is logged with its route');
  t.equal(logged?.details.status, 200);
  t.ok(logged?.details.errors.length >= 2, 'with every schema error');

  const good = await app.inject({ url: '/api/v1/orders/O-100', headers: auth });
  t.equal(good.statusCode, 200, 'a matching response passes');
  t.same(good.json(), { OrderID: 'O-100', ShipFromLocationID: 'S001', status: 3000, viewer: 'dev' });
  const shared = await app.inject({ url: '/api/v1/stores/S001', headers: auth });
  t.equal(shared.statusCode, 200, 'a response schema referring to a shared schema validates');
  t.same(shared.json(), { id: 'S001' });

  const dated = await app.inject({ url: '/api/v1/dated', headers: auth });
  t.same(dated.json(), { at: '2026-11-21T09:00:00.000Z' }, 'a Date is checked as the string it is sent as');

  const coerced = await app.inject({ url: '/api/v1/coerced', headers: auth });
  t.equal(coerced.json().error?.code, 'RESPONSE_INVALID', 'a wrong type is caught, not coerced');
  const unchecked = testService({ validateResponses: false });
  t.same(
    (await unchecked.app.inject({ url: '/api/v1/coerced', headers: auth })).json().OrderID,
    '42',
    'without validation the serializer would have coerced it',
  );
});

t.test('an unexpected error: 500 INTERNAL_ERROR with no message, stack or detail of it', async (t) => {
  const { app } = testService();
  const response = await app.inject({ url: '/api/v1/boom', headers: auth });
  t.equal(response.statusCode, 500);
  t.same(response.json(), { error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
  t.notMatch(response.body, /hunter2|postgres|at |\.ts/);
});

t.test('health: live always; ready as the callback says, 503 with its reason', async (t) => {
  const { app, ready } = testService();
  t.same((await app.inject({ url: '/health/live' })).json(), { live: true });
  t.same((await app.inject({ url: '/health/ready' })).json(), { ready: true });
  ready.ready = false;
  ready.reason = 'restoring state of 3 tasks';
  const response = await app.inject({ url: '/health/ready' });
  t.equal(response.statusCode, 503);
  t.same(response.json(), { ready: false, reason: 'restoring state of 3 tasks' });
});

t.test('metrics: the registry passed in, with request durations by route pattern, method and status', async (t) => {
  const { app, registry } = testService();
  const { Counter } = await import('prom-client');
  new Counter({ name: 'omnia_test_things_total', help: 'things', registers: [registry] }).inc(3);
  await app.inject({ url: '/api/v1/orders/O-100', headers: auth });
  await app.inject({ url: '/api/v1/orders/O-200', headers: auth });
  await app.inject({ url: '/api/v1/orders/O-200' });
  await app.inject({ url: '/no/such/thing' });
  const response = await app.inject({ url: '/metrics' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^text\/plain/);
  t.match(response.body, /omnia_test_things_total 3/);
  t.match(
    response.body,
    /omnia_query_http_request_duration_seconds_count\{route="\/api\/v1\/orders\/:orderId",method="GET",status="200"\} 2/,
  );
  t.match(
    response.body,
    /omnia_query_http_request_duration_seconds_count\{route="\/api\/v1\/orders\/:orderId",method="GET",status="401"\} 1/,
  );
  t.match(response.body, /route="unmatched",method="GET",status="404"/, 'unknown paths share one label');
  t.match(response.body, /omnia_query_auth_refused_total\{code="TOKEN_MISSING"\} 1/);
  t.match(response.body, /^process_cpu_user_seconds_total \d/m, 'Node’s default metrics');
  t.match(response.body, /^nodejs_eventloop_lag_seconds /m);
  testService({ registry });
  t.pass('a second service on the same registry reuses its metrics, default ones included');
  t.equal((await registry.metrics()).match(/^# TYPE process_cpu_user_seconds_total/gm)?.length, 1, 'registered once');
});
