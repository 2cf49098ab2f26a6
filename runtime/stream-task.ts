import type { ReadOnlyKeyValueStore } from '../state/key-value-store.js';
import type { TaskStore } from '../state/task-store.js';
import { deadLetter, MALFORMED_RECORD } from './dead-letter.js';
import { DeadLetterError, TransientError } from './errors.js';
import { partitionForKey } from './partitioner.js';
import type { Processor, ProcessorContext } from './processor.js';
import type { ConsumedRecord, ProducedRecord } from './produced-record.js';
import { PunctuationSchedule } from './punctuation.js';
import { Record, type RecordMetadata } from './record.js';
import type { SinkNode, Topology } from './topology-builder.js';

export const PROCESSING_FAILED = 'PROCESSING_FAILED';

/** What a task needs from whoever runs it (the Kafka runtime or the in-process driver). */
export interface TaskEnvironment {
  readonly applicationId: string;
  partitionsFor(topic: string): number;
  /** System time, controllable in the driver. */
  now(): number;
  readonly globalStores: ReadonlyMap<string, ReadOnlyKeyValueStore<unknown, unknown>>;
  /** Called after each processed record with the node name and how long it took, for metrics. */
  onProcessed?(node: string, seconds: number): void;
  onDeadLetter?(topic: string, code: string): void;
}

interface QueuedRecord {
  readonly node: string;
  readonly record: Record<unknown, unknown>;
}

/**
 * One partition of the co-partitioned source topics with its processors and stores. Processes records in
 * offset order, collects what they produce, and tracks the offsets to commit; the commit itself is the
 * runtime's. Forwarded records are queued and processed in order, so processors never await `forward`.
 */
export class StreamTask {
  readonly id: string;
  private readonly processors = new Map<string, Processor<unknown, unknown, unknown, unknown>>();
  private readonly punctuation = new PunctuationSchedule();
  private output: ProducedRecord[] = [];
  private queue: QueuedRecord[] = [];
  /** Offsets advanced since the last commit, per source topic. */
  private readonly nextOffsets = new Map<string, bigint>();
  private current: ConsumedRecord | undefined;
  private streamTime = -1;

  constructor(
    readonly partition: number,
    private readonly topology: Topology,
    readonly stores: ReadonlyMap<string, TaskStore<unknown, unknown>>,
    private readonly env: TaskEnvironment,
  ) {
    this.id = String(partition);
  }

  async init(): Promise<void> {
    for (const node of this.topology.nodes.values()) {
      if (node.kind !== 'processor') continue;
      const processor = node.supplier();
      this.processors.set(node.name, processor);
      await processor.init?.(this.contextFor(node.name, node.stores));
    }
  }

  /** Processes one input record; records that cannot be processed are dead-lettered, never thrown. */
  async process(raw: ConsumedRecord): Promise<void> {
    const source = this.topology.sourceByTopic.get(raw.topic);
    if (!source) throw new Error(`task ${this.id} received a record of "${raw.topic}", which no source reads`);
    this.current = raw;
    const outputMark = this.output.length;
    for (const store of this.stores.values()) store.savepoint();
    try {
      let record: Record<unknown, unknown>;
      try {
        const key = raw.key === null ? null : source.keySerde.deserialize(raw.key);
        const value = raw.value === null ? null : source.valueSerde.deserialize(raw.value);
        record = new Record(key, value, raw.timestamp, raw.headers);
      } catch (error) {
        this.pushDeadLetter(raw, MALFORMED_RECORD, `cannot decode a ${raw.topic} record: ${(error as Error).message}`);
        return;
      }
      if (raw.timestamp > this.streamTime) this.streamTime = raw.timestamp;
      for (const child of source.children) this.queue.push({ node: child, record });
      await this.drain();
    } catch (error) {
      if (error instanceof TransientError) throw error;
      // Undo everything this record did, then dead-letter it: one bad record never stops the partition.
      this.queue = [];
      this.output.length = outputMark;
      for (const store of this.stores.values()) store.rollbackToSavepoint();
      const code = error instanceof DeadLetterError ? error.code : PROCESSING_FAILED;
      this.pushDeadLetter(raw, code, (error as Error).message ?? String(error));
    } finally {
      for (const store of this.stores.values()) store.releaseSavepoint();
      this.current = undefined;
      this.nextOffsets.set(raw.topic, raw.offset + 1n);
    }
    await this.punctuate('stream-time', this.streamTime);
  }

