/**
 * Postgres that stops answering: a server that accepts connections and never answers, and the real Postgres
 * behind a proxy that can be paused (a black-holed network). Every pool gives up in bounded time with an error
 * marked "database unavailable", readiness says so within its probe timeout, the query service answers 503
 * instead of hanging, and everything works again once the database answers. Also the server-side limits each
 * pool session carries (statement_timeout, idle_in_transaction_session_timeout).
 */
import { createServer, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { databaseProbe } from '../../postgres/probe.js';
import { isDatabaseUnavailable, isTransientSqlError, pgDatabase, type SqlDatabase } from '../../postgres/sql.js';
import type { PgTimeouts } from '../../postgres/timeouts.js';
import { devToken } from '../../query-service/auth.js';
import type { LocalOrders } from '../../query-service/local-orders.js';
import { startQueryService } from '../../query-service/service.js';
import { sinkHealthServer } from '../../sinks/health-server.js';
import { SinkConnector } from '../../sinks/sink-connector.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { freePort } from '../free-port.js';
import { BROKERS, requireKafka, testClient, uniqueName, waitFor } from '../kafka/harness.js';
import { createSinkTopics, sourcesFor } from '../sink/harness.js';
import { DATABASE_URL, freshSchema, migratedDatabase, withSchema } from './harness.js';
import { PausableProxy } from './pausable-proxy.js';
import { insertOrders } from './query-harness.js';

const TIMEOUTS: PgTimeouts = { connectMs: 500, statementMs: 500, idleInTransactionMs: 5_000 };
const PROBE_TIMEOUT_MS = 300;
const SECRET = 'postgres-timeouts-test-secret-of-32-bytes';
const quiet = () => undefined;

/** What a promise rejected with; fails the test when it resolved. */
async function failure(t: Test, promise: Promise<unknown>, what: string): Promise<Error & { code?: string }> {
  const outcome = await promise.then(
    () => undefined,
    (error: Error) => error,
  );
  t.ok(outcome, `${what} fails`);
  return outcome ?? new Error('resolved');
}

/** The real Postgres behind a pausable proxy, and a pool on it; both closed at teardown, the proxy resumed first. */
async function proxied(t: Test, schema?: string, applicationName?: string): Promise<{ proxy: PausableProxy; db: SqlDatabase }> {
  const target = new URL(DATABASE_URL);
  const proxy = new PausableProxy({ host: target.hostname, port: Number(target.port || 5432) });
  await proxy.start();
  const url = proxy.urlFor(DATABASE_URL);
  const db = pgDatabase(schema ? withSchema(url, schema) : url, { timeouts: TIMEOUTS, ...(applicationName ? { applicationName } : {}) });
  t.teardown(async () => {
    proxy.resume();
    await db.close();
    await proxy.stop();
  });
  return { proxy, db };
}

const schemaOf = async (client: { query: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }> }) =>
  String((await client.query('SELECT current_schema() AS schema')).rows[0]!.schema);

t.test('a server that accepts connections and never answers: the pool gives up at the connect timeout', async (t) => {
  const sockets = new Set<Socket>();
  const hole = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
  const db = pgDatabase(`postgres://postgres@127.0.0.1:${(hole.address() as { port: number }).port}/none`, { timeouts: TIMEOUTS });
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await db.close();
    await new Promise((resolve) => hole.close(resolve));
  });

  const query = await failure(t, db.query('SELECT 1'), 'a statement');
  t.match(query.message, /connection timeout/, 'the driver stopped waiting for the handshake');
  t.ok(isDatabaseUnavailable(query), 'marked: the database does not answer');
  t.ok(isTransientSqlError(query), 'and worth retrying');

  const session = await failure(t, db.session(), 'a session');
  t.match(session.message, /connection timeout/);
  t.ok(isDatabaseUnavailable(session));

  const ping = await failure(t, db.ping!(PROBE_TIMEOUT_MS), 'a ping');
  t.equal(ping.message, `no answer within ${PROBE_TIMEOUT_MS} ms`, 'bounded by its own timeout, shorter than connecting');
  t.ok(isDatabaseUnavailable(ping));
  t.ok(sockets.size >= 3, 'each attempt reached the server (and was not refused)');
});

