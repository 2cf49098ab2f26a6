/**
 * The sink's consumed offsets live in Postgres, beside the rows they produced: a batch and its offsets commit
 * together or not at all. Advancing is fenced: it only moves a partition from the offset this replica read,
 * so a replica that lost the partition in a rebalance (a zombie) cannot write a batch twice.
 */
import type { TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import type { SqlSession } from '../postgres/sql.js';

/** Offset stored for a partition the sink has never written: read it from its beginning. */
export const FROM_BEGINNING = -1n;

export class SinkFencedError extends Error {
  override readonly name = 'SinkFencedError';
}

export interface OffsetMove extends TopicPartition {
  /** What this replica read from sink_offsets (or last wrote): the fence. */
  readonly expected: bigint;
  readonly next: bigint;
}

/** The stored next offset per `topic:partition`, creating FROM_BEGINNING rows for partitions never seen. */
export async function loadOffsets(db: SqlSession, consumer: string, partitions: readonly TopicPartition[]): Promise<Map<string, bigint>> {
  const offsets = new Map<string, bigint>();
  if (partitions.length === 0) return offsets;
  const topics = partitions.map((tp) => tp.topic);
  const numbers = partitions.map((tp) => tp.partition);
  await db.query(
    `INSERT INTO sink_offsets (consumer, topic, partition, next_offset)
     SELECT $1, t, p, $4 FROM unnest($2::text[], $3::integer[]) AS v(t, p)
     ON CONFLICT (consumer, topic, partition) DO NOTHING`,
    [consumer, topics, numbers, FROM_BEGINNING.toString()],
  );
  const { rows } = await db.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT s.topic, s.partition, s.next_offset FROM sink_offsets s JOIN unnest($2::text[], $3::integer[]) AS v(t, p) ON s.topic = v.t AND s.partition = v.p
     WHERE s.consumer = $1`,
    [consumer, topics, numbers],
  );
  for (const row of rows) offsets.set(tpKey(row.topic, row.partition), BigInt(row.next_offset));
  return offsets;
}

/** Moves each partition from `expected` to `next`; throws SinkFencedError if any stored offset moved meanwhile. */
export async function advanceOffsets(session: SqlSession, consumer: string, moves: readonly OffsetMove[]): Promise<void> {
  if (moves.length === 0) return;
  const { rowCount } = await session.query(
    `UPDATE sink_offsets AS s SET next_offset = v.next
     FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::bigint[]) AS v(topic, partition, expected, next)
     WHERE s.consumer = $1 AND s.topic = v.topic AND s.partition = v.partition AND s.next_offset = v.expected`,
    [
      consumer,
      moves.map((m) => m.topic),
      moves.map((m) => m.partition),
      moves.map((m) => m.expected.toString()),
      moves.map((m) => m.next.toString()),
    ],
  );
  if (rowCount !== moves.length) {
    throw new SinkFencedError(
      `${moves.length - rowCount} of ${moves.length} partitions were written by another replica since this one read their offsets (a rebalance moved them)`,
    );
  }
}
