/**
 * The notification connector (`omnia notify`): tells customers about their orders by SMS or LINE.
 *
 * It reads the `orders` store's changelog (`<application id>-orders-changelog`, read_committed, as a consumer group
 * so replicas share partitions): each record is an order's whole state after a change — its status history, payment
 * status and collected cash (the transitions order.status.v1 and order.payment.v1 publish) beside everything a
 * message needs (the delivery phone, the customer, tracking number, carrier, ETA, totals), keyed by OrderID. The
 * status topics carry ids only, so reading them would mean joining them with this very changelog. A record that
 * collapses several changes (the runtime writes a store's last value per commit) still lists every one of them in
 * its history, so nothing is missed.
 *
 * Per record: the messages the state calls for and not yet done go to the notifier (notifier.ts; one after another
 * per order, orders concurrently); every step of each is written to `notification.sent.v1` (NotificationOutcome)
 * and waited for. Records are not waited for one by one: a message held until quiet hours end would otherwise hold
 * up every customer of its partition. The offset committed for a partition is the first record whose messages are
 * not all done, so after a crash or a rebalance the records from there are read again: what was done is done again
 * only at the provider's door, which answers DUPLICATE for a key it has (one message per order and event).
 *
 * Customers' preferences (customer.notification-preference.v1, compacted, created here when missing) are read to the
 * end before the first message and followed after. A rebalance, or a Kafka failure, abandons every message in
 * flight (calls under way finish and are recorded) and reads again from the committed offsets.
 */
import { componentLogger, type Logger } from '../../observability/logger.js';
import type { NotificationOutcome, NotificationPreference } from '../../avro/records.js';
import type { OrderState } from '../../processors/order-state.js';
import type { GroupConsumer, KafkaClient, Producer } from '../../topology/kafka/client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { Lifecycle, type LifecycleState, type StateChange } from '../../runtime/lifecycle.js';
import { createdTopic, type TopicReplication } from '../../runtime/config.js';
import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';
import type { Serde } from '../../serdes/serde.js';
import type { ChannelName, NotificationChannel } from './channels.js';
import { NotificationDelivery, type NotificationDeliveryOptions } from './delivery.js';
import { NotificationMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { PreferenceReader, PreferenceTable } from './preferences.js';

export interface NotificationTopics {
  /** `<application id>-orders-changelog`. */
  readonly changelog: string;
  readonly preferences: string;
  readonly outcomes: string;
}

export interface NotificationConnectorOptions extends Omit<
  NotificationDeliveryOptions,
  'channels' | 'preferences' | 'record' | 'metrics' | 'logger'
> {
  readonly group: string;
  readonly topics: NotificationTopics;
  readonly serdes: {
    readonly state: Serde<OrderState>;
    readonly preference: Serde<NotificationPreference>;
    readonly outcome: Serde<NotificationOutcome>;
  };
  readonly maxAgeMs: number;
  /** Messages in flight before reading pauses. */
  readonly maxPending: number;
  readonly pollMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly instanceId?: string;
  readonly topicReplication?: TopicReplication;
  /** How often the preference topic is read for changes; default 1 s. */
  readonly preferencesEveryMs?: number;
}

/** One partition's progress: records whose messages are in flight, and the next offset to read. */
interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  readonly inFlight: Set<bigint>;
  next: bigint;
  committed: bigint;
}

export interface NotificationConnectorStatus {
  readonly state: LifecycleState;
  readonly partitions: number;
  readonly lag: number;
  readonly pending: number;
  readonly deferred: number;
  readonly preferences: number;
  readonly breakers: Partial<Record<ChannelName, string>>;
  readonly lastSentAt: string | null;
  readonly lastError: string | null;
}

export class NotificationConnector {
  readonly metrics = new NotificationMetrics();
  readonly preferences = new PreferenceTable();
  private readonly delivery: NotificationDelivery;
  private readonly notifier: Notifier;
  private consumer: GroupConsumer | undefined;
  private producer: Producer | undefined;
  private readonly preferenceReader: PreferenceReader;
  private outcomePartitions = 1;
  private readonly log: Logger;
  private readonly life: Lifecycle;
  /** Outcomes waiting for the send in flight to finish; sent together next (one send at a time: platformatic-producer.ts). */
  private queued: Array<{ record: ProducedRecord; done: { resolve(): void; reject(error: unknown): void } }> = [];
  private sending: Promise<void> | undefined;
  /** Aborted on a rebalance or a Kafka failure: every message in flight is abandoned, to be read again. */
  private generation = new AbortController();
  private progress = new Map<string, PartitionProgress>();
  /** Partitions whose committable offset moved; one commit at a time takes them all. */
  private readonly dirty = new Set<PartitionProgress>();
  private committing: Promise<void> | undefined;
  /** A step not recorded, or a commit refused: the loop reads again from the committed offsets. */
  private failure: Error | undefined;

