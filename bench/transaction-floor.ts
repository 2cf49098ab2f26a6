/**
 * The floor under the order topology's latency on this machine: a relay with no business logic that writes what
 * the topology writes for each order (six output records on five topics, three store writes on three changelogs,
 * on the order's partition) under exactly-once, at a steady rate, with CreatedAt → visible output read by a
 * read_committed consumer in the same process, as `bench/orders.ts` reads it.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/transaction-floor.js [--rate=1000 --seconds=20 --pairs=2 --designs=one,per-task,java]
 *
 * Three designs, each run on fresh topics, in turn (A B C A B C):
 *   - one:      one transactional producer, one transaction per pass of the loop, the loop waiting for it
 *               (the runtime's design, and Kafka Streams' exactly_once_v2);
 *   - per-task: one transactional producer per partition, each committing its own records as soon as its previous
 *               transaction ended, the loop polling on meanwhile (Kafka Streams' former exactly_once);
 *   - java:     the design of `one` in a Java process on Apache Kafka's own client (bench/kstreams, TransactionRelay;
 *               build it first), which speaks transactions v2 (KIP-890) where the broker has them.
 * Orders sent in the first 5 s are left out (JIT, first transactions on new topics). Prints JSON.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { ConsumedRecord, ProducedRecord } from '../runtime/produced-record.js';
import type { GroupConsumer, KafkaClient, Producer } from '../topology/kafka/client.js';
import { percentile } from './open-loop.js';
import { BROKERS, benchClient, log, openProducer, sleep } from './runtime/common.js';
import { flags, intFlag } from './versus/flags.js';

const JAR = 'bench/kstreams/target/omnia-kstreams.jar';
type Design = 'one' | 'per-task' | 'java';
const DESIGNS: readonly Design[] = ['one', 'per-task', 'java'];

const args = flags(process.argv.slice(2));
const RATE = intFlag(args, 'rate', 1000);
const SECONDS = intFlag(args, 'seconds', 20);
const PAIRS = intFlag(args, 'pairs', 2);
const designs = (args.get('designs') ?? DESIGNS.join(',')).split(',') as Design[];
const refuse = (why: string): never => {
  process.stderr.write(`${why}\n`);
  process.exit(2);
};
for (const design of designs) if (!DESIGNS.includes(design)) refuse(`--designs takes ${DESIGNS.join(', ')}; got "${design}"`);
if (designs.includes('java') && !existsSync(JAR))
  refuse(`${JAR} is missing: build it with mvn -q -f bench/kstreams/pom.xml package -DskipTests, or run --designs=one,per-task`);
const WARMUP_SECONDS = 5;
const PARTITIONS = 8;
const OUTPUTS = ['validation', 'status', 'status', 'status', 'payment', 'release'];
const CHANGELOGS = ['orders-changelog', 'inventory-changelog', 'customers-changelog'];
const INPUT_VALUE = Buffer.alloc(1400, 'i');
const OUTPUT_VALUE = Buffer.alloc(300, 'o');
const STORE_VALUE = Buffer.alloc(500, 's');

/** What one consumed order becomes: its outputs and store writes, on its partition, stamped with its CreatedAt. */
function writesOf(record: ConsumedRecord, prefix: string): ProducedRecord[] {
  const at = (topic: string, value: Buffer): ProducedRecord => ({
    topic: `${prefix}.${topic}`,
    partition: record.partition,
    key: record.key,
    value,
    timestamp: record.timestamp,
    headers: {},
  });
  return [...OUTPUTS.map((topic) => at(topic, OUTPUT_VALUE)), ...CHANGELOGS.map((topic) => at(topic, STORE_VALUE))];
}

async function commit(producer: Producer, consumer: GroupConsumer, records: ConsumedRecord[], prefix: string): Promise<void> {
  const next = new Map<number, bigint>();
  for (const record of records) next.set(record.partition, record.offset + 1n);
  await producer.beginTransaction();
  await producer.send(records.flatMap((record) => writesOf(record, prefix)));
  await producer.sendOffsetsToTransaction(
    [...next].map(([partition, offset]) => ({ topic: `${prefix}.in`, partition, offset })),
    consumer.groupMetadata(),
  );
  await producer.commitTransaction();
}

interface Relay {
  /** Transactions committed so far; undefined when the relay is another process that does not say. */
  commits(): number | undefined;
  failure(): Error | undefined;
  stop(): Promise<void>;
}

/**
 * The Node relay: `one` commits each poll's records in one transaction and polls again once it ended; `per-task`
 * gives each partition its own producer, and a partition's records wait only for that partition's previous
 * transaction while the loop polls on.
 */
