/**
 * The open COD reconciliation exceptions on /metrics (query-service/reconciliation-metrics.ts), over the
 * analysts' view in an embedded Postgres: counted by kind and acknowledged-or-not as the view has them, the age
 * of the oldest unacknowledged one, a resolved or reconciled one gone, reads at most once per interval, and a
 * database that fails leaving the scrape working with the last figures.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { migrate } from '../../postgres/migrate.js';
import type { SqlDatabase, SqlSession } from '../../postgres/sql.js';
import { reconciliationMetrics } from '../../query-service/reconciliation-metrics.js';
import { componentLogger } from '../../observability/logger.js';

const HOUR = 3600_000;

/** One exception of a run at `cutOffAt` (a MISSING one unless told). */
async function exception(
  db: SqlSession,
  offset: number,
  orderId: string,
  kind: 'MISSING' | 'SHORT' | 'OVER',
  cutOffAt: Date,
  store = 'QC0001',
): Promise<void> {
  await db.query(
    `INSERT INTO reconciliation_exceptions (kafka_partition, kafka_offset, exception_index, ship_from_location_id, business_day,
       cut_off_at, order_id, kind, expected_amount, collected_amount, difference, delivered_at, collected_at, at)
     VALUES (0, $1, 0, $2, $3::date, $4, $5, $6, 100.0000, $7, $8, $4, NULL, $4)`,
    [
      offset,
      store,
      cutOffAt.toISOString().slice(0, 10),
      cutOffAt.toISOString(),
      orderId,
      kind,
      kind === 'MISSING' ? null : kind === 'SHORT' ? '90.0000' : '110.0000',
      kind === 'MISSING' ? '-100.0000' : kind === 'SHORT' ? '-10.0000' : '10.0000',
    ],
  );
}

async function decision(db: SqlSession, offset: number, orderId: string, action: 'ACKNOWLEDGE' | 'RESOLVE', at: Date): Promise<void> {
  await db.query(
    `INSERT INTO exception_outcomes (kafka_partition, kafka_offset, order_id, ship_from_location_id, exception, action, outcome,
       reason, note, actor, command_id, release_id, requested_at, at)
     VALUES (0, $1, $2, 'QC0001', 'RECONCILIATION', $3, 'APPLIED', NULL, 'checked with the rider', 'manager-QC0001', $4, NULL, $5, $5)`,
    [offset, orderId, action, `cmd-${offset}`, at.toISOString()],
  );
}

