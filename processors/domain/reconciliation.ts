// Daily COD reconciliation (docs/contract.md §4, §7): cash a delivery partner confirms is compared with what the order
// should have collected, once a day per store at a configured cut-off in the business time zone.
//
// - Expected: the OrderTotal (0 for a cancelled order: any cash taken for it is OVER).
// - RECONCILED: collected = expected, exactly. SHORT: less. OVER: more. MISSING: delivered, nothing collected.
// - The business day of a run is the local date (in the business time zone) on which its cut-off falls.
import { formatMoney, parseMoney, sum, ZERO } from './money.js';
import type {
  Money,
  ReconciliationException,
  ReconciliationExceptionKind,
  ReconciliationReport,
  SettlementException,
  Timestamp,
} from './types.js';

export type { ReconciliationException, ReconciliationExceptionKind, ReconciliationReport } from './types.js';

/** How a delivered COD order's collection compares: RECONCILED, or one of the exception kinds. */
export type CollectionOutcome = 'RECONCILED' | ReconciliationExceptionKind;

/** How a delivered COD order's collection compares with what it should have collected. */
export function classifyCollection(expected: Money, collected: Money | null): CollectionOutcome {
  if (collected === null) return 'MISSING';
  const difference = parseMoney(collected).comparedTo(parseMoney(expected)) ?? 0;
  return difference === 0 ? 'RECONCILED' : difference < 0 ? 'SHORT' : 'OVER';
}

/** One order at a run. */
export interface ReconciliationItem {
  OrderID: string;
  Outcome: CollectionOutcome;
  ExpectedAmount: Money;
  CollectedAmount: Money | null;
  DeliveredAt: Timestamp | null;
  CollectedAt: Timestamp | null;
}

/**
 * The report of one store's run (pure): exceptions in the items' order, sums exact. Settlement exceptions (the
 * partner's settlement report against its callbacks, domain/settlement.ts) go in OrderID order and stay out of the
 * totals, which count the cash the callbacks recorded.
 */
export function reconciliationReport(
  store: string,
  run: { BusinessDay: string; TimeZone: string; CutOffAt: Timestamp; At: Timestamp },
  items: readonly ReconciliationItem[],
  settlementExceptions: readonly SettlementException[] = [],
): ReconciliationReport {
  const reconciled = items.filter((item) => item.Outcome === 'RECONCILED');
  const exceptions: ReconciliationException[] = [];
  for (const item of items) {
    if (item.Outcome === 'RECONCILED') continue;
    const collected = item.CollectedAmount === null ? ZERO : parseMoney(item.CollectedAmount);
    exceptions.push({
      OrderID: item.OrderID,
      Kind: item.Outcome,
      ExpectedAmount: item.ExpectedAmount,
      CollectedAmount: item.CollectedAmount,
      Difference: formatMoney(collected.minus(parseMoney(item.ExpectedAmount))),
      DeliveredAt: item.DeliveredAt,
      CollectedAt: item.CollectedAt,
    });
  }
  return {
    ShipFromLocationID: store,
    ...run,
    ReconciledOrders: reconciled.length,
    ReconciledAmount: formatMoney(sum(reconciled.map((item) => parseMoney(item.ExpectedAmount)))),
    Exceptions: exceptions,
    SettlementExceptions: [...settlementExceptions].sort((a, b) => (a.OrderID < b.OrderID ? -1 : a.OrderID > b.OrderID ? 1 : 0)),
    ExpectedTotal: formatMoney(sum(items.map((item) => parseMoney(item.ExpectedAmount)))),
    CollectedTotal: formatMoney(sum(items.map((item) => (item.CollectedAmount === null ? ZERO : parseMoney(item.CollectedAmount))))),
    At: run.At,
  };
}

/** A daily cut-off, local time of day. */
export interface CutOff {
  hour: number;
  minute: number;
}

/** "23:00" → { hour: 23, minute: 0 }; undefined unless HH:MM on a 24-hour clock. */
export function parseCutOff(text: string): CutOff | undefined {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(text);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
}

/** True when `timeZone` is an IANA zone this runtime knows ("Asia/Bangkok"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar fields of an instant in a zone. */
function localFields(
  epochMs: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(epochMs))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** Local time minus UTC at an instant, in ms. */
function offsetAt(epochMs: number, timeZone: string): number {
  const f = localFields(epochMs, timeZone);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(epochMs / 1000) * 1000;
}

/** The instant a local wall time occurs in a zone (the later reading across a DST change). */
function instantOf(year: number, month: number, day: number, cutOff: CutOff, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, cutOff.hour, cutOff.minute);
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

const isoDay = (year: number, month: number, day: number): string => new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);

/** The latest cut-off at or before `now`, and the business day it closes (its local date). */
export function latestCutOff(now: number, cutOff: CutOff, timeZone: string): { at: number; businessDay: string } {
  const local = localFields(now, timeZone);
  let at = instantOf(local.year, local.month, local.day, cutOff, timeZone);
  let date = new Date(Date.UTC(local.year, local.month - 1, local.day));
  if (at > now) {
    date = new Date(date.getTime() - 86_400_000);
    at = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), cutOff, timeZone);
  }
  return { at, businessDay: isoDay(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()) };
}
