/**
 * Which replica owns which partition, and where it answers queries: read from the consumer group itself.
 * Every replica publishes `{ instance, endpoint }` with its subscription, and the coordinator knows each
 * member's assignment, so one DescribeGroups answers the question. Kept for a short while (ownership changes
 * only on a rebalance), and refreshed at once when a forward to the believed owner fails.
 *
 * The admin client retries for a long time on its own (tens of seconds), far longer than a lookup may wait: a
 * DescribeGroups that fails or takes over `timeoutMs` makes `ownerOf` throw OwnersUnknown, and the lookup answers
 * from Postgres. The failure is remembered for `maxAgeMs`, so a broker that is down costs one lookup the timeout,
 * not every lookup.
 */
import type { AdminClient } from '../topology/kafka/client.js';
import { type MemberMetadata, parseMemberMetadata } from '../runtime/member-metadata.js';

export type PartitionOwner = MemberMetadata;

/** The group could not be described (the broker is down, slow or refuses): nobody's ownership is known now. */
export class OwnersUnknown extends Error {
  override readonly name = 'OwnersUnknown';
}

export class PartitionOwners {
  private owners = new Map<number, PartitionOwner>();
  private fetchedAt = 0;
  private failure: { at: number; error: OwnersUnknown } | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly admin: AdminClient,
    private readonly groupId: string,
    /** One source topic: its partition numbers are the tasks'. */
    private readonly sourceTopic: string,
    private readonly maxAgeMs = 2_000,
    /** How long a lookup waits for the group's description before answering from Postgres. */
    private readonly timeoutMs = 1_000,
  ) {}

  /** The partition's owner; undefined when no member owns it now (a rebalance). Throws OwnersUnknown. */
  async ownerOf(partition: number): Promise<PartitionOwner | undefined> {
    const now = Date.now();
    if (this.failure && now - this.failure.at < this.maxAgeMs) throw this.failure.error;
    if (now - this.fetchedAt > this.maxAgeMs) await this.refresh();
    return this.owners.get(partition);
  }

  /** Forgets what it knows: the next question asks the group again. */
  invalidate(): void {
    this.fetchedAt = 0;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        });
        const members = await Promise.race([this.admin.groupMembers(this.groupId), timeout]);
        const owners = new Map<number, PartitionOwner>();
        for (const member of members) {
          const published = parseMemberMetadata(member.metadata) ?? { instance: member.memberId, endpoint: null };
          for (const tp of member.partitions) if (tp.topic === this.sourceTopic) owners.set(tp.partition, published);
        }
        this.owners = owners;
        this.fetchedAt = Date.now();
        this.failure = undefined;
      } catch (error) {
        const unknown = new OwnersUnknown(
          `the consumer group ${this.groupId} could not be described (${(error as Error).message}); check the brokers (KAFKA_BROKERS): until then lookups of other replicas' orders are answered from Postgres`,
          { cause: error },
        );
        this.failure = { at: Date.now(), error: unknown };
        throw unknown;
      } finally {
        clearTimeout(timer);
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
