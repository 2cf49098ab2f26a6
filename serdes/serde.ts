/** Turns values into bytes and back. `deserialize` throws on bytes it cannot read (the record is dead-lettered). */
export interface Serde<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
}

export const bufferSerde: Serde<Buffer> = {
  serialize: (value) => value,
  deserialize: (bytes) => bytes,
};

export const stringSerde: Serde<string> = {
  serialize: (value) => Buffer.from(value, 'utf8'),
  deserialize: (bytes) => bytes.toString('utf8'),
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 text, refusing bytes that are not UTF-8: decoded leniently they would become U+FFFD and pass for a
 * different, valid value (an OrderID that no producer sent).
 */
export function utf8Text(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new Error('not valid UTF-8');
  }
}

/** JSON objects; anything that is not valid UTF-8 JSON fails to deserialize. */
export function jsonSerde<T>(): Serde<T> {
  return {
    serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    deserialize: (bytes) => JSON.parse(utf8Text(bytes)) as T,
  };
}

/** Signed 64-bit big-endian integers as JS numbers (safe-integer range), as Kafka's LongSerde writes them. */
export const int64Serde: Serde<number> = {
  serialize: (value) => {
    const out = Buffer.allocUnsafe(8);
    out.writeBigInt64BE(BigInt(value));
    return out;
  },
  deserialize: (bytes) => {
    if (bytes.length !== 8) throw new Error(`expected 8 bytes for an int64, got ${bytes.length}`);
    return Number(bytes.readBigInt64BE());
  },
};

/** A decoded value together with the bytes it was decoded from (e.g. to recognise byte-identical redeliveries). */
export interface WithBytes<T> {
  readonly bytes: Buffer;
  readonly value: T;
}

export function withBytes<T>(serde: Serde<T>): Serde<WithBytes<T>> {
  return {
    serialize: ({ value }) => serde.serialize(value),
    deserialize: (bytes) => ({ bytes, value: serde.deserialize(bytes) }),
  };
}
