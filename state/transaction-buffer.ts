import type { EngineWrite } from './engine.js';

interface Pending {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * Store writes made since the last commit, held in memory until the Kafka transaction that carries their
 * changelog records commits (the idea of KIP-892): the engine then never holds uncommitted data, so a crash
 * needs only an incremental restore from the checkpoint. Keeps the last write per key, which is also all a
 * compacted changelog needs. Savepoints let one input record's writes be undone when it is dead-lettered.
 */
export class TransactionBuffer {
  private readonly pending = new Map<string, Pending>();
  /** Undo records of the current input record; reused across records to keep the hot path allocation-free. */
  private readonly undoLog: Array<[string, Pending | undefined]> = [];
  private recording = false;

  /** undefined: not written in this transaction; null: deleted in it. */
  lookup(key: Buffer): Buffer | null | undefined {
    return this.pending.get(key.toString('latin1'))?.value;
  }

  put(key: Buffer, value: Buffer | null): void {
    const id = key.toString('latin1');
    if (this.recording) this.undoLog.push([id, this.pending.get(id)]);
    this.pending.set(id, { key, value });
  }

  get size(): number {
    return this.pending.size;
  }

  /** Starts recording undo information for the writes of one input record. */
  savepoint(): void {
    this.undoLog.length = 0;
    this.recording = true;
  }

  releaseSavepoint(): void {
    this.undoLog.length = 0;
    this.recording = false;
  }

  rollbackToSavepoint(): void {
    const log = this.undoLog;
    for (let i = log.length - 1; i >= 0; i--) {
      const [id, previous] = log[i]!;
      if (previous === undefined) this.pending.delete(id);
      else this.pending.set(id, previous);
    }
    this.releaseSavepoint();
  }

  writes(): EngineWrite[] {
    const out: EngineWrite[] = [];
    for (const { key, value } of this.pending.values()) out.push([key, value]);
    return out;
  }

  entries(): IterableIterator<Pending> {
    return this.pending.values();
  }

  clear(): void {
    this.pending.clear();
    this.releaseSavepoint();
  }
}
