// The delivery partner's settlement report as the second source of COD reconciliation (docs/contract.md §12): each
// row says what the partner collected for an order and settles to the retailer, and is compared with what the
// partner's collection callback recorded on the order. Only PMP sends such a report.
//
// - SETTLED: the settled amount equals the collected one, exactly.
// - SETTLEMENT_MISMATCH: they differ. SETTLEMENT_WITHOUT_COLLECTION: a row, but no collection recorded from PMP.
// - NOT_IN_SETTLEMENT: cash collected through PMP and no row by the cut-off it was due: the cut-off `dueDays`
//   business days after the one that closed the day of the collection.
// - AWAITING: collected, the row not due yet. NONE: neither a collection through PMP nor a row: nothing to judge.
import { formatMoney, parseMoney, ZERO } from './money.js';
import { latestCutOff, type CutOff } from './reconciliation.js';
import type { Money, SettlementException, SettlementExceptionKind, Timestamp } from './types.js';

/** The one partner whose settlement report is imported. */
export const SETTLING_PARTNER = 'PMP';

export type SettlementOutcome = 'SETTLED' | 'AWAITING' | 'NONE' | SettlementExceptionKind;

/** The settlement outcomes that are exceptions. */
export const isSettlementException = (outcome: SettlementOutcome): outcome is SettlementExceptionKind =>
  outcome !== 'SETTLED' && outcome !== 'AWAITING' && outcome !== 'NONE';

/** What of an order the settlement rules read (the OrderState fields of the same names). */
export interface SettlementSubject {
  readonly Carrier: string | null;
  readonly CollectedAmount: Money | null;
  readonly CollectedAt: Timestamp | null;
  readonly DeliveredAt: Timestamp | null;
  readonly History: ReadonlyArray<{ readonly Reason: string | null; readonly Source: string }>;
  readonly SettlementID: string | null;
  readonly SettledAmount: Money | null;
  readonly SettlementDate: string | null;
}

/** The partner sources a collection note (`COLLECTED <amount> by <partner>`, docs/contract.md §4) can have. */
const PARTNER_SOURCES: Readonly<Record<string, string>> = { grab: 'GRAB', pmp: 'PMP' };

/**
 * The partner whose collection callback recorded the order's cash: the carrier Slick named (once it is known the
 * deliver stage takes statuses from no one else, and store staff confirm cash as the carrier), else the source of
 * the latest collection note. Null when no cash is recorded.
 */
export function collectionPartner(subject: SettlementSubject): string | null {
  if (subject.CollectedAmount === null) return null;
  if (subject.Carrier) return subject.Carrier.toUpperCase();
  for (let i = subject.History.length - 1; i >= 0; i--) {
    const entry = subject.History[i]!;
    if (entry.Reason?.startsWith('COLLECTED ')) return PARTNER_SOURCES[entry.Source] ?? null;
  }
  return null;
}

/** The cash the settling partner's callback recorded; null when none, or when another partner collected it. */
export const collectedBySettlingPartner = (subject: SettlementSubject): Money | null =>
  collectionPartner(subject) === SETTLING_PARTNER ? subject.CollectedAmount : null;

/** What a settlement row can say of an order on its own. */
export type RowOutcome = 'SETTLED' | 'SETTLEMENT_MISMATCH' | 'SETTLEMENT_WITHOUT_COLLECTION';

/** How a settled amount compares with the callback's cash (null: none recorded). */
export function compareSettlement(collected: Money | null, settled: Money): RowOutcome {
  if (collected === null) return 'SETTLEMENT_WITHOUT_COLLECTION';
  return parseMoney(settled).comparedTo(parseMoney(collected)) === 0 ? 'SETTLED' : 'SETTLEMENT_MISMATCH';
}

/** How a settlement (null: none yet) compares with the callback's cash (null: none); `overdue` when a row was due. */
export function classifySettlement(collected: Money | null, settled: Money | null, overdue: boolean): SettlementOutcome {
  if (settled === null) return collected === null ? 'NONE' : overdue ? 'NOT_IN_SETTLEMENT' : 'AWAITING';
  return compareSettlement(collected, settled);
}

