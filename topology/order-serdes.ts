/**
 * The serdes of the order topology. Topic values follow each topic's configured wire format (avro/config.ts:
 * JSON by default, Avro, or Confluent with a schema registry). Store values are single-object Avro, readable
 * across schema versions.
 *
 * One deliberate exception: order.create.v1 and order.update.v1 in JSON are decoded as plain JSON objects,
 * not checked against the schema on the way in. The validate and update stages are the schema check there,
 * and they report *every* broken rule with its own code (a missing OrderID is INVALID_ORDER_ID, a Quantity of
 * "2" is INVALID_LINE); a decoder that refused the record first would only ever say MALFORMED_RECORD.
 */
import type { SerdeConfig } from '../avro/config.js';
import { formatFor } from '../avro/config.js';
import type { RecordTypeName } from '../avro/schema-loader.js';
import { serdeFor, storeSerde } from '../avro/serdes.js';
import { jsonSerde, type Serde } from '../serdes/serde.js';
import type { OrderSerdes } from './order-topology.js';
import { Stores, TOPIC_RECORD_TYPES, Topics } from './topics.js';

const VALIDATED_BY_STAGE = new Set<string>([Topics.orderCreate, Topics.orderUpdate]);

/** Plain JSON that must be an object: anything else is undecodable (MALFORMED_RECORD). */
function jsonObjectSerde(topic: string): Serde<unknown> {
  const json = jsonSerde<unknown>();
  return {
    serialize: json.serialize,
    deserialize: (bytes) => {
      const value = json.deserialize(bytes);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`a ${topic} value must be a JSON object`);
      return value;
    },
  };
}

const STORE_TYPES: Readonly<Record<string, RecordTypeName>> = {
  [Stores.orders]: 'OrderState',
  [Stores.inventory]: 'InventoryCounter',
  [Stores.returns]: 'ReturnsState',
};

/** Serdes for the topology; `topicPrefix` as in OrderConfig (the registry subject is the prefixed topic's). */
export function orderSerdes(config: SerdeConfig, topicPrefix = ''): OrderSerdes {
  const topics = new Map<string, Serde<unknown>>();
  const stores = new Map<string, Serde<unknown>>();
  return {
    topic(topic) {
      let serde = topics.get(topic);
      if (!serde) {
        const type = TOPIC_RECORD_TYPES[topic];
        if (!type) throw new Error(`no record type is declared for topic ${topic}`);
        const name = topicPrefix + topic;
        serde =
          VALIDATED_BY_STAGE.has(topic) && formatFor(name, config) === 'json'
            ? jsonObjectSerde(name)
            : (serdeFor(name, type, config) as Serde<unknown>);
        topics.set(topic, serde);
      }
      return serde;
    },
    store(store) {
      let serde = stores.get(store);
      if (!serde) {
        const type = STORE_TYPES[store];
        if (!type) throw new Error(`no record type is declared for store ${store}`);
        serde = storeSerde(store, type) as Serde<unknown>;
        stores.set(store, serde);
      }
      return serde;
    },
  };
}
