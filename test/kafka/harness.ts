import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { Test } from 'tap';
import type { KafkaClient, TopicPartition } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { serdeConfig } from '../../avro/config.js';
import { positiveNumber } from '../../settings/setting.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** Whether the first broker accepts a TCP connection (the tests and benches say how to start one rather than hang). */
export async function brokerAnswers(): Promise<boolean> {
  const [host, port] = BROKERS[0]!.split(':');
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: host!, port: Number(port) }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** True when a broker answers. In CI a missing broker fails the test; elsewhere the test says why it skips. */
export async function requireKafka(t: Test): Promise<boolean> {
  if (await brokerAnswers()) return true;
  const message = `no Kafka broker at ${BROKERS.join(',')}: start one with "bash scripts/kafka-local.sh start"`;
  if (process.env.CI) t.fail(message);
  else t.comment(`SKIPPED: ${message}`);
  return false;
}

/** A campaign setting from the environment (FAULT_ROUNDS…): a positive number, `fallback` when unset (the CI form). */
export function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : positiveNumber(name)(raw);
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function testClient(): KafkaClient {
  return new PlatformaticClient(BROKERS, 'omnia-test');
}

/**
 * Creates topics and waits until the broker's metadata lists them: a component that checks its topics at start (the
 * webhook ingress does) would otherwise call a topic created a moment ago missing.
 */
export async function createTopics(client: KafkaClient, topics: string[], partitions: number): Promise<void> {
  const admin = client.admin();
  await admin.ensureTopics(topics.map((topic) => ({ topic, partitions })));
  await admin.close();
  await untilListed(client, topics);
}

/** Waits until the broker's metadata lists every topic (a topic reaches it a moment after it is created). */
async function untilListed(client: KafkaClient, topics: string[]): Promise<void> {
  const admin = client.admin();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const counts = await admin.partitionCounts(topics);
      const missing = topics.filter((topic) => !counts.get(topic));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`topics created but not in the broker's metadata after 30 s: ${missing.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.close();
  }
}

/** Produces records (idempotent, not transactional) and waits for the acks. */
export async function produce(client: KafkaClient, records: ProducedRecord[]): Promise<void> {
  const producer = client.producer({});
  await producer.init();
  for (let i = 0; i < records.length; i += 2000) await producer.send(records.slice(i, i + 2000));
  await producer.close();
}

/** Every committed record of a topic, partition by partition. */
export async function readAll(client: KafkaClient, topic: string): Promise<ConsumedRecord[]> {
  const admin = client.admin();
  const reader = client.partitionReader();
  const counts = await admin.partitionCounts([topic]); // no entry: the topic does not exist (holds nothing)
  const out: ConsumedRecord[] = [];
  const partitions: TopicPartition[] = Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition }));
  const ends = await admin.endOffsets(partitions, true);
  for (const tp of partitions) {
    const end = ends.get(tpKey(tp.topic, tp.partition));
    // A read-back that quietly skipped a partition would fail a comparison far from its cause.
    if (end === undefined || end < 0n) throw new Error(`readAll: no end offset for ${tp.topic}-${tp.partition} (got ${end})`);
    const start = await reader.startOffset(tp);
    if (start < end) await reader.read(tp, start, end, async (records) => void out.push(...records));
  }
  await reader.close();
  await admin.close();
  return out;
}

export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * The order topology's input topics under `prefix`, as a deployment creates them: every source topic with
 * `partitions` (co-partitioned), every global table compacted. Read from the topology itself, so a stage that
 * adds a source needs no test to change.
 */
export async function createPipelineTopics(client: KafkaClient, prefix: string, partitions: number): Promise<void> {
  const topology = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix));
  const admin = client.admin();
  const specs = [
    ...topology.sources.flatMap((source) => source.topics).map((topic) => ({ topic, partitions })),
    ...[...topology.globalTables.values()].map(({ topic }) => ({ topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } })),
  ];
  await admin.ensureTopics(specs);
  await admin.close();
  await untilListed(
    client,
    specs.map((spec) => spec.topic),
  );
}

/** A JSON record keyed and partitioned as the producers upstream do (Java-compatible murmur2 of the key). */
export function jsonRecord(topic: string, key: string, value: unknown, partitions: number, timestamp = Date.now()): ProducedRecord {
  const keyBytes = Buffer.from(key);
  return {
    topic,
    partition: partitionForKey(keyBytes, partitions),
    key: keyBytes,
    value: Buffer.from(JSON.stringify(value)),
    timestamp,
    headers: {},
  };
}

/** Round `round` of a counter topology's input: keys K000000… each once, `{ seq }` unique across rounds. */
export function counterRound(topic: string, keys: number, partitions: number, round: number): ProducedRecord[] {
  return Array.from({ length: keys }, (_, k) => {
    const key = Buffer.from(`K${String(k).padStart(6, '0')}`);
    return {
      topic,
      partition: partitionForKey(key, partitions),
      key,
      value: Buffer.from(JSON.stringify({ seq: round * keys + k })),
      timestamp: Date.now(),
      headers: {},
    };
  });
}
