/**
 * Getting one release (or one COD collection confirmation) to Slick: retries, the circuit breaker and the record
 * of every call. Knows nothing of where the releases come from: the Kafka egress (slick-egress.ts) and the
 * embedded default (embedded-slick-egress.ts) both hand their records to `deliver`.
 *
 * The policies are cockatiel's, outer to inner (slick-client.ts adds the bulkhead and the timeout of each call):
 *
 * - **retry** (`retry`): a round of `attempts` calls, the delays of `jitteredBackoff` between them (1 s, 2 s,
 *   ±20 %). A round that fails is recorded GAVE_UP and started again after the next delay of the same backoff
 *   (4 s) — a release is never dropped. A round that Slick refused itself every time (a 4xx other than 408 /
 *   429) is recorded REFUSED with that status and Slick's answer, and its partition moves on: a release waits on
 *   the manual-action list (releases_awaiting_slick) until a person retries it (the pipeline sends it again) or
 *   parks it; a collection confirmation is not sent again.
 * - **circuit breaker** (`breaker`, a ConsecutiveBreaker): opens after `failureThreshold` consecutive failed
 *   calls; while open no call is made (CIRCUIT_OPEN is recorded, once per cool-down, and is not an attempt);
 *   after `coolDownMs` one probe call is let through (other calls wait for its outcome) and closes it again on
 *   success. A call Slick refused itself (a 4xx other than 408 / 429) neither counts against it nor clears it.
 *
 * Every call and its outcome is handed to `record` (a FulfillmentInteraction) and waited for before the next
 * step, so the record of what Slick was told is never behind what Slick was told.
 */
import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  type ExponentialBackoff,
  handleType,
  handleWhen,
  retry,
  type RetryPolicy,
} from 'cockatiel';
import type { FulfillmentAction, FulfillmentInteraction, FulfillmentOutcome, PaymentEvent, Release } from '../avro/records.js';
import { componentLogger, type Logger } from '../observability/logger.js';
import {
  type BreakerSettings,
  type BreakerState,
  breakerStateOf,
  jitteredBackoff,
  nthDelayMs,
  pause,
  type RetrySettings,
  validateBreakerSettings,
  validateRetrySettings,
  watchBreaker,
} from './resilience.js';
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
  readonly retry: RetrySettings;
  readonly breaker: BreakerSettings;
  /** Stores one interaction durably (resolves once it is); `deliver` waits for it. */
  readonly record: (interaction: FulfillmentInteraction) => Promise<void>;
  /** Cuts cool-downs and the pause between rounds short (a stop); a retry delay under way runs out first. */
  readonly signal: AbortSignal;
  readonly random?: () => number;
  /** Where breaker moves and given-up rounds are logged; default the project logger (component slick-delivery). */
  readonly logger?: Logger;
  /** Without `logger`: each line's message as text, instead of the project logger (tests, a console). */
  readonly log?: (line: string) => void;
}

/** One call failed; the retry policy handles only these (a failed record or an abandoned delivery ends it). */
class AttemptFailed extends Error {
  constructor(readonly error: unknown) {
    super((error as Error)?.message ?? String(error));
    this.name = 'AttemptFailed';
  }
}

/** The delivery was abandoned (a stop, the partition moved) before an outcome was recorded. */
class Abandoned extends Error {
  constructor() {
    super('abandoned');
    this.name = 'Abandoned';
  }
}

/** Slick refusing the request itself (a 4xx other than 408 / 429): sending it again will not change the answer. */
const isRefusal = (error: unknown): error is SlickCallError & { status: number } =>
  error instanceof SlickCallError && !error.partnerFault && error.status !== null;

const fieldsOf = (job: SlickJob) => ({
  action: job.action,
  OrderID: job.base.OrderID,
  ReleaseID: job.base.ReleaseID ?? undefined,
  ShipFromLocationID: job.base.ShipFromLocationID,
});

export class SlickDelivery {
  /** Rounds of attempts: `attempts − 1` retries with jittered exponential backoff. */
  readonly retry: RetryPolicy;
  /** Consecutive-failure breaker towards Slick, shared by every delivery of this instance. */
  readonly breaker: CircuitBreakerPolicy;
  /** Releases / collections being retried now. */
  readonly pending = new Set<string>();
  lastDeliveredAt: string | null = null;
  lastError: string | null = null;
  private readonly backoff: ExponentialBackoff<number>;
  private readonly log: Logger;
  /** When the breaker last opened (ms), for how long a refused call waits. */
  private openedAt = 0;
  /** The job each failed call was for, so the breaker's opening line names the order that tipped it. */
  private readonly failedFor = new WeakMap<object, SlickJob>();

