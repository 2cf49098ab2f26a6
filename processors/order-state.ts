/**
 * What the `orders` store holds per OrderID: the order as accepted, its priced lines and totals, its status,
 * payment status and full history. Pure helpers that move it; the stages do the I/O.
 */
import type { OrderTotals } from './domain/calculation.js';
import type { Money, OrderCreate, OrderStatusCode, PaymentStatus, StatusChange, Timestamp } from './domain/types.js';

export interface PricedLine {
  LineID: string;
  ItemID: string;
  Quantity: number;
  UnitPrice: Money;
  LineAmount: Money;
  LineDiscount: Money;
  LineTax: Money;
  BundleGroupID: string | null;
  ShortDescription: string | null;
  ImageURL: string | null;
}

/** Cal A–F as the calculation gives them. */
export type { OrderTotals } from './domain/calculation.js';

/** One history entry: a transition, or a change that kept the status (From = To), e.g. a modification. */
export interface HistoryEntry {
  From: OrderStatusCode | null;
  To: OrderStatusCode;
  Reason: string | null;
  Source: string;
  At: Timestamp;
}

export interface OrderState {
  Order: OrderCreate;
  Status: OrderStatusCode;
  PaymentStatus: PaymentStatus | null;
  Lines: PricedLine[];
  Totals: OrderTotals | null;
  /** SHA-256 of the OrderCreate bytes as first accepted: a byte-identical resend is a redelivery. */
  PayloadHash: string;
  ReleaseID: string | null;
  /** When a held order falls due for release (CreatedAt + hold), ISO-8601 UTC; null once released or with no hold. */
  ReleaseDueAt: Timestamp | null;
  History: HistoryEntry[];
  UpdatedAt: Timestamp;
  // After release (version 3 of the OrderState schema; absent in state written before it, read as null / []).
  /** Carrier tracking id, carrier and estimated delivery, as the latest Slick event that gave them. */
  TrackingID?: string | null;
  Carrier?: string | null;
  EstimatedDelivery?: Timestamp | null;
  /** EventIDs of the last ship and delivery events applied (at most MAX_SEEN_EVENTS, oldest first). */
  SeenEventIDs?: string[];
  /** Lines (or units of lines) cancelled by shorts, as they were priced. */
  ShortedLines?: PricedLine[];
  /** When the partner reported the order delivered (its At). */
  DeliveredAt?: Timestamp | null;
  /** Cash the partner confirmed collecting, and when (its At); the latest confirmation wins. */
  CollectedAmount?: string | null;
  CollectedAt?: Timestamp | null;
}

/** How many EventIDs an order remembers for idempotency: far more than one order's fulfillment produces. */
export const MAX_SEEN_EVENTS = 100;

/** True when an event with this EventID was already applied to the order. */
export const hasSeen = (state: OrderState, eventId: string): boolean => (state.SeenEventIDs ?? []).includes(eventId);

/** The state remembering `eventId`, dropping the oldest ids past MAX_SEEN_EVENTS. */
export function rememberEvent(state: OrderState, eventId: string): OrderState {
  const seen = [...(state.SeenEventIDs ?? []), eventId];
  return { ...state, SeenEventIDs: seen.length > MAX_SEEN_EVENTS ? seen.slice(seen.length - MAX_SEEN_EVENTS) : seen };
}

/** The new state and the `order.status.v1` record of one transition. */
export function transition(state: OrderState, to: OrderStatusCode, reason: string, source: string, at: Timestamp): { state: OrderState; change: StatusChange } {
  const from = state.Status;
  const entry: HistoryEntry = { From: from, To: to, Reason: reason, Source: source, At: at };
  return {
    state: { ...state, Status: to, History: [...state.History, entry], UpdatedAt: at },
    change: { OrderID: state.Order.OrderID, ShipFromLocationID: state.Order.ShipFromLocationID, FromStatus: from, ToStatus: to, Reason: reason, Source: source, At: at },
  };
}

/** A change that keeps the status (a modification, an ignored out-of-order event): history only. */
export function note(state: OrderState, reason: string, source: string, at: Timestamp, to: OrderStatusCode = state.Status): OrderState {
  return { ...state, History: [...state.History, { From: state.Status, To: to, Reason: reason, Source: source, At: at }], UpdatedAt: at };
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
    History: [{ From: null, To: 1000, Reason: 'VALIDATED', Source: 'validate', At: at }],
    UpdatedAt: at,
  };
  return {
    state,
    change: { OrderID: order.OrderID, ShipFromLocationID: order.ShipFromLocationID, FromStatus: null, ToStatus: 1000, Reason: 'VALIDATED', Source: 'validate', At: at },
  };
}
