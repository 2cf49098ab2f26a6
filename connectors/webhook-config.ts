/** The webhook ingress's settings: environment variable, default, meaning and validation, as the runtime's. */
import { loadSettings, optionalText, positiveInt, type Setting, text } from '../runtime/config.js';

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

export const webhookSettings: { [K in keyof WebhookConfig]: Setting<WebhookConfig[K]> } = {
  slickSecret: { env: 'OMNIA_SLICK_WEBHOOK_SECRET', doc: 'HMAC secret Slick signs ship-event webhooks with (required to start; use ≥ 32 random bytes).', default: undefined, parse: optionalText },
  grabSecret: { env: 'OMNIA_GRAB_WEBHOOK_SECRET', doc: 'HMAC secret Grab signs delivery-status webhooks with (required to start).', default: undefined, parse: optionalText },
  pmpSecret: { env: 'OMNIA_PMP_WEBHOOK_SECRET', doc: 'HMAC secret PMP signs delivered / cash-collected webhooks with (required to start).', default: undefined, parse: optionalText },
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
    doc: 'Most nonces remembered at once (about 250 bytes each); when full, new requests get 503 until old nonces expire.',
    default: 500_000,
    parse: positiveInt('OMNIA_WEBHOOK_NONCE_CAPACITY'),
  },
  nonceRedisUrl: {
    env: 'OMNIA_WEBHOOK_NONCE_REDIS_URL',
    doc: 'Redis every ingress replica remembers nonces in (redis://host:6379); unset, each process remembers its own, and a request replayed to another replica within the window passes.',
    default: undefined,
    parse: optionalText,
  },
  bodyLimitBytes: { env: 'OMNIA_WEBHOOK_BODY_LIMIT_BYTES', doc: 'Largest request body accepted (413 beyond).', default: 256 * 1024, parse: positiveInt('OMNIA_WEBHOOK_BODY_LIMIT_BYTES') },
  produceTimeoutMs: {
    env: 'OMNIA_WEBHOOK_PRODUCE_TIMEOUT_MS',
    doc: 'Longest wait for Kafka’s acks before answering 503 (the partner retries; a late write is then a duplicate EventID, ignored downstream).',
    default: 10_000,
    parse: positiveInt('OMNIA_WEBHOOK_PRODUCE_TIMEOUT_MS'),
  },
};

export const loadWebhookConfig = (overrides: Partial<WebhookConfig> = {}, env: NodeJS.ProcessEnv = process.env): WebhookConfig => loadSettings(webhookSettings, overrides, env);

/** Every partner's secret, or an error naming each variable that is unset. */
export function partnerSecrets(config: WebhookConfig): Record<Partner, string> {
  const secrets = { slick: config.slickSecret, grab: config.grabSecret, pmp: config.pmpSecret };
  const missing = PARTNERS.filter((partner) => !secrets[partner]).map((partner) => webhookSettings[`${partner}Secret`].env);
  if (missing.length) throw new Error(`webhook ingress needs a secret per partner: set ${missing.join(', ')}`);
  return secrets as Record<Partner, string>;
}
