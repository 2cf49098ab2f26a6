import { GlobalStore } from '../state/global-store.js';
import { MemoryEngine } from '../state/memory-engine.js';
import { TaskStore } from '../state/task-store.js';
import { changelogTopic } from '../state/store-definition.js';
import { partitionForKey } from './partitioner.js';
import type { ConsumedRecord, ProducedRecord } from './produced-record.js';
import type { Serde } from '../serdes/serde.js';
import { StreamTask } from './stream-task.js';
import type { Topology } from './topology-builder.js';

export interface DriverOptions {
  applicationId?: string;
  /** Partitions of every topic unless named in `topicPartitions` (default 1). */
  partitions?: number;
  topicPartitions?: Readonly<Record<string, number>>;
  /** Initial system time in epoch ms (default 0); moves only by `advanceWallClock`. */
  startTime?: number;
}

export interface PipeOptions {
  timestamp?: number;
  headers?: Record<string, string>;
}

/**
 * The topology in-process, with in-memory stores and no broker: the same tasks and processors as on Kafka,
 * committing after every input record. Time is the caller's: records carry their own timestamps and the
 * system clock moves only through `advanceWallClock`. Backs unit tests, `omnia replay` and the embedded start.
 */
export class InProcessRuntime {
  readonly applicationId: string;
  private readonly tasks = new Map<number, StreamTask>();
  private readonly globalStores = new Map<string, GlobalStore<unknown, unknown>>();
  private readonly produced: ProducedRecord[] = [];
  private readonly offsets = new Map<string, bigint>();
  private wallClock: number;
  private initialized = false;

  constructor(
    private readonly topology: Topology,
    private readonly options: DriverOptions = {},
  ) {
    this.applicationId = options.applicationId ?? 'omnia-driver';
    this.wallClock = options.startTime ?? 0;
    for (const table of topology.globalTables.values()) {
      this.globalStores.set(table.name, new GlobalStore(table.name, new MemoryEngine(), table.keySerde, table.valueSerde));
    }
  }

  partitionsFor(topic: string): number {
    return this.options.topicPartitions?.[topic] ?? this.options.partitions ?? 1;
  }

  /** Pipes one raw record into its topic: a global table's topic updates the table, a source topic is processed. */
  async pipeRaw(topic: string, key: Buffer | null, value: Buffer | null, options: PipeOptions = {}): Promise<void> {
    await this.ensureInitialized();
    const table = [...this.topology.globalTables.values()].find((candidate) => candidate.topic === topic);
    if (table) {
      await this.globalStores.get(table.name)!.apply([{ key, value }]);
      return;
    }
    if (!this.topology.sourceByTopic.has(topic)) throw new Error(`no source or global table reads topic "${topic}"`);
    const partition = key ? partitionForKey(key, this.partitionsFor(topic)) : 0;
    await this.processAndFeedBack({
      topic,
      partition,
      key,
      value,
      timestamp: options.timestamp ?? this.wallClock,
      headers: options.headers ?? {},
    });
  }

  inputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    return {
      pipe: (key: K | null, value: V | null, options: PipeOptions = {}) =>
        this.pipeRaw(topic, key === null ? null : keySerde.serialize(key), value === null ? null : valueSerde.serialize(value), options),
    };
  }

  /** Every record produced to `topic` so far, decoded, in production order. */
  readOutput<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): Array<{ key: K | null; value: V | null; headers: Readonly<Record<string, string>>; partition: number; timestamp: number }> {
    return this.produced
      .filter((record) => record.topic === topic)
      .map((record) => ({
        key: record.key === null ? null : keySerde.deserialize(record.key),
        value: record.value === null ? null : valueSerde.deserialize(record.value),
        headers: record.headers,
        partition: record.partition,
        timestamp: record.timestamp,
      }));
  }

  /** Every record produced to any topic, changelogs included, in production order. */
  get output(): readonly ProducedRecord[] {
    return this.produced;
  }

  /** Forgets the output read so far (a long-running embedded feed would otherwise grow without bound). */
  clearOutput(): void {
    this.produced.length = 0;
  }

  /** Moves system time by `ms` (negative: the clock stepped back) and runs the wall-clock punctuators that fall due. */
  async advanceWallClock(ms: number): Promise<void> {
    await this.ensureInitialized();
    this.wallClock += ms;
    for (const task of this.tasks.values()) {
      await task.punctuate('wall-clock', this.wallClock);
      await this.commit(task);
    }
  }

  get now(): number {
    return this.wallClock;
  }

  /** A task's store, to assert on state. Partition 0 unless named. */
  store<S>(name: string, partition = 0): S {
    const store = this.tasks.get(partition)?.stores.get(name) ?? this.globalStores.get(name);
    if (!store) throw new Error(`no store "${name}" for partition ${partition} (has the task processed a record yet?)`);
    return store as S;
  }

  async close(): Promise<void> {
    for (const task of this.tasks.values()) await task.close();
    for (const store of this.globalStores.values()) await store.close();
    this.tasks.clear();
  }

  private async ensureInitialized(): Promise<void> {
    if (this.initialized) return;
    this.initialized = true;
    const counts = new Set(this.topology.sources.flatMap((source) => source.topics.map((topic) => this.partitionsFor(topic))));
    if (counts.size > 1) throw new Error('source topics must have the same number of partitions (co-partitioning)');
    const partitions = [...counts][0] ?? 1;
    for (let partition = 0; partition < partitions; partition++) await this.taskFor(partition);
  }

  private async taskFor(partition: number): Promise<StreamTask> {
    const existing = this.tasks.get(partition);
    if (existing) return existing;
    const stores = new Map<string, TaskStore<unknown, unknown>>();
    for (const definition of this.topology.stores.values()) {
      const changelog = definition.logged ? changelogTopic(this.applicationId, definition.name) : null;
      stores.set(definition.name, new TaskStore(definition, new MemoryEngine(), changelog, null));
    }
    const task = new StreamTask(partition, this.topology, stores, {
      applicationId: this.applicationId,
      partitionsFor: (topic) => this.partitionsFor(topic),
      now: () => this.wallClock,
      globalStores: this.globalStores,
    });
    await task.init();
    this.tasks.set(partition, task);
    return task;
  }

  /** Output to a topic the topology also reads is read back, as it would be through Kafka. */
  private async processAndFeedBack(first: Omit<ConsumedRecord, 'offset'>): Promise<void> {
    const pending = [first];
    while (pending.length) {
      const next = pending.shift()!;
      const id = `${next.topic}:${next.partition}`;
      const offset = this.offsets.get(id) ?? 0n;
      this.offsets.set(id, offset + 1n);
      const task = await this.taskFor(next.partition);
      await task.process({ ...next, offset });
      for (const record of await this.commit(task)) {
        if (this.topology.sourceByTopic.has(record.topic)) pending.push(record);
      }
    }
  }

  /** Commits after every record, publishing the output and, as on Kafka, each store's changelog records. */
  private async commit(task: StreamTask): Promise<ProducedRecord[]> {
    const out = task.takeOutput();
    this.produced.push(...out);
    for (const store of task.stores.values()) {
      if (!store.changelog) continue;
      for (const { key, value } of store.pendingChangelog())
        this.produced.push({ topic: store.changelog, partition: task.partition, key, value, timestamp: this.wallClock, headers: {} });
    }
    await task.committed(new Map());
    return out;
  }
}
