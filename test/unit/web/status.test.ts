import t from 'tap';
import {
  GROUP_STATUSES,
  GROUPS,
  groupOf,
  isCancellable,
  STATUS_CODES,
  STATUS_CODES_COMPLETE,
  toneOf,
} from '../../../web/src/logic/status.js';

t.test('every status is in exactly one column, the column its range says', async (t) => {
  t.equal(STATUS_CODES_COMPLETE, true);
  const placed = GROUPS.flatMap((group) => GROUP_STATUSES[group]);
  t.same([...placed].sort(), [...STATUS_CODES].sort());
  for (const group of GROUPS) for (const status of GROUP_STATUSES[group]) t.equal(groupOf(status), group, `${status}`);
  t.equal(groupOf(3100), 'released', 'an unknown code goes by its range');
  t.equal(groupOf(9999), 'cancelled');
});

t.test('tones: delivery failed needs attention, delivered is done', async (t) => {
  t.equal(toneOf(7400), 'attention');
  t.equal(toneOf(7500), 'done');
  t.equal(toneOf(9000), 'cancelled');
  for (const status of [1000, 2000, 3000, 3700, 7000, 7300]) t.equal(toneOf(status), 'waiting');
});

t.test('only orders not yet released can be cancelled from the store', async (t) => {
  t.ok(isCancellable(1000));
  t.ok(isCancellable(2000));
  t.notOk(isCancellable(3000));
  t.notOk(isCancellable(7500));
  t.notOk(isCancellable(9000));
});
