/**
 * The sink for the embedded default: the in-process driver's output records go through the same rows and
 * batch writer as on Kafka, into the embedded Postgres, so `npm start` has real tables to query. The driver
 * has no offsets; records are numbered per topic partition in the order the driver produced them.
 */
import { tpKey } from '../topology/kafka/client.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { BatchWriter, type WriteOutcome } from './batch-writer.js';
import { loadOffsets } from './sink-offsets.js';
import { itemOf, type SinkSources } from './sink-sources.js';
import type { SqlDatabase } from '../postgres/sql.js';

export class EmbeddedSink {
  private readonly writer: BatchWriter;
  private readonly nextOffset = new Map<string, bigint>();
  private readonly expected = new Map<string, bigint>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly sources: SinkSources,
    private readonly group = 'embedded-sink',
  ) {
    this.writer = new BatchWriter(db, group);
  }

  /** Writes the records the sink reads (others are skipped) in one transaction. */
  async write(records: readonly ProducedRecord[]): Promise<WriteOutcome> {
    const wanted = new Set(this.sources.topics);
    const items = [];
    const unseen = new Map<string, { topic: string; partition: number }>();
    for (const record of records) {
      if (!wanted.has(record.topic)) continue;
      const key = tpKey(record.topic, record.partition);
      if (!this.expected.has(key)) unseen.set(key, { topic: record.topic, partition: record.partition });
      const offset = this.nextOffset.get(key) ?? 0n;
      this.nextOffset.set(key, offset + 1n);
      items.push(itemOf({ ...record, offset }, this.sources));
    }
    if (unseen.size)
      for (const [key, offset] of await loadOffsets(this.db, this.group, [...unseen.values()])) this.expected.set(key, offset);
    return this.writer.write(items, this.expected);
  }
}
