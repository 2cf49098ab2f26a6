/**
 * Whether a replica is ready, as /health/ready answers: running, and not failing for long. A replica can stay
 * `running` while it commits nothing (a broker it needs is gone, the group's coordinator moved): after a minute of
 * failures with no commit between them it is reported not ready, with the last error, so the dashboards and
 * `kubectl get pods` show which replica is in trouble. The runtime keeps retrying (and replaces its clients)
 * meanwhile; readiness only reports.
 */
import type { RuntimeState } from './streams-runtime.js';

export const FAILING_NOT_READY_AFTER_MS = 60_000;

export interface RuntimeHealth {
  readonly currentState: RuntimeState;
  readonly failing: { readonly sinceMs: number; readonly error: string } | undefined;
}

export function runtimeReadiness(runtime: RuntimeHealth): { ready: boolean; reason?: string } {
  if (runtime.currentState !== 'running') return { ready: false, reason: `the stream runtime is ${runtime.currentState}` };
  const failing = runtime.failing;
  if (failing && failing.sinceMs >= FAILING_NOT_READY_AFTER_MS)
    return {
      ready: false,
      reason: `nothing committed for ${Math.round(failing.sinceMs / 1000)} s, every attempt failing: ${failing.error}`,
    };
  return { ready: true };
}
