/**
 * The three measurements of the runtime benchmark. Each runs the runtime in a child process (so its RSS and
 * CPU are the runtime's alone) against the real broker, on topics of its own.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessingGuarantee } from '../../runtime/config.js';
import type { AdminClient, KafkaClient } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { int64Serde } from '../../serdes/serde.js';
import {
  benchApp,
  type BenchApp,
  type BenchOptions,
  BROKERS,
  CHANGELOG_CONFIGS,
  cleanUpApp,
  committedEnd,
  type CpuSplit,
  cpuIndexMs,
  GroupOffsets,
  inputValue,
  keyedRecord,
  log,
  MachineWatch,
  now,
  openProducer,
  PARTITIONS,
  partitionsOf,
  ProcessWatch,
  produceMany,
  removeDir,
  sleep,
  type SpawnedChild,
  spawnNode,
  tempStateDir,
  terminate,
  until,
} from './common.js';
import { formatSummary, type ProfileSummary, summarise } from './profile.js';
import type { Phase } from './instrumented-client.js';
import type { MemoryMb, RunnerMessage, RuntimeFigures } from './runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Compiled paths: this file runs as dist/bench/runtime/figures.js. */
const RUNNER = path.join(here, 'runner.js');
const WORKER = path.resolve(here, '../../test/fixtures/counter-worker.js');

export interface Context {
  readonly options: BenchOptions;
  readonly client: KafkaClient;
  readonly admin: AdminClient;
  readonly offsets: GroupOffsets;
  /** Apps whose topics and groups must be deleted at the end, and temp dirs to remove. */
  readonly apps: BenchApp[];
  readonly dirs: string[];
  /** Child processes still running (killed on an early exit). */
  readonly children: Set<SpawnedChild>;
}

function profileFor(context: Context, name: string): { dir: string; name: string } | undefined {
  return context.options.profile ? { dir: path.join(context.options.resultsDir, 'profiles'), name: `${name}.cpuprofile` } : undefined;
}

function readProfile(context: Context, name: string): ProfileSummary | undefined {
  const profile = profileFor(context, name);
  if (!profile) return undefined;
  try {
    const summary = summarise(path.join(profile.dir, profile.name), 20);
    log(`\n${formatSummary(summary)}`);
    return summary;
  } catch (error) {
    log(`no profile ${profile.name}: ${(error as Error).message}`);
    return undefined;
  }
}

export function runtimeEnv(app: BenchApp, stateDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: BROKERS.join(','),
    OMNIA_APPLICATION_ID: app.applicationId,
    OMNIA_STATE_DIR: stateDir,
    COUNTER_INPUT: app.input,
    COUNTER_OUTPUT: app.output,
    ...extra,
  };
  if (!('OMNIA_INSTANCE_ID' in extra)) delete env.OMNIA_INSTANCE_ID;
  return env;
}

/** A runner child with its IPC messages collected. */
function startRunner(context: Context, env: NodeJS.ProcessEnv, profileName: string, profileWindow: 'commits' | 'restore') {
  // The runner profiles its measured window itself (inspector), not its whole life.
  const profile = profileFor(context, profileName);
  const spawned = spawnNode(
    RUNNER,
    profile ? { ...env, BENCH_PROFILE_FILE: path.join(profile.dir, profile.name), BENCH_PROFILE_WINDOW: profileWindow } : env,
    { ipc: true },
  );
  context.children.add(spawned);
  void spawned.exited.then(() => context.children.delete(spawned));
  const messages: RunnerMessage[] = [];
  spawned.child.on('message', (message: RunnerMessage) => {
    messages.push(message);
    if (message.type === 'failed') log(`runtime failed: ${message.message}`);
  });
  const stop = async () => {
    if (spawned.child.connected) spawned.child.send('stop');
    const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 20_000);
    await spawned.exited;
    clearTimeout(timer);
  };
  /** Asks the runner for its phase timings or memory and waits for the answer. */
  const request = <T extends 'phases' | 'memory'>(
    type: T,
    message: string = type,
  ): Promise<Extract<RunnerMessage, { type: T }> | undefined> =>
    new Promise((resolve) => {
      if (!spawned.child.connected) return resolve(undefined);
      const timer = setTimeout(() => {
        spawned.child.off('message', listener);
        resolve(undefined);
      }, 5000);
      const listener = (answer: RunnerMessage) => {
        if (answer.type !== type) return;
        clearTimeout(timer);
        spawned.child.off('message', listener);
        resolve(answer as Extract<RunnerMessage, { type: T }>);
      };
      spawned.child.on('message', listener);
      spawned.child.send(message);
    });
  /** The runner's own account of why it failed, if it sent one. */
  const failure = () => messages.find((m): m is Extract<RunnerMessage, { type: 'failed' }> => m.type === 'failed')?.message;
  const stateAt = (state: string, after = 0) =>
    messages.find((m): m is Extract<RunnerMessage, { type: 'state' }> => m.type === 'state' && m.state === state && m.at >= after)?.at;
  return { spawned, messages, stop, stateAt, request, failure };
}

