import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { StoreEngine } from '../../state/engine.js';
import { createEngine, DEFAULT_ENGINE, type EngineKind } from '../../state/engines.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const s = (text: string): Buffer => Buffer.from(text);

async function collect(entries: AsyncIterable<[Buffer, Buffer]>): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  for await (const [key] of entries) keys.push(key);
  return keys;
}

const root = await mkdtemp(path.join(os.tmpdir(), 'omnia-engines-'));
t.teardown(() => rm(root, { recursive: true, force: true }));

let stores = 0;
// A fresh store per test, nested so open() has to create the parent directories.
function fresh(kind: EngineKind): { engine: StoreEngine; location: string } {
  const location = path.join(root, kind, `nested-${stores++}`, 'store');
  return { engine: createEngine(kind, location), location };
}

t.equal(DEFAULT_ENGINE === 'rocksdb' || DEFAULT_ENGINE === 'leveldb', true, 'the default engine is a persistent one');

for (const kind of ['memory', 'rocksdb', 'leveldb'] as const) {
  t.test(kind, async (t) => {
    t.test('get of a missing key is undefined', async (t) => {
      const { engine } = fresh(kind);
      await engine.open();
      t.equal(engine.kind, kind);
      t.equal(await engine.get(s('absent')), undefined);
      await engine.destroy();
    });

    t.test('write then get, overwrite, delete', async (t) => {
      const { engine } = fresh(kind);
      await engine.open();
      await engine.write([[s('a'), s('1')]]);
      t.same(await engine.get(s('a')), s('1'));
      await engine.write([[s('a'), s('2')]]);
      t.same(await engine.get(s('a')), s('2'));
      await engine.write([[s('a'), null]]);
      t.equal(await engine.get(s('a')), undefined);
      await engine.write([]);
      await engine.destroy();
    });

    t.test('a batch applies in order', async (t) => {
      const { engine } = fresh(kind);
      await engine.open();
      await engine.write([
        [s('gone'), s('x')],
        [s('gone'), null],
        [s('back'), null],
        [s('back'), s('y')],
        [s('twice'), s('1')],
        [s('twice'), s('2')],
      ]);
      t.equal(await engine.get(s('gone')), undefined, 'put then delete leaves the key absent');
      t.same(await engine.get(s('back')), s('y'), 'delete then put leaves the key present');
      t.same(await engine.get(s('twice')), s('2'), 'the last put wins');
      await engine.destroy();
    });

    t.test('range is [gte, lt) in byte order', async (t) => {
      const { engine } = fresh(kind);
      await engine.open();
      // 0x80+ bytes are not valid UTF-8 on their own; "é" (c3 a9) sorts after 0x80 by bytes.
      const keys = [b(0xff), b(0x00), b(0xc3, 0xa9), b(0x7f), b(0x80), b(0x41), b(0xff, 0x00), b(0x7f, 0xff), b(0x80, 0x00)];
      await engine.write(keys.map((key, i) => [key, s(`v${i}`)]));
      const sorted = [...keys].sort(Buffer.compare);
      t.same(await collect(engine.range()), sorted, 'the whole store in byte order');
      t.same(await collect(engine.range({ gte: b(0x7f), lt: b(0xff) })), [b(0x7f), b(0x7f, 0xff), b(0x80), b(0x80, 0x00), b(0xc3, 0xa9)]);
      t.same(await collect(engine.range({ gte: b(0x80) })), [b(0x80), b(0x80, 0x00), b(0xc3, 0xa9), b(0xff), b(0xff, 0x00)]);
      t.same(await collect(engine.range({ lt: b(0x7f) })), [b(0x00), b(0x41)]);
      t.same(await collect(engine.range({ gte: b(0x90), lt: b(0xc0) })), [], 'an empty window');
      const entries = [];
      for await (const entry of engine.range({ gte: b(0xc3, 0xa9), lt: b(0xff) })) entries.push(entry);
      t.same(entries, [[b(0xc3, 0xa9), s('v2')]], 'values come with their keys');
      await engine.destroy();
    });

    t.test('leaving a range early does not block close', async (t) => {
      const { engine } = fresh(kind);
      await engine.open();
      await engine.write(Array.from({ length: 2500 }, (_, i) => [s(`k${String(i).padStart(5, '0')}`), s('v')] as const));
      let seen = 0;
      for await (const _entry of engine.range()) if (++seen === 10) break;
      t.equal(seen, 10);
      await engine.close();
      t.pass('closed');
    });

    if (kind === 'memory') {
      t.test('destroy drops the data', async (t) => {
        const { engine } = fresh(kind);
        await engine.open();
        await engine.write([[s('a'), s('1')]]);
        await engine.destroy();
        t.equal(await engine.get(s('a')), undefined);
      });
      return;
    }

    t.test('data persists across close and open', async (t) => {
      const { engine, location } = fresh(kind);
      await engine.open();
      await engine.write([
        [s('kept'), s('1')],
        [b(0x80, 0x01), b(0xff, 0xfe)],
        [s('dropped'), s('2')],
      ]);
      await engine.write([[s('dropped'), null]]);
      await engine.close();
      await engine.open();
      t.same(await engine.get(s('kept')), s('1'), 'reopened by the same instance');
      await engine.close();
      const again = createEngine(kind, location);
      await again.open();
      t.same(await again.get(b(0x80, 0x01)), b(0xff, 0xfe), 'reopened by a new instance');
      t.equal(await again.get(s('dropped')), undefined);
      t.same(await collect(again.range()), [s('kept'), b(0x80, 0x01)]);
      await again.close();
    });

    t.test('destroy removes the directory', async (t) => {
      const { engine, location } = fresh(kind);
      await engine.open();
      await engine.write([[s('a'), s('1')]]);
      t.ok(existsSync(location), 'the store has a directory');
      await engine.destroy();
      t.notOk(existsSync(location), 'the directory is gone');
      await engine.open();
      t.equal(await engine.get(s('a')), undefined, 'a destroyed store reopens empty');
      await engine.destroy();
    });

    t.test('use before open fails clearly', async (t) => {
      const { engine } = fresh(kind);
      await t.rejects(engine.get(s('a')), /not open/);
      await t.rejects(engine.write([[s('a'), s('1')]]), /not open/);
    });
  });
}
