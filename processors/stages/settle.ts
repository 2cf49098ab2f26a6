/**
 * The delivery partner's settlement report, the second source of COD reconciliation (docs/contract.md §12; rules in
 * domain/settlement.ts): each `payment.settlement.v1` row, imported by `omnia settlement import`, is compared at
 * once with the cash the partner's collection callback recorded on the order.
 *
 * The row is kept on the order (SettlementID, SettledAmount, SettlementDate: the latest row replaces an earlier one)
 * with a history note. SETTLED (equal amounts) takes the order out of the `settlement-open` index; a mismatch or a
 * row without a collection is noted as a reconciliation exception at once and indexed, so that the reconcile stage
 * reports it at the cut-off (and at every cut-off until the two sources agree or a person resolves it), as it reports
 * a PMP collection no row came for.
 *
 * A row the order has already applied (same SettlementID: the same file imported again) is ignored. Dead letters:
 * ORDER_NOT_FOUND, SHIP_FROM_LOCATION_MISMATCH, INVALID_SETTLED_AMOUNT, UNKNOWN_SETTLEMENT_PARTNER.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import { DeadLetterError } from '../../runtime/errors.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { isMoney, normaliseMoney } from '../domain/money.js';
import { collectedBySettlingPartner, compareSettlement, SETTLING_PARTNER, settlementNote } from '../domain/settlement.js';
import { ErrorCode, type PaymentSettlement } from '../domain/types.js';
import { findOrder } from '../order-events.js';
import { nowIso, type StageContext } from '../order-flow.js';
import { hasSeen, note, rememberEvent, type OrderState } from '../order-state.js';
import { codOpenKey } from './reconcile.js';
import { Stores } from '../../topology/topics.js';

const SOURCE = 'settle';

/** Settlement rows share the order's memory of applied event ids, under their own prefix (as commands do). */
export const settlementKey = (settlementId: string): string => `settlement:${settlementId}`;

/** The settled amount with 4 digits; dead-letters one that is not money ≥ 0. */
function settledAmount(row: PaymentSettlement): string {
  if (!isMoney(row.SettledAmount) || row.SettledAmount.startsWith('-'))
    throw new DeadLetterError(
      ErrorCode.InvalidSettledAmount,
      `SettledAmount must be a money amount ≥ 0 with at most 4 decimals, got ${JSON.stringify(row.SettledAmount)}`,
    );
  return normaliseMoney(row.SettledAmount);
}

export function settleStage(): Processor<string, PaymentSettlement, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let open: KeyValueStore<string, string>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      open = ctx.getStateStore(Stores.settlementOpen);
    },
    async process(record: Record<string, PaymentSettlement>) {
      const row = record.value;
      const found = await findOrder(orders, record.key, row);
      if (row.Partner !== SETTLING_PARTNER)
        throw new DeadLetterError(
          ErrorCode.UnknownSettlementPartner,
          `only ${SETTLING_PARTNER} sends a settlement report, got one from ${JSON.stringify(row.Partner)}`,
        );
      const settled = settledAmount(row);
      if (hasSeen(found, settlementKey(row.SettlementID))) return;
      const collected = collectedBySettlingPartner(found);
      const outcome = compareSettlement(collected, settled);
      const applied: OrderState = {
        ...rememberEvent(found, settlementKey(row.SettlementID)),
        SettlementID: row.SettlementID,
        SettledAmount: settled,
        SettlementDate: row.SettlementDate,
      };
      const key = codOpenKey(found.Order.ShipFromLocationID, found.Order.OrderID);
      if (outcome === 'SETTLED') open.delete(key);
      else open.put(key, found.Order.OrderID);
      orders.put(
        found.Order.OrderID,
        note(applied, settlementNote({ ...row, SettledAmount: settled }, outcome, collected), SOURCE, nowIso(context)),
      );
    },
  };
}
