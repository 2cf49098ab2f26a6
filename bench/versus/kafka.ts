/**
 * The broker side of a run: its topics under its own prefix, created before either app starts (so neither
 * creates them differently: every source and sink topic with the same partition count, the global tables
 * compacted), the demo reference data, the group's committed input offsets, the released orders read back
 * (read_committed), and the removal of everything the run and the app under test created.
 */
import { Admin } from '@platformatic/kafka';
import { serdeConfig } from '../../avro/config.js';
import { referenceData } from '../../bin/demo-feed.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import type { AdminClient, KafkaClient } from '../../topology/kafka/client.js';
import { tpKey } from '../../topology/kafka/client.js';
import { jsonRecord, produce } from '../../test/kafka/harness.js';
import { BROKERS, cleanUpApp } from '../runtime/common.js';
import { CUSTOMERS } from './orders.js';
import { orderIdOf, partitionsOf } from './release.js';

/** Creates the topology's topics under `prefix`: sources and sinks with `partitions`, global tables compacted. */
export async function createRunTopics(client: KafkaClient, prefix: string, partitions: number): Promise<void> {
  const topology = orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix));
  const admin = client.admin();
  try {
    await admin.ensureTopics([
      ...[...new Set([...topology.sources.flatMap((source) => source.topics), ...topology.sinkTopics])].map((topic) => ({
        topic,
        partitions,
      })),
      ...[...topology.globalTables.values()].map(({ topic }) => ({ topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } })),
    ]);
  } finally {
    await admin.close();
  }
}

/** Catalog, customers and bundles of the demo feed, onto the run's global-table topics. */
export async function produceReferenceData(client: KafkaClient, prefix: string): Promise<void> {
  await produce(
    client,
    referenceData(CUSTOMERS).map((entry) => jsonRecord(prefix + entry.topic, entry.key, entry.value, 1)),
  );
}

/** Sum over the topic's partitions of the offsets the group committed (0 where it committed nothing yet). */
export async function committedInput(admin: AdminClient, groupId: string, topic: string, partitions: number): Promise<number> {
  const offsets = await admin.committedOffsets(groupId, partitionsOf(topic, partitions));
  let total = 0n;
  for (const offset of offsets.values()) total += offset;
  return Number(total);
}

/** Sum of the read_committed end offsets of a topic. */
export async function committedEnd(admin: AdminClient, topic: string, partitions: number): Promise<number> {
  const ends = await admin.endOffsets(partitionsOf(topic, partitions), true);
  let total = 0n;
  for (const end of ends.values()) total += end;
  return Number(total);
}

/** How many times each OrderID appears on the release topic, reading every committed record. */
export async function releaseCounts(client: KafkaClient, prefix: string, partitions: number): Promise<Map<string, number>> {
  const topic = prefix + Topics.release;
  const admin = client.admin();
  const reader = client.partitionReader();
  const counts = new Map<string, number>();
  try {
    const ends = await admin.endOffsets(partitionsOf(topic, partitions), true);
    for (const tp of partitionsOf(topic, partitions)) {
      const end = ends.get(tpKey(tp.topic, tp.partition)) ?? 0n;
      const start = await reader.startOffset(tp);
      if (start >= end) continue;
      await reader.read(tp, start, end, async (records) => {
        for (const record of records) {
          const id = orderIdOf(record.value);
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      });
    }
  } finally {
    await reader.close();
    await admin.close();
  }
  return counts;
}

/**
 * Deletes every topic of the run (its prefix's, and `<applicationId>-…`: changelogs and repartition topics either
 * app created) and the app's consumer group. Best effort: a failure is logged, never thrown.
 */
export async function removeRunTopics(client: KafkaClient, applicationId: string, prefix: string): Promise<void> {
  const lister = new Admin({ clientId: applicationId, bootstrapBrokers: BROKERS, retries: 2, retryDelay: 250, timeout: 10_000 });
  const topics = (await lister.listTopics().catch(() => [] as string[])).filter(
    (topic) => topic.startsWith(prefix) || topic.startsWith(`${applicationId}-`),
  );
  await lister.close().catch(() => undefined);
  const admin = client.admin();
  try {
    await cleanUpApp(admin, { applicationId, input: prefix + Topics.orderCreate, output: prefix + Topics.release, changelog: '', topics });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
