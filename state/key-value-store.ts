/** What processors see of a store. Reads are async (the engine may be on disk); writes are buffered. */
export interface ReadOnlyKeyValueStore<K, V> {
  readonly name: string;
  get(key: K): Promise<V | undefined>;
  /** Entries in key-byte order. */
  all(): AsyncIterable<[K, V]>;
}

export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V): void;
  delete(key: K): void;
}
