/**
 * Daily COD reconciliation per store (docs/contract.md §4, §7; rules in domain/reconciliation.ts).
 *
 * The deliver stage hands over every COD order it sees delivered or collected; they wait in the `cod-open`
 * index (`<store>|<OrderID>`), so a run reads only the orders still open, never the whole `orders` store.
 * A wall-clock punctuator (every OMNIA_RECONCILIATION_CHECK_MS) runs once per cut-off (OMNIA_RECONCILIATION_CUTOFF
 * in OMNIA_BUSINESS_TIMEZONE): when the latest cut-off at or before now is later than the task's last run
 * (`reconciliation-runs`; a task that never ran starts from the cut-off before it started), each indexed order
 * is classified:
 *
 * - RECONCILED (collected = OrderTotal): payment status Reconciled, a PaymentEvent, history, out of the index;
 * - SHORT / OVER: an exception in the report, history, out of the index (payment status stays Collected; a
 *   corrected collection from the partner indexes the order again);
 * - MISSING (delivered, no cash confirmed): an exception, and the order stays indexed, so it is reported at
 *   every cut-off until the cash is confirmed.
 *
 * The partner's settlement report is the second source (domain/settlement.ts): an order that leaves the index with
 * cash collected through PMP, and not yet settled for that amount, waits in the `settlement-open` index, where the
 * settle stage also puts a row that did not match. After the collections, each run judges that index:
 *
 * - SETTLED: the settlement matches the collection (the collection came after the row, or was corrected): a history
 *   note, out of the index;
 * - SETTLEMENT_MISMATCH, SETTLEMENT_WITHOUT_COLLECTION, NOT_IN_SETTLEMENT (collected, no row by the cut-off it was
 *   due, OMNIA_SETTLEMENT_DUE_DAYS): a settlement exception in the report; the order stays indexed, so it is
 *   reported at every cut-off until the two sources agree or a person resolves it;
 * - AWAITING (collected, the row not due yet): stays; NONE (nothing to compare any more): out of the index.
 *
 * One `order.reconciliation.v1` report per store that had indexed orders or settlement exceptions, with the day's
 * summary. A store with nothing to reconcile gets no report. Clock jumps (a replay, a long outage) run once, for
 * the latest cut-off.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { classifyCollection, latestCutOff, reconciliationReport, type ReconciliationItem } from '../domain/reconciliation.js';
import {
  collectedBySettlingPartner,
  compareSettlement,
  isSettlementException,
  judgeSettlement,
  settledLaterNote,
  settlementException,
} from '../domain/settlement.js';
import { OrderStatus, PaymentStatus, type SettlementException } from '../domain/types.js';
import { paymentEvent } from '../cancel.js';
import type { CodOpen } from './deliver.js';
import type { OrderConfig } from '../../topology/order-config.js';
import { emit, type StageContext } from '../order-flow.js';
import { note, type OrderState } from '../order-state.js';
import { Sinks, Stores } from '../../topology/topics.js';

const SOURCE = 'reconcile';
const LAST_RUN = 'last-cut-off';

export const codOpenKey = (store: string, orderId: string): string => `${store}|${orderId}`;

/** What an order should have collected: its OrderTotal, nothing once cancelled. */
const expectedOf = (state: OrderState): string =>
  state.Status === OrderStatus.Cancelled ? '0.0000' : (state.Totals?.OrderTotal ?? '0.0000');

/** Cash collected through the settling partner that no settlement row matches yet: a settlement to judge. */
const awaitsSettlement = (state: OrderState): boolean => {
  const collected = collectedBySettlingPartner(state);
  return collected !== null && (state.SettledAmount === null || compareSettlement(collected, state.SettledAmount) !== 'SETTLED');
};

/** The index entries of one store at a run: collections (`cod-open`) and settlements (`settlement-open`). */
interface StoreEntries {
  collections: Array<[string, string]>;
  settlements: Map<string, string>;
}

