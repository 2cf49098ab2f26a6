import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';

/**
 * The runtime's own view of a Kafka client: the few operations a Streams runtime needs, so the client
 * library can be swapped (and measured) without touching tasks, stores or the commit protocol.
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionOffset extends TopicPartition {
  readonly offset: bigint;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Copies of each partition; default 1 (a local broker). The processes take it from OMNIA_TOPIC_REPLICATION_FACTOR. */
  readonly replicationFactor?: number;
  readonly configs?: Readonly<Record<string, string>>;
}

/** Identifies the consumer-group generation offsets are committed under; a stale one is fenced (KIP-447). */
export interface GroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly coordinatorId: number;
}

export interface Assignment {
  readonly generationId: number;
  readonly partitions: readonly TopicPartition[];
}

export interface AdminClient {
  /** Partition count per topic; a missing topic is absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /**
   * The group's members as the coordinator sees them: the metadata each published with its subscription and
   * the partitions it was assigned. Interactive queries learn from it which replica owns which partition.
   */
  groupMembers(groupId: string): Promise<GroupMember[]>;
  /** Last stable offset (read_committed end) or high watermark per partition. */
  endOffsets(partitions: readonly TopicPartition[], committedOnly: boolean): Promise<Map<string, bigint>>;
  /** Every topic name of the cluster (a cheap request that needs a working connection). */
  listTopics(): Promise<string[]>;
  /** The group's state as its coordinator reports it (STABLE, PREPARING_REBALANCE, EMPTY, DEAD…) and its members. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /**
   * Takes members out of the group on their behalf (a LeaveGroup for them, KIP-345's administrative removal): the
   * group rebalances now rather than after their session timeout. For members known to be dead.
   */
  removeMembers(groupId: string, memberIds: readonly string[], reason: string): Promise<void>;
  /**
   * The offsets the group committed, per `topic:partition`; a partition it never committed is absent. `stable`
   * waits while a transaction that commits offsets of these partitions is still open or completing (Kafka's
   * require_stable): an exactly-once reader resumes where the last transaction really left it.
   */
  committedOffsets(groupId: string, partitions: readonly TopicPartition[], options?: { stable?: boolean }): Promise<Map<string, bigint>>;
  /** Per `topic:partition`, the first offset whose record time is at or after `timestamp` (epoch ms); the end when none is. */
  offsetsForTime(partitions: readonly TopicPartition[], timestamp: number): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export interface GroupMember {
  readonly memberId: string;
  readonly metadata: Buffer | null;
  readonly partitions: readonly TopicPartition[];
  /** The address the member connected from, as the coordinator saw it. */
  readonly clientHost?: string;
  /** Its static-membership id (the replica's OMNIA_INSTANCE_ID), when it has one. */
  readonly instanceId?: string;
}

export interface GroupDescription {
  readonly state: string;
  readonly members: GroupMember[];
}

export interface GroupConsumerOptions {
  readonly groupId: string;
  /** Static membership: a restarted member with the same id gets its partitions back without a rebalance. */
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs: number;
  readonly readCommitted: boolean;
  /** Opaque bytes every member publishes with its subscription (the runtime puts its query endpoint here). */
  readonly memberMetadata?: Buffer;
  /**
   * Where committed offsets are read from on every assignment and rewind, instead of the consumer's own fetch:
   * the Postgres sink keeps them beside its rows, and an exactly-once runtime reads them stable. Per
   * `topic:partition`; a negative or missing offset means the beginning.
   */
  readonly committedOffsets?: (partitions: readonly TopicPartition[]) => Promise<Map<string, bigint>>;
}

export interface GroupConsumer {
  join(topics: readonly string[]): Promise<void>;
  /** Increments whenever the group hands this member a new assignment. */
  readonly assignmentVersion: number;
  assignment(): Assignment;
  /** The generation the next offsets commit must carry. */
  groupMetadata(): GroupMetadata;
  /**
   * Records from the assigned partitions at their positions, leaving out the `paused` ones (`topic:partition`,
   * their records still buffered unprocessed); resolves empty after `maxWaitMs` when idle.
   */
  poll(maxWaitMs: number, paused?: ReadonlySet<string>): Promise<ConsumedRecord[]>;
  /** Records between each assigned partition's position and its readable end, as of the last fetch. */
  lag(): Array<TopicPartition & { readonly records: number }>;
  /** Moves every assigned partition back to its committed offset (after an aborted transaction). */
  rewindToCommitted(): Promise<void>;
  /** At-least-once: commits offsets outside any transaction, under the given generation. */
  commit(offsets: readonly PartitionOffset[], generation: GroupMetadata): Promise<void>;
  /** Leaves the group: the member's tasks move at once. */
  close(): Promise<void>;
}

/** Operations fail with ProducerFencedError (runtime/errors.ts) once another producer took the transactional id. */
export interface Producer {
  /** With a transactional id this registers it and fences any older producer holding the same id. */
  init(): Promise<void>;
  readonly transactional: boolean;
  beginTransaction(): Promise<void>;
  /** Sends and waits for the acks; returns the base offset per `topic:partition`. */
  send(records: readonly ProducedRecord[]): Promise<Map<string, bigint>>;
  /** Adds consumed offsets to the open transaction, fenced by the group generation. */
  sendOffsetsToTransaction(offsets: readonly PartitionOffset[], group: GroupMetadata): Promise<void>;
  commitTransaction(): Promise<void>;
  abortTransaction(): Promise<void>;
  /**
   * Registers the transactional id with its coordinator now (else the first transaction does). The coordinator
   * first finishes whatever transaction the id left behind (a prepared commit is completed, an open one aborted),
   * so when this resolves that transaction's outcome is final and its markers are written.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Reads a partition outside any group: changelog restore and global tables. */
export interface PartitionReader {
  /**
   * Reads `[from, until)` committed records of one partition, handing each fetched batch to `onRecords`;
   * resolves with `until`, where the next read must start: a fetch may reach past it, but what lies beyond
   * was not delivered. Control records and aborted data are never delivered.
   */
  read(partition: TopicPartition, from: bigint, until: bigint, onRecords: (records: ConsumedRecord[]) => Promise<void>): Promise<bigint>;
  /** Earliest available offset (log start) of a partition. */
  startOffset(partition: TopicPartition): Promise<bigint>;
  close(): Promise<void>;
}

export interface KafkaClient {
  readonly name: string;
  admin(): AdminClient;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
  producer(options: { transactionalId?: string; transactionTimeoutMs?: number }): Producer;
  partitionReader(): PartitionReader;
}

export const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;
