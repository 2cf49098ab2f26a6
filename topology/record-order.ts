/**
 * The order in which a poll's records are processed: each partition's in offset order, and across partitions the
 * record with the lowest timestamp first (ties: the partition listed first). A task reads one partition of every source topic,
 * so events about one key that arrive on different topics — a ship event, then a delivery status written right
 * after it — are processed in the order they were written even when one fetch returns both, the fetch listing
 * partitions in no particular order. This is Kafka Streams' choice of the next record (PartitionGroup), within
 * what one poll returned; it does not wait for partitions that returned nothing.
 */
export function inTimestampOrder<T extends { readonly topic: string; readonly partition: number; readonly timestamp: number }>(records: readonly T[]): readonly T[] {
  if (records.length < 2) return records;
  const queues = new Map<string, T[]>();
  for (const record of records) {
    const key = `${record.topic}\u0000${record.partition}`;
    const queue = queues.get(key);
    if (queue) queue.push(record);
    else queues.set(key, [record]);
  }
  if (queues.size === 1) return records;
  const heads = [...queues.values()].map((list) => ({ list, next: 0 }));
  const ordered: T[] = [];
  while (ordered.length < records.length) {
    let best: (typeof heads)[number] | undefined;
    for (const head of heads) {
      if (head.next < head.list.length && (!best || head.list[head.next]!.timestamp < best.list[best.next]!.timestamp)) best = head;
    }
    ordered.push(best!.list[best!.next++]!);
  }
  return ordered;
}
