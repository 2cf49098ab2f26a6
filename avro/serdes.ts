/**
 * Serdes of the order records, as the runtime's `Serde<T>`. Processors call `serdeFor(topic, recordType, config)`
 * for topic values and `storeSerde(store, recordType)` for state-store values.
 *
 * Every deserialize throws RecordDecodeError on bytes it cannot read (the runtime dead-letters the record as
 * MALFORMED_RECORD with the message); every serialize throws RecordEncodeError on a value that does not fit the schema.
 */
import type { Serde } from '../serdes/serde.js';
import { decodeAvro, decodeJson, decodeObject, encodeAvro, encodeJson, Formats, type Target } from './codecs.js';
import { formatFor, type SerdeConfig } from './config.js';
import { CONFLUENT_MAGIC_BYTE, type ConfluentRegistry } from './confluent.js';
import { RecordDecodeError } from './errors.js';
import { schemaFingerprint, SINGLE_OBJECT_HEADER_SIZE, SINGLE_OBJECT_MAGIC, singleObjectHeader } from './fingerprint.js';
import type { RecordTypes } from './generated/records.js';
import { avroType, type RecordTypeName, schemaVersions } from './schema-loader.js';

function target(recordType: string, where: string): Target {
  const type = avroType(recordType);
  return { where, recordType: recordType.slice(recordType.lastIndexOf('.') + 1), type };
}

/**
 * Plain Avro binary of the current schema (avsc `Type.forSchema`), no header. Reader and writer must use the same
 * schema version: there is nothing in the bytes to resolve an older one with (use `confluent` across versions).
 */
export function avroSerde<T>(recordType: string, where: string = recordType): Serde<T> {
  const t = target(recordType, where);
  return {
    serialize: (value) => encodeAvro(t, value),
    deserialize: (bytes) => decodeAvro<T>(t, bytes),
  };
}

/**
 * UTF-8 JSON checked against the schema: decoding fills defaults of missing fields and drops undeclared ones, so
 * a JSON record reads exactly as its Avro twin would; encoding refuses a value the schema would refuse.
 */
export function jsonSerde<T>(recordType: string, where: string = recordType): Serde<T> {
  const t = target(recordType, where);
  return {
    serialize: (value) => encodeJson(t, value),
    deserialize: (bytes) => decodeJson<T>(t, bytes),
  };
}

/**
 * Reads a plain object (already parsed JSON) as the JSON serde of `recordType` would: missing fields get their
 * defaults (so does null in a non-nullable field with a default), undeclared fields are dropped. A stage that takes
 * a topic's values as plain objects, to report every broken rule itself (topology/order-serdes.ts), turns the
 * values it accepted into records with it. Throws RecordDecodeError, naming `where`, when a value does not fit.
 */
export function recordDecoder<K extends RecordTypeName>(recordType: K, where: string = recordType): (value: unknown) => RecordTypes[K] {
  const t = target(recordType, where);
  return (value) => decodeObject<RecordTypes[K]>(t, value);
}

/**
 * Decodes either JSON or Confluent-framed Avro, told apart by the first byte: Confluent framing starts with the
 * magic byte 0, which JSON text never does. Encodes Confluent-framed when a registry is given, JSON otherwise.
 * For input topics fed by both kinds of producer (a JSON webhook bridge next to an Avro producer). Plain Avro
 * cannot be recognised this way and is not accepted.
 */
export function jsonOrConfluentSerde<T>(topic: string, recordType: string, registry: ConfluentRegistry | null): Serde<T> {
  const json = jsonSerde<T>(recordType, topic);
  const framed = registry ? registry.serde<T>(topic, recordType) : null;
  return {
    serialize: (value) => (framed ? framed.serialize(value) : json.serialize(value)),
    deserialize: (bytes) => {
      if (bytes.length === 0 || bytes[0] !== CONFLUENT_MAGIC_BYTE) return json.deserialize(bytes);
      if (!framed) {
        throw new RecordDecodeError(
          topic,
          target(recordType, topic).recordType,
          'JSON or Confluent-framed Avro',
          'starts with magic byte 0 (Confluent-framed Avro) but no schema registry is configured (SCHEMA_REGISTRY_URL)',
        );
      }
      return framed.deserialize(bytes);
    },
  };
}

