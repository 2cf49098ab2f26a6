/**
 * Actions on orders: cancel one, cancel several. Each action becomes an `order.update.v1` record that the
 * topology applies (processors/stages/update.ts), never a direct write: the answer (202) says the command was
 * accepted; the outcome arrives as status changes (GET /events, the order's history).
 *
 * Before sending, the order is looked up as GET /orders/:id looks it up, so that what the pipeline would refuse
 * is answered at once: another store's order or none is 404 ORDER_NOT_FOUND; an order released or later is 409
 * ORDER_LOCKED, a cancelled one 409 ORDER_ALREADY_CANCELLED. The pipeline checks again (the lookup may be a
 * moment old) and has the last word.
 *
 * Who may act: store staff and managers on their own stores, admins everywhere; a regional coordinator reads
 * but does not act (403). The token subject travels with the command (`RequestedBy`) into the order's history,
 * the status topic and the tables. Every action takes an `Idempotency-Key` (idempotency.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { OrderUpdate } from '../avro/records.js';
import { OrderStatus, type OrderStatusCode } from '../processors/domain/types.js';
import { isLocked } from '../processors/domain/status.js';
import { ApiError, errorResponseSchema } from './errors.js';
import {
  actionableOrder,
  type AnswerWith,
  type CommandPublisher,
  idempotencyHeaderSchema,
  orderActor,
  orderCommandAccepted,
  type OrderCommandAccepted,
  orderCommandAcceptedSchema,
  sendAnswer,
  sendCommand,
  strictValidator,
} from './commands.js';
import { commandId, IDEMPOTENCY_HEADER, idempotencyKey, IdempotentActions } from './idempotency.js';
import type { OrderLocator } from './order-lookup-routes.js';
import type { OrderView } from './order-view.js';
import type { Principal } from './principal.js';

export interface OrderActionOptions {
  readonly locator: OrderLocator;
  /** Where commands go: Kafka's order.update.v1, or the in-process pipeline. */
  readonly publisher: CommandPublisher;
  /** The update topic's full name (with the deployment's prefix). */
  readonly updateTopic: string;
  /** The record's bytes in the topic's format. */
  readonly encode: (update: OrderUpdate) => Buffer;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

/** The 202 of POST /orders/:orderId/cancel. */
export type CancelAccepted = OrderCommandAccepted<'CANCEL'>;

/** One order's outcome in the 200 of POST /orders/cancel: `commandId` when accepted, `code` and `message` when not. */
export interface BulkCancelResult {
  orderId: string;
  outcome: 'accepted' | 'rejected';
  commandId?: string;
  code?: string;
  message?: string;
}

/** The 200 of POST /orders/cancel: one result per order asked, in the order given. */
export interface BulkCancelAnswer {
  results: BulkCancelResult[];
}

const reason = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  description: 'why, as the customer or the store states it; shown in the order’s history',
} as const;
const acceptedSchema = orderCommandAcceptedSchema('CANCEL', 'the command’s id on order.update.v1');

const cancelSchema = {
  summary: 'Cancel an order before it is released',
  description:
    'Sends a CANCEL command to the pipeline. 202 means accepted; the order moves to 9000 Cancelled moments later (GET /events). Refused at once with 409 ORDER_LOCKED from 3000 Released on.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 50 } } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason, store: { type: 'string', minLength: 1, maxLength: 50, description: 'the order’s store, when known' } },
  },
  response: { 202: acceptedSchema, 404: errorResponseSchema, 409: errorResponseSchema, 422: errorResponseSchema, 503: errorResponseSchema },
} as const;

const bulkCancelSchema = {
  summary: 'Cancel several orders',
  description: 'One CANCEL command per order that may be cancelled; each order’s outcome in `results`, in the order given.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['orderIds', 'reason'],
    properties: {
      orderIds: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 50 } },
      reason,
    },
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['results'],
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['orderId', 'outcome'],
            properties: {
              orderId: { type: 'string' },
              outcome: { type: 'string', enum: ['accepted', 'rejected'] },
              commandId: { type: 'string' },
              code: { type: 'string' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
    422: errorResponseSchema,
  },
} as const;

