/**
 * The order topology of a bench run on the local broker: its own application id and topic prefix, the input
 * topics created from the topology itself (createPipelineTopics), the demo reference data, one replica at a
 * time in the bench process (static instance id, so a new runtime of the run keeps its state), and everything
 * removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { serdeConfig } from '../avro/config.js';
import { referenceData } from '../bin/demo-feed.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { Topics } from '../topology/topics.js';
import { changelogTopic } from '../state/store-definition.js';
import { loadConfig } from '../runtime/config.js';
import type { KafkaClient } from '../topology/kafka/client.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { StreamsRuntime } from '../runtime/streams-runtime.js';
import { createPipelineTopics, jsonRecord, produce } from '../test/kafka/harness.js';
import { BROKERS, cleanUpApp } from './runtime/common.js';

export interface OrderPipeline {
  app: string;
  prefix: string;
  stateDir: string;
  client: KafkaClient;
}

/** `bench-<kind>-<label>-<random>`: the topology's input topics (sources with `partitions`) and the reference data. */
export async function createOrderPipeline(kind: string, label: string, partitions: number): Promise<OrderPipeline> {
  const app = `bench-${kind}-${label}-${randomUUID().slice(0, 8)}`;
  const prefix = `${app}.`;
  const client = new PlatformaticClient(BROKERS, app);
  await createPipelineTopics(client, prefix, partitions);
  await produce(
    client,
    referenceData(200).map((entry) => jsonRecord(prefix + entry.topic, entry.key, entry.value, 1)),
  );
  return { app, prefix, stateDir: path.join(os.tmpdir(), app), client };
}

/** A replica of the run's application; `overrides` are environment settings (OMNIA_COMMIT_INTERVAL_MS…). */
export function orderRuntime({ app, prefix, stateDir, client }: OrderPipeline, overrides: Record<string, string> = {}): StreamsRuntime {
  const env = { ...process.env, ...overrides };
  const config = loadConfig({ applicationId: app, bootstrapServers: BROKERS, stateDir, instanceId: `${app}-0` }, env);
  return new StreamsRuntime(
    orderTopology(loadOrderConfig({ ...env, OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)),
    config,
    client,
  );
}

/** Every topic of the run (its prefix's, the changelogs `<app>-<store>-changelog`), its group and its state. */
export async function removeOrderPipeline({ app, prefix, stateDir, client }: OrderPipeline): Promise<void> {
  const lister = new Admin({ clientId: app, bootstrapBrokers: BROKERS });
  const topics = (await lister.listTopics().catch(() => [] as string[])).filter(
    (topic) => topic.startsWith(prefix) || topic.startsWith(`${app}-`),
  );
  await lister.close();
  const admin = client.admin();
  await cleanUpApp(admin, {
    applicationId: app,
    input: prefix + Topics.orderCreate,
    output: prefix + Topics.status,
    changelog: changelogTopic(app, 'orders'),
    topics,
  });
  await admin.close();
  await rm(stateDir, { recursive: true, force: true });
}
