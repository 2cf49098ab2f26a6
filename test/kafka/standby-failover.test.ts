// ci: alone (kills timed against the load; scripts/test.mjs runs it with no other broker test beside it)
/**
 * Standby replicas (OMNIA_NUM_STANDBY_REPLICAS=1) on the real broker: two replicas each keep a warm copy of the
 * other's tasks from the changelogs; the active one is SIGKILLed under load and released at once, as the primary of
 * its workers does (runtime/departed-replica.ts), and the survivor takes its tasks over restoring almost nothing,
 * long before the minute-long session timeout would have moved them, with every output exactly once and every
 * count exact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { releaseDepartedReplica } from '../../runtime/departed-replica.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { changelogTopic } from '../../state/store-definition.js';
import { BROKERS, counterRound, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const WORKER = resolve('dist/test/fixtures/counter-worker.js');
const PARTITIONS = 4;
const KEYS = 20_000; // the store's size: what a failover without a standby would restore
const ROUNDS = 3; // inputs per key: one before the kill, two while it happens
const SESSION_TIMEOUT_MS = 60_000; // long: only the release can move the tasks within the test's bounds

interface Report {
  owned: number[];
  standby: number[];
  restored: number;
  standbyApplied: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('SIGKILL the active replica: its standby takes the tasks over from its warm copy, exactly once', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('standby');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);

  const replicas = new Map<string, { child: ChildProcess; report: Report; ownsAllSince: number }>();
  const start = (name: string) => {
    const stateDir = `.state/test-${app}-${name}`;
    const child = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_INSTANCE_ID: `${app}-${name}`,
        OMNIA_NUM_STANDBY_REPLICAS: '1',
        OMNIA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
        COUNTER_INPUT: input,
        COUNTER_OUTPUT: output,
        COUNTER_REPORT: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = { child, report: { owned: [], standby: [], restored: 0, standbyApplied: 0 } as Report, ownsAllSince: 0 };
    replicas.set(name, replica);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('report ')) return;
      replica.report = JSON.parse(line.slice('report '.length)) as Report;
      if (replica.report.owned.length === PARTITIONS) replica.ownsAllSince ||= Date.now();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (/"level":"(warn|error|fatal)"/.test(line)) t.comment(`${name}: ${line}`);
    });
    t.teardown(async () => {
      child.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    });
    return replica;
  };

  const records = (n: number) => counterRound(input, KEYS, PARTITIONS, n);

  const a = start('a');
  const b = start('b');
  await waitFor('both replicas own tasks', () => a.report.owned.length > 0 && b.report.owned.length > 0, 60_000);
  await produce(client, records(0));
  await waitFor('the first round processed', async () => (await readAll(client, output)).length >= KEYS, 120_000);

  // Each keeps the other's tasks warm: the standby applied every changelog record of the partitions the other owns.
  const changelog = changelogTopic(app, 'counts');
  const perPartition = new Map<number, number>();
  for (const record of await readAll(client, changelog)) perPartition.set(record.partition, (perPartition.get(record.partition) ?? 0) + 1);
  const recordsOf = (partitions: number[]) => partitions.reduce((sum, partition) => sum + (perPartition.get(partition) ?? 0), 0);
  await waitFor(
    "each replica's standbys caught up with the other's changelogs",
    () =>
      JSON.stringify(a.report.standby) === JSON.stringify(b.report.owned) &&
      JSON.stringify(b.report.standby) === JSON.stringify(a.report.owned) &&
      b.report.standbyApplied >= recordsOf(a.report.owned) &&
      a.report.standbyApplied >= recordsOf(b.report.owned),
    60_000,
  );
  t.same([...a.report.owned, ...b.report.owned].sort(), [0, 1, 2, 3], 'every task active on one replica');
  t.same(b.report.standby, a.report.owned, "b keeps a's tasks warm");
  const moved = [...a.report.owned];
  const restoredBefore = b.report.restored;
  const appliedBefore = b.report.standbyApplied;
  t.comment(`b's standbys applied ${appliedBefore} changelog records of a's ${recordsOf(moved)} so far`);

  // Under load: the next two rounds go in batches, and a is SIGKILLed in the middle of them.
  const batches = [...records(1), ...records(2)];
  const feeding = (async () => {
    for (let i = 0; i < batches.length; i += 1000) {
      await produce(client, batches.slice(i, i + 1000));
      await sleep(20);
    }
  })();
  await sleep(400);
  b.ownsAllSince = 0; // it may have owned every task before a joined, at the start
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await new Promise((exited) => a.child.once('exit', exited));
  const released = await releaseDepartedReplica(client, { applicationId: app, instanceId: `${app}-a`, exactlyOnce: true });
  t.same(released, { fenced: true, removed: true }, 'a released: its member removed, any open transaction of it aborted');
  await waitFor('b owns every task', () => b.report.owned.length === PARTITIONS, SESSION_TIMEOUT_MS / 2);
  const tookOverAt = b.ownsAllSince;
  await feeding;
  let produced = 0;
  await waitFor('every output committed', async () => (produced = (await readAll(client, output)).length) >= ROUNDS * KEYS, 180_000).catch(
    (error) => {
      throw new Error(`${(error as Error).message}: ${produced} of ${ROUNDS * KEYS} outputs committed`);
    },
  );

  const restored = b.report.restored - restoredBefore;
  const keysMoved = Array.from({ length: KEYS }, (_, k) => Buffer.from(`K${String(k).padStart(6, '0')}`)).filter((key) =>
    moved.includes(partitionForKey(key, PARTITIONS)),
  ).length;
  t.ok(
    restored < keysMoved / 10,
    `taking over ${keysMoved} keys restored ${restored} changelog records: the rest was warm already (${b.report.standbyApplied} applied by the standby)`,
  );
  t.comment(`tasks owned by b ${((tookOverAt - killedAt) / 1000).toFixed(2)} s after the SIGKILL (session timeout: 60 s)`);

  const out = await readAll(client, output);
  const seen = new Map<number, number>();
  const countsByKey = new Map<string, number[]>();
  for (const record of out) {
    const { seq, count } = JSON.parse(record.value!.toString()) as { seq: number; count: number };
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    const key = record.key!.toString();
    countsByKey.set(key, [...(countsByKey.get(key) ?? []), count]);
  }
  t.equal(out.length, ROUNDS * KEYS, 'exactly one output per input');
  t.equal([...seen.values()].filter((n) => n > 1).length, 0, 'no input processed twice');
  t.equal(
    [...countsByKey.values()].filter((counts) => JSON.stringify(counts) !== JSON.stringify([1, 2, 3])).length,
    0,
    'every key counted 1, 2, 3 across the failover',
  );
});
