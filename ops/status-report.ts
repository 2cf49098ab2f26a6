/**
 * `omnia status` as data, from what was gathered (ops/status.ts): the consumer group as its coordinator sees it,
 * the committed and end offsets of every source partition, what each replica says about itself, and the dead
 * letters waiting. Pure, so every verdict is testable without a broker.
 *
 * The verdict answers "is it healthy" first:
 *   CRITICAL  no replica in the group; a task no replica owns; a replica with records waiting that has not
 *             committed for OMNIA_OPS_COMMIT_STALE_SECONDS (stuck);
 *   WARN      the group rebalancing; a task restoring or a replica not ready; a partition OMNIA_OPS_LAG_WARN_RECORDS
 *             or more behind; a replica that does not answer or advertises no endpoint (it cannot be seen);
 *             dead letters waiting to be re-driven;
 *   OK        none of these.
 */
import type { TopicPartition } from '../topology/kafka/client.js';
import type { ReplicaProbe, RestoreProgress } from './replica-probe.js';
import { ago, count, isoSeconds, plural, ranges, span, table } from './format.js';

export type Verdict = 'OK' | 'WARN' | 'CRITICAL';

export interface GroupMemberView {
  readonly memberId: string;
  /** The replica's instance name (its member metadata), else the member id. */
  readonly instance: string;
  /** host:port it advertises (OMNIA_ENDPOINT), null when none. */
  readonly endpoint: string | null;
  readonly clientHost?: string;
  readonly partitions: readonly TopicPartition[];
}

export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset; null when it never committed one. */
  readonly committed: bigint | null;
  /** Start (log start) and end (last stable offset) of the partition. */
  readonly start: bigint;
  readonly end: bigint;
}

export interface DeadLetterCount {
  readonly dlqTopic: string;
  readonly code: string;
  readonly waiting: number;
  /** Epoch ms of the oldest waiting one (when it was dead-lettered). */
  readonly oldest: number | null;
}

export interface StatusInputs {
  readonly now: number;
  readonly applicationId: string;
  readonly brokers: readonly string[];
  readonly group: { readonly state: string; readonly members: readonly GroupMemberView[] };
  /** The topology's source topics (one partition of each makes a task). */
  readonly sourceTopics: readonly string[];
  /** Source topics that do not exist on the broker. */
  readonly missingTopics: readonly string[];
  readonly taskCount: number;
  readonly offsets: readonly PartitionOffsets[];
  /** Per instance: what it said over HTTP; absent when it advertises no endpoint. */
  readonly probes: ReadonlyMap<string, ReplicaProbe>;
  readonly deadLetters: readonly DeadLetterCount[];
  readonly lagWarnRecords: number;
  readonly commitStaleSeconds: number;
}

export interface Problem {
  readonly level: Exclude<Verdict, 'OK'>;
  readonly text: string;
  /** What to do about it. */
  readonly next: string;
}

export interface ReplicaStatus {
  readonly instance: string;
  readonly endpoint: string | null;
  readonly host: string | null;
  /** running, restoring, "not ready: <reason>", unreachable, unknown (no endpoint). */
  readonly state: string;
  readonly tasks: readonly number[];
  readonly restoring: readonly RestoreProgress[];
  /** Σ over its source partitions of end − committed. */
  readonly lag: number;
  readonly lastCommitAt: number | null;
  readonly commitsFailed: number | null;
  readonly startedAt: number | null;
  readonly error: string | null;
}

export interface TaskStatus {
  readonly task: number;
  readonly owner: string | null;
  /** running, restoring, unowned, or unknown (its owner cannot be asked). */
  readonly state: string;
  readonly restoring: readonly RestoreProgress[];
  readonly lag: number;
}

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly owner: string | null;
  readonly committed: string | null;
  readonly end: string;
  readonly lag: number;
}

export interface StatusReport {
  readonly at: string;
  readonly applicationId: string;
  readonly brokers: readonly string[];
  readonly verdict: Verdict;
  readonly headline: string;
  readonly problems: readonly Problem[];
  readonly group: { readonly id: string; readonly state: string; readonly members: number };
  readonly replicas: readonly ReplicaStatus[];
  readonly tasks: readonly TaskStatus[];
  readonly partitions: readonly PartitionStatus[];
  readonly deadLetters: readonly DeadLetterCount[];
}

/** Records not processed yet: end − committed, or everything readable when nothing was committed. */
function lagOf(offsets: PartitionOffsets): number {
  const from = offsets.committed ?? offsets.start;
  return offsets.end > from ? Number(offsets.end - from) : 0;
}

