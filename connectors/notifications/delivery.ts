/**
 * Getting one message to one customer: the customer's preference, quiet hours, the channel, retries, the circuit
 * breaker and the record of every step. Knows nothing of where the orders come from: the Kafka connector
 * (connector.ts) and the embedded default (embedded-notifier.ts) both hand their messages to `deliver`.
 *
 * Before every call, in this order:
 * 1. **opted out** (the customer's preference, as read now): SKIPPED `OPTED_OUT`, never sent — also when the
 *    customer opted out while the message waited;
 * 2. **quiet hours** (the customer's own window, else OMNIA_NOTIFY_QUIET_HOURS, in the business time zone): the
 *    message waits until the window ends (DEFERRED, with DueAt, recorded once) and is checked again then — no
 *    event is urgent enough to wake a customer, a failed delivery included (the carrier tries again by day);
 * 3. **contact**: LINE to the customer's LINE user id when they chose LINE and gave one, else SMS to the order's
 *    delivery phone; neither: SKIPPED `NO_CONTACT`.
 *
 * The text is written once per delivery (language: the customer's, else the default) and every call carries the
 * same text and the same idempotency key, the NotificationID: the provider sends one message per key, so a call
 * repeated after a lost answer, a redelivered record or a restart is answered DUPLICATE, not sent twice.
 *
 * The policies are cockatiel's, outer to inner (channels.ts adds the bulkhead and the timeout of each call):
 * - **retry**: a round of `attempts` calls with jittered exponential backoff; a round that fails is recorded
 *   GAVE_UP and started again after the next delay (a message is never dropped for a provider being unwell);
 *   a round the provider refused itself (a 4xx other than 408 / 429, e.g. an invalid number) is REFUSED and
 *   not sent again;
 * - **circuit breaker**, one per channel (a LINE outage does not stop SMS), sampling: it opens when more than
 *   `failureRate` of the calls of the last `windowMs` failed (with at least `minimumCalls` in that time); while
 *   open no call is made (CIRCUIT_OPEN recorded); after `coolDownMs` one probe. A provider failing some of its
 *   calls — half of them, say — keeps being called (each message retried until it goes); one that is down is left
 *   alone. A breaker counting consecutive failures would open again and again on a provider failing half its calls.
 *
 * Every step is handed to `record` (a NotificationOutcome) and waited for before the next one, so the record of
 * what a customer was sent is never behind what was sent.
 */
import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  type ExponentialBackoff,
  handleType,
  handleWhen,
  retry,
  type RetryPolicy,
  SamplingBreaker,
} from 'cockatiel';
import type { NotificationOutcome, NotificationOutcomeKind, NotificationPreference } from '../../avro/records.js';
import { componentLogger, type Logger } from '../../observability/logger.js';
import type { OrderState } from '../../processors/order-state.js';
import { trackingLink } from '../../query-service/tracking-token.js';
import {
  breakerStateOf,
  jitteredBackoff,
  nthDelayMs,
  pause,
  type RetrySettings,
  validateRetrySettings,
  watchBreaker,
} from '../resilience.js';
import { BREAKER_STATE_VALUE } from '../slick-metrics.js';
import { type ChannelAnswer, ChannelCallError, type ChannelName, CHANNELS, type NotificationChannel } from './channels.js';
import type { DueNotification } from './events.js';
import { NotificationMetrics } from './metrics.js';
import { maskLineId, maskPhone, normalisePhone, type PreferenceTable } from './preferences.js';
import { describeQuietHours, parseQuietHours, type QuietWindow, quietUntil } from './quiet-hours.js';
import { isLanguage, type Language, renderMessage } from './templates.js';

/** One message to deliver: what it is, and the order's state to write it from. */
export interface NotificationJob {
  readonly due: DueNotification;
  readonly state: OrderState;
}

/** The breaker of each channel: a share of failed calls over a sliding window. */
export interface NotifyBreakerSettings {
  /** Opens when more than this share of the window's calls failed; within (0, 1). */
  readonly failureRate: number;
  /** How long the circuit stays open before one probe call. */
  readonly coolDownMs: number;
  /** The window the share is taken over; default 10 s. */
  readonly windowMs?: number;
  /** Calls the window must hold before it may open; default one a second. */
  readonly minimumCalls?: number;
}

