import { randomUUID } from 'node:crypto';
import { componentLogger } from '../observability/logger.js';
import { join } from 'node:path';
import { createEngine } from '../state/engines.js';
import { GlobalStore } from '../state/global-store.js';
import { changelogTopic } from '../state/store-definition.js';
import { TaskStore } from '../state/task-store.js';
import { createdTopic, type RuntimeConfig } from './config.js';
import { dlqTopic } from './dead-letter.js';
import { transactionalIdOf } from './departed-replica.js';
import { ConsumerLostError, isDiskFull, ProducerFencedError, StateStoreError, TaskMigratedError, TopologyError } from './errors.js';
import type {
  AdminClient,
  GroupConsumer,
  GroupMetadata,
  KafkaClient,
  PartitionReader,
  Producer,
  TopicPartition,
} from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { RuntimeMetrics } from './metrics.js';
import type { ConsumedRecord, ProducedRecord } from './produced-record.js';
import { PartitionGroup } from './partition-group.js';
import { missedAGeneration, type TakenUp } from './missed-generation.js';
import { restoreStores } from './restore.js';
import { StandbyTasks, standbyPartitions } from './standby-tasks.js';
import { encodeMemberMetadata, parseMemberMetadata } from './member-metadata.js';
import { Lifecycle, type LifecycleState, type StartContext, type StateChange } from './lifecycle.js';
import type { Logger } from '../observability/logger.js';
import { StreamTask } from './stream-task.js';
import type { Topology } from './topology-builder.js';

/** Failures in a row (no commit between them) after which the group consumer is replaced as well (not for a task migration). */
const REPLACE_CONSUMER_AFTER_FAILURES = 3;
/** Pause between standby read rounds; a round reads everything committed since the last. */
const STANDBY_READ_INTERVAL_MS = 100;
/** The group's members are asked again this often (as well as after each assignment) to choose the standbys. */
const STANDBY_REFRESH_MS = 30_000;

/** The replica's state, as KafkaStreams.State: created, starting (waiting-for-topics), running ⇄ restoring, stopping, stopped, failed. */
export type RuntimeState = LifecycleState;

/**
 * Runs a topology on Kafka: joins the group, turns assigned partitions into tasks (restoring their stores
 * first), processes records and commits. One loop, one producer and one consumer per replica; tasks own
 * the state. Knows nothing of orders.
 */
export class StreamsRuntime {
  readonly metrics = new RuntimeMetrics();
  private readonly log: Logger;
  private readonly life: Lifecycle;
  private readonly tasks = new Map<number, StreamTask>();
  private readonly globalStores = new Map<string, GlobalStore<unknown, unknown>>();
  private readonly partitionCounts = new Map<string, number>();
  /** This replica's name: the static member id when configured, and the query endpoint's owner in the group. */
  readonly instanceId: string;
  private admin!: AdminClient;
  private reader!: PartitionReader;
  private consumer!: GroupConsumer;
  private producer!: Producer;
  private globalLoop: Promise<void> | undefined;
  private standbys: StandbyTasks | undefined;
  private standbyLoop: Promise<void> | undefined;
  private seenAssignment = -1;
  private takenUp: TakenUp | undefined;
  // Intervals are measured on the monotonic clock (performance.now()): the wall clock can be stepped (NTP, an
  // operator), and an hour back would hold every interval commit and punctuation for that hour. Date.now() is for
  // what is about the time of day: the wall-clock punctuators, timestamps, metrics.
  private lastCommit = performance.now();
  private lastWallClockPunctuation = -Infinity;
  /** Generation under which the records since the last commit were read; their offsets must commit under it. */
  private pendingGeneration: GroupMetadata | undefined;
  private uncommitted = 0;
  private failures = 0;
  /** A replacement consumer has not joined yet: the loop keeps failing (with backoff) until one does. */
  private consumerLost = false;
  /**
   * A commit failed after its EndTxn may have reached the coordinator (a timeout, a connection lost): it may have
   * committed although the call failed. Nothing is processed until its outcome is known and the tasks' stores
   * are rebuilt from what really committed (settleCommitInDoubt).
   */
  private commitInDoubt = false;
  private failingSince: number | undefined;
  private lastFailure = '';
  /** A store failure found beside the loop (a standby's write): the loop fails the runtime with it. */
  private fatal: StateStoreError | undefined;
  /** Fetched, not yet processed records; each task takes its next one in timestamp order across its inputs. */
  private readonly buffered: PartitionGroup<ConsumedRecord>;
  /** Per task: its partition of every source topic. */
  private inputs = new Map<number, TopicPartition[]>();

