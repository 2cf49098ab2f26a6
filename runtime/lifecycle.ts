/**
 * The one life of every long-running component (the stream runtime, the Postgres sink, the Slick egress, the
 * status tail): a state machine in the manner of Kafka Streams' KafkaStreams.State, with the start and stop
 * behaviour they all need written once.
 *
 *   created ─► starting ⇄ waiting-for-topics
 *                 │
 *                 ▼
 *              running ⇄ restoring | retrying
 *
 *   any of starting … retrying ─► failed;  any state but stopping and stopped ─► stopping ─► stopped
 *
 * A move the table does not list is a bug and throws. A stop can be asked for at any await of a component (a
 * signal handler runs between them), so once `stopping` nothing but `stopped` may follow: a move asked for by
 * work that was already in flight (a join, a restore, a retry) is ignored, never an error, and cannot bring the
 * component back to `running`.
 *
 * - `start(steps)` runs the component's start steps. A stop that arrives meanwhile abandons them: the next
 *   `step`, `pause` or `waitForTopics` of the start throws `StartAbandoned`, which `start()` turns into a plain
 *   resolve, so the start creates and joins nothing more. A start that completes returns the component's loop,
 *   which then runs until the stop; a loop that throws fails the component.
 * - `stop()` is idempotent: it aborts `signal`, waits for a start in flight and the loop, then runs the
 *   component's `close` once and ends `stopped`.
 * - `whenStopped()` resolves once stopped, and rejects with the error that failed the component.
 * - `onChange(listener)` sees each transition once (readiness, metrics); every transition is logged once.
 */
import type { Logger } from '../observability/logger.js';
import type { AdminClient } from '../topology/kafka/client.js';

export type LifecycleState =
  'created' | 'starting' | 'waiting-for-topics' | 'running' | 'restoring' | 'retrying' | 'stopping' | 'stopped' | 'failed';

/** Which state may follow which. A restartable lifecycle also goes stopped → starting, by `start()` only. */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  created: ['starting', 'stopping'],
  starting: ['waiting-for-topics', 'running', 'stopping', 'failed'],
  'waiting-for-topics': ['starting', 'stopping', 'failed'],
  running: ['restoring', 'retrying', 'stopping', 'failed'],
  restoring: ['running', 'stopping', 'failed'],
  retrying: ['running', 'stopping', 'failed'],
  failed: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** The states a component moves between by itself once running; the others belong to `start` and `stop`. */
export type RunningState = 'running' | 'restoring' | 'retrying';

