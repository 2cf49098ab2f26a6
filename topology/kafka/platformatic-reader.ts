import { Consumer } from '@platformatic/kafka';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import type { PartitionReader, TopicPartition } from './client.js';
import { tpKey } from './client.js';
import { fetchOnce } from './platformatic-fetch.js';
import type { KafkaConnectionOptions } from './security.js';

/**
 * Bytes per fetch while restoring. 1 MiB measured fastest (bench/runtime.md): the client's response buffer
 * is scanned from its first chunk on every read, so larger responses decode slower and hold more memory.
 */
const RESTORE_FETCH_BYTES = 1024 * 1024;

/** Reads partitions directly, outside any group: changelog restore and global tables. */
export class PlatformaticReader implements PartitionReader {
  private readonly consumer: Consumer;

  constructor(bootstrapBrokers: string[], clientId: string, connection: KafkaConnectionOptions = {}) {
    // A group id is required by the client's constructor; this consumer never joins it.
    this.consumer = new Consumer({
      clientId,
      bootstrapBrokers,
      groupId: `${clientId}-reader`,
      retries: 5,
      retryDelay: 250,
      timeout: 15_000,
      ...connection,
    });
  }

  async read(tp: TopicPartition, from: bigint, until: bigint, onRecords: (records: ConsumedRecord[]) => Promise<void>): Promise<bigint> {
    const position = { tp, offset: from };
    const positions = new Map([[tpKey(tp.topic, tp.partition), position]]);
    let idleRounds = 0;
    while (position.offset < until) {
      const outcome = await fetchOnce(this.consumer, positions, {
        readCommitted: true,
        maxWaitMs: 200,
        maxBytesPerPartition: RESTORE_FETCH_BYTES,
      });
      if (outcome.outOfRange.length) position.offset = await this.startOffset(tp);
      const next = outcome.positions.get(tpKey(tp.topic, tp.partition));
      if (next === undefined) {
        // Nothing readable below `until`: the range ends in an open (to be aborted) transaction.
        if (++idleRounds > 50) throw new Error(`restore of ${tp.topic}-${tp.partition} stalled at ${position.offset} (end ${until})`);
        continue;
      }
      idleRounds = 0;
      position.offset = next;
      const wanted = outcome.records.filter((record) => record.offset < until);
      if (wanted.length) await onRecords(wanted);
    }
    // Records at or past `until` in the last fetch were dropped: reading on must start at `until`, not after them.
    return until;
  }

  async startOffset(tp: TopicPartition): Promise<bigint> {
    const offsets = await this.consumer.listOffsets({ topics: [tp.topic], partitions: { [tp.topic]: [tp.partition] }, timestamp: -2n });
    return offsets.get(tp.topic)?.[tp.partition] ?? 0n;
  }

  async close(): Promise<void> {
    await this.consumer.close(true);
  }
}