  constructor(
    private readonly topology: Topology,
    readonly config: RuntimeConfig,
    private readonly client: KafkaClient,
  ) {
    this.instanceId = config.instanceId ?? `${config.applicationId}-${randomUUID()}`;
    this.buffered = new PartitionGroup(config.bufferedRecordsPerPartition, config.maxTaskIdleMs, config.bufferedBytesPerPartition);
    this.log = componentLogger('stream-runtime').child({ instance: this.instanceId });
    this.life = new Lifecycle({ component: 'stream runtime', log: this.log, close: () => this.close() });
  }

  get currentState(): RuntimeState {
    return this.life.state;
  }

  /**
   * How long the loop has failed without a commit in between, and the last error: a replica can be `running`
   * and still commit nothing (a broker it needs is gone); readiness reports it after a while.
   */
  get failing(): { readonly sinceMs: number; readonly error: string } | undefined {
    return this.failingSince === undefined ? undefined : { sinceMs: performance.now() - this.failingSince, error: this.lastFailure };
  }

  /** Partitions whose tasks this replica owns and has restored. */
  get ownedPartitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** Partitions of which this replica keeps a standby copy (OMNIA_NUM_STANDBY_REPLICAS). */
  get standbyPartitions(): number[] {
    return this.standbys?.partitions ?? [];
  }

  /** Partitions the group assigned to this replica, restored or still restoring. */
  get assignedPartitions(): number[] {
    const partitions = new Set((this.consumer?.assignment().partitions ?? []).map((tp) => tp.partition));
    return [...partitions].sort((a, b) => a - b);
  }

  /** The consumer-group generation of this replica's current assignment (-1 before the first). */
  get groupGeneration(): number {
    return this.consumer?.assignment().generationId ?? -1;
  }

  /** Called on every transition, once (readiness, metrics, tests). */
  onStateChange(listener: (state: RuntimeState, change: StateChange) => void): () => void {
    return this.life.onChange(listener);
  }

  /** A store of an owned task, for interactive queries; undefined when this replica does not own it. */
  store<S>(name: string, partition: number): S | undefined {
    return this.tasks.get(partition)?.stores.get(name) as S | undefined;
  }

  globalStore<S>(name: string): S | undefined {
    return this.globalStores.get(name) as S | undefined;
  }

  partitionsFor(topic: string): number {
    const count = this.partitionCounts.get(topic);
    if (count === undefined) throw new Error(`topic "${topic}" was not described at start`);
    return count;
  }

  /**
   * Resolves once the replica is in the group and running, or early when a stop overtook the start (which
   * then creates and joins nothing more). Rejects, and the runtime is `failed`, when the topology cannot run.
   */
  start(): Promise<void> {
    return this.life.start(async (steps) => {
      this.admin = this.client.admin();
      this.reader = this.client.partitionReader();
      await this.prepareTopics(steps);
      await steps.step(() => this.loadGlobalTables());
      this.producer = await steps.step(() => this.createProducer());
      this.consumer = await steps.step(() => this.createConsumer());
      await steps.step(() => this.consumer.join(this.sourceTopics()));
      if (this.config.numStandbyReplicas > 0) this.standbyLoop = this.keepStandbys();
      return () => this.runLoop();
    });
  }

  private createConsumer(): GroupConsumer {
    return this.client.groupConsumer({
      groupId: this.config.applicationId,
      ...(this.config.instanceId ? { groupInstanceId: this.config.instanceId } : {}),
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      readCommitted: this.config.processingGuarantee === 'exactly_once',
      // Exactly-once resumes only from stable offsets: a fetch that answered while a transaction committing them
      // was still completing (this replica's own after a failed commit, or the previous owner's after a
      // rebalance) would return the offsets before it, and its records would be processed twice.
      ...(this.config.processingGuarantee === 'exactly_once'
        ? { committedOffsets: (partitions) => this.admin.committedOffsets(this.config.applicationId, partitions, { stable: true }) }
        : {}),
      memberMetadata: encodeMemberMetadata({ instance: this.instanceId, endpoint: this.config.endpoint ?? null }),
    });
  }

  private sourceTopics(): string[] {
    return this.topology.sources.flatMap((source) => source.topics);
  }

