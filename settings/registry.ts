/**
 * Every setting of every Omnia process, in one table: variable, meaning, default, validator, and whether it is a
 * secret. Each process reads its sections with `loadSettings` (a bad value refuses to start, naming the variable);
 * `omnia config` prints them all with their current values, and the README's configuration table is this
 * registry (a test keeps the two equal). A variable read by several processes (KAFKA_BROKERS, DATABASE_URL) is one
 * entry, shared by the sections that use it.
 */
import { COMPATIBILITY_LEVELS, type Compatibility } from '../avro/confluent.js';
import { isMoney } from '../processors/domain/money.js';
import { isTimeZone, parseCutOff, type CutOff } from '../processors/domain/reconciliation.js';
import { DEFAULT_ENGINE } from '../state/engines.js';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.js';
import type { RuntimeConfig } from '../runtime/config.js';
import type { SinkConfig } from '../sinks/sink-config.js';
import type { QueryConfig } from '../query-service/config.js';
import { JwtAlgorithms } from '../query-service/auth.js';
import type { EmbeddedConfig } from '../bin/embedded.js';
import type { OrderConfig } from '../topology/order-config.js';
import type { SlickEgressConfig } from '../connectors/slick-config.js';
import type { WebhookConfig } from '../connectors/webhook-config.js';
import type { OpsConfig } from '../ops/config.js';
import type { NotifyConfig } from '../connectors/notifications/config.js';
import { parseQuietHours } from '../connectors/notifications/quiet-hours.js';
import type { TrackingConfig } from '../query-service/tracking-config.js';
import type { WorkersConfig } from '../workers/config.js';
import { DEFAULT_MAX_CONCURRENT_CALLS } from '../connectors/slick-client.js';
import { type KafkaSecurityConfig, SASL_MECHANISMS, SECURITY_PROTOCOLS } from '../topology/kafka/security.js';
import { DEFAULT_PG_TIMEOUTS, PROBE_TIMEOUT_MS, QUERY_STATEMENT_TIMEOUT_MS, SINK_STATEMENT_TIMEOUT_MS } from '../postgres/timeouts.js';
import {
  flag,
  fraction,
  httpUrl,
  nonNegativeInt,
  oneOf,
  optionalText,
  pemOrPath,
  positiveInt,
  positiveNumber,
  secret,
  type Setting,
  type SettingsTable,
  text,
} from './setting.js';

/** DATABASE_URL: the analysts' Postgres, written by the sink and read by the query service. */
const databaseUrl: Setting<string | undefined> = {
  env: 'DATABASE_URL',
  doc: 'PostgreSQL connection string of the analysts’ database (postgres://user@host:5432/db). The sink writes it; `omnia start` on Kafka serves the query service from it. Unset under `omnia start`: an embedded Postgres.',
  default: undefined,
  parse: optionalText,
  secret: true,
};

/** How long the sink and the query service wait on Postgres before giving up (postgres/timeouts.ts). */
const postgresConnectTimeoutMs: Setting<number> = {
  env: 'OMNIA_PG_CONNECT_TIMEOUT_MS',
  doc: 'Sink and query service: longest wait to open a Postgres connection, or for a free one of the pool (4 per process); then the batch is retried, the request answered 503.',
  default: DEFAULT_PG_TIMEOUTS.connectMs,
  parse: positiveInt('OMNIA_PG_CONNECT_TIMEOUT_MS'),
};
const postgresIdleInTransactionTimeoutMs: Setting<number> = {
  env: 'OMNIA_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  doc: 'Sink and query service: Postgres ends a session whose transaction sits idle this long (idle_in_transaction_session_timeout), so a stalled process does not hold its locks.',
  default: DEFAULT_PG_TIMEOUTS.idleInTransactionMs,
  parse: positiveInt('OMNIA_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS'),
};
const postgresProbeTimeoutMs: Setting<number> = {
  env: 'OMNIA_PG_PROBE_TIMEOUT_MS',
  doc: 'Sink and query service: how long /health/ready waits for Postgres to answer SELECT 1; slower, it answers 503 saying the database does not answer.',
  default: PROBE_TIMEOUT_MS,
  parse: positiveInt('OMNIA_PG_PROBE_TIMEOUT_MS'),
};

