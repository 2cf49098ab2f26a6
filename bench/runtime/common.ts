/**
 * Shared pieces of the runtime benchmark: options, Kafka helpers (topics, fast produce, committed end
 * offsets, clean-up), child processes and their memory / CPU readings from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { changelogTopic } from '../../state/store-definition.js';
import { dlqTopic } from '../../runtime/dead-letter.js';
import type { AdminClient, KafkaClient, Producer, TopicPartition, TopicSpec } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .split(',')
  .map((entry) => entry.trim())
  .filter(Boolean);
export { brokerAnswers } from '../../test/kafka/harness.js';

export const PARTITIONS = 4;
/** Same settings the runtime gives the changelogs it creates itself. */
export const CHANGELOG_CONFIGS = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' } as const;

export type Figure = 'throughput' | 'restore' | 'restart' | 'failover';
export const FIGURES: readonly Figure[] = ['throughput', 'restore', 'restart', 'failover'];

export interface BenchOptions {
  /** Input records of each throughput run. */
  records: number;
  /** Distinct keys of the throughput input. */
  keys: number;
  /** Size of each throughput input value: JSON {"seq":n,"pad":"…"} padded to this many bytes. */
  valueBytes: number;
  /** Distinct keys (= changelog records) of the restore and restart figures. */
  restoreKeys: number;
  /** SIGKILL + restart rounds of the restart figure. */
  restarts: number;
  /** Runs of each throughput guarantee and of the restore (the table shows the median). */
  repeat: number;
  figures: Figure[];
  /** Guarantees the throughput figure runs under. */
  guarantees: Array<'exactly_once' | 'at_least_once'>;
  /** Run the runtime processes under `node --cpu-prof` and summarise the profiles. */
  profile: boolean;
  /** Where JSON results (and profiles) go. */
  resultsDir: string;
}

const OPTION_DOC: Array<[string, string, string]> = [
  ['--records=N', 'RUNTIME_BENCH_RECORDS', 'input records per throughput run (default 300000)'],
  ['--keys=N', 'RUNTIME_BENCH_KEYS', 'distinct keys of the throughput input (default 10000)'],
  ['--value-bytes=N', 'RUNTIME_BENCH_VALUE_BYTES', 'bytes of each throughput input value (default 100; 1 = bare {"seq":n})'],
  ['--restore-keys=N', 'RUNTIME_BENCH_RESTORE_KEYS', 'changelog records / distinct keys for restore and restart (default 1000000)'],
  ['--restarts=N', 'RUNTIME_BENCH_RESTARTS', 'SIGKILL + restart rounds (default 3)'],
  [
    '--repeat=N',
    'RUNTIME_BENCH_REPEAT',
    'runs of each throughput guarantee and of the restore; median reported (default 5, 1 with --profile)',
  ],
  ['--figures=a,b', 'RUNTIME_BENCH_FIGURES', 'subset of throughput,restore,restart,failover (default all)'],
  ['--guarantees=a,b', 'RUNTIME_BENCH_GUARANTEES', 'subset of exactly_once,at_least_once (default both)'],
  ['--profile', 'RUNTIME_BENCH_PROFILE=1', 'CPU-profile the runtime processes (measured windows) and print summaries'],
];

