// Which messages an order's state calls for, and their ids (the providers' idempotency keys): the same list for the
// same history however it is read, one per order and event, a new one for each delivery attempt.
import t from 'tap';
import { dueNotifications, notificationId } from '../../../connectors/notifications/events.js';
import { stateThrough, T0 } from './notification-fixtures.js';

const ids = (state: Parameters<typeof dueNotifications>[0]) => dueNotifications(state).map((due) => due.id);

t.test('a Grab order delivered after a failed attempt, cash collected', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7300, 7500], {
    PaymentStatus: 'Collected',
    CollectedAmount: '90.6200',
    CollectedAt: new Date(T0 + 13 * 60_000).toISOString(),
  });
  t.same(ids(state), [
    'QC0042-000123:ORDER_CONFIRMED',
    'QC0042-000123:SHIPPED',
    'QC0042-000123:OUT_FOR_DELIVERY:1',
    'QC0042-000123:DELIVERY_FAILED:1',
    'QC0042-000123:OUT_FOR_DELIVERY:2',
    'QC0042-000123:DELIVERED',
    'QC0042-000123:COD_RECEIPT',
  ]);
  const due = dueNotifications(state);
  t.equal(due[0]!.at, new Date(T0 + 2 * 60_000).toISOString(), 'confirmed when it reached 3000');
  t.equal(due[1]!.at, new Date(T0 + 6 * 60_000).toISOString(), 'shipped at the first of 7000 / 7100 / 7200');
  t.equal(due[4]!.occurrence, 2, 'the second time out for delivery');
  t.same(
    due.map((entry) => [entry.orderId, entry.store, entry.customerId]),
    due.map(() => ['QC0042-000123', 'QC0042', 'C-1001']),
  );
  t.same(ids(state), ids(structuredClone(state)), 'the same state read again: the same ids');
});

t.test('a PMP order: 7000 straight to 7500, one SHIPPED', async (t) => {
  const state = stateThrough([1000, 2000, 3000, 3500, 3600, 3700, 7000, 7500], {
    PaymentStatus: 'Reconciled',
    CollectedAmount: '90.6200',
    CollectedAt: new Date(T0).toISOString(),
  });
  t.same(ids(state), ['QC0042-000123:ORDER_CONFIRMED', 'QC0042-000123:SHIPPED', 'QC0042-000123:DELIVERED', 'QC0042-000123:COD_RECEIPT']);
});

t.test('a record that collapses several changes lists them all; a later state keeps the earlier ids', async (t) => {
  const early = stateThrough([1000, 2000, 3000]);
  const later = stateThrough([1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100]);
  t.same(ids(early), ['QC0042-000123:ORDER_CONFIRMED']);
  t.same(ids(later).slice(0, 1), ids(early), 'ORDER_CONFIRMED again, with the same id: the provider sends it once');
  t.same(ids(later), ['QC0042-000123:ORDER_CONFIRMED', 'QC0042-000123:SHIPPED']);
});

t.test('cancelled: before confirmation (COD refused) and after (every line short)', async (t) => {
  const refused = stateThrough([1000, 2000, 9000], { reason: 'COD_CUSTOMER_INELIGIBLE', PaymentStatus: 'Failed' });
  t.same(
    dueNotifications(refused).map((due) => [due.id, due.reason]),
    [['QC0042-000123:CANCELLED', 'COD_CUSTOMER_INELIGIBLE']],
  );
  const short = stateThrough([1000, 2000, 3000, 3500, 9000], { reason: 'ALL_LINES_SHORT', PaymentStatus: 'Reversed' });
  t.same(ids(short), ['QC0042-000123:ORDER_CONFIRMED', 'QC0042-000123:CANCELLED']);
});

t.test('notes (From = To) and statuses without a message call for nothing; no receipt without cash', async (t) => {
  const state = stateThrough([1000, 2000]);
  state.History.push({ From: 2000, To: 2000, Reason: 'MODIFIED: address', Source: 'update', At: state.UpdatedAt, Actor: 'clerk-1' });
  t.same(ids(state), []);
  const delivered = stateThrough([1000, 2000, 3000, 7000, 7500], { PaymentStatus: '5000', CollectedAmount: null });
  t.notOk(
    ids(delivered).some((id) => id.endsWith('COD_RECEIPT')),
    'delivered, no cash yet: no receipt',
  );
});

t.test('ids', async (t) => {
  t.equal(notificationId('A-1', 'DELIVERED'), 'A-1:DELIVERED');
  t.equal(notificationId('A-1', 'OUT_FOR_DELIVERY', 3), 'A-1:OUT_FOR_DELIVERY:3');
  t.equal(notificationId('A-1', 'DELIVERY_FAILED'), 'A-1:DELIVERY_FAILED:1');
});