/** The samples of the scrape, `name{labels}` → value. */
async function scrape(registry: Registry): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (!line.startsWith('omnia_reconciliation')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const open = (kind: string, acknowledged: boolean) => `omnia_reconciliation_exceptions_open{kind="${kind}",acknowledged="${acknowledged}"}`;
const OLDEST = 'omnia_reconciliation_exceptions_unacknowledged_oldest_seconds';

async function migrated(): Promise<SqlDatabase> {
  const db = await embeddedPostgres();
  const session = await db.session();
  try {
    await migrate(session);
  } finally {
    session.release();
  }
  return db;
}

t.test('open exceptions by kind and acknowledgement, the oldest unacknowledged one, resolved ones gone', async (t) => {
  const db = await migrated();
  t.teardown(() => db.close());
  const now = Date.now();
  const cutOff = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);

  const registry = new Registry();
  let clock = 0;
  reconciliationMetrics(registry, db, { refreshMs: 60_000, now: () => clock, log: componentLogger('test', () => undefined) });
  let samples = await scrape(registry);
  for (const kind of ['MISSING', 'SHORT', 'OVER'])
    for (const acknowledged of [true, false])
      t.equal(samples.get(open(kind, acknowledged)), 0, `${kind} ${acknowledged}: 0 with no exception`);
  t.equal(samples.get(OLDEST), 0, 'no unacknowledged exception: age 0');

  await exception(db, 1, 'O-1', 'MISSING', cutOff(30)); // reported again at the next cut-off (below): the latest counts
  await exception(db, 2, 'O-1', 'MISSING', cutOff(6));
  await exception(db, 3, 'O-2', 'SHORT', cutOff(14));
  await exception(db, 4, 'O-3', 'OVER', cutOff(14));
  await decision(db, 1, 'O-3', 'ACKNOWLEDGE', cutOff(13));
  await exception(db, 5, 'O-4', 'SHORT', cutOff(14));
  await decision(db, 2, 'O-4', 'RESOLVE', cutOff(12)); // resolved: no longer open
  await exception(db, 6, 'O-5', 'MISSING', cutOff(30));
  await decision(db, 3, 'O-5', 'ACKNOWLEDGE', cutOff(29)); // acknowledged at its report…
  await exception(db, 7, 'O-5', 'MISSING', cutOff(6)); // …and reported again since: unacknowledged again

  samples = await scrape(registry);
  t.equal(samples.get(OLDEST), 0, 'within the refresh interval: the last figures, no new read');
  clock += 60_000;
  samples = await scrape(registry);
  t.equal(samples.get(open('MISSING', false)), 2, 'two MISSING, reported again since any acknowledgement');
  t.equal(samples.get(open('SHORT', false)), 1, 'one SHORT (the resolved one is gone)');
  t.equal(samples.get(open('OVER', true)), 1, 'one OVER acknowledged');
  t.equal(samples.get(open('OVER', false)), 0);
  t.equal(samples.get(open('MISSING', true)), 0);
  const oldest = samples.get(OLDEST)!;
  t.ok(Math.abs(oldest - 14 * 3600) < 120, `the oldest unacknowledged one is the SHORT reported 14 h ago (${oldest} s)`);

  // The SHORT acknowledged, the MISSING ones resolved: nothing unacknowledged is left.
  await decision(db, 4, 'O-2', 'ACKNOWLEDGE', new Date());
  await decision(db, 5, 'O-1', 'RESOLVE', new Date());
  await decision(db, 6, 'O-5', 'RESOLVE', new Date());
  clock += 60_000;
  samples = await scrape(registry);
  t.equal(samples.get(open('MISSING', false)), 0, 'resolved MISSING ones are not open');
  t.equal(samples.get(open('SHORT', true)), 1, 'the SHORT is acknowledged');
  t.equal(samples.get(OLDEST), 0, 'nothing unacknowledged: age 0');
});

t.test('a database that fails: the scrape still answers with the last figures, and one log line', async (t) => {
  const db = await migrated();
  t.teardown(() => db.close());
  await exception(db, 1, 'O-1', 'SHORT', new Date(Date.now() - 2 * HOUR));
  let broken = false;
  const flaky: SqlSession = {
    query: (text, params) => (broken ? Promise.reject(new Error('connection refused')) : db.query(text, params)),
  };
  const lines: string[] = [];
  const registry = new Registry();
  let clock = 0;
  const log = componentLogger('test', (line) => lines.push(line));
  log.level = 'info'; // whatever OMNIA_LOG_LEVEL says: the recovery is an info line
  reconciliationMetrics(registry, flaky, { refreshMs: 1000, now: () => clock, log });
  t.equal((await scrape(registry)).get(open('SHORT', false)), 1);

  broken = true;
  for (let i = 0; i < 3; i++) {
    clock += 1000;
    const samples = await scrape(registry);
    t.equal(samples.get(open('SHORT', false)), 1, 'the last figures kept');
  }
  t.equal(lines.filter((line) => line.includes('could not be read')).length, 1, 'logged once while it keeps failing');

  broken = false;
  await db.query(`DELETE FROM reconciliation_exceptions`);
  clock += 1000;
  t.equal((await scrape(registry)).get(open('SHORT', false)), 0, 'read again once the database answers');
  t.ok(
    lines.some((line) => line.includes('read again')),
    'and says so',
  );
});

t.test('registered once per registry', async (t) => {
  const db = await migrated();
  t.teardown(() => db.close());
  const registry = new Registry();
  reconciliationMetrics(registry, db);
  t.doesNotThrow(() => reconciliationMetrics(registry, db), 'a second call on the same registry is a no-op');
  t.equal((await registry.metrics()).match(/^# TYPE omnia_reconciliation_exceptions_open gauge$/gm)?.length, 1);
});
