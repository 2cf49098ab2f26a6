import type { ConsumedRecord } from '../../runtime/produced-record.js';

/** The parts of a fetched record batch this module reads (Kafka's v2 batch format). */
export interface FetchedBatch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: bigint;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly records: ReadonlyArray<{
    readonly offsetDelta: number;
    readonly timestampDelta: bigint;
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: ReadonlyArray<readonly [Buffer | null, Buffer | null]>;
  }>;
}

const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL = 0x20;
const ABORT_MARKER = 0;

/**
 * Turns one partition's fetched batches into records, dropping control batches and every batch of an
 * aborted transaction. Follows the Java consumer: a producer becomes "aborted" when a batch reaches the
 * first offset of one of its aborted transactions (listed by the broker for this fetch), and stops being so
 * at its ABORT marker. Done here rather than trusted to the client library, because a fetch that ends
 * between an aborted transaction's data and its marker must still drop that data.
 */
export function committedRecords(
  topic: string,
  partition: number,
  batches: readonly FetchedBatch[],
  abortedTransactions: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }>,
  fromOffset: bigint,
): { records: ConsumedRecord[]; nextOffset: bigint | undefined } {
  const aborted = [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const records: ConsumedRecord[] = [];
  let nextOffset: bigint | undefined;
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    nextOffset = lastOffset + 1n;
    while (aborted.length && aborted[0]!.firstOffset <= lastOffset) abortedProducers.add(aborted.shift()!.producerId);
    if (batch.attributes & IS_CONTROL) {
      const marker = batch.records[0]?.key;
      if (marker && marker.length >= 4 && marker.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId)) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < fromOffset) continue; // a batch can start before the requested offset
      const headers: Record<string, string> = {};
      for (const [name, value] of record.headers) if (name) headers[name.toString()] = value ? value.toString() : '';
      records.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        timestamp: Number(batch.firstTimestamp + record.timestampDelta),
        headers,
      });
    }
  }
  return { records, nextOffset };
}