  /**
   * Commits what was processed, closes tasks and clients, and leaves the group, static member or not: its tasks move
   * at once (a static member that dies without stopping keeps its place for the session timeout). Safe at any
   * moment and more than once: a start or restore in flight finishes first, then everything closes once.
   */
  stop(): Promise<void> {
    return this.life.stop();
  }

  /** After the start in flight and the loop have settled (the lifecycle waits for both). */
  private async close(): Promise<void> {
    await this.globalLoop;
    await this.standbyLoop;
    try {
      if (!this.life.failure) await this.commit();
    } catch (error) {
      this.log.warn({ err: error }, 'the last commit failed; its records are processed again by the next owner');
      this.abortAll();
    }
    await this.closeAllTasks();
    await this.standbys?.close();
    for (const store of this.globalStores.values()) await store.close();
    await this.consumer?.close().catch(() => undefined);
    await this.producer?.close().catch(() => undefined);
    await this.reader?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
  }

  /** Resolves when the runtime has stopped; rejects with the fatal error if it failed. */
  whenStopped(): Promise<void> {
    return this.life.whenStopped();
  }

  /**
   * Checks co-partitioning of the sources and creates what the runtime owns: changelogs (compacted, one
   * partition per task) and dead-letter topics. Sink topics must exist or are created like the sources.
   */
  private async prepareTopics(steps: StartContext): Promise<void> {
    const sourceTopics = this.topology.sources.flatMap((source) => source.topics);
    const counts = await steps.step(() => this.admin.partitionCounts(sourceTopics));
    const missing = sourceTopics.filter((topic) => !counts.has(topic));
    if (missing.length) throw new TopologyError(`source topics do not exist: ${missing.join(', ')}`);
    const distinct = new Set(counts.values());
    if (distinct.size > 1) {
      const detail = [...counts].map(([topic, count]) => `${topic}=${count}`).join(', ');
      throw new TopologyError(
        `source topics are not co-partitioned (partition counts differ: ${detail}); records of one key would reach different tasks`,
      );
    }
    const partitions = [...distinct][0]!;
    const owned = [
      ...[...this.topology.stores.values()]
        .filter((store) => store.logged)
        .map((store) => ({
          topic: changelogTopic(this.config.applicationId, store.name),
          partitions,
          configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' },
        })),
      ...sourceTopics.map((topic) => ({ topic: dlqTopic(topic), partitions })),
      ...this.topology.sinkTopics.map((topic) => ({ topic, partitions })),
    ].map((spec) => createdTopic(spec, this.config)); // replicated as OMNIA_TOPIC_REPLICATION_FACTOR says
    await steps.step(() => this.admin.ensureTopics(owned));
    // Newly created topics reach the broker's metadata a moment later: wait for them rather than misread them.
    const all = await steps.waitForTopics(this.admin, [...sourceTopics, ...owned.map((spec) => spec.topic)], {
      intervalMs: 100,
      timeoutMs: 5_000,
      why: 'just created',
    });
    for (const [topic, count] of all) this.partitionCounts.set(topic, count);
    for (const store of this.topology.stores.values()) {
      const topic = changelogTopic(this.config.applicationId, store.name);
      if (store.logged && all.get(topic) !== partitions)
        throw new TopologyError(`changelog ${topic} has ${all.get(topic)} partitions, sources have ${partitions}`);
    }
  }

  /** Exactly-once: transactional id stable per replica, so a restart fences its previous incarnation. */
  private async createProducer(): Promise<Producer> {
    const producer = this.client.producer({
      ...(this.config.processingGuarantee === 'exactly_once'
        ? { transactionalId: transactionalIdOf(this.config.applicationId, this.instanceId) }
        : {}),
      transactionTimeoutMs: this.config.transactionTimeoutMs,
    });
    await producer.init();
    return producer;
  }

  /** Loads each global table whole before processing starts, then keeps tailing it in the background. */
  private async loadGlobalTables(): Promise<void> {
    const tables = [...this.topology.globalTables.values()];
    if (tables.length === 0) return;
    const counts = await this.admin.partitionCounts(tables.map((table) => table.topic));
    const partitions: Array<{ table: string; tp: TopicPartition }> = [];
    for (const table of tables) {
      const count = counts.get(table.topic);
      if (count === undefined) throw new TopologyError(`global table topic ${table.topic} does not exist`);
      const engine = createEngine(this.config.stateEngine, join(this.config.stateDir, this.config.applicationId, 'global', table.name));
      // The topic is the table's changelog: start clean and read it all, so no local checkpoint can drift.
      await engine.open();
      await engine.destroy();
      await engine.open();
      this.globalStores.set(table.name, new GlobalStore(table.name, engine, table.keySerde, table.valueSerde));
      for (let partition = 0; partition < count; partition++) partitions.push({ table: table.name, tp: { topic: table.topic, partition } });
    }
    const positions = new Map<string, bigint>();
    for (const { tp } of partitions) positions.set(tpKey(tp.topic, tp.partition), await this.reader.startOffset(tp));
    await this.catchUpGlobalTables(partitions, positions);
    this.globalLoop = this.tailGlobalTables(partitions, positions);
  }

