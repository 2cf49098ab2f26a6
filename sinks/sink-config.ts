/** The sink connector's settings: environment variable, default, meaning and validation, as the runtime's. */
import { loadSettings, optionalText, positiveInt, type Setting, text } from '../runtime/config.js';

export interface SinkConfig {
  databaseUrl: string | undefined;
  /** Name the offsets are stored under in Postgres and the Kafka consumer group (for lag and assignment). */
  group: string | undefined;
  batchRecords: number;
  lingerMs: number;
  port: number;
  host: string;
}

export const sinkSettings: { [K in keyof SinkConfig]: Setting<SinkConfig[K]> } = {
  databaseUrl: { env: 'DATABASE_URL', doc: 'PostgreSQL connection string of the analysts’ database (postgres://user@host:5432/db).', default: undefined, parse: optionalText },
  group: { env: 'OMNIA_SINK_GROUP', doc: 'Consumer group of the sink, and the name its offsets are stored under; default <OMNIA_APPLICATION_ID>-sink-postgres.', default: undefined, parse: optionalText },
  batchRecords: { env: 'OMNIA_SINK_BATCH_RECORDS', doc: 'Most records written in one SQL transaction.', default: 5_000, parse: positiveInt('OMNIA_SINK_BATCH_RECORDS') },
  lingerMs: { env: 'OMNIA_SINK_LINGER_MS', doc: 'How long a batch waits for more records before it is written; bounds the tables’ delay.', default: 50, parse: positiveInt('OMNIA_SINK_LINGER_MS') },
  port: { env: 'OMNIA_SINK_PORT', doc: 'Port of the sink’s /health and /metrics endpoints.', default: 9465, parse: positiveInt('OMNIA_SINK_PORT') },
  host: { env: 'OMNIA_SINK_HOST', doc: 'Address the health and metrics endpoints listen on.', default: '0.0.0.0', parse: text },
};

export const loadSinkConfig = (overrides: Partial<SinkConfig> = {}, env: NodeJS.ProcessEnv = process.env): SinkConfig => loadSettings(sinkSettings, overrides, env);
