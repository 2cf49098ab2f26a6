import type { Serde } from '../serdes/serde.js';

/** A named key-value store a topology attaches to processors; the runtime builds one per task. */
export interface StoreDefinition<K = unknown, V = unknown> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** Backed by a compacted changelog topic `<application-id>-<name>-changelog` (default true). */
  readonly logged: boolean;
}

export function keyValueStore<K, V>(
  name: string,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  options: { logged?: boolean } = {},
): StoreDefinition<K, V> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`store name "${name}" must be a valid topic name fragment`);
  return { name, keySerde, valueSerde, logged: options.logged ?? true };
}

export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}