export const runtimeSettings: SettingsTable<RuntimeConfig> = {
  applicationId: {
    env: 'OMNIA_APPLICATION_ID',
    doc: 'Consumer group id and prefix of changelog topics and transactional ids.',
    default: 'omnia',
    parse: text,
  },
  bootstrapServers: {
    env: 'KAFKA_BROKERS',
    doc: 'Comma-separated host:port list of Kafka brokers.',
    default: ['127.0.0.1:9092'],
    parse: (raw) =>
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
  },
  processingGuarantee: {
    env: 'OMNIA_PROCESSING_GUARANTEE',
    doc: 'exactly_once: outputs, changelogs and offsets commit in one transaction. at_least_once: faster, may repeat output after a crash.',
    default: 'exactly_once',
    parse: oneOf('OMNIA_PROCESSING_GUARANTEE', ['exactly_once', 'at_least_once'] as const),
  },
  commitIntervalMs: {
    env: 'OMNIA_COMMIT_INTERVAL_MS',
    doc: 'How often processed work is committed; bounds end-to-end latency under exactly-once.',
    default: 100,
    parse: positiveInt('OMNIA_COMMIT_INTERVAL_MS'),
  },
  commitIdleMs: {
    env: 'OMNIA_COMMIT_IDLE_MS',
    doc: 'Once every fetched record is processed, commit after this long since the last commit rather than waiting for the interval: low latency at a steady rate, full transactions under a backlog (0: commit on the interval only, as Kafka Streams does).',
    default: 10,
    parse: nonNegativeInt('OMNIA_COMMIT_IDLE_MS'),
  },
  maxUncommittedRecords: {
    env: 'OMNIA_MAX_UNCOMMITTED_RECORDS',
    doc: 'Commit early once this many input records wait, bounding memory and transaction size.',
    default: 10_000,
    parse: positiveInt('OMNIA_MAX_UNCOMMITTED_RECORDS'),
  },
  stateDir: {
    env: 'OMNIA_STATE_DIR',
    doc: 'Directory of the local state stores (one sub-directory per task and store).',
    default: '.state',
    parse: text,
  },
  stateEngine: {
    env: 'OMNIA_STATE_ENGINE',
    doc: 'Engine of the task stores (leveldb measured fastest for point reads; see README).',
    default: DEFAULT_ENGINE,
    parse: oneOf('OMNIA_STATE_ENGINE', ['rocksdb', 'leveldb', 'memory'] as const),
  },
  instanceId: {
    env: 'OMNIA_INSTANCE_ID',
    doc: 'Stable replica name (pod name): static group membership and the transactional id. Unset: dynamic membership, random id.',
    default: undefined,
    parse: optionalText,
  },
  numStandbyReplicas: {
    env: 'OMNIA_NUM_STANDBY_REPLICAS',
    doc: 'Warm copies of each task kept by other replicas from its changelog (Kafka Streams’ num.standby.replicas): a task that moves to one restores only the last moments, not its whole store.',
    default: 0,
    parse: nonNegativeInt('OMNIA_NUM_STANDBY_REPLICAS'),
  },
  sessionTimeoutMs: {
    env: 'OMNIA_SESSION_TIMEOUT_MS',
    doc: 'How long the group waits for a silent member before moving its tasks.',
    default: 10_000,
    parse: positiveInt('OMNIA_SESSION_TIMEOUT_MS'),
  },
  transactionTimeoutMs: {
    env: 'OMNIA_TRANSACTION_TIMEOUT_MS',
    doc: 'Broker aborts a crashed replica’s open transaction after this long.',
    default: 10_000,
    parse: positiveInt('OMNIA_TRANSACTION_TIMEOUT_MS'),
  },
  pollMs: {
    env: 'OMNIA_POLL_MS',
    doc: 'Longest wait of one fetch when no data arrives.',
    default: 100,
    parse: positiveInt('OMNIA_POLL_MS'),
  },
  bufferedRecordsPerPartition: {
    env: 'OMNIA_BUFFERED_RECORDS_PER_PARTITION',
    doc: 'Fetched records a partition may hold unprocessed before it is left out of fetches (memory while a task waits for another input).',
    default: 1000,
    parse: positiveInt('OMNIA_BUFFERED_RECORDS_PER_PARTITION'),
  },
  bufferedBytesPerPartition: {
    env: 'OMNIA_BUFFERED_BYTES_PER_PARTITION',
    doc: 'Bytes of keys and values a partition may hold fetched and unprocessed before it is left out of fetches: with large records the count alone would let a partition hold hundreds of MB (Kafka Streams bounds its input buffer in bytes too).',
    default: 4 * 1024 * 1024,
    parse: positiveInt('OMNIA_BUFFERED_BYTES_PER_PARTITION'),
  },
  maxTaskIdleMs: {
    env: 'OMNIA_MAX_TASK_IDLE_MS',
    doc: 'Longest a task waits for records of one input that are on the broker but not fetched yet, before it processes its other inputs anyway.',
    default: 5000,
    parse: positiveInt('OMNIA_MAX_TASK_IDLE_MS'),
  },
  endpoint: {
    env: 'OMNIA_ENDPOINT',
    doc: 'host:port other replicas use to forward interactive queries to this one.',
    default: undefined,
    parse: optionalText,
  },
  topicReplicationFactor: {
    env: 'OMNIA_TOPIC_REPLICATION_FACTOR',
    doc: 'Copies of each partition of the topics a process creates itself (changelogs, outputs, dead-letter topics, order.fulfillment.v1): 1 for a local broker, 3 in production.',
    default: 1,
    parse: positiveInt('OMNIA_TOPIC_REPLICATION_FACTOR'),
  },
  topicMinInsyncReplicas: {
    env: 'OMNIA_TOPIC_MIN_INSYNC_REPLICAS',
    doc: 'min.insync.replicas of the topics a process creates itself (2 in production, with 3 copies: a write needs two); at most OMNIA_TOPIC_REPLICATION_FACTOR. Unset: the broker’s default.',
    default: undefined,
    parse: positiveInt('OMNIA_TOPIC_MIN_INSYNC_REPLICAS'),
  },
};

/** How `omnia start` on Kafka spreads its stream tasks over processes (workers/). */
export const workersSection: SettingsTable<WorkersConfig> = {
  workers: {
    env: 'OMNIA_WORKERS',
    doc: 'Processes `omnia start` on Kafka runs its stream tasks in (Kafka Streams’ num.stream.threads; each process has one JavaScript thread, so 2 uses two cores). Above 1, a primary process forks that many workers, each a member of the group with its own state directory (OMNIA_STATE_DIR/worker-N), all answering on PORT; one that exits stops the others. With the query service, give them OMNIA_IDEMPOTENCY_REDIS_URL (an action retried on another worker is otherwise not recognised).',
    default: 1,
    parse: positiveInt('OMNIA_WORKERS'),
  },
  workerBasePort: {
    env: 'OMNIA_WORKER_BASE_PORT',
    doc: 'With OMNIA_WORKERS above 1 and OMNIA_ENDPOINT: worker N also listens on this port + N − 1, on OMNIA_QUERY_HOST, and advertises it (with OMNIA_ENDPOINT’s host) for the lookups the other workers and replicas forward to it; its /metrics and /health/ready there are its own, PORT’s are the whole process’s.',
    default: undefined,
    defaultText: 'PORT + 1',
    parse: positiveInt('OMNIA_WORKER_BASE_PORT'),
  },
  workerNumber: {
    env: 'OMNIA_WORKER_NUMBER',
    doc: 'Set by the primary on each worker it forks (1 … OMNIA_WORKERS): its log lines and metrics carry it as `worker`. Not set by hand.',
    default: undefined,
    parse: positiveInt('OMNIA_WORKER_NUMBER'),
  },
};

/** How every process's Kafka clients connect (topology/kafka/security.ts checks the settings together). */
export const kafkaSecuritySettings: SettingsTable<KafkaSecurityConfig> = {
  securityProtocol: {
    env: 'KAFKA_SECURITY_PROTOCOL',
    doc: 'How every Kafka client of the process connects: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (SASL over TLS, what a production cluster should use).',
    default: 'PLAINTEXT',
    parse: (raw) => oneOf('KAFKA_SECURITY_PROTOCOL', SECURITY_PROTOCOLS)(raw.trim().toUpperCase()),
  },
  saslMechanism: {
    env: 'KAFKA_SASL_MECHANISM',
    doc: 'SASL mechanism under SASL_SSL / SASL_PLAINTEXT: SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (PLAIN sends the password itself, so it is refused without TLS).',
    default: 'SCRAM-SHA-512',
    parse: (raw) => oneOf('KAFKA_SASL_MECHANISM', SASL_MECHANISMS)(raw.trim().toUpperCase()),
  },
  saslUsername: {
    env: 'KAFKA_SASL_USERNAME',
    doc: 'Kafka user the process signs in as: required with SASL_SSL and SASL_PLAINTEXT, refused with the others.',
    default: undefined,
    parse: optionalText,
  },
  saslPassword: {
    env: 'KAFKA_SASL_PASSWORD',
    doc: 'Password of KAFKA_SASL_USERNAME: required with SASL_SSL and SASL_PLAINTEXT.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  sslCaFile: {
    env: 'KAFKA_SSL_CA_FILE',
    doc: 'PEM file of the CA(s) the brokers’ certificates must chain to (SSL, SASL_SSL); unset: the public CAs Node trusts.',
    default: undefined,
    defaultText: '(the public CAs)',
    parse: optionalText,
  },
  sslCertFile: {
    env: 'KAFKA_SSL_CERT_FILE',
    doc: 'PEM client certificate, for brokers that require one (ssl.client.auth=required); with KAFKA_SSL_KEY_FILE.',
    default: undefined,
    parse: optionalText,
  },
  sslKeyFile: {
    env: 'KAFKA_SSL_KEY_FILE',
    doc: 'PEM private key of KAFKA_SSL_CERT_FILE.',
    default: undefined,
    parse: optionalText,
  },
  sslKeyPassword: {
    env: 'KAFKA_SSL_KEY_PASSWORD',
    doc: 'Passphrase of KAFKA_SSL_KEY_FILE, when it is encrypted.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  sslRejectUnauthorized: {
    env: 'KAFKA_SSL_REJECT_UNAUTHORIZED',
    doc: 'false accepts any broker certificate, unverified: for a throwaway test broker only, never in production.',
    default: true,
    parse: flag('KAFKA_SSL_REJECT_UNAUTHORIZED'),
  },
};

