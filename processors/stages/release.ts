/**
 * Stage 6, release: exactly one release per order, status 3000. With no hold the order is released in the
 * same step as its allocation and payment; with a hold (OMNIA_RELEASE_HOLD_SECONDS) it waits in the
 * `held-releases` index, which a wall-clock punctuator walks in due order.
 *
 * The hold is read on this replica's own clock, and a held order is never due further than the hold away on it:
 *
 * - held: due = min(CreatedAt + hold, now + hold) (and never later than a due it already had). A producer whose
 *   clock is ahead (CreatedAt in the future) or a replica clock stepped back cannot hold an order longer than the hold;
 * - the clock stepped back after an order was indexed: the next check after the step (the first after the task
 *   starts too, as it may come from a replica whose clock was ahead) walks the whole index and moves every entry
 *   due more than the hold ahead to now + hold. A step back therefore delays a release by at most the hold (plus a
 *   check interval), never by the size of the step;
 * - the clock stepped forward: held orders fall due up to the step early. The wall clock defines the hold, and a
 *   step forward cannot be told from time passing.
 *
 * The order's ReleaseDueAt is always its index key's due time; a release clears it and the entry.
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
  // The latest time read from the clock (processing or a check). A check that reads an earlier one knows the clock
  // went back and walks the whole index; unknown (+Infinity) until the first check after the task starts.
  let latestNow = Infinity;

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

  /** Indexes the order at `dueMs`, replacing the entry it had; its ReleaseDueAt says the same. */
  const hold = (state: OrderState, dueMs: number): void => {
    const orderId = state.Order.OrderID;
    if (state.ReleaseDueAt && Date.parse(state.ReleaseDueAt) !== dueMs) held.delete(heldKey(Date.parse(state.ReleaseDueAt), orderId));
    held.put(heldKey(dueMs, orderId), orderId);
    orders.put(orderId, { ...state, ReleaseDueAt: new Date(dueMs).toISOString() });
  };

  /**
   * Releases every held order that fell due. The index is in due order, so a check stops at the first entry not
   * due; after the clock went back it walks on and moves the entries due more than the hold ahead to now + hold.
   */
  const releaseDue = async (now: number): Promise<void> => {
    const wentBack = now < latestNow;
    latestNow = now;
    const due: Array<[string, string]> = [];
    const tooFar: Array<[string, string]> = [];
    for await (const [key, orderId] of held.all()) {
      const dueMs = Number(key.slice(0, 15));
      if (dueMs <= now) due.push([key, orderId]);
      else if (!wentBack) break;
      else if (dueMs > now + holdMs) tooFar.push([key, orderId]);
    }
    for (const [key, orderId] of due) {
      held.delete(key);
      const state = await orders.get(orderId);
      // A cancelled or already released order simply leaves the index.
      if (state && releasable(state)) release(state.Order.ShipFromLocationID, state);
    }
    for (const [key, orderId] of tooFar) {
      const state = await orders.get(orderId);
      if (state && releasable(state)) hold({ ...state, ReleaseDueAt: new Date(Number(key.slice(0, 15))).toISOString() }, now + holdMs);
      else held.delete(key);
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
      const now = context.currentSystemTime();
      if (latestNow !== Infinity) latestNow = Math.max(latestNow, now);
      const dueMs = Math.min(
        Date.parse(state.Order.CreatedAt) + holdMs,
        now + holdMs,
        state.ReleaseDueAt ? Date.parse(state.ReleaseDueAt) : Infinity,
      );
      if (holdMs === 0 || dueMs <= now) {
        if (state.ReleaseDueAt) held.delete(heldKey(Date.parse(state.ReleaseDueAt), state.Order.OrderID));
        release(record.key, state);
        return;
      }
      hold(state, dueMs);
    },
  };
}