export interface TrackingLinks {
  readonly baseUrl: string;
  readonly secret: string;
  /** A link works until this many days after the change its message tells of. */
  readonly linkDays: number;
}

export interface NotificationDeliveryOptions {
  readonly channels: Partial<Record<ChannelName, NotificationChannel>>;
  readonly preferences: PreferenceTable;
  readonly retry: RetrySettings;
  readonly breaker: NotifyBreakerSettings;
  /** The default quiet hours (a customer's own replace them); null: none. */
  readonly quietHours: QuietWindow | null;
  readonly timeZone: string;
  readonly defaultLanguage: Language;
  /** Tracking links in the messages; none: messages without a link. */
  readonly tracking?: TrackingLinks;
  /** Stores one step durably (resolves once it is); `deliver` waits for it. */
  readonly record: (outcome: NotificationOutcome) => Promise<void>;
  /** Told of each message a provider took (SENT or DUPLICATE) with its text: the embedded default prints it. */
  readonly onSent?: (outcome: NotificationOutcome) => void;
  /** Wall clock of quiet hours and records; default Date.now (tests move it). */
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly log?: (line: string) => void;
  readonly metrics?: NotificationMetrics;
}

export type DeliveryResult = 'done' | 'abandoned';

/** One call failed; the retry policy handles only these. */
class AttemptFailed extends Error {
  constructor(readonly error: unknown) {
    super((error as Error)?.message ?? String(error));
    this.name = 'AttemptFailed';
  }
}

/** Quiet hours began or the customer opted out between calls: back to the checks. */
class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

class Abandoned extends Error {
  constructor() {
    super('abandoned');
    this.name = 'Abandoned';
  }
}

const isRefusal = (error: unknown): boolean => error instanceof ChannelCallError && !error.partnerFault && error.status !== null;

interface Target {
  readonly channel: NotificationChannel;
  readonly to: string;
  readonly recipient: string;
  readonly language: Language;
  readonly text: string;
}

export class NotificationDelivery {
  readonly metrics: NotificationMetrics;
  private readonly retry: RetryPolicy;
  private readonly backoff: ExponentialBackoff<number>;
  private readonly breakers = new Map<ChannelName, { policy: CircuitBreakerPolicy; openedAt: number }>();
  private readonly clock: () => number;
  private readonly log: Logger;
  /** Messages waiting for quiet hours to end. */
  deferred = 0;
  lastSentAt: string | null = null;
  lastError: string | null = null;

  constructor(private readonly options: NotificationDeliveryOptions) {
    const settings = validateRetrySettings(options.retry);
    const { failureRate, coolDownMs } = options.breaker;
    if (!(failureRate > 0 && failureRate < 1)) throw new Error(`breaker failure rate must be within (0, 1), got ${failureRate}`);
    if (!(coolDownMs >= 0)) throw new Error(`breaker cool-down must be >= 0 ms, got ${coolDownMs}`);
    const windowMs = options.breaker.windowMs ?? 10_000;
    const minimumCalls = options.breaker.minimumCalls ?? Math.ceil(windowMs / 1000);
    this.metrics = options.metrics ?? new NotificationMetrics();
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? componentLogger('notification-delivery', options.log);
    this.backoff = jitteredBackoff(settings, options.random);
    this.retry = retry(handleType(AttemptFailed), { maxAttempts: settings.attempts - 1, backoff: this.backoff });
    for (const name of CHANNELS) {
      if (!options.channels[name]) continue;
      const policy = circuitBreaker(
        handleWhen((error) => !(error instanceof ChannelCallError && !error.partnerFault)),
        {
          halfOpenAfter: coolDownMs,
          breaker: new SamplingBreaker({ threshold: failureRate, duration: windowMs, minimumRps: (minimumCalls * 1000) / windowMs }),
        },
      );
      const entry = { policy, openedAt: 0 };
      policy.onBreak(() => (entry.openedAt = Date.now()));
      watchBreaker(
        policy,
        this.log,
        { channel: name, failureRate, windowMs },
        {
          coolDownMs: options.breaker.coolDownMs,
          onMove: (_from, to) => this.metrics.breakerState.set({ channel: name }, BREAKER_STATE_VALUE[to]),
        },
      );
      this.metrics.breakerState.set({ channel: name }, 0);
      this.breakers.set(name, entry);
    }
  }

