/**
 * How every long-running command ends on SIGINT or SIGTERM: its parts closed in turn, each failure logged with the
 * part's name while the rest still close, exit 0 when all closed cleanly and 1 otherwise. A close that never ends
 * (a broker or database that stops answering) must not keep the pod up past its grace period: after `timeoutMs`
 * the process exits 1 anyway; what was not committed is aborted by the broker and done again by the next owner.
 */
import type { Logger } from '../observability/logger.js';

/** How long a stop may take before the process exits anyway (Kubernetes' grace period is 30 s). */
export const STOP_TIMEOUT_MS = 20_000;

export type ClosingStep = readonly [what: string, close: () => Promise<unknown> | unknown];

export interface StopOptions {
  readonly log: Logger;
  /** The first log line of the stop: what is being stopped, in the order of `steps`. */
  readonly message: string;
  readonly steps: readonly ClosingStep[];
  readonly timeoutMs?: number;
  /** process.exit, unless a test watches the code. */
  readonly exit?: (code: number) => void;
  /** SIGINT and SIGTERM, unless a test calls the stop itself. */
  readonly signals?: readonly NodeJS.Signals[];
}

/** Installs the handlers; returns the stop itself (a second signal while stopping does nothing more). */
export function stopOnSignals(options: StopOptions): (signal: string) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? STOP_TIMEOUT_MS;
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    // Ctrl-C reaches a forked worker twice: from the terminal and from its primary.
    stopping ??= (async () => {
      options.log.info({ signal }, options.message);
      setTimeout(() => {
        options.log.error(
          { stopTimeoutMs: timeoutMs },
          'stopping took too long; exiting without a clean close (what was not committed is done again by the next owner)',
        );
        exit(1);
      }, timeoutMs).unref();
      let code = 0;
      for (const [what, close] of options.steps) {
        try {
          await close();
        } catch (error) {
          code = 1;
          options.log.error({ err: error }, `${what} did not stop cleanly`);
        }
      }
      exit(code);
    })();
    return stopping;
  };
  for (const signal of options.signals ?? ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(signal));
  return stop;
}
