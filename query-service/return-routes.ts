/**
 * Returns of delivered orders (docs/contract.md §10, §11 *Returns*):
 *
 * - `POST /orders/:orderId/returns` `{ lines: [{ lineId, quantity }], reason }` — the customer brings back some units
 *   of some lines (a partial return) within OMNIA_RETURN_WINDOW_DAYS of the delivery. 202 with the new `returnId`.
 * - `POST /orders/:orderId/returns/:returnId/receive` — the store has the units: they are refunded (Cal A, D and E of
 *   each line in reverse, processors/domain/refunds.ts) and go back on the shelf. 202.
 *
 * Each is an `order.return.v1` record (ReturnCommand) the returns stage applies, never a direct write: 202 says it was
 * accepted; the order moves 7500 → 8000 when asked and 8000 → 8500 once no return is open, the refund is a `Refunded`
 * event on order.payment.v1, and the returns land in the order_returns table. Same roles, store scope and
 * Idempotency-Key rules as the other actions (commands.ts): the ReturnID is derived from the command id, so a retry
 * asks for the same return, which the stage records once.
 *
 * Refused at once, from the order as the lookup finds it (and the returns the sink has written):
 * - 409 NOT_DELIVERED: the order is not Delivered (7500) or returning (8000, 8500);
 * - 409 RETURN_WINDOW_CLOSED: more than OMNIA_RETURN_WINDOW_DAYS after its delivery;
 * - 409 UNKNOWN_LINE, QUANTITY_EXCEEDS_SHIPPED: a line the order does not have, more units than were shipped less
 *   those earlier returns asked for (every line's reason in `details`);
 * - 409 RETURN_ALREADY_RECEIVED (receive): the tables already say so;
 * - 400 VALIDATION_FAILED: every failing field, a line listed twice among them.
 * The stage checks again and has the last word (returns the tables do not show yet, two clerks at once): what it
 * refuses lands on order.return.v1.dlq with its code and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ReturnCommand } from '../avro/records.js';
import { returnRefusals } from '../processors/domain/refunds.js';
import { describeRefusal, returnableRefusal, ReturnCode } from '../processors/domain/returns.js';
import { OrderStatus } from '../processors/domain/types.js';
import type { PricedLine } from '../processors/order-state.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { ApiError, errorResponseSchema, type FieldError } from './errors.js';
import {
  actionableOrder,
  type CommandPublisher,
  idempotencyHeaderSchema,
  orderActor,
  sendAnswer,
  sendCommand,
  strictValidator,
} from './commands.js';
import { type Answer, commandId, IDEMPOTENCY_HEADER, idempotencyKey, IdempotentActions } from './idempotency.js';
import type { OrderLocator } from './order-lookup-routes.js';
import type { OrderView } from './order-view.js';
import type { Principal } from './principal.js';

export interface ReturnRouteOptions {
  readonly locator: OrderLocator;
  /** The analysts' tables: the returns the sink has written, to refuse what the stage would. */
  readonly db: SqlDatabase;
  readonly publisher: CommandPublisher;
  /** The return topic's full name (with the deployment's prefix). */
  readonly returnTopic: string;
  readonly encode: (command: ReturnCommand) => Buffer;
  /** OMNIA_RETURN_WINDOW_DAYS, as the stage has it. */
  readonly windowDays: number;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

/** The body of POST /orders/:orderId/returns. */
export interface ReturnRequestBody {
  lines: Array<{ lineId: string; quantity: number }>;
  reason: string;
}

/** The 202 of both routes. */
export interface ReturnAccepted {
  accepted: true;
  orderId: string;
  returnId: string;
  action: 'REQUEST_RETURN' | 'RECEIVE_RETURN';
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}

/** The ReturnID of a request: from its command id, so every retry of one Idempotency-Key names the same return. */
export const returnIdOf = (id: string): string => `RET-${id.replace(/-/g, '').slice(0, 12).toUpperCase()}`;

const ID = { type: 'string', minLength: 1, maxLength: 50 } as const;

const acceptedSchema = (action: ReturnAccepted['action']) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['accepted', 'orderId', 'returnId', 'action', 'commandId', 'requestedBy', 'acceptedAt'],
    properties: {
      accepted: { type: 'boolean', const: true },
      orderId: { type: 'string' },
      returnId: { type: 'string', description: 'the return, named again to receive it' },
      action: { type: 'string', enum: [action] },
      commandId: { type: 'string', description: 'the command’s id, the record’s CommandID' },
      requestedBy: { type: 'string', description: 'the token subject, recorded with the return and in the order’s history' },
      acceptedAt: { type: 'string', format: 'date-time' },
    },
  }) as const;

