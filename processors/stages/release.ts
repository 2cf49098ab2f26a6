/**
 * Stage 6, release: exactly one release per order, status 3000. With no hold the order is released in the
 * same step as its allocation and payment; with a hold (CreatedAt + OMNIA_RELEASE_HOLD_SECONDS) it waits in
 * the `held-releases` index, which a wall-clock punctuator walks in due order.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { OrderStatus, PaymentStatus, type Release } from '../domain/types.js';
import { checkNotReleased } from '../domain/status.js';
import { emit, nowIso, type OrderFlow, type StageContext } from '../order-flow.js';
import type { OrderConfig } from '../../topology/order-config.js';
import { transition, type OrderState } from '../order-state.js';
import { Sinks, Stores } from '../../topology/topics.js';

/** Held-index key: due time first (zero-padded epoch ms) so the index reads in due order. */
export const heldKey = (dueMs: number, orderId: string): string => `${String(dueMs).padStart(15, '0')}|${orderId}`;

export const releaseId = (orderId: string): string => `REL-${orderId}`;

/** The `order.release.v1` record of an order (pure). */
export function releaseOf(state: OrderState, at: string): Release {
  const totals = state.Totals!;
  return {
    ReleaseID: releaseId(state.Order.OrderID),
    OrderID: state.Order.OrderID,
    ShipFromLocationID: state.Order.ShipFromLocationID,
    ReleaseLines: state.Lines.map((line) => ({
      LineID: line.LineID,
      ItemID: line.ItemID,
      Quantity: line.Quantity,
      UnitPrice: line.UnitPrice,
      LineDiscount: line.LineDiscount,
      LineTax: line.LineTax,
      BundleGroupID: line.BundleGroupID,
      ShortDescription: line.ShortDescription,
      ImageURL: line.ImageURL,
    })),
    ...totals,
    PaymentMethod: state.Order.PaymentMethod,
    CodAmount: totals.OrderTotal,
    T1MembershipID: state.Order.T1MembershipID,
    At: at,
  };
}

/** Released only from Allocated with COD accepted and no release yet. */
const releasable = (state: OrderState): boolean =>
  state.Status === OrderStatus.Allocated && state.PaymentStatus === PaymentStatus.Paid && checkNotReleased(state.ReleaseID) === undefined;

export function releaseStage(config: OrderConfig): Processor<string, OrderFlow, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let held: KeyValueStore<string, string>;
  const holdMs = config.releaseHoldSeconds * 1000;

  const release = (key: string, state: OrderState): void => {
    const at = nowIso(context);
    const moved = transition(
      { ...state, ReleaseID: releaseId(state.Order.OrderID), ReleaseDueAt: null },
      OrderStatus.Released,
      'RELEASED',
      'release',
      at,
    );
    emit(context, Sinks.release, key, releaseOf(moved.state, at));
    emit(context, Sinks.status, key, moved.change);
    orders.put(state.Order.OrderID, moved.state);
  };

  /** Releases every held order that fell due; stops at the first one not due (the index is in due order). */
  const releaseDue = async (now: number): Promise<void> => {
    const due: Array<[string, string]> = [];
    for await (const [key, orderId] of held.all()) {
      if (Number(key.slice(0, 15)) > now) break;
      due.push([key, orderId]);
    }
    for (const [key, orderId] of due) {
      held.delete(key);
      const state = await orders.get(orderId);
      // A cancelled or already released order simply leaves the index.
      if (state && releasable(state)) release(state.Order.ShipFromLocationID, state);
    }
  };

  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      held = ctx.getStateStore(Stores.held);
      ctx.schedule(config.releaseCheckMs, 'wall-clock', releaseDue);
    },
    async process(record: Record<string, OrderFlow>) {
      const { state } = record.value;
      if (!releasable(state)) {
        orders.put(state.Order.OrderID, state);
        return;
      }
      const dueMs = Date.parse(state.Order.CreatedAt) + holdMs;
      if (holdMs === 0 || dueMs <= context.currentSystemTime()) {
        if (state.ReleaseDueAt) held.delete(heldKey(Date.parse(state.ReleaseDueAt), state.Order.OrderID));
        release(record.key, state);
        return;
      }
      const dueAt = new Date(dueMs).toISOString();
      held.put(heldKey(dueMs, state.Order.OrderID), state.Order.OrderID);
      orders.put(state.Order.OrderID, { ...state, ReleaseDueAt: dueAt });
    },
  };
}
