/**
 * Returns of delivered orders (docs/contract.md §11, *Returns*): whether a return may be asked or received, and what
 * it records. Pure; processors/stages/returns.ts does the I/O, and the query service (query-service/return-routes.ts)
 * runs the same checks on the order's view to refuse at once what the stage would.
 *
 * - A return is asked from 7500 Delivered on (8000 and 8500 too: a second return of the rest), within
 *   OMNIA_RETURN_WINDOW_DAYS of the delivery, judged at the moment it was asked (the command's At), so a backlog
 *   on the topic never closes a window the customer asked within.
 * - Per line, no more units than were shipped less the units every earlier return asked for (refunds.ts
 *   `returnRefusals`). A ReturnID already known is the same request produced again: ignored.
 * - A received return is refunded by `refundFor`, its lines after the units every return received before, so the
 *   refunds of all returns of a line add up to what the line was paid, and of all lines to OrderTotal − charges.
 */
import type { OrderReturn, OrderState, ReturnCommand, ReturnsState, ReturnedLine } from '../../avro/records.js';
import { refundFor, returnRefusals, type RefundCalculation, type ReturnRefusal } from './refunds.js';
import { ErrorCode, OrderStatus, OrderStatusName, type OrderStatusCode } from './types.js';

export type { OrderReturn, ReturnCommand, ReturnsState, ReturnedLine } from '../../avro/records.js';

/** What of an order the return rules read: its store, status, delivery and the lines as shipped and paid. */
export type ReturnSubject = Pick<OrderState, 'Order' | 'Status' | 'Lines' | 'DeliveredAt' | 'History'>;

/** The codes a return is refused with: by the API at once (409) and by the stage (the dead letter's code). */
export const ReturnCode = {
  OrderNotFound: ErrorCode.OrderNotFound,
  ShipFromLocationMismatch: ErrorCode.ShipFromLocationMismatch,
  /** The order is not (yet) delivered: below 7500, or cancelled. */
  NotDelivered: 'NOT_DELIVERED',
  /** Asked more than OMNIA_RETURN_WINDOW_DAYS after the delivery. */
  ReturnWindowClosed: 'RETURN_WINDOW_CLOSED',
  /** A REQUEST without lines. */
  InvalidLine: ErrorCode.InvalidLine,
  UnknownLine: ErrorCode.UnknownLine,
  InvalidQuantity: 'INVALID_QUANTITY',
  DuplicateLine: 'DUPLICATE_LINE',
  /** More units of a line than were shipped, less those earlier returns asked for. */
  QuantityExceedsShipped: 'QUANTITY_EXCEEDS_SHIPPED',
  /** A RECEIVE of a return the order does not have. */
  ReturnNotFound: 'RETURN_NOT_FOUND',
  /** A RECEIVE of a return already received (by another command). */
  ReturnAlreadyReceived: 'RETURN_ALREADY_RECEIVED',
} as const;
export type ReturnCode = (typeof ReturnCode)[keyof typeof ReturnCode];

/** Why a return command is refused: the first code heads the dead letter, the message lists every reason. */
export interface ReturnRefused {
  readonly outcome: 'REFUSED';
  readonly code: ReturnCode;
  readonly message: string;
}

/** A command already applied (same ReturnID asked again, same RECEIVE again): nothing to do. */
export interface ReturnIgnored {
  readonly outcome: 'IGNORED';
}

/** History and status Source of a return: people at the store ask and receive it. */
export const RETURN_SOURCE = 'store';

/** Statuses a return may be asked at: delivered, or already returning (a second return of the rest). */
export const RETURNABLE_STATUSES: readonly OrderStatusCode[] = [OrderStatus.Delivered, OrderStatus.ReturnRequested, OrderStatus.Returned];

export const isReturnable = (status: number): boolean => (RETURNABLE_STATUSES as readonly number[]).includes(status);

const DAY_MS = 86_400_000;

/** When the window of a delivery closes: `days` whole days after it, inclusive. */
export const returnWindowClosesAt = (deliveredAt: string, days: number): string =>
  new Date(Date.parse(deliveredAt) + days * DAY_MS).toISOString();

/** True when a return asked at `askedAt` comes after the window of the delivery at `deliveredAt`. */
export const returnWindowClosed = (deliveredAt: string, askedAt: string, days: number): boolean =>
  Date.parse(askedAt) > Date.parse(deliveredAt) + days * DAY_MS;

