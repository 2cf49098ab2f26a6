/**
 * After release, fulfil: Slick ship events on `fulfillment.ship-event.v1`.
 *
 * - picking 3500, picked 3600, packing / packed 3700, shipped 7000: forward only (order-events.ts `step`);
 *   TrackingID, Carrier and EstimatedDelivery are kept from any event that carries them. At 7000 the order's
 *   units leave the stock count (its allocation is given back: inventory.ts `leavesStock`).
 * - short: the lines (a bundle group whole) are cancelled, their allocation given back, the order repriced
 *   (domain/shorts.ts) and a changed total published as a new 5000 payment event; with no line left the order
 *   is cancelled (9000, ALL_LINES_SHORT) and its COD acceptance reversed.
 * - substitution: accepted per line within 20 % of the line's price (catalog price of the substitute), refused
 *   lines noted in history with the order unchanged.
 * - Shorts and substitutions are taken from Released up to Packed; after shipping (or before release, or
 *   cancelled) they are noted as OUT_OF_ORDER. A repeated EventID is ignored.
 * - Dead letters: ORDER_NOT_FOUND, SHIP_FROM_LOCATION_MISMATCH, UNKNOWN_LINE (a LineID the order never had),
 *   INVALID_LINE (a short or substitution without lines, or a Quantity below 1).
 */
import type { KeyValueStore, ReadOnlyKeyValueStore } from '../../state/key-value-store.js';
import { DeadLetterError } from '../../runtime/errors.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { formatMoney, parseMoney } from '../domain/money.js';
import { applyShorts, decideSubstitution, repriceOrder, type ShortedLine } from '../domain/shorts.js';
import { statusForShipEvent } from '../domain/status.js';
import {
  ErrorCode,
  OrderStatus,
  PaymentStatus,
  type OrderLine,
  type Product,
  type ShipEvent,
  type ShipEventLine,
} from '../domain/types.js';
import { cancelOrder, paymentEvent } from '../cancel.js';
import { pricedOrder } from './calculate.js';
import { adjustAllocation, leavesStock, type InventoryCounter } from '../inventory.js';
import { findOrder, step } from '../order-events.js';
import { emit, nowIso, type StageContext } from '../order-flow.js';
import { hasSeen, note, rememberEvent, type OrderState, type PricedLine } from '../order-state.js';
import { Sinks, Stores } from '../../topology/topics.js';

const SOURCE = 'slick';

/** Shorts and substitutions change lines: only between release and shipping. */
const linesOpen = (state: OrderState): boolean => state.Status >= OrderStatus.Released && state.Status < OrderStatus.Fulfilled;

function withTracking(state: OrderState, event: ShipEvent): OrderState {
  return {
    ...state,
    ...(event.TrackingID ? { TrackingID: event.TrackingID } : {}),
    ...(event.Carrier ? { Carrier: event.Carrier } : {}),
    ...(event.EstimatedDelivery ? { EstimatedDelivery: event.EstimatedDelivery } : {}),
  };
}

/** The event's lines, each naming a line the order has or had; dead-letters anything else. */
function eventLines(event: ShipEvent, state: OrderState): ShipEventLine[] {
  const lines = event.Lines ?? [];
  if (lines.length === 0) throw new DeadLetterError(ErrorCode.InvalidLine, `a ${event.EventType} event must list the lines it concerns`);
  const known = new Set([...state.Lines, ...state.ShortedLines].map((line) => line.LineID));
  for (const line of lines) {
    if (!Number.isInteger(line.Quantity) || line.Quantity < 1)
      throw new DeadLetterError(ErrorCode.InvalidLine, `line ${line.LineID}: Quantity must be a whole number ≥ 1, got ${line.Quantity}`);
    if (!known.has(line.LineID))
      throw new DeadLetterError(ErrorCode.UnknownLine, `order ${state.Order.OrderID} has no line ${JSON.stringify(line.LineID)}`);
  }
  return lines;
}

/** The part of a priced line a short took off: the whole line, or the difference between before and after. */
function shortedPart(short: ShortedLine, before: PricedLine, after: PricedLine | undefined): PricedLine {
  if (short.Whole || !after) return before;
  const minus = (a: string, b: string) => formatMoney(parseMoney(a).minus(parseMoney(b)));
  return {
    ...before,
    Quantity: short.Quantity,
    LineAmount: minus(before.LineAmount, after.LineAmount),
    LineDiscount: minus(before.LineDiscount, after.LineDiscount),
    LineTax: minus(before.LineTax, after.LineTax),
  };
}

const describeShort = (short: ShortedLine): string =>
  short.Whole
    ? `line ${short.LineID}${short.BundleGroupID ? ` (bundle group ${short.BundleGroupID})` : ''}`
    : `${short.Quantity} units of line ${short.LineID}`;

