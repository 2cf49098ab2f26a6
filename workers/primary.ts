/**
 * `omnia start` on Kafka with OMNIA_WORKERS above 1: this process runs no stream task itself. It forks the workers
 * (node:cluster), each a replica of its own — a member of the group with its own tasks, state directory, producer
 * and transactions — and all answering on PORT (the cluster hands each connection to one of them). It gathers their
 * metrics for /metrics and relays their readiness, so any worker can answer for the whole process.
 *
 * One worker failing stops the others and the process exits with its code: the pod restarts whole, as it does
 * with one process, rather than running on with part of its capacity and a crash loop hidden inside it. A worker
 * that died without leaving the group (killed) is first released (runtime/departed-replica.ts): its tasks move to
 * their standbys now, not after the session timeout.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { Released } from '../runtime/departed-replica.js';
import { isOmniaMessage, type PrimaryMessage } from './messages.js';
import type { WorkerReport } from './pod-readiness.js';
import { workerEnvironment, type WorkerPlanInputs } from './worker-environment.js';

export interface PrimaryOptions extends Omit<WorkerPlanInputs, 'searchCursorKey'> {
  readonly workers: number;
  readonly searchCursorKey?: string | undefined;
  /** How long the workers may take to stop on SIGTERM before they are killed. */
  readonly stopTimeoutMs: number;
  readonly log: Logger;
  /** Takes a dead worker's member out of the group and aborts its open transaction; unset without static membership. */
  readonly releaseDeparted?: ((worker: number) => Promise<Released>) | undefined;
}

/** How long releasing a dead worker may take before the others are stopped anyway (the session timeout then does it). */
const RELEASE_TIMEOUT_MS = 10_000;

/** Forks the workers and supervises them; resolves with the exit code the process should end with. */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { log } = options;
  // Cursors signed by one worker must open on another: one key for all of them when none is configured.
  const searchCursorKey = options.searchCursorKey ?? randomBytes(48).toString('base64');
  const aggregator = new AggregatorRegistry();
  const numbers = new Map<Worker, number>();
  const reports = new Map<number, WorkerReport>();
  let stopping: Promise<number> | undefined;
  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (done = resolve));

  const broadcast = (message: PrimaryMessage) => {
    for (const worker of numbers.keys()) if (worker.isConnected()) worker.send(message);
  };
  const fork = (number: number) => {
    const worker = cluster.fork(workerEnvironment(number, { ...options, searchCursorKey }));
    numbers.set(worker, number);
    reports.set(number, { number, readiness: null, at: null });
  };

  cluster.on('message', (worker, message: unknown) => {
    if (!isOmniaMessage(message)) return;
    const number = numbers.get(worker);
    if (number === undefined) return;
    if (message.omnia === 'readiness') {
      reports.set(number, { number, readiness: message.readiness, at: Date.now() });
      broadcast({ omnia: 'workers-readiness', workers: [...reports.values()] });
    } else if (message.omnia === 'metrics-asked') {
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ omnia: 'metrics-answered', id: message.id, text }),
        (error: Error) => worker.isConnected() && worker.send({ omnia: 'metrics-answered', id: message.id, error: error.message }),
      );
    }
  });

  const stopAll = (code: number): Promise<number> => {
    stopping ??= (async () => {
      const alive = [...numbers.keys()].filter((worker) => !worker.isDead());
      for (const worker of alive) worker.process.kill('SIGTERM');
      const killer = setTimeout(() => {
        log.error(
          { stopTimeoutMs: options.stopTimeoutMs },
          'workers took too long to stop; killing them (the broker aborts what they had not committed)',
        );
        for (const worker of alive) if (!worker.isDead()) worker.process.kill('SIGKILL');
      }, options.stopTimeoutMs);
      killer.unref();
      await Promise.all(
        alive.map((worker) => new Promise((resolve) => (worker.isDead() ? resolve(undefined) : worker.once('exit', resolve)))),
      );
      clearTimeout(killer);
      return code;
    })();
    return stopping;
  };

  cluster.on('exit', (worker, code, signal) => {
    const number = numbers.get(worker);
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (stopping) {
      if (code !== 0 || signal) log.warn({ worker: number, code, signal }, `worker ${number} stopped (${how})`);
      return;
    }
    log.fatal(
      { worker: number, code, signal },
      `worker ${number} exited (${how}); stopping the other workers so the process restarts whole (its own log lines above say why)`,
    );
    void release(number).then(() => stopAll(code || 1).then(done));
  });

  // A worker that exited on its own closed its membership; one that was killed did not, and holds its tasks.
  const release = async (number: number | undefined): Promise<void> => {
    if (number === undefined || !options.releaseDeparted) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const released = await Promise.race([
        options.releaseDeparted(number),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${RELEASE_TIMEOUT_MS} ms`)), RELEASE_TIMEOUT_MS);
        }),
      ]);
      log.info(
        { worker: number, ...released },
        released.removed
          ? `worker ${number} released: out of the group now, its tasks move to the other replicas at once${released.fenced ? ', any transaction it left open aborted' : ''}`
          : `worker ${number} had left the group already${released.fenced ? '; any transaction it left open is aborted' : ''}`,
      );
    } catch (error) {
      log.warn(
        { worker: number, err: error },
        `worker ${number} could not be released (${(error as Error).message}); the group moves its tasks after the session timeout`,
      );
    } finally {
      clearTimeout(timer);
    }
  };

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, `${signal}: stopping ${numbers.size} workers (each commits and closes)`);
    void stopAll(0).then((code) => {
      const failed = [...numbers.keys()].some((worker) => worker.process.exitCode !== 0);
      done(failed ? 1 : code);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let number = 1; number <= options.workers; number++) fork(number);
  log.info({ workers: options.workers }, `omnia: ${options.workers} workers started, each a replica with its own share of the tasks`);
  return finished;
}
