/**
 * Which wire format each topic uses, from the environment. Every variable is listed in `serdeSettings` with its
 * meaning; a bad value refuses to start with a message naming the variable.
 *
 * Precedence for a topic: `OMNIA_FORMAT_<TOPIC>` if set; else `OMNIA_FORMAT` if set; else `confluent` when
 * `SCHEMA_REGISTRY_URL` is set; else `json` (so upstream JSON producers work with no setup).
 */
import { COMPATIBILITY_LEVELS, type Compatibility, ConfluentRegistry, type ConfluentRegistryOptions } from './confluent.js';
import { Topics } from './topic-catalogue.js';

/**
 * - `json`: UTF-8 JSON, the record's JSON view, checked against its schema.
 * - `avro`: plain Avro binary of the current schema, no framing (reader and writer must share the schema version).
 * - `confluent`: Confluent wire format with the schema registry (magic byte 0, schema id, Avro binary).
 * - `auto`: decodes JSON or Confluent-framed Avro, told apart by the first byte (0 cannot start JSON); encodes
 *   Confluent-framed with a registry, else JSON. For inputs fed by producers of both kinds.
 */
export const WIRE_FORMATS = ['json', 'avro', 'confluent', 'auto'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

export interface SerdeConfig {
  /** Format of topics without their own setting. */
  defaultFormat: WireFormat;
  /** Per-topic formats, keyed by `topicKey(topic)`. */
  topicFormats: ReadonlyMap<string, WireFormat>;
  /** The schema registry session, when a registry URL is configured. Await `prepareSerdes` before use. */
  registry: ConfluentRegistry | null;
}

export const serdeSettings = {
  registryUrl: {
    env: 'SCHEMA_REGISTRY_URL',
    doc: 'Confluent Schema Registry base URL (credentials as https://user:secret@host). Set: topics default to the Confluent wire format.',
  },
  format: {
    env: 'OMNIA_FORMAT',
    doc: 'Wire format of every topic without its own setting: json, avro, confluent or auto. Default: confluent with a registry, else json.',
  },
  topicFormat: {
    env: 'OMNIA_FORMAT_<TOPIC>',
    doc: `Wire format of one topic; <TOPIC> is the topic name upper-cased with every other character as _ (${Topics.orderCreate} → OMNIA_FORMAT_${topicKey(Topics.orderCreate)}).`,
  },
  autoRegister: {
    env: 'OMNIA_SCHEMA_AUTO_REGISTER',
    doc: 'true (default): register our schema under a subject that lacks it, at startup. false: only look it up; encoding to such a subject then fails.',
  },
  compatibility: {
    env: 'OMNIA_SCHEMA_COMPATIBILITY',
    doc: 'Compatibility level we register under (default BACKWARD): set on a subject without its own level; a subject with another level refuses our registration, so match it here.',
  },
} as const;

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
export function serdeConfigFromEnv(env: NodeJS.ProcessEnv = process.env, registryOptions: Partial<ConfluentRegistryOptions> = {}): SerdeConfig {
  const url = env[serdeSettings.registryUrl.env] || undefined;
  if (url !== undefined) {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error(`${serdeSettings.registryUrl.env} must be an http(s) URL, got "${url}"`);
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`${serdeSettings.registryUrl.env} must be an http(s) URL, got "${url}"`);
  }
  const autoRegisterRaw = env[serdeSettings.autoRegister.env] || 'true';
  if (autoRegisterRaw !== 'true' && autoRegisterRaw !== 'false') {
    throw new Error(`${serdeSettings.autoRegister.env} must be true or false, got "${autoRegisterRaw}"`);
  }
  const compatibilityRaw = env[serdeSettings.compatibility.env] || 'BACKWARD';
  if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(compatibilityRaw)) {
    throw new Error(`${serdeSettings.compatibility.env} must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got "${compatibilityRaw}"`);
  }
  const registry =
    url === undefined
      ? null
      : new ConfluentRegistry({ url, autoRegister: autoRegisterRaw === 'true', compatibility: compatibilityRaw as Compatibility, ...registryOptions });

  const formatRaw = env[serdeSettings.format.env] || undefined;
  const defaultFormat = formatRaw === undefined ? (registry ? 'confluent' : 'json') : parseFormat(serdeSettings.format.env, formatRaw);
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
  if (!(WIRE_FORMATS as readonly string[]).includes(value)) throw new Error(`${variable} must be one of ${WIRE_FORMATS.join(', ')}, got "${raw}"`);
  return value as WireFormat;
}

function checkRegistry(config: SerdeConfig, why: string): void {
  if (config.registry) return;
  const confluent = [...config.topicFormats].filter(([, format]) => format === 'confluent').map(([key]) => `${TOPIC_FORMAT_PREFIX}${key}`);
  if (config.defaultFormat === 'confluent') confluent.unshift(serdeSettings.format.env);
  if (confluent.length) throw new Error(`${confluent.join(', ')} = confluent needs a schema registry (${why})`);
}
