/**
 * The fuzz campaign, short form (the long one is `bench/fuzz.ts`): generated bad records on every topic the order
 * topology reads, interleaved with valid orders, into `omnia start` on the real broker. Every bad record must be
 * dead-lettered with a code (the contract's code where it fixes one), every valid order released as a straight
 * in-process run releases it, and the pipeline must never stall: every input is consumed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { DlqHeaders, dlqTopic } from '../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import { badRecords, FUZZED_TOPICS } from '../fuzz/bad-records.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 4;
const BAD = Number(process.env.FUZZ_RECORDS ?? 2_000);
const VALID = 400;

/** RSS of a process in MB, from /proc. */
const rssMb = async (pid: number) => {
  const { readFile } = await import('node:fs/promises');
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
  return match ? Number(match[1]) / 1024 : 0;
};

t.test(
  `${BAD} bad records on every input topic among ${VALID} valid orders: each dead-lettered with its code, none valid lost`,
  async (t) => {
    if (!(await requireKafka(t))) return;
    const client = testClient();
    const app = uniqueName('fuzz');
    const prefix = `${app}.`;
    const name = (topic: string) => prefix + topic;
    await createPipelineTopics(client, prefix, PARTITIONS);
    const createdAt = new Date();
    const reference = referenceData(50);
    await produce(
      client,
      reference.map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1, createdAt.getTime())),
    );

    const valid = Array.from({ length: VALID }, (_, n) => demoOrder(n, createdAt, { stores: 4, customers: 50, seed: 21 }));
    // What a straight in-process run releases of the valid orders alone: the campaign must release exactly these.
    const driver = new InProcessRuntime(
      orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)),
      { startTime: createdAt.getTime(), partitions: PARTITIONS },
    );
    for (const entry of reference)
      await driver.pipeRaw(name(entry.topic), Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
    for (const order of valid)
      await driver.pipeRaw(name(Topics.orderCreate), Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
        timestamp: createdAt.getTime(),
      });
    const expectedReleases = new Set(
      driver.output
        .filter((record) => record.topic === name(Topics.release))
        .map((record) => (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID),
    );
    await driver.close();

    const bad = badRecords(BAD, 7);
    const inputs: ProducedRecord[] = [];
    bad.forEach((record, n) => {
      const key = Buffer.from(record.key);
      inputs.push({
        topic: name(record.topic),
        partition: partitionForKey(key, PARTITIONS),
        key,
        value: record.value,
        timestamp: createdAt.getTime(),
        headers: { 'fuzz-index': String(n) },
      });
      if (n % Math.ceil(BAD / VALID) === 0 && valid.length) {
        const order = valid.shift()!;
        inputs.push(jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS, createdAt.getTime()));
      }
    });
    for (const order of valid)
      inputs.push(jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS, createdAt.getTime()));

    const stateDir = `.state/test-${app}`;
    const worker: ChildProcess = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...process.env,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-0`,
        OMNIA_STATE_DIR: stateDir,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    t.teardown(async () => {
      worker.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    });
    for (let i = 0; i < inputs.length; i += 200) await produce(client, inputs.slice(i, i + 200));

    // Dead letters keep the source record's headers: each names the bad record it is.
    const deadLettered = new Map<number, string>();
    let peakRss = 0;
    const releases = new Map<string, number>();
    /** OrderID → the first code of its refusal on order.validation.v1. */
    const refusals = new Map<string, string>();
    const refusedCount = bad.filter((record) => record.refused).length;
    const readEverything = async () => {
      for (const topic of FUZZED_TOPICS)
        for (const record of await readAll(client, dlqTopic(name(topic)))) {
          const index = record.headers['fuzz-index'];
          if (index !== undefined) deadLettered.set(Number(index), record.headers[DlqHeaders.code] ?? '');
        }
      for (const record of await readAll(client, name(Topics.validation))) {
        const result = JSON.parse(record.value!.toString()) as { OrderID: string; Valid: boolean; Errors: Array<{ Code: string }> };
        if (!result.Valid && result.Errors[0]) refusals.set(result.OrderID, result.Errors[0].Code);
      }
      releases.clear();
      for (const record of await readAll(client, name(Topics.release))) {
        const id = (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID;
        releases.set(id, (releases.get(id) ?? 0) + 1);
      }
      peakRss = Math.max(peakRss, await rssMb(worker.pid!));
    };
    await waitFor(
      'every bad record dead-lettered and every valid order released',
      async () => {
        await readEverything();
        const refused = bad.filter((record) => record.refused && refusals.has(record.refused.orderId)).length;
        return deadLettered.size >= BAD - refusedCount && refused === refusedCount && [...expectedReleases].every((id) => releases.has(id));
      },
      180_000,
    ).catch(() => undefined); // what is missing is said below

    const missing = new Map<string, number>();
    bad.forEach((record, n) => {
      const answered = record.refused ? refusals.get(record.refused.orderId) : deadLettered.get(n);
      if (answered === undefined) missing.set(record.category, (missing.get(record.category) ?? 0) + 1);
    });
    t.same(Object.fromEntries(missing), {}, 'every bad record is dead-lettered, or refused as an order, with a code');
    const wrong = bad
      .map((record, n) => ({
        ...record,
        code: record.refused?.code ?? record.code,
        got: record.refused ? refusals.get(record.refused.orderId) : deadLettered.get(n),
      }))
      .filter((record) => !record.got || !/^[A-Z][A-Z_]+$/.test(record.got) || (record.code !== undefined && record.got !== record.code));
    t.same(
      wrong.slice(0, 10).map((record) => `${record.category}: wanted ${record.code ?? 'a code'}, got ${record.got}`),
      [],
      'each with a code, the contract’s where it fixes one',
    );
    const codes = new Map<string, Set<string>>();
    bad.forEach((record, n) => codes.set(record.category, (codes.get(record.category) ?? new Set()).add(deadLettered.get(n) ?? '')));
    t.comment(`codes by category: ${JSON.stringify(Object.fromEntries([...codes].map(([category, set]) => [category, [...set]])))}`);
    t.same(
      [...expectedReleases].filter((id) => releases.get(id) !== 1),
      [],
      `every one of the ${expectedReleases.size} releasable valid orders released exactly once`,
    );
    t.same(
      [...releases.keys()].filter((id) => !expectedReleases.has(id)),
      [],
      'and nothing else released',
    );
    t.ok(peakRss > 0 && peakRss < 600, `memory bounded: omnia start peaked at ${Math.round(peakRss)} MB RSS`);
  },
);
