/**
 * Failover to a standby: two replicas of the counter topology on the 1,000,000-key changelog, each keeping a warm
 * copy of the other's tasks (OMNIA_NUM_STANDBY_REPLICAS=1). Under a steady trickle of input, the replica owning the
 * most keys is SIGKILLed and released at once, as the primary of `omnia start`'s workers releases a killed worker
 * (runtime/departed-replica.ts: its member removed, its open transaction aborted). The figures: how long after the
 * SIGKILL, and after the group hands its tasks to the survivor, the survivor's outputs for them are committed and
 * readable (read_committed), with how many changelog records it had to restore, and whether every count is exact.
 * Without the release the group would notice only after the session timeout.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { releaseDepartedReplica } from '../../runtime/departed-replica.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { tpKey } from '../../topology/kafka/client.js';
import { keyedRecord, log, now, openProducer, PARTITIONS, partitionsOf, ProcessWatch, sleep, tempStateDir, until } from './common.js';
import { changelogKey, changelogValue, type ChangelogFixture, type Context, readOutputCounts, runtimeEnv } from './figures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(here, '../../test/fixtures/counter-worker.js');
const SESSION_TIMEOUT_MS = 6_000; // the broker's smallest by default (group.min.session.timeout.ms)
const PROBES_PER_SECOND = 200;

export interface FailoverResult {
  storeKeys: number;
  /** SIGKILL to the survivor assigned the dead replica's partitions: its exit seen, it released, the group rebalanced. */
  killToReassignedMs: number;
  /** The headline: SIGKILL to the first output of a moved partition committed by the survivor and readable. */
  killToFirstOutputMs: number;
  /** The figure: reassigned to the first output of a moved partition committed by the survivor. */
  reassignedToFirstOutputMs: number;
  /** Reassigned to outputs of every moved partition committed. */
  reassignedToAllOutputsMs: number;
  /** Changelog records the survivor restored for the moved tasks (the rest was in its standbys). */
  restoredOnFailover: number;
  /** Changelog records the survivor's standbys applied before the kill. */
  standbyApplied: number;
  /** Survivor RSS with its active half and the other half as standbys (1,000,000 keys in all), steady and peak. */
  rssSteadyMb: number;
  rssPeakMb: number;
  /** Every probe key counted on from its changelog value, once per probe, across the failover. */
  countsCorrect: boolean;
  movedPartitions: number[];
}

interface Report {
  assigned: number[];
  owned: number[];
  standby: number[];
  restored: number;
  standbyApplied: number;
}

