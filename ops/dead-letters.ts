/**
 * Dead letters as the operator commands see them (pure): a DLQ record read back with its headers
 * (runtime/dead-letter.ts, docs/contract.md §13), whether `omnia dlq redrive` already re-drove it, the filters of
 * `list`, `show` and `redrive`, counts per topic and code, and the records a re-drive writes.
 *
 * The re-drive ledger: a compacted topic (`<application id>-dlq-redriven`) with one record per dead letter
 * re-driven, keyed by where the dead letter is (`<dlq topic>/<partition>/<offset>`). A re-drive writes the
 * re-produced records and their ledger entries in one Kafka transaction, so either both are there or neither;
 * the next run reads the ledger and skips what it holds. Why a ledger and not a consumer group's committed
 * offset: an offset is one position per partition, so a run filtered by code or time would either move past the
 * dead letters it left out (and no later run would see them) or stop at the first of them (and redo what came
 * after). The ledger records each dead letter on its own, whatever the filters.
 */
import { DLQ_SUFFIX, DlqHeaders, REDRIVEN_FROM_HEADER } from '../runtime/dead-letter.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ConsumedRecord, ProducedRecord } from '../runtime/produced-record.js';

/** When the re-drive happened, on the re-produced record (with REDRIVEN_FROM_HEADER). */
export const REDRIVEN_AT_HEADER = 'omnia.redrive.at';

export const ledgerTopicOf = (applicationId: string): string => `${applicationId}-dlq-redriven`;

/** A ledger entry: one dead letter re-driven. */
export interface RedriveEntry {
  /** ISO time of the re-drive. */
  readonly at: string;
  /** The topic and partition it was re-produced onto. */
  readonly topic: string;
  readonly partition: number;
  readonly code: string;
}

export interface DeadLetter {
  readonly dlqTopic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly code: string;
  readonly message: string;
  readonly originTopic: string;
  readonly originPartition: number | null;
  readonly originOffset: string | null;
  /** When it was dead-lettered (epoch ms): its header, else the record's time. */
  readonly at: number;
  /** Set once `omnia dlq redrive` re-drove it. */
  readonly redriven: RedriveEntry | null;
}

/** Where a dead letter is: its ledger key. */
export const positionOf = (dlqTopic: string, partition: number, offset: bigint | string): string => `${dlqTopic}/${partition}/${offset}`;

export function deadLetterOf(record: ConsumedRecord, ledger: ReadonlyMap<string, RedriveEntry>): DeadLetter {
  const headers = record.headers;
  const partition = Number(headers[DlqHeaders.partition]);
  const at = Date.parse(headers[DlqHeaders.at] ?? '');
  return {
    dlqTopic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers,
    code: headers[DlqHeaders.code] ?? 'UNKNOWN',
    message: headers[DlqHeaders.message] ?? '',
    originTopic: headers[DlqHeaders.topic] ?? record.topic.slice(0, -DLQ_SUFFIX.length),
    originPartition: Number.isInteger(partition) && headers[DlqHeaders.partition] !== undefined ? partition : null,
    originOffset: headers[DlqHeaders.offset] ?? null,
    at: Number.isNaN(at) ? record.timestamp : at,
    redriven: ledger.get(positionOf(record.topic, record.partition, record.offset)) ?? null,
  };
}

export interface DeadLetterFilter {
  /** DLQ topics to keep (`<source>.dlq`); all when absent. */
  readonly dlqTopics?: ReadonlySet<string>;
  readonly code?: string;
  /** Dead-lettered at or after (epoch ms). */
  readonly since?: number;
}

export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (
    (filter.dlqTopics === undefined || filter.dlqTopics.has(letter.dlqTopic)) &&
    (filter.code === undefined || letter.code === filter.code) &&
    (filter.since === undefined || letter.at >= filter.since)
  );
}

export interface DeadLetterSummary {
  readonly dlqTopic: string;
  readonly code: string;
  /** Not re-driven yet. */
  readonly waiting: number;
  readonly redriven: number;
  readonly oldest: number;
  readonly newest: number;
  /** When the oldest one still waiting was dead-lettered; null when none waits. */
  readonly oldestWaiting: number | null;
}

