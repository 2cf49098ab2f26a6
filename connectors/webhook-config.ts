/** The webhook ingress's settings, defined in `settings/registry.ts`. */
import { webhookSection } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export const PARTNERS = ['slick', 'grab', 'pmp'] as const;
export type Partner = (typeof PARTNERS)[number];

export interface WebhookConfig {
  slickSecret: string | undefined;
  grabSecret: string | undefined;
  pmpSecret: string | undefined;
  port: number;
  host: string;
  toleranceSeconds: number;
  nonceCapacity: number;
  nonceRedisUrl: string | undefined;
  bodyLimitBytes: number;
  produceTimeoutMs: number;
}

export const webhookSettings = webhookSection;

export const loadWebhookConfig = (overrides: Partial<WebhookConfig> = {}, env: NodeJS.ProcessEnv = process.env): WebhookConfig =>
  loadSettings(webhookSettings, overrides, env);

/** Every partner's secret, or an error naming each variable that is unset. */
export function partnerSecrets(config: WebhookConfig): Record<Partner, string> {
  const secrets = { slick: config.slickSecret, grab: config.grabSecret, pmp: config.pmpSecret };
  const missing = PARTNERS.filter((partner) => !secrets[partner]).map((partner) => webhookSettings[`${partner}Secret`].env);
  if (missing.length) throw new Error(`webhook ingress needs a secret per partner: set ${missing.join(', ')}`);
  return secrets as Record<Partner, string>;
}
