/**
 * The lag series of a scale-out run and what is read from it: seconds behind, recovery after an event, drain
 * rates. Pure functions over samples taken once per poll.
 */

export interface LagSample {
  at: number;
  /** Σ (end − committed) over the partitions of order.create.v1 (no cap; a partition never committed counts its end). */
  lag: number;
  /** How long ago the oldest record not committed yet was written (0 when nothing waits). */
  secondsBehind: number;
  /** Σ committed offsets of order.create.v1: orders processed and committed so far. */
  committed: number;
  /** KEDA's metric per trigger, and the HPA's recommendation. */
  metrics: Record<string, number>;
  recommended: number;
  /** Replica count the HPA has set, and replicas running (in the group, tasks restored). */
  replicas: number;
  running: number;
}

/**
 * Seconds behind, per partition: the committed offset c was first exceeded by the end between two polls (the
 * record at c was written then); its age is taken from the middle of that interval (± half a poll).
 */
export class EndHistory {
  private readonly history = new Map<number, Array<{ at: number; end: bigint }>>();

  add(at: number, partition: number, end: bigint): void {
    const entries = this.history.get(partition) ?? [];
    if (entries.length === 0 || entries.at(-1)!.end !== end) entries.push({ at, end });
    this.history.set(partition, entries);
  }

  secondsBehind(now: number, partition: number, committed: bigint | undefined): number {
    const entries = this.history.get(partition) ?? [];
    const position = committed ?? 0n;
    if (entries.length === 0 || entries.at(-1)!.end <= position) return 0;
    let low = 0;
    let high = entries.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (entries[middle]!.end > position) high = middle;
      else low = middle + 1;
    }
    const written = low === 0 ? entries[0]!.at : (entries[low - 1]!.at + entries[low]!.at) / 2;
    return Math.max(0, (now - written) / 1000);
  }
}

/** The highest lag in the `windowMs` before `at` (the level to come back to). */
export function levelBefore(samples: readonly LagSample[], at: number, windowMs = 10_000): number {
  const window = samples.filter((sample) => sample.at < at && sample.at >= at - windowMs);
  return window.length ? Math.max(...window.map((sample) => sample.lag)) : 0;
}

export interface Recovery {
  /** The level to come back to. */
  level: number;
  /** Highest lag and seconds behind from the event to the recovery (or the end of the series). */
  peakLag: number;
  peakSecondsBehind: number;
  /** Milliseconds from the event until the lag was at or below the level again for `sustain` polls; undefined: never. */
  recoveredMs: number | undefined;
}

/**
 * After `at`: once the lag has gone above `level`, the first poll from which it stays at or below it for
 * `sustain` polls. A lag that never went above it recovered at once (0).
 */
export function recoveryAfter(samples: readonly LagSample[], at: number, level: number, sustain = 3, until = Infinity): Recovery {
  const after = samples.filter((sample) => sample.at >= at && sample.at <= until);
  let exceeded = false;
  let peakLag = 0;
  let peakSecondsBehind = 0;
  for (let i = 0; i < after.length; i++) {
    const sample = after[i]!;
    if (sample.lag > level) exceeded = true;
    peakLag = Math.max(peakLag, sample.lag);
    peakSecondsBehind = Math.max(peakSecondsBehind, sample.secondsBehind);
    if (!exceeded) continue;
    const run = after.slice(i, i + sustain);
    if (run.length === sustain && run.every((entry) => entry.lag <= level)) {
      return { level, peakLag, peakSecondsBehind, recoveredMs: sample.at - at };
    }
  }
  return { level, peakLag, peakSecondsBehind, recoveredMs: exceeded ? undefined : 0 };
}

/** The highest rate of committed orders over any `windowMs` between `from` and `to` (orders/s). */
export function peakCommitRate(samples: readonly LagSample[], from: number, to: number, windowMs = 5_000): number {
  const inside = samples.filter((sample) => sample.at >= from && sample.at <= to);
  let best = 0;
  for (let i = 0; i < inside.length; i++) {
    for (let j = i + 1; j < inside.length; j++) {
      if (inside[j]!.at - inside[i]!.at < windowMs) continue;
      best = Math.max(best, ((inside[j]!.committed - inside[i]!.committed) * 1000) / (inside[j]!.at - inside[i]!.at));
      break;
    }
  }
  return Math.round(best);
}

/** Orders committed per second between two moments (from the nearest samples). */
export function commitRate(samples: readonly LagSample[], from: number, to: number): number {
  const inside = samples.filter((sample) => sample.at >= from && sample.at <= to);
  if (inside.length < 2) return 0;
  const first = inside[0]!;
  const last = inside.at(-1)!;
  return last.at > first.at ? Math.round(((last.committed - first.committed) * 1000) / (last.at - first.at)) : 0;
}

/**
 * The best rate of committed orders over `windowMs` while exactly N replicas ran and a backlog of at least
 * `minBacklog` orders waited throughout (so the rate is what N replicas can do, not what arrived), per N.
 */
export function capacityByReplicas(samples: readonly LagSample[], minBacklog: number, windowMs = 5_000): Record<number, number> {
  const best: Record<number, number> = {};
  for (let i = 0; i < samples.length; i++) {
    const first = samples[i]!;
    if (first.running !== first.replicas || first.lag < minBacklog) continue;
    for (let j = i + 1; j < samples.length; j++) {
      const sample = samples[j]!;
      if (sample.running !== first.running || sample.replicas !== first.replicas || sample.lag < minBacklog) break;
      if (sample.at - first.at < windowMs) continue;
      const rate = Math.round(((sample.committed - first.committed) * 1000) / (sample.at - first.at));
      best[first.running] = Math.max(best[first.running] ?? 0, rate);
      break;
    }
  }
  return best;
}
