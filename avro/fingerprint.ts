import type { Type } from 'avsc';

/**
 * CRC-64-AVRO, the Rabin fingerprint of the Avro specification ("Schema Fingerprints"), over a schema's Parsing
 * Canonical Form. avsc only offers md5/sha256 fingerprints; single-object encoding needs this one.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
  return fp;
});

export function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  return fp;
}

/** Fingerprint of a type: avsc's `schema()` without options is the Parsing Canonical Form. */
export function schemaFingerprint(type: Type): bigint {
  return rabin64(Buffer.from(JSON.stringify(type.schema()), 'utf8'));
}

/** Avro single-object encoding header: C3 01, then the fingerprint as 8 little-endian bytes. */
export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
export const SINGLE_OBJECT_HEADER_SIZE = 10;

export function singleObjectHeader(type: Type): Buffer {
  const header = Buffer.alloc(SINGLE_OBJECT_HEADER_SIZE);
  SINGLE_OBJECT_MAGIC.copy(header, 0);
  header.writeBigUInt64LE(schemaFingerprint(type), 2);
  return header;
}
