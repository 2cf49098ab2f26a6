/** The notification connector's settings, defined in `settings/registry.ts` (section `notify`). */
import { notifySection } from '../../settings/registry.js';
import { loadSettings } from '../../settings/setting.js';
import type { QuietWindow } from './quiet-hours.js';
import type { Language } from './templates.js';

export interface NotifyConfig {
  smsUrl: string | undefined;
  smsToken: string | undefined;
  lineUrl: string | undefined;
  lineToken: string | undefined;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  jitter: number;
  breakerFailureRate: number;
  breakerCoolDownMs: number;
  maxConcurrentCalls: number;
  quietHours: QuietWindow | null;
  defaultLanguage: Language;
  maxAgeHours: number;
  maxPending: number;
  group: string | undefined;
  port: number;
  host: string;
}

export const notifySettings = notifySection;

export const loadNotifyConfig = (overrides: Partial<NotifyConfig> = {}, env: NodeJS.ProcessEnv = process.env): NotifyConfig =>
  loadSettings(notifySettings, overrides, env);

/** The retry and breaker settings as delivery.ts takes them. */
export const resilienceOf = (config: NotifyConfig) => ({
  retry: { attempts: config.attempts, baseDelayMs: config.backoffMs, maxDelayMs: config.backoffMaxMs, jitter: config.jitter },
  breaker: { failureRate: config.breakerFailureRate, coolDownMs: config.breakerCoolDownMs },
});
