/**
 * Where accepted webhook events go: Kafka, through one idempotent producer (acks from all in-sync replicas).
 *
 * Records are keyed by ShipFromLocationID and partitioned here with the Java client's partitioner over the
 * topic's partition count (read once at start), so they land where every other producer of that store's
 * records would put them.
 *
 * Concurrent requests share the producer by group commit: while one send is in flight, new records queue; when
 * it completes, everything queued goes in the next send (one produce request), so requests are answered after
 * their own acks without sends overlapping (this client loses records on concurrent idempotent sends). A failed
 * send fails every request in it (each answers 503 and its partner retries) and the producer is replaced before
 * the next send, so a broken idempotent session (sequence numbers) never lingers.
 */
import type { KafkaClient, Producer } from '../topology/kafka/client.js';
import { type Logger, logger as rootLogger } from '../observability/logger.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';

export interface PublishRecord {
  topic: string;
  /** The record key as text (ShipFromLocationID); sent as its UTF-8 bytes. */
  key: string;
  value: Buffer;
  timestamp: number;
  headers?: Readonly<Record<string, string>>;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** A record that may not have been written: where it was going, and why (`cause`). */
export class PublishError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    cause: unknown,
  ) {
    super(`not acknowledged by ${topic}[${partition}]: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PublishError';
  }
}

export interface WebhookPublisher {
  /** Resolves once the record is acknowledged; rejects if it may not have been written. */
  publish(record: PublishRecord): Promise<{ partition: number }>;
  readiness(): Readiness | Promise<Readiness>;
  close(): Promise<void>;
}

interface Pending {
  record: ProducedRecord;
  resolve: (value: { partition: number }) => void;
  reject: (error: Error) => void;
}

/** Most records in one produce request. */
const MAX_BATCH = 500;

export class KafkaWebhookPublisher implements WebhookPublisher {
  private readonly partitionCounts = new Map<string, number>();
  private producer: Producer | undefined;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | undefined;
  private broken: Error | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';
  private readonly log: Logger;

  constructor(
    private readonly client: KafkaClient,
    private readonly topics: readonly string[],
    logger: Logger = rootLogger.child({ component: 'webhook-publisher' }),
  ) {
    this.log = logger;
  }

  /** Reads the topics' partition counts (refusing to start without a topic) and opens the producer. */
  async start(): Promise<void> {
    const admin = this.client.admin();
    try {
      const counts = await admin.partitionCounts(this.topics);
      const missing = this.topics.filter((topic) => !counts.get(topic));
      if (missing.length)
        throw new Error(
          `webhook ingress: topic(s) ${missing.join(', ')} do not exist; create them (the topology does on its start) and retry`,
        );
      for (const topic of this.topics) this.partitionCounts.set(topic, counts.get(topic)!);
    } finally {
      await admin.close();
    }
    await this.openProducer();
    this.state = 'started';
  }

  partitionCount(topic: string): number {
    const count = this.partitionCounts.get(topic);
    if (count === undefined) throw new Error(`webhook ingress: unknown topic ${topic}`);
    return count;
  }

  publish(record: PublishRecord): Promise<{ partition: number }> {
    if (this.state !== 'started') return Promise.reject(new Error(`publisher is ${this.state === 'new' ? 'not started' : 'closed'}`));
    const key = Buffer.from(record.key, 'utf8');
    const partition = partitionForKey(key, this.partitionCount(record.topic));
    return new Promise((resolve, reject) => {
      this.queue.push({
        record: { topic: record.topic, partition, key, value: record.value, timestamp: record.timestamp, headers: record.headers ?? {} },
        resolve,
        reject,
      });
      this.pump();
    });
  }

  async readiness(): Promise<Readiness> {
    if (this.state !== 'started') return { ready: false, reason: `publisher is ${this.state === 'new' ? 'starting' : 'closed'}` };
    if (this.broken && !this.inFlight) {
      try {
        await this.openProducer();
      } catch (error) {
        // Readiness is polled: the probe's 503 says it; the line is for whoever looks closer.
        this.log.debug({ err: error }, 'Kafka producer not reopened for the readiness probe');
        return { ready: false, reason: `Kafka producer unavailable: ${(error as Error).message}` };
      }
    }
    return { ready: true };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.inFlight;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('publisher closed'));
    await this.producer?.close().catch((error: unknown) => this.log.debug({ err: error }, 'Kafka producer not closed cleanly'));
    this.producer = undefined;
  }

  private async openProducer(): Promise<void> {
    const old = this.producer;
    const replacing = this.broken;
    this.producer = undefined;
    // A broken producer often fails to close too; it is dropped either way.
    if (old) await old.close().catch((error: unknown) => this.log.debug({ err: error }, 'broken Kafka producer not closed cleanly'));
    const producer = this.client.producer({});
    await producer.init();
    this.producer = producer;
    this.broken = undefined;
    if (replacing) this.log.info({ after: replacing.message }, 'Kafka producer replaced after a failed send');
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    if (this.state === 'closed') {
      for (const pending of this.queue.splice(0)) pending.reject(new Error('publisher closed'));
      return;
    }
    const batch = this.queue.splice(0, MAX_BATCH);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      this.pump();
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      if (!this.producer || this.broken) await this.openProducer();
      await this.producer!.send(batch.map((pending) => pending.record));
      for (const pending of batch) pending.resolve({ partition: pending.record.partition });
    } catch (error) {
      // Each request of the batch logs its own failure (webhook-server.ts), with its partner and order.
      this.broken = error as Error;
      for (const pending of batch) pending.reject(new PublishError(pending.record.topic, pending.record.partition, error));
    }
  }
}
