import t from 'tap';
import { PartitionGroup } from '../../runtime/partition-group.js';

const r = (topic: string, partition: number, offset: number, timestamp: number) => ({ topic, partition, offset, timestamp });
type R = ReturnType<typeof r>;
const inputs = [
  { topic: 'ship', partition: 0 },
  { topic: 'delivery', partition: 0 },
];
const caughtUp = () => 0;

/** Takes records for task 0 until it runs out or waits; returns them as `topic@offset`. */
function drain(group: PartitionGroup<R>, lag: (key: string) => number | undefined = caughtUp, now = 0): string[] {
  const taken: string[] = [];
  for (;;) {
    const next = group.next(0, inputs, lag, now);
    if (next?.record === undefined) return taken;
    taken.push(`${next.record.topic}@${next.record.offset}`);
  }
}

t.test('across a task’s inputs the lowest timestamp goes first; each partition keeps its offset order', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  // One fetch listed the delivery statuses before the ship events written earlier for the same key.
  group.add([r('delivery', 0, 0, 150), r('delivery', 0, 1, 160), r('ship', 0, 0, 100), r('ship', 0, 1, 110), r('ship', 0, 2, 155)]);
  t.same(drain(group), ['ship@0', 'ship@1', 'delivery@0', 'ship@2', 'delivery@1']);
});

t.test('it says whether anything fetched is still to be processed (what lets an idle loop commit early)', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  t.equal(group.hasBuffered(), false, 'nothing fetched');
  group.add([r('ship', 0, 0, 100), r('delivery', 0, 0, 150)]);
  t.equal(group.hasBuffered(), true);
  t.same(drain(group), ['ship@0', 'delivery@0']);
  t.equal(group.hasBuffered(), false, 'all processed');
});

t.test('a partition whose timestamps go backwards is still read in offset order; ties go to the input listed first', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  group.add([r('delivery', 0, 0, 300), r('delivery', 0, 1, 100), r('ship', 0, 0, 200)]);
  t.same(drain(group), ['ship@0', 'delivery@0', 'delivery@1']);
  group.add([r('delivery', 0, 2, 5), r('ship', 0, 1, 5)]);
  t.same(drain(group), ['ship@1', 'delivery@2']);
});

t.test('a task waits while one input has nothing buffered but records on the broker, then takes them in order', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  // The first fetch returned only delivery statuses; the ship events written before them are still on the broker.
  group.add([r('delivery', 0, 0, 150), r('delivery', 0, 1, 160)]);
  const lag = new Map([['ship:0', 3]]);
  t.same(
    drain(group, (key) => lag.get(key)),
    [],
    'nothing processed while ship:0 lags',
  );
  t.same(
    group.next(0, inputs, (key) => lag.get(key), 0),
    { record: undefined, waitingFor: 'ship:0' },
    'says what it waits for',
  );
  group.add([r('ship', 0, 0, 100), r('ship', 0, 1, 110), r('ship', 0, 2, 155)]);
  lag.set('ship:0', 0);
  t.same(
    drain(group, (key) => lag.get(key)),
    ['ship@0', 'ship@1', 'delivery@0', 'ship@2', 'delivery@1'],
  );
});

t.test('it does not wait for records not written yet; it does wait for a partition no fetch has answered for', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  group.add([r('delivery', 0, 0, 150)]);
  t.same(
    drain(group, () => 0),
    ['delivery@0'],
    'ship:0 caught up: go on',
  );
  group.add([r('delivery', 0, 1, 160)]);
  t.same(
    drain(group, (key) => (key === 'ship:0' ? undefined : 0)),
    [],
    'ship:0 not known yet: wait',
  );
  t.same(
    drain(group, () => 0),
    ['delivery@1'],
    'known and caught up: go on',
  );
});

