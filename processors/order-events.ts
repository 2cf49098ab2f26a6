/**
 * What the after-release stages (fulfil, deliver) share: finding the order an event is about, and moving its
 * status by an event — forward only, out-of-order events noted in history and ignored (docs/contract.md §4).
 */
import type { KeyValueStore } from '../state/key-value-store.js';
import { DeadLetterError } from '../runtime/errors.js';
import { fulfillmentTransitionKind } from './domain/status.js';
import { ErrorCode, OrderStatusName, type DeliveryStatus, type OrderStatusCode, type ShipEvent } from './domain/types.js';
import { emit, nowIso, type StageContext } from './order-flow.js';
import { note, transition, type OrderState } from './order-state.js';
import { Sinks } from '../topology/topics.js';

/** What every ship and delivery event carries. */
export type OrderEvent = Pick<ShipEvent | DeliveryStatus, 'EventID' | 'OrderID' | 'ShipFromLocationID'>;

/**
 * The order an event is about. Dead-letters (throws DeadLetterError) an event keyed by another location than it
 * names (SHIP_FROM_LOCATION_MISMATCH), or for an order this location does not have (ORDER_NOT_FOUND).
 */
export async function findOrder(
  orders: KeyValueStore<string, OrderState>,
  key: string | null,
  event: Pick<OrderEvent, 'OrderID' | 'ShipFromLocationID'>,
): Promise<OrderState> {
  if (event.ShipFromLocationID !== key) {
    throw new DeadLetterError(
      ErrorCode.ShipFromLocationMismatch,
      `the record key ${JSON.stringify(key)} is not the event's ShipFromLocationID ${JSON.stringify(event.ShipFromLocationID)}`,
    );
  }
  const state = await orders.get(event.OrderID);
  if (!state || state.Order.ShipFromLocationID !== event.ShipFromLocationID) {
    throw new DeadLetterError(
      ErrorCode.OrderNotFound,
      `no order ${JSON.stringify(event.OrderID)} at location ${JSON.stringify(event.ShipFromLocationID)}`,
    );
  }
  return state;
}

/**
 * Applies an event that would set status `to`: a transition (with its `order.status.v1` record) when it moves the
 * order forward; a repeated status is ignored; anything else is noted in history as OUT_OF_ORDER. `actor` is the
 * person the event comes from (a confirmation by store staff), recorded on the history entry and the status change.
 */
export function step(
  context: StageContext,
  key: string,
  state: OrderState,
  to: OrderStatusCode,
  reason: string,
  source: string,
  actor: string | null = null,
): OrderState {
  const at = nowIso(context);
  switch (fulfillmentTransitionKind(state.Status, to)) {
    case 'ADVANCE': {
      const moved = transition(state, to, reason, source, at, actor);
      emit(context, Sinks.status, key, moved.change);
      return moved.state;
    }
    case 'REPEATED':
      return state;
    case 'OUT_OF_ORDER':
      return note(
        state,
        `OUT_OF_ORDER: ${reason} (${to} ${OrderStatusName[to]}) ignored at ${state.Status} ${OrderStatusName[state.Status]}`,
        source,
        at,
        state.Status,
        actor,
      );
  }
}
