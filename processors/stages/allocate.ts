/**
 * Stage 4, allocate: force allocation to the order's ShipFromLocationID (rule C guarantees it was asked
 * for). Counters move per item in one write each; a bundle's components land in the same record's writes,
 * which commit or roll back together. Overselling never blocks: it raises a low-stock event. Status 2000.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { OrderStatus } from '../domain/types.js';
import { adjustAllocation, type InventoryCounter, type LowStockEvent } from '../inventory.js';
import { emit, nowIso, type OrderFlow, type StageContext } from '../order-flow.js';
import { note, transition, type OrderState } from '../order-state.js';
import { Sinks, Stages, Stores } from '../../topology/topics.js';

export function allocateStage(): Processor<string, OrderFlow, string, unknown> {
  let context: StageContext;
  let inventory: KeyValueStore<string, InventoryCounter>;
  return {
    init(ctx) {
      context = ctx as StageContext;
      inventory = ctx.getStateStore(Stores.inventory);
    },
    async process(record: Record<string, OrderFlow>) {
      const { state, mode } = record.value;
      const at = nowIso(context);
      const oversold = await adjustAllocation(inventory, state.Order.ShipFromLocationID, state.Lines, 1);
      for (const counter of oversold) {
        emit(context, Sinks.lowStock, record.key, { ...counter, OrderID: state.Order.OrderID, At: at } satisfies LowStockEvent);
      }
      let next: OrderState;
      if (mode === 'create') {
        const moved = transition(state, OrderStatus.Allocated, 'FORCE_ALLOCATED', 'allocate', at);
        emit(context, Sinks.status, record.key, moved.change);
        next = moved.state;
      } else {
        next = note(state, 'REALLOCATED', 'allocate', at);
      }
      emit(context, Stages.pay, record.key, { ...record.value, state: next } satisfies OrderFlow);
    },
  };
}
