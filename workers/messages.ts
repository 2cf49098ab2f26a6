/**
 * What a primary and its workers say to each other over the cluster's IPC channel. Every message carries `omnia`
 * (prom-client's own aggregation messages travel on the same channel with a `type` of theirs).
 */
import type { Readiness } from '../query-service/app.js';
import type { WorkerReport } from './pod-readiness.js';

/** A worker asks for the whole process's metrics (it is answering /metrics on the shared port). */
export interface MetricsAsked {
  readonly omnia: 'metrics-asked';
  readonly id: number;
}

export interface MetricsAnswered {
  readonly omnia: 'metrics-answered';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** A worker's own readiness (its stream tasks and Postgres), sent every second. */
export interface ReadinessReported {
  readonly omnia: 'readiness';
  readonly readiness: Readiness;
}

/** Every worker's last report, sent by the primary to all of them when one changes. */
export interface WorkersReadiness {
  readonly omnia: 'workers-readiness';
  readonly workers: readonly WorkerReport[];
}

export type WorkerMessage = MetricsAsked | ReadinessReported;
export type PrimaryMessage = MetricsAnswered | WorkersReadiness;

const kinds = new Set(['metrics-asked', 'metrics-answered', 'readiness', 'workers-readiness']);

export const isOmniaMessage = (message: unknown): message is WorkerMessage | PrimaryMessage =>
  typeof message === 'object' && message !== null && kinds.has((message as { omnia?: unknown }).omnia as string);