  /** Reads every global-table partition from its position to its current end (one end-offsets request for all). */
  private async catchUpGlobalTables(
    partitions: Array<{ table: string; tp: TopicPartition }>,
    positions: Map<string, bigint>,
  ): Promise<void> {
    const ends = await this.admin.endOffsets(
      partitions.map(({ tp }) => tp),
      true,
    );
    for (const { table, tp } of partitions) {
      const key = tpKey(tp.topic, tp.partition);
      const from = positions.get(key) ?? 0n;
      const end = ends.get(key) ?? 0n;
      if (from >= end) continue;
      const store = this.globalStores.get(table)!;
      positions.set(key, await this.reader.read(tp, from, end, async (records) => void (await store.apply(records))));
    }
  }

  private async tailGlobalTables(partitions: Array<{ table: string; tp: TopicPartition }>, positions: Map<string, bigint>): Promise<void> {
    while (!this.life.stopRequested && this.life.state !== 'failed') {
      // A failed round is retried from the same positions.
      await this.catchUpGlobalTables(partitions, positions).catch((error: unknown) =>
        this.log.warn({ err: error }, 'reading the global tables failed; retrying'),
      );
      await this.life.pause(1000);
    }
  }

  /**
   * Standby replicas: after each assignment (and now and then), which partitions to keep warm is chosen from the
   * group's members; then each round reads what their changelogs committed since the last round.
   */
  private async keepStandbys(): Promise<void> {
    this.standbys = new StandbyTasks({
      applicationId: this.config.applicationId,
      stateDir: this.config.stateDir,
      engine: this.config.stateEngine,
      stores: [...this.topology.stores.values()],
      admin: () => this.admin,
      reader: this.client.partitionReader(),
      active: () => new Set([...this.assignedPartitions, ...this.tasks.keys()]),
      metrics: this.metrics,
      log: this.log,
    });
    let chosenFor = -1;
    let chosenAt = 0;
    while (!this.life.stopRequested && this.life.state !== 'failed' && !this.fatal) {
      try {
        const version = this.consumer.assignmentVersion;
        if (version !== chosenFor || performance.now() - chosenAt >= STANDBY_REFRESH_MS) {
          await this.standbys.assign(await this.chooseStandbys());
          chosenFor = version;
          chosenAt = performance.now();
        }
        await this.standbys.catchUp();
      } catch (error) {
        if (isDiskFull(error)) {
          // As for an active task: a standby's engine that failed a write may lose what it acknowledges next.
          this.fatal = this.storeFailure(error, 'a standby task could not be written');
          return;
        }
        this.log.warn({ err: error }, `keeping the standby tasks failed (${(error as Error).message}); retrying`);
        chosenFor = -1;
        await this.life.pause(1000);
      }
      await this.life.pause(STANDBY_READ_INTERVAL_MS);
    }
  }

  /** This replica's standby partitions: for each partition, the next OMNIA_NUM_STANDBY_REPLICAS members after its owner. */
  private async chooseStandbys(): Promise<number[]> {
    const members = (await this.admin.groupMembers(this.config.applicationId)).map((member) => ({
      instance: parseMemberMetadata(member.metadata)?.instance ?? member.memberId,
      partitions: [...new Set(member.partitions.map((tp) => tp.partition))],
    }));
    return standbyPartitions(this.instanceId, members, this.config.numStandbyReplicas);
  }

