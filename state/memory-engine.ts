import type { EngineWrite, RangeOptions, StoreEngine } from './engine.js';

/** Keys as latin1 strings: one byte per char, so string order equals byte order. */
const k = (key: Buffer): string => key.toString('latin1');

/** In-memory engine for unit tests, the replay command and the in-process driver. */
export class MemoryEngine implements StoreEngine {
  readonly kind = 'memory';
  readonly durable: boolean = false;
  private readonly data = new Map<string, Buffer>();

  async open(): Promise<void> {}

  async get(key: Buffer): Promise<Buffer | undefined> {
    return this.data.get(k(key));
  }

  async write(batch: readonly EngineWrite[]): Promise<void> {
    for (const [key, value] of batch) {
      if (value === null) this.data.delete(k(key));
      else this.data.set(k(key), value);
    }
  }

  async *range(options: RangeOptions = {}): AsyncIterable<[Buffer, Buffer]> {
    const gte = options.gte ? k(options.gte) : undefined;
    const lt = options.lt ? k(options.lt) : undefined;
    const keys = [...this.data.keys()].filter((key) => (gte === undefined || key >= gte) && (lt === undefined || key < lt)).sort();
    for (const key of keys) {
      const value = this.data.get(key);
      if (value !== undefined) yield [Buffer.from(key, 'latin1'), value];
    }
  }

  /** Nothing outlives the process: nothing to make durable. */
  async sync(): Promise<void> {}

  get size(): number {
    return this.data.size;
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {
    this.data.clear();
  }
}
