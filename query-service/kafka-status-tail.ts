/**
 * Tails `order.status.v1` on Kafka from its current end and publishes every change to a `StatusFeed`.
 *
 * No consumer group: every replica of the query service wants every change for its own SSE clients, and
 * nothing is committed. The tail reads every partition with a `PartitionReader` (committed records only; the
 * pipeline writes statuses transactionally) in a loop: ask for the last stable offsets, read each partition's
 * new range, and when nothing is new wait `pollIntervalMs` (25 ms by default, so a change reaches SSE clients
 * well within 100 ms of its commit). Records of one partition are published in offset order; the SSE id is
 * `<partition>-<offset>`.
 *
 * A broker that fails a request is retried with backoff from the same positions, so nothing committed is
 * skipped or published twice while the process lives. A missing topic is waited for. A value that does not
 * decode is skipped with a log line: the pipeline dead-lettered its own undecodable records long before.
 * New partitions are picked up within `partitionRefreshMs` and read from their beginning. Stopped and started
 * again, it goes on from its positions (its lifecycle, runtime/lifecycle.ts, is restartable).
 *
 * With a schema registry (Confluent format), run `prepareSerdes(serdes)` after constructing the tail (its serde
 * is made then) and before `start()`.
 */
import { componentLogger } from '../observability/logger.js';
import type { SerdeConfig } from '../avro/config.js';
import type { StatusChange } from '../processors/domain/types.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { Topics } from '../topology/topics.js';
import type { AdminClient, KafkaClient, PartitionReader, TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { Lifecycle, type LifecycleState, type StartContext, type StateChange } from '../runtime/lifecycle.js';
import type { ConsumedRecord } from '../runtime/produced-record.js';
import type { Logger } from '../observability/logger.js';
import type { StatusFeed } from './status-feed.js';

export interface KafkaStatusTailOptions {
  client: KafkaClient;
  feed: StatusFeed;
  /** Wire format of the status topic (JSON by default; Avro or Confluent as configured). */
  serdes: SerdeConfig;
  /** OMNIA_TOPIC_PREFIX; default none. */
  topicPrefix?: string;
  /** Wait between polls when nothing is new; default 25 ms. */
  pollIntervalMs?: number;
  /** First retry delay after a failure, doubling up to `maxRetryDelayMs`; defaults 250 ms and 5 s. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How often the partition count is checked again; default 10 s. */
  partitionRefreshMs?: number;
  /** The tail's log lines go here instead of the project logger (tests). */
  log?: (line: string) => void;
}

const isStatusCode = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** The fields the feed and the SSE stream rely on; a value without them is as good as undecodable. */
function checkStatusChange(value: unknown): StatusChange {
  const change = value as Partial<StatusChange> | null;
  if (typeof change !== 'object' || change === null) throw new Error('not an object');
  if (typeof change.OrderID !== 'string' || typeof change.ShipFromLocationID !== 'string')
    throw new Error('OrderID and ShipFromLocationID must be strings');
  if (!isStatusCode(change.ToStatus) || (change.FromStatus !== null && !isStatusCode(change.FromStatus)))
    throw new Error('FromStatus and ToStatus must be status codes');
  return change as StatusChange;
}

export class KafkaStatusTail {
  readonly topic: string;
  private readonly decodeValue: (bytes: Buffer) => unknown;
  private readonly pollIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly partitionRefreshMs: number;
  private readonly topicWaitMs = 1_000;
  private readonly log: Logger;
  private readonly life: Lifecycle;
  /** Next offset to read per partition. */
  private readonly positions = new Map<number, bigint>();
  private admin: AdminClient | undefined;
  private reader: PartitionReader | undefined;
  private partitionsCheckedAt = 0;
  private waitingLogged = false;
  private published = 0;
  private skipped = 0;

  constructor(private readonly options: KafkaStatusTailOptions) {
    const prefix = options.topicPrefix ?? '';
    this.topic = prefix + Topics.status;
    const serde = orderSerdes(options.serdes, prefix).topic(Topics.status);
    this.decodeValue = (bytes) => serde.deserialize(bytes);
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    this.partitionRefreshMs = options.partitionRefreshMs ?? 10_000;
    this.log = componentLogger('status-tail', options.log).child({ topic: this.topic });
    this.life = new Lifecycle({ component: 'status tail', log: this.log, close: () => this.closeClients(), restartable: true });
  }

  get currentState(): LifecycleState {
    return this.life.state;
  }

  /** Called on every transition, once. */
  onStateChange(listener: (state: LifecycleState, change: StateChange) => void): () => void {
    return this.life.onChange(listener);
  }

  /** Changes published and values skipped so far. */
  get stats(): { published: number; skipped: number } {
    return { published: this.published, skipped: this.skipped };
  }

  /**
   * Starts tailing; resolves once every partition has a position at its current end (retrying until the
   * broker and topic answer), so a change committed after that is published. Resolves too if stopped first.
   * After a stop it starts again from where it stopped.
   */
  start(): Promise<void> {
    return this.life.start(async (steps) => {
      for (let failures = 1; ; failures++) {
        try {
          const admin = (this.admin ??= this.options.client.admin());
          if (this.positions.size === 0) {
            await steps.waitForTopics(admin, [this.topic], {
              intervalMs: this.topicWaitMs,
              why: 'the pipeline creates it on its first start',
            });
          }
          await steps.step(() => this.refreshPartitions(admin));
          return () => this.run();
        } catch (error) {
          if (this.life.stopRequested) throw error;
          await this.failed(error as Error, failures, steps);
        }
      }
    });
  }

  /** Idempotent; waits for a start in flight. */
  stop(): Promise<void> {
    return this.life.stop();
  }

  /** Resolves once stopped. */
  whenStopped(): Promise<void> {
    return this.life.whenStopped();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.life.stopRequested) {
      try {
        const outcome = await this.step();
        if (outcome !== 'busy') await this.life.pause(outcome === 'idle' ? this.pollIntervalMs : this.topicWaitMs);
        this.life.moveTo('running', `reading ${this.topic} again`);
        failures = 0;
      } catch (error) {
        if (this.life.stopRequested) break;
        this.life.moveTo('retrying', (error as Error).message);
        await this.failed(error as Error, ++failures);
      }
    }
  }

  /** After a failed request: new clients, after a backoff a stop cuts short. */
  private async failed(error: Error, failures: number, steps?: StartContext): Promise<void> {
    const delay = Math.min(this.retryDelayMs * 2 ** (failures - 1), this.maxRetryDelayMs);
    this.log.warn({ err: error, delayMs: delay }, `reading ${this.topic} failed (${error.message}); retrying in ${delay} ms`);
    await this.closeClients();
    await (steps ?? this.life).pause(delay);
  }

  /** One round: `busy` when it read something, `idle` when nothing was new, `waiting` for the topic. */
  private async step(): Promise<'busy' | 'idle' | 'waiting'> {
    const admin = (this.admin ??= this.options.client.admin());
    if (this.positions.size === 0 || Date.now() - this.partitionsCheckedAt >= this.partitionRefreshMs) {
      if (!(await this.refreshPartitions(admin))) return 'waiting';
    }
    const partitions: TopicPartition[] = [...this.positions.keys()].map((partition) => ({ topic: this.topic, partition }));
    const ends = await admin.endOffsets(partitions, true);
    let outcome: 'busy' | 'idle' = 'idle';
    for (const tp of partitions) {
      if (this.life.stopRequested) break;
      const end = ends.get(tpKey(tp.topic, tp.partition));
      const position = this.positions.get(tp.partition)!;
      if (end === undefined || end === position) continue;
      if (end < position) {
        // The topic was deleted and created again (or truncated): follow its new end.
        this.log.warn(
          { partition: tp.partition },
          `${this.topic}-${tp.partition} ends at ${end}, before the position ${position}; continuing from there`,
        );
        this.positions.set(tp.partition, end);
        continue;
      }
      outcome = 'busy';
      const reader = (this.reader ??= this.options.client.partitionReader());
      await reader.read(tp, position, end, async (records) => this.publish(records));
      // Not the position `read` reached: that may lie past `end` (the fetch returned more), and the records
      // between were not delivered. Everything below `end` was.
      this.positions.set(tp.partition, end);
    }
    return outcome;
  }

  /** Positions for partitions not known yet: at their end on the first round, at their start afterwards. */
  private async refreshPartitions(admin: AdminClient): Promise<boolean> {
    const count = (await admin.partitionCounts([this.topic])).get(this.topic);
    if (count === undefined) {
      if (!this.waitingLogged) this.log.warn(`${this.topic} does not exist any more; waiting for it`);
      this.waitingLogged = true;
      return false;
    }
    this.waitingLogged = false;
    const first = this.positions.size === 0;
    const added: TopicPartition[] = [];
    for (let partition = 0; partition < count; partition++)
      if (!this.positions.has(partition)) added.push({ topic: this.topic, partition });
    if (added.length > 0) {
      if (first) {
        const ends = await admin.endOffsets(added, true);
        for (const tp of added) this.positions.set(tp.partition, ends.get(tpKey(tp.topic, tp.partition)) ?? 0n);
      } else {
        const reader = (this.reader ??= this.options.client.partitionReader());
        for (const tp of added) this.positions.set(tp.partition, await reader.startOffset(tp));
        this.log.info({ partitions: count }, `${this.topic} has ${count} partitions now`);
      }
    }
    this.partitionsCheckedAt = Date.now();
    return true;
  }

  private publish(records: readonly ConsumedRecord[]): void {
    for (const record of records) {
      if (record.value === null) continue;
      let change: StatusChange;
      try {
        change = checkStatusChange(this.decodeValue(record.value));
      } catch (error) {
        this.skipped++;
        this.log.warn(
          { err: error, partition: record.partition, offset: String(record.offset) },
          `skipped ${record.topic}-${record.partition}@${record.offset}: the value does not decode (${(error as Error).message})`,
        );
        continue;
      }
      this.published++;
      this.options.feed.publish(change, `${record.partition}-${record.offset}`);
    }
  }

  private async closeClients(): Promise<void> {
    const { admin, reader } = this;
    this.admin = undefined;
    this.reader = undefined;
    await Promise.allSettled([admin?.close(), reader?.close()]);
  }
}
