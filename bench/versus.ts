/**
 * Omnia against Kafka Streams, black box, on the same local broker (bench/versus.md):
 *
 *   npx tsc -p tsconfig.json && node dist/bench/versus.js [--orders=60000 --rate=1000 --seconds=30 --pairs=2 --only=omnia|kstreams
 *     --omnia-workers=1]
 *
 * Each round runs Omnia, then the Kafka Streams app (bench/kstreams/), each on fresh topics, group and state:
 * a backlog caught up (orders/s from the group's committed input offsets, 25% → 100%), then a steady load
 * whose CreatedAt → visible-release latency a separate probe process measures. Prints a table; the full
 * results go to bench/results/versus.json. Topics, groups and state directories are removed at the end, also
 * on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BROKERS, brokerAnswers, log } from './runtime/common.js';
import { APPS, javaVersion, withWorkers } from './versus/apps.js';
import { cleanUpEverything, cleanUpOnInterrupt, interrupted } from './versus/cleanup.js';
import { parseOptions, usage } from './versus/options.js';
import { formatTable, summarise } from './versus/report.js';
import { runOnce, type RunResult } from './versus/run.js';

const options = (() => {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
})();
if (options === 'help') {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}

const missing = options.apps.flatMap((name) => APPS[name].missing().map((problem) => `${APPS[name].label}: ${problem}`));
if (!(await brokerAnswers()))
  missing.push(`no Kafka broker answers at ${BROKERS.join(',')}: start one with bash scripts/kafka-local.sh start`);
if (missing.length) {
  process.stderr.write(`cannot run the benchmark:\n${missing.map((problem) => `  - ${problem}`).join('\n')}\n`);
  process.exit(1);
}

cleanUpOnInterrupt();
const logDir = options.out.replace(/\.json$/, '') + '-logs';
const runs: RunResult[] = [];
const failures: Array<{ round: number; app: string; error: string }> = [];
const startedAt = new Date().toISOString();
const measured = revision();
for (let round = 1; round <= options.pairs; round++) {
  for (const name of options.apps) {
    log(`round ${round} of ${options.pairs}: ${withWorkers(APPS[name].label, name, options.omniaWorkers)}`);
    try {
      runs.push(await runOnce(APPS[name], round, options, logDir));
    } catch (error) {
      // One failed run leaves the others measurable; it is reported and the exit code says so.
      const message = (error as Error).stack ?? String(error);
      if (!interrupted()) log(`round ${round}, ${APPS[name].label} failed: ${message}`);
      failures.push({ round, app: name, error: message });
    }
    // The signal handler is cleaning up and exits when done: nothing more starts, nothing is reported.
    if (interrupted()) await new Promise(() => undefined);
  }
}
await cleanUpEverything();

const summary = summarise(runs);
const results = {
  startedAt,
  finishedAt: new Date().toISOString(),
  options,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    java: javaVersion(),
    brokers: BROKERS,
  },
  revision: measured,
  summary,
  runs,
  failures,
};
await mkdir(path.dirname(options.out), { recursive: true });
await writeFile(options.out, JSON.stringify(results, null, 2) + '\n');
process.stdout.write(`${formatTable(runs, summary)}\n`);
if (failures.length)
  process.stdout.write(
    `${failures.length} run(s) failed: ${failures.map((failure) => `round ${failure.round} ${failure.app}`).join(', ')}\n`,
  );
process.stdout.write(`full results: ${path.relative(process.cwd(), options.out)}\n`);
process.exit(failures.length ? 1 : 0);

/** The checkout measured: its commit and the files that differ from it (the figures hold for that state only). */
function revision(): { commit: string | undefined; changed: string[] } {
  const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  const status = git('--no-optional-locks', 'status', '--porcelain', '--untracked-files=no');
  return {
    commit: head.status === 0 ? head.stdout.trim() : undefined,
    changed:
      status.status === 0
        ? status.stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => line.slice(3))
        : [],
  };
}
