/**
 * Streams runtime benchmark on the real broker (see bench/runtime.md):
 *   1. stateful counter throughput under exactly_once and at_least_once,
 *   2. changelog restore rate of a 1,000,000-key store,
 *   3. restart of a SIGKILLed static-member replica with that store, to processing again,
 *   4. failover of that store to a standby replica when its active replica is SIGKILLed under a trickle of input,
 * with the RSS of the process running the runtime for each. Prints a table and writes
 * bench/results/runtime.json.
 *
 *   npm run bench [-- --records=300000 --figures=throughput,restore,restart,failover --profile]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../runtime/config.js';
import {
  BROKERS,
  benchClient,
  brokerAnswers,
  type CpuSplit,
  cleanUpApp,
  GroupOffsets,
  log,
  parseOptions,
  removeDir,
  usage,
} from './runtime/common.js';
import {
  type ChangelogFixture,
  changelogFixture,
  type Context,
  restart,
  type RestartResult,
  restore,
  type RestoreResult,
  throughput,
  type ThroughputInput,
  throughputInput,
  type ThroughputResult,
} from './runtime/figures.js';
import { failover, type FailoverResult } from './runtime/failover.js';

interface Row {
  figure: string;
  value: string;
  target: string;
  verdict: string;
  rss: string;
  note: string;
}

const fmt = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

/** "met" or how far off: for at-least targets the shortfall in percent of the target, for at-most ones the excess. */
function verdict(value: number, target: number, kind: 'min' | 'max'): string {
  if (!Number.isFinite(value)) return 'n/a';
  const met = kind === 'min' ? value >= target : value <= target;
  if (met) return 'met';
  const off = kind === 'min' ? ((target - value) / target) * 100 : ((value - target) / target) * 100;
  return `missed by ${off.toFixed(0)}%`;
}

interface Results {
  throughput: ThroughputResult[];
  restore: RestoreResult[];
  restart?: RestartResult;
  failover?: FailoverResult;
  failures: Array<{ figure: string; error: string }>;
}

const TARGETS: Record<string, string> = {
  'throughput exactly_once': '≥ 30,000 rec/s',
  'throughput at_least_once': '≥ 60,000 rec/s',
  restore: '≥ 200,000 rec/s',
  restart: '≤ 2 s, RSS ≤ 300 MB',
  failover: '≤ 2 s',
};

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median (min–max of n)" for repeated runs, the value alone for one. */
function spread(values: number[], unit: string): string {
  if (values.length <= 1) return `${fmt(values[0] ?? NaN)} ${unit}`;
  return `${fmt(median(values))} ${unit} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))}, n=${values.length})`;
}

/** Median CPU split over runs: how busy the runtime was and how much else was running. */
function cpuNote(runs: Array<{ cpu: CpuSplit | undefined; cpuIndexMs: number }>): string {
  const of = (key: keyof CpuSplit) => median(runs.map((run) => run.cpu?.[key] ?? NaN));
  const show = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '?');
  return `cores: runtime ${show(of('runtime'))}, broker ${show(of('broker'))}, other processes ${show(of('other'))}; CPU index ${runs.map((run) => run.cpuIndexMs).join('/')} ms`;
}

