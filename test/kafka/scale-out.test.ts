// ci: alone (a private cluster of three brokers: three JVMs; scripts/test.mjs runs it with no other broker test beside it)
/**
 * Scale-out and a broker failure on a three-node cluster of the test's own (scripts/kafka-cluster.sh in a
 * temporary dir on free ports: replication 3, min.insync.replicas 2, the offsets and transaction topics likewise),
 * the short version of bench/scale-out.ts, with no timing asserted (speed is the bench's):
 *
 *   - demo orders at a steady rate onto topics replicated 3 / min ISR 2, the runtime's own topics (changelogs,
 *     outputs, dead-letter topics) made so by OMNIA_TOPIC_REPLICATION_FACTOR=3 / OMNIA_TOPIC_MIN_INSYNC_REPLICAS=2;
 *   - `omnia start` replicas go 1 → 3 (two started: the group spreads the tasks over three) → the node that
 *     coordinates the group SIGKILLed under load and revived (it takes its partitions, and often the group's
 *     coordination, back) → 3 → 1 (SIGTERM, graceful);
 *   - no replica exits unasked, every task commits again after the node's return, and every committed output
 *     (read_committed) equals an in-process replay of the same input record for record, every order released
 *     once or refused with a reason, no status change twice.
 *
 * The group coordinator's node is the hard case: before the fixes of bench/scale-out.md ("What misbehaved") the
 * replicas crashed (a TypeError from the client's connection pool, an unheard 'error' event), stayed members
 * committing nothing (a coordinator cached forever), or crash-looped restoring a changelog holding an empty
 * aborted transaction.
 *
 * Needs java (and the broker jars, or mvn to fetch them); without them it skips, naming what to install, and under
 * CI=true it fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import t from 'tap';
import { changelogTopic } from '../../state/store-definition.js';
import { tpKey } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { Stores, Topics } from '../../topology/topics.js';
import {
  createReplicatedTopics,
  LocalCluster,
  missingForCluster,
  OrderLoad,
  referenceRecords,
  type Replica,
  Replicas,
  assertExactlyOnce,
  verifyExactlyOnce,
} from './cluster-harness.js';
import { produce, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 6;
const RATE = 80;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

t.test('three brokers: replicas 1 → 3 → 1 and a broker killed and revived under load, every output exactly once', async (t) => {
  const started = Date.now();
  const missing = missingForCluster();
  if (missing.length) {
    const message = `the three-broker cluster needs ${missing.join(', ')}`;
    if (process.env.CI) t.fail(message);
    else t.comment(`SKIPPED: ${message}`);
    return;
  }
  const cluster = await LocalCluster.temporary();
  const app = uniqueName('scale-out');
  const prefix = `${app}.`;
  const orderTopic = prefix + Topics.orderCreate;
  const stateRoot = join(tmpdir(), `omnia-${app}`);
  const logDir = await mkdtemp(join(tmpdir(), `omnia-${app}-logs-`));
  const replicas = new Replicas({
    brokers: cluster.brokers,
    applicationId: app,
    prefix,
    stateRoot,
    // The broker's least session timeout: a replica that is gone is noticed soon.
    env: { OMNIA_SESSION_TIMEOUT_MS: '6000' },
    logDir,
  });
  const client = new PlatformaticClient(cluster.brokers, app);
  const load = new OrderLoad(client, orderTopic, { rate: RATE, partitions: PARTITIONS, log: (line) => t.comment(line) });
  t.teardown(async () => {
    await load.stop().catch(() => undefined);
    await replicas.killAll();
    await cluster.remove();
    await rm(stateRoot, { recursive: true, force: true });
    if (t.passing()) await rm(logDir, { recursive: true, force: true });
    else t.comment(`the replicas' logs are kept in ${logDir}`);
    t.comment(`wall time ${Math.round((Date.now() - started) / 1000)} s`);
  });
  const at = () => `t=${Math.round((Date.now() - started) / 1000)} s`;
  t.comment(`${(await cluster.start()).split('\n').at(-1)} (${at()})`);
  const admin = client.admin();
  t.teardown(() => admin.close().catch(() => undefined));
  await createReplicatedTopics(client, prefix, PARTITIONS);
  await produce(client, referenceRecords(prefix));

  // A replica that exits without being asked to is started again, as its StatefulSet would; each such exit is counted.
  const asked = new Set<Replica>();
  const crashes: string[] = [];
  const start = async (index: number): Promise<Replica> => {
    const replica = await replicas.add(index);
    void replica.exited.then(async (code) => {
      if (asked.has(replica)) return;
      // What a crashing Node process prints (not JSON): the error and where it was thrown.
      const crash = replica.raw.filter((line) => !line.startsWith('{') && line.trim() !== '');
      crashes.push(`replica-${index} exited (${code}): ${crash.slice(0, 6).join(' | ').slice(0, 600)}`);
      if (!stopping) await start(index).catch(() => undefined);
    });
    return replica;
  };
  const stop = async (replica: Replica) => {
    asked.add(replica);
    return replicas.remove(replica);
  };
  let stopping = false;
  /** What the replicas did, for a wait that timed out. */
  const diagnosis = () =>
    [
      ...crashes,
      ...replicas.all.map(
        (replica) =>
          `replica-${replica.index} (pid ${replica.pid}, ${replica.alive ? `alive, ${replica.state}` : `exited`}): ` +
          JSON.stringify(Object.fromEntries(replica.problems())).slice(0, 1500),
      ),
    ].join('\n');
  // The test's own admin calls meet the broker failure too ("Listing offsets failed."): not yet, ask again.
  const settle = (what: string, condition: () => Promise<boolean>, timeoutMs: number) =>
    waitFor(what, () => condition().catch(() => false), timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n${diagnosis()}`);
    });

  /** The group as its coordinator sees it: each member's order.create partitions. */
  const members = async (): Promise<Map<string, number[]>> => {
    const group = await admin.describeGroup(app);
    if (!/stable/i.test(group.state)) return new Map();
    return new Map(
      group.members.map((member) => [member.memberId, member.partitions.filter((tp) => tp.topic === orderTopic).map((tp) => tp.partition)]),
    );
  };
  const spreadOver = async (count: number) => {
    const view = await members();
    const owned = [...view.values()].flat();
    return (
      view.size === count &&
      [...view.values()].every((partitions) => partitions.length > 0) &&
      new Set(owned).size === PARTITIONS &&
      replicas.live.every((replica) => replica.state === 'running')
    );
  };

  // ------------------------------------------------------------------------------------ one replica, load
  await start(0);
  await settle('replica-0 to own every task', () => spreadOver(1), 60_000);
  load.start();
  await sleep(5_000);

  // ------------------------------------------------------------------------------------ 1 → 3
  const added = await Promise.all([start(1), start(2)]);
  await settle('the tasks spread over three replicas', () => spreadOver(3), 90_000);
  t.pass(`scaled 1 → 3: three members, each owning tasks (${at()})`);
  await sleep(3_000);

  // ------------------------------------------------------------------------------------ the group coordinator's node killed, revived
  const node = await cluster.groupCoordinator(app);
  const transactions = Object.fromEntries(
    await cluster.transactionCoordinators(replicas.live.map((replica) => `${app}-${replica.instanceId}`)),
  );
  t.comment(`${await cluster.kill(node)} (${at()}): the group's coordinator; transaction coordinators: ${JSON.stringify(transactions)}`);
  // Past the broker's session timeout (9 s): it is fenced and its partitions' leaders move to the other two.
  await sleep(12_000);
  t.comment(`${await cluster.revive(node)} (${at()})`);
  const inSync = async () => {
    const partitions = await cluster.partitions([orderTopic, prefix + Topics.release, changelogTopic(app, Stores.orders)]);
    return [...partitions.values()].every((list) => list.length === PARTITIONS && list.every(({ isr }) => isr.length === 3));
  };
  await settle(`node ${node} back in sync`, inSync, 90_000);
  t.pass(`node ${node} killed and revived; every partition has three in-sync replicas again (${at()})`);

  // ------------------------------------------------------------------------------------ 3 → 1
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: orderTopic, partition }));
  for (const replica of [...added].reverse()) t.equal(await stop(replica), 0, `replica-${replica.index} stopped gracefully`);
  await settle('replica-0 to own every task again', () => spreadOver(1), 90_000);
  t.pass(`scaled 3 → 1 (${at()})`);
  await sleep(3_000);
  const sent = await load.stop();
  await settle(
    'every order processed and committed',
    async () => {
      const [ends, committed] = await Promise.all([admin.endOffsets(partitions, false), admin.committedOffsets(app, partitions)]);
      return partitions.every(({ topic, partition }) => committed.get(tpKey(topic, partition)) === ends.get(tpKey(topic, partition)));
    },
    120_000,
  );
  t.comment(`every order committed (${at()})`);
  stopping = true;
  for (const replica of replicas.live) t.equal(await stop(replica), 0, `replica-${replica.index} stopped gracefully`);

  const report = await verifyExactlyOnce(cluster.brokers, prefix, PARTITIONS);
  assertExactlyOnce(t, report, sent, prefix);
  t.same(crashes, [], 'no replica exited unasked');

  // The runtime's own topics were created as the settings say.
  const raw = new Admin({ clientId: `${app}-check`, bootstrapBrokers: cluster.brokers, retries: 3, retryDelay: 250, timeout: 10_000 });
  t.teardown(() => raw.close().catch(() => undefined));
  const own = [changelogTopic(app, Stores.orders), prefix + Topics.release, `${orderTopic}.dlq`];
  const layout = await cluster.partitions(own);
  for (const topic of own)
    t.ok(
      layout.get(topic)?.every(({ replicas: copies }) => copies.length === 3),
      `${topic}: three copies of every partition`,
    );
  const configs = await raw.describeConfigs({
    resources: own.map((name) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName: name,
      configurationKeys: ['min.insync.replicas'],
    })),
  });
  for (const resource of configs)
    t.equal(
      resource.configs.find((entry) => entry.name === 'min.insync.replicas')?.value,
      '2',
      `${resource.resourceName}: min.insync.replicas 2`,
    );
});
