/**
 * After shipping, deliver: Grab / PMP delivery statuses on `delivery.status.v1` (the accepted Status strings
 * are DELIVERY_STATUS in domain/status.ts): 7100 Shipped → 7200 In Transit → 7300 Out for Delivery → 7500
 * Delivered, 7400 Delivery Failed with the 7400 → 7300 reschedule loop. Forward only; out-of-order events are
 * noted in history; a repeated EventID is ignored.
 *
 * COD collection: a status carrying CollectedAmount (COLLECTED must) records the cash on the order, sets payment
 * status Collected and publishes it (PaymentEvent, Amount = the cash). A collection is recorded whatever the
 * order status — cash taken is never dropped — and a collected amount that differs from OrderTotal is noted at
 * once and reported as a reconciliation exception at the cut-off. Delivered or collected COD orders are handed
 * to the reconcile node, which indexes them for the day's run.
 *
 * Cash confirmed by store staff (the query service's COD confirmation, query-service/cod-routes.ts) arrives as the
 * COLLECTED status the partner did not send: Partner = the order's carrier, ConfirmedBy = the token subject,
 * EventID `manual-<CommandID>`. The same rules apply; only the history entry and status change differ: Source
 * `store` instead of the partner, Actor = ConfirmedBy, and the note names the staff's Reference (and Note).
 *
 * Only the order's carrier speaks for it: once Slick named the carrier, a status from the other partner is
 * dead-lettered (CARRIER_MISMATCH), so one partner's leaked webhook secret cannot deliver or collect another's
 * orders. Before a carrier is known (no shipped event yet) either partner is accepted.
 *
 * The first status of 7000 or later gives the order's units back to the stock count (inventory.ts `leavesStock`),
 * when the partner's status arrives before Slick's shipped event.
 *
 * Dead letters: ORDER_NOT_FOUND, SHIP_FROM_LOCATION_MISMATCH, UNKNOWN_EVENT_TYPE (a Status not in
 * DELIVERY_STATUS), INVALID_COLLECTED_AMOUNT, CARRIER_MISMATCH.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import { DeadLetterError } from '../../runtime/errors.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { isMoney, normaliseMoney } from '../domain/money.js';
import { classifyCollection } from '../domain/reconciliation.js';
import { statusForDelivery } from '../domain/status.js';
import { ErrorCode, OrderStatus, PaymentStatus, type DeliveryStatus } from '../domain/types.js';
import { paymentEvent } from '../cancel.js';
import { adjustAllocation, leavesStock, type InventoryCounter } from '../inventory.js';
import { findOrder, step } from '../order-events.js';
import { emit, nowIso, type StageContext } from '../order-flow.js';
import { hasSeen, note, rememberEvent, type OrderState } from '../order-state.js';
import { Sinks, Stages, Stores } from '../../topology/topics.js';

/** What the reconcile node is handed: an order to index for the next run. */
export interface CodOpen {
  OrderID: string;
  ShipFromLocationID: string;
}

/** The collected amount of a status, normalised to 4 digits; null when none. Dead-letters a bad one. */
function collectedAmount(event: DeliveryStatus): string | null {
  const amount = event.CollectedAmount;
  if (amount === null) {
    if (event.Status === 'COLLECTED')
      throw new DeadLetterError(ErrorCode.InvalidCollectedAmount, 'a COLLECTED status must carry CollectedAmount');
    return null;
  }
  if (!isMoney(amount) || amount.startsWith('-')) {
    throw new DeadLetterError(
      ErrorCode.InvalidCollectedAmount,
      `CollectedAmount must be a money amount ≥ 0 with at most 4 decimals, got ${JSON.stringify(amount)}`,
    );
  }
  return normaliseMoney(amount);
}

/** History and status Source of a collection confirmed by store staff (ConfirmedBy set). */
export const STORE_SOURCE = 'store';

/** How a staff confirmation reads in history: `confirmed at the store (reference "R-1": note)`. */
const storeConfirmation = (event: DeliveryStatus): string =>
  `confirmed at the store (reference ${JSON.stringify(event.Reference ?? '')}${event.Note ? `: ${event.Note}` : ''})`;

/** The event's At when it is a timestamp, else the processing time. */
const eventTime = (event: DeliveryStatus, fallback: string): string => (Number.isFinite(Date.parse(event.At)) ? event.At : fallback);

export function deliverStage(): Processor<string, DeliveryStatus, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let inventory: KeyValueStore<string, InventoryCounter>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      inventory = ctx.getStateStore(Stores.inventory);
    },
    async process(record: Record<string, DeliveryStatus>) {
      const event = record.value;
      const found = await findOrder(orders, record.key, event);
      const to = statusForDelivery(event.Status);
      if (to === undefined)
        throw new DeadLetterError(
          ErrorCode.UnknownEventType,
          `unknown delivery status ${JSON.stringify(event.Status)} from ${event.Partner}`,
        );
      const collected = collectedAmount(event);
      if (found.Carrier && found.Carrier.toUpperCase() !== event.Partner)
        throw new DeadLetterError(
          ErrorCode.CarrierMismatch,
          `order ${found.Order.OrderID} is carried by ${found.Carrier}; a status from ${event.Partner} is not taken`,
        );
      if (hasSeen(found, event.EventID)) return;
      const key = record.key;
      const confirmedBy = event.ConfirmedBy ?? null;
      const source = confirmedBy === null ? event.Partner.toLowerCase() : STORE_SOURCE;
      const at = nowIso(context);
      let state = step(context, key, rememberEvent(found, event.EventID), to, event.Status, source, confirmedBy);
      const delivered = state.Status === OrderStatus.Delivered && found.Status !== OrderStatus.Delivered;
      if (delivered) state = { ...state, DeliveredAt: eventTime(event, at) };
      if (collected !== null) {
        const expected = state.Status === OrderStatus.Cancelled ? '0.0000' : (state.Totals?.OrderTotal ?? '0.0000');
        const outcome = classifyCollection(expected, collected);
        state = { ...state, PaymentStatus: PaymentStatus.Collected, CollectedAmount: collected, CollectedAt: eventTime(event, at) };
        emit(context, Sinks.payment, key, { ...paymentEvent(state, PaymentStatus.Collected, at), Amount: collected });
        const by = confirmedBy === null ? `by ${event.Partner}` : `for ${event.Partner}, ${storeConfirmation(event)}`;
        state = note(
          state,
          `COLLECTED ${collected} ${by}${outcome === 'RECONCILED' ? '' : `: ${outcome} against ${expected}, a reconciliation exception`}`,
          source,
          at,
          state.Status,
          confirmedBy,
        );
      }
      if ((delivered || collected !== null) && state.Order.PaymentMethod === 'COD') {
        emit(context, Stages.reconcile, key, {
          OrderID: state.Order.OrderID,
          ShipFromLocationID: state.Order.ShipFromLocationID,
        } satisfies CodOpen);
      }
      if (leavesStock(found.Status, state.Status)) await adjustAllocation(inventory, state.Order.ShipFromLocationID, state.Lines, -1);
      orders.put(state.Order.OrderID, state);
    },
  };
}
