/**
 * What the bench prints: one row per run, then per app the medians and per round the ratios Omnia / Kafka
 * Streams with their median. A catch-up ratio above 1 means Omnia is faster; a p99 ratio above 1 means
 * Omnia's releases take longer.
 */
import { round } from '../runtime/common.js';
import { type AppName, withWorkers, workersOf } from './apps.js';
import type { ReleaseCheck } from './correctness.js';
import type { RunResult } from './run.js';

export const median = (values: readonly number[]): number => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export interface Pair {
  round: number;
  /** Omnia / Kafka Streams, catch-up orders/s. */
  catchUp: number;
  /** Omnia / Kafka Streams, p99 latency. */
  p99: number;
  /** Both released the same orders (counts per range equal). */
  sameReleases: boolean;
}

export interface Summary {
  perApp: Partial<Record<AppName, { runs: number; catchUpMedian: number; p50Median: number; p99Median: number; allCorrect: boolean }>>;
  pairs: Pair[];
  /** Median over the rounds of the per-round ratios; undefined with one app. */
  medianRatio?: { catchUp: number; p99: number };
}

const sameCounts = (a: ReleaseCheck, b: ReleaseCheck) => a.released === b.released && a.duplicates === b.duplicates;

export function summarise(runs: readonly RunResult[]): Summary {
  const perApp: Summary['perApp'] = {};
  for (const app of new Set(runs.map((run) => run.app as AppName))) {
    const own = runs.filter((run) => run.app === app);
    perApp[app] = {
      runs: own.length,
      catchUpMedian: Math.round(median(own.map((run) => run.catchUp.ordersPerSecond))),
      p50Median: round(median(own.map((run) => run.steady.latency.p50)), 1),
      p99Median: round(median(own.map((run) => run.steady.latency.p99)), 1),
      allCorrect: own.every((run) => run.correctness.ok),
    };
  }
  const pairs: Pair[] = [];
  for (const roundNo of new Set(runs.map((run) => run.round))) {
    const omnia = runs.find((run) => run.round === roundNo && run.app === 'omnia');
    const kstreams = runs.find((run) => run.round === roundNo && run.app === 'kstreams');
    if (!omnia || !kstreams) continue;
    pairs.push({
      round: roundNo,
      catchUp: round(omnia.catchUp.ordersPerSecond / kstreams.catchUp.ordersPerSecond, 3),
      p99: round(omnia.steady.latency.p99 / kstreams.steady.latency.p99, 3),
      sameReleases:
        sameCounts(omnia.correctness.backlog, kstreams.correctness.backlog) &&
        sameCounts(omnia.correctness.steady, kstreams.correctness.steady),
    });
  }
  return {
    perApp,
    pairs,
    ...(pairs.length
      ? {
          medianRatio: {
            catchUp: round(median(pairs.map((pair) => pair.catchUp)), 3),
            p99: round(median(pairs.map((pair) => pair.p99)), 3),
          },
        }
      : {}),
  };
}

/** A run's app as the table names it: `omnia ×2 workers` when Omnia forked workers. */
const appOf = (run: RunResult): string => withWorkers(run.app, run.app as AppName, workersOf(run.settings));

const percent = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)}%`);
const released = (check: ReleaseCheck) =>
  `${check.released}/${check.expected}${check.duplicates ? ` +${check.duplicates} dup` : ''}${check.unexpected ? ` ${check.unexpected} invalid` : ''}`;

export function formatTable(runs: readonly RunResult[], summary: Summary): string {
  const header = [
    'round',
    'app',
    'catch-up/s',
    'start s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'backlog released',
    'steady released',
    'ok',
    'app CPU catch-up',
    'app CPU steady',
    'app peak RSS MB',
    'generator CPU',
    'probe CPU',
    'other CPU catch-up/steady',
  ];
  const rows = runs.map((run) => [
    String(run.round),
    appOf(run),
    String(run.catchUp.ordersPerSecond),
    String(run.startup.firstCommitSeconds),
    String(run.steady.latency.p50),
    String(run.steady.latency.p95),
    String(run.steady.latency.p99),
    String(run.steady.latency.max),
    released(run.correctness.backlog),
    released(run.correctness.steady),
    run.correctness.ok ? 'yes' : 'NO',
    percent(run.catchUp.cpu.cores.app?.percentOfCore),
    percent(run.steady.cpu.cores.app?.percentOfCore),
    String(run.memory.app?.peakRssMb ?? '-'),
    percent(run.steady.cpu.cores.generator?.percentOfCore),
    percent(run.steady.cpu.cores.probe?.percentOfCore),
    `${percent(run.catchUp.cpu.otherPercentOfCore)}/${percent(run.steady.cpu.otherPercentOfCore)}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line), ''];
  const named = (app: string) => {
    const run = runs.find((candidate) => candidate.app === app);
    return run ? appOf(run) : app;
  };
  const omnia = withWorkers(
    'Omnia',
    'omnia',
    Math.max(1, ...runs.filter((run) => run.app === 'omnia').map((run) => workersOf(run.settings))),
  );
  for (const [app, figures] of Object.entries(summary.perApp))
    out.push(
      `${named(app).padEnd(8)} median over ${figures.runs} run(s): catch-up ${figures.catchUpMedian} orders/s, p50 ${figures.p50Median} ms, p99 ${figures.p99Median} ms${figures.allCorrect ? '' : ' (a correctness check FAILED)'}`,
    );
  for (const pair of summary.pairs)
    out.push(
      `round ${pair.round}: ${omnia}/KS catch-up ${pair.catchUp}, p99 ${pair.p99}${pair.sameReleases ? '' : ' (the two apps released different counts)'}`,
    );
  if (summary.medianRatio)
    out.push(
      `median ratio ${omnia}/KS: catch-up ${summary.medianRatio.catchUp} (above 1: Omnia faster), p99 latency ${summary.medianRatio.p99} (above 1: Omnia slower)`,
    );
  out.push(
    'CPU in % of one core (user + system, /proc/<pid>/stat): catch-up over its 25%→100% window, the rest over the steady load; other = the machine minus the app, broker, generator, probe and this process.',
  );
  if (runs.some((run) => workersOf(run.settings) > 1))
    out.push(
      "Omnia with workers is a primary and its worker processes: its CPU and RSS are summed over them (peak RSS: the sum of each one's peak, an upper bound).",
    );
  return out.join('\n');
}
