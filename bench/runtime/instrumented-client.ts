/**
 * A KafkaClient decorator that adds up the wall time the runtime spends waiting in each client call
 * (poll, send, transaction steps, restore reads), so a run can be split into phases without touching the
 * runtime. The overhead is one performance.now() pair per call (a few per poll, not per record).
 */
import type { KafkaClient, PartitionReader } from '../../topology/kafka/client.js';

export interface Phase {
  calls: number;
  ms: number;
  /** Records handled, where the call hands over records (reader callbacks). */
  records?: number;
}

export class PhaseClock {
  private phases = new Map<string, Phase>();

  add(name: string, ms: number, records?: number): void {
    const phase = this.phases.get(name) ?? { calls: 0, ms: 0 };
    phase.calls++;
    phase.ms += ms;
    if (records !== undefined) phase.records = (phase.records ?? 0) + records;
    this.phases.set(name, phase);
  }

  async time<T>(name: string, run: () => Promise<T>, records?: number): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.add(name, performance.now() - started, records);
    }
  }

  reset(): void {
    this.phases = new Map();
  }

  snapshot(): Record<string, Phase> {
    return Object.fromEntries([...this.phases].map(([name, phase]) => [name, { ...phase, ms: Math.round(phase.ms) }]));
  }
}

/** Wraps the listed async methods of `target` in `clock.time(prefix.method)`; everything else passes through. */
function timed<T extends object>(target: T, prefix: string, methods: readonly string[], clock: PhaseClock): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && methods.includes(property)) {
        return (...args: unknown[]) =>
          clock.time(`${prefix}.${property}`, () => (value as (...a: unknown[]) => Promise<unknown>).apply(object, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
}

export function instrument(client: KafkaClient, clock: PhaseClock): KafkaClient {
  return {
    name: client.name,
    admin: () => timed(client.admin(), 'admin', ['endOffsets', 'partitionCounts', 'ensureTopics'], clock),
    groupConsumer: (options) => timed(client.groupConsumer(options), 'consumer', ['join', 'poll', 'commit', 'rewindToCommitted'], clock),
    producer: (options) =>
      timed(
        client.producer(options),
        'producer',
        ['init', 'beginTransaction', 'send', 'sendOffsetsToTransaction', 'commitTransaction', 'abortTransaction'],
        clock,
      ),
    partitionReader: () => {
      const reader = client.partitionReader();
      const wrapped: PartitionReader = {
        // The callback is the runtime's own work (restore: engine writes); the rest is fetching and decoding.
        read: (tp, from, until, onRecords) =>
          clock.time('reader.read', () =>
            reader.read(tp, from, until, (records) => clock.time('reader.onRecords', () => onRecords(records), records.length)),
          ),
        startOffset: (tp) => clock.time('reader.startOffset', () => reader.startOffset(tp)),
        close: () => reader.close(),
      };
      return wrapped;
    },
  };
}
