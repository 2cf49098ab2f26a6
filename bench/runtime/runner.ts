/**
 * The runtime process of the throughput and restore figures: the counter topology of
 * test/fixtures/counter-topology.ts on a StreamsRuntime, configured by the same environment as
 * test/fixtures/counter-worker.ts (OMNIA_* and COUNTER_INPUT / COUNTER_OUTPUT). Reports to the parent over
 * IPC, with wall-clock times: every state change, and once all BENCH_EXPECT_PARTITIONS tasks are restored
 * and processing, how many changelog records were restored. Answers "phases" (client call timings and
 * the runtime's commit / process latency totals) and "memory" requests, and stops cleanly on "stop" or
 * SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../runtime/config.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { counterTopology } from '../../test/fixtures/counter-topology.js';
import { now } from './common.js';
import { instrument, type Phase, PhaseClock } from './instrumented-client.js';

export type RunnerMessage =
  | { type: 'state'; state: string; at: number }
  | { type: 'restored'; at: number; restored: number; partitions: number[]; phases: Record<string, Phase> }
  | { type: 'memory'; at: number; memory: MemoryMb }
  | { type: 'phases'; at: number; phases: Record<string, Phase>; metrics: RuntimeFigures }
  | { type: 'failed'; message: string };

/** Totals from the runtime's own metrics (omnia_commits_total, omnia_commit_latency_seconds, omnia_process_latency_seconds). */
export interface RuntimeFigures {
  commits: number;
  aborted: number;
  /** Whole commits: transaction (or send + offsets) plus the flush of the store buffers to the engines. */
  commitMs: number;
  /** Time inside processors (per record, as the runtime measures it). */
  processorMs: number;
}

/** process.memoryUsage() in MB: where the RSS is (JS heap, Buffers, the rest is native: engines, code, stacks). */
export interface MemoryMb {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const send = (message: RunnerMessage) => process.send?.(message);

/**
 * CPU profile of exactly the measured window, when BENCH_PROFILE_FILE is set: BENCH_PROFILE_WINDOW=commits
 * profiles from the parent's "phases-reset" (first commit seen) to "phases" (all input committed);
 * =restore from start-up to all tasks restored.
 */
const profileFile = process.env.BENCH_PROFILE_FILE;
const profileWindow = process.env.BENCH_PROFILE_WINDOW ?? 'commits';
let session: Session | undefined;

async function startProfile(): Promise<void> {
  if (!profileFile || session) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
}

async function stopProfile(): Promise<void> {
  const current = session;
  if (!current || !profileFile) return;
  session = undefined;
  const { profile } = await current.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
  current.disconnect();
}

if (profileWindow === 'restore') await startProfile();

const config = loadConfig();
const expected = Number(process.env.BENCH_EXPECT_PARTITIONS ?? '1');
const clock = new PhaseClock();
const client = instrument(new PlatformaticClient(config.bootstrapServers, config.applicationId), clock);
const runtime = new StreamsRuntime(counterTopology(process.env.COUNTER_INPUT!, process.env.COUNTER_OUTPUT!), config, client);

async function runtimeFigures(): Promise<RuntimeFigures> {
  const metrics = runtime.metrics;
  const commits = (await metrics.commits.get()).values;
  const sumOf = async (metric: typeof metrics.commitLatency) =>
    (await metric.get()).values.filter((v) => v.metricName?.endsWith('_sum')).reduce((sum, v) => sum + v.value, 0);
  return {
    commits: commits.find((v) => v.labels.result === 'committed')?.value ?? 0,
    aborted: commits.find((v) => v.labels.result === 'aborted')?.value ?? 0,
    commitMs: Math.round((await sumOf(metrics.commitLatency)) * 1000),
    processorMs: Math.round((await sumOf(metrics.processLatency)) * 1000),
  };
}
let baseline: RuntimeFigures = { commits: 0, aborted: 0, commitMs: 0, processorMs: 0 };

let reported = false;
runtime.onStateChange((state) => {
  const at = now();
  send({ type: 'state', state, at });
  // 'running' follows 'restoring' once every task of an assignment has been created and restored.
  if (state === 'running' && !reported && runtime.ownedPartitions.length >= expected) {
    reported = true;
    void runtime.metrics.restored.get().then(async (metric) => {
      const restored = metric.values.reduce((sum, { value }) => sum + value, 0);
      const phases = clock.snapshot();
      if (profileWindow === 'restore') await stopProfile();
      send({ type: 'restored', at, restored, partitions: runtime.ownedPartitions, phases });
    });
  }
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  stopProfile()
    .catch(() => undefined)
    .then(() => runtime.stop())
    .then(
      () => process.exit(0),
      (error: Error) => {
        send({ type: 'failed', message: error.message });
        process.exit(1);
      },
    );
};
process.on('SIGTERM', stop);
process.on('message', (message) => {
  if (message === 'stop') stop();
  if (message === 'phases-reset') {
    // The parent saw the first commit: phases from here on cover its measured window.
    clock.reset();
    void runtimeFigures().then((figures) => (baseline = figures));
    if (profileWindow === 'commits') void startProfile();
  }
  if (message === 'phases') {
    const phases = clock.snapshot();
    const at = now();
    void (profileWindow === 'commits' ? stopProfile() : Promise.resolve()).then(runtimeFigures).then((figures) =>
      send({
        type: 'phases',
        at,
        phases,
        metrics: {
          commits: figures.commits - baseline.commits,
          aborted: figures.aborted - baseline.aborted,
          commitMs: figures.commitMs - baseline.commitMs,
          processorMs: figures.processorMs - baseline.processorMs,
        },
      }),
    );
  }
  if (message === 'memory' || message === 'gc-memory') {
    // 'gc-memory' first collects garbage (needs --expose-gc): what stays is live data, not garbage awaiting GC.
    if (message === 'gc-memory') (globalThis as { gc?: () => void }).gc?.();
    const usage = process.memoryUsage();
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    send({
      type: 'memory',
      at: now(),
      memory: {
        rss: mb(usage.rss),
        heapTotal: mb(usage.heapTotal),
        heapUsed: mb(usage.heapUsed),
        external: mb(usage.external),
        arrayBuffers: mb(usage.arrayBuffers),
      },
    });
  }
});
process.on('disconnect', stop);

try {
  await runtime.start();
} catch (error) {
  send({ type: 'failed', message: `start failed: ${(error as Error).name}: ${(error as Error).message}` });
  process.exit(1);
}
try {
  await runtime.whenStopped();
} catch (error) {
  send({ type: 'failed', message: (error as Error).message });
  process.exit(1);
}
