/**
 * Scale-out and broker failure on this machine: the order pipeline on three local brokers (replication 3,
 * min.insync.replicas 2; scripts/kafka-cluster.sh), under a steady load with a peak, while `omnia start` replicas
 * go 1 → 3 → 1 as KEDA would move them and one broker is killed (SIGKILL) and brought back. Every output is then
 * checked exactly once against an in-process replay of the same input. Method and figures: bench/scale-out.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scale-out.js [--rate=400] [--burst=30000] [--down-seconds=25] …
 *   node dist/bench/scale-out.js --help
 *
 * The cluster is started when it is not up (and stopped at the end only then). Results: a summary on stdout, the
 * whole run (every sample, event, step, phase) in bench/results/scale-out-<time>.json, each replica's log beside it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { parseMemberMetadata } from '../runtime/member-metadata.js';
import { changelogTopic } from '../state/store-definition.js';
import { Stores, Topics } from '../topology/topics.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import type { AdminClient } from '../topology/kafka/client.js';
import { produce } from '../test/kafka/harness.js';
import {
  createReplicatedTopics,
  LocalCluster,
  OrderLoad,
  referenceRecords,
  Replicas,
  type Replica,
  sourceTopics,
  verifyExactlyOnce,
  type ExactlyOnceReport,
} from '../test/kafka/cluster-harness.js';
import { CpuWatch, type Pids } from './cpu-watch.js';
import { Hpa, LagProbe, readScaledObject, recommendation, triggerMetric, type ScaledObjectSpec } from './scale-out/keda.js';
import { cpuSeconds } from './runtime/common.js';
import {
  capacityByReplicas,
  commitRate,
  EndHistory,
  type LagSample,
  levelBefore,
  peakCommitRate,
  recoveryAfter,
  type Recovery,
} from './scale-out/series.js';

// ------------------------------------------------------------------------------------------------ options

interface Options {
  rate: number;
  partitions: number;
  capacityOrders: number;
  warmupSeconds: number;
  burst: number;
  killNode: 'coordinator' | 'other' | 1 | 2 | 3;
  killAfterSeconds: number;
  downSeconds: number;
  tailSeconds: number;
  pollMs: number;
  minReplicas: number;
  maxReplicas: number;
  scaleDownWindowSeconds: number;
  scaleDownPeriodSeconds: number;
  sessionTimeoutMs: number;
  stuckSeconds: number;
  drainSeconds: number;
  keep: boolean;
}

const OPTIONS: Array<[keyof Options, string, string, string]> = [
  ['rate', '--rate=N', '400', 'steady orders/s for the whole run'],
  ['partitions', '--partitions=N', '6', 'partitions of every source topic (tasks; KEDA never asks for more replicas)'],
  [
    'capacityOrders',
    '--capacity-orders=N',
    '20000',
    'orders produced before the first replica starts: what one replica commits per second',
  ],
  ['warmupSeconds', '--warmup-seconds=N', '30', 'steady load on one replica before the peak'],
  ['burst', '--burst=N', '30000', 'orders of the peak, sent at once on top of the steady rate'],
  [
    'killNode',
    '--kill-node=coordinator|other|1|2|3',
    'coordinator',
    'broker to kill: the group coordinator’s, one that coordinates neither the group nor a replica’s transactions (or the fewest), or a node',
  ],
  ['killAfterSeconds', '--kill-after-seconds=N', '10', 'after the peak is absorbed at the highest replica count'],
  ['downSeconds', '--down-seconds=N', '25', 'how long the broker stays down'],
  ['tailSeconds', '--tail-seconds=N', '20', 'steady load after the scale-down, before the load stops'],
  ['pollMs', '--poll-ms=N', '1000', 'how often the lag is read and the HPA decides (KEDA: 30 s, HPA: 15 s)'],
  ['minReplicas', '--min-replicas=N', '1', 'minReplicaCount here (the manifest: 2)'],
  ['maxReplicas', '--max-replicas=N', '3', 'maxReplicaCount here (the manifest: 12)'],
  ['scaleDownWindowSeconds', '--scale-down-window-seconds=N', '120', 'scale-down stabilization window (the manifest: 600)'],
  ['scaleDownPeriodSeconds', '--scale-down-period-seconds=N', '15', 'one pod removed per period (the manifest: 300)'],
  ['sessionTimeoutMs', '--session-timeout-ms=N', '30000', 'OMNIA_SESSION_TIMEOUT_MS of the replicas (deploy/k8s/base/config.env)'],
  ['stuckSeconds', '--stuck-seconds=N', '60', 'a replica whose tasks commit nothing this long with lag waiting is deleted (the runbook)'],
  ['drainSeconds', '--drain-seconds=N', '120', 'how long to wait, once the load stops, for every order to be committed'],
  ['keep', '--keep', 'off', 'keep the run’s topics and group on the cluster'],
];

function usage(): string {
  return [
    'usage: node dist/bench/scale-out.js [options]   (environment: SCALE_BENCH_<OPTION>, e.g. SCALE_BENCH_RATE=300)',
    ...OPTIONS.map(([, flag, fallback, doc]) => `  ${flag.padEnd(34)} ${doc} (default ${fallback})`),
  ].join('\n');
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const given = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help') {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${usage()}`);
    given.set(match[1]!, match[2] ?? 'true');
  }
  const options: Record<string, unknown> = {};
  for (const [key, flag, fallback] of OPTIONS) {
    const name = flag.replace(/^--/, '').replace(/=.*/, '');
    const variable = `SCALE_BENCH_${name.toUpperCase().replaceAll('-', '_')}`;
    const raw = given.get(name) ?? env[variable] ?? fallback;
    given.delete(name);
    if (key === 'keep') options[key] = raw !== 'off' && raw !== '0' && raw !== 'false';
    else if (key === 'killNode') {
      if (!['coordinator', 'other', '1', '2', '3'].includes(raw)) throw new Error(`${flag}: "${raw}"`);
      options[key] = raw === 'coordinator' || raw === 'other' ? raw : Number(raw);
    } else {
      const value = Number(raw.replaceAll('_', ''));
      if (!Number.isFinite(value) || value < 0) throw new Error(`${flag} / ${variable} must be a number ≥ 0, got "${raw}"`);
      options[key] = value;
    }
  }
  if (given.size) throw new Error(`unknown option --${[...given.keys()][0]}\n${usage()}`);
  return options as unknown as Options;
}

