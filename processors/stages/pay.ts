/**
 * Stage 5, pay: COD validation (docs/contract.md §7). Accepted: payment status 5000 Paid ("COD accepted") and an
 * `order.payment.v1` record. Refused: the allocation is reversed, the order cancelled (9000) with the COD
 * error as reason, and an `order.validation.v1` record lists the error. A MODIFY that changes the total is
 * checked again, and a changed amount is published.
 */
import type { KeyValueStore, ReadOnlyKeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { validateCod } from '../domain/cod.js';
import { type Customer, PaymentStatus } from '../domain/types.js';
import { cancelOrder, paymentEvent } from '../cancel.js';
import type { InventoryCounter } from '../inventory.js';
import type { OrderConfig } from '../../topology/order-config.js';
import { emit, nowIso, reject, type OrderFlow, type StageContext } from '../order-flow.js';
import type { OrderState } from '../order-state.js';
import { Sinks, Stages, Stores } from '../../topology/topics.js';

export function paymentStage(config: OrderConfig): Processor<string, OrderFlow, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let inventory: KeyValueStore<string, InventoryCounter>;
  let held: KeyValueStore<string, string>;
  let customers: ReadOnlyKeyValueStore<string, Customer>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      inventory = ctx.getStateStore(Stores.inventory);
      held = ctx.getStateStore(Stores.held);
      customers = ctx.getStateStore(Stores.customers);
    },
    async process(record: Record<string, OrderFlow>) {
      const { state, mode } = record.value;
      const customerId = state.Order.CustomerID;
      const customer = customerId ? await customers.get(customerId) : undefined;
      const errors = validateCod(
        { OrderTotal: state.Totals!.OrderTotal, DeliveryAddress: state.Order.DeliveryAddress, Customer: customer ?? null },
        config,
      );
      if (errors.length > 0) {
        reject(context, record.key, state.Order, errors, { deadLetter: false });
        const failed = { ...state, PaymentStatus: state.PaymentStatus === PaymentStatus.Paid ? state.PaymentStatus : PaymentStatus.Failed };
        if (failed.PaymentStatus === PaymentStatus.Failed)
          emit(context, Sinks.payment, record.key, paymentEvent(failed, PaymentStatus.Failed, nowIso(context)));
        await cancelOrder(context, { orders, inventory, held }, failed, errors[0]!.Code, 'pay', { allocated: true });
        return;
      }
      const paid = { ...state, PaymentStatus: PaymentStatus.Paid };
      if (mode === 'create' || record.value.previousTotal !== state.Totals!.OrderTotal)
        emit(context, Sinks.payment, record.key, paymentEvent(paid, PaymentStatus.Paid, nowIso(context)));
      emit(context, Stages.release, record.key, { ...record.value, state: paid } satisfies OrderFlow);
    },
  };
}
