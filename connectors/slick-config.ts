/** The Slick egress connector's settings: environment variable, default, meaning and validation, as the runtime's. */
import { loadSettings, optionalText, positiveInt, type Setting, text } from '../runtime/config.js';
import { DEFAULT_MAX_CONCURRENT_CALLS } from './slick-client.js';

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

const fraction = (name: string) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${name} must be a number within [0, 1], got "${raw}"`);
  return value;
};

export const slickEgressSettings: { [K in keyof SlickEgressConfig]: Setting<SlickEgressConfig[K]> } = {
  baseUrl: { env: 'SLICK_BASE_URL', doc: 'Base URL of Slick’s REST API (https://slick.example.com); the connector posts to /v1/releases and /v1/collections under it.', default: undefined, parse: optionalText },
  token: { env: 'SLICK_TOKEN', doc: 'Bearer token for Slick.', default: undefined, parse: optionalText },
  timeoutMs: { env: 'SLICK_TIMEOUT_MS', doc: 'How long one call waits for Slick’s answer.', default: 30_000, parse: positiveInt('SLICK_TIMEOUT_MS') },
  attempts: { env: 'SLICK_ATTEMPTS', doc: 'Attempts in one round; a round given up is recorded (GAVE_UP) and started again after the longest backoff: a release is never dropped.', default: 3, parse: positiveInt('SLICK_ATTEMPTS') },
  backoffMs: { env: 'SLICK_BACKOFF_MS', doc: 'First retry delay; doubled after each failure (1 s, 2 s, 4 s).', default: 1_000, parse: positiveInt('SLICK_BACKOFF_MS') },
  backoffMaxMs: { env: 'SLICK_BACKOFF_MAX_MS', doc: 'Longest retry delay.', default: 30_000, parse: positiveInt('SLICK_BACKOFF_MAX_MS') },
  jitter: { env: 'SLICK_BACKOFF_JITTER', doc: 'Spread of each delay as a fraction of it: 0.2 draws from 80 %–120 %.', default: 0.2, parse: fraction('SLICK_BACKOFF_JITTER') },
  breakerFailures: { env: 'SLICK_BREAKER_FAILURES', doc: 'Consecutive failed calls that open the circuit breaker.', default: 5, parse: positiveInt('SLICK_BREAKER_FAILURES') },
  breakerCoolDownMs: { env: 'SLICK_BREAKER_COOLDOWN_MS', doc: 'How long the circuit stays open before one probe call.', default: 30_000, parse: positiveInt('SLICK_BREAKER_COOLDOWN_MS') },
  maxConcurrentCalls: {
    env: 'SLICK_MAX_CONCURRENT_CALLS',
    doc: 'Most calls in flight to Slick at once (a bulkhead); more wait their turn. Partitions (Kafka) or stores (embedded) are delivered concurrently, one record each.',
    default: DEFAULT_MAX_CONCURRENT_CALLS,
    parse: positiveInt('SLICK_MAX_CONCURRENT_CALLS'),
  },
  group: { env: 'OMNIA_SLICK_GROUP', doc: 'Consumer group of the connector; default <OMNIA_APPLICATION_ID>-slick-egress.', default: undefined, parse: optionalText },
  port: { env: 'OMNIA_SLICK_PORT', doc: 'Port of the connector’s /health and /metrics endpoints.', default: 9466, parse: positiveInt('OMNIA_SLICK_PORT') },
  host: { env: 'OMNIA_SLICK_HOST', doc: 'Address the health and metrics endpoints listen on.', default: '0.0.0.0', parse: text },
};

export const loadSlickEgressConfig = (overrides: Partial<SlickEgressConfig> = {}, env: NodeJS.ProcessEnv = process.env): SlickEgressConfig =>
  loadSettings(slickEgressSettings, overrides, env);