// ---------------------------------------------------------------- 1. throughput

export interface ThroughputResult {
  guarantee: ProcessingGuarantee;
  records: number;
  keys: number;
  valueBytes: number;
  /** Pre-produce rate of the input (not part of the figure). */
  inputProduceRecordsPerSec: number;
  /** The figure: input records committed between the first and the last commit, per second. */
  recordsPerSec: number;
  firstToLastCommitMs: number;
  /** Input records already committed when the first commit was seen (excluded from the figure). */
  committedAtFirstSeen: number;
  /** All N records over the time from the runtime reporting 'running' (group joined) to the last commit. */
  recordsPerSecFromRunning: number;
  /** Spawn of the runtime process to its first commit: process start, connections, join, restore of empty stores. */
  startupMs: number;
  /** Committed records in the output topic, counted after the run (exactly-once: must equal `records`). */
  outputRecords: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** CPU during the measured window, in cores: runtime process, broker, this process, everything else. */
  cpu: CpuSplit | undefined;
  /** cpuIndexMs() just before the run: how fast the machine was (lower is faster). */
  cpuIndexMs: number;
  /** Where the measured window went: wall time in client calls, commits and processors (see bench/runtime.md). */
  phases: PhaseBreakdown | undefined;
  /** process.memoryUsage() of the runtime process once all input was committed. */
  memory: MemoryMb | undefined;
  profile?: ProfileSummary | undefined;
}

export interface PhaseBreakdown {
  windowMs: number;
  /** consumer.poll: fetch round trips and record decoding in the client. */
  pollMs: number;
  /** producer.send + transaction steps (or consumer.commit under at-least-once). */
  produceAndCommitMs: number;
  /** Rest of the commits: collecting output and changelog records, flushing store buffers to the engines, checkpoints. */
  commitOtherMs: number;
  /** Inside processors, as the runtime's process-latency metric counts it. */
  processorMs: number;
  /** Window minus all of the above: the per-record work around processors (deserialise, savepoints, sinks, metrics) and the loop. */
  restMs: number;
  runtime: RuntimeFigures;
  raw: Record<string, Phase>;
}

function breakdown(windowMs: number, phases: Record<string, Phase>, runtime: RuntimeFigures): PhaseBreakdown {
  const ms = (name: string) => phases[name]?.ms ?? 0;
  const pollMs = ms('consumer.poll');
  const produceAndCommitMs =
    ms('producer.beginTransaction') +
    ms('producer.send') +
    ms('producer.sendOffsetsToTransaction') +
    ms('producer.commitTransaction') +
    ms('consumer.commit');
  const commitOtherMs = Math.max(0, runtime.commitMs - produceAndCommitMs);
  const rest = windowMs - pollMs - runtime.commitMs - runtime.processorMs;
  return {
    windowMs: Math.round(windowMs),
    pollMs,
    produceAndCommitMs,
    commitOtherMs,
    processorMs: runtime.processorMs,
    restMs: Math.round(rest),
    runtime,
    raw: phases,
  };
}

/** Counts the committed records of a topic without keeping them. */
async function countRecords(context: Context, topic: string): Promise<number> {
  const reader = context.client.partitionReader();
  try {
    const ends = await context.admin.endOffsets(partitionsOf(topic), true);
    let count = 0;
    for (const tp of partitionsOf(topic)) {
      const end = ends.get(tpKey(tp.topic, tp.partition)) ?? 0n;
      const start = await reader.startOffset(tp);
      if (start < end) await reader.read(tp, start, end, async (records) => void (count += records.length));
    }
    return count;
  } finally {
    await reader.close();
  }
}