/**
 * The serde of a topic's values in the format configured for it (see `avro/config.ts`). A `confluent` or `auto`
 * serde is usable once `prepareSerdes(config)` has resolved; build the topology first, then prepare, then start.
 */
export function serdeFor<K extends RecordTypeName, T = RecordTypes[K]>(topic: string, recordType: K, config: SerdeConfig): Serde<T> {
  const format = formatFor(topic, config);
  switch (format) {
    case 'json':
      return jsonSerde<T>(recordType, topic);
    case 'avro':
      return avroSerde<T>(recordType, topic);
    case 'auto':
      return jsonOrConfluentSerde<T>(topic, recordType, config.registry);
    case 'confluent':
      if (!config.registry) throw new Error(`${topic}: format confluent needs a schema registry (SCHEMA_REGISTRY_URL)`);
      return config.registry.serde<T>(topic, recordType);
  }
}

/**
 * Avro single-object encoding (C3 01, the schema's CRC-64-AVRO fingerprint, Avro binary): compact and
 * self-describing without a registry. Decoding reads data written with any version of the schema in
 * `avro/schemas/history/` or the current one, so a state store or changelog written before a schema change stays
 * readable after it. Unknown fingerprints (a newer or foreign schema) are refused, naming the fingerprint.
 */
export function singleObjectSerde<T>(recordType: string, where: string = recordType): Serde<T> {
  const t = target(recordType, where);
  const header = singleObjectHeader(t.type);
  const readers = new Map(
    schemaVersions(recordType).map(({ version, type }) => [
      schemaFingerprint(type),
      { version, resolver: type.equals(t.type) ? undefined : t.type.createResolver(type) },
    ]),
  );
  const known = () => [...readers].map(([fp, { version }]) => `v${version} ${fp.toString(16).padStart(16, '0')}`).join(', ');
  return {
    serialize: (value) => {
      const body = encodeAvro(t, value, Formats.singleObject);
      const out = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_SIZE + body.length);
      header.copy(out, 0);
      body.copy(out, SINGLE_OBJECT_HEADER_SIZE);
      return out;
    },
    deserialize: (bytes) => {
      if (bytes.length < SINGLE_OBJECT_HEADER_SIZE || bytes[0] !== SINGLE_OBJECT_MAGIC[0] || bytes[1] !== SINGLE_OBJECT_MAGIC[1]) {
        throw new RecordDecodeError(
          where,
          t.recordType,
          Formats.singleObject,
          `missing the C3 01 header and 8-byte schema fingerprint (${bytes.length} bytes)`,
        );
      }
      const fingerprint = bytes.readBigUInt64LE(2);
      const reader = readers.get(fingerprint);
      if (!reader) {
        throw new RecordDecodeError(
          where,
          t.recordType,
          Formats.singleObject,
          `schema fingerprint ${fingerprint.toString(16).padStart(16, '0')} is not a known version (known: ${known()})`,
        );
      }
      return decodeAvro<T>(t, bytes.subarray(SINGLE_OBJECT_HEADER_SIZE), Formats.singleObject, reader.resolver);
    },
  };
}

/**
 * Serde of a state-store value: single-object Avro (default; survives schema evolution, see `singleObjectSerde`)
 * or JSON (readable with any tool; missing fields get their defaults, so it evolves the same way).
 */
export function storeSerde<K extends RecordTypeName, T = RecordTypes[K]>(
  store: string,
  recordType: K,
  format: 'avro' | 'json' = 'avro',
): Serde<T> {
  return format === 'json' ? jsonSerde<T>(recordType, store) : singleObjectSerde<T>(recordType, store);
}
