// ci: alone (kills timed against the load; scripts/test.mjs runs it with no other broker test beside it)
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { changelogTopic } from '../../state/store-definition.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { BROKERS, createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

// The replica runs as compiled JavaScript (npm test compiles first), wherever this file runs from.
const WORKER = resolve('dist/test/fixtures/counter-worker.js');
const RECORDS = 20_000;
const KEYS = 50;
const PARTITIONS = 4;
const KILLS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('SIGKILL at random moments loses and duplicates nothing under exactly-once', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('eos-kill');
  const [input, output] = [`${app}-in`, `${app}-out`];
  await createTopics(client, [input, output], PARTITIONS);
  const stateDir = `.state/test-${app}`;
  let worker: ChildProcess | undefined;
  // The replica's last log lines and how its last incarnation ended: what a failure below needs to say why.
  const lastLines: string[] = [];
  let lastExit = 'running';
  const startWorker = () => {
    worker = spawn(process.execPath, [WORKER], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_INSTANCE_ID: `${app}-0`,
        COUNTER_INPUT: input,
        COUNTER_OUTPUT: output,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = worker;
    started.once('exit', (code, signal) => {
      if (started === worker) lastExit = `exited with ${signal ?? `code ${code}`}`;
    });
    worker.stdout!.on('data', (chunk: Buffer) => {
      lastLines.push(...chunk.toString().split('\n').filter(Boolean));
      lastLines.splice(0, Math.max(0, lastLines.length - 15));
    });
    return new Promise<void>((resolve) => worker!.stdout!.once('data', () => resolve()));
  };
  t.teardown(async () => {
    worker?.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });

  const records: ProducedRecord[] = Array.from({ length: RECORDS }, (_, seq) => {
    const key = Buffer.from(`QC${String(seq % KEYS).padStart(4, '0')}`);
    return {
      topic: input,
      partition: partitionForKey(key, PARTITIONS),
      key,
      value: Buffer.from(JSON.stringify({ seq })),
      timestamp: Date.now(),
      headers: {},
    };
  });
  await startWorker();
  // Input arrives while the replica is being killed, so kills land mid-transaction as well as between.
  const feeding = (async () => {
    for (let i = 0; i < RECORDS; i += 500) {
      await produce(client, records.slice(i, i + 500));
      await sleep(150);
    }
  })();
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(500 + Math.random() * 1500);
    worker!.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    await startWorker();
  }
  await feeding;
  let produced = 0;
  await waitFor('every output committed', async () => (produced = (await readAll(client, output)).length) >= RECORDS, 120_000).catch(
    (error) => {
      throw new Error(
        `${(error as Error).message}: ${produced} of ${RECORDS} outputs committed; the replica ${lastExit}; its last lines:\n${lastLines.join('\n')}`,
      );
    },
  );
  worker!.kill('SIGTERM');
  await new Promise((resolve) => worker!.once('exit', resolve));

  const out = await readAll(client, output);
  const seen = new Map<number, number>();
  const countsByKey = new Map<string, number[]>();
  for (const record of out) {
    const { seq, count } = JSON.parse(record.value!.toString()) as { seq: number; count: number };
    seen.set(seq, (seen.get(seq) ?? 0) + 1);
    const key = record.key!.toString();
    countsByKey.set(key, [...(countsByKey.get(key) ?? []), count]);
  }
  t.equal(out.length, RECORDS, 'exactly one output per input');
  t.equal([...seen.values()].filter((n) => n > 1).length, 0, 'no input processed twice');
  t.equal(Array.from({ length: RECORDS }, (_, seq) => seq).filter((seq) => !seen.has(seq)).length, 0, 'no input lost');
  // A straight run counts each key 1, 2, …, n in input order; so must the killed one.
  const perKey = RECORDS / KEYS;
  const expected = Array.from({ length: perKey }, (_, i) => i + 1);
  t.equal(
    [...countsByKey.values()].filter((counts) => JSON.stringify(counts) !== JSON.stringify(expected)).length,
    0,
    'every key counted 1..n with no gap or repeat',
  );
  const changelog = await readAll(client, changelogTopic(app, 'counts'));
  const finalState = new Map<string, number>();
  for (const record of changelog) finalState.set(record.key!.toString(), Number(record.value!.readBigInt64BE()));
  t.equal(finalState.size, KEYS, 'the changelog holds every key');
  t.ok(
    [...finalState.values()].every((count) => count === perKey),
    `every key's final count is ${perKey}`,
  );
});
