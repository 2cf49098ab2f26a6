/**
 * The Slick egress connector: sends every release to Slick, and every COD collection confirmation after it.
 *
 * Reads `order.release.v1` and `order.payment.v1` (read_committed, as a consumer group so replicas share
 * partitions). Per record, in partition order:
 *
 * 1. a release is POSTed to Slick (`Idempotency-Key` = ReleaseID); a payment event with PaymentStatus
 *    `Collected` is POSTed as a collection confirmation (PMP → Omnia → Slick); other payment events are passed;
 * 2. every call and its result is written to `order.fulfillment.v1` (FulfillmentInteraction) and waited for;
 * 3. only then is the record's offset committed.
 *
 * Retries, the circuit breaker and the record of each call are slick-delivery.ts's. The connector never moves
 * past a record it could not deliver: its partition waits, so nothing is lost and order is kept. Partitions of
 * one poll are worked on concurrently; records of one partition one after another.
 *
 * Delivery is at-least-once (a crash between Slick's answer and the commit sends again, as does an answer lost on
 * the way back) and idempotent at Slick, which accepts each key once: every release arrives at Slick exactly once.
 * The second send is recorded DUPLICATE (delivered). A rebalance or stop abandons records not yet committed; they
 * are read again from the committed offsets. An undecodable record goes to `<topic>.dlq` (runtime/dead-letter.ts).
 */
import { componentLogger } from '../observability/logger.js';
import type { FulfillmentInteraction, PaymentEvent, Release } from '../avro/records.js';
import type { GroupConsumer, KafkaClient, Producer } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { deadLetter, dlqTopic, MALFORMED_RECORD } from '../runtime/dead-letter.js';
import { partitionForKey } from '../runtime/partitioner.js';
import { Lifecycle, type LifecycleState, type StateChange } from '../runtime/lifecycle.js';
import { createdTopic, type TopicReplication } from '../runtime/config.js';
import type { ConsumedRecord, ProducedRecord } from '../runtime/produced-record.js';
import type { Logger } from '../observability/logger.js';
import type { Serde } from '../serdes/serde.js';
import type { BreakerState, RetrySettings } from './resilience.js';
import type { SlickApi } from './slick-client.js';
import { collectionJob, releaseJob, SlickDelivery, type SlickJob } from './slick-delivery.js';
import { SlickMetrics } from './slick-metrics.js';

export interface SlickEgressTopics {
  readonly release: string;
  readonly payment: string;
  readonly fulfillment: string;
}

export interface SlickEgressOptions {
  readonly group: string;
  readonly topics: SlickEgressTopics;
  readonly serdes: {
    readonly release: Serde<Release>;
    readonly payment: Serde<PaymentEvent>;
    readonly fulfillment: Serde<FulfillmentInteraction>;
  };
  readonly retry: RetrySettings;
  readonly breaker: { readonly failureThreshold: number; readonly coolDownMs: number };
  readonly pollMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Static membership (the pod name). */
  readonly instanceId?: string;
  /** Replication of the topics it creates (OMNIA_TOPIC_REPLICATION_FACTOR / _MIN_INSYNC_REPLICAS); default one copy. */
  readonly topicReplication?: TopicReplication;
  readonly random?: () => number;
  /** The egress's log lines go here instead of the project logger (tests). */
  readonly log?: (line: string) => void;
}

/** The lifecycle's states (runtime/lifecycle.ts), and `blocked`: running, with a partition waiting on a retried call. */
export type SlickEgressState = LifecycleState | 'blocked';

export interface SlickEgressStatus {
  readonly state: SlickEgressState;
  readonly breaker: BreakerState;
  readonly partitions: number;
  readonly lag: number;
  /** Releases / collections being retried now (their partitions wait for them). */
  readonly pending: readonly string[];
  readonly lastDeliveredAt: string | null;
  readonly lastError: string | null;
}

