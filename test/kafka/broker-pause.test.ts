// ci: alone (a private cluster of three brokers: three JVMs; scripts/test.mjs runs it with no other broker test beside it)
/**
 * A broker frozen, not killed: on a three-node cluster of the test's own (scripts/kafka-cluster.sh in a temporary
 * dir on free ports; replication 3, min.insync.replicas 2), the node that coordinates the group is SIGSTOPped under a
 * steady order load for longer than the group's session timeout (OMNIA_SESSION_TIMEOUT_MS, 10 s by default) and the
 * broker session timeout (9 s: the controller fences it and its leaderships move), then SIGCONTed.
 *
 * A paused broker is harder on clients than a dead one: its sockets stay open, so requests to it are accepted and
 * never answered, connections to it do not fail, and when it wakes it answers what it was asked half a minute
 * earlier, as the coordinator and leader it no longer is. What must hold:
 *
 *   - the two `omnia start` replicas recover by themselves: none exits or is restarted, and both end `running`,
 *     members of one stable group, each owning tasks and committing again;
 *   - every committed output (read_committed) equals an in-process replay of the same input, record for record:
 *     every order released once or refused with a reason, no status change twice.
 *
 * Measured, not asserted (a busy machine): from SIGCONT to the first commit, and to the pause's backlog committed.
 *
 * The CI run is one pause of 25 s. The long form (bench/faults.ts) sets, with the same assertions:
 *
 *   FAULT_ROUNDS=1          pause/resume cycles in one run, each on the group coordinator's node of the time
 *   FAULT_PAUSE_SECONDS=25  how long each pause lasts
 *   FAULT_CALM_SECONDS=5    load after a recovery, before the next pause (or the drain)
 *
 * One line `# figures: {…}` sums the run up (faults injected, orders, lost, duplicated, recovery times).
 *
 * Needs java (and the broker jars, or mvn to fetch them); without them it skips, naming what to install, and under
 * CI=true it fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type AdminClient, tpKey } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { Topics } from '../../topology/topics.js';
import {
  createReplicatedTopics,
  exactnessFigures,
  LocalCluster,
  missingForCluster,
  OrderLoad,
  referenceRecords,
  REPLICATION,
  type Replica,
  Replicas,
  assertExactlyOnce,
  verifyExactlyOnce,
} from './cluster-harness.js';
import { knob, produce, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 6;
const RATE = 100;
const ROUNDS = Math.floor(knob('FAULT_ROUNDS', 1));
/** Past the group's session timeout (the default 10 s), the broker's (9 s) and the transaction timeout (10 s). */
const PAUSE_MS = knob('FAULT_PAUSE_SECONDS', 25) * 1000;
const CALM_MS = knob('FAULT_CALM_SECONDS', 5) * 1000;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** `work`, or undefined when it fails or has not answered within `ms` (a request stuck on the paused node). */
async function within<T>(ms: number, work: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work(), new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

t.test(
  'the group coordinator’s broker paused past the session timeout under load: replicas recover by themselves, every output exactly once',
  async (t) => {
    const started = Date.now();
    const missing = missingForCluster();
    if (missing.length) {
      const message = `the three-broker cluster needs ${missing.join(', ')}`;
      if (process.env.CI) t.fail(message);
      else t.comment(`SKIPPED: ${message}`);
      return;
    }
    const cluster = await LocalCluster.temporary();
    const app = uniqueName('broker-pause');
    const prefix = `${app}.`;
    const orderTopic = prefix + Topics.orderCreate;
    const stateRoot = join(tmpdir(), `omnia-${app}`);
    const logDir = await mkdtemp(join(tmpdir(), `omnia-${app}-logs-`));
    // The product's session timeout (OMNIA_SESSION_TIMEOUT_MS unset: 10 s), as a replica runs with no setting.
    const replicas = new Replicas({ brokers: cluster.brokers, applicationId: app, prefix, stateRoot, logDir });
    const client = new PlatformaticClient(cluster.brokers, app);
    const load = new OrderLoad(client, orderTopic, { rate: RATE, partitions: PARTITIONS, log: (line) => t.comment(line) });
    let sampling = true;
    // The run in figures, printed last whatever happened (bench/faults.ts reads the line).
    const figures = {
      campaign: 'broker-pause',
      rounds: ROUNDS,
      pauseSeconds: PAUSE_MS / 1000,
      calmSeconds: CALM_MS / 1000,
      rate: RATE,
      faultsInjected: 0,
      faultsSurvived: 0,
      consumersReplaced: 0,
      commitsInDoubt: 0,
      recoveries: [] as Array<Record<string, number | null>>,
    };
    let verified: ReturnType<typeof exactnessFigures> | undefined = undefined; // the exactness figures, once checked
    t.teardown(async () => {
      sampling = false;
      await load.stop().catch(() => undefined);
      await replicas.killAll();
      await cluster.remove(); // resumes the node first if the test stopped while it was paused
      await rm(stateRoot, { recursive: true, force: true });
      if (t.passing()) await rm(logDir, { recursive: true, force: true });
      else t.comment(`the replicas' logs are kept in ${logDir}`);
      const wallSeconds = Math.round((Date.now() - started) / 1000);
      t.comment(`wall time ${wallSeconds} s`);
      t.comment(`figures: ${JSON.stringify({ ...figures, ...verified, sent: load.sent, passed: t.passing(), wallSeconds })}`);
    });
    const at = () => `t=${Math.round((Date.now() - started) / 1000)} s`;
    t.comment(`${(await cluster.start()).split('\n').at(-1)} (${at()})`);
    /**
     * One request with an admin client of its own, given up after 5 s (undefined): a request the paused node holds, or
     * a client that still asks it after it is fenced, holds up only that one answer.
     */
    const ask = async <T>(request: (admin: AdminClient) => Promise<T>): Promise<T | undefined> => {
      const admin = client.admin();
      try {
        return await within(5_000, () => request(admin));
      } finally {
        void admin.close().catch(() => undefined);
      }
    };
    await createReplicatedTopics(client, prefix, PARTITIONS);
    await produce(client, referenceRecords(prefix));

    // A replica that exits is not started again: recovering by itself is what is tested.
    const exits: string[] = [];
    let stopping = false;
    const start = async (index: number): Promise<Replica> => {
      const replica = await replicas.add(index);
      void replica.exited.then((code) => {
        if (stopping) return;
        const crash = replica.raw.filter((line) => !line.startsWith('{') && line.trim() !== '');
        exits.push(`replica-${index} exited (${code}): ${crash.slice(0, 6).join(' | ').slice(0, 600)}`);
      });
      return replica;
    };
    const diagnosis = () =>
      [
        ...exits,
        ...replicas.all.map(
          (replica) =>
            `replica-${replica.index} (pid ${replica.pid}, ${replica.alive ? `alive, ${replica.state}` : `exited`}): ` +
            JSON.stringify(Object.fromEntries(replica.problems())).slice(0, 1500),
        ),
      ].join('\n');
    const settle = (what: string, condition: () => Promise<boolean>, timeoutMs: number) =>
      waitFor(what, () => condition().catch(() => false), timeoutMs).catch((error: Error) => {
        throw new Error(`${error.message}\n${diagnosis()}`);
      });
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: orderTopic, partition }));
    const statuses = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: prefix + Topics.status, partition }));
    const sum = (offsets: Map<string, bigint>) => [...offsets.values()].reduce((total, offset) => total + Math.max(0, Number(offset)), 0);
    /** Two members, each owning tasks, every task owned, both replicas running. */
    const bothRunning = async () => {
      const group = await ask((admin) => admin.describeGroup(app));
      if (!group || !/stable/i.test(group.state) || group.members.length !== 2) return false;
      const owned = group.members.map((member) => member.partitions.filter((tp) => tp.topic === orderTopic).map((tp) => tp.partition));
      return (
        owned.every((list) => list.length > 0) &&
        new Set(owned.flat()).size === PARTITIONS &&
        replicas.live.length === 2 &&
        replicas.live.every((replica) => replica.state === 'running')
      );
    };

    // ------------------------------------------------------------------------------------ two replicas, load
    await Promise.all([start(0), start(1)]);
    await settle('the tasks spread over both replicas', bothRunning, 90_000);
    load.start();
    // Once a second: the group's committed input offsets (from its coordinator) and the committed outputs (order.status.v1
    // up to its last stable offset, from the partitions' leaders). A request the paused node holds gives no sample.
    const samples: Array<{ at: number; committed?: number; output?: number }> = [];
    const sampler = (async () => {
      while (sampling) {
        const asked = Date.now();
        const [committed, output] = await Promise.all([
          ask((admin) => admin.committedOffsets(app, partitions)),
          ask((admin) => admin.endOffsets(statuses, true)),
        ]);
        samples.push({ at: asked, ...(committed ? { committed: sum(committed) } : {}), ...(output ? { output: sum(output) } : {}) });
        await sleep(Math.max(0, 1000 - (Date.now() - asked)));
      }
    })();
    const committedSince = (since: number) => samples.filter((sample) => sample.at >= since && sample.committed !== undefined);
    const outputSince = (since: number) => samples.filter((sample) => sample.at >= since && sample.output !== undefined);
    await settle('orders committed', async () => (committedSince(0).at(-1)?.committed ?? 0) > 2 * RATE, 90_000);
    t.pass(`both replicas running and committing (${at()})`);

    // ------------------------------------------------------------------------------------ the coordinator paused
    const seconds = (from: number, sample: { at: number } | undefined) =>
      sample ? `${((sample.at - from) / 1000).toFixed(1)} s` : 'never';
    const after = (from: number, sample: { at: number } | undefined) => (sample ? Math.round((sample.at - from) / 100) / 10 : null);
    const inSync = [orderTopic, prefix + Topics.status, prefix + Topics.release, '__consumer_offsets', '__transaction_state'];
    for (let round = 1; round <= ROUNDS; round++) {
      const label = ROUNDS > 1 ? `round ${round}/${ROUNDS}: ` : '';
      // Each round the same fault: the node paused last is back in every in-sync replica set first.
      if (round > 1)
        await settle(
          'every partition with all its replicas in sync again',
          async () =>
            [...(await cluster.partitions(inSync)).values()].every((list) =>
              list.every((partition) => partition.isr.length === REPLICATION),
            ),
          180_000,
        );
      const node = await cluster.groupCoordinator(app);
      const transactions = Object.fromEntries(
        await cluster.transactionCoordinators(replicas.live.map((replica) => `${app}-${replica.instanceId}`)),
      );
      const pausedAt = Date.now();
      t.comment(
        `${label}node ${node} (pid ${cluster.pause(node)}) paused with SIGSTOP (${at()}): the group's coordinator; transaction coordinators: ${JSON.stringify(transactions)}`,
      );
      figures.faultsInjected++;
      await sleep(PAUSE_MS);
      const resumedAt = Date.now();
      cluster.resume(node);
      t.comment(`${label}node ${node} resumed with SIGCONT after ${(resumedAt - pausedAt) / 1000} s (${at()})`);
      // What had arrived by the resume: committed, it is the pause's backlog worked off.
      let backlog: number | undefined;
      await settle(
        'the input end offsets after the resume',
        async () => (backlog = sum((await ask((admin) => admin.endOffsets(partitions, false))) ?? new Map())) > 0,
        90_000,
      );

      // ---------------------------------------------------------------------------------- recovered by themselves
      await settle(
        'the pause’s backlog committed',
        async () => committedSince(resumedAt).some((sample) => sample.committed! >= backlog!),
        180_000,
      );
      const outputBefore = Math.max(
        0,
        ...outputSince(0)
          .filter((sample) => sample.at < pausedAt)
          .map((sample) => sample.output!),
      );
      const outputAtResume = Math.max(
        0,
        ...outputSince(0)
          .filter((sample) => sample.at < resumedAt)
          .map((sample) => sample.output!),
      );
      const outputWhilePaused = outputSince(pausedAt).find((sample) => sample.at < resumedAt && sample.output! > outputBefore);
      const firstOutput = outputSince(resumedAt).find((sample) => sample.output! > outputAtResume);
      const caughtUp = committedSince(resumedAt).find((sample) => sample.committed! >= backlog!);
      t.comment(
        `${label}outputs while paused: ${outputWhilePaused ? `again ${seconds(pausedAt, outputWhilePaused)} after SIGSTOP` : 'none'}; ` +
          `after SIGCONT: the first new output ${seconds(resumedAt, firstOutput)} after it, ` +
          `the ${backlog} input records there were at SIGCONT all committed ${seconds(resumedAt, caughtUp)} after it`,
      );
      await settle('both replicas members again, owning and running every task', bothRunning, 120_000);
      t.pass(`${label}both replicas running in one stable group, each owning tasks (${at()})`);
      figures.recoveries.push({
        node,
        pausedSeconds: (resumedAt - pausedAt) / 1000,
        backlog: backlog!,
        outputWhilePausedSeconds: after(pausedAt, outputWhilePaused),
        firstOutputSeconds: after(resumedAt, firstOutput),
        backlogCommittedSeconds: after(resumedAt, caughtUp),
        groupStableSeconds: Math.round((Date.now() - resumedAt) / 100) / 10,
      });
      if (exits.length === 0) figures.faultsSurvived++;
      if (round < ROUNDS) await sleep(CALM_MS); // steady load before the next pause
    }
    t.same(exits, [], 'no replica exited: none was restarted');
    for (const replica of replicas.live) {
      t.equal(replica.state, 'running', `replica-${replica.index} ends running`);
      t.notOk(
        replica.transitions.some((line) => line.to === 'failed'),
        `replica-${replica.index} never failed`,
      );
      const replaced = replica.lines.filter((line) => /replacing the group consumer/.test(line.msg)).length;
      const retries = replica.lines.filter((line) => /retrying \(attempt \d+\)/.test(line.msg)).length;
      // A commit whose answer the pause swallowed: the replica restored its tasks before going on (commit-in-doubt.test.ts).
      const inDoubt = replica.lines.filter((line) => /the last commit may have succeeded/.test(line.msg)).length;
      figures.consumersReplaced += replaced;
      figures.commitsInDoubt += inDoubt;
      t.comment(
        `replica-${replica.index}: ${retries} failed attempts retried, ${inDoubt} of them commits in doubt, group consumer replaced ${replaced} times`,
      );
    }

    // ------------------------------------------------------------------------------------ drain, stop, verify
    await sleep(CALM_MS);
    const sent = await load.stop();
    await settle(
      'every order processed and committed',
      async () => {
        const [ends, committed] = await Promise.all([
          ask((admin) => admin.endOffsets(partitions, false)),
          ask((admin) => admin.committedOffsets(app, partitions)),
        ]);
        return partitions.every(({ topic, partition }) => {
          const end = ends?.get(tpKey(topic, partition));
          return end !== undefined && committed?.get(tpKey(topic, partition)) === end;
        });
      },
      120_000,
    );
    sampling = false;
    await sampler;
    stopping = true;
    for (const replica of replicas.live.reverse())
      t.equal(await replicas.remove(replica), 0, `replica-${replica.index} stopped gracefully`);

    const report = await verifyExactlyOnce(cluster.brokers, prefix, PARTITIONS);
    verified = exactnessFigures(report);
    assertExactlyOnce(t, report, sent, prefix, at());
  },
);
