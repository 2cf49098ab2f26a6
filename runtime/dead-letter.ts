import type { ConsumedRecord, ProducedRecord } from './produced-record.js';

export const DLQ_SUFFIX = '.dlq';
export const MALFORMED_RECORD = 'MALFORMED_RECORD';

/** Header names on every dead letter: why it was rejected and exactly where it came from. */
export const DlqHeaders = {
  code: 'omnia.error.code',
  message: 'omnia.error.message',
  topic: 'omnia.source.topic',
  partition: 'omnia.source.partition',
  offset: 'omnia.source.offset',
  at: 'omnia.error.at',
} as const;

export const dlqTopic = (sourceTopic: string): string => `${sourceTopic}${DLQ_SUFFIX}`;

/** The original bytes, untouched, with the reason in headers; same partition as the source record. */
export function deadLetter(source: ConsumedRecord, code: string, message: string, now: number): ProducedRecord {
  return {
    topic: dlqTopic(source.topic),
    partition: source.partition,
    key: source.key,
    value: source.value,
    timestamp: source.timestamp,
    headers: {
      ...source.headers,
      [DlqHeaders.code]: code,
      [DlqHeaders.message]: message,
      [DlqHeaders.topic]: source.topic,
      [DlqHeaders.partition]: String(source.partition),
      [DlqHeaders.offset]: source.offset.toString(),
      [DlqHeaders.at]: new Date(now).toISOString(),
    },
  };
}
