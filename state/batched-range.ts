/** What abstract-level iterators (classic-level, @nxtedition/rocksdb) offer for reading in batches. */
export interface BatchIterator {
  nextv(size: number): Promise<Array<[Buffer, Buffer]>>;
  close(): Promise<void>;
}

/** Entries of a level-style iterator, fetched `size` at a time (one native call per batch, not per entry). */
export async function* batchedRange(iterator: BatchIterator, size: number): AsyncIterable<[Buffer, Buffer]> {
  try {
    while (true) {
      const entries = await iterator.nextv(size);
      if (entries.length === 0) return;
      yield* entries;
    }
  } finally {
    await iterator.close();
  }
}
