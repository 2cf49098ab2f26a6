/**
 * Which wire format each topic uses, from the environment. Every variable is listed in `serdeSettings` with its
 * meaning; a bad value refuses to start with a message naming the variable.
 *
 * Precedence for a topic: `OMNIA_FORMAT_<TOPIC>` if set; else `OMNIA_FORMAT` if set; else `confluent` when
 * `SCHEMA_REGISTRY_URL` is set; else `json` (so upstream JSON producers work with no setup).
 */
import { ConfluentRegistry, type ConfluentRegistryOptions } from './confluent.js';

/**
 * - `json`: UTF-8 JSON, the record's JSON view, checked against its schema.
 * - `avro`: plain Avro binary of the current schema, no framing (reader and writer must share the schema version).
 * - `confluent`: Confluent wire format with the schema registry (magic byte 0, schema id, Avro binary).
 * - `auto`: decodes JSON or Confluent-framed Avro, told apart by the first byte (0 cannot start JSON); encodes
 *   Confluent-framed with a registry, else JSON. For inputs fed by producers of both kinds.
 */
export { WIRE_FORMATS, type WireFormat } from '../settings/registry.js';
import { serdeSettings, WIRE_FORMATS, type WireFormat } from '../settings/registry.js';
import { loadSettings } from '../settings/setting.js';

export interface SerdeConfig {
  /** Format of topics without their own setting. */
  defaultFormat: WireFormat;
  /** Per-topic formats, keyed by `topicKey(topic)`. */
  topicFormats: ReadonlyMap<string, WireFormat>;
  /** The schema registry session, when a registry URL is configured. Await `prepareSerdes` before use. */
  registry: ConfluentRegistry | null;
}

export { serdeSettings };

const TOPIC_FORMAT_PREFIX = 'OMNIA_FORMAT_';

/** `order.create.v1` → `ORDER_CREATE_V1`, the suffix of its format variable. */
export function topicKey(topic: string): string {
  return topic.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variable that sets a topic's format, e.g. `OMNIA_FORMAT_ORDER_CREATE_V1`. */
export function topicFormatVariable(topic: string): string {
  return `${TOPIC_FORMAT_PREFIX}${topicKey(topic)}`;
}

export function formatFor(topic: string, config: SerdeConfig): WireFormat {
  return config.topicFormats.get(topicKey(topic)) ?? config.defaultFormat;
}

/** A config from code (tests, tools): per-topic formats keyed by topic name. */
export function serdeConfig(options: {
  defaultFormat?: WireFormat;
  topicFormats?: Readonly<Record<string, WireFormat>>;
  registry?: ConfluentRegistry | null;
}): SerdeConfig {
  const registry = options.registry ?? null;
  const topicFormats = new Map(Object.entries(options.topicFormats ?? {}).map(([topic, format]) => [topicKey(topic), format] as const));
  const config: SerdeConfig = { defaultFormat: options.defaultFormat ?? (registry ? 'confluent' : 'json'), topicFormats, registry };
  checkRegistry(config, 'no registry given');
  return config;
}

/** Reads and validates the serde settings; throws, naming the variable, on a bad value. */
export function serdeConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  registryOptions: Partial<ConfluentRegistryOptions> = {},
): SerdeConfig {
  const { registryUrl: url, format, autoRegister, compatibility } = loadSettings(serdeSettings, {}, env);
  const registry = url === undefined ? null : new ConfluentRegistry({ url, autoRegister, compatibility, ...registryOptions });
  const defaultFormat = format ?? (registry ? 'confluent' : 'json');
  const topicFormats = new Map<string, WireFormat>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(TOPIC_FORMAT_PREFIX) || !raw) continue;
    topicFormats.set(name.slice(TOPIC_FORMAT_PREFIX.length), parseFormat(name, raw));
  }
  const config: SerdeConfig = { defaultFormat, topicFormats, registry };
  checkRegistry(config, `${serdeSettings.registryUrl.env} is not set`);
  return config;
}

/** Starts the registry session: registers / fetches the schemas of every Confluent serde made so far. */
export async function prepareSerdes(config: SerdeConfig): Promise<void> {
  await config.registry?.prepare();
}

function parseFormat(variable: string, raw: string): WireFormat {
  const value = raw.trim().toLowerCase();
  if (!(WIRE_FORMATS as readonly string[]).includes(value))
    throw new Error(`${variable} must be one of ${WIRE_FORMATS.join(', ')}, got "${raw}"`);
  return value as WireFormat;
}

function checkRegistry(config: SerdeConfig, why: string): void {
  if (config.registry) return;
  const confluent = [...config.topicFormats].filter(([, format]) => format === 'confluent').map(([key]) => `${TOPIC_FORMAT_PREFIX}${key}`);
  if (config.defaultFormat === 'confluent') confluent.unshift(serdeSettings.format.env);
  if (confluent.length) throw new Error(`${confluent.join(', ')} = confluent needs a schema registry (${why})`);
}
