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
  /** Whether its data outlives the process: only then may a checkpoint file vouch for it. */
  readonly durable: boolean;
  open(): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Applies puts (value) and deletes (null) atomically, in order. */
  write(batch: readonly EngineWrite[]): Promise<void>;
  /** Entries in key order within [gte, lt). */
  range(options?: RangeOptions): AsyncIterable<[Buffer, Buffer]>;
  /**
   * Makes every write before it durable (it survives a host crash). Called only before a checkpoint is written, which
   * may claim no more than this; callers start no write until it resolves.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
  /** Closes and removes every file of the store (used when a task's state must be rebuilt from scratch). */
  destroy(): Promise<void>;
}

/**
 * The key a persistent engine's sync() rewrites with the value it already holds (or deletes again when absent): a
 * write is needed to make the engine fsync its log, and rewriting a key's own value changes no data, whatever keys
 * the store uses. Chosen so that in practice it is never a store's key and the write stays tiny.
 */
export const SYNC_MARKER = Buffer.from('\xff\xffomnia.sync-marker', 'latin1');

export type EngineFactory = (location: string) => StoreEngine;
