/**
 * An immutable record flowing through the topology. `withKey`/`withValue` return a new record whose type
 * follows the change, so a processor can never mutate what another one holds.
 */
export type Headers = { readonly [name: string]: string };

export class Record<K, V> {
  constructor(
    readonly key: K,
    readonly value: V,
    /** Event time in epoch milliseconds. */
    readonly timestamp: number,
    readonly headers: Headers = {},
  ) {
    Object.freeze(this);
  }

  withKey<K2>(key: K2): Record<K2, V> {
    return new Record(key, this.value, this.timestamp, this.headers);
  }

  withValue<V2>(value: V2): Record<K, V2> {
    return new Record(this.key, value, this.timestamp, this.headers);
  }

  withTimestamp(timestamp: number): Record<K, V> {
    return new Record(this.key, this.value, timestamp, this.headers);
  }

  withHeaders(headers: Headers): Record<K, V> {
    return new Record(this.key, this.value, this.timestamp, headers);
  }
}

/** Where a record came from; known for records read from a topic, absent for punctuator output. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}
