/**
 * The notification connector of the embedded default: the in-process pipeline hands over each state of the
 * `orders` store as it produces its changelog record (no Kafka to read it from), and the messages go out with the
 * Kafka connector's delivery — preferences, quiet hours, retries, breakers, the record of every step (delivery.ts,
 * notifier.ts). Nothing here is durable: a stop abandons what waits.
 */
import type { NotificationOutcome } from '../../avro/records.js';
import type { OrderState } from '../../processors/order-state.js';
import type { ChannelName, NotificationChannel } from './channels.js';
import { NotificationDelivery, type NotificationDeliveryOptions } from './delivery.js';
import { NotificationMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { PreferenceTable } from './preferences.js';

export interface EmbeddedNotifierOptions extends Omit<NotificationDeliveryOptions, 'channels' | 'preferences' | 'metrics'> {
  readonly maxAgeMs?: number;
}

export class EmbeddedNotifier {
  readonly preferences = new PreferenceTable();
  readonly metrics = new NotificationMetrics();
  readonly delivery: NotificationDelivery;
  private readonly notifier: Notifier;
  private readonly stopSignal = new AbortController();
  private readonly offered = new Set<Promise<boolean>>();

  constructor(channels: Partial<Record<ChannelName, NotificationChannel>>, options: EmbeddedNotifierOptions) {
    this.delivery = new NotificationDelivery({ ...options, channels, preferences: this.preferences, metrics: this.metrics });
    this.notifier = new Notifier(this.delivery, {
      ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** Messages being delivered or waiting (quiet hours, retries). */
  get pending(): number {
    return this.notifier.pending;
  }

  /** Hands over an order's state; its messages go in the background. */
  offer(state: OrderState): void {
    if (this.stopSignal.signal.aborted) return;
    const done = this.notifier.offer(state, this.stopSignal.signal).catch(() => false);
    this.offered.add(done);
    void done.finally(() => this.offered.delete(done));
  }

  /** Resolves once every message handed over so far is done (or abandoned by a stop). */
  async drained(): Promise<void> {
    while (this.offered.size > 0) await Promise.all([...this.offered]);
  }

  async stop(): Promise<void> {
    this.stopSignal.abort();
    await this.notifier.settled();
  }
}

/** A line for the console: who got which message, and its text. */
export const describeSent = (outcome: NotificationOutcome): string =>
  `${outcome.Channel} to ${outcome.Recipient} (${outcome.Language}) ${outcome.Event} ${outcome.OrderID}${outcome.Outcome === 'DUPLICATE' ? ' (already sent)' : ''}: ${outcome.Body ?? ''}`;
