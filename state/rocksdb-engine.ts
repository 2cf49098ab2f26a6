import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type BatchIterator, batchedRange } from './batched-range.js';
import { type EngineWrite, type RangeOptions, type StoreEngine, SYNC_MARKER } from './engine.js';

// The package ships no type declarations: this is the slice of its API used here. The underscore
// methods are the binding's synchronous extensions on top of abstract-level v1.
interface RocksIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}
interface RocksBatch {
  _put(key: Buffer, value: Buffer): void;
  _del(key: Buffer): void;
  _writeSync(options?: { sync?: boolean }): void;
  _clear(): void;
}
interface RocksLevel {
  open(): Promise<void>;
  /** Misses are undefined; null only for reads cut short by a timeout, which is never set here. */
  _getManySync(keys: Buffer[]): (Buffer | null | undefined)[];
  batch(): RocksBatch;
  iterator(options: RangeOptions): RocksIterator;
  close(): Promise<void>;
}
type RocksLevelClass = new (location: string, options: Record<string, unknown>) => RocksLevel;
const { RocksLevel } = createRequire(import.meta.url)('@nxtedition/rocksdb') as { RocksLevel: RocksLevelClass };

/**
 * Tuned for many small per-task stores in one process. The binding has no direct write-buffer option:
 * memtableMemoryBudget applies only with compaction 'level', which makes budget / 4 memtables (up to six),
 * leaves L0/L1 uncompressed and always compresses L2+ with ZSTD ('compression' cannot turn that off).
 */
const OPTIONS = {
  keyEncoding: 'buffer',
  valueEncoding: 'buffer',
  createIfMissing: true,
  compaction: 'level',
  memtableMemoryBudget: 8 << 20,
  cacheSize: 8 << 20,
  // Hash index inside data blocks, ribbon filters and a memtable bloom filter: ~1.5x random gets, same memory.
  optimize: 'point-lookup',
  // The WAL only has to survive a crash until the changelog catches up; compressing it costs write speed.
  walCompression: false,
  // Background threads come from one process-wide pool; two is plenty per process of small stores.
  parallelism: 2,
};

/** Entries fetched per native iterator call during a range scan. */
const SCAN_BATCH = 1000;

/** RocksDB (via @nxtedition/rocksdb) as the on-disk engine of a state store. */
export class RocksDbEngine implements StoreEngine {
  readonly kind = 'rocksdb';
  readonly durable = true;
  // The batch is one native WriteBatch reused for every write: a fresh one per write is freed only by
  // its GC finalizer and clearing keeps its buffer, so loading 1M keys grew RSS by ~180 MB.
  private store: { db: RocksLevel; batch: RocksBatch } | undefined;

  constructor(readonly location: string) {}

  async open(): Promise<void> {
    await mkdir(path.dirname(this.location), { recursive: true });
    const db = new RocksLevel(this.location, OPTIONS);
    await db.open();
    this.store = { db, batch: db.batch() };
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    // A point read takes microseconds; the async variant's thread-pool round trip costs ~10x that.
    // (Its get() would also reject on a miss; getMany reports undefined.)
    const [value] = this.handle().db._getManySync([key]);
    return value ?? undefined;
  }

  async write(batch: readonly EngineWrite[]): Promise<void> {
    if (batch.length === 0) return;
    const native = this.handle().batch;
    try {
      for (const [key, value] of batch) {
        if (value === null) native._del(key);
        else native._put(key, value);
      }
      // The binding's async write is this same synchronous call plus a nextTick; staying synchronous
      // also means no other write can interleave with the shared batch.
      native._writeSync();
    } finally {
      native._clear();
    }
  }

  /**
   * A synced write fsyncs every write-ahead log file not synced yet (and their directory), which hold every earlier
   * write not yet in a table file (RocksDB syncs those as it writes them). The write puts back what the marker key
   * holds, so it changes no data.
   */
  async sync(): Promise<void> {
    const { db, batch } = this.handle();
    const [held] = db._getManySync([SYNC_MARKER]);
    try {
      if (held) batch._put(SYNC_MARKER, held);
      else batch._del(SYNC_MARKER);
      batch._writeSync({ sync: true });
    } finally {
      batch._clear();
    }
  }

  async *range(options: RangeOptions = {}): AsyncIterable<[Buffer, Buffer]> {
    const bounds: RangeOptions = {};
    if (options.gte) bounds.gte = options.gte;
    if (options.lt) bounds.lt = options.lt;
    yield* batchedRange(this.handle().db.iterator(bounds) as BatchIterator, SCAN_BATCH);
  }

  async close(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    // Closing the database also closes the batch, which it tracks as an attached resource.
    await store?.db.close();
  }

  async destroy(): Promise<void> {
    await this.close();
    await rm(this.location, { recursive: true, force: true });
  }

  private handle(): { db: RocksLevel; batch: RocksBatch } {
    if (!this.store) throw new Error(`rocksdb store ${this.location} is not open`);
    return this.store;
  }
}
