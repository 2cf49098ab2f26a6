/**
 * After a partition's leader moved (a broker paused, restarted or replaced), the admin client's cached leaders and
 * epochs are stale: ListOffsets is answered FENCED_LEADER_EPOCH, and the client's own retries reuse the same cache.
 * The admin reads the metadata again and asks once more. Without a broker: the client underneath is replaced by one
 * that answers as the paused three-broker cluster of broker-pause.test.ts did.
 */
import { MultipleErrors, ResponseError } from '@platformatic/kafka';
import t from 'tap';
import { PlatformaticAdmin } from '../../topology/kafka/platformatic-admin.js';

/** The error the client gave after its retries: each retry answered FENCED_LEADER_EPOCH (74) for one partition. */
const fenced = () =>
  new MultipleErrors('listOffsets failed 6 times.', [new ResponseError(2, 9, { '/topics/0/partitions/1': [74, null] }, { topics: [] })]);

function withClient(answers: Array<'fenced' | 'offsets' | 'refused'>) {
  const admin = new PlatformaticAdmin(['127.0.0.1:1'], 'stale-metadata-test');
  const calls = { listOffsets: 0, clearMetadata: 0 };
  (admin as unknown as { admin: unknown }).admin = {
    listOffsets: async () => {
      const answer = answers[calls.listOffsets++];
      if (answer === 'fenced') throw fenced();
      if (answer === 'refused') throw new Error('connect ECONNREFUSED');
      return [{ name: 'orders', partitions: [{ partitionIndex: 1, offset: 42n }] }];
    },
    clearMetadata: () => void calls.clearMetadata++,
  };
  return { admin, calls };
}

t.test('stale leaders: the metadata is read again and the offsets asked once more', async (t) => {
  const { admin, calls } = withClient(['fenced', 'offsets']);
  const ends = await admin.endOffsets([{ topic: 'orders', partition: 1 }], true);
  t.equal(ends.get('orders:1'), 42n, 'answered');
  t.same(calls, { listOffsets: 2, clearMetadata: 1 }, 'after one refresh of the metadata');
});

t.test('still stale after the refresh: the failure is the caller’s to retry', async (t) => {
  const { admin, calls } = withClient(['fenced', 'fenced']);
  await t.rejects(admin.endOffsets([{ topic: 'orders', partition: 1 }], true), { message: /listOffsets failed/ });
  t.same(calls, { listOffsets: 2, clearMetadata: 1 }, 'one refresh, not a loop');
});

t.test('any other failure is not retried here', async (t) => {
  const { admin, calls } = withClient(['refused']);
  await t.rejects(admin.endOffsets([{ topic: 'orders', partition: 1 }], true), /ECONNREFUSED/);
  t.same(calls, { listOffsets: 1, clearMetadata: 0 });
});
