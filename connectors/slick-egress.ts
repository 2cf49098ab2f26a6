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
import type { FulfillmentInteraction, PaymentEvent, Release } from '../avro/records.js';
import type { GroupConsumer, KafkaClient, Producer } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { deadLetter, dlqTopic, MALFORMED_RECORD } from '../runtime/dead-letter.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ConsumedRecord, ProducedRecord } from '../runtime/produced-record.js';
import type { Serde } from '../serdes/serde.js';
import type { BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { pause, type RetryPolicy } from './http-retry.js';
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
  readonly retry: RetryPolicy;
  readonly breaker: { readonly failureThreshold: number; readonly coolDownMs: number };
  readonly pollMs?: number;
  readonly sessionTimeoutMs?: number;
  /** Static membership (the pod name). */
  readonly instanceId?: string;
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export type SlickEgressState = 'starting' | 'waiting-for-topics' | 'running' | 'blocked' | 'retrying' | 'stopped';

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
  private state: SlickEgressState = 'starting';
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  /** Sends one after another: concurrent idempotent sends are unsafe in the client (platformatic-producer.ts). */
  private sendChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: KafkaClient,
    slick: SlickApi,
    private readonly options: SlickEgressOptions,
    metrics?: SlickMetrics,
  ) {
    this.metrics = metrics ?? new SlickMetrics();
    this.delivery = new SlickDelivery(
      slick,
      {
        retry: options.retry,
        breaker: options.breaker,
        record: (interaction) => this.recordInteraction(interaction),
        signal: this.stopSignal.signal,
        log: (line) => this.log(line),
        ...(options.random ? { random: options.random } : {}),
      },
      this.metrics,
    );
  }

  get breaker(): CircuitBreaker {
    return this.delivery.breaker;
  }

  status(): SlickEgressStatus {
    const lag = this.consumer?.lag() ?? [];
    return {
      state: this.state === 'running' && this.delivery.pending.size > 0 ? 'blocked' : this.state,
      breaker: this.delivery.breakerState,
      partitions: this.consumer?.assignment().partitions.length ?? 0,
      lag: lag.reduce((sum, entry) => sum + entry.records, 0),
      pending: [...this.delivery.pending],
      lastDeliveredAt: this.delivery.lastDeliveredAt,
      lastError: this.delivery.lastError,
    };
  }

  /** Waits for the source topics, creates the fulfillment and dead-letter topics, joins the group, starts the loop. */
  async start(): Promise<void> {
    this.starting = this.open();
    await this.starting;
  }

  /** A stop meanwhile ends it early, without joining. */
  private async open(): Promise<void> {
    const { release, payment, fulfillment } = this.options.topics;
    const counts = await this.waitForTopics([release, payment]);
    if (this.stopping) return;
    const admin = this.client.admin();
    try {
      const partitions = counts.get(release)!;
      await admin.ensureTopics([
        { topic: fulfillment, partitions },
        { topic: dlqTopic(release), partitions },
        { topic: dlqTopic(payment), partitions: counts.get(payment)! },
      ]);
      this.fulfillmentPartitions = (await admin.partitionCounts([fulfillment])).get(fulfillment) ?? partitions;
    } finally {
      await admin.close();
    }
    this.producer = this.client.producer({});
    await this.producer.init();
    this.consumer = this.client.groupConsumer({
      groupId: this.options.group,
      ...(this.options.instanceId ? { groupInstanceId: this.options.instanceId } : {}),
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      readCommitted: true,
    });
    await this.consumer.join([release, payment]);
    if (this.stopping) return; // stop() closes the consumer once this start has settled
    this.state = 'running';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.starting?.catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await this.consumer?.close().catch(() => undefined);
    await this.sendChain.catch(() => undefined);
    await this.producer?.close().catch(() => undefined);
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    let backoffMs = 100;
    let rewind = false;
    while (!this.stopping) {
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
        if (this.state === 'retrying') this.log('running again');
        this.state = 'running';
        backoffMs = 100;
      } catch (error) {
        if (this.stopping) break;
        this.metrics.retries.inc();
        this.state = 'retrying';
        this.delivery.lastError = (error as Error).message;
        this.log(`kafka: ${(error as Error).message}; reading again from the committed offsets in ${backoffMs} ms`);
        await pause(backoffMs, this.stopSignal.signal);
        backoffMs = Math.min(backoffMs * 2, 5_000);
        rewind = true;
      }
    }
  }

  /** Delivers what a record asks for; false when abandoned (stop, rebalance) before its outcome was recorded. */
  private async handle(record: ConsumedRecord, version: number): Promise<boolean> {
    const job = await this.jobOf(record);
    if (!job) return true;
    return this.delivery.deliver(job, () => this.stopping || this.consumer!.assignmentVersion !== version);
  }

  private async jobOf(record: ConsumedRecord): Promise<SlickJob | null> {
    try {
      if (record.value === null) throw new Error('null value');
      if (record.topic === this.options.topics.release) return releaseJob(this.options.serdes.release.deserialize(record.value));
      return collectionJob(this.options.serdes.payment.deserialize(record.value));
    } catch (error) {
      this.metrics.deadLetters.inc({ topic: record.topic });
      this.log(`dead letter ${record.topic}/${record.partition}@${record.offset}: ${(error as Error).message}`);
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

  private async waitForTopics(topics: string[]): Promise<Map<string, number>> {
    const admin = this.client.admin();
    try {
      for (let attempt = 0; ; attempt++) {
        const counts = await admin.partitionCounts(topics);
        const missing = topics.filter((topic) => !counts.has(topic));
        if (missing.length === 0 || this.stopping) return counts;
        if (attempt === 0) this.log(`waiting for topics ${missing.join(', ')} (the pipeline creates them on its first start)`);
        this.state = 'waiting-for-topics';
        await pause(1_000, this.stopSignal.signal);
      }
    } finally {
      await admin.close();
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((text: string) => console.log(`omnia slick-egress: ${text}`)))(line);
  }
}