/** The first daily cut-off after `at`'s (25 h always reaches it: a local day is 23 to 25 hours long). */
const nextCutOff = (at: number, cutOff: CutOff, timeZone: string): number => latestCutOff(at + 25 * 3_600_000, cutOff, timeZone).at;

/**
 * The cut-off by which a collection at `collectedAt` must be in a settlement: the cut-off closing the business day of
 * the collection (the first at or after it), then `dueDays` more.
 */
export function settlementDueAt(collectedAt: number, dueDays: number, cutOff: CutOff, timeZone: string): number {
  const latest = latestCutOff(collectedAt, cutOff, timeZone).at;
  let due = latest === collectedAt ? latest : nextCutOff(latest, cutOff, timeZone);
  for (let day = 0; day < dueDays; day++) due = nextCutOff(due, cutOff, timeZone);
  return due;
}

/** The order's settlement judged at the run of cut-off `cutOffAt`. */
export function judgeSettlement(
  subject: SettlementSubject,
  cutOffAt: number,
  rule: { dueDays: number; cutOff: CutOff; timeZone: string },
): SettlementOutcome {
  const collected = collectedBySettlingPartner(subject);
  const collectedAt = subject.CollectedAt === null ? Number.NaN : Date.parse(subject.CollectedAt);
  // A collection without a readable time has been waiting for as long as anyone can tell.
  const overdue = !Number.isFinite(collectedAt) || cutOffAt >= settlementDueAt(collectedAt, rule.dueDays, rule.cutOff, rule.timeZone);
  return classifySettlement(collected, subject.SettledAmount, overdue);
}

/** The report entry of an order whose settlement is an exception (pure). */
export function settlementException(orderId: string, kind: SettlementExceptionKind, subject: SettlementSubject): SettlementException {
  const collected = collectedBySettlingPartner(subject);
  const settled = kind === 'NOT_IN_SETTLEMENT' ? null : subject.SettledAmount;
  const amount = (value: Money | null) => (value === null ? ZERO : parseMoney(value));
  return {
    OrderID: orderId,
    Kind: kind,
    Partner: SETTLING_PARTNER,
    CollectedAmount: collected,
    SettledAmount: settled,
    Difference: formatMoney(amount(settled).minus(amount(collected))),
    DeliveredAt: subject.DeliveredAt,
    CollectedAt: collected === null ? null : subject.CollectedAt,
    SettlementID: settled === null ? null : subject.SettlementID,
    SettlementDate: settled === null ? null : subject.SettlementDate,
  };
}

/** The history note of a settlement row as the settle stage judged it on arrival. */
export function settlementNote(
  row: { SettlementID: string; SettlementDate: string; SettledAmount: Money },
  outcome: RowOutcome,
  collected: Money | null,
): string {
  const what = `${SETTLING_PARTNER} (settlement of ${row.SettlementDate}, ${row.SettlementID})`;
  switch (outcome) {
    case 'SETTLED':
      return `SETTLED ${row.SettledAmount} by ${what}`;
    case 'SETTLEMENT_MISMATCH':
      return `SETTLEMENT ${row.SettledAmount} by ${what}: SETTLEMENT_MISMATCH against ${collected} collected, a reconciliation exception`;
    case 'SETTLEMENT_WITHOUT_COLLECTION':
      return `SETTLEMENT ${row.SettledAmount} by ${what}: ${outcome}, no collection by ${SETTLING_PARTNER} recorded, a reconciliation exception`;
  }
}

/** The history note of a settlement that matched at a cut-off, once the collection came after (or was corrected). */
export const settledLaterNote = (subject: SettlementSubject, businessDay: string): string =>
  `SETTLED ${subject.SettledAmount} by ${SETTLING_PARTNER} (settlement of ${subject.SettlementDate}, ${subject.SettlementID}): the collection matches it at business day ${businessDay}`;
