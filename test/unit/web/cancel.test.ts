import t from 'tap';
import { IdempotencyKeys, reasonText, splitBulkResults, uuid } from '../../../web/src/logic/cancel.js';

t.test('the reason sent', async (t) => {
  t.equal(reasonText('customer_asked', 'ignored'), 'Customer asked to cancel');
  t.equal(reasonText('out_of_stock', ''), 'Out of stock');
  t.equal(reasonText('duplicate', ''), 'Duplicate order');
  t.equal(reasonText('other', '  ลูกค้า   เปลี่ยนใจ '), 'ลูกค้า เปลี่ยนใจ');
  t.equal(reasonText('other', '   '), undefined, 'other needs words');
  t.equal(reasonText('other', 'x'.repeat(201)), undefined, 'at most 200 characters');
  t.equal(reasonText(undefined, 'x'), undefined);
});

t.test('one idempotency key per intent', async (t) => {
  let n = 0;
  const keys = new IdempotencyKeys(() => `k${++n}`);
  const first = keys.keyFor({ reason: 'a' });
  t.equal(keys.keyFor({ reason: 'a' }), first, 'a retry of the same request reuses the key');
  t.not(keys.keyFor({ reason: 'b' }), first, 'a changed request is a new intent');
  keys.reset();
  t.equal(keys.keyFor({ reason: 'b' }), 'k3');
});

t.test('uuid v4, with or without randomUUID', async (t) => {
  t.equal(uuid({ randomUUID: () => 'from-crypto', getRandomValues: (a) => a }), 'from-crypto');
  const made = uuid({ getRandomValues: (a) => a.fill(0xff) });
  t.match(made, /^ffffffff-ffff-4fff-bfff-ffffffffffff$/);
});

t.test('bulk answers split into accepted and refused', async (t) => {
  const split = splitBulkResults([
    { orderId: 'A', outcome: 'accepted' as const },
    { orderId: 'B', outcome: 'rejected' as const, code: 'ORDER_LOCKED', message: 'released' },
  ]);
  t.same(split.accepted, ['A']);
  t.same(
    split.rejected.map((r) => r.code),
    ['ORDER_LOCKED'],
  );
});
