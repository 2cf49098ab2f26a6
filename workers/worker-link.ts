/**
 * A worker's side of its primary: it lends its metrics registry to the primary's aggregation (prom-client's
 * AggregatorRegistry), asks for the whole process's metrics when /metrics is scraped on the shared port, and
 * reports its readiness every second so that each worker can answer /health/ready for all of them.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Readiness } from '../query-service/app.js';
import { isOmniaMessage, type MetricsAsked, type ReadinessReported } from './messages.js';
import { podReadiness, type WorkerReport } from './pod-readiness.js';

const METRICS_TIMEOUT_MS = 6_000; // prom-client gives up on a silent worker after 5 s
const REPORT_EVERY_MS = 1_000;

export class WorkerLink {
  private asked = 0;
  private readonly waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  private workers: readonly WorkerReport[] = [];
  private reporting: NodeJS.Timeout | undefined;

  constructor(
    readonly number: number,
    /** OMNIA_WORKERS: a worker not heard of yet is starting. */
    private readonly count: number,
    registry: Registry,
  ) {
    // Constructing one installs prom-client's answer to the primary's requests; it answers from this registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    // Each worker's series stay apart in the sum (its tasks, its process figures).
    registry.setDefaultLabels({ worker: String(number) });
    process.on('message', (message: unknown) => {
      if (!isOmniaMessage(message)) return;
      if (message.omnia === 'workers-readiness') this.workers = message.workers;
      else if (message.omnia === 'metrics-answered') {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.text !== undefined) waiter?.resolve(message.text);
        else waiter?.reject(new Error(`the primary could not gather the workers' metrics: ${message.error ?? 'no answer'}`));
      }
    });
  }

  /** Every worker's metrics in one text, each series labelled with its `worker`. */
  podMetrics(): Promise<string> {
    const id = ++this.asked;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the primary did not answer with the workers' metrics within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      this.waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.send({ omnia: 'metrics-asked', id });
    });
  }

  /** Reports `own` to the primary every second, until `close`. */
  watch(own: () => Promise<Readiness>): void {
    const report = async () => {
      try {
        this.send({ omnia: 'readiness', readiness: await own() });
      } catch (error) {
        this.send({ omnia: 'readiness', readiness: { ready: false, reason: `readiness check failed: ${(error as Error).message}` } });
      }
    };
    void report();
    this.reporting = setInterval(() => void report(), REPORT_EVERY_MS);
    this.reporting.unref();
  }

  /** Ready when every worker is: this one as it is now, the others as they last reported. */
  podReadiness(own: Readiness, now = Date.now()): Readiness {
    const reports = Array.from({ length: this.count }, (_, index): WorkerReport => {
      const number = index + 1;
      if (number === this.number) return { number, readiness: own, at: now };
      return this.workers.find((worker) => worker.number === number) ?? { number, readiness: null, at: null };
    });
    return podReadiness(reports, now);
  }

  close(): void {
    clearInterval(this.reporting);
  }

  private send(message: MetricsAsked | ReadinessReported): void {
    // The channel closes when the primary is gone; this process then exits with it.
    if (process.connected) process.send?.(message);
  }
}