  /** Runs the punctuators of `type` that are due at `time`. */
  async punctuate(type: 'stream-time' | 'wall-clock', time: number): Promise<number> {
    if (time < 0) return 0;
    const due = this.punctuation.due(type, time);
    for (const { punctuator } of due) {
      await punctuator(time);
      await this.drain();
    }
    return due.length;
  }

  /** Output produced since the last call; the caller owns the array. */
  takeOutput(): ProducedRecord[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Next offset to read per source topic partition that moved since the last commit: what the commit records as consumed. */
  offsetsToCommit(): Array<{ topic: string; partition: number; offset: bigint }> {
    return [...this.nextOffsets].map(([topic, offset]) => ({ topic, partition: this.partition, offset }));
  }

  /** The transaction committed: writes reach the engines and checkpoints move to the changelog offsets. */
  async committed(changelogOffsets: ReadonlyMap<string, bigint>): Promise<void> {
    for (const store of this.stores.values()) {
      try {
        await store.flush(store.changelog ? changelogOffsets.get(store.changelog) : undefined);
      } catch (error) {
        throw new Error(`store ${store.name} of task ${this.id}: ${(error as Error).message}`, { cause: error });
      }
    }
    this.nextOffsets.clear();
  }

  /** The transaction aborted: nothing of it may survive, and reading resumes at the last committed offsets. */
  aborted(): void {
    for (const store of this.stores.values()) store.discard();
    this.output = [];
    this.queue = [];
    this.nextOffsets.clear();
  }

  async close(): Promise<void> {
    for (const processor of this.processors.values()) await processor.close?.();
    for (const store of this.stores.values()) await store.close();
  }

  /** Processes queued records, including those they forward, until none is left. */
  private async drain(): Promise<void> {
    const queue = this.queue;
    for (let i = 0; i < queue.length; i++) {
      const { node: name, record } = queue[i]!;
      const node = this.topology.nodes.get(name)!;
      if (node.kind === 'sink') {
        this.toSink(node, record);
        continue;
      }
      const processor = this.processors.get(name)!;
      const started = this.env.onProcessed ? performance.now() : 0;
      const pending = processor.process(record);
      if (pending) await pending;
      if (this.env.onProcessed) this.env.onProcessed(name, (performance.now() - started) / 1000);
    }
    this.queue = [];
  }

  private toSink(node: SinkNode, record: Record<unknown, unknown>): void {
    const key = record.key === null || record.key === undefined ? null : node.keySerde.serialize(record.key);
    const value = record.value === null || record.value === undefined ? null : node.valueSerde.serialize(record.value);
    const partitions = this.env.partitionsFor(node.topic);
    const partition = key ? partitionForKey(key, partitions) : this.partition % partitions;
    this.output.push({ topic: node.topic, partition, key, value, timestamp: record.timestamp, headers: record.headers });
  }

  private pushDeadLetter(raw: ConsumedRecord, code: string, message: string): void {
    this.output.push(deadLetter(raw, code, message, this.env.now()));
    this.env.onDeadLetter?.(raw.topic, code);
  }

  private contextFor(nodeName: string, storeNames: readonly string[]): ProcessorContext<unknown, unknown> {
    const node = this.topology.nodes.get(nodeName)!;
    const allowed = new Set(storeNames);
    return {
      taskId: this.id,
      partition: this.partition,
      applicationId: this.env.applicationId,
      forward: (record, childName) => {
        const children = childName === undefined ? node.children : node.children.filter((child) => child === childName);
        if (childName !== undefined && children.length === 0) throw new Error(`"${nodeName}" has no child named "${childName}"`);
        for (const child of children) this.queue.push({ node: child, record });
      },
      getStateStore: <S>(name: string): S => {
        if (allowed.has(name)) return this.stores.get(name) as S;
        const global = this.env.globalStores.get(name);
        if (global) return global as S;
        throw new Error(`processor "${nodeName}" has no store "${name}" (attach it with addStateStore)`);
      },
      deadLetter: (code, message) => {
        if (!this.current) throw new Error('deadLetter() is only valid while processing an input record');
        this.pushDeadLetter(this.current, code, message);
      },
      schedule: (intervalMs, type, punctuator) =>
        this.punctuation.add(nodeName, intervalMs, type, punctuator, type === 'stream-time' ? this.streamTime : this.env.now()),
      recordMetadata: (): RecordMetadata | undefined =>
        this.current ? { topic: this.current.topic, partition: this.current.partition, offset: this.current.offset } : undefined,
      currentStreamTime: () => this.streamTime,
      currentSystemTime: () => this.env.now(),
    };
  }
}