export function usage(): string {
  return [
    'usage: node dist/bench/runtime.js [options]   (or: npm run bench -- [options])',
    ...OPTION_DOC.map(([flag, env, doc]) => `  ${flag.padEnd(18)} ${env.padEnd(26)} ${doc}`),
  ].join('\n');
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${usage()}`);
    flags.set(match[1]!, match[2] ?? 'true');
  }
  const known = new Set([
    'records',
    'keys',
    'value-bytes',
    'restore-keys',
    'restarts',
    'repeat',
    'figures',
    'guarantees',
    'profile',
    'help',
  ]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}\n${usage()}`);
  const raw = (flag: string, variable: string) => flags.get(flag) ?? env[variable];
  const int = (flag: string, variable: string, fallback: number) => {
    const value = raw(flag, variable);
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value.replaceAll('_', ''));
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${flag} / ${variable} must be a positive integer, got "${value}"`);
    return parsed;
  };
  const list = <T extends string>(flag: string, variable: string, allowed: readonly T[]): T[] => {
    const value = raw(flag, variable);
    if (value === undefined || value === '') return [...allowed];
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items)
      if (!allowed.includes(item as T)) throw new Error(`--${flag} / ${variable}: "${item}" is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  const profileRaw = raw('profile', 'RUNTIME_BENCH_PROFILE');
  const profile = profileRaw !== undefined && profileRaw !== '' && profileRaw !== '0' && profileRaw !== 'false';
  return {
    records: int('records', 'RUNTIME_BENCH_RECORDS', 300_000),
    keys: int('keys', 'RUNTIME_BENCH_KEYS', 10_000),
    valueBytes: int('value-bytes', 'RUNTIME_BENCH_VALUE_BYTES', 100),
    restoreKeys: int('restore-keys', 'RUNTIME_BENCH_RESTORE_KEYS', 1_000_000),
    restarts: int('restarts', 'RUNTIME_BENCH_RESTARTS', 3),
    // Profiled runs are slower and their summaries long: one of each unless asked otherwise.
    repeat: int('repeat', 'RUNTIME_BENCH_REPEAT', profile ? 1 : 5),
    figures: list('figures', 'RUNTIME_BENCH_FIGURES', FIGURES),
    guarantees: list('guarantees', 'RUNTIME_BENCH_GUARANTEES', ['exactly_once', 'at_least_once'] as const),
    profile,
    resultsDir: path.resolve('bench/results'),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function benchClient(): KafkaClient {
  return new PlatformaticClient(BROKERS, 'omnia-bench');
}

/** Topic names of one benchmark application (one counter topology, one consumer group). */
export interface BenchApp {
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  readonly changelog: string;
  /** Every topic the app or the runtime creates: deleted at the end. */
  readonly topics: string[];
}

/** `input`: read an existing topic (shared by several runs) instead of the app's own. */
export function benchApp(kind: string, sharedInput?: string): BenchApp {
  const applicationId = `bench-runtime-${kind}-${randomUUID()}`;
  const input = sharedInput ?? `${applicationId}-in`;
  const output = `${applicationId}-out`;
  const changelog = changelogTopic(applicationId, 'counts');
  // A shared input and its dead-letter topic belong to the app that created the input.
  const own = sharedInput === undefined ? [input, dlqTopic(input)] : [];
  return { applicationId, input, output, changelog, topics: [...own, output, changelog] };
}

export async function createTopics(admin: AdminClient, specs: TopicSpec[]): Promise<void> {
  await admin.ensureTopics(specs);
}

/** Deletes the app's topics and its consumer group (best effort: a failure is logged, not thrown). */
export async function cleanUpApp(admin: AdminClient, app: BenchApp): Promise<void> {
  const existing = await admin.partitionCounts(app.topics).catch(() => new Map<string, number>());
  const topics = app.topics.filter((topic) => existing.has(topic));
  await admin.deleteTopics(topics).catch((error: Error) => log(`could not delete topics of ${app.applicationId}: ${error.message}`));
  const raw = new Admin({ clientId: 'omnia-bench', bootstrapBrokers: BROKERS, retries: 2, retryDelay: 250, timeout: 10_000 });
  try {
    const groups = await raw.listGroups().catch(() => new Map<string, unknown>());
    if (groups.has(app.applicationId)) {
      // A static member stays in the group after its process ends; remove it so the group can go.
      await raw.removeMembersFromConsumerGroup({ groupId: app.applicationId }).catch(() => undefined);
      await raw
        .deleteGroups({ groups: [app.applicationId] })
        .catch((error: Error) => log(`could not delete group ${app.applicationId}: ${error.message}`));
    }
  } finally {
    await raw.close().catch(() => undefined);
  }
}

export function partitionsOf(topic: string): TopicPartition[] {
  return Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
}

/** Sum of the committed (read_committed) end offsets of a topic's partitions. */
export async function committedEnd(admin: AdminClient, topic: string): Promise<number> {
  const ends = await admin.endOffsets(partitionsOf(topic), true);
  let total = 0n;
  for (const { partition } of partitionsOf(topic)) total += ends.get(tpKey(topic, partition)) ?? 0n;
  return Number(total);
}

/** An idempotent producer, initialised: sends are awaited one after another (concurrent sends are unsafe with the client). */
export async function openProducer(client: KafkaClient): Promise<Producer> {
  const producer = client.producer({});
  await producer.init();
  return producer;
}

/**
 * Produces `count` records built by `make(i)` in sends of `chunk`, each awaited before the next.
 * Returns records per second of the whole produce.
 */
export async function produceMany(producer: Producer, count: number, make: (i: number) => ProducedRecord, chunk = 10_000): Promise<number> {
  const started = now();
  for (let base = 0; base < count; base += chunk) {
    const batch: ProducedRecord[] = [];
    for (let i = base; i < Math.min(count, base + chunk); i++) batch.push(make(i));
    await producer.send(batch);
  }
  return Math.round(count / ((now() - started) / 1000));
}

/** The counter's input value for sequence number `seq`: `{"seq":n}`, padded with a "pad" field to `bytes` when that is longer. */
export function inputValue(seq: number, bytes: number): Buffer {
  const bare = `{"seq":${seq}}`;
  const head = `{"seq":${seq},"pad":"`;
  const room = bytes - head.length - 2;
  return Buffer.from(room < 0 ? bare : `${head}${'x'.repeat(room)}"}`);
}

export function keyedRecord(topic: string, key: string, value: Buffer, timestamp = Date.now()): ProducedRecord {
  const keyBytes = Buffer.from(key, 'utf8');
  return { topic, partition: partitionForKey(keyBytes, PARTITIONS), key: keyBytes, value, timestamp, headers: {} };
}

export async function tempStateDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `omnia-bench-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Resident set size of a process in MB from /proc/<pid>/status (VmRSS), undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command name start at field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The local broker's process id when it was started by scripts/kafka-local.sh from this checkout. */
export function brokerPid(): number | undefined {
  try {
    const pid = Number(readFileSync(path.resolve(process.env.OMNIA_KAFKA_DIR ?? '.kafka', 'broker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && cpuSeconds(pid) !== undefined ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds a fixed single-threaded JavaScript loop takes right now: a speed index of the CPU this process
 * gets. On a shared or virtual machine it moves between runs (other tenants, frequency), and every runtime
 * figure moves with it; lower is faster.
 */
export function cpuIndexMs(): number {
  const started = performance.now();
  let x = 0;
  for (let i = 0; i < 100_000_000; i++) x = (x + i * 31) % 1_000_003;
  const ms = performance.now() - started;
  return x < 0 ? -1 : Math.round(ms);
}

/** Busy CPU seconds of the whole machine so far (all processes), from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU of the machine between two marks, split into the runtime process, the broker, this benchmark process
 * and everything else: on a shared machine "other" explains much of the run-to-run spread.
 */
export class MachineWatch {
  private marks = new Map<string, { at: number; machine?: number; runtime?: number; broker?: number; self?: number }>();
  private readonly broker = brokerPid();

  constructor(private readonly runtimePid: number) {}

  mark(name: string, at = now()): void {
    this.marks.set(name, {
      at,
      machine: machineBusySeconds(),
      runtime: cpuSeconds(this.runtimePid),
      broker: this.broker === undefined ? undefined : cpuSeconds(this.broker),
      self: cpuSeconds(process.pid),
    });
  }

  /** Cores used between two marks; undefined parts were not readable. */
  cores(from: string, to: string): CpuSplit | undefined {
    const a = this.marks.get(from);
    const b = this.marks.get(to);
    if (!a || !b || b.at <= a.at) return undefined;
    const seconds = (b.at - a.at) / 1000;
    const delta = (key: 'machine' | 'runtime' | 'broker' | 'self') =>
      a[key] === undefined || b[key] === undefined ? undefined : Math.round(((b[key]! - a[key]!) / seconds) * 100) / 100;
    const machine = delta('machine');
    const runtime = delta('runtime');
    const broker = delta('broker');
    const bench = delta('self');
    const other =
      machine === undefined ? undefined : Math.max(0, Math.round((machine - (runtime ?? 0) - (broker ?? 0) - (bench ?? 0)) * 100) / 100);
    return { machine, runtime, broker, bench, other };
  }
}

export interface CpuSplit {
  /** All processes. */
  machine: number | undefined;
  runtime: number | undefined;
  broker: number | undefined;
  /** The benchmark process itself (polling offsets, reading /proc). */
  bench: number | undefined;
  /** Everything else running on the machine at the time. */
  other: number | undefined;
}

/** Tracks a process's RSS: peak and last sample. */
export class ProcessWatch {
  peakRssMb = 0;
  lastRssMb = 0;

  constructor(readonly pid: number) {}

  sample(): void {
    const rss = rssMb(this.pid);
    if (rss === undefined) return;
    this.lastRssMb = rss;
    if (rss > this.peakRssMb) this.peakRssMb = rss;
  }
}

export interface SpawnedChild {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  readonly exited: Promise<number | null>;
  /** Resolves with the time the first stdout line matching `pattern` arrived. */
  line(pattern: RegExp, timeoutMs: number): Promise<number>;
}

/** Spawns a Node script, optionally under --cpu-prof, with stderr passed through and stdout watched line by line. */
export function spawnNode(
  script: string,
  env: NodeJS.ProcessEnv,
  options: { ipc?: boolean; profile?: { dir: string; name: string } } = {},
): SpawnedChild {
  const args = options.profile
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profile.dir}`, `--cpu-prof-name=${options.profile.name}`, script]
    : [script];
  const spawnedAt = now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])] });
  const lines: Array<{ text: string; at: number }> = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const at = now();
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push({ text: buffered.slice(0, newline), at });
      buffered = buffered.slice(newline + 1);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    spawnedAt,
    exited,
    line: (pattern, timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`no line matching ${pattern} from ${path.basename(script)} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        let gone = false;
        void exited.then(() => {
          gone = true;
          check();
        });
        const check = () => {
          const hit = lines.find((line) => pattern.test(line.text));
          if (hit) {
            clearTimeout(deadline);
            resolve(hit.at);
          } else if (gone) {
            clearTimeout(deadline);
            reject(new Error(`${path.basename(script)} exited before printing a line matching ${pattern}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
export async function terminate(spawned: SpawnedChild, graceMs = 15_000): Promise<void> {
  if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  spawned.child.kill('SIGTERM');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), graceMs);
  await spawned.exited;
  clearTimeout(timer);
}

/** Polls `condition` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if (await condition()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Committed offsets of a consumer group, read with the client's admin API (not part of the runtime's AdminClient). */
export class GroupOffsets {
  private readonly admin = new Admin({ clientId: 'omnia-bench', bootstrapBrokers: BROKERS, retries: 3, retryDelay: 100, timeout: 10_000 });

  /** Sum over the topic's partitions of the group's committed offsets (0 where nothing is committed). */
  async committed(groupId: string, topic: string): Promise<number> {
    const groups = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitionsOf(topic).map((tp) => tp.partition) }] }],
    });
    let total = 0n;
    for (const group of groups) {
      for (const entry of group.topics) {
        if (entry.name !== topic) continue;
        for (const partition of entry.partitions) if (partition.committedOffset > 0n) total += partition.committedOffset;
      }
    }
    return Number(total);
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}