  private async runLoop(): Promise<void> {
    while (!this.life.stopRequested) {
      try {
        if (this.fatal) throw this.fatal;
        if (this.consumerLost) throw new ConsumerLostError('the group consumer has not joined the group again yet');
        if (this.commitInDoubt) await this.settleCommitInDoubt();
        if (this.consumer.assignmentVersion !== this.seenAssignment) await this.onAssignment();
        if (this.life.stopRequested) break; // asked to stop during the restore
        this.buffered.add(await this.consumer.poll(this.config.pollMs, this.buffered.full()));
        const lag = new Map(this.consumer.lag().map(({ topic, partition, records }) => [tpKey(topic, partition), records]));
        for (const [partition, task] of this.tasks) await this.processBuffered(partition, task, lag);
        await this.punctuateWallClock();
        // What operators scale by: records not processed yet, fetched or not.
        for (const { topic, partition, records } of this.consumer.lag()) {
          this.metrics.consumerLag.labels(topic, String(partition)).set(records + this.buffered.buffered(tpKey(topic, partition)));
        }
        if (this.commitDue()) await this.commit();
      } catch (error) {
        // The runtime fails: whenStopped() rejects with it (and `omnia start` exits non-zero).
        if (error instanceof TopologyError || error instanceof StateStoreError) throw error;
        await this.recover(error as Error);
      }
    }
  }

  /** Processes what the task's inputs hold, in timestamp order, until it runs out or must wait for a fetch. */
  private async processBuffered(partition: number, task: StreamTask, lag: ReadonlyMap<string, number>): Promise<void> {
    const inputs = this.inputs.get(partition) ?? [];
    for (;;) {
      const next = this.buffered.next(partition, inputs, (key) => lag.get(key), performance.now());
      if (next?.record === undefined) return;
      if (next.enforced) this.metrics.enforcedProcessing.inc();
      this.pendingGeneration ??= this.consumer.groupMetadata();
      await task.process(next.record);
      // Bounds a transaction even when one poll returns more (small records, a long backlog).
      if (++this.uncommitted >= this.config.maxUncommittedRecords) await this.commit();
    }
  }

  /**
   * On the interval, or early: a full transaction, or an idle loop (everything fetched is processed) with work to
   * commit, so a steady trickle of records is not held for the whole interval.
   */
  private commitDue(): boolean {
    const sinceLast = performance.now() - this.lastCommit;
    if (this.uncommitted >= this.config.maxUncommittedRecords || sinceLast >= this.config.commitIntervalMs) return true;
    const idle = this.config.commitIdleMs > 0 && sinceLast >= this.config.commitIdleMs && !this.buffered.hasBuffered();
    return idle && (this.uncommitted > 0 || this.pendingGeneration !== undefined);
  }

  /** Back to the committed offsets: what was fetched and not processed is fetched again. */
  private async rewind(): Promise<void> {
    this.buffered.clear();
    await this.consumer.rewindToCommitted();
  }

