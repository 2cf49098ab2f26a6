import { type Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { committedRecords, type FetchedBatch } from './record-batches.js';
import { tpKey, type TopicPartition } from './client.js';

export interface FetchSettings {
  readonly readCommitted: boolean;
  readonly maxWaitMs: number;
  readonly maxBytesPerPartition: number;
}

/** Error codes after which the next fetch should re-read metadata (leadership moved, topic changed). */
const STALE_METADATA = new Set([3, 6, 74, 75, 100]);
const OFFSET_OUT_OF_RANGE = 1;

export interface FetchOutcome {
  records: ConsumedRecord[];
  /** New position per `topic:partition` that advanced. */
  positions: Map<string, bigint>;
  /** Partitions whose position is no longer on the broker (retention removed it). */
  outOfRange: TopicPartition[];
  /** Readable end per `topic:partition` answered: last stable offset under read_committed, else high watermark. */
  ends: Map<string, bigint>;
}

/**
 * The partitions of the `round`-th fetch, each round starting one further along. The broker fills a response
 * partition by partition in the order asked, up to the response's size limit, and guarantees a record (however
 * large its batch) only to the first partition with data: in a fixed order the partitions at the end starve
 * behind busy ones, and a task waiting for one of them (PartitionGroup) waits as long.
 */
export function inFetchOrder<V>(positions: ReadonlyMap<string, V>, round: number): Map<string, V> {
  const entries = [...positions];
  if (entries.length < 2) return new Map(entries);
  const start = round % entries.length;
  return new Map([...entries.slice(start), ...entries.slice(0, start)]);
}

/**
 * One fetch round: a request per partition leader, in parallel, from the given positions. Low-level on
 * purpose: the runtime owns positions (it rewinds them when a transaction aborts), and aborted-transaction
 * filtering is done by `committedRecords`.
 */
export async function fetchOnce(
  consumer: Consumer,
  positions: ReadonlyMap<string, { tp: TopicPartition; offset: bigint }>,
  settings: FetchSettings,
): Promise<FetchOutcome> {
  const outcome: FetchOutcome = { records: [], positions: new Map(), outOfRange: [], ends: new Map() };
  if (positions.size === 0) return outcome;
  const topics = [...new Set([...positions.values()].map(({ tp }) => tp.topic))];
  const metadata = await consumer.metadata({ topics });
  const byLeader = new Map<number, Map<string, Array<{ partition: number; offset: bigint; leaderEpoch: number }>>>();
  const topicNames = new Map<string, string>();
  for (const { tp, offset } of positions.values()) {
    const topicMetadata = metadata.topics.get(tp.topic);
    const partitionMetadata = topicMetadata?.partitions[tp.partition];
    if (!topicMetadata || !partitionMetadata) continue;
    topicNames.set(topicMetadata.id, tp.topic);
    const perTopic = byLeader.get(partitionMetadata.leader) ?? new Map();
    byLeader.set(partitionMetadata.leader, perTopic);
    const list = perTopic.get(topicMetadata.id) ?? [];
    perTopic.set(topicMetadata.id, list);
    list.push({ partition: tp.partition, offset, leaderEpoch: partitionMetadata.leaderEpoch });
  }
  let staleMetadata = false;
  await Promise.all(
    [...byLeader].map(async ([leader, perTopic]) => {
      const response = await consumer.fetch({
        node: leader,
        maxWaitTime: settings.maxWaitMs,
        minBytes: 1,
        maxBytes: settings.maxBytesPerPartition * 4,
        isolationLevel: settings.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
        topics: [...perTopic].map(([topicId, partitions]) => ({
          topicId,
          partitions: partitions.map(({ partition, offset, leaderEpoch }) => ({
            partition,
            fetchOffset: offset,
            partitionMaxBytes: settings.maxBytesPerPartition,
            currentLeaderEpoch: leaderEpoch,
            lastFetchedEpoch: -1,
          })),
        })),
      });
      for (const topicResponse of response.responses) {
        const topic = topicNames.get(topicResponse.topicId);
        if (topic === undefined) continue;
        for (const partitionResponse of topicResponse.partitions) {
          const partition = partitionResponse.partitionIndex;
          if (partitionResponse.errorCode === OFFSET_OUT_OF_RANGE) {
            outcome.outOfRange.push({ topic, partition });
            continue;
          }
          if (partitionResponse.errorCode !== 0) {
            if (STALE_METADATA.has(partitionResponse.errorCode)) staleMetadata = true;
            continue;
          }
          const from = positions.get(tpKey(topic, partition))!.offset;
          const end =
            settings.readCommitted && partitionResponse.lastStableOffset >= 0n
              ? partitionResponse.lastStableOffset
              : partitionResponse.highWatermark;
          outcome.ends.set(tpKey(topic, partition), end);
          const { records, nextOffset } = committedRecords(
            topic,
            partition,
            (partitionResponse.records ?? []) as unknown as FetchedBatch[],
            partitionResponse.abortedTransactions ?? [],
            from,
          );
          if (nextOffset !== undefined && nextOffset > from) outcome.positions.set(tpKey(topic, partition), nextOffset);
          for (const record of records) outcome.records.push(record);
        }
      }
    }),
  );
  if (staleMetadata) consumer.clearMetadata();
  return outcome;
}
