/**
 * `omnia settlement import` on the real broker and Postgres, run as finance runs it (`node dist/bin/omnia.js`, a
 * process of its own): a good file is one committed record per row on payment.settlement.v1, keyed by the order's
 * store (from the orders table) in that store's partition; the same file again publishes the very same records; a
 * file with a bad row is refused whole and publishes nothing; --dry-run publishes nothing; no DATABASE_URL is exit 3.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { PaymentSettlement } from '../../avro/records.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { Topics } from '../../topology/topics.js';
import { DATABASE_URL, migratedDatabase, withSchema } from '../postgres/harness.js';
import { BROKERS, createPipelineTopics, readAll, requireKafka, testClient, uniqueName } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 3;
const HEADER = 'SettlementDate,OrderID,TrackingID,CollectedAmount,CollectedAt';

t.test('settlement import: one committed record per row in its store’s partition, idempotent, all or nothing', async (t) => {
  if (!(await requireKafka(t))) return;
  const database = await migratedDatabase(t);
  if (!database) return;
  const { client: pgClient } = database;
  const schema = (await pgClient.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  await pgClient.query(
    `INSERT INTO orders (order_id, ship_from_location_id, status, payment_method, order_total, created_at, updated_at, tracking_id, carrier)
     VALUES ('QC0042-000001', 'QC0042', 7500, 'COD', 90.62, now(), now(), 'PMP-1', 'PMP'),
            ('QC0043-000002', 'QC0043', 7500, 'COD', 45.50, now(), now(), NULL, NULL)`,
  );
  const kafka = testClient();
  const app = uniqueName('settle');
  const prefix = `${app}.`;
  const topic = prefix + Topics.settlement;
  await createPipelineTopics(kafka, prefix, PARTITIONS);
  const dir = await mkdtemp(join(tmpdir(), 'omnia-settlement-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const env = { KAFKA_BROKERS: BROKERS.join(','), OMNIA_APPLICATION_ID: app, OMNIA_TOPIC_PREFIX: prefix, OMNIA_LOG_LEVEL: 'warn' };
  const omnia = (args: string[], databaseUrl: string | null = withSchema(DATABASE_URL, schema)) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const clean: NodeJS.ProcessEnv = { ...process.env, ...env };
      if (databaseUrl) clean.DATABASE_URL = databaseUrl;
      else delete clean.DATABASE_URL;
      execFile(process.execPath, [OMNIA, ...args], { env: clean, timeout: 120_000 }, (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  const file = async (name: string, ...rows: string[]) => {
    const path = join(dir, name);
    // As PMP sends it: a byte order mark, CRLF.
    await writeFile(path, `\ufeff${[HEADER, ...rows].join('\r\n')}\r\n`);
    return path;
  };
  const records = async () =>
    (await readAll(kafka, topic)).map((record) => ({
      partition: record.partition,
      key: record.key?.toString(),
      value: JSON.parse(record.value!.toString()) as PaymentSettlement,
    }));

  const good = await file(
    'pmp-2026-11-21.csv',
    '2026-11-21,QC0042-000001,PMP-1,90.62,2026-11-21T16:45:00+07:00',
    '2026-11-21,QC0043-000002,PMP-2,"45.50",2026-11-21T10:00:00Z',
  );
  const dry = await omnia(['settlement', 'import', '--partner', 'PMP', good, '--dry-run']);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /^VALID {2}pmp-2026-11-21\.csv: 2 rows/);
  t.same(await records(), [], '--dry-run publishes nothing');

  const first = await omnia(['settlement', 'import', '--partner', 'PMP', good, '--json']);
  t.equal(first.code, 0, first.stderr);
  t.match(JSON.parse(first.stdout), {
    outcome: 'IMPORTED',
    rows: 2,
    settledAmount: '136.1200',
    stores: 2,
    importedBefore: 0,
    problems: [],
  });
  const published = await records();
  t.same(
    published
      .map((record) => [record.key, record.partition, record.value.OrderID, record.value.SettledAmount, record.value.SourceLine])
      .sort(),
    [
      ['QC0042', partitionForKey(Buffer.from('QC0042'), PARTITIONS), 'QC0042-000001', '90.6200', 2],
      ['QC0043', partitionForKey(Buffer.from('QC0043'), PARTITIONS), 'QC0043-000002', '45.5000', 3],
    ],
    'keyed by the store the orders table names, in its partition; money exact',
  );

  const again = await omnia(['settlement', 'import', '--partner', 'pmp', good]);
  t.equal(again.code, 0, again.stderr);
  const twice = await records();
  const copies = new Map<string, PaymentSettlement[]>();
  for (const record of twice) copies.set(record.value.SettlementID, [...(copies.get(record.value.SettlementID) ?? []), record.value]);
  t.same(
    [...copies.keys()].sort(),
    published.map((record) => record.value.SettlementID).sort(),
    'the same file again: the same SettlementIDs, which the pipeline applies once',
  );
  t.ok(
    [...copies.values()].every((values) => values.length === 2 && JSON.stringify(values[0]) === JSON.stringify(values[1])),
    'each published twice, identical',
  );

  const bad = await file(
    'pmp-2026-11-22.csv',
    '2026-11-22,QC0042-000001,PMP-1,90.62,2026-11-22T10:00:00Z',
    '2026-11-22,QC0099-000009,PMP-9,10.00,2026-11-22T10:00:00Z',
    '2026-11-22,QC0043-000002,PMP-2,45.5O,2026-11-22T10:00:00Z',
  );
  const refused = await omnia(['settlement', 'import', '--partner', 'PMP', bad]);
  t.equal(refused.code, 1, 'refused');
  t.match(refused.stdout, /^REFUSED {2}pmp-2026-11-22\.csv: 2 problems; nothing was published/);
  t.match(refused.stdout, /3 +OrderID +UNKNOWN_ORDER/);
  t.match(refused.stdout, /4 +CollectedAmount +INVALID_AMOUNT/);
  t.equal((await records()).length, 4, 'not even its good row');

  const noDatabase = await omnia(['settlement', 'import', '--partner', 'PMP', good], null);
  t.equal(noDatabase.code, 3);
  t.match(noDatabase.stderr, /DATABASE_URL is not set/);
  t.equal((await omnia(['settlement', 'import', '--partner', 'GRAB', good])).code, 64, 'only PMP sends one');
});
