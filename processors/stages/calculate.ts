/**
 * Stage 3, calculate: bundles (detected or declared, docs/contract.md §6) and Cal A–F (§5) at 4 decimals. An order
 * whose discounts exceed its SubTotal cannot be priced: it is cancelled (DISCOUNT_EXCEEDS_SUBTOTAL), with a
 * validation record and its input record in the DLQ.
 */
import type { GlobalStore } from '../../state/global-store.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { applyBundles } from '../domain/bundles.js';
import { calculateOrder, type OrderCalculation } from '../domain/calculation.js';
import type { BundleDefinition, OrderLine } from '../domain/types.js';
import { cancelOrder } from '../cancel.js';
import { emit, reject, type OrderFlow, type StageContext } from '../order-flow.js';
import type { OrderState, OrderTotals, PricedLine } from '../order-state.js';
import { Stages, Stores } from '../../topology/topics.js';

/** Priced lines and totals of an order (pure). */
export function priceOrder(state: OrderState, bundles: readonly BundleDefinition[]) {
  const application = applyBundles(state.Order, bundles);
  const calculation = calculateOrder(state.Order, application.Lines);
  return { ...pricedOrder(state.Order.OrderLines, calculation), errors: calculation.Errors };
}

/** Priced lines and totals from a calculation over `orderLines` (pure); shared with repricing after a short. */
export function pricedOrder(orderLines: readonly OrderLine[], calculation: OrderCalculation): { lines: PricedLine[]; totals: OrderTotals } {
  const lines: PricedLine[] = orderLines.map((line, index) => {
    const priced = calculation.Lines[index]!;
    return {
      LineID: line.LineID,
      ItemID: line.ItemID,
      Quantity: line.Quantity,
      UnitPrice: line.UnitPrice,
      LineAmount: priced.LineAmount,
      LineDiscount: priced.LineDiscount,
      LineTax: priced.LineTax,
      BundleGroupID: priced.BundleGroupID,
      ShortDescription: line.ShortDescription,
      ImageURL: line.ImageURL,
    };
  });
  const { SubTotal, TotalDiscount, TotalTaxes, InformationalTaxes, TotalCharges, OrderTotal } = calculation;
  return { lines, totals: { SubTotal, TotalDiscount, TotalTaxes, InformationalTaxes, TotalCharges, OrderTotal } };
}

export function calculateStage(): Processor<string, OrderFlow, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let held: KeyValueStore<string, string>;
  let bundles: GlobalStore<string, BundleDefinition>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      held = ctx.getStateStore(Stores.held);
      bundles = ctx.getStateStore(Stores.bundles);
    },
    async process(record: Record<string, OrderFlow>) {
      const { state } = record.value;
      const { lines, totals, errors } = priceOrder(state, await bundles.values());
      if (errors.length > 0) {
        // A MODIFY reaches here with its old allocation already given back by the update stage.
        reject(context, record.key, state.Order, errors, { deadLetter: true });
        await cancelOrder(context, { orders, held }, { ...state, Lines: lines, Totals: totals }, errors[0]!.Code, 'calculate', {
          allocated: false,
        });
        return;
      }
      emit(context, Stages.allocate, record.key, {
        ...record.value,
        state: { ...state, Lines: lines, Totals: totals },
      } satisfies OrderFlow);
    },
  };
}
