import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { KeyValueStore } from '../../state/key-value-store.js';
import { loadConfig, type RuntimeConfig } from '../../runtime/config.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { counterTopology } from '../fixtures/counter-topology.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 4;
const KEYS = 40;

/** `count` records per key, keys QC0000…, spread over the partitions as a Java producer would. */
function inputs(topic: string, count: number, firstSeq: number): ProducedRecord[] {
  return Array.from({ length: count * KEYS }, (_, i) => {
    const key = Buffer.from(`QC${String(i % KEYS).padStart(4, '0')}`);
    return {
      topic,
      partition: partitionForKey(key, PARTITIONS),
      key,
      value: Buffer.from(JSON.stringify({ seq: firstSeq + i })),
      timestamp: Date.now(),
      headers: {},
    };
  });
}

/** The whole `counts` store of the partitions a runtime owns, as a plain object. */
async function snapshot(runtime: StreamsRuntime): Promise<Record<string, number>> {
  const state: Record<string, number> = {};
  for (const partition of runtime.ownedPartitions) {
    for await (const [key, count] of runtime.store<KeyValueStore<string, number>>('counts', partition)!.all()) state[key] = count;
  }
  return state;
}

async function outputsOf(client: KafkaClient, topic: string): Promise<Array<{ key: string; seq: number; count: number }>> {
  return (await readAll(client, topic)).map((record) => ({
    key: record.key!.toString(),
    ...(JSON.parse(record.value!.toString()) as { seq: number; count: number }),
  }));
}

function runtimeFor(client: KafkaClient, app: string, input: string, output: string, overrides: Partial<RuntimeConfig>): StreamsRuntime {
  return new StreamsRuntime(
    counterTopology(input, output),
    loadConfig({ applicationId: app, bootstrapServers: BROKERS, ...overrides }),
    client,
  );
}

/**
 * A replica with a fixed instance id and state dir that processed `perKey` inputs for every key and stopped: what the
 * next replica of the same app starts from. Its topics and state dir are the test's.
 */
async function processedAndStopped(t: Test, name: string, perKey: number) {
  const client = testClient();
  const app = uniqueName(name);
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const stateDir = `.state/test-${app}`;
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  const config = { stateDir, instanceId: `${app}-0` };
  const first = runtimeFor(client, app, input, output, config);
  await first.start();
  await produce(client, inputs(input, perKey, 0));
  await waitFor(`first ${perKey * KEYS} outputs`, async () => (await readAll(client, output)).length >= perKey * KEYS);
  await waitFor('all tasks owned', () => first.ownedPartitions.length === PARTITIONS);
  const before = await snapshot(first);
  await first.stop();
  return { client, app, input, output, stateDir, config, before };
}

t.test('deleting a task state dir and restarting restores it from the changelog to an identical state', async (t) => {
  if (!(await requireKafka(t))) return;
  const { client, app, input, output, stateDir, config, before } = await processedAndStopped(t, 'restore', 25);
  t.equal(Object.keys(before).length, KEYS, 'every key has a count before the wipe');

  // Wipe one task's directory entirely (its stores and checkpoints), as a lost volume would.
  const wiped = partitionForKey(Buffer.from('QC0000'), PARTITIONS);
  await rm(join(stateDir, app, String(wiped)), { recursive: true, force: true });

  const second = runtimeFor(client, app, input, output, config);
  t.teardown(() => second.stop());
  await second.start();
  await waitFor('all tasks restored', () => second.ownedPartitions.length === PARTITIONS);
  t.same(await snapshot(second), before, 'the restored state equals the state before the wipe');
  const restored = (await second.metrics.restored.get()).values.reduce((sum, sample) => sum + sample.value, 0);
  const wipedKeys = Object.keys(before).filter((key) => partitionForKey(Buffer.from(key), PARTITIONS) === wiped).length;
  t.ok(restored >= wipedKeys, `the wiped task read its changelog (${restored} records for ${wipedKeys} keys)`);

  // And the restored counts are the ones processing continues from.
  await produce(client, inputs(input, 1, 1000));
  await waitFor('the next outputs', async () => (await readAll(client, output)).length >= 26 * KEYS);
  const next = (await outputsOf(client, output)).filter((record) => record.seq >= 1000);
  t.equal(next.length, KEYS, 'one output per new input');
  t.ok(
    next.every((record) => record.count === 26),
    'every key continues at 26',
  );
});