export function reconcileStage(config: OrderConfig): Processor<string, CodOpen, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let open: KeyValueStore<string, string>;
  let settlementOpen: KeyValueStore<string, string>;
  let runs: KeyValueStore<string, string>;
  let startedAt: number;
  const settlementRule = { dueDays: config.settlementDueDays, cutOff: config.reconciliationCutOff, timeZone: config.businessTimeZone };

  const run = async (now: number): Promise<void> => {
    const cutOff = latestCutOff(now, config.reconciliationCutOff, config.businessTimeZone);
    // A task that never ran counts the cut-off before it started as done: its first run is the next cut-off.
    const last =
      (await runs.get(LAST_RUN)) ??
      new Date(latestCutOff(startedAt, config.reconciliationCutOff, config.businessTimeZone).at).toISOString();
    if (Date.parse(last) >= cutOff.at) return;
    const cutOffAt = new Date(cutOff.at).toISOString();
    runs.put(LAST_RUN, cutOffAt);
    const at = new Date(now).toISOString();
    const byStore = new Map<string, StoreEntries>();
    const entriesOf = (key: string, orderId: string): StoreEntries => {
      const store = key.slice(0, key.length - orderId.length - 1);
      let entries = byStore.get(store);
      if (!entries) byStore.set(store, (entries = { collections: [], settlements: new Map() }));
      return entries;
    };
    for await (const [key, orderId] of open.all()) entriesOf(key, orderId).collections.push([key, orderId]);
    for await (const [key, orderId] of settlementOpen.all()) entriesOf(key, orderId).settlements.set(key, orderId);
    const day = { BusinessDay: cutOff.businessDay, TimeZone: config.businessTimeZone, CutOffAt: cutOffAt, At: at };
    for (const [store, entries] of byStore) {
      const items: ReconciliationItem[] = [];
      for (const [key, orderId] of entries.collections) {
        const state = await orders.get(orderId);
        if (!state) {
          open.delete(key);
          continue;
        }
        const expected = expectedOf(state);
        const collected = state.CollectedAmount;
        const outcome = classifyCollection(expected, collected);
        items.push({
          OrderID: orderId,
          Outcome: outcome,
          ExpectedAmount: expected,
          CollectedAmount: collected,
          DeliveredAt: state.DeliveredAt,
          CollectedAt: state.CollectedAt,
        });
        if (outcome === 'MISSING') continue;
        open.delete(key);
        // The cash is judged against the order; what the partner settles for it is judged below, now and later.
        if (awaitsSettlement(state)) {
          settlementOpen.put(key, orderId);
          entries.settlements.set(key, orderId);
        }
        if (outcome === 'RECONCILED') {
          const reconciled = note(
            { ...state, PaymentStatus: PaymentStatus.Reconciled },
            `RECONCILED ${collected} for business day ${cutOff.businessDay}`,
            SOURCE,
            at,
          );
          emit(context, Sinks.payment, store, { ...paymentEvent(reconciled, PaymentStatus.Reconciled, at), Amount: collected! });
          orders.put(orderId, reconciled);
        } else {
          orders.put(
            orderId,
            note(
              state,
              `RECONCILIATION_EXCEPTION ${outcome}: collected ${collected} against ${expected} for business day ${cutOff.businessDay}`,
              SOURCE,
              at,
            ),
          );
        }
      }
      const settlementExceptions: SettlementException[] = [];
      for (const [key, orderId] of entries.settlements) {
        const state = await orders.get(orderId);
        if (!state) {
          settlementOpen.delete(key);
          continue;
        }
        const outcome = judgeSettlement(state, cutOff.at, settlementRule);
        if (isSettlementException(outcome)) settlementExceptions.push(settlementException(orderId, outcome, state));
        else if (outcome === 'SETTLED') {
          settlementOpen.delete(key);
          orders.put(orderId, note(state, settledLaterNote(state, cutOff.businessDay), SOURCE, at));
        } else if (outcome === 'NONE') settlementOpen.delete(key);
      }
      if (items.length > 0 || settlementExceptions.length > 0)
        emit(context, Sinks.reconciliation, store, reconciliationReport(store, day, items, settlementExceptions));
    }
  };

  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      open = ctx.getStateStore(Stores.codOpen);
      settlementOpen = ctx.getStateStore(Stores.settlementOpen);
      runs = ctx.getStateStore(Stores.reconciliationRuns);
      startedAt = ctx.currentSystemTime();
      ctx.schedule(config.reconciliationCheckMs, 'wall-clock', run);
    },
    process(record: Record<string, CodOpen>) {
      open.put(codOpenKey(record.value.ShipFromLocationID, record.value.OrderID), record.value.OrderID);
    },
  };
}