  constructor(
    private readonly client: KafkaClient,
    private readonly channels: Partial<Record<ChannelName, NotificationChannel>>,
    private readonly options: NotificationConnectorOptions,
  ) {
    this.log = componentLogger('notify', options.log).child({ group: options.group });
    this.life = new Lifecycle({ component: 'notification connector', log: this.log, close: () => this.close() });
    this.delivery = new NotificationDelivery({
      ...options,
      channels,
      preferences: this.preferences,
      metrics: this.metrics,
      logger: this.log,
      record: (outcome) => this.recordOutcome(outcome),
    });
    this.notifier = new Notifier(this.delivery, { maxAgeMs: options.maxAgeMs, ...(options.clock ? { clock: options.clock } : {}) });
    this.preferenceReader = new PreferenceReader(client, options.topics.preferences, options.serdes.preference, this.preferences, this.log);
  }

  get currentState(): LifecycleState {
    return this.life.state;
  }

  onStateChange(listener: (state: LifecycleState, change: StateChange) => void): () => void {
    return this.life.onChange(listener);
  }

  status(): NotificationConnectorStatus {
    const breakers: Partial<Record<ChannelName, string>> = {};
    for (const name of Object.keys(this.channels) as ChannelName[]) breakers[name] = this.delivery.breakerState(name);
    return {
      state: this.life.state,
      partitions: this.consumer?.assignment().partitions.length ?? 0,
      lag: (this.consumer?.lag() ?? []).reduce((sum, entry) => sum + entry.records, 0),
      pending: this.notifier.pending,
      deferred: this.delivery.deferred,
      preferences: this.preferences.size,
      breakers,
      lastSentAt: this.delivery.lastSentAt,
      lastError: this.delivery.lastError,
    };
  }

  start(): Promise<void> {
    return this.life.start(async (steps) => {
      const { changelog, preferences, outcomes } = this.options.topics;
      const admin = this.client.admin();
      try {
        const counts = await steps.waitForTopics(admin, [changelog, preferences], {
          why: 'omnia start creates the orders changelog on its first start',
          onMissing: async (missing) => {
            if (!missing.includes(preferences)) return false;
            // Written by the customer system; created here (compacted) so notifications need not wait for its first record.
            await admin.ensureTopics([
              createdTopic({ topic: preferences, partitions: 1, configs: { 'cleanup.policy': 'compact' } }, this.options.topicReplication),
            ]);
            return true;
          },
        });
        const partitions = counts.get(changelog)!;
        await steps.step(() => admin.ensureTopics([createdTopic({ topic: outcomes, partitions }, this.options.topicReplication)]));
        this.outcomePartitions = (await admin.partitionCounts([outcomes])).get(outcomes) ?? partitions;
      } finally {
        await admin.close();
      }
      const read = await steps.step(() => this.preferenceReader.load());
      this.log.info(
        { preferences: this.preferences.size, records: read },
        `notification preferences read: ${this.preferences.size} customers`,
      );
      await steps.step(async () => {
        this.producer = this.client.producer({});
        await this.producer.init();
      });
      this.consumer = await steps.step(() =>
        this.client.groupConsumer({
          groupId: this.options.group,
          ...(this.options.instanceId ? { groupInstanceId: this.options.instanceId } : {}),
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
          readCommitted: true,
        }),
      );
      await steps.step(() => this.consumer!.join([changelog]));
      return () => this.run();
    });
  }

  stop(): Promise<void> {
    return this.life.stop();
  }

  whenStopped(): Promise<void> {
    return this.life.whenStopped();
  }

  private async close(): Promise<void> {
    this.generation.abort();
    await this.notifier.settled();
    await this.committing;
    await this.consumer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the consumer failed'));
    await this.sending;
    await this.producer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the producer failed'));
    await this.preferenceReader.close();
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    const following = this.preferenceReader.follow(this.life.signal, this.options.preferencesEveryMs ?? 1_000);
    let backoffMs = 100;
    let version = consumer.assignmentVersion;
    let rewind = false;
    try {
      while (!this.life.stopRequested) {
        try {
          if (this.failure) {
            const failure = this.failure;
            this.failure = undefined;
            throw failure;
          }
          if (rewind || consumer.assignmentVersion !== version) {
            await this.restartFromCommitted(consumer);
            version = consumer.assignmentVersion;
            rewind = false;
          }
          this.metrics.inFlight.set(this.notifier.pending);
          if (this.notifier.pending >= this.options.maxPending) {
            await this.life.pause(100);
            continue;
          }
          const records = await consumer.poll(this.options.pollMs ?? 100);
          if (consumer.assignmentVersion !== version) continue; // read under the previous assignment: read again
          this.updateLag(consumer);
          const generation = consumer.groupMetadata();
          for (const record of records) this.handle(record, generation);
          this.life.moveTo('running', 'running again');
          backoffMs = 100;
        } catch (error) {
          if (this.life.stopRequested) break;
          this.metrics.retries.inc();
          this.life.moveTo('retrying', `kafka: ${(error as Error).message}`);
          this.delivery.lastError = (error as Error).message;
          this.log.warn(
            { err: error, backoffMs },
            `${(error as Error).message}; reading again from the committed offsets in ${backoffMs} ms`,
          );
          await this.life.pause(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 5_000);
          rewind = true;
        }
      }
    } finally {
      await following;
    }
  }