function rows(results: Results): Row[] {
  const out: Row[] = [];
  const failed = (figure: string) => results.failures.filter((failure) => failure.figure === figure);
  /** Failed runs of a figure whose other runs succeeded: said in the detail, not as a row of their own. */
  const failedNote = (figure: string) => {
    const list = failed(figure);
    const short = (error: string) =>
      error
        .split('\n')[0]!
        .replace(/bench-runtime-[a-z]+-[0-9a-f-]{36}/g, '<app>')
        .slice(0, 160);
    return list.length ? `; ${list.length} run(s) FAILED: ${[...new Set(list.map((f) => short(f.error)))].join(' / ')}` : '';
  };
  const covered = new Set<string>();
  for (const guarantee of ['exactly_once', 'at_least_once'] as const) {
    if (results.throughput.some((run) => run.guarantee === guarantee)) covered.add(`throughput ${guarantee}`);
  }
  if (results.restore.length) covered.add('restore');
  for (const failure of results.failures) {
    if (covered.has(failure.figure)) continue;
    out.push({
      figure: failure.figure,
      value: 'FAILED',
      target: TARGETS[failure.figure] ?? '',
      verdict: 'missed',
      rss: '',
      note: failure.error.split('\n')[0]!,
    });
  }
  for (const guarantee of ['exactly_once', 'at_least_once'] as const) {
    const runs = results.throughput.filter((run) => run.guarantee === guarantee);
    if (runs.length === 0) continue;
    const target = guarantee === 'exactly_once' ? 30_000 : 60_000;
    const rates = runs.map((run) => run.recordsPerSec);
    const first = runs[0]!;
    const outputs = [...new Set(runs.map((run) => run.outputRecords))].map(fmt).join('/');
    out.push({
      figure: `counter throughput, ${guarantee}`,
      value: spread(rates, 'rec/s'),
      target: `≥ ${fmt(target)}`,
      verdict: verdict(median(rates), target, 'min'),
      rss: `${Math.max(...runs.map((run) => run.rssPeakMb))} MB peak`,
      note: `${fmt(first.records)} records of ${first.valueBytes} B, ${fmt(first.keys)} keys; first→last commit ${runs.map((run) => fmt(run.firstToLastCommitMs)).join('/')} ms; ${cpuNote(runs)}; outputs ${outputs}${failedNote(`throughput ${guarantee}`)}`,
    });
  }
  if (results.restore.length) {
    const runs = results.restore;
    const rates = runs.map((run) => run.recordsPerSec);
    out.push({
      figure: 'restore, empty state dir',
      value: spread(rates, 'rec/s'),
      target: '≥ 200,000',
      verdict: verdict(median(rates), 200_000, 'min'),
      rss: `${Math.max(...runs.map((run) => run.rssPeakMb))} MB peak`,
      note: `${fmt(runs[0]!.restored)} records in ${runs.map((run) => fmt(run.restoreMs)).join('/')} ms; from runtime.start(): ${fmt(median(runs.map((run) => run.recordsPerSecFromStart)))} rec/s; fetch+decode / engine writes ${runs.map((run) => `${fmt(run.fetchMs)}/${fmt(run.writeMs)}`).join(', ')} ms; ${cpuNote(runs)}${failedNote('restore')}`,
    });
  }
  if (results.restart) {
    const r = results.restart;
    const rounds = r.rounds.map((round) => round.spawnToFirstOutputMs).join(', ');
    out.push({
      figure: 'SIGKILL → restart → first output',
      value: `${(r.medianSpawnToFirstOutputMs / 1000).toFixed(2)} s median`,
      target: '≤ 2 s',
      verdict: verdict(r.medianSpawnToFirstOutputMs, 2000, 'max'),
      rss: `${Math.max(...r.rounds.map((round) => round.rssMb), 0)} MB after restart`,
      note: `${fmt(r.storeKeys)}-key store; rounds ${rounds} ms (max ${fmt(r.maxSpawnToFirstOutputMs)}); counts ${r.countsCorrect ? 'correct' : 'WRONG'}`,
    });
    out.push({
      figure: `worker RSS, steady, ${r.storeKeys >= 1_000_000 ? `${r.storeKeys / 1_000_000}M` : fmt(r.storeKeys)}-key store`,
      value: `${r.rssSteadyMb} MB`,
      target: '≤ 300 MB',
      verdict: verdict(r.rssSteadyMb, 300, 'max'),
      rss: `${r.rssPeakMb} MB peak`,
      note: `idle 2 s after a cold start (full restore, ${fmt(r.coldStartMs)} ms to first outputs); after a warm restart: ${r.rounds.map((round) => round.rssMb).join('/')} MB`,
    });
  }
  if (results.failover) {
    const f = results.failover;
    out.push({
      figure: 'SIGKILL → standby processing (the killed replica released by its supervisor)',
      value: `${(f.killToFirstOutputMs / 1000).toFixed(2)} s`,
      target: '≤ 2 s',
      verdict: verdict(f.killToFirstOutputMs, 2000, 'max'),
      rss: `${f.rssSteadyMb} MB steady, ${f.rssPeakMb} MB peak (active + standby)`,
      note: `${fmt(f.storeKeys)}-key store, partitions ${f.movedPartitions.join(',')} moved; the group reassigned them ${fmt(f.killToReassignedMs)} ms after the SIGKILL, the first output ${fmt(f.reassignedToFirstOutputMs)} ms and all of them ${fmt(f.reassignedToAllOutputsMs)} ms after that; restored ${fmt(f.restoredOnFailover)} records (standbys had applied ${fmt(f.standbyApplied)}); counts ${f.countsCorrect ? 'correct' : 'WRONG'}`,
    });
  }
  return out;
}