const money = (name: string) => (raw: string) => {
  if (!isMoney(raw)) throw new Error(`${name} must be a decimal amount with at most 4 decimals, got "${raw}"`);
  return raw;
};

export const orderSettings: SettingsTable<OrderConfig> = {
  releaseHoldSeconds: {
    env: 'OMNIA_RELEASE_HOLD_SECONDS',
    doc: 'An order is released no earlier than CreatedAt + this many seconds (0: at once).',
    default: 0,
    parse: nonNegativeInt('OMNIA_RELEASE_HOLD_SECONDS'),
  },
  codMin: {
    env: 'OMNIA_COD_MIN',
    doc: 'Smallest COD order total accepted, inclusive (4 decimals at most).',
    default: '1.0000',
    parse: money('OMNIA_COD_MIN'),
  },
  codMax: {
    env: 'OMNIA_COD_MAX',
    doc: 'Largest COD order total accepted, inclusive (4 decimals at most).',
    default: '5000.0000',
    parse: money('OMNIA_COD_MAX'),
  },
  codServiceArea: {
    env: 'OMNIA_COD_SERVICE_AREA',
    doc: 'Comma-separated postal-code prefixes where COD is offered; empty serves every postal code.',
    default: [],
    defaultText: '(every postal code)',
    parse: (raw) =>
      raw
        .split(',')
        .map((prefix) => prefix.trim())
        .filter(Boolean),
  },
  releaseCheckMs: {
    env: 'OMNIA_RELEASE_CHECK_MS',
    doc: 'How often held orders are checked for release (wall clock).',
    default: 1000,
    parse: positiveInt('OMNIA_RELEASE_CHECK_MS'),
  },
  topicPrefix: {
    env: 'OMNIA_TOPIC_PREFIX',
    doc: 'Put before every topic name ("staging." → staging.order.create.v1), for environments sharing a cluster.',
    default: '',
    parse: text,
  },
  reconciliationCutOff: {
    env: 'OMNIA_RECONCILIATION_CUTOFF',
    doc: 'Local time (HH:MM, 24-hour) of the daily COD reconciliation.',
    default: { hour: 23, minute: 0 },
    defaultText: '23:00',
    parse: (raw): CutOff => {
      const cutOff = parseCutOff(raw);
      if (!cutOff) throw new Error(`OMNIA_RECONCILIATION_CUTOFF must be a time of day HH:MM (24-hour), got "${raw}"`);
      return cutOff;
    },
  },
  businessTimeZone: {
    env: 'OMNIA_BUSINESS_TIMEZONE',
    doc: 'IANA time zone of the business day and the reconciliation cut-off.',
    default: 'Asia/Bangkok',
    parse: (raw) => {
      if (!isTimeZone(raw)) throw new Error(`OMNIA_BUSINESS_TIMEZONE must be an IANA time zone such as Asia/Bangkok, got "${raw}"`);
      return raw;
    },
  },
  reconciliationCheckMs: {
    env: 'OMNIA_RECONCILIATION_CHECK_MS',
    doc: 'How often the wall clock is checked against the reconciliation cut-off.',
    default: 60_000,
    parse: positiveInt('OMNIA_RECONCILIATION_CHECK_MS'),
  },
  settlementDueDays: {
    env: 'OMNIA_SETTLEMENT_DUE_DAYS',
    doc: 'A PMP collection must be in PMP’s settlement report by this many daily cut-offs after the one closing its business day; at a later cut-off it is a NOT_IN_SETTLEMENT exception.',
    default: 1,
    parse: positiveInt('OMNIA_SETTLEMENT_DUE_DAYS'),
  },
  returnWindowDays: {
    env: 'OMNIA_RETURN_WINDOW_DAYS',
    doc: 'A return of a delivered order may be asked up to this many days after its delivery (DeliveredAt); later it is refused RETURN_WINDOW_CLOSED.',
    default: 7,
    parse: nonNegativeInt('OMNIA_RETURN_WINDOW_DAYS'),
  },
};