export const isShuttingDown = (state: LifecycleState): boolean => state === 'stopping' || state === 'stopped';

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: LifecycleState,
    readonly to: LifecycleState,
    readonly component: string,
  ) {
    super(`${component}: invalid state transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Thrown inside a start whose stop has been asked for; `start()` resolves on it. */
export class StartAbandoned extends Error {
  constructor() {
    super('start abandoned: a stop was asked for');
    this.name = 'StartAbandoned';
  }
}

export interface StateChange {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason?: string;
  readonly error?: Error;
}

export type StateListener = (state: LifecycleState, change: StateChange) => void;

/** What the start steps of a component work with. */
export interface StartContext {
  /** Aborted as soon as a stop is asked for. */
  readonly signal: AbortSignal;
  /** Runs `work`, unless a stop has been asked for: then the start is abandoned instead. */
  step<T>(work: () => Promise<T> | T): Promise<T>;
  /** Waits `ms`, less if a stop is asked for meanwhile; then the start is abandoned. */
  pause(ms: number): Promise<void>;
  /**
   * Polls until every one of `topics` exists and returns their partition counts; in `waiting-for-topics` while
   * any is missing. A stop abandons the start. With `timeoutMs`, returns what exists once it has passed.
   */
  waitForTopics(
    admin: Pick<AdminClient, 'partitionCounts'>,
    topics: readonly string[],
    options?: TopicWaitOptions,
  ): Promise<Map<string, number>>;
}

export interface TopicWaitOptions {
  /** Between two looks; default 1 s. */
  readonly intervalMs?: number;
  /** Give up waiting after this long and return the counts of the topics that exist; default: wait until stopped. */
  readonly timeoutMs?: number;
  /** Said with the move to `waiting-for-topics`: who is expected to create them. */
  readonly why?: string;
  /** Each round with topics missing: may create some of them, and answers true to look again at once. */
  readonly onMissing?: (missing: readonly string[], counts: ReadonlyMap<string, number>) => Promise<boolean>;
}

/** A component's main loop, returned by its start steps; it runs until `signal` aborts. */
export type Loop = () => Promise<void>;

export interface LifecycleOptions {
  /** Named in errors. */
  readonly component: string;
  /** Where transitions are logged (see `componentLogger`). */
  readonly log: Logger;
  /** Closes what the start opened; runs once per stop, after the start in flight and the loop have settled. */
  readonly close?: () => Promise<void>;
  /** May start again after a stop (each start a new run); otherwise a start after a stop resolves doing nothing. */
  readonly restartable?: boolean;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
  promise.catch(() => undefined); // rejected for whoever awaits whenStopped(); nobody has to
  return { promise, resolve, reject };
}

/** Waits `ms`, or until `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Lifecycle {
  private current: LifecycleState = 'created';
  private readonly listeners = new Set<StateListener>();
  private readonly log: Logger;
  /** The run's: renewed when a restartable lifecycle starts again. */
  private controller = new AbortController();
  private stopped = deferred();
  private starting: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private started = false;
  private error: Error | undefined;

  constructor(private readonly options: LifecycleOptions) {
    this.log = options.log;
  }

  get state(): LifecycleState {
    return this.current;
  }

  /** Aborted when a stop is asked for; pass it to waits and requests that should end with the component. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A stop has been asked for: loops end, in-flight work finishes without moving the state. */
  get stopRequested(): boolean {
    return this.controller.signal.aborted;
  }

  /** The error that failed the component, if one did. */
  get failure(): Error | undefined {
    return this.error;
  }

  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Moves between the running states. False when it is already there, or when a stop overtook the work that
   * asks (the move is moot); throws for a move the table does not allow.
   */
  moveTo(to: RunningState, reason?: string): boolean {
    return this.transition(to, reason);
  }

  /** Waits `ms`, less when a stop is asked for meanwhile. */
  pause(ms: number): Promise<void> {
    return pause(ms, this.signal);
  }

  /**
   * Runs the start steps, then the loop they return. Resolves once running, or as soon as a stop abandoned
   * the start; rejects (and the component is `failed`) when a step fails. A second start throws; a start after
   * a stop starts a new run if the lifecycle is restartable and otherwise resolves doing nothing.
   */
  async start(steps: (start: StartContext) => Promise<Loop | void>): Promise<void> {
    if (this.current === 'stopping') await this.stopping?.catch(() => undefined);
    if (this.current === 'stopped') {
      if (!this.options.restartable) return;
      this.renew();
    } else if (this.current !== 'created') {
      throw new IllegalTransitionError(this.current, 'starting', this.options.component);
    }
    this.started = true;
    this.transition('starting', this.current === 'stopped' ? 'started again' : undefined, { restart: true });
    this.starting = this.runStart(steps);
    await this.starting;
  }

  /** Idempotent: the first call stops, every call resolves once `stopped`. */
  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  /** Resolves once stopped; rejects with the error that failed the component. */
  whenStopped(): Promise<void> {
    return this.stopped.promise;
  }

  private async runStart(steps: (start: StartContext) => Promise<Loop | void>): Promise<void> {
    let loop: Loop | void;
    try {
      loop = await steps(this.context());
    } catch (error) {
      if (this.stopRequested) {
        if (!(error instanceof StartAbandoned)) this.log.warn({ err: error }, 'start failed after a stop was asked for');
        return;
      }
      this.fail(error as Error, 'start failed');
      throw error;
    }
    // Joined or opened while a stop was asked for: the stop's close undoes it; nothing runs.
    if (this.stopRequested) return;
    this.transition('running', 'started');
    if (!loop) return;
    this.loop = loop().then(
      () => undefined,
      (error: Error) => {
        if (this.stopRequested) this.log.warn({ err: error }, 'loop failed while stopping');
        else this.fail(error, 'loop failed');
      },
    );
  }

  private async runStop(): Promise<void> {
    this.transition('stopping', 'stop asked for');
    this.controller.abort();
    await this.starting?.catch(() => undefined);
    await this.loop;
    let closeError: Error | undefined;
    if (this.started && this.options.close) {
      try {
        await this.options.close();
      } catch (error) {
        closeError = error as Error;
        this.log.error({ err: error }, 'close failed');
      }
    }
    this.transition('stopped', closeError ? `close failed: ${closeError.message}` : undefined);
    this.stopped.resolve();
    if (closeError) throw closeError;
  }

  private fail(error: Error, reason: string): void {
    if (isShuttingDown(this.current)) return;
    this.error = error;
    this.transition('failed', `${reason}: ${error.message}`, { error });
    this.stopped.reject(error);
  }

  /** A new run of a restartable lifecycle: new signal, no start, loop or stop of the last run. */
  private renew(): void {
    this.controller = new AbortController();
    this.stopped = deferred();
    this.starting = undefined;
    this.loop = undefined;
    this.stopping = undefined;
    this.error = undefined;
  }

  private transition(to: LifecycleState, reason?: string, extra: { restart?: boolean; error?: Error } = {}): boolean {
    const from = this.current;
    if (from === to) return false;
    const restart = extra.restart === true && from === 'stopped' && to === 'starting';
    if (!restart && !TRANSITIONS[from].includes(to)) {
      if (isShuttingDown(from)) return false; // in-flight work overtaken by a stop
      throw new IllegalTransitionError(from, to, this.options.component);
    }
    this.current = to;
    const change: StateChange = { from, to, ...(reason ? { reason } : {}), ...(extra.error ? { error: extra.error } : {}) };
    const message = `${from} → ${to}${reason ? ` (${reason})` : ''}`;
    if (extra.error) this.log.error({ from, to, reason, err: extra.error }, message);
    else this.log.info({ from, to, reason }, message);
    for (const listener of this.listeners) {
      try {
        listener(to, change);
      } catch (error) {
        this.log.error({ err: error, from, to }, 'a state listener failed');
      }
    }
    return true;
  }

  private context(): StartContext {
    const abandonIfStopping = () => {
      if (this.stopRequested) throw new StartAbandoned();
    };
    const step = async <T>(work: () => Promise<T> | T): Promise<T> => {
      abandonIfStopping();
      return work();
    };
    const wait = async (ms: number) => {
      await this.pause(ms);
      abandonIfStopping();
    };
    const waitForTopics = async (
      admin: Pick<AdminClient, 'partitionCounts'>,
      topics: readonly string[],
      options: TopicWaitOptions = {},
    ) => {
      const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
      for (;;) {
        abandonIfStopping();
        const counts = await admin.partitionCounts(topics);
        const missing = topics.filter((topic) => !counts.has(topic));
        if (missing.length === 0 || Date.now() >= deadline) {
          if (this.current === 'waiting-for-topics')
            this.transition('starting', missing.length ? `gave up waiting for ${missing.join(', ')}` : 'topics exist');
          return counts;
        }
        if (options.onMissing && (await options.onMissing(missing, counts))) {
          await wait(100); // created: they reach the broker's metadata a moment later
          continue;
        }
        this.transition('waiting-for-topics', `topics missing: ${missing.join(', ')}${options.why ? `; ${options.why}` : ''}`);
        await wait(Math.min(options.intervalMs ?? 1_000, Math.max(0, deadline - Date.now())));
      }
    };
    return { signal: this.signal, step, pause: wait, waitForTopics };
  }
}