  /**
   * The commit protocol, in order:
   *  1. take each task's output and its stores' pending writes (the changelog records: last value per key);
   *  2. refuse if the group moved on since these records were read (their tasks may be elsewhere now);
   *  3. exactly-once: begin a transaction, send output + changelogs, add the consumed offsets under the
   *     generation the records were read in (a zombie is fenced here), commit the transaction;
   *     at-least-once: send, then commit the offsets;
   *  4. only then write each store's buffer to its engine and move its checkpoint to the changelog offsets.
   * A failure before 4 aborts: buffers are dropped and positions rewind to the committed offsets. A failure in 4
   * (the disk full) is fatal: the store lacks writes of a committed transaction, so nothing may go on from it.
   */
  private async commit(): Promise<void> {
    const tasks = [...this.tasks.values()];
    const timer = this.metrics.commitLatency.startTimer();
    const records: ProducedRecord[] = [];
    const changelogCounts = new Map<string, number>();
    const now = Date.now();
    let oldestTimestamp = Infinity;
    for (const task of tasks) {
      for (const record of task.takeOutput()) {
        records.push(record);
        if (record.timestamp < oldestTimestamp) oldestTimestamp = record.timestamp;
      }
      for (const store of task.stores.values()) {
        if (!store.changelog) continue;
        const pending = store.pendingChangelog();
        for (const { key, value } of pending)
          records.push({ topic: store.changelog, partition: task.partition, key, value, timestamp: now, headers: {} });
        if (pending.length) changelogCounts.set(tpKey(store.changelog, task.partition), pending.length);
      }
    }
    const offsets = tasks.flatMap((task) => task.offsetsToCommit());
    this.lastCommit = performance.now();
    if (offsets.length === 0 && records.length === 0) {
      this.failures = 0; // nothing to commit is no failure: the loop is healthy
      this.failingSince = undefined;
      return;
    }
    const generation = this.pendingGeneration ?? this.consumer.groupMetadata();
    if (generation.generationId !== this.consumer.assignment().generationId) {
      throw new TaskMigratedError(
        `group generation moved from ${generation.generationId} to ${this.consumer.assignment().generationId} before commit`,
      );
    }
    // Which step a slow commit spends its time in tells whose fault it is: send, the partition leaders; offsets and
    // end, the group and transaction coordinators; flush, the state volume.
    let lapStarted = performance.now();
    const lap = (step: string): void => {
      const now = performance.now();
      this.metrics.commitSteps.labels(step).observe((now - lapStarted) / 1000);
      lapStarted = now;
    };
    let baseOffsets: Map<string, bigint>;
    if (this.producer.transactional) {
      await this.producer.beginTransaction();
      lap('begin');
      baseOffsets = await this.producer.send(records);
      lap('send');
      await this.producer.sendOffsetsToTransaction(offsets, generation);
      lap('offsets');
      this.commitInDoubt = true;
      await this.producer.commitTransaction();
      this.commitInDoubt = false;
      lap('end');
    } else {
      baseOffsets = await this.producer.send(records);
      lap('send');
      await this.consumer.commit(offsets, generation);
      lap('offsets');
    }
    const checkpointsOf = (task: StreamTask): Map<string, bigint> => {
      const checkpoints = new Map<string, bigint>();
      for (const store of task.stores.values()) {
        if (!store.changelog) continue;
        const key = tpKey(store.changelog, task.partition);
        const base = baseOffsets.get(key);
        if (base !== undefined) checkpoints.set(store.changelog, base + BigInt(changelogCounts.get(key) ?? 0));
      }
      return checkpoints;
    };
    // The tasks' engines are separate databases whose writes run on the I/O threads: flushed side by side, not in
    // turn. Every flush ends before a failure is reported, so none is still writing when the replica stops.
    const flushed = await Promise.allSettled(tasks.map((task) => task.committed(checkpointsOf(task))));
    const failed = flushed.find((outcome) => outcome.status === 'rejected');
    if (failed) throw this.storeFailure(failed.reason, 'a store could not take the writes of a committed transaction');
    lap('flush');
    this.pendingGeneration = undefined;
    this.uncommitted = 0;
    this.failures = 0;
    this.failingSince = undefined;
    this.metrics.commits.labels('committed').inc();
    this.metrics.lastCommit.set(Date.now() / 1000);
    timer();
    if (oldestTimestamp !== Infinity) this.metrics.endToEndLatency.observe(Math.max(0, Date.now() - oldestTimestamp) / 1000);
  }

  private abortAll(): void {
    for (const task of this.tasks.values()) task.aborted();
    this.pendingGeneration = undefined;
    this.uncommitted = 0;
  }

  /**
   * After any failure in the loop: abort the transaction, drop all uncommitted work and rewind to the
   * committed offsets, then retry with backoff. Records are never dead-lettered for a fault of the
   * environment. A fenced producer (another replica took over our transactional id) is replaced.
   */
  private async recover(error: Error): Promise<void> {
    // A failed EndTxn may have committed: counted apart, since it costs a restore of every task, not a redo.
    this.metrics.commits.labels(this.commitInDoubt ? 'in-doubt' : 'aborted').inc();
    await this.producer.abortTransaction().catch(() => undefined);
    this.abortAll();
    this.failures++;
    this.failingSince ??= performance.now();
    this.lastFailure = error.message;
    // A transactional producer whose send or commit failed may be left mid-transaction in the client library
    // (sequence numbers, half-begun state): a new one, re-initialised, bumps the epoch and starts clean. Fenced
    // means another replica took over our transactional id: the same remedy.
    if (error instanceof ProducerFencedError || (this.producer.transactional && !(error instanceof TaskMigratedError))) {
      await this.producer.close().catch(() => undefined);
      this.producer = await this.createProducer();
    }
    // The group client caches its coordinator and membership: after repeated failures (or when it gave up by
    // itself) a new consumer finds the coordinator afresh and joins again; tasks it gets back stay open. Not for a
    // task migration: the coordinator answered, and the client rejoins by itself. A replacement leaves and joins the
    // group, a rebalance that fails every other member's commit the same way; members that had failed three times
    // already (a paused coordinator) then replaced theirs at each such failure, and two replicas kept each other
    // rebalancing, committing nothing, for minutes (test/kafka/broker-pause.test.ts).
    const replace =
      error instanceof ConsumerLostError || (this.failures >= REPLACE_CONSUMER_AFTER_FAILURES && !(error instanceof TaskMigratedError));
    if (replace) await this.replaceConsumer(error);
    if (error instanceof TaskMigratedError) {
      this.log.info({ err: error }, 'tasks migrated before the commit; reading again from the committed offsets');
    } else {
      const delayMs = Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
      this.log.warn({ err: error, attempt: this.failures, delayMs }, `${error.message}; retrying (attempt ${this.failures})`);
      await this.life.pause(delayMs);
    }
    await this.rewind().catch(() => undefined);
  }