  breakerState(channel: ChannelName): string | undefined {
    const entry = this.breakers.get(channel);
    return entry ? breakerStateOf(entry.policy.state) : undefined;
  }

  /**
   * Delivers one message: resolves `done` once it was sent, found sent already, refused by the provider or not to
   * be sent (opted out, no contact); `abandoned` when `signal` aborted first (nothing recorded for what was left).
   * Rejects only when a step could not be recorded.
   */
  async deliver(job: NotificationJob, signal: AbortSignal): Promise<DeliveryResult> {
    const { due } = job;
    const { attempts } = this.options.retry;
    const progress = { attempt: 0 };
    let deferredRecorded = false;
    let target: Target | undefined;
    try {
      while (true) {
        if (signal.aborted) return 'abandoned';
        const preference = this.options.preferences.get(due.customerId);
        if (preference?.OptedOut) {
          await this.record(job, target, 'SKIPPED', { reason: 'OPTED_OUT' });
          return 'done';
        }
        const window = this.windowOf(preference);
        const until = quietUntil(this.clock(), window, this.options.timeZone);
        if (until !== null) {
          if (!deferredRecorded) {
            await this.record(job, target, 'DEFERRED', {
              reason: `QUIET_HOURS ${describeQuietHours(window)}`,
              dueAt: new Date(until).toISOString(),
            });
            deferredRecorded = true;
          }
          this.deferred++;
          this.metrics.waiting.inc();
          try {
            await this.waitUntil(until, signal);
          } finally {
            this.deferred--;
            this.metrics.waiting.dec();
          }
          continue;
        }
        target ??= this.targetOf(job, preference);
        if (!target) {
          await this.record(job, undefined, 'SKIPPED', { reason: 'NO_CONTACT' });
          return 'done';
        }
        let answer: ChannelAnswer;
        try {
          answer = await this.retry.execute(() => this.attempt(job, target!, signal, progress));
        } catch (error) {
          if (error instanceof Abandoned) return 'abandoned';
          if (error instanceof Interrupted) continue;
          if (!(error instanceof AttemptFailed)) throw error; // a step could not be recorded
          if (isRefusal(error.error)) {
            const status = (error.error as ChannelCallError).status;
            await this.record(job, target, 'REFUSED', {
              attempt: progress.attempt,
              status,
              error: `${target.channel.name} refused it ${attempts} times (HTTP ${status}); not sent again`,
            });
            this.log.warn(
              { ...this.fields(job), channel: target.channel.name, httpStatus: status, err: error.error },
              `${due.id}: refused by ${target.channel.name}, not sent`,
            );
            return 'done';
          }
          const delayMs = nthDelayMs(this.backoff, attempts);
          await this.record(job, target, 'GAVE_UP', {
            attempt: progress.attempt,
            error: `${attempts} calls failed; trying again in ${delayMs} ms (never dropped)`,
          });
          this.log.warn(
            { ...this.fields(job), channel: target.channel.name, attempts, retryInMs: delayMs, err: error.error },
            `${due.id}: ${attempts} calls failed; trying again in ${delayMs} ms`,
          );
          await pause(delayMs, signal);
          continue;
        }
        const outcome = await this.record(job, target, answer.outcome, {
          attempt: progress.attempt,
          status: answer.status,
          providerMessageId: answer.providerMessageId,
          body: target.text,
        });
        this.lastSentAt = outcome.At;
        this.options.onSent?.(outcome);
        return 'done';
      }
    } catch (error) {
      if (error instanceof Abandoned) return 'abandoned';
      throw error;
    }
  }

  private windowOf(preference: NotificationPreference | undefined): QuietWindow | null {
    const own = preference?.QuietHours ? parseQuietHours(preference.QuietHours) : undefined;
    return own === undefined ? this.options.quietHours : own;
  }

