/**
 * Which replica owns which partition, and where it answers queries: read from the consumer group itself.
 * Every replica publishes `{ instance, endpoint }` with its subscription, and the coordinator knows each
 * member's assignment, so one DescribeGroups answers the question. Kept for a short while (ownership changes
 * only on a rebalance), and refreshed at once when a forward to the believed owner fails.
 */
import type { AdminClient } from '../topology/kafka/client.js';

export interface PartitionOwner {
  readonly instance: string;
  readonly endpoint: string | null;
}

export class PartitionOwners {
  private owners = new Map<number, PartitionOwner>();
  private fetchedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly admin: AdminClient,
    private readonly groupId: string,
    /** One source topic: its partition numbers are the tasks'. */
    private readonly sourceTopic: string,
    private readonly maxAgeMs = 2_000,
  ) {}

  async ownerOf(partition: number): Promise<PartitionOwner | undefined> {
    if (Date.now() - this.fetchedAt > this.maxAgeMs) await this.refresh();
    return this.owners.get(partition);
  }

  /** Every replica that published an endpoint (for asking them all when the order's store is unknown). */
  async all(): Promise<PartitionOwner[]> {
    if (Date.now() - this.fetchedAt > this.maxAgeMs) await this.refresh();
    return [...new Map([...this.owners.values()].map((owner) => [owner.instance, owner])).values()];
  }

  /** Forgets what it knows: the next question asks the group again. */
  invalidate(): void {
    this.fetchedAt = 0;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const owners = new Map<number, PartitionOwner>();
        for (const member of await this.admin.groupMembers(this.groupId)) {
          const published = parseMemberMetadata(member.metadata) ?? { instance: member.memberId, endpoint: null };
          for (const tp of member.partitions) if (tp.topic === this.sourceTopic) owners.set(tp.partition, published);
        }
        this.owners = owners;
        this.fetchedAt = Date.now();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}

/** A member's published `{ instance, endpoint }` (also read by `omnia status`); undefined when it is not ours. */
export function parseMemberMetadata(metadata: Buffer | null): PartitionOwner | undefined {
  try {
    const value = JSON.parse(metadata?.toString() ?? '') as { instance?: unknown; endpoint?: unknown };
    if (typeof value.instance !== 'string') return undefined;
    return { instance: value.instance, endpoint: typeof value.endpoint === 'string' && value.endpoint ? value.endpoint : null };
  } catch {
    return undefined;
  }
}
