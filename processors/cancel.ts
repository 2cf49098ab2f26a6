/**
 * Cancelling an order before release, wherever it happens (a CANCEL update, failed COD validation, a MODIFY
 * that cannot be priced): allocation given back, accepted COD reversed, held release dropped, status 9000.
 */
import type { KeyValueStore } from '../state/key-value-store.js';
import { OrderStatus, PaymentStatus, type PaymentEvent } from './domain/types.js';
import { adjustAllocation, type InventoryCounter } from './inventory.js';
import { emit, nowIso, type StageContext } from './order-flow.js';
import { transition, type OrderState } from './order-state.js';
import { heldKey } from './stages/release.js';
import { Sinks } from '../topology/topics.js';

export interface CancelStores {
  orders: KeyValueStore<string, OrderState>;
  inventory?: KeyValueStore<string, InventoryCounter>;
  held?: KeyValueStore<string, string>;
}

export async function cancelOrder(
  context: StageContext,
  stores: CancelStores,
  state: OrderState,
  reason: string,
  source: string,
  options: { allocated: boolean; actor?: string | null },
): Promise<OrderState> {
  const at = nowIso(context);
  const location = state.Order.ShipFromLocationID;
  if (options.allocated && stores.inventory) await adjustAllocation(stores.inventory, location, state.Lines, -1);
  let next = state;
  if (state.PaymentStatus === PaymentStatus.Paid) {
    emit(context, Sinks.payment, location, paymentEvent(state, PaymentStatus.Reversed, at));
    next = { ...next, PaymentStatus: PaymentStatus.Reversed };
  }
  if (state.ReleaseDueAt && stores.held) stores.held.delete(heldKey(Date.parse(state.ReleaseDueAt), state.Order.OrderID));
  const cancelled = transition({ ...next, ReleaseDueAt: null }, OrderStatus.Cancelled, reason, source, at, options.actor ?? null);
  emit(context, Sinks.status, location, cancelled.change);
  stores.orders.put(state.Order.OrderID, cancelled.state);
  return cancelled.state;
}

export function paymentEvent(state: OrderState, status: PaymentStatus, at: string): PaymentEvent {
  return {
    OrderID: state.Order.OrderID,
    ShipFromLocationID: state.Order.ShipFromLocationID,
    PaymentMethod: state.Order.PaymentMethod,
    PaymentStatus: status,
    Amount: state.Totals?.OrderTotal ?? '0.0000',
    At: at,
  };
}
