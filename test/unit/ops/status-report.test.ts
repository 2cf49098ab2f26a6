import t from 'tap';
import { replicaView, type ReplicaProbe, workerOf } from '../../../ops/replica-probe.js';
import { exitCodeOf, renderStatus, statusReport, type StatusInputs } from '../../../ops/status-report.js';

const NOW = Date.parse('2026-05-01T03:00:00Z');
const SOURCES = ['order.create.v1', 'order.update.v1'];
const tps = (...partitions: number[]) => SOURCES.flatMap((topic) => partitions.map((partition) => ({ topic, partition })));

const metrics = (lines: string[]) => lines.join('\n');
const healthy = (lastCommitSecondsAgo = 1) =>
  replicaView(
    'x',
    metrics([
      'omnia_tasks 2',
      `omnia_last_commit_timestamp_seconds ${(NOW - lastCommitSecondsAgo * 1000) / 1000}`,
      'omnia_commits_total{result="committed"} 10',
      `process_start_time_seconds ${(NOW - 600_000) / 1000}`,
    ]),
    { ready: true },
  );

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    now: NOW,
    applicationId: 'omnia',
    brokers: ['127.0.0.1:9092'],
    group: {
      state: 'STABLE',
      members: [
        { memberId: 'm-a', instance: 'omnia-a', endpoint: '10.0.0.1:8080', partitions: tps(0, 1) },
        { memberId: 'm-b', instance: 'omnia-b', endpoint: '10.0.0.2:8080', partitions: tps(2, 3) },
      ],
    },
    sourceTopics: SOURCES,
    missingTopics: [],
    taskCount: 4,
    offsets: tps(0, 1, 2, 3).map((tp) => ({ ...tp, committed: 100n, start: 0n, end: 100n })),
    probes: new Map<string, ReplicaProbe>([
      ['omnia-a', healthy()],
      ['omnia-b', healthy()],
    ]),
    deadLetters: [],
    lagWarnRecords: 1000,
    commitStaleSeconds: 60,
    ...overrides,
  };
}

t.test('healthy: OK first, every task with its owner, lag per partition', async (t) => {
  const report = statusReport(inputs());
  t.equal(report.verdict, 'OK');
  t.equal(exitCodeOf(report.verdict), 0);
  t.same(report.problems, []);
  t.equal(report.headline, 'OK  omnia · 2 replicas · 4 of 4 tasks running · nothing behind · no dead letters waiting');
  t.same(
    report.tasks.map((task) => [task.task, task.owner, task.state, task.lag]),
    [
      [0, 'omnia-a', 'running', 0],
      [1, 'omnia-a', 'running', 0],
      [2, 'omnia-b', 'running', 0],
      [3, 'omnia-b', 'running', 0],
    ],
  );
  t.same(
    report.replicas.map((replica) => [replica.instance, replica.state, replica.tasks, replica.lastCommitAt]),
    [
      ['omnia-a', 'running', [0, 1], NOW - 1000],
      ['omnia-b', 'running', [2, 3], NOW - 1000],
    ],
  );
  const text = renderStatus(report, NOW);
  t.match(text.split('\n')[0], /^OK {2}omnia · 2 replicas/);
  t.match(text, /omnia-a +10\.0\.0\.1:8080 +running +0-1 +0 +1\.0 s ago +0 +10 min/);
  t.match(text, /order\.create\.v1 +0 +omnia-a +100 +100 +0/);
});

t.test('behind: the partitions most behind, with their owners; WARN', async (t) => {
  const offsets = inputs().offsets.map((o) => (o.topic === 'order.create.v1' && o.partition === 2 ? { ...o, end: 5_100n } : o));
  const report = statusReport(inputs({ offsets }));
  t.equal(report.verdict, 'WARN');
  t.equal(exitCodeOf(report.verdict), 1);
  t.match(report.problems[0], { level: 'WARN', text: 'behind: order.create.v1[2] 5,000 (omnia-b)' });
  t.equal(report.tasks[2]!.lag, 5000);
  t.equal(report.replicas[1]!.lag, 5000);
  t.match(report.headline, /5,000 records behind/);
});

