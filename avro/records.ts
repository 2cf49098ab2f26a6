/**
 * The record types, generated from `avro/schemas/*.avsc` into `avro/generated/records.ts` (`npm run generate:types`;
 * see avro/README.md, *Record types*). Re-exported under the path the rest of the code imports them from.
 */
export type * from './generated/records.js';