/**
 * When the order was delivered: DeliveredAt (the partner's time of the delivery), or for state written before
 * that field, the time it first reached 7500 in its history; null when it never did.
 */
export function deliveredAtOf(state: Pick<ReturnSubject, 'DeliveredAt' | 'History'>): string | null {
  return state.DeliveredAt ?? state.History.find((entry) => entry.To === OrderStatus.Delivered)?.At ?? null;
}

/** NOT_DELIVERED or RETURN_WINDOW_CLOSED for a return asked at `askedAt`; undefined when one may be asked. */
export function returnableRefusal(
  order: { readonly OrderID: string; readonly Status: number; readonly DeliveredAt: string | null },
  askedAt: string,
  windowDays: number,
): ReturnRefused | undefined {
  if (!isReturnable(order.Status) || order.DeliveredAt === null) {
    const name = OrderStatusName[order.Status as OrderStatusCode] ?? String(order.Status);
    return refused(
      ReturnCode.NotDelivered,
      `order ${order.OrderID} is ${name} (${order.Status}); a return is taken once it is Delivered (7500)`,
    );
  }
  if (returnWindowClosed(order.DeliveredAt, askedAt, windowDays))
    return refused(
      ReturnCode.ReturnWindowClosed,
      `order ${order.OrderID} was delivered at ${order.DeliveredAt}; returns closed ${windowDays} days later, at ${returnWindowClosesAt(order.DeliveredAt, windowDays)}, before ${askedAt}`,
    );
  return undefined;
}

/** Units of each line in `returns` (all of them, or only the received ones). */
export function unitsReturned(returns: readonly OrderReturn[], which: 'requested' | 'received'): Map<string, number> {
  const units = new Map<string, number>();
  for (const entry of returns) {
    if (which === 'received' && entry.ReceivedAt === null) continue;
    for (const line of entry.Lines) units.set(line.LineID, (units.get(line.LineID) ?? 0) + line.Quantity);
  }
  return units;
}

/** One refusal of `returnRefusals` in words, for the dead letter and the API's details. */
export function describeRefusal(refusal: ReturnRefusal): string {
  switch (refusal.Code) {
    case 'UNKNOWN_LINE':
      return `${refusal.LineID}: the order has no such line`;
    case 'INVALID_QUANTITY':
      return `${refusal.LineID}: the quantity must be a whole number of at least 1`;
    case 'DUPLICATE_LINE':
      return `${refusal.LineID}: the line is listed twice`;
    case 'QUANTITY_EXCEEDS_SHIPPED':
      return `${refusal.LineID}: ${refusal.Returnable} of the ${refusal.Shipped} units shipped may still be returned`;
  }
}

/** The refusal of a request whose lines `returnRefusals` refused: its first code, every reason. */
export function linesRefused(refusals: readonly ReturnRefusal[]): ReturnRefused {
  return refused(refusals[0]!.Code, refusals.map((refusal) => `${refusal.Code} ${describeRefusal(refusal)}`).join('; '));
}

const refused = (code: ReturnCode, message: string): ReturnRefused => ({ outcome: 'REFUSED', code, message });

/** "L1 × 2, L2 × 1". */
export const describeLines = (lines: ReadonlyArray<{ LineID: string; Quantity: number }>): string =>
  lines.map((line) => `${line.LineID} × ${line.Quantity}`).join(', ');

/** The time a command was asked: its At when that is a timestamp, else `fallback` (the processing time). */
export const askedAt = (command: Pick<ReturnCommand, 'At'>, fallback: string): string =>
  Number.isFinite(Date.parse(command.At)) ? new Date(command.At).toISOString() : fallback;

export type RequestDecision =
  | ReturnRefused
  | ReturnIgnored
  | {
      readonly outcome: 'ACCEPTED';
      readonly entry: OrderReturn;
      /** 7500 → 8000; at 8000 or 8500 the request is a history note only (statuses never move back). */
      readonly moves: boolean;
      readonly historyNote: string;
    };

/**
 * A REQUEST against the order's state and its returns so far (undefined: none yet); `at` is when it was asked.
 * The order is the command's (the stage found it).
 */
