/**
 * One run of one app: fresh topics, application id, group and state directory; the backlog produced before
 * the app starts; the catch-up timed by the group's committed input offsets from 25% to 100% of the backlog;
 * then the steady load, its latency measured by the probe; then the releases read back and checked. The
 * generator and the probe are processes of their own, and every process's CPU is read from /proc.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topics } from '../../topology/topics.js';
import type { AdminClient } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { BROKERS, brokerPid, log, round, sleep } from '../runtime/common.js';
import { type AppUnderTest, withWorkers } from './apps.js';
import { Child, type Line } from './child.js';
import { atCleanup } from './cleanup.js';
import { checkReleases, type Correctness } from './correctness.js';
import { committedInput, createRunTopics, produceReferenceData, releaseCounts, removeRunTopics } from './kafka.js';
import { joinLatency, type LatencyFigures } from './latency.js';
import type { VersusOptions } from './options.js';
import {
  busiestOthers,
  type CpuReading,
  type CpuUse,
  cpuBetween,
  processTree,
  readCpu,
  readEveryProcess,
  readMachine,
  readMemory,
  readTreeCpu,
  readTreeMemory,
} from './proc.js';

const GENERATOR = fileURLToPath(new URL('./generator.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));
/** How long after the last steady send the app may take to commit the last of it. */
const DRAIN_TIMEOUT_MS = 60_000;

type Watched = 'app' | 'generator' | 'probe' | 'broker' | 'bench' | 'machine';
interface Mark {
  readings: Partial<Record<Watched, CpuReading>>;
  /** Every process's CPU seconds, to name what else was busy. */
  every: Map<number, number>;
}

/** CPU of a window: each watched process (`bench` is the orchestrator), the machine, and the rest of it. */
export interface CpuSplit {
  cores: Partial<Record<Watched, CpuUse>>;
  /** % of one core used by every other process in the window (a build, a CI job): the runs' main noise. */
  otherPercentOfCore: number | undefined;
  busiestOthers: Array<{ pid: number; command: string; percentOfCore: number }>;
}

interface Memory {
  rssMb: number;
  /** For the app, the sum of each process's own peak: an upper bound on the tree's peak with workers. */
  peakRssMb: number;
  /** The app's processes summed (the primary and its workers). */
  processes?: number;
}

export interface RunResult {
  round: number;
  app: string;
  applicationId: string;
  startedAt: string;
  /** The app's stdout and stderr. */
  logFile: string;
  /** The environment settings the app was started with. */
  settings: Record<string, string>;
  backlog: { orders: number; valid: number; produceSeconds: number; producedPerSecond: number };
  startup: {
    /** Spawn → the app's "running" line (undefined when it printed none). */
    readySeconds: number | undefined;
    /** Spawn → the first committed input offset. */
    firstCommitSeconds: number;
  };
  catchUp: {
    /** The figure: orders committed between the first poll at ≥ 25% and the first at 100%, per second. */
    ordersPerSecond: number;
    measuredOrders: number;
    measuredSeconds: number;
    /** First commit → 100%, per second (start-up excluded, the first quarter included). */
    fromFirstCommitPerSecond: number;
    /** Spawn → 100%. */
    totalSeconds: number;
    /** CPU in the measured window. */
    cpu: CpuSplit;
    /** App CPU seconds (user + system) per 1,000 orders in the measured window. */
    appCpuSecondsPer1000: number;
    /** [seconds since spawn, committed input offsets], about one a second. */
    progress: Array<[number, number]>;
  };
  steady: {
    generator: Record<string, unknown>;
    probe: Record<string, unknown>;
    /** The app committed every steady order's input within DRAIN_TIMEOUT_MS of the last send. */
    drained: boolean;
    latency: LatencyFigures;
    /** CPU from the generator's first send to the drain. */
    cpu: CpuSplit;
    /** App CPU seconds per 1,000 orders under the steady load. */
    appCpuSecondsPer1000: number;
  };
  memory: { app?: Memory; generator?: Memory; probe?: Memory };
  correctness: Correctness;
}

const json = (line: Line): Record<string, unknown> => JSON.parse(line.text.replace(/^DONE /, '')) as Record<string, unknown>;

