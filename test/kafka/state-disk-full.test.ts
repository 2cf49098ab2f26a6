/**
 * The state directory's disk full, under load: one of two `omnia start` replicas keeps its stores on a small tmpfs
 * of the test's own (OMNIA_STATE_DIR), which is filled up while orders flow. What must happen:
 *
 *   - the replica stops at its first store write that fails: it logs one error an operator can act on (the state
 *     directory, "disk full", what to do), ends `failed` and exits non-zero (Kubernetes restarts it), so nothing
 *     more is committed on top of a store that missed the writes of a committed transaction;
 *   - the other replica takes its tasks over once the group drops it;
 *   - with space freed, the replica started again on the same directory (the LevelDB logs the failed writes tore
 *     still in it) takes its tasks back, restores them from its checkpoints and the changelogs, and goes on;
 *   - every output exactly once against an in-process replay of the same input (every order released once or
 *     refused with a reason), and every store of every task on both replicas holds exactly its changelog up to its
 *     checkpoint: no torn store is trusted.
 *
 * Why the first failure must be the last: LevelDB answers a write that finds the disk full with an error, but the
 * half-written record stays in its log, and the writes it acknowledges after space is freed are gone when the
 * store is next opened. A replica that retried would commit on top of them, and its next checkpoint would vouch for
 * writes its store has lost.
 *
 * The CI run fills the disk once. The long form (bench/faults.ts) sets, with the same assertions:
 *
 *   FAULT_ROUNDS=1        fill / exit / take-over / free / restart cycles in one run, on the same directory
 *   FAULT_TMPFS_MB=48     the tmpfs's size (room for the stores a longer run grows, besides the ballast)
 *   FAULT_CALM_SECONDS=5  load after a restart, before the next fill (only between rounds)
 *
 * One line `# figures: {…}` sums the run up (faults injected, orders, lost, duplicated, recovery times).
 *
 * Needs the shared broker and root (to mount the tmpfs); without either it skips saying why, and under CI=true it
 * fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { readCheckpoint } from '../../state/checkpoint.js';
import { SYNC_MARKER } from '../../state/engine.js';
import { LevelDbEngine } from '../../state/leveldb-engine.js';
import { changelogTopic } from '../../state/store-definition.js';
import { tpKey, type TopicPartition } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import {
  exactnessFigures,
  OrderLoad,
  readCommitted,
  referenceRecords,
  Replicas,
  assertExactlyOnce,
  verifyExactlyOnce,
} from './cluster-harness.js';
import { BROKERS, createPipelineTopics, knob, produce, requireKafka, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 4;
const RATE = 80;
const ROUNDS = Math.floor(knob('FAULT_ROUNDS', 1));
/** Room for the replica's stores at start (3 global tables, 8 stores per task) and a few seconds of orders. */
const TMPFS_MB = Math.floor(knob('FAULT_TMPFS_MB', 48));
const CALM_MS = knob('FAULT_CALM_SECONDS', 5) * 1000;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Mounts a tmpfs of `megabytes` on `dir`; the reason when the system refuses. */
function mountTmpfs(dir: string, megabytes: number): string | undefined {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status === 0) return undefined;
  return `mount -t tmpfs on ${dir} was refused (${(mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim()}): run as root`;
}