/** A throughput run whose committed offsets do not move for this long is reported as stalled. */
const STALL_MS = 30_000;

export interface ThroughputInput {
  topic: string;
  produceRecordsPerSec: number;
}

/** The input of every throughput run: N records over K keys, produced once; each run reads it as a new group. */
export async function throughputInput(context: Context): Promise<ThroughputInput> {
  const { records, keys, valueBytes } = context.options;
  const app = benchAppFor(context, 'input');
  await context.admin.ensureTopics([{ topic: app.input, partitions: PARTITIONS }]);
  const producer = await openProducer(context.client);
  log(
    `throughput: producing ${records} input records over ${keys} keys (values of ${inputValue(0, valueBytes).length} bytes) to ${app.input}`,
  );
  const rate = await produceMany(producer, records, (i) => keyedRecord(app.input, `key-${i % keys}`, inputValue(i, valueBytes)));
  await producer.close();
  const inputEnd = await committedEnd(context.admin, app.input);
  if (inputEnd !== records) throw new Error(`input topic holds ${inputEnd} records, expected ${records}`);
  log(`throughput: input produced at ${rate} records/s`);
  return { topic: app.input, produceRecordsPerSec: rate };
}

export async function throughput(
  context: Context,
  guarantee: ProcessingGuarantee,
  input: ThroughputInput,
  run: number,
): Promise<ThroughputResult> {
  const { records, keys, valueBytes } = context.options;
  const app = benchAppFor(context, guarantee === 'exactly_once' ? 'eos' : 'alos', input.topic);
  await context.admin.ensureTopics([{ topic: app.output, partitions: PARTITIONS }]);
  const inputRate = input.produceRecordsPerSec;

  const cpuIndex = cpuIndexMs();
  const stateDir = await tempStateDir(guarantee);
  context.dirs.push(stateDir);
  const profileName = `throughput-${guarantee}-${run}`;
  const runner = startRunner(
    context,
    runtimeEnv(app, stateDir, { OMNIA_PROCESSING_GUARANTEE: guarantee, BENCH_EXPECT_PARTITIONS: String(PARTITIONS) }),
    profileName,
    'commits',
  );
  const watch = new ProcessWatch(runner.spawned.child.pid!);
  const machine = new MachineWatch(runner.spawned.child.pid!);
  log(
    `throughput ${guarantee}: runtime started (pid ${runner.spawned.child.pid}), polling committed offsets of group ${app.applicationId}`,
  );

  // Progress is the group's committed input offsets: exact under both guarantees (outputs are committed
  // with them under exactly-once, before them under at-least-once). Output end offsets also count
  // transaction markers, so they are only a cross-check.
  let first: { at: number; committed: number } | undefined;
  let done: number | undefined;
  let progress = { at: now(), committed: 0 };
  const deadline = now() + Math.max(120_000, (records / 2_000) * 1000);
  while (now() < deadline) {
    const committed = await context.offsets.committed(app.applicationId, app.input);
    const at = now();
    watch.sample();
    if (committed > 0 && !first) {
      first = { at, committed };
      if (runner.spawned.child.connected) runner.spawned.child.send('phases-reset');
      machine.mark('first', at);
    }
    if (committed >= records) {
      done = at;
      machine.mark('done', at);
      break;
    }
    if (runner.spawned.child.exitCode !== null)
      throw new Error(
        `runtime exited with ${runner.spawned.child.exitCode} before committing all input: ${runner.failure() ?? 'see its output above'}`,
      );
    if (committed > progress.committed) progress = { at, committed };
    else if (at - progress.at > STALL_MS) {
      await runner.stop();
      throw new Error(
        `no input committed for ${STALL_MS / 1000} s (stuck at ${committed} of ${records}; see the runtime's OMNIA_RETRY warnings above)`,
      );
    }
    await sleep(25);
  }
  if (!first || done === undefined) throw new Error(`throughput ${guarantee}: not all ${records} input records committed in time`);
  const running = runner.stateAt('running');
  const phases = await runner.request('phases');
  const memory = await runner.request('memory');
  await sleep(250);
  watch.sample();
  const rssEndMb = watch.lastRssMb;
  await runner.stop();
  await removeDir(stateDir);
  const outputRecords = await countRecords(context, app.output);
  // This run's topics and group go now, so later runs share the broker with as little as possible.
  await cleanUpApp(context.admin, app);
  context.apps.splice(context.apps.indexOf(app), 1);
  const firstToLast = done - first.at;
  const result: ThroughputResult = {
    guarantee,
    records,
    keys,
    valueBytes: inputValue(0, valueBytes).length,
    inputProduceRecordsPerSec: inputRate,
    recordsPerSec: firstToLast > 0 ? Math.round((records - first.committed) / (firstToLast / 1000)) : NaN,
    firstToLastCommitMs: Math.round(firstToLast),
    committedAtFirstSeen: first.committed,
    recordsPerSecFromRunning: running ? Math.round(records / ((done - running) / 1000)) : NaN,
    startupMs: Math.round(first.at - runner.spawned.spawnedAt),
    outputRecords,
    rssPeakMb: watch.peakRssMb,
    rssEndMb,
    cpu: machine.cores('first', 'done'),
    cpuIndexMs: cpuIndex,
    phases: phases ? breakdown(phases.at - first.at, phases.phases, phases.metrics) : undefined,
    memory: memory?.memory,
    profile: readProfile(context, profileName),
  };
  if (result.phases) {
    const p = result.phases;
    log(
      `throughput ${guarantee}: window ${p.windowMs} ms = poll ${p.pollMs} + produce/commit ${p.produceAndCommitMs} + other commit work ${p.commitOtherMs} + processors ${p.processorMs} + rest ${p.restMs}; ${p.runtime.commits} commits`,
    );
  }
  log(
    `throughput ${guarantee}: ${result.recordsPerSec} records/s (first→last commit ${result.firstToLastCommitMs} ms), outputs ${outputRecords}, RSS peak ${result.rssPeakMb} MB`,
  );
  if (guarantee === 'exactly_once' && outputRecords !== records)
    log(`WARNING: exactly-once run committed ${outputRecords} outputs for ${records} inputs`);
  return result;
}