const errors = {
  403: errorResponseSchema,
  404: errorResponseSchema,
  409: errorResponseSchema,
  422: errorResponseSchema,
  503: errorResponseSchema,
} as const;

const requestSchema = {
  summary: 'Ask for a return of a delivered order',
  description:
    'Some units of some lines (a partial return), within the return window after the delivery. 202 means accepted: the order moves to 8000 Return requested moments later. Refused at once with 409 when the order is not delivered, the window is closed, a line is unknown or more units are asked than were shipped less earlier returns.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  params: { type: 'object', required: ['orderId'], properties: { orderId: ID } },
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['lines', 'reason'],
    properties: {
      lines: {
        type: 'array',
        minItems: 1,
        maxItems: 200,
        description: 'the units asked back, one entry per line',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['lineId', 'quantity'],
          properties: {
            lineId: { ...ID, description: 'the order line (lines[].lineId of the order)' },
            quantity: { type: 'integer', minimum: 1, maximum: 100000, description: 'units of that line' },
          },
        },
      },
      reason: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        pattern: '\\S',
        description: 'why, in the customer’s words: kept with the return',
      },
    },
  },
  response: { 202: acceptedSchema('REQUEST_RETURN'), ...errors },
} as const;

const receiveSchema = {
  summary: 'Receive the units of a return',
  description:
    'The store has the units back: they are refunded (each line’s share of what it was paid, charges excluded) as a Refunded payment event and go back on the shelf; once no return is open the order moves to 8500 Returned. 202 means accepted.',
  tags: ['actions'],
  headers: idempotencyHeaderSchema,
  params: { type: 'object', required: ['orderId', 'returnId'], properties: { orderId: ID, returnId: ID } },
  response: { 202: acceptedSchema('RECEIVE_RETURN'), ...errors },
} as const;

/** The order's lines as the refund rules read them. */
const pricedLines = (order: OrderView): PricedLine[] =>
  order.lines.map((line) => ({
    LineID: line.lineId,
    ItemID: line.itemId,
    Quantity: line.quantity,
    UnitPrice: line.unitPrice,
    LineAmount: line.lineAmount,
    LineDiscount: line.lineDiscount,
    LineTax: line.lineTax,
    BundleGroupID: line.bundleGroupId,
    ShortDescription: line.shortDescription,
    ImageURL: line.imageUrl,
  }));

/** When the view says the order was delivered: its deliveredAt, or the first 7500 of its history. */
const deliveredAt = (order: OrderView): string | null =>
  order.deliveredAt ?? order.history.find((entry) => entry.to === OrderStatus.Delivered)?.at ?? null;

/** A line named twice is a malformed request: 400, naming each repeat. */
function duplicateLines(body: ReturnRequestBody): void {
  const seen = new Set<string>();
  const repeated: FieldError[] = [];
  body.lines.forEach((line, i) => {
    if (seen.has(line.lineId))
      repeated.push({ location: 'body', field: `lines.${i}.lineId`, message: `line ${line.lineId} is already listed` });
    seen.add(line.lineId);
  });
  if (repeated.length) throw new ApiError(400, 'VALIDATION_FAILED', 'Each line may be listed once', repeated);
}

