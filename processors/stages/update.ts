/**
 * `order.update.v1`: CANCEL or MODIFY an order before release. From 3000 Released on, lines, address and
 * totals are locked (ORDER_LOCKED). A rejected update gets a validation record and goes to the DLQ. An
 * accepted MODIFY gives back the old allocation and runs the order through enrich → … → release again.
 *
 * Updates sent by the query service's actions carry who asked (`RequestedBy`, kept as the history entry's and
 * status change's Actor) and a `CommandID`: a command the order has already applied is ignored, so a command
 * produced twice (a retried send) has one effect and no dead letter.
 */
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { recordDecoder } from '../../avro/serdes.js';
import { ErrorCode, OrderUpdateAction, type OrderUpdate, type ValidationError } from '../domain/types.js';
import { validateOrderUpdate } from '../domain/validation-rules.js';
import { cancelOrder } from '../cancel.js';
import { adjustAllocation, type InventoryCounter } from '../inventory.js';
import { acceptedRecord, emit, nowIso, reject, type OrderFlow, type StageContext } from '../order-flow.js';
import { hasSeen, note, rememberEvent, type OrderState } from '../order-state.js';
import { Stages, Stores, Topics } from '../../topology/topics.js';

export function updateStage(): Processor<string, unknown, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let inventory: KeyValueStore<string, InventoryCounter>;
  let held: KeyValueStore<string, string>;
  const decodeUpdate = recordDecoder('OrderUpdate', Topics.orderUpdate);
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      inventory = ctx.getStateStore(Stores.inventory);
      held = ctx.getStateStore(Stores.held);
    },
    async process(record: Record<string, unknown>) {
      const fields = (typeof record.value === 'object' && record.value !== null ? record.value : {}) as Partial<OrderUpdate>;
      const state = typeof fields.OrderID === 'string' ? await orders.get(fields.OrderID) : undefined;
      const commandId = typeof fields.CommandID === 'string' && fields.CommandID !== '' ? commandKey(fields.CommandID) : undefined;
      if (state && commandId && hasSeen(state, commandId)) return;
      const errors = validateOrderUpdate(record.value, state?.Status ?? null);
      if (!state && typeof fields.OrderID === 'string') errors.push(notFound(fields.OrderID));
      if (state && fields.ShipFromLocationID !== state.Order.ShipFromLocationID)
        errors.push(locationMismatch(fields.ShipFromLocationID, state.Order.ShipFromLocationID));
      const update: OrderUpdate | undefined = errors.length === 0 ? acceptedRecord(decodeUpdate, record.value, errors) : undefined;
      if (!update || !state) {
        reject(context, record.key, record.value, errors, { deadLetter: true });
        return;
      }
      const allocated = state.Status >= 2000;
      const because = update.Reason === null ? '' : `: ${update.Reason}`;
      const actor = update.RequestedBy;
      const applied = commandId ? rememberEvent(state, commandId) : state;
      if (update.Action === OrderUpdateAction.Cancel) {
        await cancelOrder(context, { orders, inventory, held }, applied, `CANCELLED${because}`, 'update', { allocated, actor });
        return;
      }
      // MODIFY: the old allocation is given back here; allocate takes the new lines' units.
      if (allocated) await adjustAllocation(inventory, state.Order.ShipFromLocationID, state.Lines, -1);
      const order = {
        ...applied.Order,
        ...(update.OrderLines ? { OrderLines: update.OrderLines } : {}),
        ...(update.DeliveryAddress ? { DeliveryAddress: update.DeliveryAddress } : {}),
      };
      const modified = note({ ...applied, Order: order }, `MODIFIED${because}`, 'update', nowIso(context), applied.Status, actor);
      emit(context, Stages.enrich, record.key, {
        state: modified,
        mode: 'modify',
        ...(state.Totals ? { previousTotal: state.Totals.OrderTotal } : {}),
      } satisfies OrderFlow);
    },
  };
}

function notFound(orderId: string): ValidationError {
  return {
    Rule: '—',
    Code: ErrorCode.OrderNotFound,
    Field: 'OrderID',
    Message: `no order ${JSON.stringify(orderId)} at this location; an update must follow its order's create`,
  };
}

function locationMismatch(given: unknown, actual: string): ValidationError {
  return {
    Rule: 'B',
    Code: ErrorCode.ShipFromLocationMismatch,
    Field: 'ShipFromLocationID',
    Message: `the update names location ${JSON.stringify(given)}, the order belongs to ${JSON.stringify(actual)}`,
  };
}

/** Commands share the order's memory of applied event ids, under their own prefix. */
const commandKey = (commandId: string): string => `command:${commandId}`;