async function nodeRelay(design: 'one' | 'per-task', client: KafkaClient, prefix: string): Promise<Relay> {
  const relay = client.groupConsumer({ groupId: `${prefix}-relay`, sessionTimeoutMs: 10_000, readCommitted: true });
  const producers = await Promise.all(
    Array.from({ length: design === 'one' ? 1 : PARTITIONS }, async (_, n) => {
      const producer = client.producer({ transactionalId: `${prefix}-${n}` });
      await producer.init();
      return producer;
    }),
  );
  await relay.join([`${prefix}.in`]);
  while (relay.assignment().partitions.length < PARTITIONS) await relay.poll(20);
  let stop = false;
  let failure: Error | undefined;
  let commits = 0;
  const waiting = Array.from({ length: PARTITIONS }, () => [] as ConsumedRecord[]);
  const busy = new Set<number>();
  const kick = (partition: number): void => {
    if (busy.has(partition) || waiting[partition]!.length === 0 || failure) return;
    const records = waiting[partition]!.splice(0);
    busy.add(partition);
    commit(producers[partition]!, relay, records, prefix).then(
      () => {
        commits++;
        busy.delete(partition);
        kick(partition);
      },
      (error: Error) => (failure = error),
    );
  };
  const relaying = (async () => {
    while (!stop && !failure) {
      const records = await relay.poll(100);
      if (records.length === 0) continue;
      if (design === 'one') {
        await commit(producers[0]!, relay, records, prefix);
        commits++;
      } else {
        for (const record of records) waiting[record.partition]!.push(record);
        for (let partition = 0; partition < PARTITIONS; partition++) kick(partition);
      }
    }
  })().catch((error: Error) => (failure = error));
  return {
    commits: () => commits,
    failure: () => failure,
    async stop() {
      stop = true;
      await relaying;
      while (busy.size && !failure) await sleep(10);
      for (const producer of producers) await producer.close().catch(() => undefined);
      await relay.close().catch(() => undefined);
    },
  };
}

/** The Java client's relay (bench/kstreams, TransactionRelay): ready once it printed RUNNING. */
async function javaRelay(prefix: string): Promise<Relay & { transactionVersion: string }> {
  const child = spawn('java', ['-cp', JAR, 'com.omnia.bench.kstreams.TransactionRelay'], {
    env: { ...process.env, KAFKA_BROKERS: BROKERS.join(','), PREFIX: prefix, PARTITIONS: String(PARTITIONS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let failure: Error | undefined;
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && code !== 0) failure = new Error(`the Java relay exited ${code ?? signal}`);
  });
  const running = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /RUNNING transaction\.version=(\d+)/.exec(out);
      if (line) resolve(line[1]!);
    });
    child.on('exit', () => reject(new Error(`the Java relay exited before it ran: ${out}`)));
  });
  return {
    transactionVersion: running,
    commits: () => undefined,
    failure: () => failure,
    async stop() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function run(design: Design): Promise<Record<string, unknown>> {
  const client = benchClient();
  const admin = client.admin();
  const prefix = `bench-floor-${randomUUID().slice(0, 8)}`;
  const topics = [`${prefix}.in`, ...new Set([...OUTPUTS, ...CHANGELOGS].map((topic) => `${prefix}.${topic}`))];
  await admin.ensureTopics(topics.map((topic) => ({ topic, partitions: PARTITIONS })));
  const probe = client.groupConsumer({ groupId: `${prefix}-probe`, sessionTimeoutMs: 10_000, readCommitted: true });
  const load = await openProducer(client);
  let relay: Relay | undefined;
  let stop = false;
  try {
    await probe.join([`${prefix}.release`]);
    relay = design === 'java' ? await javaRelay(prefix) : await nodeRelay(design, client, prefix);
    const started = Date.now();
    const steadyFrom = started + WARMUP_SECONDS * 1000;
    const steady: number[] = [];
    let seen = 0;
    const probing = (async () => {
      while (!stop) {
        for (const record of await probe.poll(50)) {
          seen++;
          if (record.timestamp >= steadyFrom) steady.push(Date.now() - record.timestamp);
        }
      }
    })();
    const total = RATE * SECONDS;
    let n = 0;
    // 10 ms ticks, as bench/orders.ts sends: each the orders due by then, stamped with the moment it is sent.
    while (n < total && !relay.failure()) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
      const sentAt = Date.now();
      const batch: ProducedRecord[] = [];
      for (; n < due; n++) {
        batch.push({
          topic: `${prefix}.in`,
          partition: n % PARTITIONS,
          key: Buffer.from(`store-${n % 50}`),
          value: INPUT_VALUE,
          timestamp: sentAt,
          headers: {},
        });
      }
      if (batch.length) await load.send(batch);
      await sleep(10);
    }
    await sleep(2000);
    stop = true;
    await probing;
    const failure = relay.failure();
    if (failure) throw failure;
    const commits = relay.commits();
    const sorted = steady.sort((a, b) => a - b);
    return {
      design,
      ...('transactionVersion' in relay ? { transactionVersion: relay.transactionVersion } : {}),
      orders: total,
      seen,
      ...(commits === undefined ? {} : { commitsPerSecond: Math.round(commits / (SECONDS + 2)) }),
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1),
    };
  } finally {
    stop = true;
    await relay?.stop().catch(() => undefined);
    await load.close().catch(() => undefined);
    await probe.close().catch(() => undefined);
    await admin.deleteTopics(topics).catch(() => undefined);
    await admin.close();
  }
}

const results = [];
for (let pair = 1; pair <= PAIRS; pair++) {
  for (const design of designs) {
    log(`pair ${pair} of ${PAIRS}: ${design}`);
    const result = await run(design);
    log(JSON.stringify(result));
    results.push(result);
  }
}
console.log(JSON.stringify(results, null, 2));