const progress = (restore: RestoreProgress): string =>
  restore.total && restore.total > 0
    ? `${restore.store} p${restore.partition} ${Math.floor(((restore.total - restore.remaining) / restore.total) * 100)} % (${count(restore.remaining)} left)`
    : `${restore.store} p${restore.partition} ${count(restore.remaining)} left`;

export function statusReport(inputs: StatusInputs): StatusReport {
  const { now } = inputs;
  const problems: Problem[] = [];
  const sources = new Set(inputs.sourceTopics);
  const ownerOf = new Map<number, GroupMemberView>();
  for (const member of inputs.group.members)
    for (const tp of member.partitions) if (sources.has(tp.topic) && !ownerOf.has(tp.partition)) ownerOf.set(tp.partition, member);

  const partitions: PartitionStatus[] = [...inputs.offsets]
    .sort((a, b) => a.partition - b.partition || a.topic.localeCompare(b.topic))
    .map((offsets) => ({
      topic: offsets.topic,
      partition: offsets.partition,
      owner: ownerOf.get(offsets.partition)?.instance ?? null,
      committed: offsets.committed === null ? null : offsets.committed.toString(),
      end: offsets.end.toString(),
      lag: lagOf(offsets),
    }));
  const lagOfTask = (task: number) => partitions.filter((p) => p.partition === task).reduce((sum, p) => sum + p.lag, 0);

  const replicas: ReplicaStatus[] = inputs.group.members
    .map((member) => {
      const tasks = [...new Set(member.partitions.filter((tp) => sources.has(tp.topic)).map((tp) => tp.partition))].sort((a, b) => a - b);
      const probe = inputs.probes.get(member.instance);
      const restoring = (probe?.restoring ?? []).filter((restore) => tasks.includes(restore.partition));
      let state: string;
      if (!member.endpoint) state = 'unknown';
      else if (!probe?.reachable) state = 'unreachable';
      else if (restoring.length > 0) state = 'restoring';
      else if (probe.ready === false) state = `not ready: ${probe.notReadyReason ?? 'no reason given'}`;
      else state = 'running';
      return {
        instance: member.instance,
        endpoint: member.endpoint,
        host: member.clientHost ?? null,
        state,
        tasks,
        restoring,
        lag: tasks.reduce((sum, task) => sum + lagOfTask(task), 0),
        lastCommitAt: probe?.lastCommitAt ?? null,
        commitsFailed: probe?.commitsFailed ?? null,
        startedAt: probe?.startedAt ?? null,
        error: probe?.error ?? null,
      };
    })
    .sort((a, b) => a.instance.localeCompare(b.instance));
  const replicaNamed = new Map(replicas.map((replica) => [replica.instance, replica]));

  const tasks: TaskStatus[] = Array.from({ length: inputs.taskCount }, (_, task) => {
    const owner = ownerOf.get(task)?.instance ?? null;
    const replica = owner === null ? undefined : replicaNamed.get(owner);
    const restoring = replica?.restoring.filter((restore) => restore.partition === task) ?? [];
    const state =
      owner === null
        ? 'unowned'
        : restoring.length > 0
          ? 'restoring'
          : replica && (replica.state === 'unknown' || replica.state === 'unreachable')
            ? 'unknown'
            : 'running';
    return { task, owner, state, restoring, lag: lagOfTask(task) };
  });

  // ----------------------------------------------------------------------------------------- what is wrong
  const app = inputs.applicationId;
  if (inputs.missingTopics.length)
    problems.push({
      level: 'CRITICAL',
      text:
        inputs.missingTopics.length === inputs.sourceTopics.length
          ? `none of the source topics exists (${inputs.missingTopics.join(', ')})`
          : `source ${inputs.missingTopics.length === 1 ? 'topic' : 'topics'} ${inputs.missingTopics.join(', ')} ${inputs.missingTopics.length === 1 ? 'does' : 'do'} not exist`,
      next:
        inputs.missingTopics.length === inputs.sourceTopics.length
          ? 'check OMNIA_TOPIC_PREFIX and KAFKA_BROKERS (omnia config): they must be the replicas’ own'
          : 'create them with the partitions of the other source topics (deploy/k8s/base/topics.yaml); replicas refuse to start without them',
    });
  if (inputs.group.members.length === 0) {
    problems.push({
      level: 'CRITICAL',
      text: `no replica is in group ${app} (group ${inputs.group.state.toLowerCase()})`,
      next: `start the replicas (omnia start with KAFKA_BROKERS set), or check that OMNIA_APPLICATION_ID is theirs (${app} here; omnia config)`,
    });
  } else {
    if (inputs.group.state !== 'STABLE')
      problems.push({
        level: 'WARN',
        text: `the group is rebalancing (${inputs.group.state.toLowerCase().replace(/_/g, ' ')})`,
        next: 'run status again in a few seconds; if it stays, a replica keeps joining and leaving: read its log',
      });
    const unowned = tasks.filter((task) => task.owner === null).map((task) => task.task);
    if (unowned.length)
      problems.push({
        level: 'CRITICAL',
        text: `${unowned.length === 1 ? 'task' : 'tasks'} ${ranges(unowned)} ${unowned.length === 1 ? 'has' : 'have'} no owner: nothing processes ${unowned.length === 1 ? 'its' : 'their'} partitions`,
        next: 'wait for the rebalance to finish; if it stays, start another replica or read the replicas’ logs',
      });
  }
  for (const replica of replicas) {
    if (replica.state === 'unknown')
      problems.push({
        level: 'WARN',
        text: `${replica.instance} advertises no endpoint, so its restore progress and commits cannot be read`,
        next: 'set OMNIA_ENDPOINT (host:port of its query service) on that replica; the broker-side view below still holds',
      });
    else if (replica.state === 'unreachable')
      problems.push({
        level: 'WARN',
        text: `${replica.instance} does not answer: ${replica.error ?? replica.endpoint}`,
        next: 'check that process or pod (is it alive, is its port reachable from here?); the broker-side view below still holds',
      });
    else if (replica.state === 'restoring')
      problems.push({
        level: 'WARN',
        text: `${replica.instance} is restoring: ${replica.restoring.map(progress).join('; ')}`,
        next: 'wait: its tasks process again once restored (lookups of those stores fall back on Postgres meanwhile)',
      });
    else if (replica.state.startsWith('not ready'))
      problems.push({ level: 'WARN', text: `${replica.instance} is ${replica.state}`, next: 'read its log; run status again in a minute' });
    const quiet =
      replica.lastCommitAt === null ? (replica.startedAt === null ? null : now - replica.startedAt) : now - replica.lastCommitAt;
    if (
      replica.lag > 0 &&
      replica.restoring.length === 0 &&
      (replica.state === 'running' || replica.state.startsWith('not ready')) &&
      quiet !== null &&
      quiet > inputs.commitStaleSeconds * 1000
    ) {
      problems.push({
        level: 'CRITICAL',
        text: `${replica.instance} looks stuck: ${count(replica.lag)} records wait on its tasks and it has not committed for ${span(quiet / 1000)}${replica.commitsFailed ? ` (${count(replica.commitsFailed)} failed commits)` : ''}`,
        next: 'read its log for commit failures; if it stays, restart it (its tasks move to the other replicas, with their state)',
      });
    }
  }
  const behind = partitions.filter((p) => p.lag >= inputs.lagWarnRecords).sort((a, b) => b.lag - a.lag);
  if (behind.length)
    problems.push({
      level: 'WARN',
      text: `behind: ${behind
        .slice(0, 3)
        .map((p) => `${p.topic}[${p.partition}] ${count(p.lag)}${p.owner ? ` (${p.owner})` : ''}`)
        .join(', ')}${behind.length > 3 ? ` and ${behind.length - 3} more` : ''}`,
      next: `${behind.length === 1 ? 'this partition is' : 'these partitions are'} ${count(inputs.lagWarnRecords)}+ records behind: watch whether the lag falls (run status again); if it grows, add replicas`,
    });
  const waiting = inputs.deadLetters.filter((d) => d.waiting > 0);
  if (waiting.length) {
    const total = waiting.reduce((sum, d) => sum + d.waiting, 0);
    problems.push({
      level: 'WARN',
      text: `${plural(total, 'dead letter')} waiting: ${waiting
        .slice(0, 3)
        .map((d) => `${d.dlqTopic} ${d.code} ${count(d.waiting)}`)
        .join(', ')}${waiting.length > 3 ? ` and ${waiting.length - 3} more` : ''}`,
      next: 'omnia dlq list, then omnia dlq show / redrive once the cause is fixed',
    });
  }

  const verdict: Verdict = problems.some((p) => p.level === 'CRITICAL') ? 'CRITICAL' : problems.length ? 'WARN' : 'OK';
  const totalLag = partitions.reduce((sum, p) => sum + p.lag, 0);
  const waitingTotal = waiting.reduce((sum, d) => sum + d.waiting, 0);
  const running = tasks.filter((task) => task.state === 'running').length;
  const headline = [
    `${verdict}  ${app}`,
    plural(inputs.group.members.length, 'replica'),
    `${running} of ${plural(inputs.taskCount, 'task')} running`,
    totalLag === 0 ? 'nothing behind' : `${count(totalLag)} records behind`,
    waitingTotal === 0 ? 'no dead letters waiting' : `${plural(waitingTotal, 'dead letter')} waiting`,
  ].join(' · ');
  return {
    at: new Date(now).toISOString(),
    applicationId: app,
    brokers: inputs.brokers,
    verdict,
    headline,
    problems,
    group: { id: app, state: inputs.group.state, members: inputs.group.members.length },
    replicas,
    tasks,
    partitions,
    deadLetters: inputs.deadLetters,
  };
}

