import type { Serde } from '../serdes/serde.js';
import type { StoreEngine } from './engine.js';
import type { ReadOnlyKeyValueStore } from './key-value-store.js';

/**
 * A global table's local copy: every replica loads the whole compacted topic and keeps tailing it.
 * Processors only read it; the topic itself is its changelog.
 */
export class GlobalStore<K, V> implements ReadOnlyKeyValueStore<K, V> {
  private cachedValues: Promise<V[]> | undefined;

  constructor(
    readonly name: string,
    private readonly engine: StoreEngine,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  async get(key: K): Promise<V | undefined> {
    const bytes = await this.engine.get(this.keySerde.serialize(key));
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes);
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
      await this.engine.write(writes);
      this.cachedValues = undefined;
    }
    return rejected;
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
