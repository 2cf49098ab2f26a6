// Section 4: order status moves forward only. The one loop is 7400 Delivery Failed → 7300 Out for Delivery (a
// rescheduled delivery). 7500 Delivered and 9000 Cancelled are terminal for every event; only the returns stage
// moves a delivered order on, 7500 → 8000 Return requested → 8500 Returned (domain/returns.ts), and no partner
// event moves 8000 or 8500 either. Cancelled (9000) is reachable from
// every other status (cancel before release, failed COD validation, every line short); whether a cancel
// *request* is accepted is a separate question, answered by `checkOrderUnlocked`.
import type { OrderStatusCode, ValidationError } from './types.js';
import { ErrorCode, OrderStatus, OrderStatusName } from './types.js';

/**
 * ADVANCE: apply it. REPEATED: the order already has this status (e.g. `packing` then `packed`, both 3700);
 * ignore it. OUT_OF_ORDER: it would move the status backwards, leave a terminal status, or start an order
 * anywhere but Open; record it in history as out-of-order and ignore it.
 */
export type TransitionKind = 'ADVANCE' | 'REPEATED' | 'OUT_OF_ORDER';

const CODES: ReadonlySet<number> = new Set(Object.values(OrderStatus));

export const isOrderStatusCode = (value: unknown): value is OrderStatusCode => typeof value === 'number' && CODES.has(value);

/** 7500 Delivered, the returns after it (8000, 8500) and 9000 Cancelled: no partner event or update leaves them. */
export const isTerminal = (status: OrderStatusCode): boolean => status >= OrderStatus.Delivered;

/** From 3000 Released on, lines, address and totals are fixed and the order cannot be cancelled by request. */
export const isLocked = (status: OrderStatusCode): boolean => status >= OrderStatus.Released;

/** What to do with an event that would move an order from `from` (null: no status yet) to `to`. */
export function transitionKind(from: OrderStatusCode | null, to: OrderStatusCode): TransitionKind {
  if (from === null) return to === OrderStatus.Open ? 'ADVANCE' : 'OUT_OF_ORDER';
  if (from === to) return 'REPEATED';
  if (isTerminal(from)) return 'OUT_OF_ORDER';
  if (from === OrderStatus.DeliveryFailed && to === OrderStatus.OutForDelivery) return 'ADVANCE';
  return to > from ? 'ADVANCE' : 'OUT_OF_ORDER';
}

/** True when the order may move from `from` to `to`. */
export const canTransition = (from: OrderStatusCode | null, to: OrderStatusCode): boolean => transitionKind(from, to) === 'ADVANCE';

/** ORDER_LOCKED for an OrderUpdate (CANCEL or MODIFY) against an order at 3000 Released or beyond; else undefined. */
export function checkOrderUnlocked(status: OrderStatusCode): ValidationError | undefined {
  if (!isLocked(status)) return undefined;
  return {
    Rule: '—',
    Code: ErrorCode.OrderLocked,
    Field: '',
    Message: `the order is ${OrderStatusName[status]} (${status}); no change or cancel is accepted from Released (3000) on`,
  };
}

/** DUPLICATE_RELEASE when the order already has its one release; else undefined. */
export function checkNotReleased(releaseId: string | null | undefined): ValidationError | undefined {
  if (releaseId === null || releaseId === undefined) return undefined;
  return {
    Rule: '—',
    Code: ErrorCode.DuplicateRelease,
    Field: '',
    Message: `the order already has release ${JSON.stringify(releaseId)}; exactly one is allowed`,
  };
}

/** Slick ship events and the status each sets. */
export const SHIP_EVENT_STATUS: Readonly<Record<string, OrderStatusCode>> = {
  picking: OrderStatus.Picking,
  picked: OrderStatus.Picked,
  packing: OrderStatus.Packed,
  packed: OrderStatus.Packed,
  shipped: OrderStatus.Fulfilled,
};

/** The status a ship event sets, or undefined for an event the contract does not name. */
export const statusForShipEvent = (event: string): OrderStatusCode | undefined =>
  Object.hasOwn(SHIP_EVENT_STATUS, event) ? SHIP_EVENT_STATUS[event] : undefined;

/**
 * Delivery partner statuses (`DeliveryStatus.Status`, as the Grab / PMP connectors normalise them) and the order
 * status each sets. Two spellings are accepted where connectors differ (SHIPPED / HANDED_OVER, FAILED /
 * DELIVERY_FAILED). RESCHEDULED is the 7400 → 7300 loop. COLLECTED confirms cash on delivery: it carries
 * CollectedAmount and, since cash is taken at the door, also means Delivered. Any other Status is
 * UNKNOWN_EVENT_TYPE (dead-lettered).
 */
export const DELIVERY_STATUS: Readonly<Record<string, OrderStatusCode>> = {
  HANDED_OVER: OrderStatus.Shipped,
  SHIPPED: OrderStatus.Shipped,
  IN_TRANSIT: OrderStatus.InTransit,
  OUT_FOR_DELIVERY: OrderStatus.OutForDelivery,
  RESCHEDULED: OrderStatus.OutForDelivery,
  FAILED: OrderStatus.DeliveryFailed,
  DELIVERY_FAILED: OrderStatus.DeliveryFailed,
  DELIVERED: OrderStatus.Delivered,
  COLLECTED: OrderStatus.Delivered,
};

/** The status a delivery partner status sets, or undefined for one the pipeline does not know. */
export const statusForDelivery = (status: string): OrderStatusCode | undefined =>
  Object.hasOwn(DELIVERY_STATUS, status) ? DELIVERY_STATUS[status] : undefined;

/**
 * What to do with a Slick or delivery-partner event for an order at `from`: like `transitionKind`, and
 * OUT_OF_ORDER for any order not yet released (fulfillment only ever sees released orders).
 */
export const fulfillmentTransitionKind = (from: OrderStatusCode, to: OrderStatusCode): TransitionKind =>
  from < OrderStatus.Released ? 'OUT_OF_ORDER' : transitionKind(from, to);
