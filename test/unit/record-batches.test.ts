import t from 'tap';
import { committedRecords, type FetchedBatch } from '../../topology/kafka/record-batches.js';

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** A data batch of `count` records from `first`, values = offsets. */
function data(producerId: bigint, first: bigint, count: number, transactional = true): FetchedBatch {
  return {
    firstOffset: first,
    lastOffsetDelta: count - 1,
    firstTimestamp: 0n,
    attributes: transactional ? TRANSACTIONAL : 0,
    producerId,
    records: Array.from({ length: count }, (_, i) => ({
      offsetDelta: i,
      timestampDelta: 0n,
      key: null,
      value: Buffer.from(String(first + BigInt(i))),
      headers: [],
    })),
  };
}

/** A transaction marker: key = version (int16) + type (int16, 0 abort, 1 commit). */
function marker(producerId: bigint, offset: bigint, commit: boolean): FetchedBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return {
    firstOffset: offset,
    lastOffsetDelta: 0,
    firstTimestamp: 0n,
    attributes: TRANSACTIONAL | CONTROL,
    producerId,
    records: [{ offsetDelta: 0, timestampDelta: 0n, key, value: null, headers: [] }],
  };
}

const offsets = (result: ReturnType<typeof committedRecords>) => result.records.map((record) => Number(record.offset));

t.test('committed transactions pass, aborted ones and markers do not', async (t) => {
  const batches = [data(7n, 0n, 3), marker(7n, 3n, true), data(7n, 4n, 3), marker(7n, 7n, false), data(7n, 8n, 2), marker(7n, 10n, true)];
  const result = committedRecords('t', 0, batches, [{ producerId: 7n, firstOffset: 4n }], 0n);
  t.same(offsets(result), [0, 1, 2, 8, 9]);
  t.equal(result.nextOffset, 11n, 'the position moves past the last marker');
});

t.test('two aborted transactions of one producer in one fetch are both dropped', async (t) => {
  const batches = [data(7n, 0n, 2), marker(7n, 2n, false), data(7n, 3n, 2), marker(7n, 5n, true), data(7n, 6n, 2), marker(7n, 8n, false)];
  const result = committedRecords(
    't',
    0,
    batches,
    [
      { producerId: 7n, firstOffset: 0n },
      { producerId: 7n, firstOffset: 6n },
    ],
    0n,
  );
  t.same(offsets(result), [3, 4]);
});

t.test('aborted data whose marker arrives in a later fetch is still dropped', async (t) => {
  // First fetch ends before the ABORT marker; the broker already lists the aborted transaction.
  const first = committedRecords('t', 0, [data(7n, 0n, 3)], [{ producerId: 7n, firstOffset: 0n }], 0n);
  t.same(offsets(first), [], 'nothing of the aborted transaction is delivered');
  t.equal(first.nextOffset, 3n);
  const second = committedRecords('t', 0, [marker(7n, 3n, false), data(9n, 4n, 1, false)], [], 3n);
  t.same(offsets(second), [4], 'the next fetch delivers what follows the marker');
});

t.test('an aborted producer does not hide another producer interleaved with it', async (t) => {
  const batches = [data(7n, 0n, 2), data(8n, 2n, 2), marker(7n, 4n, false), marker(8n, 5n, true)];
  const result = committedRecords('t', 0, batches, [{ producerId: 7n, firstOffset: 0n }], 0n);
  t.same(offsets(result), [2, 3]);
});

t.test('records before the requested offset in a returned batch are skipped', async (t) => {
  const result = committedRecords('t', 0, [data(1n, 10n, 5, false)], [], 12n);
  t.same(offsets(result), [12, 13, 14]);
  t.same(
    result.records.map((record) => record.value!.toString()),
    ['12', '13', '14'],
    'values stay with their offsets',
  );
});