function benchAppFor(context: Context, kind: string, input?: string): BenchApp {
  const app = benchApp(kind, input);
  context.apps.push(app);
  return app;
}

// ------------------------------------------------------ shared 1M-key changelog

export interface ChangelogFixture {
  app: BenchApp;
  keys: number;
  produceRecordsPerSec: number;
}

export const changelogKey = (i: number) => `key-${i}`;
/** Count stored for key i: lets the restart figure check that restored values are the ones produced. */
export const changelogValue = (i: number) => (i % 997) + 1;

/**
 * A changelog of `keys` distinct keys, written straight to `<app>-counts-changelog` (4 partitions, compacted)
 * with the store's encodings (UTF-8 string key, int64 value), each key in the partition the counter's
 * input would route it to. Source and sink topics are created too, empty.
 */
export async function changelogFixture(context: Context): Promise<ChangelogFixture> {
  const keys = context.options.restoreKeys;
  const app = benchAppFor(context, 'restore');
  await context.admin.ensureTopics([
    { topic: app.input, partitions: PARTITIONS },
    { topic: app.output, partitions: PARTITIONS },
    { topic: app.changelog, partitions: PARTITIONS, configs: CHANGELOG_CONFIGS },
  ]);
  const producer = await openProducer(context.client);
  log(`changelog: producing ${keys} distinct keys to ${app.changelog}`);
  const rate = await produceMany(
    producer,
    keys,
    (i) => keyedRecord(app.changelog, changelogKey(i), int64Serde.serialize(changelogValue(i)), Date.now()),
    20_000,
  );
  await producer.close();
  const end = await committedEnd(context.admin, app.changelog);
  if (end !== keys) throw new Error(`changelog holds ${end} records, expected ${keys}`);
  log(`changelog: ${keys} records at ${rate} records/s`);
  return { app, keys, produceRecordsPerSec: rate };
}

// ---------------------------------------------------------------- 2. restore

