/**
 * The stream runtime's settings, defined with every other setting in `settings/registry.ts`.
 * `loadConfig` reads the environment (or overrides), validates everything and refuses to start on a bad value.
 */
export type ProcessingGuarantee = 'exactly_once' | 'at_least_once';
import type { EngineKind } from '../state/engines.js';
import type { TopicSpec } from '../topology/kafka/client.js';

export type StateEngineKind = EngineKind;

export interface RuntimeConfig {
  applicationId: string;
  bootstrapServers: string[];
  processingGuarantee: ProcessingGuarantee;
  commitIntervalMs: number;
  /** Commit this long after the last one when nothing fetched is left to process; 0: on the interval only. */
  commitIdleMs: number;
  maxUncommittedRecords: number;
  stateDir: string;
  stateEngine: StateEngineKind;
  instanceId: string | undefined;
  /** Standby copies of each task on other replicas (0: none). */
  numStandbyReplicas: number;
  sessionTimeoutMs: number;
  transactionTimeoutMs: number;
  pollMs: number;
  bufferedRecordsPerPartition: number;
  bufferedBytesPerPartition: number;
  maxTaskIdleMs: number;
  /** Advertised host:port of this replica's query endpoint, shared with the group for interactive queries. */
  endpoint: string | undefined;
  /** Replication factor of the topics a process creates itself (changelogs, outputs, dead-letter topics). */
  topicReplicationFactor: number;
  /** Their min.insync.replicas; undefined: the broker's default. */
  topicMinInsyncReplicas: number | undefined;
}

export { loadSettings, oneOf, optionalText, positiveInt, text, type Setting } from '../settings/setting.js';
import { loadSettings } from '../settings/setting.js';
import { runtimeSettings } from '../settings/registry.js';

export const settings = runtimeSettings;

export function loadConfig(overrides: Partial<RuntimeConfig> = {}, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const config = loadSettings(settings, overrides, env);
  checkTopicReplication(config);
  return config;
}

/** How the topics a process creates itself are replicated. */
export type TopicReplication = Pick<RuntimeConfig, 'topicReplicationFactor' | 'topicMinInsyncReplicas'>;

/** Refuses a min.insync.replicas no write could ever meet. */
export function checkTopicReplication(config: TopicReplication): void {
  if (config.topicMinInsyncReplicas !== undefined && config.topicMinInsyncReplicas > config.topicReplicationFactor)
    throw new Error(
      `OMNIA_TOPIC_MIN_INSYNC_REPLICAS (${config.topicMinInsyncReplicas}) exceeds OMNIA_TOPIC_REPLICATION_FACTOR (${config.topicReplicationFactor}): no write to the topics this process creates could succeed`,
    );
}

/**
 * A topic this process creates (a changelog, an output, a dead-letter topic), with the replication factor and
 * min.insync.replicas of OMNIA_TOPIC_REPLICATION_FACTOR / OMNIA_TOPIC_MIN_INSYNC_REPLICAS; the spec's own
 * configs win. Without these settings (tests, a local broker): one copy, the broker's default min ISR.
 */
export function createdTopic(spec: TopicSpec, replication: TopicReplication | undefined): TopicSpec {
  if (!replication) return spec;
  const minIsr = replication.topicMinInsyncReplicas;
  return {
    ...spec,
    replicationFactor: replication.topicReplicationFactor,
    configs: { ...(minIsr !== undefined ? { 'min.insync.replicas': String(minIsr) } : {}), ...spec.configs },
  };
}
