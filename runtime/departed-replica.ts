/**
 * A replica that dies without leaving (SIGKILL, the OOM killer) keeps its tasks until the group's session timeout
 * runs out, and a transaction it had open holds back every read_committed reader of the partitions it wrote until
 * the broker's transaction timeout aborts it. Whoever sees it die — the primary of its workers, which gets the exit
 * at once — ends both straight away:
 *
 *  1. it registers the replica's transactional id (InitProducerId): the coordinator aborts the open transaction
 *     and answers once the abort is written, so the next owner neither waits on the offsets that transaction held
 *     nor publishes behind it;
 *  2. it removes the replica's member from the group on its behalf (LeaveGroup): the group rebalances now, and a
 *     standby of each task takes it over.
 *
 * Only a replica with a static-membership id (OMNIA_INSTANCE_ID) can be named this way; the restarted replica
 * joins again under the same id and fences this producer in turn.
 */
import type { KafkaClient } from '../topology/kafka/client.js';

export interface DepartedReplica {
  readonly applicationId: string;
  /** Its OMNIA_INSTANCE_ID: the group member's static id and, under exactly-once, part of its transactional id. */
  readonly instanceId: string;
  readonly exactlyOnce: boolean;
}

export interface Released {
  /** An open transaction of the replica, if any, is aborted (exactly-once only). */
  readonly fenced: boolean;
  /** The member was in the group and is out now; false when it had left or timed out already. */
  readonly removed: boolean;
}

/** The transactional id a replica's producer uses: one per replica, kept across its restarts. */
export const transactionalIdOf = (applicationId: string, instanceId: string): string => `${applicationId}-${instanceId}`;

export async function releaseDepartedReplica(client: KafkaClient, replica: DepartedReplica): Promise<Released> {
  let fenced = false;
  if (replica.exactlyOnce) {
    const producer = client.producer({ transactionalId: transactionalIdOf(replica.applicationId, replica.instanceId) });
    try {
      await producer.settle();
      fenced = true;
    } finally {
      await producer.close().catch(() => undefined);
    }
  }
  const admin = client.admin();
  try {
    const members = (await admin.describeGroup(replica.applicationId)).members.filter((member) => member.instanceId === replica.instanceId);
    await admin.removeMembers(
      replica.applicationId,
      members.map((member) => member.memberId),
      `replica ${replica.instanceId} died without leaving the group`,
    );
    return { fenced, removed: members.length > 0 };
  } finally {
    await admin.close();
  }
}
