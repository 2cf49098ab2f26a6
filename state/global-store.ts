import type { Serde } from '../serdes/serde.js';
import type { StoreEngine } from './engine.js';
import type { ReadOnlyKeyValueStore } from './key-value-store.js';

/**
 * A global table's local copy: every replica loads the whole compacted topic and keeps tailing it.
 * Processors only read it; the topic itself is its changelog.
 */
export class GlobalStore<K, V> implements ReadOnlyKeyValueStore<K, V> {
  private cachedValues: Promise<V[]> | undefined;
  /**
   * Decoded entries recently asked for, misses included (half the orders name no known customer): a lookup per
   * order line would otherwise read the engine and decode again. Values are shared: processors only read them.
   * Least recently used first, so the Map's order is the eviction order.
   */
  private readonly decoded = new Map<string, V | undefined>();
  /** Moves with every applied batch: a read that overlapped one does not cache what it read. */
  private version = 0;

  constructor(
    readonly name: string,
    private readonly engine: StoreEngine,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** Entries kept decoded; 0 turns the cache off. */
    private readonly cacheSize = 10_000,
  ) {}

  async get(key: K): Promise<V | undefined> {
    const keyBytes = this.keySerde.serialize(key);
    const id = keyBytes.toString('latin1');
    if (this.decoded.has(id)) {
      const value = this.decoded.get(id);
      this.decoded.delete(id);
      this.decoded.set(id, value);
      return value;
    }
    const version = this.version;
    const bytes = await this.engine.get(keyBytes);
    const value = bytes === undefined ? undefined : this.valueSerde.deserialize(bytes);
    if (this.cacheSize > 0 && version === this.version) {
      if (this.decoded.size >= this.cacheSize) this.decoded.delete(this.decoded.keys().next().value!);
      this.decoded.set(id, value);
    }
    return value;
  }

  async *all(): AsyncIterable<[K, V]> {
    for await (const [key, value] of this.engine.range()) yield [this.keySerde.deserialize(key), this.valueSerde.deserialize(value)];
  }

  /**
   * Every value, read once and kept until the table next changes: for small tables a processor consults as
   * a whole on every record (bundle definitions), where a scan per record would dominate.
   */
  values(): Promise<V[]> {
    this.cachedValues ??= (async () => {
      const values: V[] = [];
      for await (const [, value] of this.all()) values.push(value);
      return values;
    })();
    return this.cachedValues;
  }

  /**
   * Applies records of the table's topic; a null value deletes. A value that does not decode is skipped
   * (and reported by the caller) rather than stored, so lookups never return garbage.
   */
  async apply(records: ReadonlyArray<{ key: Buffer | null; value: Buffer | null }>): Promise<number> {
    let rejected = 0;
    const writes: Array<[Buffer, Buffer | null]> = [];
    for (const { key, value } of records) {
      if (!key) {
        rejected++;
        continue;
      }
      if (value !== null) {
        try {
          this.valueSerde.deserialize(value);
        } catch {
          rejected++;
          continue;
        }
      }
      writes.push([key, value]);
    }
    if (writes.length) {
      this.version++;
      await this.engine.write(writes);
      this.cachedValues = undefined;
      for (const [key] of writes) this.decoded.delete(key.toString('latin1'));
    }
    return rejected;
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