export interface RestoreResult {
  changelogRecords: number;
  changelogProduceRecordsPerSec: number;
  /** Records the runtime reports restored (omnia_restore_records_total). */
  restored: number;
  /** 'restoring' to 'running' with all four tasks restored. */
  restoreMs: number;
  /** The figure: restored / restoreMs. */
  recordsPerSec: number;
  /** runtime.start() ('starting') to all tasks restored: adds topic checks, producer init and the group join. */
  startToRestoredMs: number;
  recordsPerSecFromStart: number;
  /** Spawn of the process to all tasks restored (adds Node start-up and module loading). */
  spawnToRestoredMs: number;
  rssPeakMb: number;
  rssAfterMb: number;
  /** CPU from 'restoring' to restored, in cores: runtime process, broker, this process, everything else. */
  cpu: CpuSplit | undefined;
  cpuIndexMs: number;
  /** Restore split: fetching + decoding (reader.read minus its callbacks) and the engine writes (the callbacks). */
  fetchMs: number;
  writeMs: number;
  batches: number;
  /** process.memoryUsage() right after the restore, and after a forced GC (live data only). */
  memory: MemoryMb | undefined;
  memoryAfterGc: MemoryMb | undefined;
  profile?: ProfileSummary | undefined;
}

export async function restore(context: Context, fixture: ChangelogFixture, run: number): Promise<RestoreResult> {
  const cpuIndex = cpuIndexMs();
  const stateDir = await tempStateDir('restore');
  context.dirs.push(stateDir);
  const profileName = `restore-${run}`;
  const runner = startRunner(
    context,
    runtimeEnv(fixture.app, stateDir, {
      BENCH_EXPECT_PARTITIONS: String(PARTITIONS),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim(),
    }),
    profileName,
    'restore',
  );
  const pid = runner.spawned.child.pid!;
  const watch = new ProcessWatch(pid);
  const machine = new MachineWatch(pid);
  log(`restore: runtime started (pid ${pid}) on an empty state dir`);
  let restoringSeen = false;
  await until(
    'all tasks restored',
    () => {
      watch.sample();
      if (!restoringSeen && runner.stateAt('restoring') !== undefined) {
        restoringSeen = true;
        machine.mark('restoring', runner.stateAt('restoring'));
      }
      if (runner.spawned.child.exitCode !== null)
        throw new Error(
          `runtime exited with ${runner.spawned.child.exitCode} during restore: ${runner.failure() ?? 'see its output above'}`,
        );
      return runner.messages.some((m) => m.type === 'restored');
    },
    300_000,
    25,
  );
  const restored = runner.messages.find((m): m is Extract<RunnerMessage, { type: 'restored' }> => m.type === 'restored')!;
  machine.mark('restored');
  const restoringAt = runner.stateAt('restoring');
  const startingAt = runner.stateAt('starting') ?? runner.spawned.spawnedAt;
  if (restoringAt === undefined) throw new Error('the runtime never reported restoring');
  const memory = await runner.request('memory');
  await sleep(500);
  watch.sample();
  const rssAfterMb = watch.lastRssMb;
  const memoryAfterGc = await runner.request('memory', 'gc-memory');
  await runner.stop();
  await removeDir(stateDir);
  const restoreMs = restored.at - restoringAt;
  const read = restored.phases['reader.read'];
  const write = restored.phases['reader.onRecords'];
  const result: RestoreResult = {
    changelogRecords: fixture.keys,
    changelogProduceRecordsPerSec: fixture.produceRecordsPerSec,
    restored: restored.restored,
    restoreMs: Math.round(restoreMs),
    recordsPerSec: Math.round(restored.restored / (restoreMs / 1000)),
    startToRestoredMs: Math.round(restored.at - startingAt),
    recordsPerSecFromStart: Math.round(restored.restored / ((restored.at - startingAt) / 1000)),
    spawnToRestoredMs: Math.round(restored.at - runner.spawned.spawnedAt),
    rssPeakMb: watch.peakRssMb,
    rssAfterMb,
    cpu: machine.cores('restoring', 'restored'),
    cpuIndexMs: cpuIndex,
    fetchMs: (read?.ms ?? 0) - (write?.ms ?? 0),
    writeMs: write?.ms ?? 0,
    batches: write?.calls ?? 0,
    memory: memory?.memory,
    memoryAfterGc: memoryAfterGc?.memory,
    profile: readProfile(context, profileName),
  };
  log(
    `restore: fetch + decode ${result.fetchMs} ms, engine writes ${result.writeMs} ms, ${result.batches} batches; heap after restore ${result.memory?.heapUsed} MB used, ${result.memoryAfterGc?.heapUsed} MB after GC (RSS ${result.memoryAfterGc?.rss} MB)`,
  );
  log(`restore: ${result.restored} records in ${result.restoreMs} ms = ${result.recordsPerSec} records/s, RSS peak ${result.rssPeakMb} MB`);
  if (result.restored !== fixture.keys) log(`WARNING: restored ${result.restored} records of a ${fixture.keys}-record changelog`);
  return result;
}

