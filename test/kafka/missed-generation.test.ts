// ci: alone (a replica paused past its session timeout; scripts/test.mjs runs it with no other broker test beside it)
/**
 * A replica that misses a generation of the group gets its tasks back with stores that lack what another member
 * wrote meanwhile (broker-pause.test.ts: orders sent twice released twice). On the real broker: replica a is
 * paused (SIGSTOP) past its session timeout, b takes a's tasks and counts a round of input for them, a resumes and
 * the group hands a its tasks back. a must restore them from their changelogs, not go on from its stale stores:
 * every key is counted 1, 2, 3.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { BROKERS, counterRound, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const WORKER = resolve('dist/test/fixtures/counter-worker.js');
const PARTITIONS = 4;
const KEYS = 2_000;

t.test('a replica paused past its session timeout restores the tasks it gets back: every count exact', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('missed-generation');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);

  const replicas = new Map<string, { child: ChildProcess; owned: number[]; lines: string[] }>();
  const start = (name: string) => {
    const stateDir = `.state/test-${app}-${name}`;
    const child = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_INSTANCE_ID: `${app}-${name}`,
        OMNIA_SESSION_TIMEOUT_MS: '6000',
        COUNTER_INPUT: input,
        COUNTER_OUTPUT: output,
        COUNTER_REPORT: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = { child, owned: [] as number[], lines: [] as string[] };
    replicas.set(name, replica);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('report ')) replica.owned = (JSON.parse(line.slice('report '.length)) as { owned: number[] }).owned;
      else replica.lines.push(line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => replica.lines.push(line));
    t.teardown(async () => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    });
    return replica;
  };
  const round = (n: number) => counterRound(input, KEYS, PARTITIONS, n);
  const outputs = async (count: number, what: string) =>
    waitFor(what, async () => (await readAll(client, output)).length >= count, 120_000);

  const a = start('a');
  const b = start('b');
  await waitFor('both replicas own tasks', () => a.owned.length > 0 && b.owned.length > 0, 60_000);
  const aOwned = [...a.owned];
  await produce(client, round(0));
  await outputs(KEYS, 'the first round counted');

  a.child.kill('SIGSTOP');
  await waitFor('b owns every task once a is out of the group', () => b.owned.length === PARTITIONS, 60_000);
  await produce(client, round(1));
  await outputs(2 * KEYS, "the second round counted, a's keys by b");

  a.child.kill('SIGCONT');
  await waitFor('b hands a its tasks back', () => b.owned.length === PARTITIONS - aOwned.length, 60_000);
  t.ok(
    a.lines.some((line) => /missed a generation of the group/.test(line)),
    'a says it missed a generation and restores its tasks',
    { lines: a.lines.map((line) => /"msg":"([^"]*)"/.exec(line)?.[1]).filter(Boolean) },
  );
  await produce(client, round(2));
  await outputs(3 * KEYS, 'the third round counted');

  const counts = new Map<string, number[]>();
  for (const record of await readAll(client, output)) {
    const { count } = JSON.parse(record.value!.toString()) as { count: number };
    const key = record.key!.toString();
    counts.set(key, [...(counts.get(key) ?? []), count]);
  }
  const wrong = [...counts].filter(([, list]) => JSON.stringify(list) !== '[1,2,3]');
  t.equal(counts.size, KEYS, 'every key counted');
  t.same(wrong.slice(0, 5), [], "every key counted 1, 2, 3: a went on from b's counts, not its own stale ones");
});