  constructor(
    private readonly slick: SlickApi,
    private readonly options: SlickDeliveryOptions,
    readonly metrics: SlickMetrics = new SlickMetrics(),
  ) {
    const settings = validateRetrySettings(options.retry);
    validateBreakerSettings(options.breaker);
    this.log = options.logger ?? componentLogger('slick-delivery', options.log);
    this.backoff = jitteredBackoff(settings, options.random);
    this.retry = retry(handleType(AttemptFailed), { maxAttempts: settings.attempts - 1, backoff: this.backoff });
    // Everything but Slick refusing the request itself (a 4xx other than 408 / 429) counts against the breaker.
    this.breaker = circuitBreaker(
      handleWhen((error) => !(error instanceof SlickCallError && !error.partnerFault)),
      { halfOpenAfter: options.breaker.coolDownMs, breaker: new ConsecutiveBreaker(options.breaker.failureThreshold) },
    );
    this.breaker.onBreak(() => (this.openedAt = Date.now()));
    watchBreaker(
      this.breaker,
      this.log,
      { partner: 'slick', failureThreshold: options.breaker.failureThreshold },
      {
        coolDownMs: options.breaker.coolDownMs,
        describe: (error) => {
          const job = typeof error === 'object' && error !== null ? this.failedFor.get(error) : undefined;
          return job ? fieldsOf(job) : undefined;
        },
        onMove: (_from, to) => {
          this.metrics.breakerState.set(BREAKER_STATE_VALUE[to]);
          if (to === 'open') this.metrics.breakerOpenings.inc();
        },
      },
    );
    this.metrics.breakerState.set(0);
  }

  get breakerState(): BreakerState {
    return breakerStateOf(this.breaker.state);
  }

  /**
   * Calls Slick until it has the job's release (or collection). Returns false only when abandoned — `abandoned()`
   * turned true (a stop, the partition moved) before an outcome was recorded; the caller then reads it again.
   * Rejects only when an interaction could not be recorded.
   */
  async deliver(job: SlickJob, abandoned: () => boolean): Promise<boolean> {
    const { attempts } = this.options.retry;
    const progress = { attempt: 0 };
    try {
      while (true) {
        let answer: SlickAnswer;
        try {
          answer = await this.retry.execute(() => this.attempt(job, abandoned, progress));
        } catch (error) {
          if (error instanceof Abandoned) return false;
          if (!(error instanceof AttemptFailed)) throw error; // the record of a call failed: the caller re-reads
          if (isRefusal(error.error)) {
            // Slick refused the request itself a whole round: another round would be refused too, and would hold up
            // every later call of the partition. REFUSED, with Slick's answer, and the partition moves on. A release
            // waits on the manual-action list for a person to retry it (once fixed) or park it (docs/contract.md
            // §10); a collection confirmation is not sent again (the cash is reconciled from the partner's
            // callbacks, not from Slick's answer; Reading 52).
            const next =
              job.action === 'SEND_RELEASE'
                ? 'set aside until someone retries or parks it'
                : 'not sent again; the collection stands as recorded';
            const refusal = `Slick refused it ${attempts} times (${error.error.message}); ${next}`;
            await this.record(job, progress.attempt, 'REFUSED', error.error.status, refusal);
            this.log.warn(
              { partner: 'slick', ...fieldsOf(job), attempts, httpStatus: error.error.status, err: error.error },
              `${job.action} ${job.id}: ${refusal}`,
            );
            if (job.action === 'SEND_RELEASE') this.metrics.setAside.inc();
            else this.metrics.collectionsRefused.inc();
            return true;
          }
          await this.record(job, progress.attempt, 'GAVE_UP', null, `${attempts} attempts failed; trying again (never dropped)`);
          const delayMs = nthDelayMs(this.backoff, attempts);
          this.log.warn(
            { partner: 'slick', ...fieldsOf(job), attempts, attempt: progress.attempt, retryInMs: delayMs, err: error.error },
            `${job.action} ${job.id}: ${attempts} attempts failed; trying again in ${delayMs} ms (never dropped)`,
          );
          await pause(delayMs, this.options.signal);
          continue;
        }
        await this.record(job, progress.attempt, answer.outcome, answer.status, null);
        this.lastDeliveredAt = new Date().toISOString();
        return true;
      }
    } finally {
      this.pending.delete(job.id);
    }
  }

  /** One attempt: waits out an open breaker (recording CIRCUIT_OPEN: not an attempt), then one call, recorded. */
  private async attempt(job: SlickJob, abandoned: () => boolean, progress: { attempt: number }): Promise<SlickAnswer> {
    while (true) {
      if (abandoned()) throw new Abandoned();
      try {
        return await this.breaker.execute(async () => {
          progress.attempt++;
          const stopTimer = this.metrics.requestSeconds.startTimer({ action: job.action });
          try {
            return await job.call(this.slick);
          } catch (error) {
            if (typeof error === 'object' && error !== null) this.failedFor.set(error, job);
            throw error;
          } finally {
            stopTimer();
          }
        });
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          this.pending.add(job.id);
          await this.record(job, progress.attempt, 'CIRCUIT_OPEN', null, `circuit breaker ${this.breakerState}: Slick not called`);
          await pause(this.openedAt + this.options.breaker.coolDownMs - Date.now(), this.options.signal);
          continue;
        }
        const status = error instanceof SlickCallError ? error.status : null;
        const message = (error as Error)?.message ?? String(error);
        this.pending.add(job.id);
        this.lastError = `${job.action} ${job.id}: ${message}`;
        this.log.debug(
          { partner: 'slick', ...fieldsOf(job), attempt: progress.attempt, httpStatus: status, err: error },
          'Slick call failed',
        );
        await this.record(job, progress.attempt, 'FAILED', status, message);
        throw new AttemptFailed(error);
      }
    }
  }

  private record(job: SlickJob, attempt: number, outcome: FulfillmentOutcome, status: number | null, error: string | null): Promise<void> {
    this.metrics.sends.inc({ action: job.action, outcome });
    return this.options.record({
      ...job.base,
      Action: job.action,
      Attempt: attempt,
      Outcome: outcome,
      HttpStatus: status,
      Error: error,
      At: new Date().toISOString(),
    });
  }
}
