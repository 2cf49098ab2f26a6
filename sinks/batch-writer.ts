/**
 * Writes one batch of consumed records into the tables in one SQL transaction, with the offsets that pass
 * them: a crash before COMMIT leaves nothing, a crash after leaves everything, and the connector resumes from
 * the stored offsets either way. Rows go in as one multi-row statement per table (`unnest` of one array per
 * column: a handful of parameters whatever the batch size).
 *
 * A batch the database refuses for its data (SQLSTATE 22/23) is split in halves until the one record at
 * fault is found; that record becomes a dead letter (sink_dead_letters, same transaction as its offset) and
 * the rest are written. Any other error is the caller's to retry: nothing of the batch was committed.
 */
import { tpKey } from '../topology/kafka/client.js';
import { advanceOffsets, type OffsetMove } from './sink-offsets.js';
import { isDataSqlError, isTransientSqlError, type SqlDatabase, type SqlSession } from '../postgres/sql.js';
import { type Row, Tables, type TableSpec } from './tables.js';

/** One consumed record, already turned into rows, or into the reason it cannot be. */
export interface SinkItem {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly rows: readonly Row[];
  /** Set when the record cannot become rows: it is kept in sink_dead_letters with this reason. */
  readonly unusable?: string;
}

export interface WriteOutcome {
  /** Rows written per table. */
  readonly rows: Map<string, number>;
  readonly deadLetters: SinkItem[];
}

/** Tables in dependency order: an order's row before its lines. */
const TABLE_ORDER: readonly TableSpec[] = Object.values(Tables);

function insertStatement(spec: TableSpec): string {
  const columns = spec.columns.map(([column]) => column);
  const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`);
  let sql = `INSERT INTO ${spec.name} (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`;
  if (spec.write.mode === 'upsert') {
    const key = spec.write.key;
    const updates = columns.filter((column) => !key.includes(column)).map((column) => `${column} = EXCLUDED.${column}`);
    sql += ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
  }
  if (spec.write.mode === 'merge') {
    const key = spec.write.key;
    const fills = columns
      .filter((column) => !key.includes(column))
      .map((column) => `${column} = coalesce(${spec.name}.${column}, EXCLUDED.${column})`);
    sql += ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${fills.join(', ')}`;
  }
  return sql;
}

const STATEMENTS = new Map(TABLE_ORDER.map((spec) => [spec, insertStatement(spec)]));

const toParam = (value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

function keyOf(spec: TableSpec, values: readonly unknown[]): string {
  if (spec.write.mode === 'insert') return '';
  return spec.write.key.map((column) => String(values[spec.columns.findIndex(([name]) => name === column)])).join('\u0000');
}

/** The rows of one transaction per table, as the batch's last word on each key. */
class TableRows {
  private readonly plain = new Map<TableSpec, Array<readonly unknown[]>>();
  /** replace-mode tables: owner key → the rows that came with the owner's latest row. */
  private readonly sets = new Map<TableSpec, Map<string, Array<readonly unknown[]>>>();
  private readonly replacing = TABLE_ORDER.filter((spec) => spec.write.mode === 'replace');

  add(row: Row): void {
    const spec = row.table;
    if (spec.write.mode === 'replace') {
      this.setOf(spec, keyOf(spec, row.values)).push(row.values);
      return;
    }
    let list = this.plain.get(spec);
    if (!list) this.plain.set(spec, (list = []));
    list.push(row.values);
    // A new owner row starts its sets afresh: what an earlier row of the same key brought is superseded.
    if (spec.write.mode === 'upsert') {
      const key = keyOf(spec, row.values);
      for (const owned of this.replacing)
        if (owned.write.mode === 'replace' && owned.write.owner === spec.name) this.setOf(owned, key).length = 0;
    }
  }

  async write(session: SqlSession, spec: TableSpec): Promise<number> {
    if (spec.write.mode === 'replace') {
      const sets = this.sets.get(spec);
      if (!sets || sets.size === 0) return 0;
      const [keyColumn] = spec.write.key;
      const keyType = spec.columns.find(([name]) => name === keyColumn)![1];
      await session.query(`DELETE FROM ${spec.name} WHERE ${keyColumn} = ANY($1::${keyType}[])`, [[...sets.keys()]]);
      return insert(session, spec, [...sets.values()].flat());
    }
    const rows = this.plain.get(spec) ?? [];
    if (spec.write.mode === 'merge') return insert(session, spec, merged(spec, rows));
    if (spec.write.mode !== 'upsert') return insert(session, spec, rows);
    // Postgres refuses one statement that upserts a key twice; the batch's last value per key is the current one.
    const last = new Map<string, readonly unknown[]>();
    for (const row of rows) last.set(keyOf(spec, row), row);
    return insert(session, spec, [...last.values()]);
  }

  private setOf(spec: TableSpec, key: string): Array<readonly unknown[]> {
    let sets = this.sets.get(spec);
    if (!sets) this.sets.set(spec, (sets = new Map()));
    let set = sets.get(key);
    if (!set) sets.set(key, (set = []));
    return set;
  }
}

/** One row per key, each column the first non-null value the batch gave it (as the statement merges with the table). */
function merged(spec: TableSpec, rows: ReadonlyArray<readonly unknown[]>): Array<readonly unknown[]> {
  const byKey = new Map<string, unknown[]>();
  for (const row of rows) {
    const key = keyOf(spec, row);
    const first = byKey.get(key);
    if (!first) byKey.set(key, [...row]);
    else row.forEach((value, i) => void (first[i] ??= value));
  }
  return [...byKey.values()];
}

async function insert(session: SqlSession, spec: TableSpec, rows: ReadonlyArray<readonly unknown[]>): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = spec.columns.map((_, i) => rows.map((row) => toParam(row[i])));
  await session.query(STATEMENTS.get(spec)!, columns);
  return rows.length;
}