/** Counts per DLQ topic and code, in topic then code order. */
export function summarise(letters: readonly DeadLetter[]): DeadLetterSummary[] {
  const rows = new Map<
    string,
    { dlqTopic: string; code: string; waiting: number; redriven: number; oldest: number; newest: number; oldestWaiting: number | null }
  >();
  for (const letter of letters) {
    const key = `${letter.dlqTopic}\u0000${letter.code}`;
    let row = rows.get(key);
    if (!row)
      rows.set(
        key,
        (row = {
          dlqTopic: letter.dlqTopic,
          code: letter.code,
          waiting: 0,
          redriven: 0,
          oldest: letter.at,
          newest: letter.at,
          oldestWaiting: null,
        }),
      );
    row.oldest = Math.min(row.oldest, letter.at);
    row.newest = Math.max(row.newest, letter.at);
    if (letter.redriven) row.redriven++;
    else {
      row.waiting++;
      row.oldestWaiting = row.oldestWaiting === null ? letter.at : Math.min(row.oldestWaiting, letter.at);
    }
  }
  return [...rows.values()].sort((a, b) => a.dlqTopic.localeCompare(b.dlqTopic) || a.code.localeCompare(b.code));
}

const DROPPED_HEADERS = new Set<string>([...Object.values(DlqHeaders), REDRIVEN_FROM_HEADER, REDRIVEN_AT_HEADER]);

/**
 * The record a re-drive produces: the original key, value bytes and headers (the dead letter's own headers taken
 * off), onto the origin topic and partition (by key when that partition no longer exists), at the time of the
 * re-drive, marked with where the dead letter was.
 */
export function redriveRecord(letter: DeadLetter, partitions: number, now: number): ProducedRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) if (!DROPPED_HEADERS.has(name)) headers[name] = value;
  headers[REDRIVEN_FROM_HEADER] = positionOf(letter.dlqTopic, letter.partition, letter.offset);
  headers[REDRIVEN_AT_HEADER] = new Date(now).toISOString();
  const partition =
    letter.originPartition !== null && letter.originPartition < partitions
      ? letter.originPartition
      : letter.key
        ? partitionForKey(letter.key, partitions)
        : 0;
  return { topic: letter.originTopic, partition, key: letter.key, value: letter.value, timestamp: now, headers };
}

/** The ledger entry that says `letter` went to `target`. */
export function ledgerRecord(ledgerTopic: string, letter: DeadLetter, target: ProducedRecord, now: number): ProducedRecord {
  const entry: RedriveEntry = { at: new Date(now).toISOString(), topic: target.topic, partition: target.partition, code: letter.code };
  return {
    topic: ledgerTopic,
    partition: 0,
    key: Buffer.from(positionOf(letter.dlqTopic, letter.partition, letter.offset)),
    value: Buffer.from(JSON.stringify(entry)),
    timestamp: now,
    headers: {},
  };
}

/** A tombstone for a ledger entry whose dead letter the DLQ's retention removed: compaction then drops both. */
export const ledgerTombstone = (ledgerTopic: string, position: string, now: number): ProducedRecord => ({
  topic: ledgerTopic,
  partition: 0,
  key: Buffer.from(position),
  value: null,
  timestamp: now,
  headers: {},
});

/** The ledger's current entries from its records in order: the last record per key wins, a tombstone removes. */
export function ledgerOf(records: readonly ConsumedRecord[]): Map<string, RedriveEntry> {
  const ledger = new Map<string, RedriveEntry>();
  for (const record of records) {
    const key = record.key?.toString();
    if (key === undefined) continue;
    if (record.value === null) {
      ledger.delete(key);
      continue;
    }
    try {
      ledger.set(key, JSON.parse(record.value.toString()) as RedriveEntry);
    } catch {
      // not ours: ignored
    }
  }
  return ledger;
}

/** `<dlq topic>/<partition>/<offset>` → its parts; undefined for a key that is not a position. */
export function parsePosition(position: string): { dlqTopic: string; partition: number; offset: bigint } | undefined {
  const match = /^(.+)\/([0-9]+)\/([0-9]+)$/.exec(position);
  return match ? { dlqTopic: match[1]!, partition: Number(match[2]), offset: BigInt(match[3]!) } : undefined;
}