// ---------------------------------------------------------------- 3. restart after SIGKILL

export interface RestartRound {
  /** Spawn to the worker printing "running <partitions>" (it owns at least one restored task). */
  spawnToRunningMs: number;
  /** The figure: spawn to the first output of the fresh input records committed. */
  spawnToFirstOutputMs: number;
  /** Spawn to the outputs of all four fresh records (one per partition) committed. */
  spawnToAllOutputsMs: number;
  rssMb: number;
}

export interface RestartResult {
  storeKeys: number;
  /** First start on an empty state dir: spawn to one output per partition committed (includes the full restore). */
  coldStartMs: number;
  /** Worker RSS after the cold start, restore and first records, idle (sampled over 2 s, last value). */
  rssSteadyMb: number;
  rssPeakMb: number;
  rounds: RestartRound[];
  medianSpawnToFirstOutputMs: number;
  maxSpawnToFirstOutputMs: number;
  /** The counts the restarted worker emitted match the produced changelog values plus the increments. */
  countsCorrect: boolean;
  profile?: ProfileSummary | undefined;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function restart(context: Context, fixture: ChangelogFixture): Promise<RestartResult> {
  const { app } = fixture;
  const stateDir = await tempStateDir('restart');
  context.dirs.push(stateDir);
  const env = runtimeEnv(app, stateDir, { OMNIA_INSTANCE_ID: `${app.applicationId}-replica-0` });
  // One existing key per partition: every task has to be processing for all four outputs to appear.
  const probes: Array<{ index: number; key: string; partition: number }> = [];
  for (let i = 0; probes.length < PARTITIONS && i < fixture.keys; i++) {
    const partition = partitionForKey(Buffer.from(changelogKey(i)), PARTITIONS);
    if (!probes.some((probe) => probe.partition === partition)) probes.push({ index: i, key: changelogKey(i), partition });
  }
  const producer = await openProducer(context.client);
  let seq = 0;
  const produceProbes = () => producer.send(probes.map((probe) => keyedRecord(app.input, probe.key, Buffer.from(`{"seq":${seq++}}`))));
  const outputEnds = async () => {
    const ends = await context.admin.endOffsets(partitionsOf(app.output), true);
    return partitionsOf(app.output).map((tp) => ends.get(tpKey(tp.topic, tp.partition)) ?? 0n);
  };
  /** Waits until every partition's committed output end moved past `before`; returns first and last times. */
  const awaitOutputs = async (worker: SpawnedChild, before: bigint[], timeoutMs: number) => {
    let firstAt: number | undefined;
    const seen = new Set<number>();
    const deadline = now() + timeoutMs;
    while (seen.size < PARTITIONS) {
      if (now() > deadline) throw new Error(`outputs of ${PARTITIONS - seen.size} partitions not committed within ${timeoutMs} ms`);
      if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}`);
      const ends = await outputEnds();
      const at = now();
      ends.forEach((end, partition) => {
        if (end > before[partition]!) seen.add(partition);
      });
      if (seen.size > 0) firstAt ??= at;
      if (seen.size < PARTITIONS) await sleep(10);
    }
    return { firstAt: firstAt!, allAt: now() };
  };
  const spawnWorker = (profile: boolean) => {
    const worker = spawnNode(WORKER, env, { profile: profile ? profileFor(context, 'restart-worker') : undefined });
    context.children.add(worker);
    void worker.exited.then(() => context.children.delete(worker));
    return worker;
  };
  const sampleRss = async (watch: ProcessWatch, ms: number) => {
    const until = now() + ms;
    while (now() < until) {
      watch.sample();
      await sleep(200);
    }
    watch.sample();
  };

  try {
    // Cold start: full restore of the changelog, then one record per partition.
    log(`restart: cold start of the counter worker (static member ${env.OMNIA_INSTANCE_ID}) on an empty state dir`);
    let worker = spawnWorker(context.options.restarts === 0 && context.options.profile);
    const coldWatch = new ProcessWatch(worker.child.pid!);
    let before = await outputEnds();
    await produceProbes();
    const sampling = setInterval(() => coldWatch.sample(), 100);
    const cold = await awaitOutputs(worker, before, 300_000).finally(() => clearInterval(sampling));
    const coldStartMs = Math.round(cold.allAt - worker.spawnedAt);
    await sampleRss(coldWatch, 2000);
    const rssSteadyMb = coldWatch.lastRssMb;
    let rssPeakMb = coldWatch.peakRssMb;
    log(`restart: cold start to outputs ${coldStartMs} ms, RSS steady ${rssSteadyMb} MB (peak ${rssPeakMb} MB)`);

    const rounds: RestartRound[] = [];
    for (let round = 0; round < context.options.restarts; round++) {
      worker.child.kill('SIGKILL');
      await worker.exited;
      before = await outputEnds();
      worker = spawnWorker(round === context.options.restarts - 1 && context.options.profile);
      const watch = new ProcessWatch(worker.child.pid!);
      const running = worker.line(/^running/, 120_000);
      running.catch(() => undefined);
      // The fresh records are produced right after the spawn, while the replica is still starting.
      await produceProbes();
      const sampling = setInterval(() => watch.sample(), 100);
      const outputs = await awaitOutputs(worker, before, 120_000).finally(() => clearInterval(sampling));
      const runningAt = await running;
      await sampleRss(watch, 1000);
      rssPeakMb = Math.max(rssPeakMb, watch.peakRssMb);
      const result: RestartRound = {
        spawnToRunningMs: Math.round(runningAt - worker.spawnedAt),
        spawnToFirstOutputMs: Math.round(outputs.firstAt - worker.spawnedAt),
        spawnToAllOutputsMs: Math.round(outputs.allAt - worker.spawnedAt),
        rssMb: watch.lastRssMb,
      };
      rounds.push(result);
      log(
        `restart ${round + 1}: SIGKILL → running ${result.spawnToRunningMs} ms, first output ${result.spawnToFirstOutputMs} ms, all outputs ${result.spawnToAllOutputsMs} ms, RSS ${result.rssMb} MB`,
      );
    }
    await terminate(worker);
    await producer.close();
    const profile = context.options.profile ? readProfile(context, 'restart-worker') : undefined;

    // Every probe key started at its changelog value: its outputs must count on from there.
    const outputs = await readOutputCounts(context, app.output);
    let countsCorrect = true;
    for (const probe of probes) {
      const expected = Array.from({ length: context.options.restarts + 1 }, (_, n) => changelogValue(probe.index) + n + 1);
      const got = outputs.get(probe.key) ?? [];
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        countsCorrect = false;
        log(`WARNING: key ${probe.key} counted ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }
    }
    const firsts = rounds.map((r) => r.spawnToFirstOutputMs);
    return {
      storeKeys: fixture.keys,
      coldStartMs,
      rssSteadyMb,
      rssPeakMb,
      rounds,
      medianSpawnToFirstOutputMs: firsts.length ? median(firsts) : NaN,
      maxSpawnToFirstOutputMs: firsts.length ? Math.max(...firsts) : NaN,
      countsCorrect,
      profile,
    };
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** key → counts in output order (small topics only). */
export async function readOutputCounts(context: Context, topic: string): Promise<Map<string, number[]>> {
  const reader = context.client.partitionReader();
  const out = new Map<string, number[]>();
  try {
    const ends = await context.admin.endOffsets(partitionsOf(topic), true);
    for (const tp of partitionsOf(topic)) {
      const end = ends.get(tpKey(tp.topic, tp.partition)) ?? 0n;
      const start = await reader.startOffset(tp);
      if (start >= end) continue;
      await reader.read(tp, start, end, async (records) => {
        for (const record of records) {
          const key = record.key!.toString();
          const { count } = JSON.parse(record.value!.toString()) as { count: number };
          out.set(key, [...(out.get(key) ?? []), count]);
        }
      });
    }
    return out;
  } finally {
    await reader.close();
  }
}
