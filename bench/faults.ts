/**
 * The dependency-fault campaigns, long form: a broker paused past every timeout (test/kafka/broker-pause.test.ts), the
 * state directory's disk full (test/kafka/state-disk-full.test.ts) and the wall clock stepped ±1 h
 * (test/kafka/clock-jumps.test.ts). Each is its CI test, run in a process of its own with more rounds in its
 * environment and the same assertions: by default 5 pauses of 40 s of the group coordinator's node, 5 full disks
 * (fill, exit, take-over, free, restart on the same directory) and 3 full clock cycles (+1 h, +0, −1 h, +0). It
 * collects each run's `# figures:` line (faults injected and survived, orders, lost, duplicated, recovery times) and
 * its assertions, prints a table, writes bench/results/faults-<time>.json (each run's TAP beside it, in
 * bench/results/faults-<time>/) and exits 1 if any run failed or gave no figures (a test that skipped).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/faults.js [--only=pause|disk|clock] [--rounds=N] [--pause-seconds=N]
 *   npm run bench:faults
 *
 * Needs what the tests need: java and the broker jars (the pause runs its own three-node cluster), the shared broker
 * on localhost:9092, root (the tmpfs) and libfaketime. The campaigns run one after the other; on two busy cores the
 * whole default run took 20 minutes (pause 11, disk 3.5, clock 5.5), and --rounds=N shortens or lengthens it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (dist/bench/faults.js is two levels down): the tests resolve dist/bin/omnia.js from it. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Campaign {
  name: 'pause' | 'disk' | 'clock';
  file: string;
  /** The long form's knobs (the test's defaults are the CI form). */
  env: Record<string, string>;
  /** Recovery figures to sum up in the table: a list in the figures and the fields to take the longest of. */
  recovery: { list: string; fields: string[] };
}

const CAMPAIGNS: Campaign[] = [
  {
    name: 'pause',
    file: 'dist/test/kafka/broker-pause.test.js',
    env: { FAULT_ROUNDS: '5', FAULT_PAUSE_SECONDS: '40', FAULT_CALM_SECONDS: '30' },
    recovery: { list: 'recoveries', fields: ['firstOutputSeconds', 'backlogCommittedSeconds', 'groupStableSeconds'] },
  },
  {
    name: 'disk',
    // A larger tmpfs than CI's 48 MB: the stores grow over five rounds of load, and the ballast fills the rest anyway.
    file: 'dist/test/kafka/state-disk-full.test.js',
    env: { FAULT_ROUNDS: '5', FAULT_TMPFS_MB: '128', FAULT_CALM_SECONDS: '20' },
    recovery: { list: 'recoveries', fields: ['exitSeconds', 'takeOverSeconds', 'restartSeconds'] },
  },
  {
    name: 'clock',
    file: 'dist/test/kafka/clock-jumps.test.js',
    env: { FAULT_ROUNDS: '3', FAULT_CALM_SECONDS: '20' },
    recovery: { list: 'stepsBack', fields: ['heldReleasedAfterStepSeconds', 'createdBehindWaitSeconds'] },
  },
];

