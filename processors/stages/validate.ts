/**
 * Stage 1, validate (docs/contract.md §3): Rules A–G, the line and payment checks, every failure reported at once.
 * A byte-identical redelivery (of an accepted or a rejected record) is absorbed silently; a rejected order gets one
 * `order.validation.v1` record and its original bytes go to `order.create.v1.dlq`. Accepted: status 1000.
 */
import type { KeyValueStore, ReadOnlyKeyValueStore } from '../../state/key-value-store.js';
import type { Processor } from '../../runtime/processor.js';
import type { Record } from '../../runtime/record.js';
import { REDRIVEN_FROM_HEADER } from '../../runtime/dead-letter.js';
import type { WithBytes } from '../../serdes/serde.js';
import { recordDecoder } from '../../avro/serdes.js';
import type { Customer, OrderCreate, ValidationError } from '../domain/types.js';
import { ErrorCode } from '../domain/types.js';
import { classifyArrival, isMalformed, payloadHash, validateOrder } from '../domain/validation-rules.js';
import { acceptedRecord, emit, nowIso, reject, type OrderFlow, type StageContext } from '../order-flow.js';
import { openOrder, type OrderState } from '../order-state.js';
import { Sinks, Stages, Stores, Topics } from '../../topology/topics.js';

export function validateStage(): Processor<string, WithBytes<unknown>, string, unknown> {
  let context: StageContext;
  let orders: KeyValueStore<string, OrderState>;
  let customers: ReadOnlyKeyValueStore<string, Customer>;
  let rejected: KeyValueStore<string, string>;
  const decodeOrder = recordDecoder('OrderCreate', Topics.orderCreate);
  return {
    init(ctx) {
      context = ctx as StageContext;
      orders = ctx.getStateStore(Stores.orders);
      customers = ctx.getStateStore(Stores.customers);
      rejected = ctx.getStateStore(Stores.rejected);
    },
    async process(record: Record<string, WithBytes<unknown>>) {
      const value = record.value.value as Partial<OrderCreate> | null;
      const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
      const orderId =
        typeof fields?.OrderID === 'string' && fields.OrderID.length > 0 && fields.OrderID.length <= 50 ? fields.OrderID : undefined;
      const hash = payloadHash(record.value.bytes);
      const previous = orderId === undefined ? undefined : await orders.get(orderId);
      if (classifyArrival(previous && { payloadHash: previous.PayloadHash }, hash) === 'redelivery') return;
      // A resend of a rejected record is a redelivery too: it was answered once. A corrected record under the
      // same OrderID is not, and is validated afresh (the rejected one never became an order); nor is the rejected
      // record itself re-driven from the DLQ by an operator once the cause was fixed (missing reference data).
      const redriven = record.headers[REDRIVEN_FROM_HEADER] !== undefined;
      if (!previous && !redriven && orderId !== undefined && (await rejected.get(orderId)) === hash) return;

      const customerId = fields?.CustomerID;
      const customer = typeof customerId === 'string' && customerId ? await customers.get(customerId) : undefined;
      const errors = validateOrder(value, {
        customer: customer ?? null,
        previous: previous && { payloadHash: previous.PayloadHash },
        payloadHash: hash,
      });
      const location = fields?.ShipFromLocationID;
      if (typeof location === 'string' && location !== record.key) errors.push(keyMismatch(record.key, location));
      const order: OrderCreate | undefined = errors.length === 0 ? acceptedRecord(decodeOrder, value, errors) : undefined;
      if (!order) {
        // A record with no usable OrderID cannot be answered on order.validation.v1: it is only dead-lettered.
        if (isMalformed(errors) && orderId === undefined)
          context.deadLetter(ErrorCode.MalformedRecord, errors.map((error) => error.Message).join('; '));
        else reject(context, record.key, value, errors, { deadLetter: true });
        if (orderId !== undefined && !previous) rejected.put(orderId, hash);
        return;
      }
      const at = nowIso(context);
      const { state, change } = openOrder(order, hash, at);
      emit(context, Sinks.validation, record.key, {
        OrderID: order.OrderID,
        ShipFromLocationID: order.ShipFromLocationID,
        Valid: true,
        Errors: [],
        At: at,
      });
      emit(context, Sinks.status, record.key, change);
      emit(context, Stages.enrich, record.key, { state, mode: 'create' } satisfies OrderFlow);
    },
  };
}

/** The record key must be the order's location: the order's state lives in that key's partition. */
function keyMismatch(key: string | null, location: string): ValidationError {
  return {
    Rule: 'B',
    Code: ErrorCode.ShipFromLocationMismatch,
    Field: 'key',
    Message: `the record key ${JSON.stringify(key)} is not the order's ShipFromLocationID ${JSON.stringify(location)}; order topics are keyed by ShipFromLocationID`,
  };
}
