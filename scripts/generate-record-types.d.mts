// Types of scripts/generate-record-types.mjs, for the test that checks avro/generated/records.ts is up to date.

/** avro/schemas/ */
export const SCHEMA_DIR: string;
/** avro/generated/records.ts */
export const OUTPUT_FILE: string;
/** The command that regenerates OUTPUT_FILE: `npm run generate:types`. */
export const GENERATE_COMMAND: string;
/** The text of avro/generated/records.ts for the `.avsc` files in `schemaDir` (default SCHEMA_DIR). */
export function generateRecordTypes(schemaDir?: string): string;
