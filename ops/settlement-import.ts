/**
 * `omnia settlement import --partner PMP FILE [--dry-run] [--json]`: a delivery partner's settlement report (the CSV
 * of connectors/pmp-settlement-report.ts) onto `payment.settlement.v1`, one record per row, keyed by the order's store
 * so it reaches the task that owns the order (docs/operations.md).
 *
 * - Every row is checked, then each order's store is read from the analysts' `orders` table (DATABASE_URL), as
 *   `omnia explain` and the query service find an order's store. A file with any problem is refused whole, every
 *   problem listed with its line, field and code: a settlement report is one statement of what the partner owes, and
 *   half of it would turn the rest into NOT_IN_SETTLEMENT exceptions. Fixing the file and importing it again is safe.
 * - The records go in one Kafka transaction: all of them or, after a failure, none.
 * - Each record's SettlementID is a hash of the row, so importing a file again publishes the same records, which the
 *   settle stage ignores and the sink writes over with themselves: nothing changes. The summary says how many rows
 *   the analysts' `payment_settlements` table already had.
 *
 * Exit 0 imported (or, with --dry-run, would be), 1 refused (the problems are listed), 3 the file, Postgres or Kafka
 * could not be read or written, 64 usage.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { prepareSerdes } from '../avro/config.js';
import type { PaymentSettlement } from '../avro/records.js';
import { serdeFor } from '../avro/serdes.js';
import {
  checkAgainstOrders,
  type KnownOrder,
  readSettlementReport,
  settlementRecord,
  type SettlementProblem,
} from '../connectors/pmp-settlement-report.js';
import { formatMoney, parseMoney, sum } from '../processors/domain/money.js';
import { SETTLING_PARTNER } from '../processors/domain/settlement.js';
import { pgDatabase, type SqlSession } from '../postgres/sql.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { Topics } from '../topology/topics.js';
import { UsageError } from './args.js';
import { describeError, openContext, OpsError, reachKafka, type OpsContext } from './cluster.js';
import { count, plural, table, toJson } from './format.js';

/** What an import did, or would do with --dry-run. */
export interface SettlementImport {
  readonly file: string;
  readonly partner: string;
  readonly dryRun: boolean;
  /** Imported: every row published; refused: nothing was. */
  readonly outcome: 'IMPORTED' | 'REFUSED';
  readonly problems: readonly SettlementProblem[];
  readonly records: readonly PaymentSettlement[];
  /** Rows the analysts' payment_settlements table already holds (an earlier import); null when it could not be asked. */
  readonly importedBefore: number | null;
}

/** What an import reads and writes, so that it runs against Postgres and Kafka or against a test's fakes. */
export interface ImportDependencies {
  /** The store and tracking id of each of these orders the analysts' tables know. */
  knownOrders(orderIds: readonly string[]): Promise<ReadonlyMap<string, KnownOrder>>;
  /** How many of these SettlementIDs were written before; null when it cannot be told. */
  importedBefore(settlementIds: readonly string[]): Promise<number | null>;
  /** Publishes the records, all or none. */
  publish(records: readonly PaymentSettlement[]): Promise<void>;
}

/** Reads, checks and (unless refused or a dry run) publishes one report. */
export async function importSettlementReport(
  input: { bytes: Buffer; file: string; dryRun: boolean },
  deps: ImportDependencies,
): Promise<SettlementImport> {
  const { rows, problems } = readSettlementReport(input.bytes);
  const known = await deps.knownOrders([...new Set(rows.map((row) => row.OrderID))]);
  const all = [...problems, ...checkAgainstOrders(rows, known)].sort((a, b) => a.line - b.line);
  const base = { file: input.file, partner: SETTLING_PARTNER, dryRun: input.dryRun };
  if (all.length > 0) return { ...base, outcome: 'REFUSED', problems: all, records: [], importedBefore: null };
  const records = rows.map((row) => settlementRecord(row, known.get(row.OrderID)!.store, input.file));
  const importedBefore = await deps.importedBefore(records.map((record) => record.SettlementID));
  if (!input.dryRun && records.length > 0) await deps.publish(records);
  return { ...base, outcome: 'IMPORTED', problems: [], records, importedBefore };
}

/** The store and tracking id of orders, from the analysts' orders table. */
export async function ordersInPostgres(db: SqlSession, orderIds: readonly string[]): Promise<Map<string, KnownOrder>> {
  if (orderIds.length === 0) return new Map();
  const result = await db.query<{ order_id: string; ship_from_location_id: string; tracking_id: string | null }>(
    'SELECT order_id, ship_from_location_id, tracking_id FROM orders WHERE order_id = ANY($1::text[])',
    [orderIds],
  );
  return new Map(result.rows.map((row) => [row.order_id, { store: row.ship_from_location_id, trackingId: row.tracking_id }]));
}

/** How many of these rows the sink already wrote; null when the table cannot be read (an older schema). */
export async function settlementsInPostgres(db: SqlSession, settlementIds: readonly string[]): Promise<number | null> {
  if (settlementIds.length === 0) return 0;
  try {
    const result = await db.query<{ rows: number }>(
      'SELECT count(*)::int AS rows FROM payment_settlements WHERE settlement_id = ANY($1::text[])',
      [settlementIds],
    );
    return result.rows[0]?.rows ?? 0;
  } catch {
    return null;
  }
}

