/**
 * After a host crash a store's checkpoint may be torn, and its engine may hold writes the changelog never committed
 * (or lack ones it did). The runtime trusts local data only under a valid checkpoint of its own: a torn checkpoint,
 * or none beside data, gets the store wiped and restored from the start of its changelog.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../runtime/config.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { StreamsRuntime } from '../../runtime/streams-runtime.js';
import { int64Serde } from '../../serdes/serde.js';
import { readCheckpoint } from '../../state/checkpoint.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import { LevelDbEngine } from '../../state/leveldb-engine.js';
import { changelogTopic } from '../../state/store-definition.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { counterTopology } from '../fixtures/counter-topology.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const PARTITIONS = 4;
const KEYS = 40;
const PER_KEY = 5;
const keyName = (i: number) => `QC${String(i).padStart(4, '0')}`;

function inputs(topic: string, count: number, firstSeq: number): ProducedRecord[] {
  return Array.from({ length: count * KEYS }, (_, i) => {
    const key = Buffer.from(keyName(i % KEYS));
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

async function snapshot(runtime: StreamsRuntime): Promise<Record<string, number>> {
  const state: Record<string, number> = {};
  for (const partition of runtime.ownedPartitions)
    for await (const [key, count] of runtime.store<KeyValueStore<string, number>>('counts', partition)!.all()) state[key] = count;
  return state;
}

/** Writes into a stopped task's store behind the runtime's back: what a torn engine may hold after a host crash. */
async function tamper(dir: string, entries: Record<string, number>): Promise<void> {
  const engine = new LevelDbEngine(join(dir, 'db'));
  await engine.open();
  await engine.write(Object.entries(entries).map(([key, count]) => [Buffer.from(key), int64Serde.serialize(count)] as const));
  await engine.close();
}

t.test('a torn checkpoint, or data without one: the store is rebuilt from its changelog, never trusted', async (t) => {
  if (!(await requireKafka(t))) return;
  const client: KafkaClient = testClient();
  const app = uniqueName('torn-checkpoint');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const stateDir = `.state/test-${app}`;
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  const runtime = () =>
    new StreamsRuntime(
      counterTopology(input, output),
      loadConfig({ applicationId: app, bootstrapServers: BROKERS, stateDir, instanceId: `${app}-0`, stateEngine: 'leveldb' }),
      client,
    );

  const first = runtime();
  await first.start();
  await produce(client, inputs(input, PER_KEY, 0));
  await waitFor('the first outputs', async () => (await readAll(client, output)).length >= PER_KEY * KEYS);
  await waitFor('all tasks owned', () => first.ownedPartitions.length === PARTITIONS);
  const before = await snapshot(first);
  await first.stop();
  t.equal(Object.keys(before).length, KEYS, 'every key has a count');

  // Partition `torn`: its checkpoint cut in half, and a count in its engine that was never committed.
  const torn = partitionForKey(Buffer.from(keyName(0)), PARTITIONS);
  const tornDir = join(stateDir, app, String(torn), 'counts');
  const file = join(tornDir, 'checkpoint.json');
  const whole = await readFile(file, 'utf8');
  await writeFile(file, whole.slice(0, whole.length >> 1));
  await tamper(tornDir, { [keyName(0)]: 999, GHOST: 1 });
  // Partition `bare`: no checkpoint at all beside its data, which holds an uncommitted count too.
  const bare = (torn + 1) % PARTITIONS;
  const bareKey = Object.keys(before).find((key) => partitionForKey(Buffer.from(key), PARTITIONS) === bare)!;
  const bareDir = join(stateDir, app, String(bare), 'counts');
  await rm(join(bareDir, 'checkpoint.json'));
  await tamper(bareDir, { [bareKey]: 999 });

  const second = runtime();
  t.teardown(() => second.stop());
  await second.start();
  await waitFor('all tasks restored', () => second.ownedPartitions.length === PARTITIONS);
  t.same(await snapshot(second), before, 'the state equals the committed one: the uncommitted counts and GHOST are gone');
  const restored = (await second.metrics.restored.get()).values.reduce((sum, sample) => sum + sample.value, 0);
  const rebuiltKeys = Object.keys(before).filter((key) => [torn, bare].includes(partitionForKey(Buffer.from(key), PARTITIONS))).length;
  t.ok(restored >= rebuiltKeys, `both stores were read from their changelog's start (${restored} records for ${rebuiltKeys} keys)`);

  await produce(client, inputs(input, 1, 1000));
  await waitFor('the next outputs', async () => (await readAll(client, output)).length >= (PER_KEY + 1) * KEYS);
  const next = (await readAll(client, output))
    .map((record) => JSON.parse(record.value!.toString()) as { seq: number; count: number })
    .filter((record) => record.seq >= 1000);
  t.equal(next.length, KEYS, 'one output per new input');
  t.ok(
    next.every((record) => record.count === PER_KEY + 1),
    `every key continues at ${PER_KEY + 1}, none at 1000`,
  );

  await second.stop();
  const topic = changelogTopic(app, 'counts');
  for (const partition of [torn, bare])
    t.equal(
      (
        await readCheckpoint(join(stateDir, app, String(partition), 'counts', 'checkpoint.json'), {
          store: 'counts',
          topic,
          partition,
          engine: 'leveldb',
        })
      ).status,
      'valid',
      `partition ${partition} has a valid checkpoint again`,
    );
});
