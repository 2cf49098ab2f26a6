import t from 'tap';
import { groupLines, totalQuantity } from '../../../web/src/logic/lines.js';

t.test('bundle lines together, in the place of the first', async (t) => {
  const lines = [
    { lineId: '1', bundleGroupId: null, quantity: 1 },
    { lineId: '2', bundleGroupId: 'B1', quantity: 2 },
    { lineId: '3', bundleGroupId: null, quantity: 1 },
    { lineId: '4', bundleGroupId: 'B1', quantity: 2 },
    { lineId: '5', bundleGroupId: 'B2', quantity: 3 },
  ];
  t.same(
    groupLines(lines).map((segment) => [segment.bundleGroupId, segment.lines.map((line) => line.lineId)]),
    [
      [null, ['1']],
      ['B1', ['2', '4']],
      [null, ['3']],
      ['B2', ['5']],
    ],
  );
  t.equal(totalQuantity(lines), 9);
  t.same(groupLines([]), []);
});
