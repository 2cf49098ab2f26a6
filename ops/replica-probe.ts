/**
 * What one replica says about itself, over the HTTP it already serves at the endpoint it advertises to the group
 * (OMNIA_ENDPOINT, in its member metadata): `/health/ready` (running, or why not) and `/metrics` (its tasks'
 * restore progress, its last commit, failed commits, dead letters since it started). Both are open routes of the
 * query service (query-service/app.ts); with OMNIA_ADMIN_PORT, /metrics is on that port of the same host.
 */
import { metricValue, parseMetrics, samplesOf, type Sample } from './prometheus.js';

export interface RestoreProgress {
  readonly store: string;
  readonly partition: number;
  readonly remaining: number;
  /** Records the restore had to apply; undefined from a replica that does not publish it. */
  readonly total: number | undefined;
}

export interface ReplicaProbe {
  readonly endpoint: string;
  readonly reachable: boolean;
  /** Why it could not be asked (timeout, refused, HTTP status). */
  readonly error?: string;
  readonly ready?: boolean;
  /** /health/ready's reason when not ready ("the stream runtime is restoring"). */
  readonly notReadyReason?: string;
  readonly tasks?: number;
  /** Epoch ms of its last commit; null when it has committed nothing since it started. */
  readonly lastCommitAt?: number | null;
  readonly commitsFailed?: number;
  readonly startedAt?: number;
  /** Stores still restoring (remaining > 0). */
  readonly restoring?: readonly RestoreProgress[];
  /** Dead letters this replica wrote since it started, per DLQ topic and code. */
  readonly deadLetters?: ReadonlyArray<{ topic: string; code: string; count: number }>;
}

export const baseUrl = (endpoint: string): string => (/^https?:\/\//.test(endpoint) ? endpoint.replace(/\/$/, '') : `http://${endpoint}`);

/**
 * The worker number of a member that is one of a process's workers (OMNIA_WORKERS): its instance id ends `-wN`.
 * The admin port serves every worker's series of that process, each labelled `worker`; only its own are its view.
 */
export const workerOf = (instance: string): number | undefined => {
  const match = /-w(\d+)$/.exec(instance);
  return match ? Number(match[1]) : undefined;
};

/** The replica's own view, from its metrics text and readiness (pure: the probe's parsing). */
export function replicaView(
  endpoint: string,
  metricsText: string,
  readiness: { ready: boolean; reason?: string } | undefined,
  worker?: number,
): ReplicaProbe {
  const samples: Sample[] = parseMetrics(metricsText).filter(
    (sample) => worker === undefined || sample.labels.worker === undefined || sample.labels.worker === String(worker),
  );
  const lastCommit = metricValue(samples, 'omnia_last_commit_timestamp_seconds');
  const startedAt = metricValue(samples, 'process_start_time_seconds');
  const totals = new Map(
    samplesOf(samples, 'omnia_restore_total_records').map((sample) => [`${sample.labels.store}|${sample.labels.partition}`, sample.value]),
  );
  const restoring = samplesOf(samples, 'omnia_restore_remaining_records')
    .filter((sample) => sample.value > 0)
    .map((sample) => ({
      store: sample.labels.store ?? '?',
      partition: Number(sample.labels.partition),
      remaining: sample.value,
      total: totals.get(`${sample.labels.store}|${sample.labels.partition}`),
    }))
    .sort((a, b) => a.partition - b.partition || a.store.localeCompare(b.store));
  return {
    endpoint,
    reachable: true,
    ...(readiness ? { ready: readiness.ready, ...(readiness.reason ? { notReadyReason: readiness.reason } : {}) } : {}),
    ...(metricValue(samples, 'omnia_tasks') !== undefined ? { tasks: metricValue(samples, 'omnia_tasks') } : {}),
    lastCommitAt: lastCommit === undefined || lastCommit === 0 ? null : Math.round(lastCommit * 1000),
    // Failed commits, aborted or in doubt alike: either way the replica did work it must do again.
    commitsFailed:
      (metricValue(samples, 'omnia_commits_total', { result: 'aborted' }) ?? 0) +
      (metricValue(samples, 'omnia_commits_total', { result: 'in-doubt' }) ?? 0),
    ...(startedAt !== undefined ? { startedAt: Math.round(startedAt * 1000) } : {}),
    restoring,
    deadLetters: samplesOf(samples, 'omnia_dead_letters_total').map((sample) => ({
      topic: sample.labels.topic ?? '?',
      code: sample.labels.code ?? '?',
      count: sample.value,
    })),
  };
}

/** Where a replica serves /metrics: at its endpoint, or on the admin port of the same host when the replicas have one. */
export const metricsBaseUrl = (endpoint: string, adminPort?: number): string => {
  if (adminPort === undefined) return baseUrl(endpoint);
  const url = new URL(baseUrl(endpoint));
  url.port = String(adminPort);
  return url.origin;
};

/** Asks one replica; never throws: an unreachable replica is a finding, not a failure of `status`. */
export async function probeReplica(endpoint: string, timeoutMs: number, adminPort?: number, worker?: number): Promise<ReplicaProbe> {
  const url = baseUrl(endpoint);
  try {
    const [metrics, ready] = await Promise.all([
      fetch(`${metricsBaseUrl(endpoint, adminPort)}/metrics`, { signal: AbortSignal.timeout(timeoutMs) }),
      fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined),
    ]);
    if (!metrics.ok)
      return { endpoint, reachable: false, error: `${metricsBaseUrl(endpoint, adminPort)}/metrics answered HTTP ${metrics.status}` };
    let readiness: { ready: boolean; reason?: string } | undefined;
    if (ready) {
      try {
        readiness = (await ready.json()) as { ready: boolean; reason?: string };
      } catch {
        readiness = undefined;
      }
    }
    return replicaView(endpoint, await metrics.text(), readiness, worker);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message);
    return { endpoint, reachable: false, error: `${url}: ${reason}` };
  }
}
