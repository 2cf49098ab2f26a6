/**
 * What every operator command connects to: the brokers and consumer group of the replicas (KAFKA_BROKERS,
 * OMNIA_APPLICATION_ID), their topic names (OMNIA_TOPIC_PREFIX) and wire formats, through the project's Kafka
 * client interface (topology/kafka/client.ts). Read with the same environment the replicas run with.
 */
import { serdeConfigFromEnv, type SerdeConfig } from '../avro/config.js';
import { loadConfig, type RuntimeConfig } from '../runtime/config.js';
import type { ConsumedRecord } from '../runtime/produced-record.js';
import type { AdminClient, KafkaClient, PartitionReader, TopicPartition } from '../topology/kafka/client.js';
import { tpKey } from '../topology/kafka/client.js';
import { kafkaConnection, loadKafkaSecurity } from '../topology/kafka/connection.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { explainKafkaFailure, type KafkaSecurityConfig } from '../topology/kafka/security.js';
import { loadOrderConfig, type OrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { loadOpsConfig, type OpsConfig } from './config.js';

/** A command that ran but could not do its job; the message says what to do next. Exit status 3 unless given. */
export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    message: string,
    readonly exitCode = 3,
  ) {
    super(message);
  }
}

export interface OpsContext {
  readonly runtime: RuntimeConfig;
  readonly security: KafkaSecurityConfig;
  readonly order: OrderConfig;
  readonly ops: OpsConfig;
  readonly serdes: SerdeConfig;
  readonly client: KafkaClient;
  readonly admin: AdminClient;
  /** One reader for the command, made on first use. */
  reader(): PartitionReader;
  close(): Promise<void>;
}

/** The settings as the replicas read them; a bad one is refused here, by name, before anything connects. */
export function openContext(env: NodeJS.ProcessEnv = process.env): OpsContext {
  let runtime: RuntimeConfig, order: OrderConfig, ops: OpsConfig, serdes: SerdeConfig, security: KafkaSecurityConfig, client: KafkaClient;
  try {
    runtime = loadConfig({}, env);
    order = loadOrderConfig(env);
    ops = loadOpsConfig({}, env);
    serdes = serdeConfigFromEnv(env);
    security = loadKafkaSecurity(env);
    client = new PlatformaticClient(
      runtime.bootstrapServers,
      `${runtime.applicationId}-ops`,
      kafkaConnection(runtime.bootstrapServers, env),
    );
  } catch (error) {
    throw new OpsError(`${(error as Error).message}\n  → fix that setting (omnia config lists every setting and the value it has here)`);
  }
  const admin = client.admin();
  let reader: PartitionReader | undefined;
  return {
    runtime,
    security,
    order,
    ops,
    serdes,
    client,
    admin,
    reader: () => (reader ??= client.partitionReader()),
    async close() {
      await Promise.allSettled([admin.close(), reader?.close()]);
    },
  };
}

/** The topology's source topics, prefixed: one partition of each makes a task. */
export function sourceTopics(context: Pick<OpsContext, 'order' | 'serdes'>): string[] {
  const topology = orderTopology(context.order, orderSerdes(context.serdes, context.order.topicPrefix));
  return [...new Set(topology.sources.flatMap((source) => source.topics))];
}

/** Runs a first request against the brokers, turning "cannot connect" into what to check. */
export async function reachKafka<T>(context: Pick<OpsContext, 'runtime' | 'security'>, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof OpsError) throw error;
    const brokers = context.runtime.bootstrapServers;
    const why = explainKafkaFailure(error, context.security, brokers);
    const local = 'locally: bash scripts/kafka-local.sh status';
    throw new OpsError(
      why
        ? `${why}.\n  → omnia config shows the settings this shell uses; ${local}`
        : `cannot reach Kafka at ${brokers.join(',')} (${describeError(error)}).\n` +
            `  → check KAFKA_BROKERS and the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* / KAFKA_SSL_* settings (omnia config shows what this shell uses), and that the brokers are up; ${local}`,
    );
  }
}

/** The innermost useful message of a client error (connection errors come wrapped in MultipleErrors). */
export function describeError(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  let message = (error as Error)?.message ?? String(error);
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const inner = (current as { errors?: unknown[]; cause?: unknown }).errors?.[0] ?? (current as { cause?: unknown }).cause;
    if (!inner) break;
    const text = (inner as Error).message;
    if (text) message = text;
    current = inner;
  }
  return message;
}

/**
 * Reads every committed record of the given partitions of a topic (all of them by default), start to end as
 * they are now, handing each fetched batch to `onRecords`. Returns the partition count (0: no such topic).
 */
export async function readTopic(
  context: Pick<OpsContext, 'admin' | 'reader'>,
  topic: string,
  onRecords: (records: ConsumedRecord[]) => Promise<void> | void,
  only?: readonly number[],
): Promise<number> {
  const partitions = (await context.admin.partitionCounts([topic])).get(topic) ?? 0;
  const wanted: TopicPartition[] = (only ?? Array.from({ length: partitions }, (_, partition) => partition))
    .filter((partition) => partition < partitions)
    .map((partition) => ({ topic, partition }));
  if (wanted.length === 0) return partitions;
  const ends = await context.admin.endOffsets(wanted, true);
  const reader = context.reader();
  for (const tp of wanted) {
    const end = ends.get(tpKey(tp.topic, tp.partition)) ?? 0n;
    const start = await reader.startOffset(tp);
    if (start < end) await reader.read(tp, start, end, async (records) => void (await onRecords(records)));
  }
  return partitions;
}
