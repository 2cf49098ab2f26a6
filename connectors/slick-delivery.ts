/**
 * Getting one release (or one COD collection confirmation) to Slick: retries, the circuit breaker and the record
 * of every call. Knows nothing of where the releases come from: the Kafka egress (slick-egress.ts) and the
 * embedded default (embedded-slick-egress.ts) both hand their records to `deliver`.
 *
 * A call that fails is retried (`RetryPolicy`: 3 attempts, 1 s / 2 s backoff with jitter); a round that fails is
 * recorded GAVE_UP and started again after the longest backoff (4 s) — a release is never dropped. While the
 * breaker is open no call is made (CIRCUIT_OPEN is recorded, once per cool-down), then one probe call tells
 * whether Slick is back. Every call and its outcome is handed to `record` (a FulfillmentInteraction) and waited
 * for before the next step, so the record of what Slick was told is never behind what Slick was told.
 */
import type { FulfillmentAction, FulfillmentInteraction, FulfillmentOutcome, PaymentEvent, Release } from '../avro/records.js';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { backoffDelayMs, pause, type RetryPolicy, validateRetryPolicy } from './http-retry.js';
import { collectionOf, SlickCallError, type SlickAnswer, type SlickApi } from './slick-client.js';
import { BREAKER_STATE_VALUE, SlickMetrics } from './slick-metrics.js';

export const COLLECTED = 'Collected';

/** What one record asks of Slick. */
export interface SlickJob {
  readonly action: FulfillmentAction;
  /** For logs and the pending list: the ReleaseID, or "collection of <OrderID>". */
  readonly id: string;
  readonly base: Pick<FulfillmentInteraction, 'ReleaseID' | 'OrderID' | 'ShipFromLocationID' | 'Amount'>;
  readonly call: (slick: SlickApi) => Promise<SlickAnswer>;
}

export function releaseJob(release: Release): SlickJob {
  return {
    action: 'SEND_RELEASE',
    id: release.ReleaseID,
    base: { ReleaseID: release.ReleaseID, OrderID: release.OrderID, ShipFromLocationID: release.ShipFromLocationID, Amount: null },
    call: (slick) => slick.sendRelease(release),
  };
}

/** A collection confirmation for a `Collected` payment event; null for every other payment status. */
export function collectionJob(payment: PaymentEvent): SlickJob | null {
  if (payment.PaymentStatus !== COLLECTED) return null;
  const collection = collectionOf(payment);
  return {
    action: 'CONFIRM_COLLECTION',
    id: `collection of ${payment.OrderID}`,
    base: { ReleaseID: null, OrderID: payment.OrderID, ShipFromLocationID: payment.ShipFromLocationID, Amount: payment.Amount },
    call: (slick) => slick.confirmCollection(collection),
  };
}

export interface SlickDeliveryOptions {
  readonly retry: RetryPolicy;
  readonly breaker: { readonly failureThreshold: number; readonly coolDownMs: number };
  /** Stores one interaction durably (resolves once it is); `deliver` waits for it. */
  readonly record: (interaction: FulfillmentInteraction) => Promise<void>;
  /** Cuts every backoff and cool-down short (a stop). */
  readonly signal: AbortSignal;
  readonly random?: () => number;
  readonly log: (line: string) => void;
}

export class SlickDelivery {
  readonly breaker: CircuitBreaker;
  /** Releases / collections being retried now. */
  readonly pending = new Set<string>();
  lastDeliveredAt: string | null = null;
  lastError: string | null = null;

  constructor(
    private readonly slick: SlickApi,
    private readonly options: SlickDeliveryOptions,
    readonly metrics: SlickMetrics = new SlickMetrics(),
  ) {
    validateRetryPolicy(options.retry);
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      onStateChange: (from, to) => {
        this.metrics.breakerState.set(BREAKER_STATE_VALUE[to]);
        if (to === 'open') this.metrics.breakerOpenings.inc();
        options.log(`circuit breaker ${from} → ${to}`);
      },
    });
    this.metrics.breakerState.set(0);
  }

  get breakerState(): BreakerState {
    return this.breaker.state;
  }

  /**
   * Calls Slick until it has the job's release (or collection). Returns false only when abandoned — `abandoned()`
   * turned true (a stop, the partition moved) before an outcome was recorded; the caller then reads it again.
   */
  async deliver(job: SlickJob, abandoned: () => boolean): Promise<boolean> {
    const { retry, signal } = this.options;
    const random = this.options.random ?? Math.random;
    let attempt = 0;
    try {
      while (true) {
        for (let tries = 0; tries < retry.attempts; ) {
          if (abandoned()) return false;
          if (!this.breaker.tryAcquire()) {
            this.pending.add(job.id);
            await this.record(job, attempt, 'CIRCUIT_OPEN', null, `circuit breaker ${this.breaker.state}: Slick not called`);
            await pause(this.breaker.retryAfterMs(), signal);
            continue; // a refused call is not an attempt
          }
          tries++;
          attempt++;
          const timer = this.metrics.requestSeconds.startTimer({ action: job.action });
          let answer: SlickAnswer;
          try {
            answer = await job.call(this.slick);
          } catch (error) {
            timer();
            const status = error instanceof SlickCallError ? error.status : null;
            if (error instanceof SlickCallError && !error.partnerFault) this.breaker.onIgnored();
            else this.breaker.onFailure();
            this.pending.add(job.id);
            this.lastError = `${job.action} ${job.id}: ${(error as Error).message}`;
            await this.record(job, attempt, 'FAILED', status, (error as Error).message);
            if (tries < retry.attempts) await pause(backoffDelayMs(retry, tries, random), signal);
            continue;
          }
          timer();
          this.breaker.onSuccess();
          await this.record(job, attempt, answer.outcome, answer.status, null);
          this.lastDeliveredAt = new Date().toISOString();
          return true;
        }
        await this.record(job, attempt, 'GAVE_UP', null, `${retry.attempts} attempts failed; trying again (never dropped)`);
        this.options.log(`${job.action} ${job.id}: ${retry.attempts} attempts failed (${this.lastError ?? ''}); trying again`);
        await pause(backoffDelayMs(retry, retry.attempts, random), signal);
      }
    } finally {
      this.pending.delete(job.id);
    }
  }

  private record(job: SlickJob, attempt: number, outcome: FulfillmentOutcome, status: number | null, error: string | null): Promise<void> {
    this.metrics.sends.inc({ action: job.action, outcome });
    return this.options.record({ ...job.base, Action: job.action, Attempt: attempt, Outcome: outcome, HttpStatus: status, Error: error, At: new Date().toISOString() });
  }
}
