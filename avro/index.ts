/** The record schemas and their serdes: what processors, sinks and tools import. */
export { avroSerde, jsonOrConfluentSerde, jsonSerde, recordDecoder, serdeFor, singleObjectSerde, storeSerde } from './serdes.js';
export {
  formatFor,
  prepareSerdes,
  serdeConfig,
  serdeConfigFromEnv,
  serdeSettings,
  topicFormatVariable,
  WIRE_FORMATS,
  type SerdeConfig,
  type WireFormat,
} from './config.js';
export { CONFLUENT_HEADER_SIZE, CONFLUENT_MAGIC_BYTE, ConfluentRegistry, type ConfluentRegistryOptions } from './confluent.js';
export { RecordDecodeError, RecordEncodeError, SchemaNotReadyError } from './errors.js';
export { avroType, RECORD_TYPES, schemaDefinition, schemaVersions, type RecordTypeName } from './schema-loader.js';
export { TOPIC_CATALOGUE, TOPIC_RECORD_TYPES, Topics, type TopicName } from './topic-catalogue.js';
export type * from './generated/records.js';
