import t from 'tap';
import { inTimestampOrder } from '../../topology/record-order.js';

const r = (topic: string, partition: number, offset: number, timestamp: number) => ({ topic, partition, offset, timestamp });
const ids = (records: ReadonlyArray<ReturnType<typeof r>>) => records.map((record) => `${record.topic}/${record.partition}@${record.offset}`);

t.test('across partitions the lowest timestamp goes first; each partition keeps its offset order', async (t) => {
  // One fetch listed the delivery statuses before the ship events written earlier for the same key.
  const fetched = [r('delivery', 0, 0, 150), r('delivery', 0, 1, 160), r('ship', 0, 0, 100), r('ship', 0, 1, 110), r('ship', 0, 2, 155)];
  t.same(ids(inTimestampOrder(fetched)), ['ship/0@0', 'ship/0@1', 'delivery/0@0', 'ship/0@2', 'delivery/0@1']);
});

t.test('a partition whose timestamps go backwards is still read in offset order', async (t) => {
  const fetched = [r('a', 0, 0, 300), r('a', 0, 1, 100), r('b', 0, 0, 200)];
  t.same(ids(inTimestampOrder(fetched)), ['b/0@0', 'a/0@0', 'a/0@1']);
});

t.test('ties go to the partition listed first; one partition or fewer than two records are returned as they are', async (t) => {
  t.same(ids(inTimestampOrder([r('b', 1, 0, 5), r('a', 1, 0, 5), r('b', 1, 1, 5)])), ['b/1@0', 'b/1@1', 'a/1@0']);
  const single = [r('a', 0, 0, 9), r('a', 0, 1, 1)];
  t.equal(inTimestampOrder(single), single);
  t.same(inTimestampOrder([]), []);
});
