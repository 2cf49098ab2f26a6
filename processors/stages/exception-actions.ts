/**
 * People's decisions on exceptions (`order.exception-action.v1`; rules in domain/exception-actions.ts): acknowledge
 * or resolve a COD reconciliation exception, retry or park a release Slick has not taken.
 *
 * Applied: a history entry with the person as Actor; RESOLVE takes the order out of the `cod-open` index (a
 * MISSING is no longer reported at each cut-off) and, when its settlement by the partner is an exception as things
 * stand (judged as the last cut-off would), out of the `settlement-open` index (it is no longer reported); RETRY sends the order's release to `order.release.v1` again
 * (same ReleaseID). Every command, applied or refused, gets one `order.exception-outcome.v1` record. A command
 * the order already applied (same CommandID: a producer's retry) is ignored, as the update stage ignores one.
 */
import type { ExceptionAction, ExceptionOutcome } from '../../avro/records.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { decideExceptionAction } from '../domain/exception-actions.js';
import { latestCutOff } from '../domain/reconciliation.js';
import { isSettlementException, judgeSettlement } from '../domain/settlement.js';
import { OrderStatus } from '../domain/types.js';
import type { OrderConfig } from '../../topology/order-config.js';
import { emit, nowIso, type StageContext } from '../order-flow.js';
import { hasSeen, note, rememberEvent, type OrderState } from '../order-state.js';
import { codOpenKey } from './reconcile.js';
import { releaseOf } from './release.js';
import { Sinks, Stores } from '../../topology/topics.js';

/** Commands share the order's memory of applied event ids, under their own prefix (as update.ts does). */
const commandKey = (commandId: string): string => `command:${commandId}`;

/** When the order was released: the release sent again is the same record, so Slick sees the same payload. */
const releasedAt = (state: OrderState): string | undefined =>
  state.History.find((entry) => entry.To === OrderStatus.Released && entry.From !== OrderStatus.Released)?.At;

export function exceptionActionStage(config: OrderConfig): Processor<string, ExceptionAction, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let open: KeyValueStore<string, string>;
  let settlementOpen: KeyValueStore<string, string>;
  const settlementRule = { dueDays: config.settlementDueDays, cutOff: config.reconciliationCutOff, timeZone: config.businessTimeZone };

  /** Whether the order's settlement is an exception the latest cut-off reported (or would have). */
  const settlementException = async (state: OrderState): Promise<boolean> => {
    if ((await settlementOpen.get(codOpenKey(state.Order.ShipFromLocationID, state.Order.OrderID))) === undefined) return false;
    const cutOff = latestCutOff(context.currentSystemTime(), config.reconciliationCutOff, config.businessTimeZone);
    return isSettlementException(judgeSettlement(state, cutOff.at, settlementRule));
  };

  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      open = ctx.getStateStore(Stores.codOpen);
      settlementOpen = ctx.getStateStore(Stores.settlementOpen);
    },
    async process(record: Record<string, ExceptionAction>) {
      const command = record.value;
      const found = await orders.get(command.OrderID);
      // Keyed by store: an order of another store is not this task's to change.
      const state = found && found.Order.ShipFromLocationID === command.ShipFromLocationID ? found : undefined;
      if (state && hasSeen(state, commandKey(command.CommandID))) return;
      const at = nowIso(context);
      const decision = decideExceptionAction(state, command, state !== undefined && (await settlementException(state)));
      const outcome: ExceptionOutcome = {
        Command: command,
        Outcome: decision.outcome,
        Reason: decision.outcome === 'REFUSED' ? decision.reason : null,
        ReleaseID: command.Exception === 'RELEASE' ? (state?.ReleaseID ?? null) : null,
        At: at,
      };
      if (decision.outcome === 'APPLIED' && state) {
        const applied = note(
          rememberEvent(state, commandKey(command.CommandID)),
          decision.historyNote,
          'store',
          at,
          state.Status,
          command.RequestedBy,
        );
        orders.put(command.OrderID, applied);
        if (decision.closesReconciliation) open.delete(codOpenKey(command.ShipFromLocationID, command.OrderID));
        if (decision.closesSettlement) settlementOpen.delete(codOpenKey(command.ShipFromLocationID, command.OrderID));
        if (decision.resendsRelease)
          emit(context, Sinks.release, command.ShipFromLocationID, releaseOf(applied, releasedAt(applied) ?? at));
      }
      emit(context, Sinks.exceptionOutcome, command.ShipFromLocationID, outcome);
    },
  };
}