  /**
   * After a commit whose outcome is unknown. The stores dropped its writes when it failed, and the committed
   * offsets are the coordinator's to decide: if it did commit, reading on from them with those writes gone would
   * process the records after it against stores that lack it (an order seen once, released again on its
   * redelivery). The producer, registered again, returns once the coordinator has finished that transaction;
   * every task is then closed and restored from its checkpoint and changelog, which now hold exactly what
   * committed, and reading resumes from the (stable) committed offsets. Kafka Streams does the same with a
   * corrupted task under exactly-once.
   */
  private async settleCommitInDoubt(): Promise<void> {
    await this.producer.settle();
    this.log.warn(
      { partitions: [...this.tasks.keys()] },
      'the last commit may have succeeded although it failed; restoring every task from its changelog before going on',
    );
    await this.closeAllTasks();
    this.commitInDoubt = false;
    this.seenAssignment = -1; // onAssignment creates and restores them again, then rewinds
    await this.onAssignment();
  }

  private async replaceConsumer(cause: Error): Promise<void> {
    this.log.warn({ err: cause, attempt: this.failures }, 'replacing the group consumer: it joins the group again');
    this.metrics.consumerReplacements.inc();
    this.consumerLost = true;
    await this.consumer.close().catch(() => undefined);
    this.consumer = this.createConsumer();
    this.seenAssignment = -1;
    try {
      await this.consumer.join(this.sourceTopics());
      this.consumerLost = false;
    } catch (error) {
      // Tried again at the next failure's turn, after its backoff.
      this.log.warn({ err: error }, `the new group consumer could not join yet: ${(error as Error).message}`);
    }
  }

  /** Closes tasks the group took away, creates and restores the ones it gave. */
  private async onAssignment(): Promise<void> {
    if (this.uncommitted > 0) this.abortAll(); // read under the previous generation: cannot be committed now
    this.seenAssignment = this.consumer.assignmentVersion;
    const takenUp = { consumer: this.consumer, version: this.seenAssignment, generationId: this.consumer.assignment().generationId };
    if (this.tasks.size > 0 && missedAGeneration(this.takenUp, takenUp)) {
      this.log.warn(
        { partitions: [...this.tasks.keys()], generation: this.takenUp?.generationId },
        'this replica missed a generation of the group: its tasks may have run elsewhere meanwhile; restoring them from their changelogs',
      );
      await this.closeAllTasks();
    }
    this.takenUp = takenUp;
    const assigned = new Set(this.consumer.assignment().partitions.map((tp) => tp.partition));
    for (const [partition, task] of this.tasks) {
      if (assigned.has(partition)) continue;
      await task.close();
      this.tasks.delete(partition);
      for (const topic of this.topology.sources.flatMap((source) => source.topics))
        this.metrics.consumerLag.remove(topic, String(partition));
    }
    const added = [...assigned].filter((partition) => !this.tasks.has(partition));
    let rewound = false;
    if (added.length) {
      this.life.moveTo('restoring', `partitions ${added.join(', ')} assigned`);
      // Stable offsets first: they wait for a transaction of the previous owner still completing, whose changelog
      // records the restore must then include.
      if (this.producer.transactional) {
        await this.rewind();
        rewound = true;
      }
      for (const partition of added) {
        if (this.life.stopRequested) return; // the tasks not restored yet are not needed any more
        try {
          await this.standbys?.release(partition); // its warm copy: closed at its exact position, restored from there
          this.tasks.set(partition, await this.createTask(partition));
        } catch (error) {
          // A restore cut short (a broker gone, a timeout): after the loop's backoff the same assignment is taken
          // up again, from the tasks still missing. The ones created stay open. No disk space: no retry can finish.
          this.seenAssignment = -1;
          if (isDiskFull(error)) throw this.storeFailure(error, `task ${partition} could not be restored`);
          throw error;
        }
      }
      this.life.moveTo('running', `partitions ${added.join(', ')} restored`); // moot once stopping
    } else if (this.life.state === 'restoring') {
      // A restore cut short left the replica restoring, and the assignment since has nothing left to restore (the
      // partitions went to another member): it runs every task it has. Left restoring, it ran them for good while
      // /health/ready answered not ready (test/kafka/broker-pause.test.ts).
      this.life.moveTo('running', `nothing left to restore: partitions ${[...assigned].join(', ')} running`);
    }
    this.metrics.tasks.set(this.tasks.size);
    this.inputs = new Map();
    for (const tp of this.consumer.assignment().partitions) this.inputs.set(tp.partition, [...(this.inputs.get(tp.partition) ?? []), tp]);
    if (!rewound) await this.rewind(); // once per assignment
  }

