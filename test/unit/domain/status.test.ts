import t from 'tap';
import {
  canTransition,
  checkNotReleased,
  checkOrderUnlocked,
  DELIVERY_STATUS,
  fulfillmentTransitionKind,
  isLocked,
  isOrderStatusCode,
  isTerminal,
  statusForDelivery,
  statusForShipEvent,
  transitionKind,
} from '../../../processors/domain/status.js';
import { OrderStatus, type OrderStatusCode } from '../../../processors/domain/types.js';

const ALL = Object.values(OrderStatus) as OrderStatusCode[];

t.test('an order starts Open and nowhere else', async (t) => {
  t.ok(canTransition(null, OrderStatus.Open));
  for (const to of ALL.filter((code) => code !== OrderStatus.Open)) t.equal(transitionKind(null, to), 'OUT_OF_ORDER', String(to));
});

t.test('status moves forward only', async (t) => {
  t.ok(canTransition(OrderStatus.Open, OrderStatus.Allocated));
  t.ok(canTransition(OrderStatus.Allocated, OrderStatus.Released));
  t.ok(canTransition(OrderStatus.Released, OrderStatus.Packed), 'skipping ahead is forward');
  t.notOk(canTransition(OrderStatus.Packed, OrderStatus.Picking));
  t.equal(transitionKind(OrderStatus.Shipped, OrderStatus.Fulfilled), 'OUT_OF_ORDER');
});

t.test('7400 Delivery Failed → 7300 Out for Delivery is the one loop', async (t) => {
  t.ok(canTransition(OrderStatus.DeliveryFailed, OrderStatus.OutForDelivery));
  t.ok(canTransition(OrderStatus.OutForDelivery, OrderStatus.DeliveryFailed));
  t.notOk(canTransition(OrderStatus.DeliveryFailed, OrderStatus.InTransit));
  t.notOk(canTransition(OrderStatus.OutForDelivery, OrderStatus.InTransit));
});

t.test('the same status again is REPEATED, not a transition', async (t) => {
  for (const code of ALL) t.equal(transitionKind(code, code), 'REPEATED', String(code));
  t.equal(transitionKind(statusForShipEvent('packing')!, statusForShipEvent('packed')!), 'REPEATED');
});

t.test('7500 Delivered and 9000 Cancelled are terminal', async (t) => {
  t.ok(isTerminal(OrderStatus.Delivered));
  t.ok(isTerminal(OrderStatus.Cancelled));
  t.notOk(isTerminal(OrderStatus.DeliveryFailed));
  for (const to of ALL) {
    if (to !== OrderStatus.Delivered) t.notOk(canTransition(OrderStatus.Delivered, to), `7500 → ${to}`);
    if (to !== OrderStatus.Cancelled) t.notOk(canTransition(OrderStatus.Cancelled, to), `9000 → ${to}`);
  }
  t.notOk(canTransition(OrderStatus.Delivered, OrderStatus.Cancelled), 'higher code, still terminal');
});

t.test('Cancelled is reachable from every non-terminal status', async (t) => {
  for (const from of ALL.filter((code) => !isTerminal(code))) t.ok(canTransition(from, OrderStatus.Cancelled), String(from));
});

t.test('ORDER_LOCKED from 3000 Released on', async (t) => {
  t.equal(checkOrderUnlocked(OrderStatus.Open), undefined);
  t.equal(checkOrderUnlocked(OrderStatus.Allocated), undefined);
  t.notOk(isLocked(OrderStatus.Allocated));
  for (const status of ALL.filter((code) => code >= 3000)) {
    t.ok(isLocked(status));
    t.equal(checkOrderUnlocked(status)?.Code, 'ORDER_LOCKED', String(status));
  }
  t.match(checkOrderUnlocked(OrderStatus.Picking)?.Message, /Picking \(3500\)/);
});

t.test('exactly one release: DUPLICATE_RELEASE once one exists', async (t) => {
  t.equal(checkNotReleased(null), undefined);
  t.equal(checkNotReleased(undefined), undefined);
  const error = checkNotReleased('R-1');
  t.equal(error?.Code, 'DUPLICATE_RELEASE');
  t.match(error?.Message, /"R-1"/);
});

t.test('ship events map to their statuses; unknown events to nothing', async (t) => {
  t.same(['picking', 'picked', 'packing', 'packed', 'shipped'].map(statusForShipEvent), [3500, 3600, 3700, 3700, 7000]);
  t.equal(statusForShipEvent('toString'), undefined, 'no prototype keys');
  t.equal(statusForShipEvent('lost'), undefined);
});

t.test('isOrderStatusCode knows the codes', async (t) => {
  t.ok(isOrderStatusCode(7300));
  t.notOk(isOrderStatusCode(7350));
  t.notOk(isOrderStatusCode('1000'));
});

t.test('delivery partner statuses and the order status each sets', async (t) => {
  t.same(DELIVERY_STATUS, {
    HANDED_OVER: 7100,
    SHIPPED: 7100,
    IN_TRANSIT: 7200,
    OUT_FOR_DELIVERY: 7300,
    RESCHEDULED: 7300,
    FAILED: 7400,
    DELIVERY_FAILED: 7400,
    DELIVERED: 7500,
    COLLECTED: 7500,
  });
  t.equal(statusForDelivery('LOST'), undefined);
  t.equal(statusForDelivery('toString'), undefined, 'no prototype keys');
});

t.test('after-release events: forward only, the 7400 → 7300 reschedule loop, nothing before release', async (t) => {
  t.equal(fulfillmentTransitionKind(3000, 3500), 'ADVANCE');
  t.equal(fulfillmentTransitionKind(3600, 7000), 'ADVANCE', 'steps may be skipped');
  t.equal(fulfillmentTransitionKind(3700, 3700), 'REPEATED', 'packing then packed');
  t.equal(fulfillmentTransitionKind(7000, 3500), 'OUT_OF_ORDER');
  t.equal(fulfillmentTransitionKind(7400, 7300), 'ADVANCE', 'rescheduled');
  t.equal(fulfillmentTransitionKind(7400, 7200), 'OUT_OF_ORDER');
  t.equal(fulfillmentTransitionKind(7300, 7400), 'ADVANCE');
  t.equal(fulfillmentTransitionKind(7500, 7300), 'OUT_OF_ORDER', 'Delivered is terminal');
  t.equal(fulfillmentTransitionKind(9000, 7500), 'OUT_OF_ORDER', 'Cancelled is terminal');
  t.equal(fulfillmentTransitionKind(2000, 3500), 'OUT_OF_ORDER', 'not released yet');
});
