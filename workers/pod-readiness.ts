/**
 * The process's readiness when its tasks are spread over workers: ready only when every worker is, as Kafka Streams
 * is RUNNING only when every stream thread is. A worker that has not reported yet is starting; one silent for
 * longer than a few reports is not trusted to be ready.
 */
import type { Readiness } from '../query-service/app.js';

export interface WorkerReport {
  readonly number: number;
  readonly readiness: Readiness | null;
  /** When it was received, epoch ms; null before the first. */
  readonly at: number | null;
}

/** Reports older than this count as "not reporting" (workers report every second). */
export const REPORT_STALE_MS = 5_000;

export function podReadiness(reports: readonly WorkerReport[], now: number): Readiness {
  const notReady: string[] = [];
  const notes: string[] = [];
  for (const report of [...reports].sort((a, b) => a.number - b.number)) {
    const name = `worker ${report.number}`;
    if (!report.readiness || report.at === null) notReady.push(`${name}: starting`);
    else if (now - report.at > REPORT_STALE_MS) notReady.push(`${name}: no report for ${Math.round((now - report.at) / 1000)} s`);
    else if (!report.readiness.ready) notReady.push(`${name}: ${report.readiness.reason ?? 'not ready'}`);
    else if (report.readiness.reason) notes.push(`${name}: ${report.readiness.reason}`);
  }
  if (notReady.length) return { ready: false, reason: notReady.join('; ') };
  return notes.length ? { ready: true, reason: notes.join('; ') } : { ready: true };
}