t.test('a pool session carries the server-side limits; a session with its own limit is never handed on', async (t) => {
  if (!(await freshSchema(t))) return;
  const db = pgDatabase(DATABASE_URL, { max: 1, timeouts: { connectMs: 2_000, statementMs: 1_500, idleInTransactionMs: 2_500 } });
  t.teardown(() => db.close());
  const show = async (session: { query: SqlDatabase['query'] }, name: string) =>
    String((await session.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]);
  t.equal(await show(db, 'statement_timeout'), '1500ms');
  t.equal(await show(db, 'idle_in_transaction_session_timeout'), '2500ms');

  const migrating = await db.session({ statementTimeoutMs: 60_000 });
  t.equal(await show(migrating, 'statement_timeout'), '1min', 'a migration session’s own limit');
  migrating.release();
  const next = await db.session();
  t.equal(await show(next, 'statement_timeout'), '1500ms', 'the one connection of the pool has the pool’s limit again');
  next.release();
});

t.test('readiness asks on a connection of its own: a pool whose connections are all taken still answers', async (t) => {
  if (!(await freshSchema(t))) return;
  const db = pgDatabase(DATABASE_URL, { max: 1, timeouts: TIMEOUTS });
  t.teardown(() => db.close());
  const busy = await db.session(); // a slow report, say
  await db.ping!(PROBE_TIMEOUT_MS);
  t.same(await databaseProbe(db, PROBE_TIMEOUT_MS)(), { ready: true }, 'ready: the database answers');
  const queued = await failure(t, db.query('SELECT 1'), 'a statement that waits for the one pooled connection');
  t.match(queued.message, /timeout exceeded when trying to connect/);
  busy.release();
});

t.test('statement_timeout: Postgres cancels a statement that runs longer, and the pool answers the next one', async (t) => {
  if (!(await freshSchema(t))) return;
  const db = pgDatabase(DATABASE_URL, { timeouts: { ...TIMEOUTS, statementMs: 200 } });
  t.teardown(() => db.close());
  const error = await failure(t, db.query('SELECT pg_sleep(5)'), 'a statement longer than the limit');
  t.equal(error.code, '57014', 'canceled by the server (query_canceled)');
  t.ok(isTransientSqlError(error), 'the sink retries its batch');
  t.ok(isDatabaseUnavailable(error), 'the query service answers 503');
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
});

t.test('idle_in_transaction_session_timeout: Postgres ends a session whose transaction sits idle', async (t) => {
  if (!(await freshSchema(t))) return;
  const db = pgDatabase(DATABASE_URL, { timeouts: { ...TIMEOUTS, idleInTransactionMs: 200 } });
  t.teardown(() => db.close());
  const session = await db.session();
  await session.query('BEGIN');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const error = await failure(t, session.query('SELECT 1'), 'the next statement of the abandoned transaction');
  t.ok(isTransientSqlError(error), `transient (${error.message}): the sink drops the session and retries`);
  session.release(true);
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the pool opens another connection');
});

t.test('a database that stops answering: statements fail at the client-side query timeout, and work once it answers', async (t) => {
  if (!(await freshSchema(t))) return;
  const { proxy, db } = await proxied(t);
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'through the proxy');
  proxy.pause();
  const pooled = await failure(t, db.query('SELECT 1'), 'a statement on the pooled connection');
  t.match(pooled.message, /Query read timeout/, 'the driver gave up waiting for the answer');
  t.ok(isDatabaseUnavailable(pooled));
  t.ok(isTransientSqlError(pooled), 'a session that saw it is dropped, not reused');
  const fresh = await failure(t, db.query('SELECT 1'), 'a statement that needs a new connection');
  t.match(fresh.message, /connection timeout/);
  t.ok(isDatabaseUnavailable(fresh));

  const probe = databaseProbe(db, PROBE_TIMEOUT_MS);
  const [first, second] = await Promise.all([probe(), probe()]);
  t.equal(first, second, 'readiness checks that come together share one probe');
  t.equal(first.ready, false);
  t.match(first.reason, /^Postgres does not answer \(SELECT 1, 300 ms allowed: no answer within 300 ms/);
  t.match(first.reason, /DATABASE_URL/, 'and says what to check');

  proxy.resume();
  t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'answers again');
  t.same(await probe(), { ready: true });
});

