/**
 * A task store's checkpoint: on disk once it is far enough ahead of the last one written, and exactly at close,
 * so a clean restart restores nothing and a crash replays at most CHECKPOINT_DELTA records.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { jsonSerde, stringSerde } from '../../serdes/serde.js';
import { readCheckpoint } from '../../state/checkpoint.js';
import { MemoryEngine } from '../../state/memory-engine.js';
import { CHECKPOINT_DELTA, TaskStore } from '../../state/task-store.js';

t.test('the checkpoint on disk lags by less than CHECKPOINT_DELTA and is exact after close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'counts', 'checkpoint.json');
  const engine = new MemoryEngine();
  await engine.open();
  const store = new TaskStore(
    { name: 'counts', keySerde: stringSerde, valueSerde: jsonSerde<number>(), logged: true },
    engine,
    'app-counts-changelog',
    file,
  );

  await store.writeRestoredCheckpoint(100n);
  t.equal(await readCheckpoint(file), 100n, 'after a restore: where it ended');

  store.put('QC0001', 1);
  await store.flush(150n);
  t.equal(await engine.get(Buffer.from('QC0001')).then((bytes) => bytes?.toString()), '1', 'the write reached the engine');
  t.equal(await readCheckpoint(file), 100n, 'a small step: not written yet');

  store.put('QC0001', 2);
  await store.flush(100n + CHECKPOINT_DELTA);
  t.equal(await readCheckpoint(file), 100n + CHECKPOINT_DELTA, 'far enough ahead: written');

  store.put('QC0002', 1);
  await store.flush(101n + CHECKPOINT_DELTA);
  t.equal(await readCheckpoint(file), 100n + CHECKPOINT_DELTA);
  await store.close();
  t.equal(await readCheckpoint(file), 101n + CHECKPOINT_DELTA, 'at close: exactly what the engine holds');
});

t.test('a store never flushed with an offset writes no checkpoint at close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'omnia-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'checkpoint.json');
  const engine = new MemoryEngine();
  await engine.open();
  const store = new TaskStore({ name: 'counts', keySerde: stringSerde, valueSerde: jsonSerde<number>(), logged: true }, engine, 'c', file);
  store.put('QC0001', 1);
  store.discard();
  await store.close();
  t.equal(await readCheckpoint(file), undefined);
});
