import t from 'tap';
import { ErrorCode, OrderStatus, OrderStatusName, PaymentStatus } from '../../../processors/domain/types.js';

t.test('every order status code has its contract name', async (t) => {
  t.same(Object.values(OrderStatus), [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7500, 8000, 8500, 9000]);
  t.equal(OrderStatusName[OrderStatus.InTransit], 'In Transit');
  t.equal(OrderStatusName[OrderStatus.OutForDelivery], 'Out for Delivery');
  for (const code of Object.values(OrderStatus)) t.type(OrderStatusName[code], 'string', String(code));
});

t.test('payment status Paid is the string 5000, apart from order status', async (t) => {
  t.equal(PaymentStatus.Paid, '5000');
  t.same(Object.values(PaymentStatus), ['5000', 'Collected', 'Reconciled', 'Failed', 'Reversed', 'Refunded']);
});

t.test('error codes are spelled as the contract spells them', async (t) => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    t.match(code, /^[A-Z0-9]+(?:_[A-Z0-9]+)*$/, name);
    t.equal(code.replace(/_/g, '').toLowerCase(), name.toLowerCase(), name);
  }
});
