/** The webhook ingress's settings, defined in `settings/registry.ts`. */
import { webhookSection } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export const PARTNERS = ['slick', 'grab', 'pmp'] as const;
export type Partner = (typeof PARTNERS)[number];

export interface WebhookConfig {
  slickSecret: string | undefined;
  slickSecretPrevious: string | undefined;
  grabSecret: string | undefined;
  grabSecretPrevious: string | undefined;
  pmpSecret: string | undefined;
  pmpSecretPrevious: string | undefined;
  port: number;
  host: string;
  toleranceSeconds: number;
  nonceCapacity: number;
  nonceRedisUrl: string | undefined;
  bodyLimitBytes: number;
  produceTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * A partner's signing secrets: the current one, and during a rotation the previous one, still accepted until
 * the partner has moved over (`omnia_webhook_accepted_total{secret="previous"}` stays at 0).
 */
export interface PartnerSecrets {
  readonly current: string;
  readonly previous?: string;
}

export const webhookSettings = webhookSection;

export const loadWebhookConfig = (overrides: Partial<WebhookConfig> = {}, env: NodeJS.ProcessEnv = process.env): WebhookConfig =>
  loadSettings(webhookSettings, overrides, env);

/** Every partner's secrets, or an error naming each current secret that is unset. */
export function partnerSecrets(config: WebhookConfig): Record<Partner, PartnerSecrets> {
  const missing = PARTNERS.filter((partner) => !config[`${partner}Secret`]).map((partner) => webhookSettings[`${partner}Secret`].env);
  if (missing.length) throw new Error(`webhook ingress needs a secret per partner: set ${missing.join(', ')}`);
  const secrets = (partner: Partner): PartnerSecrets => {
    const previous = config[`${partner}SecretPrevious`];
    return { current: config[`${partner}Secret`]!, ...(previous ? { previous } : {}) };
  };
  return { slick: secrets('slick'), grab: secrets('grab'), pmp: secrets('pmp') };
}
