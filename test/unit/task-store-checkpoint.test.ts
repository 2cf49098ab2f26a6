/**
 * A task store's checkpoint: on disk once it is far enough ahead of the last one written, and exactly at close,
 * so a clean restart restores nothing and a crash replays at most CHECKPOINT_DELTA records. The engine is synced
 * right before each checkpoint write (never per commit), so a checkpoint claims only what survives a host crash.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { jsonSerde, stringSerde } from '../../serdes/serde.js';
import { type CheckpointIdentity, readCheckpoint } from '../../state/checkpoint.js';
import type { EngineWrite } from '../../state/engine.js';
import { MemoryEngine } from '../../state/memory-engine.js';
import { CHECKPOINT_DELTA, TaskStore } from '../../state/task-store.js';

const PARTITION = 3;
const identity: CheckpointIdentity = { store: 'counts', topic: 'app-counts-changelog', partition: PARTITION, engine: 'memory' };
const definition = { name: 'counts', keySerde: stringSerde, valueSerde: jsonSerde<number>(), logged: true };

async function offsetIn(file: string): Promise<bigint | undefined> {
  const read = await readCheckpoint(file, identity);
  return read.status === 'valid' ? read.offset : undefined;
}

/**
 * A memory engine standing in for a persistent one (its data "outlives the process"), which records its writes and
 * syncs, and what the checkpoint file said at each sync.
 */
class RecordingEngine extends MemoryEngine {
  override readonly durable = true;
  readonly calls: string[] = [];
  constructor(private readonly checkpointFile: string) {
    super();
  }
  override async write(batch: readonly EngineWrite[]): Promise<void> {
    this.calls.push(`write ${batch.length}`);
    await super.write(batch);
  }
  override async sync(): Promise<void> {
    this.calls.push(`sync (checkpoint on disk: ${await offsetIn(this.checkpointFile)})`);
  }
  override async close(): Promise<void> {
    this.calls.push('close');
  }
}

async function fixture(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'counts', 'checkpoint.json');
  const engine = new RecordingEngine(file);
  await engine.open();
  return { file, engine, store: new TaskStore(definition, engine, identity.topic, file) };
}

t.test('the checkpoint on disk lags by less than CHECKPOINT_DELTA and is exact after close', async (t) => {
  const { file, engine, store } = await fixture(t);

  await store.writeRestoredCheckpoint(PARTITION, 100n);
  t.equal(await offsetIn(file), 100n, 'after a restore: where it ended');

  store.put('QC0001', 1);
  await store.flush(150n);
  t.equal(await engine.get(Buffer.from('QC0001')).then((bytes) => bytes?.toString()), '1', 'the write reached the engine');
  t.equal(await offsetIn(file), 100n, 'a small step: not written yet');

  store.put('QC0001', 2);
  await store.flush(100n + CHECKPOINT_DELTA);
  t.equal(await offsetIn(file), 100n + CHECKPOINT_DELTA, 'far enough ahead: written');

  store.put('QC0002', 1);
  await store.flush(101n + CHECKPOINT_DELTA);
  t.equal(await offsetIn(file), 100n + CHECKPOINT_DELTA);
  await store.close();
  t.equal(await offsetIn(file), 101n + CHECKPOINT_DELTA, 'at close: exactly what the engine holds');
});

t.test('the engine is synced before every checkpoint write, and only then', async (t) => {
  const { engine, store } = await fixture(t);
  await store.writeRestoredCheckpoint(PARTITION, 100n);
  store.put('QC0001', 1);
  await store.flush(150n);
  store.put('QC0001', 2);
  await store.flush(100n + CHECKPOINT_DELTA);
  store.put('QC0002', 1);
  await store.flush(101n + CHECKPOINT_DELTA);
  await store.close();
  t.same(
    engine.calls,
    [
      'sync (checkpoint on disk: undefined)', // the restore's checkpoint: the restored writes made durable first
      'write 1', // a commit that moves no checkpoint on disk: no sync
      'write 1',
      'sync (checkpoint on disk: 100)', // the commit that moves it: sync, then the checkpoint
      'write 1',
      `sync (checkpoint on disk: ${100n + CHECKPOINT_DELTA})`, // close: sync, exact checkpoint, close
      'close',
    ],
    'each sync sees the old checkpoint still on disk: the new one is written after it',
  );
});

t.test('a failed sync writes no checkpoint', async (t) => {
  const { file, engine, store } = await fixture(t);
  await store.writeRestoredCheckpoint(PARTITION, 100n);
  engine.sync = () => Promise.reject(new Error('EIO: the disk is failing'));
  store.put('QC0001', 1);
  await t.rejects(store.flush(100n + CHECKPOINT_DELTA), /EIO/);
  t.equal(await offsetIn(file), 100n, 'the checkpoint still claims only what was synced');
  await store.close();
  t.equal(await offsetIn(file), 100n, 'nor at close');
});

t.test('a clean restart that restored nothing neither syncs nor rewrites the checkpoint', async (t) => {
  const { file, engine, store } = await fixture(t);
  await store.writeRestoredCheckpoint(PARTITION, 100n);
  await store.close();
  const reopened = new TaskStore(definition, engine, identity.topic, file);
  engine.calls.length = 0;
  t.same(await reopened.checkpoint(PARTITION), { status: 'valid', offset: 100n });
  await reopened.writeRestoredCheckpoint(PARTITION, 100n);
  t.same(engine.calls, [], 'the checkpoint on disk already says so');
});

t.test('a store never flushed with an offset writes no checkpoint at close', async (t) => {
  const { file, store } = await fixture(t);
  store.put('QC0001', 1);
  store.discard();
  await store.close();
  t.same(await readCheckpoint(file, identity), { status: 'missing' });
});

t.test('an engine whose data dies with the process never has a checkpoint: one would vouch for an empty engine', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'checkpoint.json');
  const durable = new TaskStore(definition, new RecordingEngine(file), identity.topic, file);
  await durable.writeRestoredCheckpoint(PARTITION, 100n);
  const inMemory = new TaskStore(definition, new MemoryEngine(), identity.topic, file);
  t.same(await inMemory.checkpoint(PARTITION), { status: 'missing' }, 'a checkpoint left on disk is not read');
  await inMemory.writeRestoredCheckpoint(PARTITION, 200n);
  inMemory.put('QC0001', 1);
  await inMemory.flush(300n + CHECKPOINT_DELTA);
  await inMemory.close();
  t.equal(await offsetIn(file), 100n, 'nor written');
});
