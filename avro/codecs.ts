/**
 * The encode/decode steps every serde shares. Each failure becomes a RecordDecodeError / RecordEncodeError naming
 * where the bytes were (topic or store), the record type, the format and the offending field.
 */
import type { Resolver, Type } from 'avsc';
import { describeInvalid, nullsAsDefaults } from './schema-walk.js';
import { RecordDecodeError, RecordEncodeError } from './errors.js';
import { utf8Text } from '../serdes/serde.js';

/** Names used in messages. */
export const Formats = {
  json: 'JSON',
  avro: 'Avro binary',
  confluent: 'Confluent-framed Avro',
  singleObject: 'single-object Avro',
} as const;

export interface Target {
  /** Topic (or store) the bytes belong to, for messages. */
  where: string;
  /** Short record type name, for messages. */
  recordType: string;
  type: Type;
}

/**
 * A value of the schema, ready to write. Avro: the value itself when it already is one (no copy on the hot path).
 * JSON (`canonical`): always a copy in schema field order with every field present, so the JSON text does not
 * depend on how the producer built the object and equals what an Avro round trip gives. A copy fills defaults of
 * missing fields (also for null in a non-nullable field with a default) and drops undeclared fields; a value that
 * still does not fit is an error saying which field is wrong.
 */
export function conform(target: Target, value: unknown, format: string, canonical: boolean): unknown {
  if (!canonical && target.type.isValid(value)) return value;
  try {
    return target.type.clone(value);
  } catch {
    const relaxed = nullsAsDefaults(target.type, value);
    try {
      if (relaxed !== value) return target.type.clone(relaxed);
    } catch {
      // described below
    }
    throw new RecordEncodeError(target.where, target.recordType, format, describeInvalid(target.type, relaxed).join('; '));
  }
}

export function encodeAvro(target: Target, value: unknown, format: string = Formats.avro): Buffer {
  return target.type.toBuffer(conform(target, value, format, false));
}

/** Avro binary body → value of the target type; `resolver` when the bytes were written with another schema. */
export function decodeAvro<T>(target: Target, body: Buffer, format: string = Formats.avro, resolver?: Resolver): T {
  try {
    return target.type.fromBuffer(body, resolver) as T;
  } catch (error) {
    throw new RecordDecodeError(target.where, target.recordType, format, (error as Error).message);
  }
}

export function encodeJson(target: Target, value: unknown): Buffer {
  return Buffer.from(JSON.stringify(conform(target, value, Formats.json, true)), 'utf8');
}

/**
 * UTF-8 JSON → value of the target type, with what Avro would give for the same record: missing fields that have
 * a default get it (so does null in a non-nullable field with a default), undeclared fields are dropped (a newer
 * producer's additions), anything else wrong is an error.
 */
export function decodeJson<T>(target: Target, bytes: Buffer): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Text(bytes));
  } catch (error) {
    throw new RecordDecodeError(target.where, target.recordType, Formats.json, `not valid JSON (${(error as Error).message})`);
  }
  return decodeObject<T>(target, parsed);
}

/**
 * A parsed JSON value → value of the target type, as `decodeJson` reads it: the record a stage gets when the
 * topic's serde decodes JSON. For values that arrived as plain objects (see topology/order-serdes.ts) once a stage
 * has checked them.
 */
export function decodeObject<T>(target: Target, parsed: unknown): T {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RecordDecodeError(
      target.where,
      target.recordType,
      Formats.json,
      `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)?.slice(0, 60)}`,
    );
  }
  try {
    return target.type.clone(parsed) as T;
  } catch {
    // Off the happy path: accept null for "none" where the schema has a default, else say what is wrong.
    const relaxed = nullsAsDefaults(target.type, parsed);
    try {
      if (relaxed !== parsed) return target.type.clone(relaxed) as T;
    } catch {
      // described below
    }
    throw new RecordDecodeError(target.where, target.recordType, Formats.json, describeInvalid(target.type, relaxed).join('; '));
  }
}
