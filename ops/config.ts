/**
 * The operator commands' own settings (`omnia status`, `omnia dlq`, `omnia explain`), defined with every other
 * setting in `settings/registry.ts`. They also read the runtime's KAFKA_BROKERS and OMNIA_APPLICATION_ID, the
 * pipeline's OMNIA_TOPIC_PREFIX and COD settings, the wire formats, and DATABASE_URL: the same environment as the
 * replicas they look at.
 */
import { loadSettings } from '../settings/setting.js';
import { opsSection } from '../settings/registry.js';

export interface OpsConfig {
  /** DATABASE_URL: where `explain` finds an order's store, rejections and release when given. */
  databaseUrl: string | undefined;
  /** How long `status` waits for one replica's /metrics and /health/ready. */
  httpTimeoutMs: number;
  /** A partition this many records behind its end makes `status` warn. */
  lagWarnRecords: number;
  /** A replica with records waiting and no commit for this long is reported stuck. */
  commitStaleSeconds: number;
  /** Dead letters re-driven per transaction. */
  redriveBatch: number;
}

export const loadOpsConfig = (overrides: Partial<OpsConfig> = {}, env: NodeJS.ProcessEnv = process.env): OpsConfig =>
  loadSettings(opsSection, overrides, env);
