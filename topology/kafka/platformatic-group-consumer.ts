import { Consumer, FetchIsolationLevels, type GroupPartitionsAssigner } from '@platformatic/kafka';
import { ConsumerLostError, TaskMigratedError } from '../../runtime/errors.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import type { Assignment, GroupConsumer, GroupConsumerOptions, GroupMetadata, PartitionOffset, TopicPartition } from './client.js';
import { tpKey } from './client.js';
import { fetchOnce, inFetchOrder } from './platformatic-fetch.js';
import { stickyAssignor } from './sticky-assignor.js';
import type { KafkaConnectionOptions } from './security.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Group membership from @platformatic/kafka's consumer (join, sync, heartbeats, static membership), with
 * fetching and positions kept here: the runtime must be able to rewind after an aborted transaction.
 */
export class PlatformaticGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private readonly positions = new Map<string, { tp: TopicPartition; offset: bigint }>();
  private readonly ends = new Map<string, bigint>();
  private current: Assignment = { generationId: -1, partitions: [] };
  private version = 0;
  private seededVersion = -1;
  private fetches = 0;
  /** Set when the client gave up on the group in the background: every later call throws it. */
  private lost: ConsumerLostError | undefined;

  constructor(
    bootstrapBrokers: string[],
    clientId: string,
    private readonly options: GroupConsumerOptions,
    connection: KafkaConnectionOptions = {},
  ) {
    this.consumer = new Consumer({
      clientId,
      bootstrapBrokers,
      groupId: options.groupId,
      ...(options.groupInstanceId ? { groupInstanceId: options.groupInstanceId } : {}),
      sessionTimeout: options.sessionTimeoutMs,
      // A member hears of a rebalance in a heartbeat's answer: at most a second after a replica joined or was released.
      heartbeatInterval: Math.max(100, Math.min(1_000, Math.floor(options.sessionTimeoutMs / 5))),
      rebalanceTimeout: Math.max(options.sessionTimeoutMs, 30_000),
      isolationLevel: options.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      retries: 5,
      retryDelay: 250,
      timeout: 10_000,
      ...connection,
    });
    this.consumer.on('consumer:group:join', (payload) => {
      this.current = {
        generationId: payload.generationId ?? this.consumer.generationId,
        partitions: (payload.assignments ?? []).flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition }))),
      };
      this.version++;
    });
    // Emitted when a background rejoin failed every retry; unheard, it would be an uncaught 'error' event.
    this.consumer.on('error', (error: Error) => {
      this.lost ??= new ConsumerLostError(`the group consumer gave up: ${error.message}`, { cause: error });
    });
  }

  get assignmentVersion(): number {
    return this.version;
  }

  async join(topics: readonly string[]): Promise<void> {
    this.consumer.topics.trackAll(...topics);
    const partitionAssigner: GroupPartitionsAssigner = stickyAssignor;
    await this.consumer.joinGroup({
      partitionAssigner,
      protocols: [{ name: 'omnia-sticky', version: 1, metadata: this.options.memberMetadata ?? Buffer.alloc(0) }],
    });
  }

  assignment(): Assignment {
    return this.current;
  }

  groupMetadata(): GroupMetadata {
    return {
      groupId: this.consumer.groupId,
      generationId: this.current.generationId,
      memberId: this.consumer.memberId ?? '',
      coordinatorId: this.consumer.coordinatorId ?? -1,
    };
  }

  async poll(maxWaitMs: number, paused: ReadonlySet<string> = new Set()): Promise<ConsumedRecord[]> {
    if (this.lost) throw this.lost;
    if (this.seededVersion !== this.version) await this.seedPositions();
    const positions = inFetchOrder(
      paused.size === 0 ? this.positions : new Map([...this.positions].filter(([key]) => !paused.has(key))),
      this.fetches++,
    );
    if (positions.size === 0) {
      await sleep(Math.min(maxWaitMs, 100));
      return [];
    }
    const outcome = await fetchOnce(this.consumer, positions, {
      readCommitted: this.options.readCommitted,
      maxWaitMs,
      maxBytesPerPartition: 1024 * 1024,
    });
    if (this.seededVersion !== this.version) return []; // reassigned while fetching: these records may not be ours
    for (const [key, offset] of outcome.positions) {
      const entry = this.positions.get(key);
      if (entry) entry.offset = offset;
    }
    for (const [key, end] of outcome.ends) this.ends.set(key, end);
    if (outcome.outOfRange.length) await this.resetToEarliest(outcome.outOfRange);
    return outcome.records;
  }

  lag(): Array<TopicPartition & { readonly records: number }> {
    const lag: Array<TopicPartition & { readonly records: number }> = [];
    for (const [key, { tp, offset }] of this.positions) {
      const end = this.ends.get(key);
      if (end !== undefined) lag.push({ ...tp, records: Math.max(0, Number(end - offset)) });
    }
    return lag;
  }

  async rewindToCommitted(): Promise<void> {
    this.seededVersion = -1;
    await this.seedPositions();
  }

  async commit(offsets: readonly PartitionOffset[], generation: GroupMetadata): Promise<void> {
    if (generation.generationId !== this.current.generationId)
      throw new TaskMigratedError(`generation ${generation.generationId} is stale (now ${this.current.generationId})`);
    if (offsets.length === 0) return;
    if (this.lost) throw this.lost;
    await this.consumer.commit({ offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset, leaderEpoch: -1 })) });
  }

  /**
   * Leaves the group (the client's close sends LeaveGroup, static member or not), so a replica scaled in hands
   * its tasks over at once rather than after the session timeout.
   */
  async close(): Promise<void> {
    await this.consumer.close(true);
  }

  /** Positions for a new assignment: the group's committed offsets, else the beginning of the partition. */
  private async seedPositions(): Promise<void> {
    const version = this.version;
    const partitions = this.current.partitions;
    this.positions.clear();
    this.ends.clear();
    if (partitions.length === 0) {
      this.seededVersion = version;
      return;
    }
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const committed = this.options.committedOffsets
      ? await this.options.committedOffsets(partitions)
      : await this.consumer
          .listCommittedOffsets({ topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })) })
          .then((offsets) => {
            const flat = new Map<string, bigint>();
            for (const tp of partitions) {
              const offset = offsets.get(tp.topic)?.[tp.partition];
              if (offset !== undefined) flat.set(tpKey(tp.topic, tp.partition), offset);
            }
            return flat;
          });
    if (version !== this.version) return; // reassigned while reading: seed again for the new assignment
    const earliest = await this.consumer.listOffsets({ topics: [...byTopic.keys()], timestamp: -2n });
    for (const tp of partitions) {
      const offset = committed.get(tpKey(tp.topic, tp.partition));
      const start = earliest.get(tp.topic)?.[tp.partition] ?? 0n;
      this.positions.set(tpKey(tp.topic, tp.partition), { tp, offset: offset !== undefined && offset >= 0n ? offset : start });
    }
    this.seededVersion = version;
  }

  private async resetToEarliest(partitions: TopicPartition[]): Promise<void> {
    const earliest = await this.consumer.listOffsets({ topics: [...new Set(partitions.map((tp) => tp.topic))], timestamp: -2n });
    for (const tp of partitions) {
      const entry = this.positions.get(tpKey(tp.topic, tp.partition));
      if (entry) entry.offset = earliest.get(tp.topic)?.[tp.partition] ?? 0n;
    }
  }
}