t.test('a restore cut short by a broker error is taken up again: no store left locked, every task restored', async (t) => {
  if (!(await requireKafka(t))) return;
  const { client, app, input, output, config, before } = await processedAndStopped(t, 'restore-retry', 5);

  // The changelog's end offset of the third task asked for fails once, as when its leader's broker is killed:
  // the two tasks before it have opened their stores by then.
  let asked = 0;
  const failing = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'admin') return Reflect.get(target, property, receiver) as unknown;
      return () => {
        const admin = target.admin();
        return new Proxy(admin, {
          get(inner, name, innerReceiver) {
            if (name !== 'endOffsets') return Reflect.get(inner, name, innerReceiver) as unknown;
            return async (partitions: Parameters<typeof admin.endOffsets>[0], committedOnly: boolean) => {
              if (partitions.some((tp) => tp.topic.endsWith('-changelog')) && ++asked === 3)
                throw new Error('Listing offsets failed (injected: the leader is gone)');
              return admin.endOffsets(partitions, committedOnly);
            };
          },
        });
      };
    },
  });
  const second = runtimeFor(failing, app, input, output, config);
  t.teardown(() => second.stop());
  await second.start();
  await waitFor('every task restored after the failed restore', () => second.ownedPartitions.length === PARTITIONS);
  t.ok(asked > 3, `the restore was taken up again (${asked} end-offset lookups)`);
  await waitFor('running', () => second.currentState === 'running');
  t.same(await snapshot(second), before, 'the state equals the state before the restart');

  await produce(client, inputs(input, 1, 1000));
  await waitFor('the next outputs', async () => (await readAll(client, output)).length >= 6 * KEYS);
  const next = (await outputsOf(client, output)).filter((record) => record.seq >= 1000);
  t.equal(next.length, KEYS, 'one output per new input');
  t.ok(
    next.every((record) => record.count === 6),
    'every key continues at 6',
  );
});

t.test('two replicas split the partitions; stopping one moves its tasks, with state, to the other', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('replicas');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const dirs = [`.state/test-${app}-a`, `.state/test-${app}-b`];
  t.teardown(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  // Dynamic members: a stopping replica leaves the group at once instead of waiting out its session.
  const a = runtimeFor(client, app, input, output, { stateDir: dirs[0]! });
  const b = runtimeFor(client, app, input, output, { stateDir: dirs[1]! });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  await a.start();
  await b.start();
  await waitFor(
    'both replicas own tasks',
    () =>
      a.ownedPartitions.length > 0 && b.ownedPartitions.length > 0 && a.ownedPartitions.length + b.ownedPartitions.length === PARTITIONS,
  );
  const [ownedByA, ownedByB] = [a.ownedPartitions, b.ownedPartitions];
  t.same([...ownedByA, ...ownedByB].sort(), [0, 1, 2, 3], `the partitions are split with no overlap (a: ${ownedByA}, b: ${ownedByB})`);

  await produce(client, inputs(input, 10, 0));
  await waitFor('first 400 outputs', async () => (await readAll(client, output)).length >= 10 * KEYS);
  const stateOfB = await snapshot(b);
  t.ok(Object.keys(stateOfB).length > 0, 'replica b holds state for its keys');

  await b.stop();
  await waitFor('replica a owns every task', () => a.ownedPartitions.length === PARTITIONS);
  const stateOfA = await snapshot(a);
  const moved = Object.fromEntries(Object.keys(stateOfB).map((key) => [key, stateOfA[key]]));
  t.same(moved, stateOfB, `every key of b's ${Object.keys(stateOfB).length} moved to a with its count`);

  await produce(client, inputs(input, 1, 1000));
  await waitFor('the next outputs', async () => (await readAll(client, output)).length >= 11 * KEYS);
  const out = await outputsOf(client, output);
  t.equal(out.length, 11 * KEYS, 'exactly one output per input across the move');
  const next = out.filter((record) => record.seq >= 1000);
  t.ok(
    next.every((record) => record.count === 11),
    'keys of the moved tasks continue at 11, nothing counted twice or lost',
  );
});

