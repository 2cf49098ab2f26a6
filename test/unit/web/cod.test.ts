import t from 'tap';
import { awaitsCash, canConfirmCashAt, cashPrefill, cashRequest, FINAL_CASH_CODES } from '../../../web/src/logic/cod.js';

t.test('who may confirm cash, and where', async (t) => {
  t.ok(canConfirmCashAt({ roles: ['store_staff'], stores: ['QC0001'] }, 'QC0001'));
  t.ok(canConfirmCashAt({ roles: ['store_manager'], stores: ['QC0001', 'QC0002'] }, 'QC0002'));
  t.notOk(canConfirmCashAt({ roles: ['store_staff'], stores: ['QC0001'] }, 'QC0002'), 'not at another store');
  t.ok(canConfirmCashAt({ roles: ['admin'], stores: [] }, 'QC0009'), 'an admin anywhere');
  t.notOk(canConfirmCashAt({ roles: ['regional_coordinator'], stores: [] }, 'QC0001'), 'a coordinator reads only');
  t.notOk(canConfirmCashAt({ roles: ['bundle_manager'], stores: ['QC0001'] }, 'QC0001'));
});

t.test('which orders await their cash', async (t) => {
  const order = { status: 7500, paymentMethod: 'COD', paymentStatus: '5000' };
  t.ok(awaitsCash(order), 'delivered, COD accepted');
  t.ok(awaitsCash({ ...order, status: 7400 }), 'failed delivery: the customer may pay at the store');
  t.ok(awaitsCash({ ...order, paymentStatus: null }));
  for (const status of [1000, 3000, 7000, 7300, 9000]) t.notOk(awaitsCash({ ...order, status }), `not at ${status}`);
  t.notOk(awaitsCash({ ...order, paymentStatus: 'Collected' }));
  t.notOk(awaitsCash({ ...order, paymentStatus: 'Reconciled' }));
  t.notOk(awaitsCash({ ...order, paymentMethod: 'CARD' }));
  t.ok(awaitsCash({ status: 7500, paymentStatus: '5000' }), 'a search row without the method: COD accepted says COD');
  t.notOk(awaitsCash({ status: 7500, paymentStatus: null }), 'without the method, only COD accepted counts');
});

t.test('the request: checked, then sent as typed', async (t) => {
  t.same(cashRequest({ amount: ' 245.50 ', reference: ' RCPT-1 ', note: '  ' }), {
    body: { amount: '245.50', reference: 'RCPT-1' },
  });
  t.same(cashRequest({ amount: '245.455', reference: 'R', note: ' rider paid in ' }).body, {
    amount: '245.455',
    reference: 'R',
    note: 'rider paid in',
  });
  t.same(cashRequest({ amount: '', reference: '', note: 'x'.repeat(201) }).problems, {
    amount: 'required',
    reference: 'required',
    note: 'tooLong',
  });
  t.same(cashRequest({ amount: '0', reference: 'x'.repeat(101), note: '' }).problems, { amount: 'zero', reference: 'tooLong' });
  t.same(cashRequest({ amount: '1.23456', reference: 'R', note: '' }).problems, { amount: 'decimals' });
  t.same(cashRequest({ amount: '1,000', reference: 'R', note: '' }).problems, { amount: 'format' });
  t.equal(cashPrefill('245.5000'), '245.50');
});

t.test('refusals another try will not change', async (t) => {
  for (const code of ['NOT_DELIVERED_YET', 'COD_ALREADY_CONFIRMED', 'NOT_COD', 'NO_CARRIER', 'ORDER_NOT_FOUND', 'FORBIDDEN'])
    t.ok(FINAL_CASH_CODES.includes(code), code);
  t.notOk(FINAL_CASH_CODES.includes('NETWORK'));
  t.notOk(FINAL_CASH_CODES.includes('VALIDATION_FAILED'));
});
