/**
 * What every action route shares (order-action-routes.ts, cod-routes.ts, bundle-routes.ts): who may act, the
 * order an action is about, sending the command record, and answering with a remembered answer.
 *
 * An action is a record on a topic that the pipeline applies; these helpers never write state themselves.
 */
import { Ajv } from 'ajv';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PublishRecord, WebhookPublisher } from '../connectors/webhook-publisher.js';
import { ApiError } from './errors.js';
import { type Answer, IDEMPOTENCY_HEADER } from './idempotency.js';
import { NotFound, type OrderLocator, Unavailable } from './order-lookup-routes.js';
import type { OrderView } from './order-view.js';
import { canSeeStore, type Principal } from './principal.js';

/** Where commands go: Kafka through an idempotent producer, or the in-process pipeline. */
export type CommandPublisher = Pick<WebhookPublisher, 'publish'>;

/** The `Idempotency-Key` header as the OpenAPI document shows it. */
export const idempotencyHeaderSchema = {
  type: 'object',
  properties: {
    // As idempotency.ts checks it: a key out of these bounds is a 400 naming the header, before anything is looked up.
    [IDEMPOTENCY_HEADER]: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'one per user intent (a UUID); a retry sends the same one; 1 to 128 visible ASCII characters',
    },
  },
} as const;

/** Roles that act on orders: store staff and managers on their stores, admins on all. */
export const canActOn = (principal: Principal, store: string): boolean =>
  principal.roles.includes('admin') ||
  (principal.roles.some((role) => role === 'store_staff' || role === 'store_manager') && principal.stores.includes(store));

/** The caller, when its role acts on orders at all; else 401 / 403 (`what`: "change them", "confirm their cash"). */
export function orderActor(request: FastifyRequest, what: string): Principal {
  const principal = signedIn(request);
  if (!principal.roles.some((role) => role === 'admin' || role === 'store_staff' || role === 'store_manager'))
    throw new ApiError(403, 'FORBIDDEN', `Your role can see orders but not ${what}`);
  return principal;
}

/** The caller; 401 when the auth hook set none (it refuses first, so only a misconfigured route gets here). */
export function signedIn(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new ApiError(401, 'TOKEN_MISSING', 'a bearer token is required');
  return principal;
}

export const orderNotFound = (orderId: string): ApiError =>
  new ApiError(404, 'ORDER_NOT_FOUND', `No order ${JSON.stringify(orderId)} in your stores`);

/**
 * The order the caller may act on, found as GET /orders/:id finds it; 404 for none or another store's (the same
 * answer, so ids leak nothing), 403 for a role that only reads that store, 503 when no source can answer.
 */
export async function actionableOrder(
  locator: OrderLocator,
  request: FastifyRequest,
  principal: Principal,
  orderId: string,
  store: string | undefined,
  what: string,
): Promise<OrderView> {
  if (store !== undefined && !canSeeStore(principal, store)) throw orderNotFound(orderId);
  let order: OrderView;
  try {
    order = (await locator.lookup(request, orderId, store)).order;
  } catch (error) {
    if (error instanceof NotFound) throw orderNotFound(orderId);
    if (error instanceof Unavailable)
      throw new ApiError(
        503,
        'ORDER_SOURCE_UNAVAILABLE',
        `The order cannot be read right now (${error.message}); try again in a moment`,
        undefined,
        {
          'retry-after': '2',
        },
      );
    throw error;
  }
  if (!canSeeStore(principal, order.shipFromLocationId)) throw orderNotFound(orderId);
  if (!canActOn(principal, order.shipFromLocationId))
    throw new ApiError(403, 'FORBIDDEN', `Your role can see this order but not ${what}; ask the store’s staff or manager`);
  return order;
}

/** Sends one command record; a send that may have failed is 503 COMMAND_NOT_SENT (a retry with the same key is safe). */
export async function sendCommand(publisher: CommandPublisher, record: PublishRecord, what: string): Promise<void> {
  try {
    await publisher.publish(record);
  } catch (error) {
    throw new ApiError(503, 'COMMAND_NOT_SENT', `${what} could not be sent to the pipeline; try again (the same Idempotency-Key is safe)`, {
      cause: (error as Error).message,
    });
  }
}

/** Answers an action, saying when the answer is a remembered one. */
export function sendAnswer(reply: FastifyReply, answer: Answer & { replayed: boolean }): FastifyReply {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(answer.status).send(answer.body);
}

/** The 202 of an action on an order: the command was sent; its outcome arrives as status changes. */
export const orderCommandAcceptedSchema = (action: string, commandIdDoc: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['accepted', 'orderId', 'action', 'commandId', 'requestedBy', 'acceptedAt'],
    properties: {
      accepted: { type: 'boolean', const: true },
      orderId: { type: 'string' },
      action: { type: 'string', enum: [action] },
      commandId: { type: 'string', description: commandIdDoc },
      requestedBy: { type: 'string', description: 'the token subject, recorded in the order’s history' },
      acceptedAt: { type: 'string', format: 'date-time' },
    },
  }) as const;

/** An answer whose body has a known shape: what a route builds, before it is remembered as an Answer. */
export type AnswerWith<Body> = Answer & { readonly body: Body };

/** The body of that 202 (orderCommandAcceptedSchema); `Action` is the route's action name. */
export interface OrderCommandAccepted<Action extends string = string> {
  accepted: true;
  orderId: string;
  action: Action;
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}

export const orderCommandAccepted = <Action extends string>(
  orderId: string,
  action: Action,
  commandId: string,
  principal: Principal,
  nowMs: number,
): AnswerWith<OrderCommandAccepted<Action>> => ({
  status: 202,
  body: { accepted: true, orderId, action, commandId, requestedBy: principal.subject, acceptedAt: new Date(nowMs).toISOString() },
});

/**
 * A request validator for an action's body: every error, nothing coerced, nothing removed. Money is a decimal
 * string, never a JSON number (the service's default validator would turn 12.5 into "12.5"), and an unknown field
 * is named rather than dropped.
 */
export function strictValidator() {
  const ajv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false, logger: false });
  return ({ schema }: { schema: object }) => ajv.compile(schema);
}
