/**
 * The records fetched and not yet processed, a queue per input partition, and the choice of a task's next record
 * (Kafka Streams' PartitionGroup). A task reads partition p of every source topic, so events about one key can
 * arrive on two topics — a ship event on one, the delivery status written after it on the other — and must be
 * processed in the order they were written:
 *
 *  - the next record is the head with the lowest timestamp among the task's partitions (ties: the input
 *    listed first), each partition in offset order;
 *  - a task waits while one of its partitions has nothing buffered but records on the broker not fetched yet
 *    (lag > 0, or not known yet): those records may be older than every head here. A fetch returns partitions unevenly (the
 *    broker fills a response partition after partition), so without the wait a catch-up through a backlog of
 *    both topics processes the later topic's records first. This is Kafka Streams with max.task.idle.ms = 0:
 *    never wait for records not yet written, always for records already there;
 *  - after `maxIdleMs` of waiting (a partition whose fetches keep failing) the task goes on with what it has,
 *    and the caller is told, so it can be counted.
 *
 * A partition whose queue holds `capacity` records, or `capacityBytes` of keys and values, or more is not fetched
 * until it drains (`full()`), which bounds memory while one topic waits for the other. The bytes matter as much as
 * the count: a thousand 200 KB records are 200 MB, per partition (Kafka Streams bounds its input buffer in bytes too).
 */
import { tpKey, type TopicPartition } from '../topology/kafka/client.js';

interface Queue<T> {
  readonly records: T[];
  next: number;
  /** Size of the records not processed yet. */
  bytes: number;
}

/** A fetched record's size as the buffer counts it: its key and value. */
export const recordBytes = (record: { readonly key?: Buffer | null; readonly value?: Buffer | null }): number =>
  (record.key?.length ?? 0) + (record.value?.length ?? 0);

export type NextRecord<T> =
  { readonly record: T; readonly enforced: boolean } | { readonly record: undefined; readonly waitingFor: string };

type Buffered = { readonly topic: string; readonly partition: number; readonly timestamp: number };

export class PartitionGroup<T extends Buffered & { readonly key?: Buffer | null; readonly value?: Buffer | null }> {
  private readonly queues = new Map<string, Queue<T>>();
  /** Per task partition: since when it has been waiting for a lagging input partition. */
  private readonly waitingSince = new Map<number, number>();

  constructor(
    private readonly capacity: number,
    private readonly maxIdleMs: number,
    private readonly capacityBytes = Infinity,
  ) {}

  add(records: readonly T[]): void {
    for (const record of records) {
      const key = tpKey(record.topic, record.partition);
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = { records: [], next: 0, bytes: 0 }));
      queue.records.push(record);
      queue.bytes += recordBytes(record);
    }
  }

  /** Records buffered for one partition. */
  buffered(key: string): number {
    const queue = this.queues.get(key);
    return queue ? queue.records.length - queue.next : 0;
  }

  /** Whether any partition holds a record not processed yet. */
  hasBuffered(): boolean {
    for (const queue of this.queues.values()) if (queue.next < queue.records.length) return true;
    return false;
  }

  /** Bytes of keys and values buffered over every partition. */
  bufferedBytes(): number {
    let bytes = 0;
    for (const queue of this.queues.values()) bytes += queue.bytes;
    return bytes;
  }

  /** `topic:partition` keys whose queue is at capacity (records or bytes): leave them out of the next fetch. */
  full(): ReadonlySet<string> {
    const full = new Set<string>();
    for (const [key, queue] of this.queues) if (this.buffered(key) >= this.capacity || queue.bytes >= this.capacityBytes) full.add(key);
    return full;
  }

  /**
   * Takes the task's next record from `inputs` (the task's partition of every source topic), or says which
   * partition it waits for. `lag` gives the records on the broker beyond what was fetched, per `topic:partition`;
   * undefined (no fetch has answered for it yet) holds the task up too: its records may be the oldest.
   */
  next(task: number, inputs: readonly TopicPartition[], lag: (key: string) => number | undefined, now: number): NextRecord<T> | undefined {
    let best: Queue<T> | undefined;
    let waitingFor: string | undefined;
    for (const tp of inputs) {
      const key = tpKey(tp.topic, tp.partition);
      const queue = this.queues.get(key);
      if (!queue || queue.next >= queue.records.length) {
        const behind = lag(key);
        if (behind === undefined || behind > 0) waitingFor ??= key;
        continue;
      }
      if (!best || queue.records[queue.next]!.timestamp < best.records[best.next]!.timestamp) best = queue;
    }
    if (!best) {
      this.waitingSince.delete(task);
      return undefined;
    }
    let enforced = false;
    if (waitingFor !== undefined) {
      const since = this.waitingSince.get(task);
      if (since === undefined) this.waitingSince.set(task, now);
      if (since === undefined || now - since < this.maxIdleMs) return { record: undefined, waitingFor };
      enforced = true;
    } else this.waitingSince.delete(task);
    const record = best.records[best.next++]!;
    best.bytes -= recordBytes(record);
    // Drop the consumed prefix now and then, not on every record.
    if (best.next >= 1024 && best.next * 2 >= best.records.length) {
      best.records.splice(0, best.next);
      best.next = 0;
    }
    return { record, enforced };
  }

  /** Forgets everything buffered: positions went back to the committed offsets (abort, new assignment). */
  clear(): void {
    this.queues.clear();
    this.waitingSince.clear();
  }
}
