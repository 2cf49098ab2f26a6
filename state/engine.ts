/**
 * The storage engine under a state store: ordered bytes → bytes, atomic batch writes.
 * Everything above it (serdes, the transaction write buffer, changelogging, metrics) is a separate layer.
 */
export type EngineWrite = readonly [key: Buffer, value: Buffer | null];

export interface RangeOptions {
  gte?: Buffer;
  lt?: Buffer;
}

export interface StoreEngine {
  /** Engine name for logs and metrics ("memory", "rocksdb", "leveldb"). */
  readonly kind: string;
  open(): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Applies puts (value) and deletes (null) atomically, in order. */
  write(batch: readonly EngineWrite[]): Promise<void>;
  /** Entries in key order within [gte, lt). */
  range(options?: RangeOptions): AsyncIterable<[Buffer, Buffer]>;
  close(): Promise<void>;
  /** Closes and removes every file of the store (used when a task's state must be rebuilt from scratch). */
  destroy(): Promise<void>;
}

export type EngineFactory = (location: string) => StoreEngine;
