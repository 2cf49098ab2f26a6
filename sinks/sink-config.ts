/** The sink connector's settings, defined in `settings/registry.ts`. */
import { loadSettings } from '../settings/setting.js';
import { sinkSection } from '../settings/registry.js';

export interface SinkConfig {
  databaseUrl: string | undefined;
  /** Name the offsets are stored under in Postgres and the Kafka consumer group (for lag and assignment). */
  group: string | undefined;
  batchRecords: number;
  lingerMs: number;
  port: number;
  host: string;
  /** Postgres timeouts (postgres/timeouts.ts); the statement limit is the sink's own. */
  postgresConnectTimeoutMs: number;
  postgresStatementTimeoutMs: number;
  postgresIdleInTransactionTimeoutMs: number;
  /** How long /health/ready waits for Postgres to answer. */
  postgresProbeTimeoutMs: number;
}

export const sinkSettings = sinkSection;

export const loadSinkConfig = (overrides: Partial<SinkConfig> = {}, env: NodeJS.ProcessEnv = process.env): SinkConfig =>
  loadSettings(sinkSettings, overrides, env);