t.test('after the longest idle it goes on with what it has, and says the record was enforced', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  group.add([r('delivery', 0, 0, 150), r('delivery', 0, 1, 160)]);
  const lagging = () => 7;
  t.same(group.next(0, inputs, lagging, 1_000), { record: undefined, waitingFor: 'ship:0' });
  t.same(group.next(0, inputs, lagging, 5_999), { record: undefined, waitingFor: 'ship:0' }, 'still within the idle time');
  t.same(group.next(0, inputs, lagging, 6_000), { record: r('delivery', 0, 0, 150), enforced: true });
  t.same(group.next(0, inputs, lagging, 6_001), { record: r('delivery', 0, 1, 160), enforced: true });
  group.add([r('delivery', 0, 2, 170)]);
  t.same(
    group.next(0, inputs, caughtUp, 6_002),
    { record: r('delivery', 0, 2, 170), enforced: false },
    'caught up again: in order, not enforced',
  );
  group.add([r('delivery', 0, 3, 180)]);
  t.same(group.next(0, inputs, lagging, 6_003), { record: undefined, waitingFor: 'ship:0' }, 'a new wait starts its own clock');
});

t.test('tasks are independent: one waiting does not hold up another', async (t) => {
  const group = new PartitionGroup<R>(1000, 5000);
  group.add([r('delivery', 0, 0, 1), r('delivery', 1, 0, 1)]);
  const lag = (key: string) => (key === 'ship:0' ? 5 : 0);
  t.equal(group.next(0, inputs, lag, 0)?.record, undefined);
  const task1 = [
    { topic: 'ship', partition: 1 },
    { topic: 'delivery', partition: 1 },
  ];
  t.same(group.next(1, task1, lag, 0), { record: r('delivery', 1, 0, 1), enforced: false });
});

t.test('a partition at capacity is reported full until it drains; clear forgets everything', async (t) => {
  const group = new PartitionGroup<R>(3, 5000);
  group.add([r('ship', 0, 0, 1), r('ship', 0, 1, 2), r('ship', 0, 2, 3), r('delivery', 0, 0, 9)]);
  t.same([...group.full()], ['ship:0']);
  t.equal(group.buffered('ship:0'), 3);
  group.next(0, inputs, caughtUp, 0);
  t.same([...group.full()], [], 'below capacity again');
  group.clear();
  t.equal(group.buffered('ship:0'), 0);
  t.equal(group.buffered('delivery:0'), 0);
  t.equal(group.next(0, inputs, caughtUp, 0), undefined, 'nothing buffered');
});

t.test('a long queue keeps its order while its consumed prefix is dropped', async (t) => {
  const group = new PartitionGroup<R>(10_000, 5000);
  group.add(Array.from({ length: 3000 }, (_, offset) => r('ship', 0, offset, offset)));
  const offsets: number[] = [];
  for (let next = group.next(0, inputs, caughtUp, 0); next?.record; next = group.next(0, inputs, caughtUp, 0)) {
    offsets.push(next.record.offset);
    if (offsets.length === 1500) group.add([r('ship', 0, 3000, 3000)]);
  }
  t.same(
    offsets,
    Array.from({ length: 3001 }, (_, offset) => offset),
  );
  t.equal(group.buffered('ship:0'), 0);
});

t.test('a partition is also full once its unprocessed keys and values reach the byte bound, and fetched again as they drain', async (t) => {
  const group = new PartitionGroup<R & { value: Buffer }>(1000, 5000, 1_000_000);
  const big = (topic: string, offset: number) => ({ ...r(topic, 0, offset, offset), value: Buffer.alloc(300_000) });
  group.add([big('ship', 0), big('ship', 1), big('ship', 2)]);
  group.add([big('delivery', 0)]);
  t.same([...group.full()], [], '900 KB: below the bound, three records of a thousand');
  t.equal(group.bufferedBytes(), 1_200_000);
  group.add([big('ship', 3)]);
  t.same([...group.full()], ['ship:0'], '1.2 MB in four records: full by its bytes');
  group.next(0, inputs, caughtUp, 0);
  t.same([...group.full()], [], 'one processed: below the bound again');
  t.equal(group.bufferedBytes(), 1_200_000);
  group.clear();
  t.equal(group.bufferedBytes(), 0, 'nothing counted after a rewind');
});
