/**
 * A task's restore trusts local store data only under a valid checkpoint of its own: with a torn, damaged, foreign
 * or missing one, the data may be torn by a host crash, so the store is wiped and read from the changelog's start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { componentLogger } from '../../observability/logger.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { restoreStores } from '../../runtime/restore.js';
import { bufferSerde } from '../../serdes/serde.js';
import { encodeCheckpoint, readCheckpoint, writeCheckpoint } from '../../state/checkpoint.js';
import { MemoryEngine } from '../../state/memory-engine.js';
import { TaskStore } from '../../state/task-store.js';
import type { AdminClient, PartitionReader, TopicPartition } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';

const TOPIC = 'app-counts-changelog';
const PARTITION = 3;
const identity = { store: 'counts', topic: TOPIC, partition: PARTITION, engine: 'memory' };

/** A memory engine standing in for a persistent one: its data "outlives the process", so its checkpoint counts. */
class DurableEngine extends MemoryEngine {
  override readonly durable = true;
}
/** The changelog: QC0000…QC0009 at offsets 0…9. */
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

const admin = {
  endOffsets: async (partitions: readonly TopicPartition[]) => new Map(partitions.map((tp) => [tpKey(tp.topic, tp.partition), END])),
} as unknown as AdminClient;

function readerOf(options: { failAfterWipe?: boolean } = {}): PartitionReader & { reads: Array<[bigint, bigint]> } {
  const reads: Array<[bigint, bigint]> = [];
  return {
    reads,
    startOffset: async () => 0n,
    read: async (_tp, from, until, onRecords) => {
      reads.push([from, until]);
      if (options.failAfterWipe) throw new Error('Fetching failed (injected: the leader is gone)');
      await onRecords(changelog.filter((record) => record.offset >= from && record.offset < until));
      return until;
    },
    close: async () => undefined,
  };
}

/**
 * A store whose engine holds QC0000…QC0005 from the changelog and `GHOST`, a key the changelog never had: what a
 * torn store may hold. Where GHOST survives a restore, the local data was trusted.
 */
async function storeWith(t: Test, checkpoint: string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-restore-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'checkpoint.json');
  if (checkpoint !== undefined) await writeFile(file, checkpoint);
  const engine = new DurableEngine();
  await engine.write(changelog.slice(0, 6).map((record) => [record.key!, record.value]));
  await engine.write([[Buffer.from('GHOST'), Buffer.from('torn')]]);
  const store = new TaskStore({ name: 'counts', keySerde: bufferSerde, valueSerde: bufferSerde, logged: true }, engine, TOPIC, file);
  return { file, engine, store };
}

async function restore(store: TaskStore<unknown, unknown>, reader = readerOf()) {
  const warnings: string[] = [];
  const log = componentLogger('restore', (line) => warnings.push(line));
  const [result] = await restoreStores(PARTITION, [store], admin, reader, new RuntimeMetrics(), log);
  return { result: result!, warnings, reads: reader.reads };
}

async function keysOf(engine: MemoryEngine): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key] of engine.range()) keys.push(key.toString());
  return keys;
}

const allKeys = changelog.map((record) => record.key!.toString());

t.test('a valid checkpoint: the local data is trusted and only the changelog tail is read', async (t) => {
  const { file, engine, store } = await storeWith(t, encodeCheckpoint(identity, 6n));
  const { result, warnings, reads } = await restore(store as TaskStore<unknown, unknown>);
  t.same(reads, [[6n, END]], 'read from the checkpoint');
  t.equal(result.restored, 4);
  t.same(await keysOf(engine), [...allKeys, 'GHOST'].sort(), 'kept what the engine held (the contrast for the cases below)');
  t.same(warnings, []);
  t.same(await readCheckpoint(file, identity), { status: 'valid', offset: END });
});

const untrusted: Array<[string, string | undefined, RegExp]> = [
  ['a torn checkpoint (cut short)', encodeCheckpoint(identity, 6n).slice(0, 40), /not whole JSON/],
  ['a checkpoint with a byte changed', encodeCheckpoint(identity, 6n).replace('"6"', '"8"'), /checksum does not match/],
  ["another partition's checkpoint", encodeCheckpoint({ ...identity, partition: 4 }, 6n), /belongs to store counts \(.* partition 4\)/],
  ["another engine's checkpoint", encodeCheckpoint({ ...identity, engine: 'rocksdb' }, 6n), /written for a rocksdb engine/],
  ['a checkpoint in the old format', JSON.stringify({ offset: '6' }), /old format/],
  ['no checkpoint beside data', undefined, /holds data but has no checkpoint/],
];

for (const [name, checkpoint, reason] of untrusted) {
  t.test(`${name}: the store is wiped and read from the start of its changelog, with a warning`, async (t) => {
    const { file, engine, store } = await storeWith(t, checkpoint);
    const { result, warnings, reads } = await restore(store as TaskStore<unknown, unknown>);
    t.same(reads, [[0n, END]], 'read from the start');
    t.equal(result.restored, changelog.length);
    t.same(await keysOf(engine), allKeys, 'exactly the changelog: GHOST is gone');
    t.equal(warnings.length, 1, 'one warning');
    t.match(warnings[0], reason, 'naming the reason');
    t.match(warnings[0], /wiping it and restoring it from the start of app-counts-changelog/);
    t.same(await readCheckpoint(file, identity), { status: 'valid', offset: END }, 'a valid checkpoint afterwards');
  });
}

t.test('no checkpoint and no data (a first start): a full restore, no warning', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-restore-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const engine = new DurableEngine();
  const store = new TaskStore(
    { name: 'counts', keySerde: bufferSerde, valueSerde: bufferSerde, logged: true },
    engine,
    TOPIC,
    join(dir, 'c.json'),
  );
  const { result, warnings } = await restore(store as TaskStore<unknown, unknown>);
  t.equal(result.restored, changelog.length);
  t.same(warnings, []);
});

t.test('a wiped store whose restore is cut short keeps no checkpoint that would vouch for it', async (t) => {
  // The checkpoint is ahead of the changelog (topic recreated): the store is wiped, then the read fails.
  const { file, store } = await storeWith(t, undefined);
  await writeCheckpoint(file, identity, END + 5n);
  await t.rejects(restore(store as TaskStore<unknown, unknown>, readerOf({ failAfterWipe: true })), /leader is gone/);
  t.same(await readCheckpoint(file, identity), { status: 'missing' }, 'the old checkpoint went with the data');
});

t.test('an in-memory store starts empty every time: a checkpoint left on disk is not trusted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-restore-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'checkpoint.json');
  await writeCheckpoint(file, identity, 6n);
  const engine = new MemoryEngine();
  const store = new TaskStore({ name: 'counts', keySerde: bufferSerde, valueSerde: bufferSerde, logged: true }, engine, TOPIC, file);
  const { reads } = await restore(store as TaskStore<unknown, unknown>);
  t.same(reads, [[0n, END]], 'read from the start, not from offset 6');
  t.same(await keysOf(engine), allKeys);
});