/** The records onto the settlement topic in one transaction, each in its store's partition. */
async function publishToKafka(context: OpsContext, records: readonly PaymentSettlement[], now: number): Promise<void> {
  const topic = context.order.topicPrefix + Topics.settlement;
  const partitions = (await reachKafka(context, () => context.admin.partitionCounts([topic]))).get(topic);
  if (partitions === undefined)
    throw new OpsError(
      `topic ${topic} does not exist: the pipeline reads it, so it is created with the partitions of ${context.order.topicPrefix}${Topics.orderCreate} (deploy/k8s/base/topics.yaml); nothing was published`,
    );
  const serde = serdeFor(topic, 'PaymentSettlement', context.serdes);
  await prepareSerdes(context.serdes);
  const produced: ProducedRecord[] = records.map((record) => {
    const key = Buffer.from(record.ShipFromLocationID);
    return { topic, partition: partitionForKey(key, partitions), key, value: serde.serialize(record), timestamp: now, headers: {} };
  });
  const producer = context.client.producer({
    transactionalId: `${context.runtime.applicationId}-settlement-import`,
    transactionTimeoutMs: 60_000,
  });
  try {
    await producer.init();
    await producer.beginTransaction();
    try {
      await producer.send(produced);
      await producer.commitTransaction();
    } catch (error) {
      await producer.abortTransaction().catch(() => undefined);
      throw new OpsError(`publishing to ${topic} failed (${describeError(error)}); nothing was published: run the import again`);
    }
  } finally {
    await producer.close();
  }
}

export async function settlementImportCommand(options: { partner: string; file: string; dryRun: boolean; json: boolean }): Promise<number> {
  if (options.partner.toUpperCase() !== SETTLING_PARTNER)
    throw new UsageError(`--partner ${options.partner}: only ${SETTLING_PARTNER} sends a settlement report`);
  let bytes: Buffer;
  try {
    bytes = await readFile(options.file);
  } catch (error) {
    throw new OpsError(`cannot read ${options.file} (${describeError(error)})`);
  }
  const context = openContext();
  if (!context.ops.databaseUrl) {
    await context.close();
    throw new OpsError(
      "DATABASE_URL is not set: each order's store is read from the analysts' orders table.\n  → set DATABASE_URL as the sink has it (omnia config)",
    );
  }
  const db = pgDatabase(context.ops.databaseUrl, { max: 1, applicationName: `${context.runtime.applicationId}-ops` });
  try {
    const result = await importSettlementReport(
      { bytes, file: basename(options.file), dryRun: options.dryRun },
      {
        knownOrders: async (ids) => {
          try {
            return await ordersInPostgres(db, ids);
          } catch (error) {
            throw new OpsError(`Postgres did not answer (${describeError(error)}).\n  → check DATABASE_URL (omnia config)`);
          }
        },
        importedBefore: (ids) => settlementsInPostgres(db, ids),
        publish: (records) => publishToKafka(context, records, Date.now()),
      },
    );
    process.stdout.write(`${options.json ? toJson(asJson(result)) : renderImport(result)}\n`);
    return result.outcome === 'IMPORTED' ? 0 : 1;
  } finally {
    await Promise.allSettled([context.close(), db.close()]);
  }
}

const totalOf = (records: readonly PaymentSettlement[]): string =>
  formatMoney(sum(records.map((record) => parseMoney(record.SettledAmount))));

export const asJson = (result: SettlementImport) => ({
  file: result.file,
  partner: result.partner,
  outcome: result.outcome,
  dryRun: result.dryRun,
  rows: result.records.length,
  settledAmount: totalOf(result.records),
  settlementDates: [...new Set(result.records.map((record) => record.SettlementDate))].sort(),
  stores: new Set(result.records.map((record) => record.ShipFromLocationID)).size,
  importedBefore: result.importedBefore,
  problems: result.problems,
});

/** The outcome as people read it: the verdict first, then every problem or what was published. */
export function renderImport(result: SettlementImport): string {
  if (result.outcome === 'REFUSED')
    return [
      `REFUSED  ${result.file}: ${plural(result.problems.length, 'problem')}; nothing was published. Fix the file and import it again.`,
      table(
        ['line', 'field', 'code', 'problem'],
        result.problems.map((problem) => [String(problem.line), problem.field ?? '—', problem.code, problem.message]),
        [0],
      ),
    ].join('\n');
  const summary = asJson(result);
  const verb = result.dryRun ? 'VALID' : 'IMPORTED';
  const where = result.dryRun ? 'nothing published (--dry-run)' : `published on ${Topics.settlement} in one transaction`;
  const before =
    result.importedBefore === null
      ? ''
      : result.importedBefore === 0
        ? '; none imported before'
        : `; ${count(result.importedBefore)} of them imported before (the pipeline applies each row once)`;
  return (
    `${verb}  ${result.file}: ${plural(summary.rows, 'row')} from ${result.partner}, ${summary.settledAmount} settled, ` +
    `${plural(summary.stores, 'store')}, settlement date ${summary.settlementDates.join(', ') || '—'}; ${where}${before}`
  );
}
