/**
 * `omnia status [--json]`: is it healthy, who is behind, what is stuck — for the replicas of one application.
 *
 * Where each answer comes from:
 * - members, their tasks and their endpoints: the consumer group, from its coordinator (DescribeGroups). Every
 *   replica publishes `{ instance, endpoint }` as member metadata (runtime/streams-runtime.ts), so the group alone
 *   says who owns which task and where to ask it;
 * - lag per partition: the group's committed offsets against each source partition's end (last stable offset),
 *   from the broker — true even when a replica cannot be asked;
 * - per replica, what only it knows: its /metrics (restore progress per store and task, last commit, aborted
 *   commits, uptime) and /health/ready, at the endpoint it advertises (OMNIA_ENDPOINT, the query service);
 * - dead letters waiting: every `<source>.dlq` topic, less what `omnia dlq redrive` already re-drove.
 */
import { tpKey, type TopicPartition } from '../topology/kafka/client.js';
import { openContext, reachKafka, sourceTopics, type OpsContext } from './cluster.js';
import { scanDeadLetters } from './dlq.js';
import { summarise } from './dead-letters.js';
import { toJson } from './format.js';
import { probeReplica, type ReplicaProbe, workerOf } from './replica-probe.js';
import { exitCodeOf, renderStatus, statusReport, type GroupMemberView, type PartitionOffsets, type StatusReport } from './status-report.js';
import { parseMemberMetadata } from '../runtime/member-metadata.js';
import { querySection } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export async function gatherStatus(context: OpsContext, now: () => number = Date.now): Promise<StatusReport> {
  const app = context.runtime.applicationId;
  const sources = sourceTopics(context);
  const counts = await reachKafka(context, () => context.admin.partitionCounts(sources));
  const missingTopics = sources.filter((topic) => !counts.has(topic));
  const taskCount = Math.max(0, ...counts.values());
  const group = await context.admin.describeGroup(app);
  const members: GroupMemberView[] = group.members.map((member) => {
    const published = parseMemberMetadata(member.metadata);
    return {
      memberId: member.memberId,
      instance: published?.instance ?? member.memberId,
      endpoint: published?.endpoint ?? null,
      ...(member.clientHost ? { clientHost: member.clientHost } : {}),
      partitions: member.partitions,
    };
  });

  const partitions: TopicPartition[] = sources.flatMap((topic) =>
    Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition })),
  );
  const [ends, committed, probes, deadLetters] = await Promise.all([
    context.admin.endOffsets(partitions, true),
    context.admin.committedOffsets(app, partitions),
    // The replicas share the ConfigMap this runs with: their /metrics is on OMNIA_ADMIN_PORT when it is set.
    probeAll(members, context.ops.httpTimeoutMs, loadSettings({ adminPort: querySection.adminPort }).adminPort),
    scanDeadLetters(context),
  ]);
  const reader = context.reader();
  const offsets: PartitionOffsets[] = [];
  for (const tp of partitions) {
    const key = tpKey(tp.topic, tp.partition);
    const done = committed.get(key);
    offsets.push({
      ...tp,
      committed: done ?? null,
      // Only needed when the group never committed: everything readable then waits.
      start: done === undefined ? await reader.startOffset(tp) : 0n,
      end: ends.get(key) ?? 0n,
    });
  }
  return statusReport({
    now: now(),
    applicationId: app,
    brokers: context.runtime.bootstrapServers,
    group: { state: group.state, members },
    sourceTopics: sources,
    missingTopics,
    taskCount,
    offsets,
    probes,
    deadLetters: summarise(deadLetters).map((row) => ({
      dlqTopic: row.dlqTopic,
      code: row.code,
      waiting: row.waiting,
      oldest: row.oldestWaiting,
    })),
    lagWarnRecords: context.ops.lagWarnRecords,
    commitStaleSeconds: context.ops.commitStaleSeconds,
  });
}

async function probeAll(
  members: readonly GroupMemberView[],
  timeoutMs: number,
  adminPort: number | undefined,
): Promise<Map<string, ReplicaProbe>> {
  const probes = new Map<string, ReplicaProbe>();
  await Promise.all(
    members
      .filter((member) => member.endpoint !== null)
      .map(async (member) =>
        probes.set(member.instance, await probeReplica(member.endpoint!, timeoutMs, adminPort, workerOf(member.instance))),
      ),
  );
  return probes;
}

export async function statusCommand(options: { json: boolean }): Promise<number> {
  const context = openContext();
  try {
    const report = await gatherStatus(context);
    process.stdout.write(`${options.json ? toJson(report) : renderStatus(report, Date.parse(report.at))}\n`);
    return exitCodeOf(report.verdict);
  } finally {
    await context.close();
  }
}
