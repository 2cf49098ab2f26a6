/**
 * From order states to messages: each state offered is read for the messages it calls for (events.ts); those
 * not yet done are delivered (delivery.ts), one after another per order — an order's messages keep their order,
 * a message waiting for quiet hours holds the order's later ones — and concurrently across orders.
 *
 * What is done is remembered (a bounded LRU of NotificationIDs): a state offered again (the next change of the same
 * order, a redelivered record) sends nothing twice in this process. After a restart, the provider's idempotency key
 * is what keeps a message single: a message already sent is answered DUPLICATE. A message of an event older than
 * `maxAgeMs` when first offered is not sent (nor recorded): it was sent before a restart, or it is too late to
 * tell (a connector started on an old changelog). `stale` counts them.
 */
import { LRUCache } from 'lru-cache';
import type { OrderState } from '../../processors/order-state.js';
import type { NotificationDelivery } from './delivery.js';
import { dueNotifications } from './events.js';

export interface NotifierOptions {
  /** Events older than this when offered are not sent; default 24 h. */
  readonly maxAgeMs?: number;
  /** NotificationIDs remembered as done; default 200,000. */
  readonly remember?: number;
  readonly clock?: () => number;
}

export class Notifier {
  private readonly done: LRUCache<string, true>;
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly maxAgeMs: number;
  private readonly clock: () => number;
  /** Events not sent because they were too old when offered. */
  stale = 0;

  constructor(
    readonly delivery: NotificationDelivery,
    options: NotifierOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 24 * 3_600_000;
    this.clock = options.clock ?? Date.now;
    this.done = new LRUCache({ max: options.remember ?? 200_000 });
  }

  /** Messages being delivered or waiting their turn. */
  get pending(): number {
    return this.running.size;
  }

  /**
   * Delivers what `state` calls for and is not done yet. Resolves true once every one of them is done, false when
   * one was abandoned (`signal` aborted: it is forgotten, so offering the state again delivers it); rejects when a
   * step could not be recorded.
   */
  offer(state: OrderState, signal: AbortSignal): Promise<boolean> {
    const waits: Promise<boolean>[] = [];
    const now = this.clock();
    for (const due of dueNotifications(state)) {
      if (this.done.has(due.id)) continue;
      const running = this.running.get(due.id);
      if (running) {
        waits.push(running);
        continue;
      }
      if (now - Date.parse(due.at) > this.maxAgeMs) {
        this.stale++;
        this.done.set(due.id, true);
        continue;
      }
      const lane = this.lanes.get(due.orderId) ?? Promise.resolve();
      const job = lane
        .then(() => (signal.aborted ? ('abandoned' as const) : this.delivery.deliver({ due, state }, signal)))
        .then(
          (result) => {
            this.running.delete(due.id);
            if (result === 'done') this.done.set(due.id, true);
            return result === 'done';
          },
          (error: unknown) => {
            this.running.delete(due.id);
            throw error;
          },
        );
      this.running.set(due.id, job);
      const tail = job.catch(() => undefined);
      this.lanes.set(due.orderId, tail);
      void tail.then(() => {
        if (this.lanes.get(due.orderId) === tail) this.lanes.delete(due.orderId);
      });
      waits.push(job);
    }
    if (waits.length === 0) return Promise.resolve(true);
    return Promise.all(waits).then((results) => results.every(Boolean));
  }

  /** Resolves once nothing is being delivered (after an abort: once every delivery has let go). */
  async settled(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()]);
  }
}
