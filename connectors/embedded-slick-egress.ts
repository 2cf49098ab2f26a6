/**
 * The Slick egress of the embedded default: releases and COD collections handed over by the in-process pipeline
 * (no Kafka to read them from) are delivered with the Kafka egress's retries, breaker and record of every call
 * (slick-delivery.ts).
 *
 * Each store is a lane: its records are delivered one after another, in the order the pipeline produced them, and
 * a lane whose release Slick will not take waits (never skips it), as a partition does in the Kafka egress; other
 * stores go on. Nothing here is durable — the embedded default keeps everything in one process — so a stop
 * abandons what is queued.
 */
import type { FulfillmentInteraction, PaymentEvent, Release } from '../avro/records.js';
import { componentLogger, type Logger } from '../observability/logger.js';
import { type BreakerSettings, type BreakerState, type RetrySettings } from './resilience.js';
import type { SlickApi } from './slick-client.js';
import { collectionJob, releaseJob, SlickDelivery, type SlickJob } from './slick-delivery.js';
import type { SlickMetrics } from './slick-metrics.js';

export interface EmbeddedSlickEgressOptions {
  readonly retry: RetrySettings;
  readonly breaker: BreakerSettings;
  /** Where each interaction goes (the embedded sink's order.fulfillment.v1 records). */
  readonly record: (interaction: FulfillmentInteraction) => Promise<void>;
  readonly random?: () => number;
  /** Where the delivery logs (breaker moves, given-up rounds); default the project logger. */
  readonly logger?: Logger;
  /** Without `logger`: each line's message as text instead (a console). */
  readonly log?: (line: string) => void;
  readonly metrics?: SlickMetrics;
}

export interface EmbeddedSlickEgressStatus {
  readonly state: 'running' | 'blocked' | 'stopped';
  readonly breaker: BreakerState;
  /** Records handed over and not yet delivered (waiting in their store's lane or being retried). */
  readonly queued: number;
  readonly pending: readonly string[];
  readonly lastDeliveredAt: string | null;
  readonly lastError: string | null;
}

export class EmbeddedSlickEgress {
  private readonly delivery: SlickDelivery;
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly stopSignal = new AbortController();
  private queued = 0;
  private stopping = false;
  private readonly log: Logger;

  constructor(slick: SlickApi, options: EmbeddedSlickEgressOptions) {
    this.log = options.logger ?? componentLogger('embedded-slick-egress', options.log);
    this.delivery = new SlickDelivery(
      slick,
      {
        retry: options.retry,
        breaker: options.breaker,
        record: options.record,
        signal: this.stopSignal.signal,
        logger: this.log,
        ...(options.random ? { random: options.random } : {}),
      },
      options.metrics,
    );
  }

  get metrics(): SlickMetrics {
    return this.delivery.metrics;
  }

  offerRelease(release: Release): void {
    this.enqueue(releaseJob(release));
  }

  /** Only `Collected` payment events ask anything of Slick; the rest are passed. */
  offerPayment(payment: PaymentEvent): void {
    const job = collectionJob(payment);
    if (job) this.enqueue(job);
  }

  status(): EmbeddedSlickEgressStatus {
    return {
      state: this.stopping ? 'stopped' : this.delivery.pending.size > 0 ? 'blocked' : 'running',
      breaker: this.delivery.breakerState,
      queued: this.queued,
      pending: [...this.delivery.pending],
      lastDeliveredAt: this.delivery.lastDeliveredAt,
      lastError: this.delivery.lastError,
    };
  }

  /** Resolves when everything handed over so far is delivered (or abandoned by a stop). */
  async drained(): Promise<void> {
    while (this.queued > 0 && !this.stopping) await Promise.all([...this.lanes.values()]);
  }

  /** Abandons what is queued; calls in flight finish, backoffs and cool-downs are cut short. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await Promise.all([...this.lanes.values()]);
  }

  private enqueue(job: SlickJob): void {
    if (this.stopping) return;
    const store = job.base.ShipFromLocationID;
    this.queued++;
    const lane = (this.lanes.get(store) ?? Promise.resolve())
      .then(async () => {
        await this.delivery.deliver(job, () => this.stopping);
      })
      .catch((error: unknown) => {
        // Only a failure to record an interaction lands here; the lane goes on with the next record.
        this.delivery.lastError = `${job.action} ${job.id}: ${(error as Error).message}`;
        this.log.error(
          { partner: 'slick', action: job.action, OrderID: job.base.OrderID, ShipFromLocationID: store, err: error },
          'interaction not recorded; the lane goes on with the next record',
        );
      })
      .finally(() => {
        this.queued--;
        if (this.lanes.get(store) === lane) this.lanes.delete(store);
      });
    this.lanes.set(store, lane);
  }
}
