/**
 * Every runtime setting in one place: its environment variable, default, meaning and validation.
 * `loadConfig` reads the environment (or overrides), validates everything and refuses to start on a bad value.
 */
export type ProcessingGuarantee = 'exactly_once' | 'at_least_once';
import { DEFAULT_ENGINE, type EngineKind } from '../state/engines.js';

export type StateEngineKind = EngineKind;

export interface RuntimeConfig {
  applicationId: string;
  bootstrapServers: string[];
  processingGuarantee: ProcessingGuarantee;
  commitIntervalMs: number;
  maxUncommittedRecords: number;
  stateDir: string;
  stateEngine: StateEngineKind;
  instanceId: string | undefined;
  sessionTimeoutMs: number;
  transactionTimeoutMs: number;
  pollMs: number;
  bufferedRecordsPerPartition: number;
  maxTaskIdleMs: number;
  /** Advertised host:port of this replica's query endpoint, shared with the group for interactive queries. */
  endpoint: string | undefined;
}

export { loadSettings, oneOf, optionalText, positiveInt, text, type Setting } from '../settings/setting.js';
import { loadSettings, oneOf, optionalText, positiveInt, text, type Setting } from '../settings/setting.js';

export const settings: { [K in keyof RuntimeConfig]: Setting<RuntimeConfig[K]> } = {
  applicationId: { env: 'OMNIA_APPLICATION_ID', doc: 'Consumer group id and prefix of changelog topics and transactional ids.', default: 'omnia', parse: text },
  bootstrapServers: {
    env: 'KAFKA_BROKERS',
    doc: 'Comma-separated host:port list of Kafka brokers.',
    default: ['127.0.0.1:9092'],
    parse: (raw) => raw.split(',').map((entry) => entry.trim()).filter(Boolean),
  },
  processingGuarantee: {
    env: 'OMNIA_PROCESSING_GUARANTEE',
    doc: 'exactly_once: outputs, changelogs and offsets commit in one transaction. at_least_once: faster, may repeat output after a crash.',
    default: 'exactly_once',
    parse: oneOf('OMNIA_PROCESSING_GUARANTEE', ['exactly_once', 'at_least_once'] as const),
  },
  commitIntervalMs: { env: 'OMNIA_COMMIT_INTERVAL_MS', doc: 'How often processed work is committed; bounds end-to-end latency under exactly-once.', default: 100, parse: positiveInt('OMNIA_COMMIT_INTERVAL_MS') },
  maxUncommittedRecords: { env: 'OMNIA_MAX_UNCOMMITTED_RECORDS', doc: 'Commit early once this many input records wait, bounding memory and transaction size.', default: 10_000, parse: positiveInt('OMNIA_MAX_UNCOMMITTED_RECORDS') },
  stateDir: { env: 'OMNIA_STATE_DIR', doc: 'Directory of the local state stores (one sub-directory per task and store).', default: '.state', parse: text },
  stateEngine: { env: 'OMNIA_STATE_ENGINE', doc: 'Engine of the task stores (leveldb measured fastest for point reads; see README).', default: DEFAULT_ENGINE, parse: oneOf('OMNIA_STATE_ENGINE', ['rocksdb', 'leveldb', 'memory'] as const) },
  instanceId: { env: 'OMNIA_INSTANCE_ID', doc: 'Stable replica name (pod name): static group membership and the transactional id. Unset: dynamic membership, random id.', default: undefined, parse: optionalText },
  sessionTimeoutMs: { env: 'OMNIA_SESSION_TIMEOUT_MS', doc: 'How long the group waits for a silent member before moving its tasks.', default: 10_000, parse: positiveInt('OMNIA_SESSION_TIMEOUT_MS') },
  transactionTimeoutMs: { env: 'OMNIA_TRANSACTION_TIMEOUT_MS', doc: 'Broker aborts a crashed replica’s open transaction after this long.', default: 10_000, parse: positiveInt('OMNIA_TRANSACTION_TIMEOUT_MS') },
  pollMs: { env: 'OMNIA_POLL_MS', doc: 'Longest wait of one fetch when no data arrives.', default: 100, parse: positiveInt('OMNIA_POLL_MS') },
  bufferedRecordsPerPartition: {
    env: 'OMNIA_BUFFERED_RECORDS_PER_PARTITION',
    doc: 'Fetched records a partition may hold unprocessed before it is left out of fetches (memory while a task waits for another input).',
    default: 1000,
    parse: positiveInt('OMNIA_BUFFERED_RECORDS_PER_PARTITION'),
  },
  maxTaskIdleMs: {
    env: 'OMNIA_MAX_TASK_IDLE_MS',
    doc: 'Longest a task waits for records of one input that are on the broker but not fetched yet, before it processes its other inputs anyway.',
    default: 5000,
    parse: positiveInt('OMNIA_MAX_TASK_IDLE_MS'),
  },
  endpoint: { env: 'OMNIA_ENDPOINT', doc: 'host:port other replicas use to forward interactive queries to this one.', default: undefined, parse: optionalText },
};

export function loadConfig(overrides: Partial<RuntimeConfig> = {}, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return loadSettings(settings, overrides, env);
}
