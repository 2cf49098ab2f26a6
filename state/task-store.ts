import type { Serde } from '../serdes/serde.js';
import { type CheckpointIdentity, type CheckpointRead, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { StoreEngine } from './engine.js';
import type { KeyValueStore } from './key-value-store.js';
import type { StoreDefinition } from './store-definition.js';
import { TransactionBuffer } from './transaction-buffer.js';

/** Changelog records a store's checkpoint on disk may lag what its engine holds (Kafka Streams: 10,000). */
export const CHECKPOINT_DELTA = 10_000n;

/**
 * One store of one task: serdes over a transaction write buffer over the engine. The changelog is written by
 * the commit from `pendingChangelog()`, so the store itself never talks to Kafka.
 */
export class TaskStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly buffer = new TransactionBuffer();
  /** The checkpoint last written, and the offset the engine holds up to (written at close or once far enough ahead). */
  private writtenCheckpoint: bigint | undefined;
  private heldCheckpoint: bigint | undefined;
  /** Only an engine whose data outlives the process has a checkpoint: one beside an empty memory engine would lie. */
  private readonly checkpointFile: string | null;
  /** What the checkpoint is of: known from the restore, which every logged store goes through before its first commit. */
  private identity: CheckpointIdentity | undefined;

  constructor(
    definition: StoreDefinition<K, V>,
    readonly engine: StoreEngine,
    /** Changelog topic, or null for a store that is not logged. */
    readonly changelog: string | null,
    checkpointFile: string | null,
  ) {
    this.checkpointFile = engine.durable ? checkpointFile : null;
    this.name = definition.name;
    this.keySerde = definition.keySerde;
    this.valueSerde = definition.valueSerde;
  }

  async get(key: K): Promise<V | undefined> {
    const keyBytes = this.keySerde.serialize(key);
    const buffered = this.buffer.lookup(keyBytes);
    if (buffered === null) return undefined;
    const bytes = buffered ?? (await this.engine.get(keyBytes));
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes);
  }

  put(key: K, value: V): void {
    this.buffer.put(this.keySerde.serialize(key), this.valueSerde.serialize(value));
  }

  delete(key: K): void {
    this.buffer.put(this.keySerde.serialize(key), null);
  }

  /** Committed entries merged with this transaction's writes, in key-byte order. */
  async *all(): AsyncIterable<[K, V]> {
    const merged = new Map<string, Buffer | null>();
    for await (const [key, value] of this.engine.range()) merged.set(key.toString('latin1'), value);
    for (const { key, value } of this.buffer.entries()) merged.set(key.toString('latin1'), value);
    for (const id of [...merged.keys()].sort()) {
      const value = merged.get(id);
      if (value) yield [this.keySerde.deserialize(Buffer.from(id, 'latin1')), this.valueSerde.deserialize(value)];
    }
  }

  /** The last write per key since the last commit: the records this transaction adds to the changelog. */
  pendingChangelog(): Array<{ key: Buffer; value: Buffer | null }> {
    return [...this.buffer.entries()];
  }

  savepoint(): void {
    this.buffer.savepoint();
  }

  releaseSavepoint(): void {
    this.buffer.releaseSavepoint();
  }

  rollbackToSavepoint(): void {
    this.buffer.rollbackToSavepoint();
  }

  /**
   * After the transaction committed: the writes reach the engine, then the checkpoint moves — on disk only once it
   * is CHECKPOINT_DELTA records ahead of the last one written, and at close (as Kafka Streams does): a file written
   * per store per commit cost more than the rest of the commit, and each one now also syncs the engine. A checkpoint
   * that lags only makes a restore after a crash replay a few more changelog records, which rewrite the same values.
   */
  async flush(changelogOffset: bigint | undefined): Promise<void> {
    if (this.buffer.size > 0) await this.engine.write(this.buffer.writes());
    this.buffer.clear();
    if (changelogOffset === undefined || !this.checkpointFile) return;
    this.heldCheckpoint = changelogOffset;
    if (this.writtenCheckpoint === undefined || changelogOffset - this.writtenCheckpoint >= CHECKPOINT_DELTA)
      await this.writeHeldCheckpoint();
  }

  private async writeHeldCheckpoint(): Promise<void> {
    if (!this.checkpointFile || this.heldCheckpoint === undefined || this.heldCheckpoint === this.writtenCheckpoint) return;
    if (!this.identity) throw new Error(`store ${this.name} has no checkpoint identity: restore it before committing to it`);
    // The engine's writes are durable before a checkpoint claims them (a host crash loses unsynced writes).
    await this.engine.sync();
    await writeCheckpoint(this.checkpointFile, this.identity, this.heldCheckpoint);
    this.writtenCheckpoint = this.heldCheckpoint;
  }

  /** After an aborted transaction: the engine is untouched, so dropping the buffer is the whole rollback. */
  discard(): void {
    this.buffer.clear();
  }

  /** The checkpoint on disk, verified as this store's for the changelog `partition`; none for a store not logged. */
  async checkpoint(partition: number): Promise<CheckpointRead> {
    if (!this.checkpointFile || !this.changelog) return { status: 'missing' };
    const read = await readCheckpoint(this.checkpointFile, this.identityFor(partition));
    this.writtenCheckpoint = read.status === 'valid' ? read.offset : undefined;
    return read;
  }

  /** Rebuilds from nothing: the checkpoint goes first, so it never describes data that is gone. */
  async wipe(): Promise<void> {
    if (this.checkpointFile) await removeCheckpoint(this.checkpointFile);
    this.writtenCheckpoint = this.heldCheckpoint = undefined;
    await this.engine.destroy();
    await this.engine.open();
  }

  /**
   * After a restore of the changelog `partition` up to `offset` (exclusive): the engine holds it, durably from here.
   * A clean restart restored nothing and finds this checkpoint on disk already: nothing to sync or write.
   */
  async writeRestoredCheckpoint(partition: number, offset: bigint): Promise<void> {
    if (!this.checkpointFile || !this.changelog) return;
    this.identity = this.identityFor(partition);
    this.heldCheckpoint = offset;
    await this.writeHeldCheckpoint();
  }

  private identityFor(partition: number): CheckpointIdentity {
    return { store: this.name, topic: this.changelog ?? '', partition, engine: this.engine.kind };
  }

  async close(): Promise<void> {
    this.buffer.clear();
    // What the engine holds is committed: the checkpoint can say so exactly, and a restart restores nothing.
    await this.writeHeldCheckpoint().catch(() => undefined);
    await this.engine.close();
  }
}