// ------------------------------------------------------------------------------------------------ helpers

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (message: string) => process.stderr.write(`[scale-out ${new Date().toISOString().slice(11, 23)}] ${message}\n`);

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(intervalMs);
  }
  log(`gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
  return false;
}

interface TimelineEvent {
  at: number;
  what: string;
  detail?: unknown;
}

interface GroupView {
  at: number;
  state: string;
  /** order.create.v1 partition → instance that owns it. */
  owners: Map<number, string>;
  members: string[];
}

/** What one scale step cost: the group settling on the new count and the moved tasks restored. */
interface ScaleStep {
  from: number;
  to: number;
  at: number;
  /** Scale-down: SIGTERM → the replica's exit. */
  exitMs?: number;
  /** → the group had the new member count (first seen). */
  membersMs?: number;
  /** → the group stable, every task owned, every moved task restored by its new owner. */
  doneMs?: number;
  /** Tasks that changed owner. */
  moved: number[];
  /** Per replica that took tasks: restoring → running, ms (the restore of its new tasks' stores). */
  restoreMs: Record<string, number>;
  /** Lag and seconds behind after the step, until it was back at the level before it. */
  recovery?: Recovery;
}

interface Phase {
  name: string;
  from: number;
  to: number;
  cores: Record<string, number>;
  machine: Record<string, number>;
  otherProcesses: Array<{ pid: number; command: string; cores: number }>;
}

/** Cores per process between events, each stretch with its own CpuWatch (a process that dies mid-stretch is left out). */
class Phases {
  readonly done: Phase[] = [];
  private current: { name: string; from: number; watch: CpuWatch } | undefined;

  constructor(private readonly pids: () => Record<string, Pids>) {}

  async next(name: string): Promise<void> {
    this.finish();
    const watch = new CpuWatch(this.pids(), 'bench');
    await watch.start();
    this.current = { name, from: Date.now(), watch };
  }

  finish(): void {
    if (!this.current) return;
    const cores = this.current.watch.stop();
    this.done.push({
      name: this.current.name,
      from: this.current.from,
      to: Date.now(),
      cores,
      machine: this.current.watch.machine,
      otherProcesses: this.current.watch.otherProcesses,
    });
    this.current = undefined;
  }
}

/**
 * Each process's CPU over its whole life in the run, read once per poll from /proc (the last reading before it
 * exits counts): a replica from its spawn (CPU 0 then), a broker from the first reading.
 */
class LifetimeCpu {
  private readonly seen = new Map<number, { name: string; from: number; fromCpu: number; last: number; lastCpu: number }>();

  sample(name: string, pid: number | undefined, spawnedAt?: number): void {
    if (pid === undefined) return;
    const cpu = cpuSeconds(pid);
    if (cpu === undefined) return;
    const now = Date.now();
    const entry = this.seen.get(pid);
    if (entry) {
      entry.last = now;
      entry.lastCpu = cpu;
    } else this.seen.set(pid, { name, from: spawnedAt ?? now, fromCpu: spawnedAt === undefined ? cpu : 0, last: now, lastCpu: cpu });
  }

  report(): Array<{ name: string; pid: number; seconds: number; cpuSeconds: number; cores: number }> {
    return [...this.seen]
      .map(([pid, entry]) => {
        const seconds = (entry.last - entry.from) / 1000;
        const used = entry.lastCpu - entry.fromCpu;
        return {
          name: entry.name,
          pid,
          seconds: round(seconds),
          cpuSeconds: round(used),
          cores: seconds > 0 ? round(used / seconds, 2) : 0,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name) || a.pid - b.pid);
  }
}

// ------------------------------------------------------------------------------------------------ the run

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const manifest = readScaledObject(path.resolve('deploy/k8s/base/keda.yaml'));
  const cluster = LocalCluster.standard();
  const startedCluster = !(await cluster.script('status').then(
    () => true,
    () => false,
  ));
  if (startedCluster) log((await cluster.start()).split('\n').at(-1)!);
  const brokers = cluster.brokers;
  const app = `scale-out-${randomUUID().slice(0, 8)}`;
  const prefix = `${app}.`;
  const orderTopic = prefix + Topics.orderCreate;
  const stateRoot = path.join(os.tmpdir(), app);
  const resultsDir = path.resolve('bench/results');
  const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
  const logs = path.join(resultsDir, `scale-out-${stamp}-logs`);
  await mkdir(logs, { recursive: true });
  const client = new PlatformaticClient(brokers, app);
  log(`run ${app} on ${brokers.join(',')}; ${JSON.stringify(options)}`);

  const replicas = new Replicas({
    brokers,
    applicationId: app,
    prefix,
    stateRoot,
    env: { OMNIA_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs) },
    logDir: logs,
  });
  const leaving = new Set<Replica>();
  let cleaned = false;
  let monitoringCrashes = 0;
  const cleanUp = async () => {
    if (cleaned) return;
    cleaned = true;
    await replicas.killAll();
    await rm(stateRoot, { recursive: true, force: true });
    if (!options.keep) await removeRun(brokers, app, prefix).catch((error: Error) => log(`clean-up: ${error.message}`));
    if (startedCluster) log(await cluster.stop().catch((error: Error) => error.message));
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  // Replicas never outlive the bench, however it ends.
  process.once('exit', () => {
    for (const replica of replicas.live) replica.child.kill('SIGKILL');
  });
  // The bench's own Kafka clients (the lag probe, the group watch) meet the client library's crash when a
  // coordinator's broker vanishes (bench/scale-out.md, "What misbehaved"); what they were doing is retried with a
  // new client, and the run goes on. Anything else ends the run.
  process.on('uncaughtException', (error) => {
    if (!String(error.stack).includes('@platformatic/kafka')) {
      process.stderr.write(`scale-out bench failed: ${error.stack ?? String(error)}\n`);
      process.exit(1);
    }
    monitoringCrashes++;
    log(`a monitoring client of the bench threw from a callback (${error.message}); its request is retried with a new client`);
  });

  try {
    await createReplicatedTopics(client, prefix, options.partitions);
    await produce(client, referenceRecords(prefix));
    const sources = sourceTopics(prefix);
    const triggers = manifest.triggers.map((trigger) => ({ ...trigger, topic: prefix + trigger.topic }));
    const unknown = triggers.filter((trigger) => !sources.includes(trigger.topic));
    if (unknown.length) throw new Error(`KEDA triggers on topics the topology does not read: ${unknown.map((t) => t.topic).join(', ')}`);

    const events: TimelineEvent[] = [];
    const event = (what: string, detail?: unknown) => {
      events.push({ at: Date.now(), what, ...(detail !== undefined ? { detail } : {}) });
      log(`${what}${detail !== undefined ? ` ${JSON.stringify(detail)}` : ''}`);
    };
    const phases = new Phases(() => {
      const pids: Record<string, Pids> = {};
      for (const node of [1, 2, 3]) {
        const pid = cluster.pid(node);
        pids[`broker-${node}`] = pid;
      }
      for (const replica of replicas.live) if (!leaving.has(replica)) pids[`replica-${replica.index}`] = replica.pid;
      return pids;
    });

    // ---------------------------------------------------------------- the StatefulSet and the HPA over it
    let spec = 0;
    const steps: ScaleStep[] = [];
    const stepsInFlight: Array<Promise<void>> = [];
    const group = new GroupWatch(() => client.admin(), app, orderTopic);
    const running = () => replicas.live.filter((replica) => !leaving.has(replica) && replica.state === 'running').length;
    let stopping = false;
    let restarts = 0;
    const crashes = new Map<number, number>();
    /** Replicas deleted because they were stuck, and when each last made progress on a task it owns. */
    const deleting = new Set<Replica>();
    let deletedStuck = 0;
    const progress = new Map<Replica, number>();
    /**
     * Starts replica `index` and watches it as the StatefulSet would: a replica that exits without being asked
     * to is started again after a back-off that doubles with each exit of that ordinal, 2 s to 30 s (Kubernetes'
     * crash-loop back-off: 10 s to 5 minutes). Every such exit is an event.
     */
    const startReplica = async (index: number): Promise<Replica> => {
      const replica = await replicas.add(index);
      progress.set(replica, Date.now());
      event(`replica-${index} joined`);
      void replica.exited.then(async (code) => {
        if (leaving.has(replica) || deleting.has(replica) || stopping) return;
        restarts++;
        const exits = (crashes.get(index) ?? 0) + 1;
        crashes.set(index, exits);
        event(`replica-${index} exited unexpectedly (${code})`, replica.raw.filter((line) => !line.startsWith('{')).slice(0, 8));
        await sleep(Math.min(30_000, 2000 * 2 ** (exits - 1)));
        if (!stopping && index < spec && !replicas.live.some((other) => other.index === index))
          await startReplica(index).catch((error: Error) => event(`replica-${index} failed to start again`, error.message));
      });
      return replica;
    };

    /** Sets the replica count as the HPA does, and does what the StatefulSet controller (Parallel) then does. */
    const scaleTo = async (target: number, why: string) => {
      const from = spec;
      if (target === from) return;
      spec = target;
      const at = Date.now();
      event(`scale ${from} → ${target}`, why);
      const before = group.latest?.owners ?? new Map<number, string>();
      const step: ScaleStep = { from, to: target, at, moved: [], restoreMs: {} };
      steps.push(step);
      // The highest ordinals go; new ones are created together (podManagementPolicy: Parallel).
      const leavers = replicas.live.filter((candidate) => candidate.index >= target);
      for (const replica of leavers) leaving.add(replica);
      await phases.next(`scaling ${from} → ${target}`);
      const exits: Array<Promise<void>> = [];
      for (const replica of leavers) {
        exits.push(
          replicas.remove(replica).then((code) => {
            step.exitMs = Math.max(step.exitMs ?? 0, (replica.exitedAt ?? Date.now()) - at);
            event(`replica-${replica.index} exited (${code})`);
          }),
        );
      }
      const starts: Array<Promise<unknown>> = [];
      for (let index = 0; index < target; index++) {
        if (replicas.live.some((replica) => replica.index === index && !leaving.has(replica))) continue;
        starts.push(startReplica(index).catch((error: Error) => event(`replica-${index} failed to start`, error.message)));
      }
      stepsInFlight.push(
        (async () => {
          await Promise.all([...exits, ...starts]);
          await group.settled(step, before, replicas, leaving, 300_000);
          if (spec === target) await phases.next(`${target} replica${target === 1 ? '' : 's'}`);
          event(`scale ${from} → ${target} done`, {
            membersMs: step.membersMs,
            doneMs: step.doneMs,
            moved: step.moved,
            restoreMs: step.restoreMs,
          });
        })(),
      );
    };

    // ---------------------------------------------------------------- the lag, read as KEDA reads it
    const samples: LagSample[] = [];
    const history = new EndHistory();
    const probe = new LagProbe(brokers, app, new Map(sources.map((topic) => [topic, options.partitions])));
    const hpa = new Hpa({
      windowMs: options.scaleDownWindowSeconds * 1000,
      podsPerPeriod: manifest.scaleDown.podsPerPeriod,
      periodMs: options.scaleDownPeriodSeconds * 1000,
    });
    const lagNow = () => samples.at(-1)?.lag ?? Infinity;
    /**
     * The runbook's "The owner is stuck (no commit for minutes, its lag flat or growing while the others move).
     * Delete the pod.": a replica none of whose tasks committed (or was caught up) for --stuck-seconds while
     * orders wait is sent SIGTERM, and the StatefulSet starts its ordinal again.
     */
    const partitionSeen = new Map<number, bigint | undefined>();
    const watchProgress = (at: number, orders: ReadonlyArray<{ end: bigint; committed: bigint | undefined }>) => {
      const view = group.latest;
      orders.forEach(({ end, committed }, partition) => {
        const moved = partitionSeen.get(partition) !== committed || (committed ?? 0n) >= end;
        partitionSeen.set(partition, committed);
        const owner = moved ? view?.owners.get(partition) : undefined;
        const replica = owner === undefined ? undefined : replicas.live.find((candidate) => candidate.instanceId === owner);
        if (replica) progress.set(replica, at);
      });
      if ((samples.at(-1)?.lag ?? 0) === 0) return;
      for (const replica of replicas.live) {
        if (leaving.has(replica) || deleting.has(replica)) continue;
        const idleMs = at - (progress.get(replica) ?? replica.spawnedAt);
        if (idleMs < options.stuckSeconds * 1000) continue;
        deleting.add(replica);
        deletedStuck++;
        event(
          `replica-${replica.index} stuck: no commit on its tasks for ${Math.round(idleMs / 1000)} s; deleting the pod (runbook)`,
          replica.raw.slice(-2).map((line) => line.slice(0, 600)),
        );
        void replicas.remove(replica).then(async (code) => {
          event(`replica-${replica.index} deleted (exit ${code})`);
          if (!stopping && replica.index < spec && !replicas.live.some((other) => other.index === replica.index && !leaving.has(other)))
            await startReplica(replica.index).catch((error: Error) =>
              event(`replica-${replica.index} failed to start again`, error.message),
            );
        });
      }
    };

    const lifetime = new LifetimeCpu();
    let probing = true;
    let metricFailures = 0;
    let lastProgress = 0;
    const load = new OrderLoad(client, orderTopic, {
      rate: options.rate,
      partitions: options.partitions,
      log,
      firstOrder: options.capacityOrders,
    });
    // What one replica can do on this cluster: a backlog produced before it starts, timed from its first commit to
    // the commit that covers the last order. The HPA is not running yet (it would scale out at once).
    let capacity: { orders: number; seconds: number; perSecond: number } | undefined;
    const committedNow = async () => {
      let total = 0n;
      for (const { committed } of (await probe.read()).get(orderTopic) ?? []) total += committed ?? 0n;
      return Number(total);
    };
    if (options.capacityOrders > 0) await produce(client, load.records(0, options.capacityOrders, new Date()));
    // The StatefulSet starts with one replica; the HPA takes over once it runs.
    await phases.next(options.capacityOrders > 0 ? `1 replica, a backlog of ${options.capacityOrders} orders` : '1 replica, starting');
    spec = 1;
    const first = await startReplica(0);
    await first.waitFor('tasks restored', (line) => line.to === 'running' && /restored/.test(String(line.reason)), 120_000);
    if (options.capacityOrders > 0) {
      let firstCommit: { at: number; committed: number } | undefined;
      await until(
        'the backlog committed',
        async () => {
          const committed = await committedNow().catch(() => 0);
          if (committed > 0) firstCommit ??= { at: Date.now(), committed };
          return committed >= options.capacityOrders;
        },
        300_000,
        100,
      );
      if (firstCommit) {
        const seconds = (Date.now() - firstCommit.at) / 1000;
        capacity = {
          orders: options.capacityOrders,
          seconds: round(seconds, 2),
          perSecond: Math.round((options.capacityOrders - firstCommit.committed) / seconds),
        };
        event('backlog committed by one replica', capacity);
      }
    }
    const controller = (async () => {
      while (probing) {
        const started = Date.now();
        for (const node of [1, 2, 3]) lifetime.sample(`broker-${node}`, cluster.pid(node));
        for (const replica of replicas.live) lifetime.sample(`replica-${replica.index}`, replica.pid, replica.spawnedAt);
        lifetime.sample('bench', process.pid);
        let offsets: Awaited<ReturnType<LagProbe['read']>> | undefined;
        try {
          offsets = await probe.read();
        } catch (error) {
          metricFailures++;
          if (metricFailures === 1 || metricFailures % 10 === 0) log(`no metric (${metricFailures}): ${(error as Error).message}`);
        }
        const at = Date.now();
        let recommended: number | undefined;
        if (offsets) {
          const metrics: Record<string, number> = {};
          for (const trigger of triggers) metrics[trigger.name] = triggerMetric(trigger, offsets.get(trigger.topic) ?? []);
          recommended = recommendation(
            spec,
            triggers.map((trigger) => ({ value: metrics[trigger.name]!, target: trigger.lagThreshold })),
            options.minReplicas,
            options.maxReplicas,
          );
          const orders = offsets.get(orderTopic) ?? [];
          let lag = 0;
          let committed = 0;
          let behind = 0;
          orders.forEach(({ end, committed: done }, partition) => {
            history.add(at, partition, end);
            lag += Number(end - (done ?? 0n));
            committed += Number(done ?? 0n);
            behind = Math.max(behind, history.secondsBehind(at, partition, done));
          });
          samples.push({ at, lag, secondsBehind: round(behind, 2), committed, metrics, recommended, replicas: spec, running: running() });
          watchProgress(at, orders);
        }
        const last = samples.at(-1);
        if (last && at - lastProgress >= 5000) {
          lastProgress = at;
          log(
            `lag ${last.lag} (${last.secondsBehind} s behind), committed ${last.committed}, sent ${load.sent}; replicas ${spec}, running ${last.running}; KEDA recommends ${last.recommended}`,
          );
        }
        const target = hpa.next(at, spec, recommended);
        if (target !== spec)
          await scaleTo(target, `HPA: KEDA metrics ${JSON.stringify(samples.at(-1)?.metrics ?? {})}, recommendation ${recommended}`);
        await sleep(Math.max(0, options.pollMs - (Date.now() - started)));
      }
    })();
    // ---------------------------------------------------------------- the scenario
    await phases.next('1 replica, steady load');
    load.start();
    const loadStarted = Date.now();
    event('load started', { rate: options.rate });
    await sleep(options.warmupSeconds * 1000);

    const burstAt = Date.now();
    const preBurstLevel = Math.max(levelBefore(samples, burstAt), options.rate);
    await phases.next('peak, 1 replica');
    load.burst(options.burst);
    event('peak', { orders: options.burst, levelBefore: preBurstLevel });
    const scaledUp = await until(
      `${options.maxReplicas} replicas running and the peak absorbed`,
      () => spec === options.maxReplicas && running() === options.maxReplicas && lagNow() <= preBurstLevel,
      240_000,
    );
    const drainedAt = Date.now();
    event('peak absorbed', { scaledUp, lag: lagNow() });
    await Promise.all(stepsInFlight);

    await sleep(options.killAfterSeconds * 1000);
    const killNode = await chooseNode(options.killNode, cluster, app, replicas);
    const roles = await brokerRoles(cluster, app, killNode, sources, replicas);
    const killAt = Date.now();
    await phases.next(`broker ${killNode} down, ${spec} replicas`);
    event(`kill broker ${killNode}`, roles);
    event('killed', (await cluster.kill(killNode)).trim());
    await sleep(options.downSeconds * 1000);
    const reviveAt = Date.now();
    event(`revive broker ${killNode}`);
    const revived = (await cluster.revive(killNode)).trim();
    await phases.next(`broker ${killNode} back, ${spec} replicas`);
    event('revived', revived);
    const isrFull = await waitForFullIsr(cluster, [orderTopic, prefix + Topics.release, changelogTopic(app, Stores.orders)], 180_000);
    event('every replica back in sync (order.create, order.release, orders changelog)', {
      afterReviveMs: isrFull ? isrFull - reviveAt : null,
    });

    const scaledDown = await until(
      `the scale-down to ${options.minReplicas}`,
      () => spec === options.minReplicas && running() === options.minReplicas,
      (options.scaleDownWindowSeconds + options.scaleDownPeriodSeconds * options.maxReplicas + 120) * 1000,
    );
    await Promise.all(stepsInFlight);
    event('scaled down', { scaledDown });
    await sleep(options.tailSeconds * 1000);
    const sent = await load.stop();
    const loadStopped = Date.now();
    await phases.next('drain');
    event('load stopped', { sent, failedSends: load.failedSends, longestSendMs: load.longestSend.ms });
    const drained = await until(
      'every order committed',
      () => samples.at(-1)?.lag === 0 && (samples.at(-1)?.at ?? 0) > loadStopped,
      options.drainSeconds * 1000,
      200,
    );
    const drainEnd = Date.now();
    const unprocessed = samples.at(-1)?.lag ?? null;
    event(drained ? 'drained' : 'NOT drained: orders left unprocessed', { lag: unprocessed });
    probing = false;
    stopping = true;
    await controller;
    await probe.close();
    phases.finish();
    await group.close();
    for (const replica of replicas.live) await replicas.remove(replica);

    // ---------------------------------------------------------------- verification and figures
    log('verifying every output against an in-process replay of the same input');
    const verified = await verifyExactlyOnce(brokers, prefix, options.partitions);
    const figures = summarise({
      options,
      manifest,
      samples,
      steps,
      phases: phases.done,
      events,
      load: { sent, failedSends: load.failedSends, longestSend: load.longestSend, startedAt: loadStarted, stoppedAt: loadStopped },
      burstAt,
      drainedAt,
      killAt,
      reviveAt,
      isrFull,
      drainEnd,
      killNode,
      verified,
      drained,
      unprocessed,
      capacity,
      metricFailures,
      restarts,
      deletedStuck,
      replicas,
      monitoringCrashes,
      lifetime: lifetime.report(),
    });
    const file = path.join(resultsDir, `scale-out-${stamp}.json`);
    await writeFile(
      file,
      JSON.stringify(
        {
          app,
          brokers,
          options,
          manifest,
          figures,
          verified,
          events: events.map((entry) => ({ ...entry, t: round((entry.at - loadStarted) / 1000, 2) })),
          steps,
          phases: phases.done,
          samples: samples.map((sample) => ({ ...sample, t: round((sample.at - loadStarted) / 1000, 2) })),
        },
        null,
        1,
      ),
    );
    process.stdout.write(
      `${render(figures)}\nAll of it: ${path.relative(process.cwd(), file)} (replica logs in ${path.relative(process.cwd(), logs)}/)\n`,
    );
    // Outputs of orders never processed are "missing"; a duplicate is a broken exactly-once whatever else happened.
    if (!verified.exact || !drained) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

// ------------------------------------------------------------------------------------------------ the group

/** The consumer group as its coordinator reports it, polled in the background. */
class GroupWatch {
  latest: GroupView | undefined;
  private polling = true;
  private readonly loop: Promise<void>;
  private admin: AdminClient;

  constructor(
    private readonly connect: () => AdminClient,
    private readonly groupId: string,
    private readonly topic: string,
  ) {
    this.admin = connect();
    this.loop = this.poll();
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const group = await Promise.race([
          this.admin.describeGroup(this.groupId),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000))),
        ]);
        clearTimeout(timer);
        const owners = new Map<number, string>();
        const members: string[] = [];
        for (const member of group.members) {
          const instance = parseMemberMetadata(member.metadata)?.instance ?? member.memberId;
          members.push(instance);
          for (const tp of member.partitions) if (tp.topic === this.topic) owners.set(tp.partition, instance);
        }
        this.latest = { at: Date.now(), state: group.state, owners, members };
      } catch {
        // A coordinator moving: asked again, by a new client (the old one may have lost the request's callback).
        clearTimeout(timer);
        const stale = this.admin;
        this.admin = this.connect();
        void stale.close().catch(() => undefined);
      }
      await sleep(250);
    }
  }

  /**
   * Waits until the group has `step.to` members, is stable, every task has an owner and every task that changed
   * owner since `before` was restored by its new owner (its "restoring → running (partitions … restored)" line
   * after the step); fills in the step's times.
   */
  async settled(step: ScaleStep, before: Map<number, string>, replicas: Replicas, leaving: Set<Replica>, timeoutMs: number): Promise<void> {
    const byInstance = () =>
      new Map(replicas.live.filter((replica) => !leaving.has(replica)).map((replica) => [replica.instanceId, replica]));
    await until(
      `the group to settle on ${step.to} members`,
      () => {
        const view = this.latest;
        if (!view || view.at <= step.at) return false;
        if (view.members.length === step.to && step.membersMs === undefined) step.membersMs = view.at - step.at;
        if (!/stable/i.test(view.state) || view.members.length !== step.to || view.owners.size === 0) return false;
        const live = byInstance();
        const moved: number[] = [];
        const restore: Record<string, number> = {};
        for (const [partition, owner] of view.owners) {
          if (before.get(partition) === owner) continue;
          moved.push(partition);
          const replica = live.get(owner);
          if (!replica) return false;
          const restored = replica.transitions.find(
            (line) => line.at >= step.at - 1000 && line.to === 'running' && restoredPartitions(line).includes(partition),
          );
          if (!restored) return false;
          const began = replica.transitions.filter((line) => line.at <= restored.at && line.to === 'restoring').at(-1);
          if (began) restore[`replica-${replica.index}`] = Math.max(restore[`replica-${replica.index}`] ?? 0, restored.at - began.at);
        }
        if ([...live.values()].some((replica) => replica.state !== 'running')) return false;
        step.moved = moved.sort((a, b) => a - b);
        step.restoreMs = restore;
        step.doneMs = Date.now() - step.at;
        return true;
      },
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    this.polling = false;
    await this.loop;
    await this.admin.close().catch(() => undefined);
  }
}

const restoredPartitions = (line: { reason?: unknown }): number[] => {
  const match = /partitions ([\d, ]+) restored/.exec(String(line.reason ?? ''));
  return match ? match[1]!.split(',').map((part) => Number(part.trim())) : [];
};

/** The transactional id of each running replica (`<app>-<instance id>`). */
const transactionalIds = (app: string, replicas: Replicas) => replicas.live.map((replica) => `${app}-${replica.instanceId}`);

/** The node to kill: the group coordinator's, or the node coordinating neither the group nor the fewest replicas' transactions. */
async function chooseNode(choice: Options['killNode'], cluster: LocalCluster, app: string, replicas: Replicas): Promise<number> {
  if (typeof choice === 'number') return choice;
  if (choice === 'coordinator') return cluster.groupCoordinator(app);
  return cluster.nodeAwayFromGroup(app, transactionalIds(app, replicas));
}

/** What the broker about to be killed holds: partition leaderships of the run's topics, group and transaction coordination. */
async function brokerRoles(
  cluster: LocalCluster,
  app: string,
  node: number,
  topics: string[],
  replicas: Replicas,
): Promise<Record<string, unknown>> {
  const partitions = await cluster.partitions(topics);
  let leads = 0;
  let total = 0;
  for (const list of partitions.values()) {
    for (const { leader } of list) {
      total++;
      if (leader === node) leads++;
    }
  }
  const coordinators = await cluster.transactionCoordinators(transactionalIds(app, replicas));
  return {
    node,
    groupCoordinator: (await cluster.groupCoordinator(app)) === node,
    transactionCoordinatorOf: [...coordinators].filter(([, nodeId]) => nodeId === node).map(([key]) => key),
    leaderOfSourcePartitions: `${leads} of ${total}`,
  };
}

/** Waits until every partition of `topics` has all three replicas in sync again; the time it did, or undefined. */
async function waitForFullIsr(cluster: LocalCluster, topics: string[], timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const partitions = await cluster.partitions(topics);
      if ([...partitions.values()].every((list) => list.length > 0 && list.every(({ isr }) => isr.length === 3))) return Date.now();
    } catch {
      /* asked again */
    }
    await sleep(500);
  }
  return undefined;
}

/** Deletes the run's topics and consumer group. */
async function removeRun(brokers: string[], app: string, prefix: string): Promise<void> {
  const admin = new Admin({ clientId: `${app}-clean-up`, bootstrapBrokers: brokers, retries: 3, retryDelay: 250, timeout: 10_000 });
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix) || topic.startsWith(`${app}-`));
    if (topics.length) await admin.deleteTopics({ topics });
    const groups = await admin.listGroups().catch(() => new Map<string, unknown>());
    if (groups.has(app)) {
      await admin.removeMembersFromConsumerGroup({ groupId: app }).catch(() => undefined);
      await admin.deleteGroups({ groups: [app] }).catch(() => undefined);
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

// ------------------------------------------------------------------------------------------------ figures

interface RunData {
  options: Options;
  manifest: ScaledObjectSpec;
  samples: LagSample[];
  steps: ScaleStep[];
  phases: Phase[];
  events: TimelineEvent[];
  load: { sent: number; failedSends: number; longestSend: { ms: number; at: number }; startedAt: number; stoppedAt: number };
  burstAt: number;
  drainedAt: number;
  killAt: number;
  reviveAt: number;
  isrFull: number | undefined;
  drainEnd: number;
  killNode: number;
  verified: ExactlyOnceReport;
  capacity: { orders: number; seconds: number; perSecond: number } | undefined;
  drained: boolean;
  /** Orders still waiting when the bench gave up draining. */
  unprocessed: number | null;
  metricFailures: number;
  /** Replicas that exited without being asked to (and were started again). */
  restarts: number;
  /** Replicas deleted because they were stuck (and started again). */
  deletedStuck: number;
  replicas: Replicas;
  lifetime: ReturnType<LifetimeCpu['report']>;
  /** Uncaught errors of the bench's own Kafka clients. */
  monitoringCrashes: number;
}

function summarise(run: RunData) {
  const { samples, steps, load } = run;
  const t = (at: number) => round((at - load.startedAt) / 1000, 1);
  const worst = samples.reduce((best, sample) => (sample.lag > best.lag ? sample : best), samples[0]!);
  const worstBehind = samples.reduce((best, sample) => (sample.secondsBehind > best.secondsBehind ? sample : best), samples[0]!);
  const killLevel = levelBefore(samples, run.killAt);
  const kill = recoveryAfter(samples, run.killAt, killLevel);
  // The revived node takes its leaderships back (within leader.imbalance.check.interval.seconds): a second, smaller jolt.
  const nextStep = steps.find((step) => step.at > run.reviveAt)?.at ?? Infinity;
  const revive = recoveryAfter(samples, run.reviveAt, Math.max(killLevel, levelBefore(samples, run.killAt)), 3, nextStep);
  for (const step of steps) {
    // Each step's recovery is read up to whatever comes next: another step, or the broker kill.
    const next = Math.min(steps.find((other) => other.at > step.at)?.at ?? Infinity, run.killAt > step.at ? run.killAt : Infinity);
    // The scale-up answers the peak: it recovers to the level before the peak.
    step.recovery = recoveryAfter(
      samples,
      step.at,
      step.to > step.from ? levelBefore(samples, run.burstAt) : levelBefore(samples, step.at),
      3,
      next,
    );
  }
  const up = steps.find((step) => step.to > step.from && step.from > 0);
  const peak = recoveryAfter(samples, run.burstAt, Math.max(levelBefore(samples, run.burstAt), run.options.rate));
  const runSeconds = (run.drainEnd - load.startedAt) / 1000;
  // Average cores of each process over the phases it ran through, weighted by their length.
  const totals = new Map<string, { coreSeconds: number; seconds: number }>();
  for (const phase of run.phases) {
    const seconds = (phase.to - phase.from) / 1000;
    for (const [name, cores] of Object.entries(phase.cores)) {
      const entry = totals.get(name) ?? { coreSeconds: 0, seconds: 0 };
      entry.coreSeconds += cores * seconds;
      entry.seconds += seconds;
      totals.set(name, entry);
    }
  }
  const problems = new Map<string, number>();
  for (const replica of run.replicas.all)
    for (const [message, count] of replica.problems()) problems.set(message, (problems.get(message) ?? 0) + count);
  return {
    load: {
      rate: run.options.rate,
      peakOrders: run.options.burst,
      ordersSent: load.sent,
      offeredPerSecond: Math.round(load.sent / ((load.stoppedAt - load.startedAt) / 1000)),
      failedSends: load.failedSends,
      longestSendMs: load.longestSend.ms,
      longestSendAtS: load.longestSend.at ? t(load.longestSend.at) : null,
    },
    worstLag: { records: worst?.lag ?? 0, atS: worst ? t(worst.at) : null, replicas: worst?.replicas ?? null },
    worstSecondsBehind: { seconds: worstBehind?.secondsBehind ?? 0, atS: worstBehind ? t(worstBehind.at) : null },
    peak: {
      atS: t(run.burstAt),
      levelBefore: peak.level,
      absorbedAfterS: peak.recoveredMs === undefined ? null : round(peak.recoveredMs / 1000),
      peakLag: peak.peakLag,
      peakSecondsBehind: peak.peakSecondsBehind,
      commitRateOneReplica: up ? peakCommitRate(samples, run.burstAt, up.at + (up.doneMs ?? 0)) : null,
      commitRateAfterScaleUp: up ? peakCommitRate(samples, up.at + (up.doneMs ?? 0), run.drainedAt) : null,
    },
    brokerKill: {
      node: run.killNode,
      atS: t(run.killAt),
      downS: round((run.reviveAt - run.killAt) / 1000),
      levelBefore: kill.level,
      peakLag: kill.peakLag,
      peakSecondsBehind: kill.peakSecondsBehind,
      recoveredAfterKillS: kill.recoveredMs === undefined ? null : round(kill.recoveredMs / 1000),
      recoveredAfterReviveS: kill.recoveredMs === undefined ? null : round((run.killAt + kill.recoveredMs - run.reviveAt) / 1000),
      isrFullAfterReviveS: run.isrFull ? round((run.isrFull - run.reviveAt) / 1000) : null,
      afterRevive: {
        peakLag: revive.peakLag,
        peakSecondsBehind: revive.peakSecondsBehind,
        backToLevelS: revive.recoveredMs === undefined ? null : round(revive.recoveredMs / 1000),
      },
      producerStalledMs: load.longestSend.ms,
    },
    scaleSteps: steps.map((step) => ({
      step: `${step.from} → ${step.to}`,
      atS: t(step.at),
      exitS: step.exitMs === undefined ? null : round(step.exitMs / 1000),
      membersS: step.membersMs === undefined ? null : round(step.membersMs / 1000),
      rebalanceAndRestoreS: step.doneMs === undefined ? null : round(step.doneMs / 1000),
      moved: step.moved,
      restoreMs: step.restoreMs,
      lagBefore: step.recovery?.level ?? null,
      peakLagAfter: step.recovery?.peakLag ?? null,
      lagBackS: step.recovery?.recoveredMs === undefined ? null : round(step.recovery.recoveredMs / 1000),
    })),
    throughput: {
      oneReplicaBacklog: run.capacity ?? null,
      capacityByReplicas: capacityByReplicas(samples, Math.max(1000, 2 * run.options.rate)),
      ordersProcessed: run.verified.inputRecords,
      overallPerSecond: Math.round(run.verified.inputRecords / runSeconds),
      committedPerSecondWhileLoaded: commitRate(samples, load.startedAt, load.stoppedAt),
    },
    cores: Object.fromEntries([...totals].map(([name, { coreSeconds, seconds }]) => [name, round(coreSeconds / seconds, 2)])),
    processes: run.lifetime,
    phases: run.phases.map((phase) => ({
      name: phase.name,
      fromS: t(phase.from),
      seconds: round((phase.to - phase.from) / 1000),
      cores: phase.cores,
    })),
    exactlyOnce: {
      exact: run.verified.exact,
      drained: run.drained,
      unprocessedOrders: run.drained ? 0 : run.unprocessed,
      orders: run.verified.orders,
      inputDuplicates: run.verified.inputDuplicates,
      released: run.verified.released,
      rejectedInvalid: run.verified.rejectedInvalid,
      rejectedAfterValidation: run.verified.rejectedAfterValidation,
      unaccounted: run.verified.unaccounted.length,
      duplicateReleases: run.verified.duplicateReleases.length,
      duplicateStatusChanges: run.verified.duplicateStatusChanges.length,
      topics: run.verified.topics.filter((topic) => topic.reference > 0 || topic.live > 0),
    },
    metricFailures: run.metricFailures,
    unexpectedExits: run.restarts,
    stuckReplicasDeleted: run.deletedStuck,
    benchClientCrashes: run.monitoringCrashes,
    replicaWarnings: Object.fromEntries(problems),
  };
}

const afterRevive = (seconds: number | null) =>
  seconds === null ? 'not recovered' : seconds < 0 ? `${-seconds} s before the revive` : `${seconds} s after the revive`;

function render(figures: ReturnType<typeof summarise>): string {
  const lines = [
    '',
    `Scale-out and broker failure — ${figures.load.rate} orders/s steady, a peak of ${figures.load.peakOrders} orders; ${figures.load.ordersSent} orders sent`,
    `  worst lag                 ${figures.worstLag.records} records at t=${figures.worstLag.atS} s (${figures.worstLag.replicas} replicas); ${figures.worstSecondsBehind.seconds} s behind at worst (t=${figures.worstSecondsBehind.atS} s)`,
    `  the peak                  absorbed in ${figures.peak.absorbedAfterS} s (back to ≤ ${figures.peak.levelBefore}); commits ${figures.peak.commitRateOneReplica}/s on 1 replica, ${figures.peak.commitRateAfterScaleUp}/s after the scale-up (best 5 s)`,
    `  broker ${figures.brokerKill.node} killed at t=${figures.brokerKill.atS} s for ${figures.brokerKill.downS} s: lag ${figures.brokerKill.levelBefore} → ${figures.brokerKill.peakLag} (${figures.brokerKill.peakSecondsBehind} s behind); back to ≤ ${figures.brokerKill.levelBefore} ${figures.brokerKill.recoveredAfterKillS ?? 'never'} s after the kill (${afterRevive(figures.brokerKill.recoveredAfterReviveS)}); ISR full ${figures.brokerKill.isrFullAfterReviveS} s after the revive; longest producer send ${figures.brokerKill.producerStalledMs} ms`,
    `  after the revive          lag up to ${figures.brokerKill.afterRevive.peakLag} (${figures.brokerKill.afterRevive.peakSecondsBehind} s behind) while the node took its leaderships back; back to the level ${figures.brokerKill.afterRevive.backToLevelS ?? 'never'} s after the revive`,
    ...figures.scaleSteps.map(
      (step) =>
        `  scale ${step.step.padEnd(6)} at t=${step.atS} s: group settled and moved tasks [${step.moved.join(',')}] restored after ${step.rebalanceAndRestoreS} s (members ${step.membersS} s${step.exitS !== null ? `, exit ${step.exitS} s` : ''}; restores ${JSON.stringify(step.restoreMs)}); lag ${step.lagBefore} → ${step.peakLagAfter}, back after ${step.lagBackS} s`,
    ),
    `  one replica, a backlog    ${figures.throughput.oneReplicaBacklog ? `${figures.throughput.oneReplicaBacklog.orders} orders committed in ${figures.throughput.oneReplicaBacklog.seconds} s: ${figures.throughput.oneReplicaBacklog.perSecond}/s` : 'not measured'}`,
    `  throughput                ${figures.throughput.ordersProcessed} orders, ${figures.throughput.overallPerSecond}/s over the run, ${figures.throughput.committedPerSecondWhileLoaded}/s committed while loaded; with a backlog (best 5 s): ${Object.entries(
      figures.throughput.capacityByReplicas,
    )
      .map(([count, rate]) => `${count} replica${count === '1' ? '' : 's'} ${rate}/s`)
      .join(', ')}`,
    `  processes (lifetime)      ${figures.processes.map((entry) => `${entry.name} ${entry.cores} cores over ${entry.seconds} s`).join(', ')}`,
    `  unexpected exits          ${figures.unexpectedExits}; stuck replicas deleted ${figures.stuckReplicasDeleted}; polls without a metric ${figures.metricFailures}`,
    `  cores (average)           ${Object.entries(figures.cores)
      .map(([name, cores]) => `${name} ${cores}`)
      .join(', ')}`,
    ...(figures.exactlyOnce.drained
      ? []
      : [
          `  NOT DRAINED               ${figures.exactlyOnce.unprocessedOrders} orders never processed: their outputs count as missing below`,
        ]),
    `  exactly once              ${figures.exactlyOnce.exact ? 'yes' : 'NO'}: ${figures.exactlyOnce.orders} orders (${figures.exactlyOnce.inputDuplicates} duplicate inputs): ${figures.exactlyOnce.released} released, ${figures.exactlyOnce.rejectedInvalid} refused at validation, ${figures.exactlyOnce.rejectedAfterValidation} cancelled (COD), ${figures.exactlyOnce.unaccounted} unaccounted; duplicates: ${figures.exactlyOnce.duplicateReleases} releases, ${figures.exactlyOnce.duplicateStatusChanges} status changes`,
    ...figures.exactlyOnce.topics.map(
      (topic) =>
        `    ${topic.topic.replace(/^[^.]*\./, '').padEnd(24)} ${topic.live} records, reference ${topic.reference}, duplicated ${topic.duplicated}, missing ${topic.missing}`,
    ),
    '  phases (cores per process)',
    ...figures.phases.map(
      (phase) =>
        `    t=${String(phase.fromS).padStart(6)} s ${String(phase.seconds).padStart(6)} s  ${phase.name.padEnd(36)} ${Object.entries(
          phase.cores,
        )
          .map(([name, cores]) => `${name} ${cores}`)
          .join(', ')}`,
    ),
  ];
  return lines.join('\n');
}

await main().catch((error: unknown) => {
  process.stderr.write(`scale-out bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
