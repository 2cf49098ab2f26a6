/**
 * The topic fuzz campaign, shared by its short form (test/kafka/fuzz-inputs.test.ts, in CI) and its long form
 * (bench/fuzz.ts): generated bad records on every topic the order topology reads, interleaved with valid orders,
 * into `omnia start` on the real broker. It answers what the tests assert and the bench reports: which bad records
 * got no answer or the wrong code, which valid orders were not released exactly once, how long the pipeline took and
 * how long it ever went without progress, and the process's peak memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { serdeConfig } from '../../avro/config.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { DlqHeaders, dlqTopic } from '../../runtime/dead-letter.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';
import { type KafkaClient, type TopicPartition, tpKey } from '../../topology/kafka/client.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, uniqueName } from '../kafka/harness.js';
import { type BadRecord, badRecords, FUZZED_TOPICS } from './bad-records.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 4;

export interface TopicCampaignOptions {
  readonly client: KafkaClient;
  readonly badRecords: number;
  readonly validOrders: number;
  readonly seed?: number;
  /** Gives up waiting for the last answers after this long without any progress. */
  readonly stallLimitMs?: number;
  readonly log?: (line: string) => void;
}

export interface TopicCampaignResult {
  readonly bad: readonly BadRecord[];
  /** Bad records with no dead letter and no refusal, by category. */
  readonly unanswered: Record<string, number>;
  /** Answers with no code, or not the contract's code where it fixes one (first 10). */
  readonly wrongCodes: string[];
  /** The codes each category got. */
  readonly codesByCategory: Record<string, string[]>;
  readonly expectedReleases: ReadonlySet<string>;
  /** OrderID → how many releases it got. */
  readonly releases: ReadonlyMap<string, number>;
  readonly peakRssMb: number;
  /** Peak RSS in the first and in the second half of the run: bounded memory shows the same peak in both, a leak a higher second one. */
  readonly peakRssByHalfMb: readonly [number, number];
  /** From the first record produced to the group having committed every input record. */
  readonly seconds: number;
  /**
   * After the group's first commit, the longest stretch in which its committed input offsets did not move while
   * input was waiting: the pipeline itself, sampled every 500 ms, not how long reading the answers took.
   */
  readonly longestPauseSeconds: number;
  readonly inputBytes: number;
}

/** RSS of a process in MB, from /proc. */
async function rssMb(pid: number): Promise<number> {
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
  return match ? Number(match[1]) / 1024 : 0;
}

/** Reads what a set of topics committed since the last call: each call costs only what is new. */
class TopicTail {
  private readonly positions = new Map<string, bigint>();

  constructor(
    private readonly client: KafkaClient,
    private readonly topics: readonly string[],
  ) {}

  async readNew(onRecord: (topic: string, record: ConsumedRecord) => void): Promise<void> {
    const admin = this.client.admin();
    const reader = this.client.partitionReader();
    try {
      const counts = await admin.partitionCounts([...this.topics]);
      const partitions: TopicPartition[] = this.topics.flatMap((topic) =>
        Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition })),
      );
      const ends = await admin.endOffsets(partitions, true);
      for (const tp of partitions) {
        const key = tpKey(tp.topic, tp.partition);
        const from = this.positions.get(key) ?? (await reader.startOffset(tp));
        const end = ends.get(key) ?? from;
        if (from < end) await reader.read(tp, from, end, async (records) => records.forEach((record) => onRecord(tp.topic, record)));
        this.positions.set(key, end > from ? end : from);
      }
    } finally {
      await reader.close();
      await admin.close();
    }
  }
}