export async function runOnce(app: AppUnderTest, roundNo: number, options: VersusOptions, logDir: string): Promise<RunResult> {
  const applicationId = `versus-${app.name}-r${roundNo}-${randomUUID().slice(0, 6)}`;
  const prefix = `${applicationId}.`;
  const stateDir = path.join(os.tmpdir(), applicationId);
  const dataDir = path.join(os.tmpdir(), `${applicationId}-data`);
  const logFile = path.join(logDir, `${applicationId}.log`);
  const input = prefix + Topics.orderCreate;
  const { orders, partitions, seed } = options;
  const steadyOrders = options.rate * options.seconds;
  const client = new PlatformaticClient(BROKERS, 'versus-bench');
  const children: Child[] = [];
  const cleanUp = atCleanup(async () => {
    await Promise.all(children.map((child) => child.stop(15_000)));
    await removeRunTopics(client, applicationId, prefix);
    await rm(stateDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });
  const admin = client.admin();
  const startedAt = new Date().toISOString();
  const node = (name: string, script: string, args: string[]) => {
    const child = new Child(name, process.execPath, [script, ...args], process.env, path.join(logDir, `${applicationId}.${name}.log`));
    children.push(child);
    return child;
  };
  try {
    await mkdir(dataDir, { recursive: true });
    await mkdir(logDir, { recursive: true });
    await createRunTopics(client, prefix, partitions);
    await produceReferenceData(client, prefix);

    log(`${applicationId}: producing the backlog of ${orders} orders`);
    const backlogGenerator = node('backlog', GENERATOR, [
      `--topic=${input}`,
      `--partitions=${partitions}`,
      `--seed=${seed}`,
      '--from=0',
      `--count=${orders}`,
    ]);
    const backlog = json(await backlogGenerator.line(/^DONE /, 600_000));
    await backlogGenerator.stop();

    log(`${applicationId}: starting ${withWorkers(app.label, app.name, options.omniaWorkers)}`);
    const names = { applicationId, prefix, stateDir };
    const appProcess = app.start(names, options, logFile);
    children.push(appProcess);
    let readyAt: number | undefined;
    appProcess.line(app.ready, options.catchUpTimeoutSeconds * 1000).then(
      (line) => void (readyAt = line.at),
      () => undefined,
    );
    const broker = brokerPid();
    const watched = new Set<number>();
    const mark = (pids: Partial<Record<Watched, number | undefined>>): Mark => {
      const readings: Mark['readings'] = { machine: readMachine() };
      for (const [name, pid] of Object.entries({ ...pids, broker, bench: process.pid })) {
        if (pid === undefined) continue;
        if (name === 'app') {
          // The app may be a primary with forked workers: their CPU is the app's, not "other".
          const tree = processTree(pid);
          readings.app = readTreeCpu(pid, tree);
          for (const member of tree) watched.add(member);
        } else {
          readings[name as Watched] = readCpu(pid);
          watched.add(pid);
        }
      }
      return { readings, every: readEveryProcess() };
    };
    const between = (from: Mark, to: Mark): CpuSplit => {
      const cores: CpuSplit['cores'] = {};
      for (const name of Object.keys(to.readings) as Watched[]) {
        const use = cpuBetween(from.readings[name], to.readings[name]);
        if (use) cores[name] = use;
      }
      const { machine, ...processes } = cores;
      const known = Object.values(processes).reduce((sum, use) => sum + use.percentOfCore, 0);
      return {
        cores,
        otherPercentOfCore: machine ? round(Math.max(0, machine.percentOfCore - known), 1) : undefined,
        busiestOthers: machine ? busiestOthers(from.every, to.every, machine.wallSeconds, watched) : [],
      };
    };
    const appCpuPer1000 = (cpu: CpuSplit, count: number) =>
      cpu.cores.app ? round(((cpu.cores.app.userSeconds + cpu.cores.app.systemSeconds) / count) * 1000, 3) : NaN;

    const catchUp = await watchCatchUp(admin, appProcess, {
      applicationId,
      input,
      partitions,
      orders,
      timeoutMs: options.catchUpTimeoutSeconds * 1000,
      mark,
    });
    const catchUpCpu = between(catchUp.at25.mark, catchUp.at100.mark);
    const measuredOrders = catchUp.at100.committed - catchUp.at25.committed;
    const measuredSeconds = (catchUp.at100.at - catchUp.at25.at) / 1000;
    log(
      `${applicationId}: caught up; ${Math.round(measuredOrders / measuredSeconds)} orders/s from 25% to 100%; steady ${options.rate}/s for ${options.seconds} s`,
    );

    const probeFile = path.join(dataDir, 'probe.tsv');
    const generatorFile = path.join(dataDir, 'generator.tsv');
    const probe = node('probe', PROBE, [`--topic=${prefix}${Topics.release}`, `--partitions=${partitions}`, `--out=${probeFile}`]);
    await probe.line(/^READY$/, 60_000);
    const generator = node('generator', GENERATOR, [
      `--topic=${input}`,
      `--partitions=${partitions}`,
      `--seed=${seed}`,
      `--from=${orders}`,
      `--rate=${options.rate}`,
      `--seconds=${options.seconds}`,
      `--tick-ms=${options.tickMs}`,
      `--out=${generatorFile}`,
    ]);
    const pids = { app: appProcess.pid, generator: generator.pid, probe: probe.pid };
    await generator.line(/^READY$/, 60_000);
    const steadyFrom = mark(pids);
    const generated = json(await generator.line(/^DONE /, (options.seconds + 120) * 1000));
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    let drained = false;
    while (Date.now() < drainDeadline && appProcess.alive) {
      if ((await committedInput(admin, applicationId, input, partitions)) >= orders + steadyOrders) {
        drained = true;
        break;
      }
      await sleep(100);
    }
    if (!appProcess.alive) throw new Error(`${app.label} exited under the steady load${appProcess.tail()}`);
    if (!drained)
      log(`${applicationId}: ${app.label} had not committed every steady order ${DRAIN_TIMEOUT_MS / 1000} s after the last send`);
    // Its releases are committed with those offsets; the probe's long poll (≤ 100 ms) still has to bring them.
    await sleep(500);
    const steadyTo = mark(pids);
    // Read before the app stops: its workers' figures go with them.
    const memory = { app: readTreeMemory(appProcess.pid), generator: readMemory(generator.pid), probe: readMemory(probe.pid) };
    await generator.stop(10_000);
    await probe.stop(10_000);
    const probed = json(await probe.line(/^DONE /, 1000));
    log(`${applicationId}: stopping ${app.label}`);
    await appProcess.stop(30_000);

    const latency = await joinLatency(generatorFile, probeFile);
    const correctness = checkReleases(await releaseCounts(client, prefix, partitions), seed, orders, steadyOrders);
    const steadyCpu = between(steadyFrom, steadyTo);
    return {
      round: roundNo,
      app: app.name,
      applicationId,
      startedAt,
      logFile: path.relative(process.cwd(), logFile),
      settings: app.environment(names, options),
      backlog: {
        orders,
        valid: Number(backlog.valid),
        produceSeconds: Number(backlog.seconds),
        producedPerSecond: Number(backlog.ordersPerSecond),
      },
      startup: {
        readySeconds: readyAt === undefined ? undefined : round((readyAt - appProcess.spawnedAt) / 1000, 2),
        firstCommitSeconds: round((catchUp.firstCommitAt - appProcess.spawnedAt) / 1000, 2),
      },
      catchUp: {
        ordersPerSecond: measuredSeconds > 0 ? Math.round(measuredOrders / measuredSeconds) : NaN,
        measuredOrders,
        measuredSeconds: round(measuredSeconds, 2),
        fromFirstCommitPerSecond: Math.round(orders / ((catchUp.at100.at - catchUp.firstCommitAt) / 1000)),
        totalSeconds: round((catchUp.at100.at - appProcess.spawnedAt) / 1000, 2),
        cpu: catchUpCpu,
        appCpuSecondsPer1000: appCpuPer1000(catchUpCpu, measuredOrders),
        progress: catchUp.progress,
      },
      steady: {
        generator: generated,
        probe: probed,
        drained,
        latency,
        cpu: steadyCpu,
        appCpuSecondsPer1000: appCpuPer1000(steadyCpu, steadyOrders),
      },
      memory: {
        ...(memory.app ? { app: memory.app } : {}),
        ...(memory.generator ? { generator: memory.generator } : {}),
        ...(memory.probe ? { probe: memory.probe } : {}),
      },
      correctness,
    };
  } finally {
    await admin.close().catch(() => undefined);
    await cleanUp();
  }
}

interface Passing {
  at: number;
  committed: number;
  mark: Mark;
}

/** Polls the group's committed input offsets every 100 ms until they cover the whole backlog. */
async function watchCatchUp(
  admin: AdminClient,
  app: Child,
  run: {
    applicationId: string;
    input: string;
    partitions: number;
    orders: number;
    timeoutMs: number;
    mark: (pids: { app: number }) => Mark;
  },
): Promise<{ firstCommitAt: number; at25: Passing; at100: Passing; progress: Array<[number, number]> }> {
  const quarter = Math.ceil(run.orders / 4);
  const progress: Array<[number, number]> = [];
  let firstCommitAt: number | undefined;
  let at25: Passing | undefined;
  let lastProgress = 0;
  let lastLog = Date.now();
  for (;;) {
    if (!app.alive) throw new Error(`${app.name} exited during the catch-up${app.tail()}`);
    const committed = await committedInput(admin, run.applicationId, run.input, run.partitions);
    const at = Date.now();
    if (committed > 0) firstCommitAt ??= at;
    if (committed >= quarter && !at25) at25 = { at, committed, mark: run.mark({ app: app.pid }) };
    if (committed >= run.orders) {
      const at100 = { at, committed, mark: run.mark({ app: app.pid }) };
      progress.push([round((at - app.spawnedAt) / 1000, 1), committed]);
      return { firstCommitAt: firstCommitAt!, at25: at25!, at100, progress };
    }
    if (at - lastProgress >= 1000) {
      progress.push([round((at - app.spawnedAt) / 1000, 1), committed]);
      lastProgress = at;
    }
    if (at - lastLog >= 10_000) {
      log(`${run.applicationId}: ${committed} of ${run.orders} backlog orders committed`);
      lastLog = at;
    }
    if (at - app.spawnedAt > run.timeoutMs)
      throw new Error(
        `${app.name} committed ${committed} of ${run.orders} backlog orders in ${Math.round(run.timeoutMs / 1000)} s${app.tail()}`,
      );
    await sleep(100);
  }
}
