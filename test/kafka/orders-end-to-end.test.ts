import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import { DlqHeaders } from '../../runtime/dead-letter.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const ORDERS = 10_000;
const STORES = 50;
const PARTITIONS = 8;
const KILLS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a run says about each order: its status sequence, releases, validation verdicts and dead letters. */
interface Outcome {
  statuses: Map<string, number[]>;
  releases: Map<string, string[]>;
  validations: Map<string, boolean[]>;
  deadLetters: Map<string, string[]>;
}

function outcomeOf(
  records: Array<{ topic: string; value: Buffer | null; headers: Readonly<Record<string, string>> }>,
  prefix: string,
): Outcome {
  const outcome: Outcome = { statuses: new Map(), releases: new Map(), validations: new Map(), deadLetters: new Map() };
  const add = <T>(map: Map<string, T[]>, id: string, value: T) => map.set(id, [...(map.get(id) ?? []), value]);
  for (const record of records) {
    const topic = record.topic.slice(prefix.length);
    if (topic === `${Topics.orderCreate}.dlq`) {
      add(outcome.deadLetters, (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID, record.headers[DlqHeaders.code]!);
      continue;
    }
    const value = JSON.parse(record.value!.toString()) as { OrderID: string; ToStatus?: number; OrderTotal?: string; Valid?: boolean };
    if (topic === Topics.status) add(outcome.statuses, value.OrderID, value.ToStatus!);
    else if (topic === Topics.release) add(outcome.releases, value.OrderID, value.OrderTotal!);
    else if (topic === Topics.validation) add(outcome.validations, value.OrderID, value.Valid!);
  }
  return outcome;
}

t.test('10,000 orders across 50 stores on the real broker, killed twice mid-run, match a straight in-process run exactly', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const app = uniqueName('orders-e2e');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);

  const reference = referenceData(200);
  const createdAt = new Date();
  const orders = Array.from({ length: ORDERS }, (_, n) => demoOrder(n, createdAt, { stores: STORES, customers: 200, seed: 7 }));
  const record = (topic: string, key: string, value: unknown, partitions: number) =>
    jsonRecord(name(topic), key, value, partitions, createdAt.getTime());
  await produce(
    client,
    reference.map((entry) => record(entry.topic, entry.key, entry.value, 1)),
  );

  // The straight run: the same topology in-process over the same input.
  const driver = new InProcessRuntime(
    orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)),
    { startTime: createdAt.getTime(), partitions: PARTITIONS },
  );
  for (const entry of reference) await driver.pipeRaw(name(entry.topic), Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  for (const order of orders)
    await driver.pipeRaw(name(Topics.orderCreate), Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
      timestamp: createdAt.getTime(),
    });
  const expected = outcomeOf(
    driver.output.filter((r) => !r.topic.endsWith('-changelog')),
    prefix,
  );
  await driver.close();
  const invalid = orders.filter((order) => !order.IsForceAllocation).length;
  t.ok(
    invalid > 100 && expected.releases.size > ORDERS * 0.8,
    `the feed mixes ${expected.releases.size} releasable orders, ${invalid} invalid ones and COD failures`,
  );

  const stateDir = `.state/test-${app}`;
  let worker: ChildProcess | undefined;
  const startWorker = () => {
    worker = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-0`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise<void>((resolve) => worker!.stdout!.once('data', () => resolve()));
  };
  t.teardown(async () => {
    worker?.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  });
  await startWorker();
  const feeding = (async () => {
    for (let i = 0; i < ORDERS; i += 500) {
      await produce(
        client,
        orders.slice(i, i + 500).map((order) => record(Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS)),
      );
      await sleep(200);
    }
  })();
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(1000 + Math.random() * 1500);
    worker!.kill('SIGKILL');
    await new Promise((resolve) => worker!.once('exit', resolve));
    await startWorker();
  }
  await feeding;

  const expectedStatusRecords = [...expected.statuses.values()].reduce((sum, list) => sum + list.length, 0);
  let read: ConsumedRecord[] = [];
  await waitFor(
    'every status change committed',
    async () => {
      read = await readAll(client, name(Topics.status));
      return read.length >= expectedStatusRecords;
    },
    180_000,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}: ${read.length} of ${expectedStatusRecords}`);
  });
  worker!.kill('SIGTERM');
  await new Promise((resolve) => worker!.once('exit', resolve));

  const outputs = [];
  for (const topic of [Topics.status, Topics.release, Topics.validation, `${Topics.orderCreate}.dlq`])
    outputs.push(...(await readAll(client, name(topic))));
  const actual = outcomeOf(outputs, prefix);
  const differing = (a: Map<string, unknown[]>, b: Map<string, unknown[]>) =>
    [...new Set([...a.keys(), ...b.keys()])].filter((id) => JSON.stringify(a.get(id)) !== JSON.stringify(b.get(id)));
  t.same(
    differing(actual.releases, expected.releases).slice(0, 5),
    [],
    `exactly one release per releasable order, same totals (${actual.releases.size} orders)`,
  );
  t.same(differing(actual.statuses, expected.statuses).slice(0, 5), [], 'every order has the same status sequence as the straight run');
  t.same(differing(actual.validations, expected.validations).slice(0, 5), [], 'the same validation records');
  t.same(differing(actual.deadLetters, expected.deadLetters).slice(0, 5), [], 'the same dead letters');
  const released = [...actual.statuses.entries()].filter(([id]) => actual.releases.has(id));
  t.ok(
    released.every(([, statuses]) => JSON.stringify(statuses) === '[1000,2000,3000]'),
    'every released order went 1000 → 2000 → 3000',
  );
  const rejected = orders.filter((order) => !order.IsForceAllocation).map((order) => order.OrderID);
  t.ok(
    rejected.every(
      (id) =>
        actual.validations.get(id)?.length === 1 && actual.validations.get(id)![0] === false && actual.deadLetters.get(id)?.length === 1,
    ),
    `each of the ${rejected.length} invalid orders has exactly one validation record and one dead letter`,
  );
});
