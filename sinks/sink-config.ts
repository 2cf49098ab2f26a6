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
}

export const sinkSettings = sinkSection;

export const loadSinkConfig = (overrides: Partial<SinkConfig> = {}, env: NodeJS.ProcessEnv = process.env): SinkConfig =>
  loadSettings(sinkSettings, overrides, env);
