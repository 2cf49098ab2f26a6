/** What the bench reads of a topic: its partitions, and the OrderID of a JSON value (a release). */
import type { TopicPartition } from '../../topology/kafka/client.js';

export const partitionsOf = (topic: string, partitions: number): TopicPartition[] =>
  Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));

/** The OrderID of a JSON value; a value without one counts under "?" (reported, never dropped). */
export function orderIdOf(value: Buffer | null | undefined): string {
  if (!value) return '?';
  try {
    const id = (JSON.parse(value.toString('utf8')) as { OrderID?: unknown }).OrderID;
    return typeof id === 'string' ? id : '?';
  } catch {
    return '?';
  }
}
