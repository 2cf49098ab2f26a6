// People's decisions on an order's exceptions (docs/contract.md §10): whether the order's state allows one, and
// what it records. Pure; processors/stages/exception-actions.ts does the I/O.
//
// - RECONCILIATION (ACKNOWLEDGE / RESOLVE): a COD order whose cash is not yet Reconciled, or any order with a
//   settlement exception (the partner's settlement report against its callback, domain/settlement.ts; the order is
//   usually Reconciled already). Resolving takes the order out of the reconciliation index, so a MISSING exception
//   stops being reported at every cut-off, and out of the settlement index when it has a settlement exception; a
//   later collection or settlement row (a new fact) puts it back.
// - RELEASE (RETRY / PARK): a released order Slick has not acknowledged yet (still 3000 Released). RETRY sends the
//   same release (same ReleaseID: Slick takes each once) again; PARK records that it is set aside on purpose.
import type { ExceptionAction, ExceptionActionKind, ExceptionType } from '../../avro/records.js';
import { OrderStatus, PaymentStatus } from './types.js';

/** What of an order the decision reads. */
export interface ExceptionSubject {
  readonly Order: { readonly PaymentMethod: string };
  readonly PaymentStatus: string | null;
  readonly ReleaseID: string | null;
  readonly Status: number;
}

/** Which actions apply to which exception. */
export const ACTIONS_OF: Readonly<Record<ExceptionType, readonly ExceptionActionKind[]>> = {
  RECONCILIATION: ['ACKNOWLEDGE', 'RESOLVE'],
  RELEASE: ['RETRY', 'PARK'],
};

/** Why the pipeline refuses a decision; the outcome's Reason. */
export const ExceptionRefusal = {
  OrderUnknown: 'ORDER_UNKNOWN',
  ActionNotForException: 'ACTION_NOT_FOR_EXCEPTION',
  NotCod: 'NOT_COD',
  AlreadyReconciled: 'ALREADY_RECONCILED',
  NotReleased: 'NOT_RELEASED',
  AlreadyWithSlick: 'ALREADY_WITH_SLICK',
} as const;
export type ExceptionRefusal = (typeof ExceptionRefusal)[keyof typeof ExceptionRefusal];

export type ExceptionDecision =
  | {
      readonly outcome: 'APPLIED';
      readonly historyNote: string;
      readonly closesReconciliation: boolean;
      /** RESOLVE of an order with a settlement exception: it leaves the settlement index too. */
      readonly closesSettlement: boolean;
      readonly resendsRelease: boolean;
    }
  | { readonly outcome: 'REFUSED'; readonly reason: ExceptionRefusal };

const HISTORY_VERB: Readonly<Record<ExceptionActionKind, string>> = {
  ACKNOWLEDGE: 'RECONCILIATION_EXCEPTION acknowledged',
  RESOLVE: 'RECONCILIATION_EXCEPTION resolved',
  RETRY: 'RELEASE sent to Slick again',
  PARK: 'RELEASE parked',
};

/**
 * Whether `command` applies to the order (undefined: unknown here), and what it records. `settlementException`: the
 * order's settlement is an exception as things stand (reported, or to be reported at the next cut-off).
 */
export function decideExceptionAction(
  state: ExceptionSubject | undefined,
  command: ExceptionAction,
  settlementException = false,
): ExceptionDecision {
  if (!state) return { outcome: 'REFUSED', reason: ExceptionRefusal.OrderUnknown };
  if (!ACTIONS_OF[command.Exception].includes(command.Action))
    return { outcome: 'REFUSED', reason: ExceptionRefusal.ActionNotForException };
  if (command.Exception === 'RECONCILIATION' && !settlementException) {
    if (state.Order.PaymentMethod !== 'COD') return { outcome: 'REFUSED', reason: ExceptionRefusal.NotCod };
    if (state.PaymentStatus === PaymentStatus.Reconciled) return { outcome: 'REFUSED', reason: ExceptionRefusal.AlreadyReconciled };
  } else if (command.Exception === 'RELEASE') {
    if (state.ReleaseID === null) return { outcome: 'REFUSED', reason: ExceptionRefusal.NotReleased };
    if (state.Status !== OrderStatus.Released) return { outcome: 'REFUSED', reason: ExceptionRefusal.AlreadyWithSlick };
  }
  return {
    outcome: 'APPLIED',
    historyNote: `${HISTORY_VERB[command.Action]}: ${command.Note}`,
    closesReconciliation: command.Action === 'RESOLVE',
    closesSettlement: command.Action === 'RESOLVE' && settlementException,
    resendsRelease: command.Action === 'RETRY',
  };
}
