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

/**
 * On a record an operator re-drove from a DLQ onto its source topic (`omnia dlq redrive`, ops/dlq.ts): where the
 * dead letter was, `<dlq topic>/<partition>/<offset>`. The cause was fixed, so a stage that absorbs a resend of a
 * rejected record (validate) takes this one afresh.
 */
export const REDRIVEN_FROM_HEADER = 'omnia.redrive.from';

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
