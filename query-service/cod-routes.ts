/**
 * COD cash confirmed by store staff, for when the delivery partner cannot confirm it (its COLLECTED callback
 * never came): `POST /orders/:orderId/cod/confirm` with the amount taken and a reference (the receipt number).
 *
 * Reading (docs/contract.md §14, Reading 59): the confirmation is the partner's COLLECTED status, sent on its
 * behalf. It becomes a `DeliveryStatus` record on `delivery.status.v1` (v2: ConfirmedBy = the token subject,
 * Reference, Note), Partner = the order's own carrier, EventID `manual-<commandId>`, so the deliver stage applies
 * exactly the partner's rules: the cash is recorded, payment status Collected, a PaymentEvent with the amount,
 * and the daily reconciliation compares it with the OrderTotal (Reconciled when equal, SHORT / OVER exceptions
 * at the cut-off). What differs is who is recorded: the history entry (and the status change, when the
 * confirmation moves the order) carries Source `store` and Actor = the clerk. Never a direct write: 202 says the
 * command was accepted; a repeated command (same Idempotency-Key, so the same command id and EventID) is
 * answered the same and applied once.
 *
 * Refused at once, as the cancel action refuses (order-action-routes.ts):
 * - 404 ORDER_NOT_FOUND: no such order, or one of a store the caller does not work at;
 * - 403 FORBIDDEN: a role that reads but does not act (regional coordinator);
 * - 409 NOT_COD: the order is not paid cash on delivery;
 * - 409 COD_ALREADY_CONFIRMED: its cash is already Collected or Reconciled (the partner's or an earlier
 *   confirmation stands; a correction is the partner's, or reconciliation's, to make);
 * - 409 NOT_DELIVERED_YET: cash is confirmed once the order reached 7500 Delivered (the partner reported the
 *   delivery, not the cash: the MISSING case of §12) or 7400 Delivery Failed (the parcel came back and the
 *   customer paid at the store; COLLECTED also means Delivered, §11, so the order moves 7400 → 7500). Before
 *   that the parcel is with the partner, whose own COLLECTED is still to come; a cancelled order was never
 *   delivered;
 * - 409 NO_CARRIER: the order has no delivery partner the record can name (GRAB or PMP);
 * - 400 VALIDATION_FAILED: every failing body field (amount a money string > 0 with at most 4 decimals,
 *   never a JSON number; reference 1–100 characters; note at most 200; no other field).
 * The pipeline has the last word: the lookup may be a moment old, and the deliver stage records any collection
 * it is given (Reading 50).
 *
 * Recorded: the order's history (Actor, Source `store`, the reference in the note), `order.status.v1` and the
 * `order_status_history` table when the order moves (7400 → 7500). A PaymentEvent has no Actor: the `payments`
 * row of the collection does not say who confirmed it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DeliveryPartner, DeliveryStatus } from '../avro/records.js';
import { normaliseMoney } from '../processors/domain/money.js';
import { OrderStatus, OrderStatusName, PaymentStatus, type OrderStatusCode } from '../processors/domain/types.js';
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

export interface CodConfirmOptions {
  readonly locator: OrderLocator;
  /** Where confirmations go: Kafka's delivery.status.v1, or the in-process pipeline. */
  readonly publisher: CommandPublisher;
  /** The delivery status topic's full name (with the deployment's prefix). */
  readonly deliveryTopic: string;
  /** The record's bytes in the topic's format. */
  readonly encode: (status: DeliveryStatus) => Buffer;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

/** The 202 of POST /orders/:orderId/cod/confirm. */
export type CashAccepted = OrderCommandAccepted<'CONFIRM_CASH'>;

/** The EventID of a confirmation: one per command, so a repeated command is applied once. */
export const manualEventId = (id: string): string => `manual-${id}`;

/** Order statuses at which store staff may confirm the cash: Delivery Failed and Delivered. */
export const CONFIRMABLE_STATUSES: readonly number[] = [OrderStatus.DeliveryFailed, OrderStatus.Delivered];

const PARTNERS: readonly DeliveryPartner[] = ['GRAB', 'PMP'];

/** Money > 0, as the webhook ingress reads a partner's: 1–14 integer digits without leading zeros, at most 4 decimals. */
const AMOUNT_PATTERN = '^(?=[0-9.]*[1-9])(0|[1-9][0-9]{0,13})(\\.[0-9]{1,4})?$';