t.test('stuck: records wait and the replica has not committed for too long; CRITICAL', async (t) => {
  const offsets = inputs().offsets.map((o) => (o.partition === 3 ? { ...o, end: 110n } : o));
  const probes = new Map([
    ['omnia-a', healthy()],
    ['omnia-b', healthy(300)],
  ]);
  const report = statusReport(inputs({ offsets, probes }));
  t.equal(report.verdict, 'CRITICAL');
  t.equal(exitCodeOf(report.verdict), 2);
  t.match(report.problems, [
    { level: 'CRITICAL', text: 'omnia-b looks stuck: 20 records wait on its tasks and it has not committed for 5 min' },
  ]);
  // The same silence with nothing waiting is an idle replica, not a stuck one.
  t.equal(statusReport(inputs({ probes })).verdict, 'OK');
});

t.test('restoring: the progress per store and task; WARN, and not called stuck', async (t) => {
  const restoring = replicaView(
    'x',
    metrics([
      'omnia_tasks 1',
      'omnia_restore_remaining_records{store="orders",partition="3"} 2500',
      'omnia_restore_total_records{store="orders",partition="3"} 10000',
      'omnia_restore_remaining_records{store="inventory",partition="2"} 0',
      'omnia_last_commit_timestamp_seconds 0',
      `process_start_time_seconds ${(NOW - 600_000) / 1000}`,
    ]),
    { ready: false, reason: 'the stream runtime is restoring' },
  );
  const offsets = inputs().offsets.map((o) => (o.partition === 3 ? { ...o, end: 150n } : o));
  const report = statusReport(
    inputs({
      offsets,
      probes: new Map([
        ['omnia-a', healthy()],
        ['omnia-b', restoring],
      ]),
    }),
  );
  t.equal(report.verdict, 'WARN');
  t.same(
    report.problems.map((p) => p.text),
    ['omnia-b is restoring: orders p3 75 % (2,500 left)'],
  );
  t.same(
    report.tasks.map((task) => task.state),
    ['running', 'running', 'running', 'restoring'],
  );
  t.match(renderStatus(report, NOW), /3 +omnia-b +restoring +orders p3 75 % \(2,500 left\) +100/);
});

t.test('no member, unowned tasks, missing topics: CRITICAL with what to do', async (t) => {
  const none = statusReport(inputs({ group: { state: 'EMPTY', members: [] }, probes: new Map() }));
  t.equal(none.verdict, 'CRITICAL');
  t.match(none.problems[0], { text: 'no replica is in group omnia (group empty)', next: /OMNIA_APPLICATION_ID/ });
  t.same(
    none.tasks.map((task) => task.state),
    ['unowned', 'unowned', 'unowned', 'unowned'],
  );
  t.match(none.headline, /0 of 4 tasks running/);

  const half = statusReport(
    inputs({
      group: {
        state: 'PREPARING_REBALANCE',
        members: [{ memberId: 'm-a', instance: 'omnia-a', endpoint: '10.0.0.1:8080', partitions: tps(0, 1) }],
      },
    }),
  );
  t.same(
    half.problems.map((p) => [p.level, p.text]),
    [
      ['WARN', 'the group is rebalancing (preparing rebalance)'],
      ['CRITICAL', 'tasks 2-3 have no owner: nothing processes their partitions'],
    ],
  );

  const missing = statusReport(inputs({ missingTopics: ['order.update.v1'] }));
  t.match(missing.problems[0], { level: 'CRITICAL', text: 'source topic order.update.v1 does not exist' });
  const all = statusReport(
    inputs({ missingTopics: SOURCES, taskCount: 0, offsets: [], group: { state: 'DEAD', members: [] }, probes: new Map() }),
  );
  t.match(all.problems[0], { text: /none of the source topics exists/, next: /OMNIA_TOPIC_PREFIX/ });
  t.match(renderStatus(all, NOW), /TASKS.*\n {2}none \(no source topic exists\)/);
});