t.test('the query service while Postgres does not answer: degraded but ready, and 503 instead of a hang', async (t) => {
  const database = await migratedDatabase(t);
  if (!database) return;
  await insertOrders(database.client, [{ id: 'PGT-1', store: 'S001', status: 3000, total: null, createdAt: '2026-11-21T09:00:00Z' }]);
  const { proxy, db } = await proxied(t, await schemaOf(database.client));
  const local: LocalOrders = {
    instance: 'test',
    partitionOf: () => 0,
    state: () => 'elsewhere', // every lookup falls back on Postgres
    readyPartitions: () => [],
    get: async () => undefined,
  };
  const service = await startQueryService({
    db,
    local,
    registry: new Registry(),
    readiness: () => ({ ready: true }),
    env: {
      PORT: String(await freePort()),
      OMNIA_QUERY_HOST: '127.0.0.1',
      OMNIA_JWT_SECRET: SECRET,
      OMNIA_PG_PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
    },
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => service.app.close());
  const headers = { authorization: `Bearer ${devToken({ secret: SECRET }, { roles: ['regional_coordinator'] })}` };
  const get = async (path: string) => {
    const response = await fetch(`${service.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  t.same((await get('/health/ready')).body, { ready: true });
  t.match((await get('/api/v1/orders')).body, { orders: [{ orderId: 'PGT-1' }] }, 'search answers');
  t.equal((await get('/api/v1/orders/PGT-1')).status, 200, 'the lookup answers from Postgres');

  proxy.pause();
  const ready = await get('/health/ready');
  t.equal(ready.status, 200, 'beside the stream runtime: still ready, lookups from state and actions work');
  t.match(ready.body.reason, /^degraded: Postgres does not answer .*Check that the database runs/, 'and says it is degraded, and why');
  const search = await get('/api/v1/orders');
  t.equal(search.status, 503);
  t.equal(search.body.error.code, 'DATABASE_UNAVAILABLE');
  t.match(search.body.error.message, /retry/);
  t.equal(search.headers.get('retry-after'), '5');
  const lookup = await get('/api/v1/orders/PGT-1');
  t.equal(lookup.status, 503, 'a lookup Postgres would answer: 503 too');
  t.equal(lookup.body.error.code, 'ORDER_SOURCE_UNAVAILABLE');

  proxy.resume();
  await waitFor('the service to be whole again', async () => (await get('/health/ready')).body.reason === undefined, 20_000);
  t.equal((await get('/api/v1/orders')).status, 200, 'search answers again');
});

t.test('the sink while Postgres does not answer: /health/ready 503 naming the database, ready again after', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const group = uniqueName('sink-pg-timeouts');
  const sources = sourcesFor(group);
  await createSinkTopics(testClient(), sources, 1);
  const { proxy, db } = await proxied(t, await schemaOf(admin), group);
  const connector = new SinkConnector(db, new PlatformaticClient(BROKERS, group), sources, {
    group,
    batchRecords: 100,
    lingerMs: 10,
    log: quiet,
  });
  const port = await freePort();
  const server = await sinkHealthServer(connector, { host: '127.0.0.1', port, database: databaseProbe(db, PROBE_TIMEOUT_MS) });
  t.teardown(async () => {
    proxy.resume();
    await connector.stop();
    await server.close();
  });
  const ready = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return { status: response.status, body: (await response.json()) as { reason?: string; postgres?: string } };
  };
  await connector.start();
  await waitFor('the sink to be ready', async () => (await ready()).status === 200, 30_000);

  proxy.pause();
  const stuck = await ready();
  t.equal(stuck.status, 503);
  t.match(stuck.body.reason, /^Postgres does not answer .*DATABASE_URL/, 'the database first, with what to check');
  t.equal(stuck.body.postgres, 'down');

  proxy.resume();
  await waitFor('the sink to be ready again', async () => (await ready()).status === 200, 30_000);
  t.pass('ready again once Postgres answers');
});
