/**
 * What the app decides about exceptions before asking the service (query-service/exception-routes.ts decides for
 * real): which decisions a reconciliation exception or a waiting release offers, whether a note can be sent, which
 * refusals are final, and the board's alerts — stuck orders, releases Slick refused, COD exceptions to check, items
 * short on the shelf (logic/low-stock.ts).
 */
import type { ReconciliationExceptionView, ReleaseAwaitingView } from '../api-types.js';
import { type LowStockAlert, lowStockAlert, type LowStockShown } from './low-stock.js';

export const MAX_NOTE_LENGTH = 200;

export type Decision = 'acknowledge' | 'resolve' | 'retry' | 'park';

/** The path a decision is sent to. */
export function decisionPath(orderId: string, decision: Decision): string {
  const id = encodeURIComponent(orderId);
  return decision === 'retry' || decision === 'park' ? `/orders/${id}/release/${decision}` : `/orders/${id}/reconciliation/${decision}`;
}

/** Why a note cannot be sent yet; undefined when it can. */
export function noteProblem(note: string): 'empty' | 'tooLong' | undefined {
  const text = note.trim();
  if (text.length === 0) return 'empty';
  if (text.length > MAX_NOTE_LENGTH) return 'tooLong';
  return undefined;
}

/** Refusals another try will not change: the dialog offers only Close. */
export const FINAL_DECISION_CODES: readonly string[] = [
  'NO_OPEN_EXCEPTION',
  'RELEASE_NOT_WAITING',
  'RELEASE_BEING_RETRIED',
  'RELEASE_ALREADY_PARKED',
  'ORDER_NOT_FOUND',
  'FORBIDDEN',
];

/** An open exception can be acknowledged (again, with a newer note) and resolved; a closed one offers nothing. */
export const exceptionDecisions = (exception: Pick<ReconciliationExceptionView, 'open'>): Decision[] =>
  exception.open ? ['acknowledge', 'resolve'] : [];

/**
 * A release Slick refused, or a parked one, can be retried; any waiting release not parked can be parked. One Slick
 * has not refused is still being sent by the connector: a retry would only queue behind it.
 */
export function releaseDecisions(release: Pick<ReleaseAwaitingView, 'refused' | 'parked'>): Decision[] {
  const decisions: Decision[] = [];
  if (release.refused || release.parked) decisions.push('retry');
  if (!release.parked) decisions.push('park');
  return decisions;
}

/** How long an order may stay in a status before the board calls it stuck (seconds); unlisted: never. */
export const STUCK_AFTER_SECONDS: Readonly<Record<number, number>> = {
  1000: 10 * 60, // validation and allocation take moments: ten minutes is a fault
  2000: 60 * 60, // allocated, waiting for its release (the hold window is minutes)
  3000: 60 * 60, // released, Slick not picking
  3500: 2 * 3600,
  3600: 2 * 3600,
  3700: 2 * 3600,
  7000: 24 * 3600,
  7100: 24 * 3600,
  7200: 24 * 3600,
  7300: 12 * 3600,
  7400: 4 * 3600, // a failed delivery waits for the next step
};

export type BoardAlert =
  | { kind: 'stuck'; status: number; orderId: string; ageSeconds: number }
  | { kind: 'refused'; count: number; orderId: string }
  | { kind: 'waiting'; count: number; orderId: string; ageSeconds: number }
  | { kind: 'cod'; count: number; orderId: string }
  | LowStockAlert;

/** A release not taken this long (and not parked) is an alert even if Slick did not refuse it. */
export const RELEASE_WAIT_ALERT_SECONDS = 30 * 60;

/**
 * The board's alerts, most urgent first: releases Slick refused (nothing moves them but a person), open COD
 * exceptions, items short on the shelf (orders that cannot be picked in full: restock or call the customers), releases
 * waiting too long, then each status whose oldest order is stuck (oldest first). Parked releases and acknowledged
 * exceptions are someone's already: they raise no alert.
 */
export function boardAlerts(input: {
  oldest: Readonly<Record<number, { orderId: string; ageSeconds: number } | null>>;
  releases: readonly Pick<ReleaseAwaitingView, 'orderId' | 'refused' | 'parked' | 'ageSeconds'>[];
  exceptions: readonly Pick<ReconciliationExceptionView, 'orderId' | 'open' | 'acknowledged'>[];
  /** The store's low stock (GET /stores/:id/low-stock); none read yet: no alert. */
  lowStock?: { total: number; items: readonly LowStockShown[] };
}): BoardAlert[] {
  const alerts: BoardAlert[] = [];
  const unparked = input.releases.filter((release) => !release.parked);
  const refused = unparked.filter((release) => release.refused);
  if (refused.length > 0) alerts.push({ kind: 'refused', count: refused.length, orderId: refused[0]!.orderId });
  const toCheck = input.exceptions.filter((exception) => exception.open && !exception.acknowledged);
  if (toCheck.length > 0) alerts.push({ kind: 'cod', count: toCheck.length, orderId: toCheck[0]!.orderId });
  const short = input.lowStock && lowStockAlert(input.lowStock);
  if (short) alerts.push(short);
  const waiting = unparked
    .filter((release) => !release.refused && release.ageSeconds >= RELEASE_WAIT_ALERT_SECONDS)
    .sort((a, b) => b.ageSeconds - a.ageSeconds);
  if (waiting.length > 0)
    alerts.push({ kind: 'waiting', count: waiting.length, orderId: waiting[0]!.orderId, ageSeconds: waiting[0]!.ageSeconds });
  const stuck: BoardAlert[] = [];
  for (const [status, oldest] of Object.entries(input.oldest)) {
    const limit = STUCK_AFTER_SECONDS[Number(status)];
    if (oldest && limit !== undefined && oldest.ageSeconds >= limit)
      stuck.push({ kind: 'stuck', status: Number(status), orderId: oldest.orderId, ageSeconds: oldest.ageSeconds });
  }
  stuck.sort((a, b) => (b as { ageSeconds: number }).ageSeconds - (a as { ageSeconds: number }).ageSeconds);
  return [...alerts, ...stuck];
}
