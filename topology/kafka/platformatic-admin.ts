import { Admin, FetchIsolationLevels } from '@platformatic/kafka';
import type { AdminClient, GroupDescription, GroupMember, TopicPartition, TopicSpec } from './client.js';
import { tpKey } from './client.js';
import type { KafkaConnectionOptions } from './security.js';

const TOPIC_ALREADY_EXISTS = 36;
/** How long a stable offset fetch waits for open transactions to end before failing (the caller retries). */
const STABLE_OFFSETS_WAIT_MS = 30_000;

export class PlatformaticAdmin implements AdminClient {
  private readonly admin: Admin;

  constructor(bootstrapBrokers: string[], clientId: string, connection: KafkaConnectionOptions = {}) {
    this.admin = new Admin({ clientId, bootstrapBrokers, retries: 5, retryDelay: 250, timeout: 15_000, ...connection });
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const existing = new Set(await this.admin.listTopics());
    const wanted = topics.filter((topic) => existing.has(topic));
    const counts = new Map<string, number>();
    if (wanted.length === 0) return counts;
    this.admin.clearMetadata();
    const metadata = await this.admin.metadata({ topics: wanted });
    for (const topic of wanted) {
      const count = metadata.topics.get(topic)?.partitionsCount;
      if (count !== undefined) counts.set(topic, count);
    }
    return counts;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    for (const spec of specs) {
      if (existing.has(spec.topic)) continue;
      try {
        await this.admin.createTopics({
          topics: [spec.topic],
          partitions: spec.partitions,
          replicas: spec.replicationFactor ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length) await this.admin.deleteTopics({ topics: [...topics] });
  }

  async groupMembers(groupId: string): Promise<GroupMember[]> {
    return (await this.describeGroup(groupId)).members;
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const groups = await this.admin.describeGroups({ groups: [groupId] });
    const group = groups.get(groupId);
    if (!group) return { state: 'DEAD', members: [] };
    const members = [...group.members.values()].map((member) => {
      const raw = member.metadata?.metadata;
      return {
        memberId: member.id,
        metadata: raw === undefined || raw === null ? null : Buffer.isBuffer(raw) ? raw : Buffer.from(raw),
        partitions: [...(member.assignments?.values() ?? [])].flatMap(({ topic, partitions }) =>
          partitions.map((partition) => ({ topic, partition })),
        ),
        clientHost: member.clientHost,
        ...(member.groupInstanceId ? { instanceId: member.groupInstanceId } : {}),
      };
    });
    return { state: String(group.state), members };
  }

  async removeMembers(groupId: string, memberIds: readonly string[], reason: string): Promise<void> {
    if (memberIds.length === 0) return;
    await this.admin.removeMembersFromConsumerGroup({ groupId, members: memberIds.map((memberId) => ({ memberId, reason })) });
  }

  async endOffsets(partitions: readonly TopicPartition[], committedOnly: boolean): Promise<Map<string, bigint>> {
    return this.listOffsets(partitions, -1n, committedOnly);
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async committedOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
    options: { stable?: boolean } = {},
  ): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (partitions.length === 0) return out;
    const request = {
      groups: [{ groupId, topics: [...byTopic(partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
      ...(options.stable ? { requireStable: true } : {}),
    };
    // UNSTABLE_OFFSET_COMMIT lasts until the open transaction ends: at most its timeout, longer if its coordinator
    // is unreachable. The client retries it five times; past that it is asked again here, up to a bound.
    const deadline = performance.now() + STABLE_OFFSETS_WAIT_MS;
    let listed: Awaited<ReturnType<Admin['listConsumerGroupOffsets']>>;
    for (;;) {
      try {
        listed = await this.admin.listConsumerGroupOffsets(request);
        break;
      } catch (error) {
        if (!options.stable || !isUnstableOffsets(error) || performance.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    for (const group of listed) {
      for (const topic of group.topics) {
        for (const partition of topic.partitions)
          if (partition.committedOffset >= 0n) out.set(tpKey(topic.name, partition.partitionIndex), partition.committedOffset);
      }
    }
    return out;
  }

  async offsetsForTime(partitions: readonly TopicPartition[], timestamp: number): Promise<Map<string, bigint>> {
    const found = await this.listOffsets(partitions, BigInt(Math.max(0, Math.floor(timestamp))), true);
    const missing = partitions.filter(({ topic, partition }) => (found.get(tpKey(topic, partition)) ?? -1n) < 0n);
    if (missing.length) for (const [key, end] of await this.endOffsets(missing, true)) found.set(key, end);
    return found;
  }

  /** ListOffsets: -1 the end, -2 the start, else the first offset at or after that time (-1 when none is). */
  private async listOffsets(
    partitions: readonly TopicPartition[],
    timestamp: bigint,
    committedOnly: boolean,
  ): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (partitions.length === 0) return out;
    const list = () =>
      this.admin.listOffsets({
        isolationLevel: committedOnly ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
        topics: [...byTopic(partitions)].map(([name, indexes]) => ({
          name,
          partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })),
        })),
      });
    let listed: Awaited<ReturnType<typeof list>>;
    try {
      listed = await list();
    } catch (error) {
      // The client retries with the leaders and epochs it has cached: after a leader moved (FENCED_LEADER_EPOCH,
      // NOT_LEADER…) every retry fails the same way until the cache ages out. Read the metadata again, once.
      if (!hasStaleMetadata(error)) throw error;
      this.admin.clearMetadata();
      listed = await list();
    }
    for (const topic of listed) {
      for (const partition of topic.partitions) out.set(tpKey(topic.name, partition.partitionIndex), partition.offset);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}

function byTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) topics.set(topic, [...(topics.get(topic) ?? []), partition]);
  return topics;
}

function isAlreadyExists(error: unknown): boolean {
  const text = JSON.stringify(error, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)) + String(error);
  return text.includes(`"errorCode":${TOPIC_ALREADY_EXISTS}`) || /already exists/i.test(text);
}

/** An answer that says the client's cached leaders or epochs are out of date. */
function hasStaleMetadata(error: unknown): boolean {
  const findBy = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy;
  return Boolean(findBy?.call(error, 'hasStaleMetadata', true));
}

/** The group's offsets of these partitions are part of a transaction not finished yet (a retriable answer). */
function isUnstableOffsets(error: unknown): boolean {
  // The client's errors, retries' included, find the broker's error they carry by its name.
  const findBy = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy;
  return Boolean(findBy?.call(error, 'apiId', 'UNSTABLE_OFFSET_COMMIT'));
}