export async function failover(context: Context, fixture: ChangelogFixture): Promise<FailoverResult> {
  const { app } = fixture;
  const replicas = await Promise.all(
    ['a', 'b'].map(async (name) => {
      const stateDir = await tempStateDir(`failover-${name}`);
      context.dirs.push(stateDir);
      const child = spawn(process.execPath, [WORKER], {
        env: runtimeEnv(app, stateDir, {
          OMNIA_INSTANCE_ID: `${app.applicationId}-${name}`,
          OMNIA_NUM_STANDBY_REPLICAS: '1',
          OMNIA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
          COUNTER_REPORT: '1',
        }),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const replica = { name, child, report: undefined as Report | undefined, reports: [] as Array<{ at: number; report: Report }> };
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('report ')) return;
        replica.report = JSON.parse(line.slice('report '.length)) as Report;
        replica.reports.push({ at: now(), report: replica.report });
      });
      return replica;
    }),
  );
  const [a, b] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
  const kill = () => replicas.forEach((replica) => replica.child.kill('SIGKILL'));
  try {
    log(`failover: two replicas on the ${fixture.keys}-key changelog, each with a standby of the other's tasks`);
    const keysOf = (partitions: number[]) =>
      Array.from({ length: fixture.keys }, (_, i) => i).filter((i) =>
        partitions.includes(partitionForKey(Buffer.from(changelogKey(i)), PARTITIONS)),
      );
    const perPartition = new Map<number, number>();
    for (let i = 0; i < fixture.keys; i++) {
      const partition = partitionForKey(Buffer.from(changelogKey(i)), PARTITIONS);
      perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
    }
    const recordsOf = (partitions: number[]) => partitions.reduce((sum, partition) => sum + (perPartition.get(partition) ?? 0), 0);
    // Restored and warm: each holds its own tasks and the other's, every record of the changelog.
    await until(
      'both replicas restored, their standbys caught up',
      () =>
        replicas.every(
          (replica) =>
            replica.report !== undefined &&
            replica.report.owned.length > 0 &&
            replica.report.restored + replica.report.standbyApplied >= fixture.keys &&
            replica.report.owned.length + replica.report.standby.length === PARTITIONS,
        ),
      600_000,
      200,
    );
    const victim = recordsOf(a.report!.owned) >= recordsOf(b.report!.owned) ? a : b;
    const survivor = victim === a ? b : a;
    const moved = [...victim.report!.owned];
    const watch = new ProcessWatch(survivor.child.pid!);
    for (let i = 0; i < 10; i++) {
      watch.sample();
      await sleep(200);
    }
    const rssSteadyMb = watch.lastRssMb;
    log(`failover: ${victim.name} owns ${moved.join(',')} (${recordsOf(moved)} keys); survivor ${survivor.name} at ${rssSteadyMb} MB RSS`);

    // A steady trickle of probes over keys of every partition, before, during and after the kill.
    const probeKeys = keysOf([0, 1, 2, 3]).filter((_, n) => n % 997 === 0);
    const sent = new Map<number, number>();
    const producer = await openProducer(context.client);
    let probing = true;
    let seq = 0;
    const probes = (async () => {
      while (probing) {
        const i = probeKeys[seq % probeKeys.length]!;
        sent.set(i, (sent.get(i) ?? 0) + 1);
        await producer.send([keyedRecord(app.input, changelogKey(i), Buffer.from(`{"seq":${seq++}}`))]);
        await sleep(1000 / PROBES_PER_SECOND);
      }
    })();
    await sleep(2000);
    const restoredBefore = survivor.report!.restored;
    const standbyApplied = survivor.report!.standbyApplied;
    const outputEnds = async () => {
      const ends = await context.admin.endOffsets(partitionsOf(app.output), true);
      return moved.map((partition) => ends.get(tpKey(app.output, partition)) ?? 0n);
    };
    const killedAt = now();
    victim.child.kill('SIGKILL');
    await new Promise((exited) => victim.child.once('exit', exited));
    const before = await outputEnds(); // the victim's last commit: what the survivor's first one must pass
    const released = await releaseDepartedReplica(context.client, {
      applicationId: app.applicationId,
      instanceId: `${app.applicationId}-${victim.name}`,
      exactlyOnce: true,
    });
    log(`failover: ${victim.name} released ${now() - killedAt} ms after the SIGKILL (${JSON.stringify(released)})`);
    await until('the survivor assigned every partition', () => survivor.report!.assigned.length === PARTITIONS, 120_000, 5);
    const reassignedAt = survivor.reports.find((entry) => entry.at >= killedAt && entry.report.assigned.length === PARTITIONS)!.at;
    const seen = new Set<number>();
    let firstAt: number | undefined;
    while (seen.size < moved.length) {
      if (now() - reassignedAt > 120_000) throw new Error('outputs of the moved partitions not committed within 120 s');
      const ends = await outputEnds();
      const at = now();
      ends.forEach((end, index) => {
        if (end > before[index]!) seen.add(index);
      });
      if (seen.size > 0) firstAt ??= at;
      if (seen.size < moved.length) await sleep(5);
      watch.sample();
    }
    const allAt = now();
    await sleep(2000);
    probing = false;
    await probes;
    await producer.close();
    const expected = seq;
    await until(
      'every probe output committed',
      async () => [...(await readOutputCounts(context, app.output)).values()].flat().length >= expected,
      120_000,
      200,
    );
    const restoredOnFailover = survivor.report!.restored - restoredBefore;

    // Exactness: each probe key counts on from its changelog value, one step per probe sent, across the kill.
    const outputs = await readOutputCounts(context, app.output);
    let countsCorrect = [...outputs.values()].flat().length === expected;
    for (const [i, times] of sent) {
      const wanted = Array.from({ length: times }, (_, n) => changelogValue(i) + n + 1);
      if (JSON.stringify(outputs.get(changelogKey(i)) ?? []) !== JSON.stringify(wanted)) {
        countsCorrect = false;
        log(`WARNING: ${changelogKey(i)} counted ${JSON.stringify(outputs.get(changelogKey(i)))}, expected ${JSON.stringify(wanted)}`);
      }
    }
    const result: FailoverResult = {
      storeKeys: fixture.keys,
      killToReassignedMs: Math.round(reassignedAt - killedAt),
      killToFirstOutputMs: Math.round(firstAt! - killedAt),
      reassignedToFirstOutputMs: Math.round(firstAt! - reassignedAt),
      reassignedToAllOutputsMs: Math.round(allAt - reassignedAt),
      restoredOnFailover,
      standbyApplied,
      rssSteadyMb,
      rssPeakMb: watch.peakRssMb,
      countsCorrect,
      movedPartitions: moved,
    };
    log(`failover: ${JSON.stringify(result)}`);
    return result;
  } finally {
    kill();
    await Promise.all(
      replicas.map(
        (replica) => new Promise((resolve) => (replica.child.exitCode !== null ? resolve(null) : replica.child.once('exit', resolve))),
      ),
    );
  }
}