/** The group's committed position over the inputs, sampled: when it last moved, its longest stall, peak RSS. */
class GroupProgress {
  lastMove = Date.now();
  longestPauseMs = 0;
  peakRssMb = 0;
  /** [time, MB] every sample. */
  readonly rss: Array<[number, number]> = [];
  caughtUpAt: number | undefined;
  private stopped = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly group: string,
    private readonly topics: readonly string[],
    private readonly pid: number,
  ) {}

  async watch(): Promise<void> {
    const admin = this.client.admin();
    try {
      const counts = await admin.partitionCounts([...this.topics]);
      const partitions = this.topics.flatMap((topic) =>
        Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition })),
      );
      let last = -1n;
      while (!this.stopped) {
        const sum = (offsets: Map<string, bigint>) =>
          [...offsets.values()].reduce((total, offset) => total + (offset > 0n ? offset : 0n), 0n);
        try {
          const [committed, ends] = await Promise.all([admin.committedOffsets(this.group, partitions), admin.endOffsets(partitions, true)]);
          const [done, end] = [sum(committed), sum(ends)];
          const now = Date.now();
          if (done !== last) {
            if (last > 0n) this.longestPauseMs = Math.max(this.longestPauseMs, now - this.lastMove); // not the start-up
            this.lastMove = now;
            last = done;
          } else if (done >= end) {
            this.lastMove = now; // nothing waiting: idle is no stall
          }
          if (done >= end && end > 0n) this.caughtUpAt ??= now;
          else this.caughtUpAt = undefined;
        } catch {
          // a sample the broker could not answer: the next one will
        }
        const rss = await rssMb(this.pid);
        this.peakRssMb = Math.max(this.peakRssMb, rss);
        this.rss.push([Date.now(), rss]);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await admin.close();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  peakByHalf(from: number, to: number): [number, number] {
    const middle = (from + to) / 2;
    const peak = (samples: Array<[number, number]>) => Math.max(0, ...samples.map(([, mb]) => mb));
    return [peak(this.rss.filter(([at]) => at >= from && at < middle)), peak(this.rss.filter(([at]) => at >= middle && at <= to))];
  }
}

export async function runTopicCampaign(options: TopicCampaignOptions): Promise<TopicCampaignResult> {
  const { client } = options;
  const log = options.log ?? (() => undefined);
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

  const valid = Array.from({ length: options.validOrders }, (_, n) => demoOrder(n, createdAt, { stores: 4, customers: 50, seed: 21 }));
  const expectedReleases = await releasesOfValidAlone(prefix, reference, valid, createdAt);

  const bad = badRecords(options.badRecords, options.seed ?? 7);
  const inputs = interleave(bad, valid, name, createdAt.getTime());
  const inputBytes = inputs.reduce((sum, record) => sum + (record.value?.length ?? 0), 0);

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
  const progress = new GroupProgress(client, app, [...new Set([...FUZZED_TOPICS, Topics.orderCreate])].map(name), worker.pid!);
  try {
    const started = Date.now();
    const watching = progress.watch();
    log(`producing ${inputs.length} records (${(inputBytes / 1e6).toFixed(1)} MB)`);
    for (let i = 0; i < inputs.length; i += 500) await produce(client, inputs.slice(i, i + 500));

    // Dead letters keep the source record's headers: each names the bad record it is.
    const deadLettered = new Map<number, string>();
    const releases = new Map<string, number>();
    /** OrderID → the first code of its refusal on order.validation.v1. */
    const refusals = new Map<string, string>();
    const tail = new TopicTail(client, [
      ...FUZZED_TOPICS.map((topic) => dlqTopic(name(topic))),
      name(Topics.validation),
      name(Topics.release),
    ]);
    const onRecord = (topic: string, record: ConsumedRecord) => {
      if (topic === name(Topics.validation)) {
        const result = JSON.parse(record.value!.toString()) as { OrderID: string; Valid: boolean; Errors: Array<{ Code: string }> };
        if (!result.Valid && result.Errors[0]) refusals.set(result.OrderID, result.Errors[0].Code);
      } else if (topic === name(Topics.release)) {
        const id = (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID;
        releases.set(id, (releases.get(id) ?? 0) + 1);
      } else {
        const index = record.headers['fuzz-index'];
        if (index !== undefined) deadLettered.set(Number(index), record.headers[DlqHeaders.code] ?? '');
      }
    };
    const refusedCount = bad.filter((record) => record.refused).length;
    const done = () =>
      deadLettered.size >= bad.length - refusedCount &&
      bad.every((record) => !record.refused || refusals.has(record.refused.orderId)) &&
      [...expectedReleases].every((id) => releases.has(id));

    let reported = 0;
    while (!done() && Date.now() - progress.lastMove < (options.stallLimitMs ?? 180_000)) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await tail.readNew(onRecord);
      if (Math.floor(deadLettered.size / 10_000) > reported)
        log(`${(reported = Math.floor(deadLettered.size / 10_000)) * 10_000} dead-lettered…`);
    }
    const finished = progress.caughtUpAt ?? Date.now();
    progress.stop();
    await watching;
    // Anything released late (a duplicate) would show up after the last answer: one more read settles it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await tail.readNew(onRecord);
    return {
      bad,
      ...judge(bad, deadLettered, refusals),
      expectedReleases,
      releases,
      peakRssMb: progress.peakRssMb,
      peakRssByHalfMb: progress.peakByHalf(started, finished),
      seconds: (finished - started) / 1000,
      longestPauseSeconds: progress.longestPauseMs / 1000,
      inputBytes,
    };
  } finally {
    worker.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** What a straight in-process run releases of the valid orders alone: the campaign must release exactly these. */
async function releasesOfValidAlone(
  prefix: string,
  reference: ReturnType<typeof referenceData>,
  valid: ReturnType<typeof demoOrder>[],
  createdAt: Date,
): Promise<Set<string>> {
  const driver = new InProcessRuntime(
    orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)),
    { startTime: createdAt.getTime(), partitions: PARTITIONS },
  );
  for (const entry of reference)
    await driver.pipeRaw(prefix + entry.topic, Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  for (const order of valid)
    await driver.pipeRaw(prefix + Topics.orderCreate, Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
      timestamp: createdAt.getTime(),
    });
  const released = new Set(
    driver.output
      .filter((record) => record.topic === prefix + Topics.release)
      .map((record) => (JSON.parse(record.value!.toString()) as { OrderID: string }).OrderID),
  );
  await driver.close();
  return released;
}

