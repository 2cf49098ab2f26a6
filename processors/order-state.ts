/**
 * What the `orders` store holds per OrderID: the order as accepted, its priced lines and totals, its status,
 * payment status and full history. Pure helpers that move it; the stages do the I/O.
 */
import type * as Schema from '../avro/generated/records.js';
import type { OrderCreate, OrderStatusCode, PaymentStatus, StatusChange, Timestamp } from './domain/types.js';

export type { OrderTotals, PricedLine } from '../avro/generated/records.js';

/**
 * One history entry: a transition, or a change that kept the status (From = To), e.g. a modification; status codes
 * narrowed to OrderStatus.
 */
export interface StatusHistoryEntry extends Schema.StatusHistoryEntry {
  From: OrderStatusCode | null;
  To: OrderStatusCode;
}

/**
 * The `orders` store value (the OrderState schema), with its status codes narrowed to what the pipeline writes.
 * Values read from the store carry every field; fields added in version 3 read as null / [] in state written before.
 */
export interface OrderState extends Schema.OrderState {
  Status: OrderStatusCode;
  PaymentStatus: PaymentStatus | null;
  History: StatusHistoryEntry[];
}

/** How many EventIDs an order remembers for idempotency: far more than one order's fulfillment produces. */
export const MAX_SEEN_EVENTS = 100;

/** True when an event with this EventID was already applied to the order. */
export const hasSeen = (state: OrderState, eventId: string): boolean => state.SeenEventIDs.includes(eventId);

/** The state remembering `eventId`, dropping the oldest ids past MAX_SEEN_EVENTS. */
export function rememberEvent(state: OrderState, eventId: string): OrderState {
  const seen = [...state.SeenEventIDs, eventId];
  return { ...state, SeenEventIDs: seen.length > MAX_SEEN_EVENTS ? seen.slice(seen.length - MAX_SEEN_EVENTS) : seen };
}

/** The new state and the `order.status.v1` record of one transition. */
export function transition(
  state: OrderState,
  to: OrderStatusCode,
  reason: string,
  source: string,
  at: Timestamp,
  actor: string | null = null,
): { state: OrderState; change: StatusChange } {
  const from = state.Status;
  const entry: StatusHistoryEntry = { From: from, To: to, Reason: reason, Source: source, At: at, Actor: actor };
  return {
    state: { ...state, Status: to, History: [...state.History, entry], UpdatedAt: at },
    change: {
      OrderID: state.Order.OrderID,
      ShipFromLocationID: state.Order.ShipFromLocationID,
      FromStatus: from,
      ToStatus: to,
      Reason: reason,
      Source: source,
      At: at,
      Actor: actor,
    },
  };
}

/** A change that keeps the status (a modification, an ignored out-of-order event): history only. */
export function note(
  state: OrderState,
  reason: string,
  source: string,
  at: Timestamp,
  to: OrderStatusCode = state.Status,
  actor: string | null = null,
): OrderState {
  const entry: StatusHistoryEntry = { From: state.Status, To: to, Reason: reason, Source: source, At: at, Actor: actor };
  return { ...state, History: [...state.History, entry], UpdatedAt: at };
}

/** A newly validated order at 1000 Open, with its first history entry. */
export function openOrder(order: OrderCreate, payloadHash: string, at: Timestamp): { state: OrderState; change: StatusChange } {
  const state: OrderState = {
    Order: order,
    Status: 1000,
    PaymentStatus: null,
    Lines: [],
    Totals: null,
    PayloadHash: payloadHash,
    ReleaseID: null,
    ReleaseDueAt: null,
    History: [{ From: null, To: 1000, Reason: 'VALIDATED', Source: 'validate', At: at, Actor: null }],
    UpdatedAt: at,
    TrackingID: null,
    Carrier: null,
    EstimatedDelivery: null,
    SeenEventIDs: [],
    ShortedLines: [],
    DeliveredAt: null,
    CollectedAmount: null,
    CollectedAt: null,
    SettlementID: null,
    SettledAmount: null,
    SettlementDate: null,
  };
  return {
    state,
    change: {
      OrderID: order.OrderID,
      ShipFromLocationID: order.ShipFromLocationID,
      FromStatus: null,
      ToStatus: 1000,
      Reason: 'VALIDATED',
      Source: 'validate',
      Actor: null,
      At: at,
    },
  };
}
