/**
 * OMNIA_ADMIN_PORT: /metrics and the API docs on a port of their own. The public port answers them 404 exactly as
 * a path that does not exist; the admin port serves them and the health checks, and nothing of the API. Unset,
 * they stay on the public port. Over real sockets: the gate tells the ports apart by the server a request came in on.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { type Logger, loggerOptions } from '../../../observability/logger.js';
import type { SqlDatabase } from '../../../postgres/sql.js';
import { probeReplica } from '../../../ops/replica-probe.js';
import { listenAdminPort } from '../../../query-service/admin-port.js';
import { devToken } from '../../../query-service/app.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { startQueryService } from '../../../query-service/service.js';
import { freePort } from '../../free-port.js';
import { bearer, hs256, SECRET, T0, testService, wrongSecurityHeaders } from './helpers.js';

const auth = bearer(devToken(hs256, { roles: ['admin'] }, T0));

async function both(t: Test) {
  const { app } = testService({ adminPort: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await listenAdminPort(app, { host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const publicUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const adminUrl = `http://127.0.0.1:${admin.port}`;
  return { app, publicUrl, adminUrl };
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
};

t.test('the public port answers /metrics and /docs 404, as a path that does not exist; the API and health as before', async (t) => {
  const { publicUrl } = await both(t);
  const unknown = await get(`${publicUrl}/nowhere`);
  t.same(wrongSecurityHeaders(Object.fromEntries(unknown.headers)), [], 'the security headers');
  for (const path of ['/metrics', '/docs', '/docs/json', '/docs/openapi.json', '/docs/static/index.html', '/%6Detrics']) {
    const answer = await get(publicUrl + path);
    t.equal(answer.status, 404, `${path}: 404`);
    t.same(JSON.parse(answer.body), { error: { code: 'NOT_FOUND', message: `No route GET ${path}` } }, `${path}: the not-found answer`);
    t.same(
      { ...Object.fromEntries(answer.headers), 'x-request-id': '', date: '', 'content-length': '' },
      { ...Object.fromEntries(unknown.headers), 'x-request-id': '', date: '', 'content-length': '' },
      `${path}: the headers of a path that does not exist`,
    );
  }
  t.equal((await get(`${publicUrl}/api/v1/orders/O-100`, auth)).status, 200, 'the API is served');
  t.equal((await get(`${publicUrl}/api/v1/orders/O-100`)).status, 401, 'and still wants a token');
  t.equal((await get(`${publicUrl}/health/live`)).status, 200, 'the kubelet probes the public port');
  t.equal((await get(`${publicUrl}/health/ready`)).status, 200);
});

t.test('the admin port serves /metrics, the docs and the health checks, and 404 to anything of the API', async (t) => {
  const { adminUrl, publicUrl } = await both(t);
  await get(`${publicUrl}/api/v1/orders/O-100`, auth);
  const metrics = await get(`${adminUrl}/metrics`);
  t.equal(metrics.status, 200);
  t.match(metrics.headers.get('content-type'), /^text\/plain/);
  t.match(
    metrics.body,
    /omnia_query_http_request_duration_seconds_count\{route="\/api\/v1\/orders\/:orderId",method="GET",status="200"\} 1/,
  );
  const docs = await get(`${adminUrl}/docs/json`);
  t.equal(docs.status, 200);
  t.ok(JSON.parse(docs.body).paths['/api/v1/orders/{orderId}'], 'the docs describe the public port’s API');
  t.equal((await get(`${adminUrl}/docs`)).status, 200, 'Swagger UI');
  t.equal((await get(`${adminUrl}/health/ready`)).status, 200);
  t.equal((await get(`${adminUrl}/%6Detrics`)).status, 200, 'the route matched decides, not the URL as sent');
  for (const path of ['/api/v1/orders/O-100', '/api/v1/nowhere', '/nowhere']) {
    for (const headers of [{}, auth]) {
      const answer = await get(adminUrl + path, headers);
      t.same(
        [answer.status, JSON.parse(answer.body).error.code],
        [404, 'NOT_FOUND'],
        `${path} ${Object.keys(headers).length ? 'with' : 'without'} a token: 404, not the API`,
      );
    }
  }
});

t.test('the store web app is the public port’s; the admin port answers 404 for its pages and paths', async (t) => {
  const root = t.testdir({ 'index.html': '<!doctype html><title>Omnia</title>' });
  const { app } = testService({ adminPort: true, webApp: root });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await listenAdminPort(app, { host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const publicUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.equal((await get(`${publicUrl}/`)).status, 200);
  t.equal((await get(`${publicUrl}/orders/O-1`)).status, 200, 'the app’s own paths fall back to its page');
  for (const path of ['/', '/index.html', '/orders/O-1'])
    t.same([(await get(`http://127.0.0.1:${admin.port}${path}`)).status], [404], `admin port ${path}: 404`);
});

t.test('omnia status reads each replica’s /metrics on the admin port of the host its endpoint names', async (t) => {
  const { app, adminUrl } = await both(t);
  const endpoint = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const adminPort = Number(new URL(adminUrl).port);
  t.match(await probeReplica(endpoint, 2_000, adminPort), { endpoint, reachable: true, ready: true });
  t.match(
    await probeReplica(endpoint, 2_000),
    { reachable: false, error: `http://${endpoint}/metrics answered HTTP 404` },
    'not at the endpoint itself',
  );
});

t.test('without an admin port, /metrics and /docs stay on the service’s port', async (t) => {
  const { app } = testService();
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 200);
  t.equal((await app.inject({ url: '/docs/json' })).statusCode, 200);
  await t.rejects(listenAdminPort(app, { host: '127.0.0.1', port: 0 }), /built without an admin port/);
});

t.test('closing the service closes the admin port, Prometheus’ kept-alive connection included', async (t) => {
  const { app } = testService({ adminPort: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await listenAdminPort(app, { host: '127.0.0.1', port: 0 });
  t.equal((await fetch(`http://127.0.0.1:${admin.port}/metrics`, { headers: { connection: 'keep-alive' } })).status, 200);
  await app.close();
  await t.rejects(fetch(`http://127.0.0.1:${admin.port}/metrics`), 'nothing listens any more');
});

/** A logger as the project's, writing JSON lines into `lines`. */
function capturedLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), stream) as Logger, lines };
}