export class SlickEgress {
  readonly metrics: SlickMetrics;
  private readonly delivery: SlickDelivery;
  private consumer: GroupConsumer | undefined;
  private producer: Producer | undefined;
  private fulfillmentPartitions = 1;
  private readonly log: Logger;
  private readonly life: Lifecycle;
  /** Sends one after another: concurrent idempotent sends are unsafe in the client (platformatic-producer.ts). */
  private sendChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: KafkaClient,
    slick: SlickApi,
    private readonly options: SlickEgressOptions,
    metrics?: SlickMetrics,
  ) {
    this.metrics = metrics ?? new SlickMetrics();
    this.log = componentLogger('slick-egress', options.log).child({ group: options.group });
    this.life = new Lifecycle({ component: 'slick egress', log: this.log, close: () => this.close() });
    this.delivery = new SlickDelivery(
      slick,
      {
        retry: options.retry,
        breaker: options.breaker,
        record: (interaction) => this.recordInteraction(interaction),
        signal: this.life.signal, // not restartable: one signal for the egress's life
        ...(options.log ? { log: options.log } : {}), // otherwise it logs on the project logger itself
        ...(options.random ? { random: options.random } : {}),
      },
      this.metrics,
    );
  }

  get breaker(): SlickDelivery['breaker'] {
    return this.delivery.breaker;
  }

  get currentState(): LifecycleState {
    return this.life.state;
  }

  /** Called on every transition, once. */
  onStateChange(listener: (state: LifecycleState, change: StateChange) => void): () => void {
    return this.life.onChange(listener);
  }

  status(): SlickEgressStatus {
    const lag = this.consumer?.lag() ?? [];
    const state = this.life.state;
    return {
      state: state === 'running' && this.delivery.pending.size > 0 ? 'blocked' : state,
      breaker: this.delivery.breakerState,
      partitions: this.consumer?.assignment().partitions.length ?? 0,
      lag: lag.reduce((sum, entry) => sum + entry.records, 0),
      pending: [...this.delivery.pending],
      lastDeliveredAt: this.delivery.lastDeliveredAt,
      lastError: this.delivery.lastError,
    };
  }

  /**
   * Waits for the source topics, creates the fulfillment and dead-letter topics, joins the group, starts the
   * loop. A stop meanwhile ends it early: it resolves without creating topics or joining.
   */
  start(): Promise<void> {
    return this.life.start(async (steps) => {
      const { release, payment, fulfillment } = this.options.topics;
      const admin = this.client.admin();
      try {
        const counts = await steps.waitForTopics(admin, [release, payment], { why: 'the pipeline creates them on its first start' });
        const partitions = counts.get(release)!;
        await steps.step(() =>
          admin.ensureTopics(
            [
              { topic: fulfillment, partitions },
              { topic: dlqTopic(release), partitions },
              { topic: dlqTopic(payment), partitions: counts.get(payment)! },
            ].map((spec) => createdTopic(spec, this.options.topicReplication)),
          ),
        );
        this.fulfillmentPartitions = (await admin.partitionCounts([fulfillment])).get(fulfillment) ?? partitions;
      } finally {
        await admin.close();
      }
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
      await steps.step(() => this.consumer!.join([release, payment]));
      return () => this.run();
    });
  }

  /** Idempotent; waits for a start in flight, which then creates and joins nothing more. */
  stop(): Promise<void> {
    return this.life.stop();
  }

  /** Resolves once stopped. */
  whenStopped(): Promise<void> {
    return this.life.whenStopped();
  }

  private async close(): Promise<void> {
    await this.consumer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the consumer failed'));
    await this.sendChain.catch(() => undefined);
    await this.producer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the producer failed'));
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    let backoffMs = 100;
    let rewind = false;
    while (!this.life.stopRequested) {
      try {
        if (rewind) {
          await consumer.rewindToCommitted();
          rewind = false;
        }
        const records = await consumer.poll(this.options.pollMs ?? 100);
        const version = consumer.assignmentVersion;
        const generation = consumer.groupMetadata();
        this.updateLag(consumer);
        if (records.length === 0) continue;
        const byPartition = new Map<string, ConsumedRecord[]>();
        for (const record of records) {
          const key = tpKey(record.topic, record.partition);
          const list = byPartition.get(key);
          if (list) list.push(record);
          else byPartition.set(key, [record]);
        }
        const done = await Promise.allSettled(
          [...byPartition.values()].map(async (list) => {
            for (const record of list) {
              if (!(await this.handle(record, version))) return false;
              await consumer.commit([{ topic: record.topic, partition: record.partition, offset: record.offset + 1n }], generation);
            }
            return true;
          }),
        );
        const failure = done.find((result) => result.status === 'rejected');
        if (failure) throw (failure as PromiseRejectedResult).reason;
        // Abandoned records (stop, rebalance) were read past: read them again from the committed offsets.
        if (done.some((result) => result.status === 'fulfilled' && !result.value)) rewind = true;
        this.life.moveTo('running', 'running again');
        backoffMs = 100;
      } catch (error) {
        if (this.life.stopRequested) break;
        this.metrics.retries.inc();
        this.life.moveTo('retrying', `kafka: ${(error as Error).message}`);
        this.delivery.lastError = (error as Error).message;
        this.log.warn(
          { err: error, backoffMs },
          `kafka: ${(error as Error).message}; reading again from the committed offsets in ${backoffMs} ms`,
        );
        await this.life.pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        rewind = true;
      }
    }
  }

  /** Delivers what a record asks for; false when abandoned (stop, rebalance) before its outcome was recorded. */
  private async handle(record: ConsumedRecord, version: number): Promise<boolean> {
    const job = await this.jobOf(record);
    if (!job) return true;
    return this.delivery.deliver(job, () => this.life.stopRequested || this.consumer!.assignmentVersion !== version);
  }

  private async jobOf(record: ConsumedRecord): Promise<SlickJob | null> {
    try {
      if (record.value === null) throw new Error('null value');
      if (record.topic === this.options.topics.release) return releaseJob(this.options.serdes.release.deserialize(record.value));
      return collectionJob(this.options.serdes.payment.deserialize(record.value));
    } catch (error) {
      this.metrics.deadLetters.inc({ topic: record.topic });
      this.log.warn(
        { err: error, topic: record.topic, partition: record.partition, offset: String(record.offset) },
        `dead letter ${record.topic}/${record.partition}@${record.offset}: ${(error as Error).message}`,
      );
      await this.send([deadLetter(record, MALFORMED_RECORD, (error as Error).message, Date.now())]);
      return null;
    }
  }

  private async recordInteraction(interaction: FulfillmentInteraction): Promise<void> {
    const key = Buffer.from(interaction.ShipFromLocationID, 'utf8');
    await this.send([
      {
        topic: this.options.topics.fulfillment,
        partition: partitionForKey(key, this.fulfillmentPartitions),
        key,
        value: this.options.serdes.fulfillment.serialize(interaction),
        timestamp: Date.now(),
        headers: {},
      },
    ]);
  }

  private send(records: ProducedRecord[]): Promise<void> {
    const next = this.sendChain.then(() => this.producer!.send(records));
    this.sendChain = next.catch(() => undefined);
    return next.then(() => undefined);
  }

  private updateLag(consumer: GroupConsumer): void {
    this.metrics.lag.reset();
    for (const { topic, partition, records } of consumer.lag()) this.metrics.lag.set({ topic, partition: String(partition) }, records);
  }
}