function unmount(dir: string): void {
  // Lazily when something still holds a file in it: the mount goes once that is gone.
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** Fills the file system of `dir` to the last block with a file of its own; resolves with the bytes written. */
async function fill(file: string): Promise<number> {
  const handle = await open(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(chunk);
          written += bytesWritten;
          if (bytesWritten < size) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

/** A store's content as comparable text, key → value (hex). */
type StoreContent = Map<string, string>;

/** What a store of task `partition` holds when it holds exactly its changelog below `checkpoint`. */
function changelogUpTo(records: Awaited<ReturnType<typeof readCommitted>>, partition: number, checkpoint: bigint): StoreContent {
  const content: StoreContent = new Map();
  for (const record of records) {
    if (record.partition !== partition || record.offset >= checkpoint) continue;
    const key = (record.key ?? Buffer.alloc(0)).toString('hex');
    if (record.value === null) content.delete(key);
    else content.set(key, record.value.toString('hex'));
  }
  return content;
}

async function engineContent(location: string): Promise<StoreContent> {
  const engine = new LevelDbEngine(location);
  await engine.open();
  const content: StoreContent = new Map();
  try {
    for await (const [key, value] of engine.range()) if (!key.equals(SYNC_MARKER)) content.set(key.toString('hex'), value.toString('hex'));
  } finally {
    await engine.close();
  }
  return content;
}

t.test('the state directory full under load: the replica stops at once, and afterwards every order is released exactly once', async (t) => {
  if (!(await requireKafka(t))) return;
  const started = Date.now();
  const at = () => `t=${Math.round((Date.now() - started) / 1000)} s`;
  const app = uniqueName('disk-full');
  const prefix = `${app}.`;
  const orderTopic = prefix + Topics.orderCreate;
  const stateRoot = await mkdtemp(join(tmpdir(), `omnia-${app}-`));
  const fullDir = join(stateRoot, '0'); // replica-0's OMNIA_STATE_DIR
  await mkdir(fullDir);
  const refused = mountTmpfs(fullDir, TMPFS_MB);
  if (refused) {
    await rm(stateRoot, { recursive: true, force: true });
    if (process.env.CI) t.fail(refused);
    else t.comment(`SKIPPED: ${refused}`);
    return;
  }
  const logDir = await mkdtemp(join(tmpdir(), `omnia-${app}-logs-`));
  const replicas = new Replicas({
    brokers: BROKERS,
    applicationId: app,
    prefix,
    stateRoot,
    // One broker: one copy of the topics the runtime creates. The broker's least session timeout: the failed
    // replica is dropped from the group soon.
    env: { OMNIA_TOPIC_REPLICATION_FACTOR: '1', OMNIA_TOPIC_MIN_INSYNC_REPLICAS: '1', OMNIA_SESSION_TIMEOUT_MS: '6000' },
    logDir,
  });
  const client = new PlatformaticClient(BROKERS, app);
  const load = new OrderLoad(client, orderTopic, { rate: RATE, partitions: PARTITIONS, log: (line) => t.comment(line) });
  const admin = client.admin();
  // The run in figures, printed last whatever happened (bench/faults.ts reads the line).
  const figures = {
    campaign: 'state-disk-full',
    rounds: ROUNDS,
    tmpfsMb: TMPFS_MB,
    rate: RATE,
    faultsInjected: 0,
    faultsSurvived: 0,
    recoveries: [] as Array<Record<string, number | null>>,
  };
  let verified: (ReturnType<typeof exactnessFigures> & { storesChecked?: number; storesDiffering?: number }) | undefined;
  t.teardown(async () => {
    await load.stop().catch(() => undefined);
    await replicas.killAll();
    await admin.close().catch(() => undefined);
    unmount(fullDir); // always, whatever happened above
    await rm(stateRoot, { recursive: true, force: true });
    if (t.passing()) await rm(logDir, { recursive: true, force: true });
    else t.comment(`the replicas' logs are kept in ${logDir}`);
    const wallSeconds = Math.round((Date.now() - started) / 1000);
    t.comment(`wall time ${wallSeconds} s`);
    t.comment(`figures: ${JSON.stringify({ ...figures, ...verified, sent: load.sent, passed: t.passing(), wallSeconds })}`);
  });

  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(client, referenceRecords(prefix));
  const partitions: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: orderTopic, partition }));
  const committed = async () => admin.committedOffsets(app, partitions);
  /** The group as its coordinator sees it: each member's instance's order.create partitions, once stable. */
  const spreadOver = async (count: number) => {
    const group = await admin.describeGroup(app);
    if (!/stable/i.test(group.state) || group.members.length !== count) return false;
    const owned = group.members.flatMap((member) => member.partitions.filter((tp) => tp.topic === orderTopic).map((tp) => tp.partition));
    return new Set(owned).size === PARTITIONS && replicas.live.every((replica) => replica.state === 'running');
  };
  const diagnosis = () =>
    replicas.all
      .map(
        (replica) =>
          `replica-${replica.index} (pid ${replica.pid}, ${replica.alive ? `alive, ${replica.state}` : `exited`}): ` +
          JSON.stringify(Object.fromEntries(replica.problems())).slice(0, 1500),
      )
      .join('\n');
  const settle = (what: string, condition: () => Promise<boolean>, timeoutMs: number) =>
    waitFor(what, () => condition().catch(() => false), timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n${diagnosis()}`);
    });

  /** Waits until replica-0's partitions (0 and 1) have committed 50 orders more than when it was called. */
  const replicaZeroCommitting = async (what: string) => {
    const from = await committed();
    const ahead = (now: Map<string, bigint>) =>
      [0, 1].every((partition) => (now.get(tpKey(orderTopic, partition)) ?? -1n) > (from.get(tpKey(orderTopic, partition)) ?? -1n) + 50n);
    await settle(what, async () => ahead(await committed()), 90_000);
  };

  // ------------------------------------------------------------------------------------ two replicas, load
  const [full] = await Promise.all([replicas.add(0), replicas.add(1)]);
  await settle('the tasks spread over both replicas', () => spreadOver(2), 90_000);
  load.start();
  // Replica-0 (the first instance id: partitions 0 and 1) commits on its tmpfs for a while.
  await replicaZeroCommitting('replica-0 committing orders');
  t.pass(`both replicas running, replica-0 committing on its ${TMPFS_MB} MB tmpfs (${at()})`);

  // ------------------------------------------------------------------------------------ the disk full
  let current = full; // replica-0 of this round: started again at the end of each
  for (let round = 1; round <= ROUNDS; round++) {
    const label = ROUNDS > 1 ? `round ${round}/${ROUNDS}: ` : '';
    const ballast = join(fullDir, 'ballast');
    const filledAt = Date.now();
    const bytes = await fill(ballast);
    figures.faultsInjected++;
    t.comment(`${label}${fullDir} filled up with ${(bytes / 2 ** 20).toFixed(1)} MB of ballast (${at()})`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      current.exited,
      new Promise<'still running'>((done) => (timer = setTimeout(() => done('still running'), 120_000))),
    ]);
    clearTimeout(timer);
    t.not(code, 'still running', 'the replica whose disk is full exits by itself', { diagnosis: diagnosis() });
    t.comment(`${label}it exited ${((current.exitedAt ?? Date.now()) - filledAt) / 1000} s after the disk filled up (${at()})`);
    t.ok(typeof code === 'number' && code !== 0, `it exits non-zero (${String(code)}), so its pod is restarted`);
    t.equal(current.state, 'failed', 'its runtime ends failed');
    const errors = current.lines.filter((line) => line.level >= 50 && line.at >= filledAt);
    const told = errors.find((line) => {
      const text = `${line.msg} ${JSON.stringify(line.err ?? '')}`;
      return text.includes(fullDir) && /disk (is )?full|ENOSPC|no space left/i.test(text) && /OMNIA_STATE_DIR/.test(text);
    });
    t.ok(told, 'its error names the state directory, the full disk and the setting to look at', {
      errors: errors.map((line) => line.msg),
    });
    t.comment(`what the operator reads: ${told?.msg ?? '(none)'}`);
    // Nothing was retried after the failed store write: a retry would commit on top of a store that missed writes.
    const firstStoreError = current.lines.find((line) => line.at >= filledAt && line.level >= 40);
    const retries = current.lines.filter((line) => line.at >= filledAt && / retrying \(attempt \d+\)/.test(line.msg));
    t.same(
      retries.map((line) => line.msg.slice(0, 200)),
      [],
      `no retry after the first failure (${firstStoreError?.msg.slice(0, 200) ?? 'none'})`,
    );
    t.ok(
      replicas.live.some((replica) => replica.index === 1),
      'the other replica runs on',
    );

    // ---------------------------------------------------------------------------------- the other takes over
    await settle('replica-1 to own every task', () => spreadOver(1), 90_000);
    const atTakeOver = await committed();
    await settle(
      'replica-1 committing replica-0’s tasks',
      async () => {
        const now = await committed();
        return [0, 1].every(
          (partition) => (now.get(tpKey(orderTopic, partition)) ?? -1n) > (atTakeOver.get(tpKey(orderTopic, partition)) ?? -1n),
        );
      },
      90_000,
    );
    const tookOver = Date.now();
    t.pass(`replica-1 owns and commits every task (${at()})`);

    // ---------------------------------------------------------------------------------- space freed, replica-0 again
    await rm(ballast);
    const restarted = Date.now();
    const again = await replicas.add(0); // the same directory, with what the failed writes left in it
    await settle('the tasks spread over both replicas again', () => spreadOver(2), 90_000);
    await replicaZeroCommitting('replica-0 committing its tasks again');
    t.ok(again.alive && again.state === 'running', `replica-0, started again on its directory, runs its tasks (${at()})`);
    const wiped = again.lines.filter((line) => /wiping it and restoring/.test(line.msg)).map((line) => line.msg);
    t.comment(`stores replica-0 found untrusted and rebuilt: ${wiped.length ? wiped.join('; ') : 'none (each checkpoint valid)'}`);
    const seconds = (from: number, to: number | undefined) => (to === undefined ? null : Math.round((to - from) / 100) / 10);
    figures.recoveries.push({
      ballastMb: Math.round((bytes / 2 ** 20) * 10) / 10,
      exitSeconds: seconds(filledAt, current.exitedAt),
      takeOverSeconds: seconds(current.exitedAt ?? filledAt, tookOver),
      restartSeconds: seconds(restarted, Date.now()),
      storesRebuilt: wiped.length,
    });
    if (told && typeof code === 'number' && code !== 0 && again.alive && again.state === 'running') figures.faultsSurvived++;
    current = again;
    if (round < ROUNDS) await sleep(CALM_MS); // steady load before the next fill
  }

  // ------------------------------------------------------------------------------------ drain, stop, verify
  const sent = await load.stop();
  await settle(
    'every order processed and committed',
    async () => {
      const [ends, now] = await Promise.all([admin.endOffsets(partitions, false), committed()]);
      return partitions.every(({ topic, partition }) => now.get(tpKey(topic, partition)) === ends.get(tpKey(topic, partition)));
    },
    120_000,
  );
  for (const replica of replicas.live.reverse()) t.equal(await replicas.remove(replica), 0, `replica-${replica.index} stopped gracefully`);

  const report = await verifyExactlyOnce(BROKERS, prefix, PARTITIONS);
  verified = exactnessFigures(report);
  assertExactlyOnce(t, report, sent, prefix, at());

  // Every store of every task, on both replicas: exactly its changelog below its checkpoint.
  const topology = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix));
  const logged = [...topology.stores.values()].filter((store) => store.logged).map((store) => store.name);
  let checked = 0;
  const differing: string[] = [];
  for (const store of logged) {
    const topic = changelogTopic(app, store);
    const records = await readCommitted(BROKERS, topic);
    for (const replica of [0, 1])
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const dir = join(stateRoot, String(replica), app, String(partition), store);
        const checkpoint = await readCheckpoint(join(dir, 'checkpoint.json'), { store, topic, partition, engine: 'leveldb' });
        if (checkpoint.status === 'missing') continue; // a task this replica never had
        if (checkpoint.status !== 'valid') {
          differing.push(`replica-${replica} ${store}/${partition}: checkpoint ${checkpoint.reason}`);
          continue;
        }
        const [have, want] = [await engineContent(join(dir, 'db')), changelogUpTo(records, partition, checkpoint.offset)];
        const wrong = [...new Set([...have.keys(), ...want.keys()])].filter((key) => have.get(key) !== want.get(key));
        if (wrong.length) differing.push(`replica-${replica} ${store}/${partition}: ${wrong.length} keys differ from the changelog`);
        checked++;
      }
  }
  verified = { ...verified, storesChecked: checked, storesDiffering: differing.length };
  t.same(differing, [], `every store equals its changelog up to its checkpoint (${checked} stores of tasks on both replicas)`);
  t.ok(
    [0, 1].every((partition) => logged.every((store) => existsSync(join(fullDir, app, String(partition), store, 'checkpoint.json')))),
    'replica-0’s tasks kept their stores on the tmpfs throughout',
  );
});