interface Options {
  only: Set<Campaign['name']>;
  rounds: number | undefined;
  pauseSeconds: number | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const known = ['only', 'rounds', 'pause-seconds'];
  const given = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match || !known.includes(match[1]!))
      throw new Error(`unknown argument "${arg}" (known: --only=pause|disk|clock[,…] --rounds=N --pause-seconds=N)`);
    given.set(match[1]!, match[2]!);
  }
  const names = CAMPAIGNS.map((campaign) => campaign.name);
  const only = (given.get('only') ?? names.join(',')).split(',').filter(Boolean);
  for (const name of only)
    if (!names.includes(name as Campaign['name'])) throw new Error(`--only: "${name}" is not one of ${names.join(', ')}`);
  const positive = (name: string) => {
    const raw = given.get(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return { only: new Set(only as Array<Campaign['name']>), rounds: positive('rounds'), pauseSeconds: positive('pause-seconds') };
}

interface Run {
  campaign: Campaign['name'];
  file: string;
  env: Record<string, string>;
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  passed: number;
  failed: number;
  /** The failed assertions' names. */
  failures: string[];
  figures: Record<string, unknown> | undefined;
  tap: string;
}

/** Runs one test file as its own process; its TAP goes to `tapFile` and its comments to stderr as they come. */
function runCampaign(campaign: Campaign, env: Record<string, string>, tapFile: string): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [campaign.file], {
    cwd: ROOT,
    env: { ...process.env, TAP_TIMEOUT: '3600', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tap = createWriteStream(tapFile);
  const run: Run = {
    campaign: campaign.name,
    file: campaign.file,
    env,
    exitCode: null,
    signal: null,
    seconds: 0,
    passed: 0,
    failed: 0,
    failures: [],
    figures: undefined,
    tap: tapFile,
  };
  const read = (line: string) => {
    tap.write(`${line}\n`);
    // Assertions are the indented results (the subtest's); the unindented one is the file's own verdict.
    const result = /^\s+(not )?ok \d+ - (.*)$/.exec(line);
    if (result) {
      if (result[1]) {
        run.failed++;
        run.failures.push(result[2]!.slice(0, 200));
      } else run.passed++;
    } else if (/^not ok \d+/.test(line) && run.failed === 0) {
      run.failed++;
      run.failures.push(line.slice(0, 200));
    }
    const figures = /^\s*# figures: (\{.*\})\s*$/.exec(line);
    if (figures) run.figures = JSON.parse(figures[1]!) as Record<string, unknown>;
    else if (/^\s*# /.test(line) || result?.[1]) process.stderr.write(`[${campaign.name}] ${line.trim()}\n`);
  };
  const lines = (stream: NodeJS.ReadableStream) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        read(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    });
    stream.on('end', () => buffered && read(buffered));
  };
  lines(child.stdout!);
  lines(child.stderr!);
  return new Promise((done) =>
    child.once('close', (code, signal) => {
      tap.end();
      done({ ...run, exitCode: code, signal, seconds: Math.round((Date.now() - started) / 1000) });
    }),
  );
}

const ok = (run: Run) => run.exitCode === 0 && run.failed === 0 && run.figures !== undefined && run.figures.passed === true;

/** The longest of each recovery field over the rounds, as `field ≤ N s`. */
function recoverySummary(campaign: Campaign, figures: Record<string, unknown> | undefined): string {
  const list = (figures?.[campaign.recovery.list] ?? []) as Array<Record<string, number | null>>;
  return campaign.recovery.fields
    .map((field) => {
      const values = list.map((entry) => entry[field]).filter((value): value is number => typeof value === 'number');
      return `${field.replace(/Seconds$/, '')} ≤ ${values.length ? Math.max(...values) : '—'} s`;
    })
    .join(', ');
}

const options = parseOptions(process.argv.slice(2));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.join(ROOT, 'bench/results');
const tapDir = path.join(resultsDir, `faults-${stamp}`);
await mkdir(tapDir, { recursive: true });
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || undefined;
const startedAt = new Date();
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

const runs: Run[] = [];
for (const campaign of CAMPAIGNS.filter((entry) => options.only.has(entry.name))) {
  const env = {
    ...campaign.env,
    ...(options.rounds ? { FAULT_ROUNDS: String(options.rounds) } : {}),
    ...(options.pauseSeconds && campaign.name === 'pause' ? { FAULT_PAUSE_SECONDS: String(options.pauseSeconds) } : {}),
  };
  log(
    `${campaign.name}: node ${campaign.file} with ${Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
  );
  const run = await runCampaign(campaign, env, path.join(tapDir, `${campaign.name}.tap`));
  runs.push(run);
  log(`${campaign.name}: ${ok(run) ? 'passed' : 'FAILED'} in ${run.seconds} s (${run.passed} assertions passed, ${run.failed} failed)`);
}

const cell = (value: unknown) => (value === undefined || value === null ? '—' : String(value));
const header = [
  'campaign',
  'result',
  'asserts ok/failed',
  'faults',
  'survived',
  'orders',
  'lost',
  'duplicated',
  'wall',
  'recovery (longest)',
];
const rows = runs.map((run) => {
  const figures = run.figures ?? {};
  return [
    run.campaign,
    ok(run) ? 'passed' : 'FAILED',
    `${run.passed}/${run.failed}`,
    cell(figures.faultsInjected),
    cell(figures.faultsSurvived),
    cell(figures.orders),
    cell(figures.lost),
    cell(figures.duplicated),
    `${run.seconds} s`,
    recoverySummary(
      CAMPAIGNS.find((campaign) => campaign.name === run.campaign)!,
      run.figures,
    ),
  ];
});
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const line = (cells: string[]) =>
  cells
    .map((text, column) => text.padEnd(widths[column]!))
    .join('  ')
    .trimEnd();
console.log(`\n${line(header)}\n${line(widths.map((width) => '-'.repeat(width)))}\n${rows.map(line).join('\n')}\n`);
for (const run of runs) {
  for (const failure of run.failures.slice(0, 10)) console.log(`${run.campaign}: not ok - ${failure}`);
  if (!run.figures) console.log(`${run.campaign}: no figures line (skipped or ended early; see ${run.tap})`);
  else console.log(`${run.campaign} figures: ${JSON.stringify(run.figures)}`);
}

const file = path.join(resultsDir, `faults-${stamp}.json`);
await writeFile(
  file,
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit,
      host: { cpus: os.cpus().length, loadAverage: os.loadavg(), memoryMb: Math.round(os.totalmem() / 2 ** 20) },
      options: { only: [...options.only], rounds: options.rounds, pauseSeconds: options.pauseSeconds },
      runs,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults: ${path.relative(process.cwd(), file)} (TAP of each run in ${path.relative(process.cwd(), tapDir)}/)`);
process.exit(runs.length > 0 && runs.every(ok) ? 0 : 1);
