/**
 * An engine's sync() is a write (a synced one), so it must change no data: not the keys a store holds, not the
 * value of a store key that happens to equal the marker, and no key left behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SYNC_MARKER } from '../../state/engine.js';
import { createEngine } from '../../state/engines.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'omnia-engine-sync-'));
t.teardown(() => rm(root, { recursive: true, force: true }));

async function entries(engine: { range(): AsyncIterable<[Buffer, Buffer]> }): Promise<string[]> {
  const all: string[] = [];
  for await (const [key, value] of engine.range()) all.push(`${key.toString('latin1')}=${value.toString('latin1')}`);
  return all;
}

for (const kind of ['memory', 'rocksdb', 'leveldb'] as const) {
  t.test(`${kind}: sync changes no data, and what it synced is there after reopening`, async (t) => {
    const location = path.join(root, kind, 'store');
    const engine = createEngine(kind, location);
    await engine.open();
    await engine.write([
      [Buffer.from('QC0001'), Buffer.from('1')],
      [Buffer.from('QC0002'), Buffer.from('2')],
    ]);
    await engine.sync();
    t.same(await entries(engine), ['QC0001=1', 'QC0002=2'], 'no marker key left behind');

    await engine.write([[SYNC_MARKER, Buffer.from('a store value')]]);
    await engine.sync();
    t.same(await engine.get(SYNC_MARKER), Buffer.from('a store value'), 'a store key equal to the marker keeps its value');
    await engine.write([[SYNC_MARKER, null]]);
    await engine.sync();
    t.equal(await engine.get(SYNC_MARKER), undefined, 'and stays deleted once deleted');

    if (kind !== 'memory') {
      await engine.close();
      await engine.open();
      t.same(await entries(engine), ['QC0001=1', 'QC0002=2'], 'reopened: the same entries');
    }
    await engine.destroy();
  });
}