const start = (env: Record<string, string>, extra: { endpoint?: string; logger?: Logger } = {}) =>
  startQueryService({
    // Nothing here reads orders: the routes are registered, never called.
    db: {} as SqlDatabase,
    local: {} as LocalOrders,
    registry: new Registry(),
    readiness: () => ({ ready: true }),
    env: { OMNIA_QUERY_HOST: '127.0.0.1', OMNIA_JWT_SECRET: SECRET, ...env },
    logger: extra.logger ?? (pino({ level: 'silent' }) as Logger),
    ...(extra.endpoint ? { endpoint: extra.endpoint } : {}),
  });

t.test('omnia start: OMNIA_ADMIN_PORT moves /metrics and the docs there; the same port as PORT is refused', async (t) => {
  const [port, adminPort] = [await freePort(), await freePort()];
  const service = await start({ PORT: String(port), OMNIA_ADMIN_PORT: String(adminPort) });
  t.teardown(() => service.app.close());
  t.equal((await get(`${service.url}/metrics`)).status, 404, 'not on PORT');
  t.equal((await get(`${service.url}/docs/json`)).status, 404);
  t.equal((await get(`http://127.0.0.1:${adminPort}/metrics`)).status, 200, 'on OMNIA_ADMIN_PORT');
  t.equal((await get(`http://127.0.0.1:${adminPort}/docs/json`)).status, 200);

  const same = await freePort();
  await t.rejects(start({ PORT: String(same), OMNIA_ADMIN_PORT: String(same) }), {
    message: `OMNIA_ADMIN_PORT (${same}) must differ from PORT: /metrics and the docs are kept off the API's port`,
  });
});

t.test('omnia start: weak secrets refuse to start, naming the setting', async (t) => {
  const port = String(await freePort());
  await t.rejects(start({ PORT: port, OMNIA_JWT_SECRET: 'x' }), { message: /^OMNIA_JWT_SECRET is too weak: .*openssl rand -base64 48$/ });
  await t.rejects(start({ PORT: port, OMNIA_SEARCH_CURSOR_KEY: 'short' }), { message: /^OMNIA_SEARCH_CURSOR_KEY is too weak/ });
});

t.test(
  'omnia start: a replica with OMNIA_ENDPOINT and no OMNIA_SEARCH_CURSOR_KEY warns that cursors will not cross replicas',
  async (t) => {
    const warned = (lines: Array<{ level: string; msg: string }>) =>
      lines.filter((line) => line.level === 'warn' && /OMNIA_SEARCH_CURSOR_KEY is unset/.test(line.msg));
    const forward = { OMNIA_FORWARD_SECRET: 'forward-secret-shared-by-the-replicas-0123456789' };

    const alone = capturedLogger();
    const single = await start({ PORT: String(await freePort()) }, { logger: alone.logger });
    await single.app.close();
    t.same(warned(alone.lines), [], 'one process without an endpoint: its own key is enough');

    const replica = capturedLogger();
    const port = await freePort();
    const first = await start({ PORT: String(port), ...forward }, { endpoint: `127.0.0.1:${port}`, logger: replica.logger });
    await first.app.close();
    t.equal(warned(replica.lines).length, 1, 'a replica of several: warned once, at start');
    t.match(warned(replica.lines)[0]!.msg, /openssl rand -base64 48/);

    const keyed = capturedLogger();
    const port2 = await freePort();
    const second = await start(
      { PORT: String(port2), ...forward, OMNIA_SEARCH_CURSOR_KEY: 'cursor-key-shared-by-the-replicas-0123456789' },
      { endpoint: `127.0.0.1:${port2}`, logger: keyed.logger },
    );
    await second.app.close();
    t.same(warned(keyed.lines), [], 'with the key set: no warning');
  },
);