export function returnRoutes(options: ReturnRouteOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();
  const validatorCompiler = strictValidator();

  /**
   * What the tables know of the order's returns. They only let a refusal come at once instead of from the stage, which
   * checks every return itself: when they cannot answer (not migrated yet, Postgres away) the command goes anyway.
   */
  const fromTables = async <Row>(sql: string, params: readonly unknown[]): Promise<Row[]> => {
    try {
      return (await options.db.query<Row>(sql, params)).rows;
    } catch {
      return [];
    }
  };

  /** Units of each line earlier returns asked for, as far as the tables know (never more than the stage's count). */
  const askedBefore = async (orderId: string): Promise<Map<string, number>> => {
    const rows = await fromTables<{ line_id: string; units: number }>(
      'SELECT line_id, sum(quantity)::int AS units FROM order_return_lines WHERE order_id = $1 GROUP BY line_id',
      [orderId],
    );
    return new Map(rows.map((row) => [row.line_id, Number(row.units)]));
  };

  const send = async (command: ReturnCommand, principal: Principal, nowMs: number): Promise<Answer> => {
    await sendCommand(
      options.publisher,
      {
        topic: options.returnTopic,
        key: command.ShipFromLocationID,
        value: options.encode(command),
        timestamp: nowMs,
        headers: { 'omnia-command-id': command.CommandID, 'omnia-requested-role': principal.roles.join(',') },
      },
      'The return',
    );
    const body: ReturnAccepted = {
      accepted: true,
      orderId: command.OrderID,
      returnId: command.ReturnID,
      action: command.Action === 'REQUEST' ? 'REQUEST_RETURN' : 'RECEIVE_RETURN',
      commandId: command.CommandID,
      requestedBy: principal.subject,
      acceptedAt: new Date(nowMs).toISOString(),
    };
    return { status: 202, body };
  };

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/orders/:orderId/returns', { schema: requestSchema, validatorCompiler }, async (request, response) => {
      const principal = orderActor(request, 'take returns');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { orderId } = request.params as { orderId: string };
      const body = request.body as ReturnRequestBody;
      duplicateLines(body);
      const answer = await idempotency.run(key, principal.subject, { action: 'return-request', orderId, body }, async () => {
        const order = await actionableOrder(options.locator, request, principal, orderId, undefined, 'take its returns');
        const nowMs = now();
        const at = new Date(nowMs).toISOString();
        const notReturnable = returnableRefusal(
          { OrderID: order.orderId, Status: order.status, DeliveredAt: deliveredAt(order) },
          at,
          options.windowDays,
        );
        if (notReturnable) throw new ApiError(409, notReturnable.code, notReturnable.message);
        const asked = body.lines.map((line) => ({ LineID: line.lineId, Quantity: line.quantity }));
        const refusals = returnRefusals(pricedLines(order), asked, await askedBefore(order.orderId));
        if (refusals.length > 0)
          throw new ApiError(
            409,
            refusals[0]!.Code,
            refusals.map((refusal) => `${refusal.Code} ${describeRefusal(refusal)}`).join('; '),
            refusals.map((refusal) => ({ code: refusal.Code, lineId: refusal.LineID, message: describeRefusal(refusal) })),
          );
        const id = commandId(principal.subject, key, `${orderId}/returns`, randomUUID);
        return send(
          {
            CommandID: id,
            OrderID: order.orderId,
            ShipFromLocationID: order.shipFromLocationId,
            Action: 'REQUEST',
            ReturnID: returnIdOf(id),
            Lines: asked,
            Reason: body.reason.trim(),
            RequestedBy: principal.subject,
            At: at,
          },
          principal,
          nowMs,
        );
      });
      return sendAnswer(response, answer);
    });

    app.post('/orders/:orderId/returns/:returnId/receive', { schema: receiveSchema, validatorCompiler }, async (request, response) => {
      const principal = orderActor(request, 'receive returns');
      const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
      const { orderId, returnId } = request.params as { orderId: string; returnId: string };
      const answer = await idempotency.run(key, principal.subject, { action: 'return-receive', orderId, returnId }, async () => {
        const order = await actionableOrder(options.locator, request, principal, orderId, undefined, 'receive its returns');
        // No return can exist before delivery; past that, only the stage knows every return (the tables may lag).
        if (order.status < OrderStatus.Delivered || order.status === OrderStatus.Cancelled)
          throw new ApiError(409, ReturnCode.ReturnNotFound, `Order ${orderId} was never delivered, so it has no return ${returnId}`);
        const [received] = await fromTables<{ received_at: Date | null; received_by: string | null }>(
          'SELECT received_at, received_by FROM order_returns WHERE order_id = $1 AND return_id = $2',
          [order.orderId, returnId],
        );
        if (received?.received_at)
          throw new ApiError(
            409,
            ReturnCode.ReturnAlreadyReceived,
            `Return ${returnId} of order ${orderId} was received at ${new Date(received.received_at).toISOString()} by ${received.received_by ?? 'someone'}`,
          );
        const id = commandId(principal.subject, key, `${orderId}/returns/${returnId}/receive`, randomUUID);
        const nowMs = now();
        return send(
          {
            CommandID: id,
            OrderID: order.orderId,
            ShipFromLocationID: order.shipFromLocationId,
            Action: 'RECEIVE',
            ReturnID: returnId,
            Lines: null,
            Reason: null,
            RequestedBy: principal.subject,
            At: new Date(nowMs).toISOString(),
          },
          principal,
          nowMs,
        );
      });
      return sendAnswer(response, answer);
    });
  };
}