  /** Abandons what is in flight, waits for it to let go, and reads again from the committed offsets. */
  private async restartFromCommitted(consumer: GroupConsumer): Promise<void> {
    this.generation.abort();
    await this.notifier.settled();
    await this.committing;
    this.generation = new AbortController();
    this.progress = new Map();
    this.dirty.clear();
    await consumer.rewindToCommitted();
  }

  /** Hands a record's messages to the notifier; its offset counts as done once they all are. */
  private handle(record: ConsumedRecord, generation: ReturnType<GroupConsumer['groupMetadata']>): void {
    const key = `${record.topic}:${record.partition}`;
    let progress = this.progress.get(key);
    if (!progress) {
      progress = { topic: record.topic, partition: record.partition, inFlight: new Set(), next: record.offset, committed: record.offset };
      this.progress.set(key, progress);
    }
    progress.next = record.offset + 1n;
    let state: OrderState | null = null;
    try {
      state = record.value === null ? null : this.options.serdes.state.deserialize(record.value);
    } catch (error) {
      this.metrics.undecodable.inc();
      this.log.warn(
        { err: error, topic: record.topic, partition: record.partition, offset: String(record.offset) },
        `undecodable order state skipped at ${record.topic}/${record.partition}@${record.offset}`,
      );
    }
    if (state === null) {
      this.commitProgress(progress, generation);
      return;
    }
    const p = progress;
    const signal = this.generation.signal;
    p.inFlight.add(record.offset);
    this.notifier.offer(state, signal).then(
      (done) => {
        if (signal.aborted || !done) return; // abandoned: read again after the restart
        p.inFlight.delete(record.offset);
        this.commitProgress(p, generation);
      },
      (error: unknown) => {
        if (!signal.aborted) this.failure ??= error as Error;
      },
    );
  }

  /** Marks the partition committable up to its first record still in flight (or all it read), and commits. */
  private commitProgress(progress: PartitionProgress, generation: ReturnType<GroupConsumer['groupMetadata']>): void {
    let upTo = progress.next;
    for (const offset of progress.inFlight) if (offset < upTo) upTo = offset;
    if (upTo <= progress.committed) return;
    progress.committed = upTo;
    this.dirty.add(progress);
    if (this.committing) return; // the commit in flight takes it next
    const signal = this.generation.signal;
    this.committing = (async () => {
      try {
        while (this.dirty.size > 0 && !signal.aborted) {
          const offsets = [...this.dirty].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.committed }));
          this.dirty.clear();
          await this.consumer!.commit(offsets, generation);
        }
      } catch (error) {
        if (!signal.aborted) this.failure ??= error as Error;
      } finally {
        this.committing = undefined;
      }
    })();
  }

  /** Resolves once the outcome is on notification.sent.v1; outcomes that come meanwhile go in the next send together. */
  private recordOutcome(outcome: NotificationOutcome): Promise<void> {
    const key = Buffer.from(outcome.ShipFromLocationID, 'utf8');
    const record: ProducedRecord = {
      topic: this.options.topics.outcomes,
      partition: partitionForKey(key, this.outcomePartitions),
      key,
      value: this.options.serdes.outcome.serialize(outcome),
      timestamp: Date.now(),
      headers: {},
    };
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ record, done: { resolve, reject } });
      this.sending ??= this.sendQueued();
    });
  }

  private async sendQueued(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const batch = this.queued;
        this.queued = [];
        try {
          await this.producer!.send(batch.map((entry) => entry.record));
          for (const entry of batch) entry.done.resolve();
        } catch (error) {
          for (const entry of batch) entry.done.reject(error);
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  private updateLag(consumer: GroupConsumer): void {
    this.metrics.lag.reset();
    for (const { topic, partition, records } of consumer.lag()) this.metrics.lag.set({ topic, partition: String(partition) }, records);
  }
}