  /** Waits until the clock reaches `until`, looking again every second (a clock moved by a test is noticed). */
  private async waitUntil(until: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const left = until - this.clock();
      if (left <= 0) return;
      await pause(Math.min(left, 1_000), signal);
    }
    throw new Abandoned();
  }

  private targetOf(job: NotificationJob, preference: NotificationPreference | undefined): Target | undefined {
    const language: Language = isLanguage(preference?.Language) ? preference.Language : this.options.defaultLanguage;
    const line = this.options.channels.LINE;
    const sms = this.options.channels.SMS;
    let channel: NotificationChannel | undefined;
    let to: string | undefined;
    let recipient: string | undefined;
    if (preference?.Channel === 'LINE' && preference.LineUserID && line) {
      channel = line;
      to = preference.LineUserID;
      recipient = maskLineId(to);
    } else {
      const phone = normalisePhone(job.state.Order.DeliveryAddress?.Phone);
      if (phone && sms) {
        channel = sms;
        to = phone;
        recipient = maskPhone(phone);
      }
    }
    if (!channel || !to || !recipient) return undefined;
    const tracking = this.options.tracking;
    const link =
      tracking && job.due.event !== 'COD_RECEIPT' && job.due.event !== 'CANCELLED'
        ? trackingLink(tracking.baseUrl, tracking.secret, job.due.orderId, job.due.at, tracking.linkDays)
        : null;
    const text = renderMessage(job.due, job.state, { language, timeZone: this.options.timeZone, link });
    return { channel, to, recipient, language, text };
  }

  /** One call through the channel's breaker: waits out an open breaker (CIRCUIT_OPEN recorded), records a failure. */
  private async attempt(job: NotificationJob, target: Target, signal: AbortSignal, progress: { attempt: number }): Promise<ChannelAnswer> {
    const breaker = this.breakers.get(target.channel.name)!;
    while (true) {
      if (signal.aborted) throw new Abandoned();
      const preference = this.options.preferences.get(job.due.customerId);
      if (preference?.OptedOut || quietUntil(this.clock(), this.windowOf(preference), this.options.timeZone) !== null)
        throw new Interrupted();
      try {
        return await breaker.policy.execute(async () => {
          progress.attempt++;
          const stopTimer = this.metrics.requestSeconds.startTimer({ channel: target.channel.name });
          try {
            return await target.channel.send({ key: job.due.id, to: target.to, text: target.text });
          } finally {
            stopTimer();
          }
        });
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          await this.record(job, target, 'CIRCUIT_OPEN', {
            attempt: progress.attempt,
            error: `circuit breaker ${breakerStateOf(breaker.policy.state)}: ${target.channel.name} not called`,
          });
          await pause(Math.max(50, breaker.openedAt + this.options.breaker.coolDownMs - Date.now()), signal);
          continue;
        }
        const status = error instanceof ChannelCallError ? error.status : null;
        const message = (error as Error)?.message ?? String(error);
        this.lastError = `${job.due.id}: ${message}`;
        this.log.debug(
          { ...this.fields(job), channel: target.channel.name, attempt: progress.attempt, httpStatus: status, err: error },
          'provider call failed',
        );
        await this.record(job, target, 'FAILED', { attempt: progress.attempt, status, error: message, body: target.text });
        throw new AttemptFailed(error);
      }
    }
  }

  private fields(job: NotificationJob) {
    return { NotificationID: job.due.id, OrderID: job.due.orderId, ShipFromLocationID: job.due.store, event: job.due.event };
  }

  private async record(
    job: NotificationJob,
    target: Target | undefined,
    outcome: NotificationOutcomeKind,
    details: {
      attempt?: number;
      reason?: string;
      status?: number | null;
      error?: string;
      providerMessageId?: string | null;
      body?: string;
      dueAt?: string;
    },
  ): Promise<NotificationOutcome> {
    const { due } = job;
    const record: NotificationOutcome = {
      NotificationID: due.id,
      OrderID: due.orderId,
      ShipFromLocationID: due.store,
      CustomerID: due.customerId,
      Event: due.event,
      Channel: target?.channel.name ?? null,
      Recipient: target?.recipient ?? null,
      Language: target?.language ?? null,
      Attempt: details.attempt ?? 0,
      Outcome: outcome,
      Reason: details.reason ?? null,
      HttpStatus: details.status ?? null,
      Error: details.error ?? null,
      ProviderMessageID: details.providerMessageId ?? null,
      Body: details.body ?? null,
      DueAt: details.dueAt ?? null,
      EventAt: new Date(due.at).toISOString(),
      At: new Date(this.clock()).toISOString(),
    };
    this.metrics.outcomes.inc({ channel: record.Channel ?? 'none', event: due.event, outcome });
    await this.options.record(record);
    return record;
  }
}
