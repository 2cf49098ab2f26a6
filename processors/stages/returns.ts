/**
 * Returns of delivered orders (`order.return.v1`; rules in domain/returns.ts), asked and received by store staff
 * through the query service (query-service/return-routes.ts).
 *
 * - REQUEST: the return is recorded in the `returns` store (key OrderID) and noted in the order's history; the first
 *   one moves the order 7500 → 8000 Return requested (on `order.status.v1`). A second return at 8000 or 8500 is
 *   noted only: statuses never move back.
 * - RECEIVE: the refund of the return's units (refunds.ts `refundFor`, after the units received before) is kept
 *   with the return and published as a `Refunded` PaymentEvent for the refund; the units go back on the store's
 *   shelf (inventory.ts `restock`); once no return is left open the order moves 8000 → 8500 Returned.
 * - A ReturnID already recorded, or the same RECEIVE again (its CommandID), is ignored: a command produced twice is
 *   applied once. Anything else refused is dead-lettered on `order.return.v1.dlq` with its code (ORDER_NOT_FOUND,
 *   SHIP_FROM_LOCATION_MISMATCH, NOT_DELIVERED, RETURN_WINDOW_CLOSED, INVALID_LINE, UNKNOWN_LINE, INVALID_QUANTITY,
 *   DUPLICATE_LINE, QUANTITY_EXCEEDS_SHIPPED, RETURN_NOT_FOUND, RETURN_ALREADY_RECEIVED) and changes nothing.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import { DeadLetterError } from '../../runtime/errors.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import {
  askedAt,
  decideReturnReceipt,
  decideReturnRequest,
  RETURN_SOURCE,
  withReturn,
  type ReturnCommand,
  type ReturnsState,
} from '../domain/returns.js';
import { OrderStatus, PaymentStatus, type OrderStatusCode } from '../domain/types.js';
import type { OrderConfig } from '../../topology/order-config.js';
import { paymentEvent } from '../cancel.js';
import { restock, type InventoryCounter } from '../inventory.js';
import { findOrder } from '../order-events.js';
import { emit, nowIso, type StageContext } from '../order-flow.js';
import { note, transition, type OrderState } from '../order-state.js';
import { Sinks, Stores } from '../../topology/topics.js';

export function returnsStage(config: OrderConfig): Processor<string, ReturnCommand, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let returns: KeyValueStore<string, ReturnsState>;
  let inventory: KeyValueStore<string, InventoryCounter>;

  /** The order's new state: a transition published on order.status.v1, or a history note that keeps the status. */
  const record = (state: OrderState, moves: boolean, to: OrderStatusCode, reason: string, actor: string, at: string): OrderState => {
    if (!moves) return note(state, reason, RETURN_SOURCE, at, state.Status, actor);
    const moved = transition(state, to, reason, RETURN_SOURCE, at, actor);
    emit(context, Sinks.status, state.Order.ShipFromLocationID, moved.change);
    return moved.state;
  };

  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      returns = ctx.getStateStore(Stores.returns);
      inventory = ctx.getStateStore(Stores.inventory);
    },
    async process(input: Record<string, ReturnCommand>) {
      const command = input.value;
      // Keyed by store: an order of another store is not this task's to change.
      const state = await findOrder(orders, input.key, command);
      const current = await returns.get(command.OrderID);
      const at = nowIso(context);
      const asked = askedAt(command, at);
      if (command.Action === 'REQUEST') {
        const decision = decideReturnRequest(state, current, command, asked, config.returnWindowDays);
        if (decision.outcome === 'IGNORED') return;
        if (decision.outcome === 'REFUSED') throw new DeadLetterError(decision.code, decision.message);
        returns.put(command.OrderID, withReturn(current, state, decision.entry, asked));
        orders.put(
          command.OrderID,
          record(state, decision.moves, OrderStatus.ReturnRequested, decision.historyNote, command.RequestedBy, at),
        );
        return;
      }
      const decision = decideReturnReceipt(state, current, command, asked);
      if (decision.outcome === 'IGNORED') return;
      if (decision.outcome === 'REFUSED') throw new DeadLetterError(decision.code, decision.message);
      returns.put(command.OrderID, decision.returns);
      emit(context, Sinks.payment, command.ShipFromLocationID, {
        ...paymentEvent(state, PaymentStatus.Refunded, at),
        Amount: decision.refund.Total,
      });
      await restock(inventory, command.ShipFromLocationID, decision.received.Lines);
      orders.put(command.OrderID, record(state, decision.moves, OrderStatus.Returned, decision.historyNote, command.RequestedBy, at));
    },
  };
}
