/**
 * A global table's decoded-entry cache: what a lookup answers is what the table holds, before and after the table
 * changes, for keys present and absent, and with a cache smaller than the table.
 */
import t from 'tap';
import { jsonSerde, stringSerde } from '../../serdes/serde.js';
import { GlobalStore } from '../../state/global-store.js';
import { MemoryEngine } from '../../state/memory-engine.js';

interface Customer {
  CustomerID: string;
  CodLimit: string;
}

const record = (id: string, limit: string | null) => ({
  key: Buffer.from(id),
  value: limit === null ? null : Buffer.from(JSON.stringify({ CustomerID: id, CodLimit: limit })),
});

async function table(cacheSize: number) {
  const engine = new MemoryEngine();
  await engine.open();
  let reads = 0;
  const get = engine.get.bind(engine);
  engine.get = async (key: Buffer) => {
    reads++;
    return get(key);
  };
  const store = new GlobalStore<string, Customer>('customers', engine, stringSerde, jsonSerde<Customer>(), cacheSize);
  return { store, reads: () => reads };
}

t.test('answers from the cache, and what the table holds after it changes', async (t) => {
  const { store, reads } = await table(100);
  await store.apply([record('C-1', '3000.0000'), record('C-2', '100.0000')]);
  t.same(await store.get('C-1'), { CustomerID: 'C-1', CodLimit: '3000.0000' });
  t.same(await store.get('C-1'), { CustomerID: 'C-1', CodLimit: '3000.0000' });
  t.equal(await store.get('C-9'), undefined, 'an unknown customer');
  t.equal(await store.get('C-9'), undefined);
  t.equal(reads(), 2, 'one engine read per key, a miss included');

  await store.apply([record('C-1', '500.0000'), record('C-9', '50.0000'), record('C-2', null)]);
  t.same(await store.get('C-1'), { CustomerID: 'C-1', CodLimit: '500.0000' }, 'a changed entry');
  t.same(await store.get('C-9'), { CustomerID: 'C-9', CodLimit: '50.0000' }, 'a miss that now exists');
  t.equal(await store.get('C-2'), undefined, 'a deleted entry');
});

t.test('a cache smaller than the table still answers every key right, dropping the least recently used', async (t) => {
  const { store, reads } = await table(2);
  await store.apply(['A', 'B', 'C'].map((id, i) => record(id, `${i}.0000`)));
  for (const id of ['A', 'B', 'A', 'C', 'A', 'B']) t.equal((await store.get(id))?.CustomerID, id);
  // A, B cached; A hit; C evicts B; A hit; B read again (evicting C).
  t.equal(reads(), 4);
});

t.test('a read that overlaps a change of the table does not cache the old value', async (t) => {
  const engine = new MemoryEngine();
  await engine.open();
  const store = new GlobalStore<string, Customer>('customers', engine, stringSerde, jsonSerde<Customer>(), 100);
  await store.apply([record('C-1', '1.0000')]);
  const get = engine.get.bind(engine);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  engine.get = async (key: Buffer) => {
    const value = await get(key);
    await held;
    return value;
  };
  const reading = store.get('C-1');
  await store.apply([record('C-1', '2.0000')]);
  release();
  t.equal((await reading)?.CodLimit, '1.0000', 'the read in flight answers what it read');
  engine.get = get;
  t.equal((await store.get('C-1'))?.CodLimit, '2.0000', 'the next read sees the change');
});

t.test('cache size 0: every lookup reads the engine', async (t) => {
  const { store, reads } = await table(0);
  await store.apply([record('C-1', '1.0000')]);
  await store.get('C-1');
  await store.get('C-1');
  t.equal(reads(), 2);
});