/** Why an order cannot be cancelled by request now, as the pipeline would say it; undefined when it can. */
function cancelRefusal(order: OrderView): ApiError | undefined {
  if (order.status === OrderStatus.Cancelled)
    return new ApiError(409, 'ORDER_ALREADY_CANCELLED', `Order ${order.orderId} is already cancelled; nothing to do`);
  if (isLocked(order.status as OrderStatusCode))
    return new ApiError(
      409,
      'ORDER_LOCKED',
      `Order ${order.orderId} is ${order.statusName} (${order.status}): it has gone to the warehouse and can no longer be cancelled here. Ask the fulfilment center to stop it, or let it be delivered and returned.`,
    );
  return undefined;
}

export function orderActionRoutes(options: OrderActionOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();

  const sendCancel = async (principal: Principal, order: OrderView, why: string, id: string) => {
    const update: OrderUpdate = {
      OrderID: order.orderId,
      ShipFromLocationID: order.shipFromLocationId,
      Action: 'CANCEL',
      Reason: why.trim(),
      OrderLines: null,
      DeliveryAddress: null,
      RequestedBy: principal.subject,
      CommandID: id,
    };
    await sendCommand(
      options.publisher,
      {
        topic: options.updateTopic,
        key: order.shipFromLocationId,
        value: options.encode(update),
        timestamp: now(),
        headers: { 'omnia-command-id': id, 'omnia-requested-role': principal.roles.join(',') },
      },
      'The cancel',
    );
  };

  // The body as sent: a reason of another type, or a field the route does not know, is a 400 rather than coerced or dropped.
  const validatorCompiler = strictValidator();

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/orders/:orderId/cancel', { schema: cancelSchema, validatorCompiler }, async (request, reply) => {
      const principal = orderActor(request, 'change them');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { orderId } = request.params as { orderId: string };
      const body = request.body as { reason: string; store?: string };
      const answer = await idempotency.run(
        key,
        principal.subject,
        { action: 'cancel', orderId, body },
        async (): Promise<AnswerWith<CancelAccepted>> => {
          const order = await actionableOrder(options.locator, request, principal, orderId, body.store, 'change it');
          const refusal = cancelRefusal(order);
          if (refusal) throw refusal;
          const id = commandId(principal.subject, key, orderId, randomUUID);
          await sendCancel(principal, order, body.reason, id);
          return orderCommandAccepted(orderId, 'CANCEL', id, principal, now());
        },
      );
      return sendAnswer(reply, answer);
    });

    app.post('/orders/cancel', { schema: bulkCancelSchema, validatorCompiler }, async (request, reply) => {
      const principal = orderActor(request, 'change them');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const body = request.body as { orderIds: string[]; reason: string };
      const answer = await idempotency.run(
        key,
        principal.subject,
        { action: 'bulk-cancel', body },
        async (): Promise<AnswerWith<BulkCancelAnswer>> => {
          const results: BulkCancelResult[] = [];
          for (const orderId of body.orderIds) {
            try {
              const order = await actionableOrder(options.locator, request, principal, orderId, undefined, 'change it');
              const refusal = cancelRefusal(order);
              if (refusal) throw refusal;
              const id = commandId(principal.subject, key, orderId, randomUUID);
              await sendCancel(principal, order, body.reason, id);
              results.push({ orderId, outcome: 'accepted' as const, commandId: id });
            } catch (error) {
              if (!(error instanceof ApiError)) throw error;
              results.push({ orderId, outcome: 'rejected' as const, code: error.code, message: error.message });
            }
          }
          return { status: 200, body: { results } };
        },
      );
      return sendAnswer(reply, answer);
    });
  };
}