// A stopped replica leaves the group (static or not: docs/runbook.md, scaling in), so the other may take its tasks
// over until it is back: whether it does depends on when its next heartbeat (≤ 1 s) hears of the rebalance, not on
// the product. What a restart promises is that the restarted member gets its own tasks back, with its local state.
t.test('a static member stopped and started again gets its own tasks back, its state current: nothing restores', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('static');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const dirs = [`.state/test-${app}-a`, `.state/test-${app}-b`];
  t.teardown(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  const replica = (name: 'a' | 'b', stateDir: string) =>
    runtimeFor(client, app, input, output, { stateDir, instanceId: `${app}-${name}`, sessionTimeoutMs: 30_000 });
  const a = replica('a', dirs[0]!);
  let b = replica('b', dirs[1]!);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  await a.start();
  await b.start();
  await waitFor(
    'both replicas own tasks',
    () =>
      a.ownedPartitions.length > 0 && b.ownedPartitions.length > 0 && a.ownedPartitions.length + b.ownedPartitions.length === PARTITIONS,
  );
  const [ownedByA, ownedByB, generation] = [a.ownedPartitions, b.ownedPartitions, a.groupGeneration];
  await produce(client, inputs(input, 5, 0));
  await waitFor('first outputs', async () => (await readAll(client, output)).length >= 5 * KEYS);

  await b.stop();
  b = replica('b', dirs[1]!);
  await b.start();
  await waitFor('b owns tasks again', () => b.ownedPartitions.length > 0);
  await produce(client, inputs(input, 1, 1000));
  await waitFor('the next outputs', async () => (await readAll(client, output)).length >= 6 * KEYS);

  t.same(b.ownedPartitions, ownedByB, `b got its own partitions back (group generation ${generation} → ${a.groupGeneration})`);
  t.same(a.ownedPartitions, ownedByA, 'a has its own partitions, and only those');
  const restoredBy = async (runtime: StreamsRuntime) =>
    (await runtime.metrics.restored.get()).values.reduce((sum, sample) => sum + sample.value, 0);
  t.equal(await restoredBy(b), 0, 'b found its local state current: nothing to restore from the changelog');
  const next = (await outputsOf(client, output)).filter((record) => record.seq >= 1000);
  t.ok(next.length === KEYS && next.every((record) => record.count === 6), 'both replicas continue from their state');
});

t.test('an idle loop commits at once: outputs are visible long before the commit interval', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('idle-commit');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const dirs = [`.state/test-${app}-idle`, `.state/test-${app}-interval`];
  t.teardown(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  // Ten minutes between commits on the interval: only the idle commit can make these outputs visible.
  const idle = runtimeFor(client, app, input, output, { stateDir: dirs[0]!, commitIntervalMs: 600_000, commitIdleMs: 10 });
  t.teardown(() => idle.stop());
  await idle.start();
  await waitFor('all tasks owned', () => idle.ownedPartitions.length === PARTITIONS);
  await produce(client, inputs(input, 1, 0));
  await waitFor('the outputs, committed', async () => (await readAll(client, output)).length >= KEYS, 20_000);
  t.equal((await readAll(client, output)).length, KEYS, 'one committed output per input');
  await idle.stop();

  // The same with the idle commit off: nothing committed while the interval runs.
  const interval = runtimeFor(client, `${app}-b`, input, `${output}`, {
    stateDir: dirs[1]!,
    commitIntervalMs: 600_000,
    commitIdleMs: 0,
  });
  t.teardown(() => interval.stop());
  await interval.start();
  await produce(client, inputs(input, 1, 100));
  await waitFor('the second group processed its inputs', async () => {
    const processed = (await interval.metrics.processed.get()).values.reduce((sum, sample) => sum + sample.value, 0);
    return processed >= 2 * KEYS;
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  t.equal((await readAll(client, output)).length, KEYS, 'no output of the second group committed before the interval');
});