/** The bad records with a valid order every so often, so valid work flows among them the whole time. */
function interleave(
  bad: readonly BadRecord[],
  validOrders: ReturnType<typeof demoOrder>[],
  name: (topic: string) => string,
  timestamp: number,
): ProducedRecord[] {
  const valid = [...validOrders];
  const every = Math.max(1, Math.ceil(bad.length / Math.max(1, valid.length)));
  const inputs: ProducedRecord[] = [];
  bad.forEach((record, n) => {
    const key = Buffer.from(record.key);
    inputs.push({
      topic: name(record.topic),
      partition: partitionForKey(key, PARTITIONS),
      key,
      value: record.value,
      timestamp,
      headers: { 'fuzz-index': String(n) },
    });
    if (n % every === 0 && valid.length) {
      const order = valid.shift()!;
      inputs.push(jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS, timestamp));
    }
  });
  for (const order of valid) inputs.push(jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS, timestamp));
  return inputs;
}

function judge(
  bad: readonly BadRecord[],
  deadLettered: ReadonlyMap<number, string>,
  refusals: ReadonlyMap<string, string>,
): Pick<TopicCampaignResult, 'unanswered' | 'wrongCodes' | 'codesByCategory'> {
  const unanswered: Record<string, number> = {};
  const wrongCodes: string[] = [];
  const codes = new Map<string, Set<string>>();
  bad.forEach((record, n) => {
    const got = record.refused ? refusals.get(record.refused.orderId) : deadLettered.get(n);
    const wanted = record.refused?.code ?? record.code;
    if (got === undefined) unanswered[record.category] = (unanswered[record.category] ?? 0) + 1;
    else if (!/^[A-Z][A-Z_]+$/.test(got) || (wanted !== undefined && got !== wanted))
      wrongCodes.push(`${record.category}: wanted ${wanted ?? 'a code'}, got ${got}`);
    codes.set(record.category, (codes.get(record.category) ?? new Set()).add(got ?? ''));
  });
  return {
    unanswered,
    wrongCodes: wrongCodes.slice(0, 10),
    codesByCategory: Object.fromEntries([...codes].map(([category, set]) => [category, [...set].sort()])),
  };
}