export class BatchWriter {
  constructor(
    private readonly db: SqlDatabase,
    /** The name offsets and dead letters are stored under (one per connector, as a consumer group). */
    readonly consumer: string,
  ) {}

  /**
   * Writes `items` (in consumption order) and moves each partition's stored offset from `expected` (updated
   * in place as batches commit) past its last item. Throws SinkFencedError when another replica moved one.
   */
  async write(items: readonly SinkItem[], expected: Map<string, bigint>): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { rows: new Map(), deadLetters: [] };
    await this.writeSplitting(items, expected, outcome);
    return outcome;
  }

  private async writeSplitting(items: readonly SinkItem[], expected: Map<string, bigint>, outcome: WriteOutcome): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.writeOnce(items, expected, outcome);
    } catch (error) {
      if (!isDataSqlError(error)) throw error;
      if (items.length === 1) {
        const item = items[0]!;
        await this.writeOnce([{ ...item, rows: [], unusable: `refused by Postgres: ${(error as Error).message}` }], expected, outcome);
        return;
      }
      const half = Math.ceil(items.length / 2);
      await this.writeSplitting(items.slice(0, half), expected, outcome);
      await this.writeSplitting(items.slice(half), expected, outcome);
    }
  }

  private async writeOnce(items: readonly SinkItem[], expected: Map<string, bigint>, outcome: WriteOutcome): Promise<void> {
    const rows = new TableRows();
    const deadLetters: SinkItem[] = [];
    const next = new Map<string, OffsetMove>();
    for (const item of items) {
      const key = tpKey(item.topic, item.partition);
      const from = next.get(key)?.expected ?? expected.get(key);
      if (from === undefined) throw new Error(`no stored offset was read for ${key}: the connector must load offsets before writing`);
      next.set(key, { topic: item.topic, partition: item.partition, expected: from, next: item.offset + 1n });
      if (item.unusable !== undefined) {
        deadLetters.push(item);
        continue;
      }
      for (const row of item.rows) rows.add(row);
    }
    const session = await this.db.session();
    let broken = false;
    try {
      await session.query('BEGIN');
      const written = new Map<string, number>();
      try {
        for (const spec of TABLE_ORDER) {
          const count = await rows.write(session, spec);
          if (count) written.set(spec.name, count);
        }
        if (deadLetters.length) {
          await session.query(
            `INSERT INTO sink_dead_letters (consumer, topic, partition, kafka_offset, key, value, error)
             SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::bytea[], $6::bytea[], $7::text[])`,
            [
              this.consumer,
              deadLetters.map((d) => d.topic),
              deadLetters.map((d) => d.partition),
              deadLetters.map((d) => d.offset.toString()),
              deadLetters.map((d) => d.key),
              deadLetters.map((d) => d.value),
              deadLetters.map((d) => d.unusable),
            ],
          );
        }
        await advanceOffsets(session, this.consumer, [...next.values()]);
        await session.query('COMMIT');
      } catch (error) {
        await session.query('ROLLBACK').catch(() => void (broken = true));
        throw error;
      }
      for (const move of next.values()) expected.set(tpKey(move.topic, move.partition), move.next);
      for (const [table, count] of written) outcome.rows.set(table, (outcome.rows.get(table) ?? 0) + count);
      outcome.deadLetters.push(...deadLetters);
    } catch (error) {
      broken ||= isTransientSqlError(error);
      throw error;
    } finally {
      session.release(broken);
    }
  }
}
