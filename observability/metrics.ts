/** Node's own process metrics (CPU, heap, event-loop lag, GC) on a registry, once: every process's /metrics has them. */
import { collectDefaultMetrics, type Registry } from 'prom-client';

const collecting = new WeakSet<Registry>();

/** Idempotent: several services of one process (the embedded default) may share a registry. */
export function withDefaultMetrics(registry: Registry): Registry {
  if (collecting.has(registry)) return registry;
  collecting.add(registry);
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
  return registry;
}
