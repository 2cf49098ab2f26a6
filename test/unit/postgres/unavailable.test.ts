/**
 * Which Postgres failures are "the database does not answer" (503, retry) and which are the data's or
 * another dependency's; and how readiness combines the database's answer with the rest. No server needed: a
 * refused port stands for a database that is down.
 */
import t from 'tap';
import { allReady, databaseProbe } from '../../../postgres/probe.js';
import { isDatabaseUnavailable, isTransientSqlError, pgDatabase, type SqlDatabase } from '../../../postgres/sql.js';

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

t.test('an error of the pool that says the database did not answer is marked; the same error from elsewhere is not', async (t) => {
  // Nothing listens on port 1: every connection is refused.
  const db = pgDatabase('postgres://postgres@127.0.0.1:1/none', {
    timeouts: { connectMs: 1_000, statementMs: 1_000, idleInTransactionMs: 1_000 },
  });
  t.teardown(() => db.close());
  const refused = await failureOf(db.query('SELECT 1'));
  t.match(refused, { code: 'ECONNREFUSED' });
  t.ok(isDatabaseUnavailable(refused), 'a statement');
  t.ok(isDatabaseUnavailable(await failureOf(db.session())), 'a session');
  t.ok(isDatabaseUnavailable(new Error('migration 001_orders.sql failed', { cause: refused })), 'through a cause');
  t.notOk(
    isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    'another client’s refusal (Redis, a replica)',
  );
  t.notOk(isDatabaseUnavailable(undefined));
});

t.test('transient: what a timeout or a cut connection leaves, also wrapped; never a data error', async (t) => {
  t.ok(isTransientSqlError(new Error('Query read timeout')), 'the client-side query timeout');
  t.ok(isTransientSqlError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })));
  t.ok(isTransientSqlError(Object.assign(new Error('terminating connection due to idle-in-transaction timeout'), { code: '25P03' })));
  t.ok(isTransientSqlError(new Error('migration 002 failed', { cause: new Error('Connection terminated unexpectedly') })), 'a cause');
  t.notOk(isTransientSqlError(Object.assign(new Error('duplicate key value'), { code: '23505' })));
  t.notOk(isTransientSqlError(Object.assign(new Error('relation "orders" does not exist'), { code: '42P01' })));
});

t.test('readiness: an in-process database is always answering; a failing ping says what to check, first', async (t) => {
  const inProcess = { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as SqlDatabase;
  t.same(await databaseProbe(inProcess, 100)(), { ready: true });

  let pings = 0;
  const stuck = {
    ping: async () => {
      pings++;
      throw new Error('no answer within 100 ms');
    },
  } as unknown as SqlDatabase;
  const database = await databaseProbe(stuck, 100)();
  t.equal(database.ready, false);
  t.match(
    database.reason,
    /^Postgres does not answer \(SELECT 1, 100 ms allowed: no answer within 100 ms\)\. Check that the database runs/,
  );
  t.equal(pings, 1);

  t.same(allReady([{ ready: true }, { ready: true }]), { ready: true });
  t.same(allReady([database, { ready: false, reason: 'connector is retrying' }]), {
    ready: false,
    reason: `${database.reason}; connector is retrying`,
  });
  t.same(allReady([{ ready: true }, { ready: false }]), { ready: false, reason: 'not ready' });
});
