import t from 'tap';
import {
  deadLetterOf,
  ledgerOf,
  ledgerRecord,
  ledgerTombstone,
  matches,
  parsePosition,
  positionOf,
  redriveRecord,
  REDRIVEN_AT_HEADER,
  summarise,
  type RedriveEntry,
} from '../../../ops/dead-letters.js';
import { deadLetter, DlqHeaders, REDRIVEN_FROM_HEADER } from '../../../runtime/dead-letter.js';
import type { ConsumedRecord } from '../../../runtime/produced-record.js';
import { partitionForKey } from '../../../runtime/partitioner.js';

const AT = Date.parse('2026-05-01T03:00:00Z');

/** A dead letter as the runtime writes it (runtime/dead-letter.ts), read back at `offset` of its DLQ. */
function letter(
  code: string,
  offset: bigint,
  options: { at?: number; source?: string; partition?: number; headers?: Record<string, string> } = {},
): ConsumedRecord {
  const source: ConsumedRecord = {
    topic: options.source ?? 'order.create.v1',
    partition: options.partition ?? 1,
    offset: 40n + offset,
    key: Buffer.from('QC0001'),
    value: Buffer.from(`{"OrderID":"O-${offset}"}`),
    timestamp: AT - 60_000,
    headers: options.headers ?? { 'x-trace': 'abc' },
  };
  const produced = deadLetter(source, code, `${code}: because`, options.at ?? AT);
  return { ...produced, offset, partition: produced.partition, headers: produced.headers };
}

t.test('a dead letter read back: code, message, origin and when, from its headers', async (t) => {
  const read = deadLetterOf(letter('UNKNOWN_CUSTOMER', 3n), new Map());
  t.match(read, {
    dlqTopic: 'order.create.v1.dlq',
    partition: 1,
    offset: 3n,
    code: 'UNKNOWN_CUSTOMER',
    message: 'UNKNOWN_CUSTOMER: because',
    originTopic: 'order.create.v1',
    originPartition: 1,
    originOffset: '43',
    at: AT,
    redriven: null,
  });
  const entry: RedriveEntry = { at: '2026-05-01T04:00:00.000Z', topic: 'order.create.v1', partition: 1, code: 'UNKNOWN_CUSTOMER' };
  t.same(
    deadLetterOf(letter('UNKNOWN_CUSTOMER', 3n), new Map([[positionOf('order.create.v1.dlq', 1, 3n), entry]])).redriven,
    entry,
    'the ledger marks it',
  );
  const bare = deadLetterOf({ ...letter('X', 1n), headers: {} }, new Map());
  t.match(
    bare,
    { code: 'UNKNOWN', originTopic: 'order.create.v1', originPartition: null, at: AT - 60_000 },
    'without headers: what can be told',
  );
});

t.test('filters: topic, code and since; counts per topic and code, waiting apart from re-driven', async (t) => {
  const ledger = new Map<string, RedriveEntry>([
    [positionOf('order.create.v1.dlq', 1, 1n), { at: 'x', topic: 'order.create.v1', partition: 1, code: 'UNKNOWN_CUSTOMER' }],
  ]);
  const letters = [
    letter('UNKNOWN_CUSTOMER', 1n, { at: AT - 7_200_000 }),
    letter('UNKNOWN_CUSTOMER', 2n, { at: AT - 3_600_000 }),
    letter('INVALID_LINE', 3n, { at: AT }),
    letter('ORDER_NOT_FOUND', 0n, { source: 'fulfillment.ship-event.v1', at: AT }),
  ].map((record) => deadLetterOf(record, ledger));
  t.same(
    letters.filter((l) => matches(l, { code: 'UNKNOWN_CUSTOMER', since: AT - 5_000_000 })).map((l) => l.offset),
    [2n],
  );
  t.same(
    letters.filter((l) => matches(l, { dlqTopics: new Set(['fulfillment.ship-event.v1.dlq']) })).map((l) => l.code),
    ['ORDER_NOT_FOUND'],
  );
  t.same(
    summarise(letters).map((row) => [row.dlqTopic, row.code, row.waiting, row.redriven, row.oldestWaiting]),
    [
      ['fulfillment.ship-event.v1.dlq', 'ORDER_NOT_FOUND', 1, 0, AT],
      ['order.create.v1.dlq', 'INVALID_LINE', 1, 0, AT],
      ['order.create.v1.dlq', 'UNKNOWN_CUSTOMER', 1, 1, AT - 3_600_000],
    ],
  );
});

t.test('the re-driven record: original key, bytes and headers, its origin partition, marked with where it came from', async (t) => {
  const read = deadLetterOf(letter('UNKNOWN_CUSTOMER', 7n), new Map());
  const now = AT + 1000;
  const record = redriveRecord(read, 4, now);
  t.same(record, {
    topic: 'order.create.v1',
    partition: 1,
    key: Buffer.from('QC0001'),
    value: Buffer.from('{"OrderID":"O-7"}'),
    timestamp: now,
    headers: { 'x-trace': 'abc', [REDRIVEN_FROM_HEADER]: 'order.create.v1.dlq/1/7', [REDRIVEN_AT_HEADER]: new Date(now).toISOString() },
  });
  t.notOk(
    Object.keys(record.headers).some((name) => name.startsWith('omnia.error.') || name.startsWith('omnia.source.')),
    'the DLQ headers are taken off',
  );
  t.equal(redriveRecord(read, 1, now).partition, partitionForKey(Buffer.from('QC0001'), 1), 'by key when the partition is gone');
  // Re-driven, dead-lettered again, re-driven again: one mark, the latest.
  const twice = deadLetterOf(letter('UNKNOWN_CUSTOMER', 9n, { headers: record.headers }), new Map());
  t.equal(redriveRecord(twice, 4, now).headers[REDRIVEN_FROM_HEADER], 'order.create.v1.dlq/1/9');
  t.equal(twice.headers[DlqHeaders.code], 'UNKNOWN_CUSTOMER');
});

t.test('the ledger: an entry per re-drive keyed by position, the last record wins, a tombstone removes', async (t) => {
  const read = deadLetterOf(letter('UNKNOWN_CUSTOMER', 7n), new Map());
  const entry = ledgerRecord('omnia-dlq-redriven', read, redriveRecord(read, 4, AT), AT);
  t.equal(entry.key!.toString(), 'order.create.v1.dlq/1/7');
  t.same(JSON.parse(entry.value!.toString()), {
    at: new Date(AT).toISOString(),
    topic: 'order.create.v1',
    partition: 1,
    code: 'UNKNOWN_CUSTOMER',
  });
  const consumed = (records: Array<{ key: Buffer | null; value: Buffer | null }>): ConsumedRecord[] =>
    records.map((record, i) => ({ topic: 'omnia-dlq-redriven', partition: 0, offset: BigInt(i), timestamp: AT, headers: {}, ...record }));
  const other = { key: Buffer.from('order.create.v1.dlq/0/1'), value: Buffer.from('{"at":"y","topic":"t","partition":0,"code":"C"}') };
  t.same(
    [
      ...ledgerOf(
        consumed([
          entry,
          other,
          ledgerTombstone('omnia-dlq-redriven', 'order.create.v1.dlq/0/1', AT),
          { key: Buffer.from('junk'), value: Buffer.from('not json') },
        ]),
      ).keys(),
    ],
    ['order.create.v1.dlq/1/7'],
  );
  t.same(parsePosition('a.b.dlq/2/15'), { dlqTopic: 'a.b.dlq', partition: 2, offset: 15n });
  t.equal(parsePosition('nonsense'), undefined);
});