const confirmSchema = {
  summary: 'Confirm the cash of a COD order, when its delivery partner cannot',
  description:
    'Sends the COLLECTED status the partner did not send, on its behalf and in the clerk’s name. 202 means accepted; the payment moves to Collected moments later, and the daily reconciliation compares the amount with the order total. Refused at once with 409 when the order is not COD, its cash is already confirmed, it is neither delivered nor failed delivery, or it has no delivery partner.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 50 } } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['amount', 'reference'],
    properties: {
      amount: {
        type: 'string',
        pattern: AMOUNT_PATTERN,
        description: 'the cash taken, a decimal string above 0 with at most 4 decimals ("123.45")',
      },
      reference: {
        type: 'string',
        minLength: 1,
        maxLength: 100,
        pattern: '\\S',
        description: 'the store’s reference for the cash, e.g. the receipt number; shown in the order’s history',
      },
      note: { type: 'string', maxLength: 200, description: 'anything else the clerk wants on record' },
    },
  },
  response: {
    202: orderCommandAcceptedSchema('CONFIRM_CASH', 'the command’s id; the record on delivery.status.v1 is `manual-<commandId>`'),
    403: errorResponseSchema,
    404: errorResponseSchema,
    409: errorResponseSchema,
    422: errorResponseSchema,
    503: errorResponseSchema,
  },
} as const;

const statusText = (order: OrderView): string => `${order.statusName} (${order.status})`;

/** Why the cash of this order cannot be confirmed by staff now, or the partner to confirm it for. */
function confirmRefusal(order: OrderView): ApiError | { partner: DeliveryPartner } {
  if (order.paymentMethod !== 'COD')
    return new ApiError(
      409,
      'NOT_COD',
      `Order ${order.orderId} is paid by ${order.paymentMethod}, not cash on delivery; there is no cash to confirm`,
    );
  if (order.paymentStatus === PaymentStatus.Collected || order.paymentStatus === PaymentStatus.Reconciled)
    return new ApiError(
      409,
      'COD_ALREADY_CONFIRMED',
      `The cash of order ${order.orderId} is already ${order.paymentStatus}${order.collectedAmount ? ` (${order.collectedAmount})` : ''}; nothing to confirm`,
    );
  if (!CONFIRMABLE_STATUSES.includes(order.status)) {
    const why =
      order.status === OrderStatus.Cancelled
        ? 'it was cancelled before delivery'
        : 'the parcel is not delivered yet; the delivery partner confirms the cash once it is';
    return new ApiError(
      409,
      'NOT_DELIVERED_YET',
      `Order ${order.orderId} is ${statusText(order)}: ${why}. Cash is confirmed here once the order is ${CONFIRMABLE_STATUSES.map((status) => OrderStatusName[status as OrderStatusCode]).join(' or ')}.`,
    );
  }
  const carrier = order.carrier ?? null;
  if (carrier === null || !PARTNERS.includes(carrier as DeliveryPartner))
    return new ApiError(
      409,
      'NO_CARRIER',
      carrier === null
        ? `Order ${order.orderId} has no delivery partner on record; its cash cannot be confirmed on a partner's behalf`
        : `Order ${order.orderId} went with ${carrier}, not a delivery partner Omnia confirms cash for (${PARTNERS.join(', ')})`,
    );
  return { partner: carrier as DeliveryPartner };
}

export function codRoutes(options: CodConfirmOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();

  const send = (record: DeliveryStatus, id: string, roles: readonly string[]) =>
    sendCommand(
      options.publisher,
      {
        topic: options.deliveryTopic,
        key: record.ShipFromLocationID,
        value: options.encode(record),
        timestamp: now(),
        headers: { 'omnia-command-id': id, 'omnia-requested-role': roles.join(',') },
      },
      'The confirmation',
    );

  const validatorCompiler = strictValidator();

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/orders/:orderId/cod/confirm', { schema: confirmSchema, validatorCompiler }, async (request, response) => {
      const principal = orderActor(request, 'confirm their cash');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { orderId } = request.params as { orderId: string };
      const body = request.body as { amount: string; reference: string; note?: string };
      const answer = await idempotency.run(
        key,
        principal.subject,
        { action: 'cod-confirm', orderId, body },
        async (): Promise<AnswerWith<CashAccepted>> => {
          const order = await actionableOrder(options.locator, request, principal, orderId, undefined, 'confirm its cash');
          const decided = confirmRefusal(order);
          if (decided instanceof ApiError) throw decided;
          const id = commandId(principal.subject, key, orderId, randomUUID);
          const nowMs = now();
          const at = new Date(nowMs).toISOString();
          const note = body.note?.trim();
          await send(
            {
              EventID: manualEventId(id),
              OrderID: order.orderId,
              ShipFromLocationID: order.shipFromLocationId,
              Partner: decided.partner,
              Status: 'COLLECTED',
              CollectedAmount: normaliseMoney(body.amount),
              At: at,
              ConfirmedBy: principal.subject,
              Reference: body.reference.trim(),
              Note: note ? note : null,
            },
            id,
            principal.roles,
          );
          return orderCommandAccepted(orderId, 'CONFIRM_CASH', id, principal, nowMs);
        },
      );
      return sendAnswer(response, answer);
    });
  };
}
