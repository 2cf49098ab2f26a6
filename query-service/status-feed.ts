/**
 * In-process fan-out of order status changes to live subscribers (the SSE clients of `GET /events`).
 *
 * Where the changes come from is not this module's business: on Kafka a `KafkaStatusTail` publishes what it
 * reads from `order.status.v1`; in the embedded default the in-process driver's output is published directly.
 *
 * `publish` never waits for a subscriber. A subscriber's listener works like `Writable.write`: it takes an
 * event and returns false when it cannot take more right now (its socket is backed up). The feed then holds
 * that subscriber's next events, at most `maxBuffered` of them, until the subscriber calls `resume()`. One
 * that falls further behind is dropped: it is unsubscribed and told once, through `onOverflow`, so the client
 * can reconnect and catch up elsewhere; every other subscriber goes on as before.
 *
 * The feed also keeps the last `replayCapacity` events, so a client that reconnects with the id of the last
 * event it saw (SSE `Last-Event-ID`) gets what it missed, in the order the feed published it, before anything
 * new. An id the feed no longer holds (too old, or from before this process started) cannot be resumed from:
 * `subscribe` says so, and the client reloads its view instead.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StatusChange } from '../processors/domain/types.js';

export interface StatusFeedEvent {
  /** The SSE event id: `<partition>-<offset>` for records tailed from Kafka, else the feed's own sequence number. */
  readonly id: string;
  readonly change: StatusChange;
}

export interface StatusFilter {
  /** Only changes of these ShipFromLocationIDs; undefined for every store, empty for none. */
  readonly stores?: readonly string[];
}

/** Takes one event; returns false when it cannot take another until it calls the subscription's `resume()`. */
export type StatusListener = (event: StatusFeedEvent) => boolean | void;

export interface SubscribeOptions {
  /** Called once when the subscriber fell more than `maxBuffered` events behind and was dropped. */
  onOverflow?: () => void;
  /** Resume after this event id: the held events published after it are delivered first. */
  after?: string;
}

/** Calling it unsubscribes (idempotent); `resume()` delivers what was held while the listener was backed up. */
export interface StatusSubscription {
  (): void;
  resume(): void;
  /** Events held for this subscriber now. */
  readonly buffered: number;
  /** With `after`: whether the feed still held that id (false: what was missed is unknown; reload). */
  readonly resumed: boolean;
}

export interface StatusFeedOptions {
  /** Events held per backed-up subscriber before it is dropped; default 1000. */
  maxBuffered?: number;
  /** Recent events kept for clients that reconnect with `Last-Event-ID`; default 10,000. */
  replayCapacity?: number;
  /** Registry for the subscriber gauge and the overflow counter. */
  registry?: Registry;
  log?: (line: string) => void;
}

interface Subscriber {
  readonly stores: ReadonlySet<string> | undefined;
  readonly listener: StatusListener;
  readonly onOverflow: (() => void) | undefined;
  readonly queue: StatusFeedEvent[];
  paused: boolean;
  active: boolean;
  draining: boolean;
}

