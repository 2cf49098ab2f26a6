/** The Slick egress connector's settings, defined in `settings/registry.ts`. */
import { slickSection } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export interface SlickEgressConfig {
  baseUrl: string | undefined;
  token: string | undefined;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  jitter: number;
  breakerFailures: number;
  breakerCoolDownMs: number;
  maxConcurrentCalls: number;
  group: string | undefined;
  port: number;
  host: string;
}

export const slickEgressSettings = slickSection;

export const loadSlickEgressConfig = (
  overrides: Partial<SlickEgressConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): SlickEgressConfig => loadSettings(slickEgressSettings, overrides, env);
