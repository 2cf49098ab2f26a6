/**
 * A standby copy keeps the checkpoint the active task will trust, so it holds to the same rules: data without a
 * valid checkpoint of its own is wiped and read again from the changelog's start, and the checkpoint it writes
 * vouches only for synced data.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { componentLogger } from '../../observability/logger.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { StandbyTasks } from '../../runtime/standby-tasks.js';
import { bufferSerde } from '../../serdes/serde.js';
import { encodeCheckpoint, readCheckpoint } from '../../state/checkpoint.js';
import { LevelDbEngine } from '../../state/leveldb-engine.js';
import { changelogTopic } from '../../state/store-definition.js';
import type { AdminClient, PartitionReader, TopicPartition } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';

const APP = 'app';
const PARTITION = 3;
const TOPIC = changelogTopic(APP, 'counts');
const identity = { store: 'counts', topic: TOPIC, partition: PARTITION, engine: 'leveldb' };
const changelog: ConsumedRecord[] = Array.from({ length: 10 }, (_, i) => ({
  topic: TOPIC,
  partition: PARTITION,
  offset: BigInt(i),
  key: Buffer.from(`QC000${i}`),
  value: Buffer.from(String(i)),
  timestamp: 0,
  headers: {},
}));
const END = BigInt(changelog.length);

/** A state dir whose counts store of partition 3 holds QC0000…QC0005 and GHOST (never in the changelog). */
async function stateDirWith(t: Test, checkpoint: string | undefined) {
  const stateDir = await mkdtemp(join(tmpdir(), 'omnia-standby-'));
  t.teardown(() => rm(stateDir, { recursive: true, force: true }));
  const dir = join(stateDir, APP, String(PARTITION), 'counts');
  const engine = new LevelDbEngine(join(dir, 'db'));
  await engine.open();
  await engine.write(changelog.slice(0, 6).map((record) => [record.key!, record.value]));
  await engine.write([[Buffer.from('GHOST'), Buffer.from('torn')]]);
  await engine.close();
  if (checkpoint !== undefined) await writeFile(join(dir, 'checkpoint.json'), checkpoint);
  return { stateDir, dir };
}

async function keepWarm(stateDir: string) {
  const reads: Array<[bigint, bigint]> = [];
  const lines: string[] = [];
  const reader: PartitionReader = {
    startOffset: async () => 0n,
    read: async (_tp, from, until, onRecords) => {
      reads.push([from, until]);
      await onRecords(changelog.filter((record) => record.offset >= from && record.offset < until));
      return until;
    },
    close: async () => undefined,
  };
  const admin = {
    endOffsets: async (partitions: readonly TopicPartition[]) => new Map(partitions.map((tp) => [tpKey(tp.topic, tp.partition), END])),
  } as unknown as AdminClient;
  const standbys = new StandbyTasks({
    applicationId: APP,
    stateDir,
    engine: 'leveldb',
    stores: [{ name: 'counts', keySerde: bufferSerde, valueSerde: bufferSerde, logged: true }],
    admin: () => admin,
    reader,
    active: () => new Set(),
    metrics: new RuntimeMetrics(),
    log: componentLogger('standby', (line) => lines.push(line)),
  });
  await standbys.assign([PARTITION]);
  await standbys.catchUp();
  await standbys.close();
  return { reads, wipes: lines.filter((line) => line.includes('wiping')) };
}

async function keysIn(dir: string): Promise<string[]> {
  const engine = new LevelDbEngine(join(dir, 'db'));
  await engine.open();
  const keys: string[] = [];
  for await (const [key] of engine.range()) keys.push(key.toString('latin1'));
  await engine.close();
  return keys;
}

const allKeys = changelog.map((record) => record.key!.toString());

t.test('a valid checkpoint: the copy is kept and read on from it', async (t) => {
  const { stateDir, dir } = await stateDirWith(t, encodeCheckpoint(identity, 6n));
  const { reads, wipes } = await keepWarm(stateDir);
  t.same(reads, [[6n, END]]);
  t.same(wipes, []);
  t.same(await keysIn(dir), [...allKeys, 'GHOST'].sort(), 'trusted: GHOST kept (the contrast for the cases below)');
  t.same(await readCheckpoint(join(dir, 'checkpoint.json'), identity), { status: 'valid', offset: END });
});

for (const [name, checkpoint] of [
  ['a torn checkpoint', encodeCheckpoint(identity, 6n).slice(0, 50)],
  ['no checkpoint beside data', undefined],
] as const) {
  t.test(`${name}: the copy is wiped and read from the start`, async (t) => {
    const { stateDir, dir } = await stateDirWith(t, checkpoint);
    const { reads, wipes } = await keepWarm(stateDir);
    t.same(reads, [[0n, END]]);
    t.equal(wipes.length, 1, 'one warning');
    t.match(wipes[0], /standby store counts partition 3: .*; wiping it and reading app-counts-changelog from the start/);
    t.same(await keysIn(dir), allKeys, 'exactly the changelog: GHOST is gone, and the sync marker left no key behind');
    t.same(await readCheckpoint(join(dir, 'checkpoint.json'), identity), { status: 'valid', offset: END });
  });
}
