import t from 'tap';
import { murmur2, partitionForKey } from '../../runtime/partitioner.js';

// Reference values from Apache Kafka's own Utils.murmur2 tests, so partitions agree with Java producers.
t.test('murmur2 matches the Java client', async (t) => {
  const cases: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of cases) t.equal(murmur2(Buffer.from(input)), expected, input);
});

t.test('partitionForKey is stable and within range', async (t) => {
  for (let i = 0; i < 500; i++) {
    const partition = partitionForKey(Buffer.from(`QC${i}`), 7);
    t.ok(partition >= 0 && partition < 7);
    t.equal(partitionForKey(Buffer.from(`QC${i}`), 7), partition);
  }
});
