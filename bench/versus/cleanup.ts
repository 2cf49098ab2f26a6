/**
 * What must go when the bench ends however it ends: a run registers the removal of its topics, group and
 * state as soon as it has created them; a failed run runs it in its own `finally`, and Ctrl-C (or SIGTERM)
 * stops the children first, then runs whatever is still registered, then exits.
 */
import { stopAllChildren } from './child.js';

const pending = new Set<() => Promise<void>>();

let interruptedBy: NodeJS.Signals | undefined;

/**
 * Registers a clean-up; the returned function runs it once (a second call, or the interrupt's, waits for the
 * first). It stays registered until it has finished, so an interrupt never exits in the middle of it.
 */
export function atCleanup(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = () => {
    running ??= task()
      .catch((error: Error) => void process.stderr.write(`[versus] clean-up failed: ${error.message}\n`))
      .finally(() => pending.delete(once));
    return running;
  };
  pending.add(once);
  return once;
}

/** True once Ctrl-C (or SIGTERM) arrived: the bench must start nothing new. */
export const interrupted = (): boolean => interruptedBy !== undefined;

export async function cleanUpEverything(): Promise<void> {
  await stopAllChildren();
  await Promise.all([...pending].map((task) => task()));
}

/** On the first SIGINT / SIGTERM: stop the children, clean up, exit 130. A second signal exits at once. */
export function cleanUpOnInterrupt(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) process.exit(130);
    interruptedBy = signal;
    process.stderr.write(`[versus] ${signal}: stopping the processes and removing topics, groups and state (again to exit now)\n`);
    void cleanUpEverything().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
