/**
 * The life of a replica, as Kafka Streams' KafkaStreams.State: which state may follow which. A stop can be
 * asked for at any await of the runtime (a signal handler runs between them), so once `stopping` nothing but
 * `stopped` may follow: work that was in flight (a join, a restore) finishes and must not make it `running`
 * again, or the loop the stop waits for never ends.
 */
export type RuntimeState = 'created' | 'starting' | 'restoring' | 'running' | 'stopping' | 'stopped' | 'failed';

const NEXT: Readonly<Record<RuntimeState, readonly RuntimeState[]>> = {
  created: ['starting'],
  starting: ['running', 'stopping', 'failed'],
  running: ['restoring', 'stopping', 'failed'],
  restoring: ['running', 'stopping', 'failed'],
  failed: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Whether the runtime is on its way out: in-flight work must not move it anywhere but `stopped`. */
export const isShuttingDown = (state: RuntimeState): boolean => state === 'stopping' || state === 'stopped';

/**
 * The state after asking for `to` in `from`: `to` when the transition is valid, `from` when a stop overtook it
 * (the caller's work is moot), and an error for any other transition: that is a bug in the runtime.
 */
export function nextState(from: RuntimeState, to: RuntimeState): RuntimeState {
  if (NEXT[from].includes(to)) return to;
  if (isShuttingDown(from)) return from;
  throw new Error(`invalid runtime state transition ${from} → ${to}`);
}