export function fulfilStage(): Processor<string, ShipEvent, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let inventory: KeyValueStore<string, InventoryCounter>;
  let catalog: ReadOnlyKeyValueStore<string, Product>;

  /** The order with new lines, repriced; a changed total while COD is accepted is published as a new 5000. */
  const reprice = (key: string, state: OrderState, orderLines: OrderLine[]): OrderState => {
    const calculation = repriceOrder({ OrderLines: orderLines, Charges: state.Order.Charges }, state.Lines);
    const { lines, totals } = pricedOrder(orderLines, calculation);
    const repriced = { ...state, Order: { ...state.Order, OrderLines: orderLines }, Lines: lines, Totals: totals };
    if (state.PaymentStatus === PaymentStatus.Paid && state.Totals?.OrderTotal !== totals.OrderTotal) {
      emit(context, Sinks.payment, key, paymentEvent(repriced, PaymentStatus.Paid, nowIso(context)));
    }
    return repriced;
  };

  const short = async (key: string, state: OrderState, event: ShipEvent): Promise<OrderState> => {
    const outcome = applyShorts(state.Order.OrderLines, state.Lines, eventLines(event, state));
    const at = nowIso(context);
    if (outcome.Shorted.length === 0)
      return note(state, `SHORT: line ${outcome.UnknownLineIDs.join(', ')} already shorted; nothing changed`, SOURCE, at);
    await adjustAllocation(inventory, state.Order.ShipFromLocationID, outcome.Shorted, -1);
    const already = outcome.UnknownLineIDs.length > 0 ? ` (already shorted: line ${outcome.UnknownLineIDs.join(', ')})` : '';
    const description = `SHORT: ${outcome.Shorted.map(describeShort).join(', ')}${already}`;
    if (outcome.OrderLines.length === 0) {
      // Totals stay those COD was accepted for: the Reversed payment event carries that amount.
      const emptied = note(
        { ...state, Order: { ...state.Order, OrderLines: [] }, Lines: [], ShortedLines: [...state.ShortedLines, ...state.Lines] },
        description,
        SOURCE,
        at,
      );
      return cancelOrder(context, { orders }, emptied, 'ALL_LINES_SHORT', SOURCE, { allocated: false });
    }
    const repriced = reprice(key, state, outcome.OrderLines);
    const before = new Map(state.Lines.map((line) => [line.LineID, line]));
    const after = new Map(repriced.Lines.map((line) => [line.LineID, line]));
    const parts = outcome.Shorted.map((s) => shortedPart(s, before.get(s.LineID)!, after.get(s.LineID)));
    const total = `OrderTotal ${state.Totals?.OrderTotal ?? '—'} → ${repriced.Totals!.OrderTotal}`;
    return note({ ...repriced, ShortedLines: [...state.ShortedLines, ...parts] }, `${description}; ${total}`, SOURCE, at);
  };

  const substitute = async (key: string, state: OrderState, event: ShipEvent): Promise<OrderState> => {
    const requests = eventLines(event, state);
    const at = nowIso(context);
    const groupOf = new Map(state.Lines.map((line) => [line.LineID, line.BundleGroupID]));
    const orderLines = [...state.Order.OrderLines];
    const notes: string[] = [];
    const moved: Array<{ from: OrderLine; to: OrderLine }> = [];
    for (const request of requests) {
      const index = orderLines.findIndex((line) => line.LineID === request.LineID);
      if (index < 0) {
        notes.push(`SUBSTITUTION_REFUSED: line ${request.LineID} was shorted`);
        continue;
      }
      const line = orderLines[index]!;
      const product = request.SubstituteItemID ? await catalog.get(request.SubstituteItemID) : undefined;
      const decision = decideSubstitution(line, groupOf.get(line.LineID) ?? null, request, product);
      if (!decision.Accepted) {
        notes.push(`SUBSTITUTION_REFUSED ${decision.Reason}: ${decision.Message}`);
        continue;
      }
      orderLines[index] = decision.Line;
      moved.push({ from: line, to: decision.Line });
      notes.push(`SUBSTITUTED: line ${line.LineID} ${line.ItemID} → ${decision.Line.ItemID} at ${decision.Line.UnitPrice}`);
    }
    let next = state;
    if (moved.length > 0) {
      const location = state.Order.ShipFromLocationID;
      await adjustAllocation(
        inventory,
        location,
        moved.map((m) => m.from),
        -1,
      );
      await adjustAllocation(
        inventory,
        location,
        moved.map((m) => m.to),
        1,
      );
      next = reprice(key, state, orderLines);
      notes.push(`OrderTotal ${state.Totals?.OrderTotal ?? '—'} → ${next.Totals!.OrderTotal}`);
    }
    return note(next, notes.join('; '), SOURCE, at);
  };

  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      inventory = ctx.getStateStore(Stores.inventory);
      catalog = ctx.getStateStore(Stores.catalog);
    },
    async process(record: Record<string, ShipEvent>) {
      const event = record.value;
      const found = await findOrder(orders, record.key, event);
      if (hasSeen(found, event.EventID)) return;
      const key = record.key;
      let state = withTracking(rememberEvent(found, event.EventID), event);
      if (event.EventType === 'short' || event.EventType === 'substitution') {
        const reason = event.EventType.toUpperCase();
        if (!linesOpen(state)) {
          eventLines(event, state);
          state = note(
            state,
            `OUT_OF_ORDER: ${reason} ignored at ${state.Status}; lines change only between Released (3000) and shipping (7000)`,
            SOURCE,
            nowIso(context),
          );
        } else {
          state = event.EventType === 'short' ? await short(key, state, event) : await substitute(key, state, event);
        }
      } else {
        const to = statusForShipEvent(event.EventType);
        if (to === undefined)
          throw new DeadLetterError(ErrorCode.UnknownEventType, `unknown ship event type ${JSON.stringify(event.EventType)}`);
        state = step(context, key, state, to, event.EventType.toUpperCase(), SOURCE);
      }
      if (leavesStock(found.Status, state.Status)) await adjustAllocation(inventory, state.Order.ShipFromLocationID, state.Lines, -1);
      orders.put(state.Order.OrderID, state);
    },
  };
}