t.test('a replica that cannot be asked: WARN, its tasks unknown, the broker view kept', async (t) => {
  const report = statusReport(
    inputs({
      group: {
        state: 'STABLE',
        members: [
          { memberId: 'm-a', instance: 'omnia-a', endpoint: null, clientHost: '/10.0.0.1', partitions: tps(0, 1) },
          { memberId: 'm-b', instance: 'omnia-b', endpoint: '10.0.0.2:8080', partitions: tps(2, 3) },
        ],
      },
      probes: new Map([['omnia-b', { endpoint: '10.0.0.2:8080', reachable: false, error: 'http://10.0.0.2:8080: ECONNREFUSED' }]]),
    }),
  );
  t.equal(report.verdict, 'WARN');
  t.same(
    report.problems.map((p) => p.text),
    [
      'omnia-a advertises no endpoint, so its restore progress and commits cannot be read',
      'omnia-b does not answer: http://10.0.0.2:8080: ECONNREFUSED',
    ],
  );
  t.same(
    report.tasks.map((task) => task.state),
    ['unknown', 'unknown', 'unknown', 'unknown'],
  );
  t.match(renderStatus(report, NOW), /omnia-a +— \(\/10\.0\.0\.1\) +unknown/);
});

t.test('dead letters waiting: WARN, pointing at omnia dlq', async (t) => {
  const report = statusReport(
    inputs({
      deadLetters: [
        { dlqTopic: 'order.create.v1.dlq', code: 'UNKNOWN_CUSTOMER', waiting: 2, oldest: NOW - 3_600_000 },
        { dlqTopic: 'order.create.v1.dlq', code: 'INVALID_LINE', waiting: 0, oldest: null },
      ],
    }),
  );
  t.equal(report.verdict, 'WARN');
  t.match(report.problems[0], { text: '2 dead letters waiting: order.create.v1.dlq UNKNOWN_CUSTOMER 2', next: /omnia dlq list/ });
  const text = renderStatus(report, NOW);
  t.match(text, /order\.create\.v1\.dlq +UNKNOWN_CUSTOMER +2 +2026-05-01T02:00:00Z \(1 h ago\)/);
  t.notMatch(text, /INVALID_LINE/, 'only codes with something waiting');
});

t.test('a partition the group never committed: all of it waits', async (t) => {
  const offsets = inputs().offsets.map((o) => (o.partition === 0 ? { ...o, committed: null, start: 40n, end: 100n } : o));
  const report = statusReport(inputs({ offsets }));
  t.equal(report.partitions.find((p) => p.partition === 0 && p.topic === 'order.create.v1')!.lag, 60);
  t.match(renderStatus(report, NOW), /order\.create\.v1 +0 +omnia-a +none +100 +60/);
});

t.test('a worker of a process (OMNIA_WORKERS): its view keeps its own series of the metrics every worker shares', async (t) => {
  const shared = metrics([
    'omnia_tasks{worker="1"} 4',
    'omnia_tasks{worker="2"} 3',
    'omnia_restore_remaining_records{store="orders",partition="5",worker="2"} 700',
    'omnia_restore_total_records{store="orders",partition="5",worker="2"} 1000',
    `omnia_last_commit_timestamp_seconds{worker="1"} ${(NOW - 1000) / 1000}`,
    'omnia_last_commit_timestamp_seconds{worker="2"} 0',
  ]);
  t.equal(workerOf('omnia-processors-0-w2'), 2);
  t.equal(workerOf('omnia-processors-0'), undefined, 'a process without workers');
  const first = replicaView('x', shared, { ready: true }, 1);
  t.match(first, { tasks: 4, lastCommitAt: NOW - 1000, restoring: [] }, 'worker 1: its tasks and its commit');
  const second = replicaView('x', shared, { ready: false, reason: 'restoring' }, 2);
  t.match(
    second,
    { tasks: 3, lastCommitAt: null, restoring: [{ store: 'orders', partition: 5, remaining: 700, total: 1000 }] },
    'worker 2: its own',
  );
});

t.test("a replica's failed commits: aborted and in doubt alike", async (t) => {
  const view = replicaView(
    'x',
    metrics([
      'omnia_commits_total{result="committed"} 40',
      'omnia_commits_total{result="aborted"} 3',
      'omnia_commits_total{result="in-doubt"} 2',
    ]),
    { ready: true },
  );
  t.equal(view.commitsFailed, 5, 'a commit in doubt is one that failed, as far as the replica goes on');
});