const metric = <T>(registry: Registry, name: string, create: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? create();

export class StatusFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxBuffered: number;
  private readonly log: (line: string) => void;
  private readonly gauge: Gauge | undefined;
  private readonly overflows: Counter | undefined;
  private sequence = 0;
  /** The last `replayCapacity` events, oldest first (a ring: `recentStart` is the oldest's index). */
  private readonly recent: StatusFeedEvent[] = [];
  private recentStart = 0;
  private readonly replayCapacity: number;

  constructor(options: StatusFeedOptions = {}) {
    this.maxBuffered = options.maxBuffered ?? 1000;
    this.replayCapacity = options.replayCapacity ?? 10_000;
    if (!Number.isInteger(this.maxBuffered) || this.maxBuffered < 1)
      throw new Error(`maxBuffered must be a positive integer, got ${options.maxBuffered}`);
    this.log = options.log ?? ((line) => console.log(`omnia status feed: ${line}`));
    const registry = options.registry;
    if (registry) {
      this.gauge = metric(
        registry,
        'omnia_query_status_subscribers',
        () =>
          new Gauge({
            name: 'omnia_query_status_subscribers',
            help: 'Live status event subscribers (open GET /events streams)',
            registers: [registry],
          }),
      );
      this.overflows = metric(
        registry,
        'omnia_query_status_overflows_total',
        () =>
          new Counter({
            name: 'omnia_query_status_overflows_total',
            help: 'Status event subscribers dropped for falling too far behind',
            registers: [registry],
          }),
      );
      this.gauge.set(0);
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Hands the change to every matching subscriber, now or (a backed-up one) when it resumes. Never blocks. */
  publish(change: StatusChange, id?: string): void {
    const event: StatusFeedEvent = { id: id ?? String(++this.sequence), change };
    this.remember(event);
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.stores && !subscriber.stores.has(change.ShipFromLocationID)) continue;
      if (subscriber.paused || subscriber.draining) {
        if (subscriber.queue.length >= this.maxBuffered) this.overflow(subscriber);
        else subscriber.queue.push(event);
        continue;
      }
      this.deliver(subscriber, event);
    }
  }

  subscribe(filter: StatusFilter, listener: StatusListener, options: SubscribeOptions = {}): StatusSubscription {
    const subscriber: Subscriber = {
      stores: filter.stores === undefined ? undefined : new Set(filter.stores),
      listener,
      onOverflow: options.onOverflow,
      queue: [],
      paused: false,
      active: true,
      draining: false,
    };
    const missed = options.after === undefined ? undefined : this.since(options.after);
    for (const event of missed ?? [])
      if (!subscriber.stores || subscriber.stores.has(event.change.ShipFromLocationID)) subscriber.queue.push(event);
    this.subscribers.add(subscriber);
    this.gauge?.set(this.subscribers.size);
    const subscription = (() => this.remove(subscriber)) as StatusSubscription;
    Object.defineProperties(subscription, {
      resume: { value: () => this.resume(subscriber) },
      buffered: { get: () => subscriber.queue.length },
      resumed: { value: missed !== undefined },
    });
    // What was missed goes first, as if the listener had been backed up (it may back up again while taking it).
    if (subscriber.queue.length > 0) this.resume(subscriber);
    return subscription;
  }

  private remember(event: StatusFeedEvent): void {
    if (this.recent.length < this.replayCapacity) this.recent.push(event);
    else {
      this.recent[this.recentStart] = event;
      this.recentStart = (this.recentStart + 1) % this.replayCapacity;
    }
  }

  /** The events published after `id`, oldest first; undefined when the feed no longer holds `id`. */
  private since(id: string): StatusFeedEvent[] | undefined {
    const length = this.recent.length;
    for (let back = 0; back < length; back++) {
      const index = (this.recentStart + length - 1 - back) % length;
      if (this.recent[index]!.id !== id) continue;
      const after: StatusFeedEvent[] = [];
      for (let next = length - back; next < length; next++) after.push(this.recent[(this.recentStart + next) % length]!);
      return after;
    }
    return undefined;
  }

  private deliver(subscriber: Subscriber, event: StatusFeedEvent): void {
    try {
      if (subscriber.listener(event) === false) subscriber.paused = true;
    } catch (error) {
      // One broken subscriber must not stop the others.
      this.log(`a subscriber failed and was removed: ${(error as Error).message}`);
      this.remove(subscriber);
    }
  }

  private resume(subscriber: Subscriber): void {
    if (!subscriber.active || subscriber.draining) return;
    subscriber.paused = false;
    subscriber.draining = true;
    try {
      while (subscriber.active && !subscriber.paused && subscriber.queue.length > 0) this.deliver(subscriber, subscriber.queue.shift()!);
    } finally {
      subscriber.draining = false;
    }
  }

  private overflow(subscriber: Subscriber): void {
    this.remove(subscriber);
    this.overflows?.inc();
    try {
      subscriber.onOverflow?.();
    } catch (error) {
      this.log(`an overflow handler failed: ${(error as Error).message}`);
    }
  }

  private remove(subscriber: Subscriber): void {
    if (!subscriber.active) return;
    subscriber.active = false;
    subscriber.queue.length = 0;
    this.subscribers.delete(subscriber);
    this.gauge?.set(this.subscribers.size);
  }
}