/** The report for people: the verdict and what to do first, then replicas, tasks, lag per partition, dead letters. */
export function renderStatus(report: StatusReport, now: number): string {
  const out: string[] = [`${report.headline}   (${isoSeconds(now)}, ${report.brokers.join(',')})`];
  for (const problem of report.problems)
    out.push(`  ${problem.level === 'CRITICAL' ? 'CRIT' : 'WARN'}  ${problem.text}\n        → ${problem.next}`);

  out.push('', `REPLICAS  (group ${report.group.id}, ${report.group.state.toLowerCase().replace(/_/g, ' ')})`);
  out.push(
    report.replicas.length === 0
      ? '  none'
      : table(
          ['instance', 'endpoint', 'state', 'tasks', 'lag', 'last commit', 'failed commits', 'up'],
          report.replicas.map((replica) => [
            replica.instance,
            replica.endpoint ?? `— (${replica.host ?? 'no endpoint'})`,
            replica.state,
            replica.tasks.length ? ranges(replica.tasks) : '—',
            count(replica.lag),
            replica.lastCommitAt === null ? (replica.state === 'running' ? 'none yet' : '—') : ago(replica.lastCommitAt, now),
            replica.commitsFailed === null ? '—' : count(replica.commitsFailed),
            replica.startedAt === null ? '—' : span((now - replica.startedAt) / 1000),
          ]),
          [4, 6],
        ),
  );

  out.push('', 'TASKS  (task n = partition n of every source topic)');
  out.push(
    report.tasks.length === 0
      ? '  none (no source topic exists)'
      : table(
          ['task', 'owner', 'state', 'restore', 'lag'],
          report.tasks.map((task) => [
            String(task.task),
            task.owner ?? '—',
            task.state,
            task.restoring.length ? task.restoring.map(progress).join('; ') : '—',
            count(task.lag),
          ]),
          [0, 4],
        ),
  );

  // Partitions nothing was ever written to say nothing: counted, not listed (--json lists every one).
  const written = report.partitions.filter((p) => p.end !== '0' || p.committed !== null);
  const empty = report.partitions.length - written.length;
  out.push('', 'LAG  (per source partition: end offset − offset the group committed)');
  out.push(
    written.length === 0
      ? '  none'
      : table(
          ['topic', 'partition', 'owner', 'committed', 'end', 'lag'],
          written.map((p) => [p.topic, String(p.partition), p.owner ?? '—', p.committed ?? 'none', p.end, count(p.lag)]),
          [1, 3, 4, 5],
        ),
  );
  if (empty) out.push(`  (${plural(empty, 'partition')} never written to: not listed; --json lists them)`);

  out.push('', 'DEAD LETTERS WAITING  (omnia dlq list for more)');
  const waiting = report.deadLetters.filter((d) => d.waiting > 0);
  out.push(
    waiting.length === 0
      ? '  none'
      : table(
          ['dlq topic', 'code', 'waiting', 'oldest'],
          waiting.map((d) => [
            d.dlqTopic,
            d.code,
            count(d.waiting),
            d.oldest === null ? '—' : `${isoSeconds(d.oldest)} (${ago(d.oldest, now)})`,
          ]),
          [2],
        ),
  );
  return out.join('\n');
}

/** Exit status of `omnia status` (the Nagios convention): 0 OK, 1 WARN, 2 CRITICAL; 3 when it could not ask. */
export const exitCodeOf = (verdict: Verdict): number => (verdict === 'OK' ? 0 : verdict === 'WARN' ? 1 : 2);