  /** Every open task closed (its store flushed and shut); the next assignment creates and restores them again. */
  private async closeAllTasks(): Promise<void> {
    for (const task of this.tasks.values()) await task.close();
    this.tasks.clear();
  }

  /**
   * Why the runtime stops, for the operator: the state directory, whether its disk is full, what to do. The next
   * start restores each store from its checkpoint (written only over writes its engine had made durable) and its
   * changelog, so freeing space and restarting is all it takes.
   */
  private storeFailure(error: unknown, what: string): StateStoreError {
    const dir = this.config.stateDir;
    const detail = (error as Error).message ?? String(error);
    const message = isDiskFull(error)
      ? `disk full (ENOSPC): the state directory ${dir} (OMNIA_STATE_DIR) has no space left; ${what}: ${detail}. ` +
        `The replica stops rather than go on from a store that lacks committed writes: free space on that volume or give ` +
        `it a larger one, then start the replica again (its stores are restored from their checkpoints and changelogs)`
      : `a store under the state directory ${dir} (OMNIA_STATE_DIR) failed; ${what}: ${detail}. The replica stops rather ` +
        `than go on from a store that lacks committed writes: check that volume (permissions, I/O errors), then start the ` +
        `replica again (its stores are restored from their checkpoints and changelogs)`;
    return new StateStoreError(message, { cause: error });
  }

  private async createTask(partition: number): Promise<StreamTask> {
    const stores = new Map<string, TaskStore<unknown, unknown>>();
    try {
      for (const definition of this.topology.stores.values()) {
        const dir = join(this.config.stateDir, this.config.applicationId, String(partition), definition.name);
        const engine = createEngine(this.config.stateEngine, join(dir, 'db'));
        await engine.open();
        const changelog = definition.logged ? changelogTopic(this.config.applicationId, definition.name) : null;
        stores.set(definition.name, new TaskStore(definition, engine, changelog, join(dir, 'checkpoint.json')));
      }
      await restoreStores(partition, stores.values(), this.admin, this.reader, this.metrics);
    } catch (error) {
      // Each engine holds its directory's lock while open: one left open here would refuse the next try
      // ("Database failed to open") and keep the task restoring for good.
      for (const store of stores.values()) await store.close().catch(() => undefined);
      throw error;
    }
    // Label lookups hash their values: resolve each node's metric children once, not per record.
    const perNode = new Map<string, { processed: { inc(): void }; latency: { observe(value: number): void } }>();
    const metricsFor = (node: string) => {
      let entry = perNode.get(node);
      if (!entry)
        perNode.set(node, (entry = { processed: this.metrics.processed.labels(node), latency: this.metrics.processLatency.labels(node) }));
      return entry;
    };
    const task = new StreamTask(partition, this.topology, stores, {
      applicationId: this.config.applicationId,
      partitionsFor: (topic) => this.partitionsFor(topic),
      now: () => Date.now(),
      globalStores: this.globalStores,
      onProcessed: (node, seconds) => {
        const metrics = metricsFor(node);
        metrics.processed.inc();
        metrics.latency.observe(seconds);
      },
      onDeadLetter: (topic, code) => this.metrics.deadLetters.labels(dlqTopic(topic), code).inc(),
    });
    await task.init();
    return task;
  }

  private async punctuateWallClock(): Promise<void> {
    if (performance.now() - this.lastWallClockPunctuation < 50) return;
    this.lastWallClockPunctuation = performance.now();
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if ((await task.punctuate('wall-clock', now)) > 0) this.pendingGeneration ??= this.consumer.groupMetadata();
    }
  }
}