export const WIRE_FORMATS = ['json', 'avro', 'confluent', 'auto'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

const wireFormat =
  (name: string) =>
  (raw: string): WireFormat =>
    oneOf(name, WIRE_FORMATS)(raw.trim().toLowerCase());

export interface SerdeSettings {
  registryUrl: string | undefined;
  format: WireFormat | undefined;
  topicFormat: WireFormat | undefined;
  autoRegister: boolean;
  compatibility: Compatibility;
}

export const serdeSettings: SettingsTable<SerdeSettings> = {
  registryUrl: {
    env: 'SCHEMA_REGISTRY_URL',
    doc: 'Confluent Schema Registry base URL (credentials as https://user:secret@host). Set: topics default to the Confluent wire format.',
    default: undefined,
    parse: httpUrl('SCHEMA_REGISTRY_URL'),
    secret: true,
  },
  format: {
    env: 'OMNIA_FORMAT',
    doc: 'Wire format of every topic without its own setting: json, avro, confluent or auto. Default: confluent with a registry, else json.',
    default: undefined,
    defaultText: 'confluent with a registry, else json',
    parse: wireFormat('OMNIA_FORMAT'),
  },
  topicFormat: {
    env: 'OMNIA_FORMAT_<TOPIC>',
    doc: 'Wire format of one topic; <TOPIC> is the topic name upper-cased with every other character as _ (order.create.v1 → OMNIA_FORMAT_ORDER_CREATE_V1).',
    default: undefined,
    defaultText: 'OMNIA_FORMAT',
    parse: wireFormat('OMNIA_FORMAT_<TOPIC>'),
  },
  autoRegister: {
    env: 'OMNIA_SCHEMA_AUTO_REGISTER',
    doc: 'true: register our schema under a subject that lacks it, at startup. false: only look it up; encoding to such a subject then fails.',
    default: true,
    parse: flag('OMNIA_SCHEMA_AUTO_REGISTER'),
  },
  compatibility: {
    env: 'OMNIA_SCHEMA_COMPATIBILITY',
    doc: 'Compatibility level we register under: set on a subject without its own level; a subject with another level refuses our registration, so match it here.',
    default: 'BACKWARD',
    parse: oneOf('OMNIA_SCHEMA_COMPATIBILITY', COMPATIBILITY_LEVELS),
  },
};

export const sinkSection: SettingsTable<SinkConfig> = {
  databaseUrl: databaseUrl,
  postgresConnectTimeoutMs,
  postgresStatementTimeoutMs: {
    env: 'OMNIA_SINK_STATEMENT_TIMEOUT_MS',
    doc: 'Postgres cancels a sink statement running longer (statement_timeout); the driver gives up 2 s later if the server does not answer at all. Longer than the query service’s: a batch may wait behind an analyst’s locks. The batch is retried.',
    default: SINK_STATEMENT_TIMEOUT_MS,
    parse: positiveInt('OMNIA_SINK_STATEMENT_TIMEOUT_MS'),
  },
  postgresIdleInTransactionTimeoutMs,
  postgresProbeTimeoutMs,
  group: {
    env: 'OMNIA_SINK_GROUP',
    doc: 'Consumer group of the sink, and the name its offsets are stored under; default <OMNIA_APPLICATION_ID>-sink-postgres.',
    default: undefined,
    parse: optionalText,
  },
  batchRecords: {
    env: 'OMNIA_SINK_BATCH_RECORDS',
    doc: 'Most records written in one SQL transaction.',
    default: 5_000,
    parse: positiveInt('OMNIA_SINK_BATCH_RECORDS'),
  },
  lingerMs: {
    env: 'OMNIA_SINK_LINGER_MS',
    doc: 'How long a batch waits for more records before it is written; bounds the tables’ delay.',
    default: 50,
    parse: positiveInt('OMNIA_SINK_LINGER_MS'),
  },
  port: {
    env: 'OMNIA_SINK_PORT',
    doc: 'Port of the sink’s /health and /metrics endpoints.',
    default: 9465,
    parse: positiveInt('OMNIA_SINK_PORT'),
  },
  host: { env: 'OMNIA_SINK_HOST', doc: 'Address the health and metrics endpoints listen on.', default: '0.0.0.0', parse: text },
};

export const querySection: SettingsTable<QueryConfig> = {
  port: { env: 'PORT', doc: 'Port the query service listens on.', default: 8080, parse: positiveInt('PORT') },
  host: { env: 'OMNIA_QUERY_HOST', doc: 'Address the query service listens on.', default: '0.0.0.0', parse: text },
  postgresConnectTimeoutMs,
  postgresStatementTimeoutMs: {
    env: 'OMNIA_QUERY_STATEMENT_TIMEOUT_MS',
    doc: 'Postgres cancels a query-service statement running longer (statement_timeout); the driver gives up 2 s later if the server does not answer at all. The request is answered 503 DATABASE_UNAVAILABLE.',
    default: QUERY_STATEMENT_TIMEOUT_MS,
    parse: positiveInt('OMNIA_QUERY_STATEMENT_TIMEOUT_MS'),
  },
  postgresIdleInTransactionTimeoutMs,
  postgresProbeTimeoutMs,
  jwtJwksUrl: {
    env: 'OMNIA_JWT_JWKS_URL',
    doc: 'Production: the token issuer’s JSON Web Key Set URL. RS256 and ES256 tokens are verified with the key their `kid` names; keys rotate without a restart.',
    default: undefined,
    parse: httpUrl('OMNIA_JWT_JWKS_URL'),
  },
  jwtJwksCacheMaxAgeSeconds: {
    env: 'OMNIA_JWT_JWKS_CACHE_MAX_AGE_SECONDS',
    doc: 'A JWKS older than this is fetched again before use, so a key removed by the issuer stops being accepted.',
    default: 600,
    parse: positiveInt('OMNIA_JWT_JWKS_CACHE_MAX_AGE_SECONDS'),
  },
  jwtJwksCooldownSeconds: {
    env: 'OMNIA_JWT_JWKS_COOLDOWN_SECONDS',
    doc: 'Least time between two JWKS fetches; a token with an unknown `kid` refetches the set once this has passed.',
    default: 30,
    parse: nonNegativeInt('OMNIA_JWT_JWKS_COOLDOWN_SECONDS'),
  },
  jwtAlgorithm: {
    env: 'OMNIA_JWT_ALG',
    doc: 'Pins the one algorithm tokens may use (HS256, RS256, ES256). Unset: RS256 and ES256 with a JWKS, the key’s own with OMNIA_JWT_PUBLIC_KEY, HS256 with OMNIA_JWT_SECRET alone.',
    default: undefined,
    parse: oneOf('OMNIA_JWT_ALG', JwtAlgorithms),
  },
  jwtSecret: {
    env: 'OMNIA_JWT_SECRET',
    doc: 'HS256 shared secret, at least 32 random bytes (openssl rand -base64 48; a weaker one refuses to start); only without OMNIA_JWT_JWKS_URL and OMNIA_JWT_PUBLIC_KEY. `npm start` makes one up and prints a token.',
    default: undefined,
    parse: secret('OMNIA_JWT_SECRET', 32),
    secret: true,
  },
  jwtPublicKey: {
    env: 'OMNIA_JWT_PUBLIC_KEY',
    doc: 'One token issuer key instead of a JWKS: RSA (RS256) or EC P-256 (ES256), as PEM text or the path of a PEM file.',
    default: undefined,
    parse: pemOrPath('OMNIA_JWT_PUBLIC_KEY'),
  },
  jwtIssuer: { env: 'OMNIA_JWT_ISSUER', doc: 'When set, tokens must carry this `iss`.', default: undefined, parse: optionalText },
  jwtAudience: { env: 'OMNIA_JWT_AUDIENCE', doc: 'When set, tokens’ `aud` must include this.', default: undefined, parse: optionalText },
  jwtClockSkewSeconds: {
    env: 'OMNIA_JWT_CLOCK_SKEW_SECONDS',
    doc: 'Tolerance for token exp/nbf/iat against this host’s clock.',
    default: 30,
    parse: nonNegativeInt('OMNIA_JWT_CLOCK_SKEW_SECONDS'),
  },
  rateLimitPerSecond: {
    env: 'OMNIA_RATE_LIMIT_PER_SECOND',
    doc: 'Sustained requests per second allowed per token.',
    default: 20,
    parse: positiveNumber('OMNIA_RATE_LIMIT_PER_SECOND'),
  },
  rateLimitBurst: {
    env: 'OMNIA_RATE_LIMIT_BURST',
    doc: 'Requests a token may make at once after being idle: the limit of one window of BURST / PER_SECOND seconds.',
    default: 40,
    parse: positiveInt('OMNIA_RATE_LIMIT_BURST'),
  },
  rateLimitRedisUrl: {
    env: 'OMNIA_RATE_LIMIT_REDIS_URL',
    doc: 'When set, the per-token counts live in this Redis (redis://[user:password@]host:port[/db]) and every replica shares one limit; unset, each process counts alone.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  idempotencyRedisUrl: {
    env: 'OMNIA_IDEMPOTENCY_REDIS_URL',
    doc: "When set, actions' Idempotency-Keys and their answers live in this Redis for 24 h, so a retry gets the same answer on any replica and after a restart; unset, each process remembers its own (the effect stays single either way).",
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  forwardSecret: {
    env: 'OMNIA_FORWARD_SECRET',
    doc: 'Secret every replica shares (≥ 32 bytes, not OMNIA_JWT_SECRET) to sign the lookups they forward to each other and the answers, instead of passing on the caller’s token; required with OMNIA_ENDPOINT on Kafka. Unset without an endpoint: other replicas’ orders are answered from Postgres.',
    default: undefined,
    parse: secret('OMNIA_FORWARD_SECRET', 32),
    secret: true,
  },
  searchCursorKey: {
    env: 'OMNIA_SEARCH_CURSOR_KEY',
    doc: 'Key (≥ 32 random bytes: openssl rand -base64 48) the search’s next-page cursors are signed with, the same on every replica. Unset: a random key of each process, so a cursor is refused (INVALID_CURSOR: search again) after a restart or by another replica; a replica with OMNIA_ENDPOINT warns at start.',
    default: undefined,
    parse: secret('OMNIA_SEARCH_CURSOR_KEY', 32),
    secret: true,
  },
  adminPort: {
    env: 'OMNIA_ADMIN_PORT',
    doc: 'Port of /metrics and the API docs (/docs, /docs/json), on OMNIA_QUERY_HOST, for Prometheus and operators; PORT then answers 404 for them, and this port serves nothing of the API. Unset: they are on PORT, open to whoever reaches it.',
    default: undefined,
    parse: positiveInt('OMNIA_ADMIN_PORT'),
  },
  eventsMaxStreams: {
    env: 'OMNIA_EVENTS_MAX_STREAMS',
    doc: 'Most GET /events streams one replica holds open; another is refused 503 EVENTS_AT_CAPACITY with Retry-After (the store app retries; the load balancer may send it to another replica).',
    default: 2000,
    parse: positiveInt('OMNIA_EVENTS_MAX_STREAMS'),
  },
  eventsMaxStreamsPerSubject: {
    env: 'OMNIA_EVENTS_MAX_STREAMS_PER_SUBJECT',
    doc: 'Most GET /events streams one replica holds open for one token subject (`sub`: a person or a shared store account, over all its tabs and devices); another is refused 429 EVENTS_STREAM_LIMIT with Retry-After.',
    default: 32,
    parse: positiveInt('OMNIA_EVENTS_MAX_STREAMS_PER_SUBJECT'),
  },
};

export const embeddedSection: SettingsTable<EmbeddedConfig> = {
  ordersPerSecond: {
    env: 'OMNIA_DEMO_ORDERS_PER_SECOND',
    doc: 'Demo orders created per second by the embedded default (each is followed by about a dozen partner calls and webhooks).',
    default: 20,
    parse: positiveInt('OMNIA_DEMO_ORDERS_PER_SECOND'),
  },
  stores: { env: 'OMNIA_DEMO_STORES', doc: 'Stores the demo orders come from.', default: 12, parse: positiveInt('OMNIA_DEMO_STORES') },
  databaseUrl,
  useDatabase: {
    env: 'OMNIA_DEMO_USE_DATABASE',
    doc: 'Let the embedded default (no KAFKA_BROKERS) migrate DATABASE_URL and write its demo orders there; without it a DATABASE_URL is refused.',
    default: false,
    parse: flag('OMNIA_DEMO_USE_DATABASE'),
  },
  pgDir: {
    env: 'OMNIA_EMBEDDED_PG_DIR',
    doc: 'Directory the embedded Postgres keeps its data in, so the tables outlive a restart; unset, it lives in memory.',
    default: undefined,
    defaultText: '(in memory)',
    parse: optionalText,
  },
  openBrowser: {
    env: 'OMNIA_OPEN_BROWSER',
    doc: 'Open the store web app, signed in, in the desktop browser when the embedded default starts (only with a terminal and a desktop; never under CI).',
    default: true,
    parse: flag('OMNIA_OPEN_BROWSER'),
  },
};

export const webhookSection: SettingsTable<WebhookConfig> = {
  slickSecret: {
    env: 'OMNIA_SLICK_WEBHOOK_SECRET',
    doc: 'HMAC secret Slick signs ship-event webhooks with (required to start): at least 32 random bytes (openssl rand -base64 48), as are the other partners’ secrets, current and previous; a weaker one refuses to start.',
    default: undefined,
    parse: secret('OMNIA_SLICK_WEBHOOK_SECRET', 32),
    secret: true,
  },
  slickSecretPrevious: {
    env: 'OMNIA_SLICK_WEBHOOK_SECRET_PREVIOUS',
    doc: 'Slick’s previous HMAC secret, accepted beside OMNIA_SLICK_WEBHOOK_SECRET while the partner moves to the new one (a rotation without a cut-over); unset it once omnia_webhook_accepted_total{partner="slick",secret="previous"} stays at 0.',
    default: undefined,
    parse: secret('OMNIA_SLICK_WEBHOOK_SECRET_PREVIOUS', 32),
    secret: true,
  },
  grabSecret: {
    env: 'OMNIA_GRAB_WEBHOOK_SECRET',
    doc: 'HMAC secret Grab signs delivery-status webhooks with (required to start).',
    default: undefined,
    parse: secret('OMNIA_GRAB_WEBHOOK_SECRET', 32),
    secret: true,
  },
  grabSecretPrevious: {
    env: 'OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS',
    doc: 'Grab’s previous HMAC secret, accepted beside OMNIA_GRAB_WEBHOOK_SECRET while the partner moves to the new one (a rotation without a cut-over); unset it once omnia_webhook_accepted_total{partner="grab",secret="previous"} stays at 0.',
    default: undefined,
    parse: secret('OMNIA_GRAB_WEBHOOK_SECRET_PREVIOUS', 32),
    secret: true,
  },
  pmpSecret: {
    env: 'OMNIA_PMP_WEBHOOK_SECRET',
    doc: 'HMAC secret PMP signs delivered / cash-collected webhooks with (required to start).',
    default: undefined,
    parse: secret('OMNIA_PMP_WEBHOOK_SECRET', 32),
    secret: true,
  },
  pmpSecretPrevious: {
    env: 'OMNIA_PMP_WEBHOOK_SECRET_PREVIOUS',
    doc: 'PMP’s previous HMAC secret, accepted beside OMNIA_PMP_WEBHOOK_SECRET while the partner moves to the new one (a rotation without a cut-over); unset it once omnia_webhook_accepted_total{partner="pmp",secret="previous"} stays at 0.',
    default: undefined,
    parse: secret('OMNIA_PMP_WEBHOOK_SECRET_PREVIOUS', 32),
    secret: true,
  },
  port: { env: 'OMNIA_WEBHOOK_PORT', doc: 'Port the webhook ingress listens on.', default: 8090, parse: positiveInt('OMNIA_WEBHOOK_PORT') },
  host: { env: 'OMNIA_WEBHOOK_HOST', doc: 'Address the webhook ingress listens on.', default: '0.0.0.0', parse: text },
  toleranceSeconds: {
    env: 'OMNIA_WEBHOOK_TOLERANCE_SECONDS',
    doc: 'Accepted difference between X-Omnia-Timestamp and the server clock, either way; nonces are remembered for twice this.',
    default: 300,
    parse: positiveInt('OMNIA_WEBHOOK_TOLERANCE_SECONDS'),
  },
  nonceCapacity: {
    env: 'OMNIA_WEBHOOK_NONCE_CAPACITY',
    doc: 'Most nonces remembered at once (about 350 bytes each); when full, new requests get 503 until old nonces expire.',
    default: 500_000,
    parse: positiveInt('OMNIA_WEBHOOK_NONCE_CAPACITY'),
  },
  nonceRedisUrl: {
    env: 'OMNIA_WEBHOOK_NONCE_REDIS_URL',
    doc: 'Redis every ingress replica remembers nonces in (redis://host:6379); unset, each process remembers its own, and a request replayed to another replica within the window passes.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  bodyLimitBytes: {
    env: 'OMNIA_WEBHOOK_BODY_LIMIT_BYTES',
    doc: 'Largest request body accepted (413 beyond).',
    default: 256 * 1024,
    parse: positiveInt('OMNIA_WEBHOOK_BODY_LIMIT_BYTES'),
  },
  produceTimeoutMs: {
    env: 'OMNIA_WEBHOOK_PRODUCE_TIMEOUT_MS',
    doc: 'Longest wait for Kafka’s acks before answering 503 (the partner retries; a late write is then a duplicate EventID, ignored downstream).',
    default: 10_000,
    parse: positiveInt('OMNIA_WEBHOOK_PRODUCE_TIMEOUT_MS'),
  },
  headersTimeoutMs: {
    env: 'OMNIA_WEBHOOK_HEADERS_TIMEOUT_MS',
    doc: 'Longest wait for a request’s headers once it has begun; 408 and the connection closed beyond. At most OMNIA_WEBHOOK_BODY_TIMEOUT_MS.',
    default: 10_000,
    parse: positiveInt('OMNIA_WEBHOOK_HEADERS_TIMEOUT_MS'),
  },
  bodyTimeoutMs: {
    env: 'OMNIA_WEBHOOK_BODY_TIMEOUT_MS',
    doc: 'Longest wait for a whole request, headers and body, once it has begun; 408 and the connection closed beyond, so a body sent slowly cannot hold a connection.',
    default: 30_000,
    parse: positiveInt('OMNIA_WEBHOOK_BODY_TIMEOUT_MS'),
  },
  idleTimeoutMs: {
    env: 'OMNIA_WEBHOOK_IDLE_TIMEOUT_MS',
    doc: 'A connection on which nothing moves either way for this long is closed (a client that stops reading its answer). Longer than OMNIA_WEBHOOK_PRODUCE_TIMEOUT_MS, which a request may wait in silence.',
    default: 60_000,
    parse: positiveInt('OMNIA_WEBHOOK_IDLE_TIMEOUT_MS'),
  },
  keepAliveTimeoutMs: {
    env: 'OMNIA_WEBHOOK_KEEP_ALIVE_TIMEOUT_MS',
    doc: 'How long a kept-alive connection may wait for its next request; longer than the load balancer’s idle timeout, so the balancer closes first and never reuses a connection being closed.',
    default: 72_000,
    parse: positiveInt('OMNIA_WEBHOOK_KEEP_ALIVE_TIMEOUT_MS'),
  },
};

export const slickSection: SettingsTable<SlickEgressConfig> = {
  baseUrl: {
    env: 'SLICK_BASE_URL',
    doc: 'Base URL of Slick’s REST API (https://slick.example.com); the connector posts to /v1/releases and /v1/collections under it.',
    default: undefined,
    parse: optionalText,
  },
  token: { env: 'SLICK_TOKEN', doc: 'Bearer token for Slick.', default: undefined, parse: optionalText, secret: true },
  timeoutMs: {
    env: 'SLICK_TIMEOUT_MS',
    doc: 'How long one call waits for Slick’s answer.',
    default: 30_000,
    parse: positiveInt('SLICK_TIMEOUT_MS'),
  },
  attempts: {
    env: 'SLICK_ATTEMPTS',
    doc: 'Attempts in one round; a round given up is recorded (GAVE_UP) and started again after the longest backoff: a release is never dropped. A release Slick refused itself (a 4xx other than 408 / 429) a whole round is set aside for a person to send again or park.',
    default: 3,
    parse: positiveInt('SLICK_ATTEMPTS'),
  },
  backoffMs: {
    env: 'SLICK_BACKOFF_MS',
    doc: 'First retry delay; doubled after each failure (1 s, 2 s, 4 s).',
    default: 1_000,
    parse: positiveInt('SLICK_BACKOFF_MS'),
  },
  backoffMaxMs: { env: 'SLICK_BACKOFF_MAX_MS', doc: 'Longest retry delay.', default: 30_000, parse: positiveInt('SLICK_BACKOFF_MAX_MS') },
  jitter: {
    env: 'SLICK_BACKOFF_JITTER',
    doc: 'Spread of each delay as a fraction of it: 0.2 draws from 80 %–120 %.',
    default: 0.2,
    parse: fraction('SLICK_BACKOFF_JITTER'),
  },
  breakerFailures: {
    env: 'SLICK_BREAKER_FAILURES',
    doc: 'Consecutive failed calls that open the circuit breaker.',
    default: 5,
    parse: positiveInt('SLICK_BREAKER_FAILURES'),
  },
  breakerCoolDownMs: {
    env: 'SLICK_BREAKER_COOLDOWN_MS',
    doc: 'How long the circuit stays open before one probe call.',
    default: 30_000,
    parse: positiveInt('SLICK_BREAKER_COOLDOWN_MS'),
  },
  maxConcurrentCalls: {
    env: 'SLICK_MAX_CONCURRENT_CALLS',
    doc: 'Most calls in flight to Slick at once (a bulkhead); more wait their turn. Partitions (Kafka) or stores (embedded) are delivered concurrently, one record each.',
    default: DEFAULT_MAX_CONCURRENT_CALLS,
    parse: positiveInt('SLICK_MAX_CONCURRENT_CALLS'),
  },
  group: {
    env: 'OMNIA_SLICK_GROUP',
    doc: 'Consumer group of the connector; default <OMNIA_APPLICATION_ID>-slick-egress.',
    default: undefined,
    parse: optionalText,
  },
  port: {
    env: 'OMNIA_SLICK_PORT',
    doc: 'Port of the connector’s /health and /metrics endpoints.',
    default: 9466,
    parse: positiveInt('OMNIA_SLICK_PORT'),
  },
  host: { env: 'OMNIA_SLICK_HOST', doc: 'Address the health and metrics endpoints listen on.', default: '0.0.0.0', parse: text },
};

export const notifySection: SettingsTable<NotifyConfig> = {
  smsUrl: {
    env: 'OMNIA_NOTIFY_SMS_URL',
    doc: 'Base URL of the SMS provider (https://sms.example.com); messages are posted to /v1/messages under it with an Idempotency-Key. Unset: no SMS.',
    default: undefined,
    parse: httpUrl('OMNIA_NOTIFY_SMS_URL'),
  },
  smsToken: {
    env: 'OMNIA_NOTIFY_SMS_TOKEN',
    doc: 'Bearer token for the SMS provider.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  lineUrl: {
    env: 'OMNIA_NOTIFY_LINE_URL',
    doc: 'Base URL of the LINE Messaging API (https://api.line.me); pushes go to /v2/bot/message/push with an X-Line-Retry-Key. Unset: customers who chose LINE get SMS.',
    default: undefined,
    parse: httpUrl('OMNIA_NOTIFY_LINE_URL'),
  },
  lineToken: {
    env: 'OMNIA_NOTIFY_LINE_TOKEN',
    doc: 'Channel access token for LINE.',
    default: undefined,
    parse: optionalText,
    secret: true,
  },
  timeoutMs: {
    env: 'OMNIA_NOTIFY_TIMEOUT_MS',
    doc: 'How long one call waits for the provider’s answer.',
    default: 10_000,
    parse: positiveInt('OMNIA_NOTIFY_TIMEOUT_MS'),
  },
  attempts: {
    env: 'OMNIA_NOTIFY_ATTEMPTS',
    doc: 'Calls in one round; a round given up is recorded (GAVE_UP) and started again after the longest backoff: a message is never dropped for a provider being unwell. One the provider refused itself a whole round (a 4xx other than 408 / 429) is REFUSED and not sent again.',
    default: 3,
    parse: positiveInt('OMNIA_NOTIFY_ATTEMPTS'),
  },
  backoffMs: {
    env: 'OMNIA_NOTIFY_BACKOFF_MS',
    doc: 'First retry delay; doubled after each failure.',
    default: 1_000,
    parse: positiveInt('OMNIA_NOTIFY_BACKOFF_MS'),
  },
  backoffMaxMs: {
    env: 'OMNIA_NOTIFY_BACKOFF_MAX_MS',
    doc: 'Longest retry delay.',
    default: 60_000,
    parse: positiveInt('OMNIA_NOTIFY_BACKOFF_MAX_MS'),
  },
  jitter: {
    env: 'OMNIA_NOTIFY_BACKOFF_JITTER',
    doc: 'Spread of each delay as a fraction of it: 0.2 draws from 80 %–120 %.',
    default: 0.2,
    parse: fraction('OMNIA_NOTIFY_BACKOFF_JITTER'),
  },
  breakerFailureRate: {
    env: 'OMNIA_NOTIFY_BREAKER_FAILURE_RATE',
    doc: 'A provider’s circuit breaker (one per channel) opens when more than this share of its calls of the last 10 s failed (at least 10 calls): a provider failing some calls keeps being called, one that is down is left alone.',
    default: 0.9,
    parse: (raw) => {
      const rate = Number(raw);
      if (!(rate > 0 && rate < 1))
        throw new Error(`OMNIA_NOTIFY_BREAKER_FAILURE_RATE must be a number between 0 and 1 (exclusive), got "${raw}"`);
      return rate;
    },
  },
  breakerCoolDownMs: {
    env: 'OMNIA_NOTIFY_BREAKER_COOLDOWN_MS',
    doc: 'How long a provider’s circuit stays open before one probe call.',
    default: 30_000,
    parse: positiveInt('OMNIA_NOTIFY_BREAKER_COOLDOWN_MS'),
  },
  maxConcurrentCalls: {
    env: 'OMNIA_NOTIFY_MAX_CONCURRENT_CALLS',
    doc: 'Most calls in flight to one provider at once (a bulkhead); more wait their turn. Orders are sent concurrently, each order’s messages one after another.',
    default: 16,
    parse: positiveInt('OMNIA_NOTIFY_MAX_CONCURRENT_CALLS'),
  },
  quietHours: {
    env: 'OMNIA_NOTIFY_QUIET_HOURS',
    doc: 'HH:MM-HH:MM of local time (OMNIA_BUSINESS_TIMEZONE) in which no message goes out; messages due then wait until it ends. A customer’s own preference replaces it; none: no quiet hours.',
    default: { start: 21 * 60, end: 8 * 60 },
    defaultText: '21:00-08:00',
    parse: (raw) => {
      const window = parseQuietHours(raw);
      if (window === undefined)
        throw new Error(`OMNIA_NOTIFY_QUIET_HOURS must be HH:MM-HH:MM (24-hour, start ≠ end) or none, got "${raw}"`);
      return window;
    },
  },
  defaultLanguage: {
    env: 'OMNIA_NOTIFY_DEFAULT_LANGUAGE',
    doc: 'Language of the messages to a customer who chose none: th or en.',
    default: 'th',
    parse: oneOf('OMNIA_NOTIFY_DEFAULT_LANGUAGE', ['th', 'en'] as const),
  },
  maxAgeHours: {
    env: 'OMNIA_NOTIFY_MAX_AGE_HOURS',
    doc: 'A change older than this when the connector reads it is not told to the customer (it was sent before a restart, or is too old to matter: a connector started on an old changelog).',
    default: 24,
    parse: positiveInt('OMNIA_NOTIFY_MAX_AGE_HOURS'),
  },
  maxPending: {
    env: 'OMNIA_NOTIFY_MAX_PENDING',
    doc: 'Messages read and not yet sent (waiting for quiet hours to end, being retried) before the connector stops reading more until some are done.',
    default: 20_000,
    parse: positiveInt('OMNIA_NOTIFY_MAX_PENDING'),
  },
  group: {
    env: 'OMNIA_NOTIFY_GROUP',
    doc: 'Consumer group of the notification connector; default <OMNIA_APPLICATION_ID>-notify.',
    default: undefined,
    parse: optionalText,
  },
  port: {
    env: 'OMNIA_NOTIFY_PORT',
    doc: 'Port of the notification connector’s /health and /metrics endpoints.',
    default: 9467,
    parse: positiveInt('OMNIA_NOTIFY_PORT'),
  },
  host: { env: 'OMNIA_NOTIFY_HOST', doc: 'Address the health and metrics endpoints listen on.', default: '0.0.0.0', parse: text },
};

export const trackingSection: SettingsTable<TrackingConfig> = {
  secret: {
    env: 'OMNIA_TRACKING_SECRET',
    doc: 'HMAC secret of the customers’ tracking links (at least 32 bytes), the same for omnia notify, which signs them, and the query service, which opens them at /track/<token>. Unset: the query service serves no tracking page; omnia notify refuses to start. npm start makes one up.',
    default: undefined,
    parse: secret('OMNIA_TRACKING_SECRET', 32),
    secret: true,
  },
  baseUrl: {
    env: 'OMNIA_TRACKING_BASE_URL',
    doc: 'Public base URL of the query service as customers reach it (https://track.omnia.example); the links in messages are <this>/track/<token>. Required by omnia notify; npm start uses its own address.',
    default: undefined,
    parse: httpUrl('OMNIA_TRACKING_BASE_URL'),
  },
  linkDays: {
    env: 'OMNIA_TRACKING_LINK_DAYS',
    doc: 'A tracking link works until this many days after the change its message tells of, and never longer than this after the order was delivered or cancelled.',
    default: 30,
    parse: positiveInt('OMNIA_TRACKING_LINK_DAYS'),
  },
};

export const opsSection: SettingsTable<OpsConfig> = {
  databaseUrl,
  httpTimeoutMs: {
    env: 'OMNIA_OPS_HTTP_TIMEOUT_MS',
    doc: '`omnia status`: how long it waits for each replica’s /metrics and /health/ready (at the endpoint the replica advertises, OMNIA_ENDPOINT) before calling it unreachable.',
    default: 2000,
    parse: positiveInt('OMNIA_OPS_HTTP_TIMEOUT_MS'),
  },
  lagWarnRecords: {
    env: 'OMNIA_OPS_LAG_WARN_RECORDS',
    doc: '`omnia status` warns about a source partition at least this many records behind (its end minus the group’s committed offset).',
    default: 1000,
    parse: positiveInt('OMNIA_OPS_LAG_WARN_RECORDS'),
  },
  commitStaleSeconds: {
    env: 'OMNIA_OPS_COMMIT_STALE_SECONDS',
    doc: '`omnia status` calls a replica stuck when records wait on its partitions and it has not committed for this long.',
    default: 60,
    parse: positiveInt('OMNIA_OPS_COMMIT_STALE_SECONDS'),
  },
  redriveBatch: {
    env: 'OMNIA_OPS_REDRIVE_BATCH',
    doc: '`omnia dlq redrive`: dead letters re-produced per transaction (each transaction also records them as re-driven).',
    default: 500,
    parse: positiveInt('OMNIA_OPS_REDRIVE_BATCH'),
  },
};

export const loggingSettings: SettingsTable<{ level: LogLevel }> = {
  level: {
    env: 'OMNIA_LOG_LEVEL',
    doc: `Least level of the JSON log lines on stdout: ${LOG_LEVELS.join(', ')}. Unset under \`npm start\`: warn, so the demo's console stays readable.`,
    default: 'info',
    parse: oneOf('OMNIA_LOG_LEVEL', LOG_LEVELS),
  },
};

export interface Section {
  readonly name: string;
  readonly title: string;
  readonly settings: Readonly<Record<string, Setting<unknown>>>;
}

const section = <C>(name: string, title: string, settings: SettingsTable<C>): Section => ({
  name,
  title,
  settings: settings as Section['settings'],
});

/** Every section, in the order `omnia config` and the README list them. */
export const registry: readonly Section[] = [
  section(
    'runtime',
    'the stream runtime (omnia start on Kafka; KAFKA_BROKERS and OMNIA_APPLICATION_ID for every Kafka process)',
    runtimeSettings,
  ),
  section('workers', 'the processes omnia start on Kafka runs its stream tasks in', workersSection),
  section('kafka', 'how every process connects to Kafka: TLS and SASL (every process that reads or writes topics)', kafkaSecuritySettings),
  section('order', 'the order pipeline’s rules (omnia start, omnia replay)', orderSettings),
  section('serdes', 'wire formats and the schema registry (every process that reads or writes topics)', serdeSettings),
  section('sink', 'the Postgres sink connector (omnia sink)', sinkSection),
  section('query', 'the query service (omnia start)', querySection),
  section('webhooks', 'the signed webhook ingress of the partners (omnia connectors)', webhookSection),
  section('slick', 'the Slick egress connector (omnia connectors)', slickSection),
  section('notify', 'the customer notification connector (omnia notify; npm start)', notifySection),
  section('tracking', 'the customers’ tracking links (omnia notify signs them, the query service opens them)', trackingSection),
  section('embedded', 'the embedded default (npm start without KAFKA_BROKERS)', embeddedSection),
  section('ops', 'the operator commands (omnia status, omnia dlq, omnia explain)', opsSection),
  section('logging', 'every process', loggingSettings),
];

/** The long-running processes a deployment runs, by their `omnia` command (on Kafka). */
export const PROCESSES = ['start', 'sink', 'connectors', 'notify'] as const;
export type OmniaProcess = (typeof PROCESSES)[number];

/**
 * What each process needs set in a deployment, beyond the defaults: each entry is one requirement, met when any
 * of its settings is set (tokens are verified one of three ways). `omnia start` without DATABASE_URL runs no
 * query service, and without KAFKA_BROKERS runs the embedded default; the sink and the connectors refuse to start
 * without theirs. test/deploy/manifests.test.ts fails when a workload of deploy/k8s does not provide them.
 */
export const requiredSettings: Readonly<Record<OmniaProcess, ReadonlyArray<ReadonlyArray<Setting<unknown>>>>> = {
  start: [[runtimeSettings.bootstrapServers], [databaseUrl], [querySection.jwtJwksUrl, querySection.jwtPublicKey, querySection.jwtSecret]],
  sink: [[runtimeSettings.bootstrapServers], [databaseUrl]],
  connectors: [
    [runtimeSettings.bootstrapServers],
    [slickSection.baseUrl],
    [slickSection.token],
    [webhookSection.slickSecret],
    [webhookSection.grabSecret],
    [webhookSection.pmpSecret],
  ],
  notify: [
    [runtimeSettings.bootstrapServers],
    [notifySection.smsUrl],
    [notifySection.smsToken],
    [trackingSection.secret],
    [trackingSection.baseUrl],
  ],
};
