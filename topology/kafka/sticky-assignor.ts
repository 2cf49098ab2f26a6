import type { GroupPartitionsAssigner } from '@platformatic/kafka';

/**
 * Assigns the co-partitioned source topics by partition number, so a task (one partition of every source
 * topic) always lands whole on one member. Members are ordered by their published instance name (static
 * membership id, else member id), which keeps each partition with the same member across restarts and
 * moves as few tasks as possible when a member comes or goes.
 */
export const stickyAssignor: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const ordered = [...members.entries()]
    .map(([memberId, subscription]) => ({ memberId, name: memberName(memberId, subscription.metadata) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const partitionCount = Math.max(0, ...[...topics].map((topic) => metadata.topics.get(topic)?.partitionsCount ?? 0));
  const result = ordered.map(({ memberId }) => ({ memberId, assignments: new Map<string, { topic: string; partitions: number[] }>() }));
  if (result.length === 0) return result;
  for (let partition = 0; partition < partitionCount; partition++) {
    // Contiguous ranges: member i owns partitions [i*n/m, (i+1)*n/m).
    const member = result[Math.floor((partition * result.length) / partitionCount)]!;
    for (const topic of topics) {
      if ((metadata.topics.get(topic)?.partitionsCount ?? 0) <= partition) continue;
      const entry = member.assignments.get(topic) ?? { topic, partitions: [] };
      entry.partitions.push(partition);
      member.assignments.set(topic, entry);
    }
  }
  return result;
};

/** Member metadata is JSON `{ "instance": "...", "endpoint": "..." }`; anything else falls back to the member id. */
function memberName(memberId: string, metadata: Buffer | string | undefined): string {
  try {
    const parsed = JSON.parse(metadata ? metadata.toString() : '') as { instance?: unknown };
    if (typeof parsed.instance === 'string' && parsed.instance) return parsed.instance;
  } catch {
    // not ours: fall through
  }
  return memberId;
}
