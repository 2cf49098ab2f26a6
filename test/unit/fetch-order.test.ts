import t from 'tap';
import { inFetchOrder } from '../../topology/kafka/platformatic-fetch.js';

t.test('each fetch starts one partition further along, so every partition is first in turn', async (t) => {
  const positions = new Map(['ship:0', 'ship:1', 'delivery:0', 'delivery:1'].map((key, i) => [key, i]));
  const firsts = Array.from({ length: 8 }, (_, round) => [...inFetchOrder(positions, round).keys()][0]);
  t.same(firsts, ['ship:0', 'ship:1', 'delivery:0', 'delivery:1', 'ship:0', 'ship:1', 'delivery:0', 'delivery:1']);
  t.same(
    [...inFetchOrder(positions, 2)],
    [
      ['delivery:0', 2],
      ['delivery:1', 3],
      ['ship:0', 0],
      ['ship:1', 1],
    ],
    'the rest follow in order, values kept',
  );
  t.same([...inFetchOrder(new Map([['a:0', 1]]), 5)], [['a:0', 1]]);
  t.same([...inFetchOrder(new Map(), 3)], []);
});
