/**
 * The stream runtime's settings, defined with every other setting in `settings/registry.ts`.
 * `loadConfig` reads the environment (or overrides), validates everything and refuses to start on a bad value.
 */
export type ProcessingGuarantee = 'exactly_once' | 'at_least_once';
import type { EngineKind } from '../state/engines.js';

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
import { loadSettings } from '../settings/setting.js';
import { runtimeSettings } from '../settings/registry.js';

export const settings = runtimeSettings;

export function loadConfig(overrides: Partial<RuntimeConfig> = {}, env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return loadSettings(settings, overrides, env);
}