function table(list: Row[]): string {
  const header: Row = {
    figure: 'figure',
    value: 'result',
    target: 'target',
    verdict: 'verdict',
    rss: 'RSS of runtime process',
    note: 'detail',
  };
  const all = [header, ...list];
  const keys = Object.keys(header) as Array<keyof Row>;
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row) => `| ${keys.map((key, i) => row[key].padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...list.map(line)].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const options = parseOptions(argv, process.env);
  if (!(await brokerAnswers()))
    throw new Error(`no Kafka broker at ${BROKERS.join(',')}: start one with "bash scripts/kafka-local.sh start"`);
  await mkdir(options.resultsDir, { recursive: true });
  if (options.profile) await mkdir(path.join(options.resultsDir, 'profiles'), { recursive: true });
  const client = benchClient();
  const context: Context = { options, client, admin: client.admin(), offsets: new GroupOffsets(), apps: [], dirs: [], children: new Set() };
  const cleanUp = async () => {
    for (const child of context.children) child.child.kill('SIGKILL');
    await Promise.all([...context.children].map((child) => child.exited));
    for (const app of context.apps.splice(0)) await cleanUpApp(context.admin, app);
    for (const dir of context.dirs.splice(0)) await removeDir(dir);
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanUp().finally(() => process.exit(130));
  });

  const startedAt = Date.now();
  const results: Results = { throughput: [], restore: [], failures: [] };
  /** A failed figure is reported in the table; the others still run. */
  const attempt = async (figure: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (interrupted) throw error;
      log(`${figure} failed: ${(error as Error).stack ?? error}`);
      results.failures.push({ figure, error: (error as Error).message });
      for (const child of context.children) child.child.kill('SIGKILL');
      await Promise.all([...context.children].map((child) => child.exited));
    }
  };
  try {
    if (options.figures.includes('throughput')) {
      let input: ThroughputInput | undefined;
      await attempt('throughput input', async () => void (input = await throughputInput(context)));
      // Runs of the two guarantees alternate, so slow phases of a shared machine hit both alike.
      for (let run = 1; input && run <= options.repeat; run++) {
        for (const guarantee of options.guarantees) {
          await attempt(
            `throughput ${guarantee}`,
            async () => void results.throughput.push(await throughput(context, guarantee, input!, run)),
          );
        }
      }
    }
    if (options.figures.includes('restore') || options.figures.includes('restart')) {
      let fixture: ChangelogFixture | undefined;
      await attempt('changelog', async () => void (fixture = await changelogFixture(context)));
      for (let run = 1; fixture && options.figures.includes('restore') && run <= options.repeat; run++) {
        await attempt('restore', async () => void results.restore.push(await restore(context, fixture!, run)));
      }
      if (fixture && options.figures.includes('restart'))
        await attempt('restart', async () => void (results.restart = await restart(context, fixture!)));
    }
    if (options.figures.includes('failover')) {
      // A changelog of its own: the restart figure's probes have moved the shared one's counts on.
      let fixture: ChangelogFixture | undefined;
      await attempt('changelog for the failover', async () => void (fixture = await changelogFixture(context)));
      if (fixture) await attempt('failover', async () => void (results.failover = await failover(context, fixture!)));
    }
  } finally {
    if (!interrupted) await cleanUp();
    await context.offsets.close();
    await context.admin.close().catch(() => undefined);
  }

  const list = rows(results);
  const config = loadConfig({});
  const report = {
    date: new Date(startedAt).toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
    },
    options,
    runtimeConfig: {
      stateEngine: config.stateEngine,
      commitIntervalMs: config.commitIntervalMs,
      maxUncommittedRecords: config.maxUncommittedRecords,
      pollMs: config.pollMs,
    },
    table: list,
    ...results,
  };
  const file = path.join(options.resultsDir, 'runtime.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  if (results.failures.length) process.exitCode = 1;
  process.stdout.write(
    `\n${table(list)}\n\nstate engine ${config.stateEngine}, commit interval ${config.commitIntervalMs} ms, max uncommitted ${config.maxUncommittedRecords}; ${report.durationSeconds} s in all; JSON: ${path.relative(process.cwd(), file)}\n`,
  );
}

main().catch((error: Error) => {
  log(`failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
