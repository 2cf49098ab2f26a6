/**
 * Which messages an order calls for, read from its state as the `orders` store holds it (the changelog record):
 * pure, so the notification connector, the embedded default and the tests derive the same list from the same
 * state, however many times it is read and however many changes one record collapses.
 *
 * Each message has an id, `<OrderID>:<Event>` (`:<n>` for the n-th OUT_FOR_DELIVERY or DELIVERY_FAILED: the
 * 7400 → 7300 loop may repeat), which is also the idempotency key sent to the provider: one message per order and
 * event whatever the redeliveries.
 *
 * | event | when (a transition in the order's history) |
 * |---|---|
 * | ORDER_CONFIRMED | → 3000 Released: priced, COD accepted, sent to the store; the order is final from here |
 * | SHIPPED | the first move to 7000 Fulfilled, 7100 Shipped or 7200 In Transit (one message, with the tracking number) |
 * | OUT_FOR_DELIVERY | each → 7300 |
 * | DELIVERY_FAILED | each → 7400 |
 * | DELIVERED | → 7500 |
 * | CANCELLED | → 9000, with the reason |
 * | COD_RECEIPT | cash recorded on a COD order (payment Collected or Reconciled, CollectedAmount set): once |
 */
import type { NotificationEvent } from '../../avro/records.js';
import { OrderStatus } from '../../processors/domain/types.js';
import type { OrderState } from '../../processors/order-state.js';

export type { NotificationEvent };

export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'ORDER_CONFIRMED',
  'SHIPPED',
  'OUT_FOR_DELIVERY',
  'DELIVERY_FAILED',
  'DELIVERED',
  'CANCELLED',
  'COD_RECEIPT',
];

/** Events that may happen more than once to one order: their ids carry the occurrence. */
const REPEATABLE: ReadonlySet<NotificationEvent> = new Set(['OUT_FOR_DELIVERY', 'DELIVERY_FAILED']);

/** One message an order calls for. */
export interface DueNotification {
  /** `<OrderID>:<Event>[:<n>]`: the message's identity and the provider's idempotency key. */
  readonly id: string;
  readonly event: NotificationEvent;
  /** 1 for the first OUT_FOR_DELIVERY / DELIVERY_FAILED, 2 for the second…; 1 for the others. */
  readonly occurrence: number;
  readonly orderId: string;
  readonly store: string;
  readonly customerId: string | null;
  /** When the order changed: the history entry's At, or CollectedAt. */
  readonly at: string;
  /** CANCELLED: the history entry's reason (`CANCELLED: <Reason>`, a pipeline code, …). */
  readonly reason: string | null;
}

/** The id of an order's message: `<OrderID>:<Event>`, and `:<n>` for a repeatable event. */
export function notificationId(orderId: string, event: NotificationEvent, occurrence = 1): string {
  return REPEATABLE.has(event) ? `${orderId}:${event}:${occurrence}` : `${orderId}:${event}`;
}

const eventOf = (to: number): NotificationEvent | undefined => {
  switch (to) {
    case OrderStatus.Released:
      return 'ORDER_CONFIRMED';
    case OrderStatus.Fulfilled:
    case OrderStatus.Shipped:
    case OrderStatus.InTransit:
      return 'SHIPPED';
    case OrderStatus.OutForDelivery:
      return 'OUT_FOR_DELIVERY';
    case OrderStatus.DeliveryFailed:
      return 'DELIVERY_FAILED';
    case OrderStatus.Delivered:
      return 'DELIVERED';
    case OrderStatus.Cancelled:
      return 'CANCELLED';
    default:
      return undefined;
  }
};

const CASH_RECORDED: ReadonlySet<string> = new Set(['Collected', 'Reconciled']);

/** Every message the order's state calls for, in the order they happened; the same list for the same history. */
export function dueNotifications(state: OrderState): DueNotification[] {
  const order = state.Order;
  const base = { orderId: order.OrderID, store: order.ShipFromLocationID, customerId: order.CustomerID ?? null };
  const counts = new Map<NotificationEvent, number>();
  const due: DueNotification[] = [];
  for (const entry of state.History) {
    if (entry.From === entry.To) continue; // a note (modification, out-of-order event, cash): no change of status
    const event = eventOf(entry.To);
    if (!event) continue;
    const occurrence = (counts.get(event) ?? 0) + 1;
    counts.set(event, occurrence);
    if (occurrence > 1 && !REPEATABLE.has(event)) continue; // 7000 then 7100: one SHIPPED
    due.push({
      ...base,
      id: notificationId(order.OrderID, event, occurrence),
      event,
      occurrence,
      at: entry.At,
      reason: event === 'CANCELLED' ? (entry.Reason ?? null) : null,
    });
  }
  if (order.PaymentMethod === 'COD' && state.CollectedAmount && CASH_RECORDED.has(state.PaymentStatus ?? '')) {
    due.push({
      ...base,
      id: notificationId(order.OrderID, 'COD_RECEIPT'),
      event: 'COD_RECEIPT',
      occurrence: 1,
      at: state.CollectedAt ?? state.UpdatedAt,
      reason: null,
    });
  }
  return due;
}