export function decideReturnRequest(
  state: ReturnSubject,
  returns: ReturnsState | undefined,
  command: ReturnCommand,
  at: string,
  windowDays: number,
): RequestDecision {
  const known = returns?.Returns ?? [];
  if (known.some((entry) => entry.ReturnID === command.ReturnID)) return { outcome: 'IGNORED' };
  const notReturnable = returnableRefusal(
    { OrderID: state.Order.OrderID, Status: state.Status, DeliveredAt: deliveredAtOf(state) },
    at,
    windowDays,
  );
  if (notReturnable) return notReturnable;
  const asked = command.Lines ?? [];
  if (asked.length === 0) return refused(ReturnCode.InvalidLine, 'a return must list the lines and units it takes back');
  const refusals = returnRefusals(state.Lines, asked, unitsReturned(known, 'requested'));
  if (refusals.length > 0) return linesRefused(refusals);
  const items = new Map(state.Lines.map((line) => [line.LineID, line.ItemID]));
  const entry: OrderReturn = {
    ReturnID: command.ReturnID,
    CommandID: command.CommandID,
    Lines: asked.map((line): ReturnedLine => ({
      LineID: line.LineID,
      ItemID: items.get(line.LineID)!,
      Quantity: line.Quantity,
      Amount: null,
      Discount: null,
      Tax: null,
      Refund: null,
    })),
    Reason: command.Reason,
    RequestedBy: command.RequestedBy,
    RequestedAt: at,
    ReceivedBy: null,
    ReceivedAt: null,
    ReceivedCommandID: null,
    RefundTotal: null,
  };
  return {
    outcome: 'ACCEPTED',
    entry,
    moves: state.Status === OrderStatus.Delivered,
    historyNote: `RETURN_REQUESTED ${command.ReturnID}: ${describeLines(asked)}${command.Reason ? ` (${command.Reason})` : ''}`,
  };
}

export type ReceiveDecision =
  | ReturnRefused
  | ReturnIgnored
  | {
      readonly outcome: 'RECEIVED';
      /** The order's returns with this one received and its refund filled in. */
      readonly returns: ReturnsState;
      readonly received: OrderReturn;
      readonly refund: RefundCalculation;
      /** No return is left open and the order is at 8000: it moves to 8500. */
      readonly moves: boolean;
      readonly historyNote: string;
    };

/** A RECEIVE against the order's state and returns; `at` is when the units were received. */
export function decideReturnReceipt(
  state: ReturnSubject,
  returns: ReturnsState | undefined,
  command: ReturnCommand,
  at: string,
): ReceiveDecision {
  const known = returns?.Returns ?? [];
  const index = known.findIndex((entry) => entry.ReturnID === command.ReturnID);
  const entry = known[index];
  if (!returns || !entry)
    return refused(ReturnCode.ReturnNotFound, `order ${state.Order.OrderID} has no return ${JSON.stringify(command.ReturnID)}`);
  if (entry.ReceivedCommandID === command.CommandID) return { outcome: 'IGNORED' };
  if (entry.ReceivedAt !== null)
    return refused(
      ReturnCode.ReturnAlreadyReceived,
      `return ${entry.ReturnID} of order ${state.Order.OrderID} was received at ${entry.ReceivedAt} by ${entry.ReceivedBy ?? 'someone'}`,
    );
  // The shipped lines, as they were paid (shorted units were never charged), after the units received before.
  const refund = refundFor(state.Lines, entry.Lines, unitsReturned(known, 'received'));
  const byLine = new Map(refund.Lines.map((line) => [line.LineID, line]));
  const received: OrderReturn = {
    ...entry,
    Lines: entry.Lines.map((line) => {
      const part = byLine.get(line.LineID)!;
      return { ...line, Amount: part.Amount, Discount: part.Discount, Tax: part.Tax, Refund: part.Refund };
    }),
    ReceivedBy: command.RequestedBy,
    ReceivedAt: at,
    ReceivedCommandID: command.CommandID,
    RefundTotal: refund.Total,
  };
  const all = known.map((other, i) => (i === index ? received : other));
  return {
    outcome: 'RECEIVED',
    returns: { ...returns, Returns: all, UpdatedAt: at },
    received,
    refund,
    moves: state.Status === OrderStatus.ReturnRequested && all.every((other) => other.ReceivedAt !== null),
    historyNote: `RETURN_RECEIVED ${entry.ReturnID}: ${describeLines(entry.Lines)}; refunded ${refund.Total}`,
  };
}

/** The order's returns with `entry` added (the first one opens the record). */
export function withReturn(returns: ReturnsState | undefined, state: ReturnSubject, entry: OrderReturn, at: string): ReturnsState {
  return {
    OrderID: state.Order.OrderID,
    ShipFromLocationID: state.Order.ShipFromLocationID,
    Returns: [...(returns?.Returns ?? []), entry],
    UpdatedAt: at,
  };
}
