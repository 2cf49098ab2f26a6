import { TransientError } from '../runtime/errors.js';

/**
 * Bytes that are not a record of the expected type. The runtime dead-letters the record as MALFORMED_RECORD with
 * this message, so the message says where (topic or store), which record type, which format and what is wrong.
 */
export class RecordDecodeError extends Error {
  constructor(
    readonly where: string,
    readonly recordType: string,
    readonly format: string,
    readonly problem: string,
  ) {
    super(`${where}: cannot read ${format} ${recordType}: ${problem}`);
    this.name = 'RecordDecodeError';
  }
}

/** A value a processor produced that does not fit its schema (a bug upstream of the serde, never bad input). */
export class RecordEncodeError extends Error {
  constructor(
    readonly where: string,
    readonly recordType: string,
    readonly format: string,
    readonly problem: string,
  ) {
    super(`${where}: cannot write ${recordType} as ${format}: ${problem}`);
    this.name = 'RecordEncodeError';
  }
}

/**
 * A Confluent-framed record names a writer schema id this replica has not fetched yet. Its lookup has been started
 * in the background; the same bytes decode once it completes. Transient by nature (the record is fine), but see
 * `avro/README.md`: the runtime's decode step currently dead-letters every decode failure.
 */
export class SchemaNotReadyError extends TransientError {
  constructor(
    readonly where: string,
    readonly recordType: string,
    readonly schemaId: number,
  ) {
    super(
      `${where}: Confluent-framed ${recordType} written with schema id ${schemaId}, which this replica has not fetched yet ` +
        `(it was not registered under the subject at startup); fetching it now`,
    );
    this.name = 'SchemaNotReadyError';
  }
}
