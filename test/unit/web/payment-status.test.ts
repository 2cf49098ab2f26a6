import t from 'tap';
import { SEARCH_PAYMENT_STATUSES as SERVED } from '../../../query-service/search-routes.js';
import { paymentStatusFilter, SEARCH_PAYMENT_STATUSES } from '../../../web/src/logic/payment-status.js';

t.test("the search's payment statuses are the service's", async (t) => {
  t.same([...SEARCH_PAYMENT_STATUSES].sort(), [...SERVED].sort());
  t.notOk((SEARCH_PAYMENT_STATUSES as readonly string[]).includes('Refunded'), 'Refunded is an event, never an order’s own');
});

t.test('the filter of a search address: a known status, else any', async (t) => {
  for (const status of SEARCH_PAYMENT_STATUSES) t.equal(paymentStatusFilter(status), status);
  t.equal(paymentStatusFilter(null), '');
  t.equal(paymentStatusFilter(undefined), '');
  t.equal(paymentStatusFilter(''), '');
  t.equal(paymentStatusFilter('collected'), '', 'as the service spells it only');
  t.equal(paymentStatusFilter('5000,Collected'), '', 'one at a time, as the list offers them');
  t.equal(paymentStatusFilter('Refunded'), '');
});
