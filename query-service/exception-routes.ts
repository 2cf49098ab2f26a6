/**
 * People's decisions on an order's exceptions (docs/contract.md §10):
 *
 * - `POST /orders/:orderId/reconciliation/acknowledge` and `…/resolve` — a COD reconciliation exception seen, or
 *   settled (the cash came in another way, the partner corrected it, it was written off). A resolved MISSING is no
 *   longer reported at each cut-off.
 * - `POST /orders/:orderId/release/retry` and `…/park` — a release Slick refused (set aside by the egress) sent
 *   again once fixed, or one that waits too long parked with the reason.
 *
 * Each is an `order.exception-action.v1` record the exception stage applies (never a direct write); 202 says it
 * was accepted, and the outcome (applied, or refused with the pipeline's reason) arrives on
 * `order.exception-outcome.v1` and in the exception_outcomes table. Body `{ note }`: 1–200 characters, said in the
 * history and the tables. Same roles, store scope and Idempotency-Key rules as the other actions (commands.ts).
 *
 * Refused at once (409), read from the analysts' tables the lists come from:
 * - NO_OPEN_EXCEPTION: the order has no open reconciliation exception (none reported, or reconciled / resolved since);
 * - RELEASE_NOT_WAITING: Slick has the release (or the order was never released);
 * - RELEASE_BEING_RETRIED (retry only): Slick did not refuse it; the connector is still sending it by itself and it
 *   goes as soon as Slick answers — a second copy would only queue behind it. Park it instead if it should wait;
 * - RELEASE_ALREADY_PARKED (park only).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ExceptionAction, ExceptionActionKind, ExceptionType } from '../avro/records.js';
import type { SqlDatabase } from '../postgres/sql.js';
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

export interface ExceptionActionOptions {
  readonly locator: OrderLocator;
  /** Where the lists are read from, to refuse what the pipeline would. */
  readonly db: SqlDatabase;
  readonly publisher: CommandPublisher;
  /** The exception-action topic's full name (with the deployment's prefix). */
  readonly actionTopic: string;
  readonly encode: (action: ExceptionAction) => Buffer;
  readonly idempotency?: IdempotentActions;
  readonly now?: () => number;
}

/** The decisions taken here: on a reconciliation exception, acknowledge or resolve; on a release, retry or park. */
type Decision =
  | {
      readonly exception: Extract<ExceptionType, 'RECONCILIATION'>;
      readonly action: Extract<ExceptionActionKind, 'ACKNOWLEDGE' | 'RESOLVE'>;
    }
  | { readonly exception: Extract<ExceptionType, 'RELEASE'>; readonly action: Extract<ExceptionActionKind, 'RETRY' | 'PARK'> };

type NameOf<D> = D extends Decision ? `${D['action']}_${D['exception']}` : never;
/** How a 202 names the decision: its action, then its exception ("RESOLVE_RECONCILIATION"). */
export type ExceptionActionName = NameOf<Decision>;

/** The 202 of every route here. */
export type ExceptionActionAccepted = OrderCommandAccepted<ExceptionActionName>;

const actionName = (decision: Decision): ExceptionActionName =>
  decision.exception === 'RECONCILIATION' ? `${decision.action}_RECONCILIATION` : `${decision.action}_RELEASE`;

type Route = Decision & {
  readonly path: string;
  readonly summary: string;
  readonly description: string;
  /** What the caller may not do, for the 403 ("resolve its reconciliation exceptions"). */
  readonly what: string;
};

const ROUTES: readonly Route[] = [
  {
    path: '/orders/:orderId/reconciliation/acknowledge',
    exception: 'RECONCILIATION',
    action: 'ACKNOWLEDGE',
    summary: 'Acknowledge a COD reconciliation exception',
    description:
      'Says someone is on it, with a note. The exception stays open and is still reported at each cut-off until it is reconciled or resolved.',
    what: 'acknowledge its reconciliation exceptions',
  },
  {
    path: '/orders/:orderId/reconciliation/resolve',
    exception: 'RECONCILIATION',
    action: 'RESOLVE',
    summary: 'Resolve a COD reconciliation exception',
    description:
      'Closes it with a note (how it was settled). A resolved MISSING is no longer reported at each cut-off; a later collection from the partner opens it again.',
    what: 'resolve its reconciliation exceptions',
  },
  {
    path: '/orders/:orderId/release/retry',
    exception: 'RELEASE',
    action: 'RETRY',
    summary: 'Send a release Slick refused again',
    description:
      'Once the cause is fixed (at Slick or in the order’s data), the pipeline sends the same release again (same ReleaseID). Refused when Slick did not refuse it: the connector is still sending it by itself.',
    what: 'retry its release',
  },
  {
    path: '/orders/:orderId/release/park',
    exception: 'RELEASE',
    action: 'PARK',
    summary: 'Park a release Slick has not taken',
    description:
      'Sets it aside on purpose, with the reason: it stays on the list marked parked (no longer an alert) until Slick takes it or someone retries it.',
    what: 'park its release',
  },
];

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['note'],
  properties: {
    note: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S', description: 'why: shown in the order’s history and the lists' },
  },
} as const;

const schemaOf = (route: Route) =>
  ({
    summary: route.summary,
    description: `${route.description} 202 means accepted; the outcome arrives on order.exception-outcome.v1.`,
    tags: ['actions'],
    headers: idempotencyHeaderSchema,
    params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 50 } } },
    body: bodySchema,
    response: {
      202: orderCommandAcceptedSchema(actionName(route), 'the command’s id, the record’s CommandID'),
      403: errorResponseSchema,
      404: errorResponseSchema,
      409: errorResponseSchema,
      422: errorResponseSchema,
      503: errorResponseSchema,
    },
  }) as const;

/** Why the lists say the pipeline would not take this decision now; undefined when it would. */
async function refusal(db: SqlDatabase, route: Route, order: OrderView): Promise<ApiError | undefined> {
  if (route.exception === 'RECONCILIATION') {
    const open = await db.query('SELECT 1 FROM open_reconciliation_exceptions WHERE order_id = $1', [order.orderId]);
    if (open.rows.length > 0) return undefined;
    return new ApiError(
      409,
      'NO_OPEN_EXCEPTION',
      `Order ${order.orderId} has no open reconciliation exception: none was reported, or it was reconciled or resolved since`,
    );
  }
  const waiting = await db.query<{
    refused: boolean | null;
    parked_at: string | null;
    last_outcome: string | null;
    last_error: string | null;
  }>('SELECT refused, parked_at, last_outcome, last_error FROM releases_awaiting_slick WHERE order_id = $1', [order.orderId]);
  const release = waiting.rows[0];
  if (!release)
    return new ApiError(
      409,
      'RELEASE_NOT_WAITING',
      `Order ${order.orderId} has no release waiting for Slick: Slick has it, or it was never released`,
    );
  if (route.action === 'PARK' && release.parked_at !== null)
    return new ApiError(
      409,
      'RELEASE_ALREADY_PARKED',
      `The release of order ${order.orderId} is already parked; retry it when it should go`,
    );
  if (route.action === 'RETRY' && !release.refused && release.parked_at === null)
    return new ApiError(
      409,
      'RELEASE_BEING_RETRIED',
      `Slick did not refuse the release of order ${order.orderId}; the connector is still sending it${release.last_outcome ? ` (last: ${release.last_outcome}${release.last_error ? `, ${release.last_error}` : ''})` : ''} and it goes as soon as Slick answers. Park it if it should wait.`,
    );
  return undefined;
}

export function exceptionActionRoutes(options: ExceptionActionOptions) {
  const now = options.now ?? Date.now;
  const idempotency = options.idempotency ?? new IdempotentActions();
  const validatorCompiler = strictValidator();
  return async (app: FastifyInstance): Promise<void> => {
    for (const route of ROUTES) {
      app.post(route.path, { schema: schemaOf(route), validatorCompiler }, async (request, response) => {
        const principal = orderActor(request, route.what);
        const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
        const { orderId } = request.params as { orderId: string };
        const { note } = request.body as { note: string };
        const intent = { action: `${route.exception}-${route.action}`, orderId, body: { note } };
        const answer = await idempotency.run(key, principal.subject, intent, async (): Promise<AnswerWith<ExceptionActionAccepted>> => {
          const order = await actionableOrder(options.locator, request, principal, orderId, undefined, route.what);
          const refused = await refusal(options.db, route, order);
          if (refused) throw refused;
          const id = commandId(principal.subject, key, `${orderId}/${route.exception}/${route.action}`, randomUUID);
          const nowMs = now();
          const command: ExceptionAction = {
            OrderID: order.orderId,
            ShipFromLocationID: order.shipFromLocationId,
            Exception: route.exception,
            Action: route.action,
            Note: note.trim(),
            RequestedBy: principal.subject,
            CommandID: id,
            At: new Date(nowMs).toISOString(),
          };
          await sendCommand(
            options.publisher,
            {
              topic: options.actionTopic,
              key: command.ShipFromLocationID,
              value: options.encode(command),
              timestamp: nowMs,
              headers: { 'omnia-command-id': id, 'omnia-requested-role': principal.roles.join(',') },
            },
            'The decision',
          );
          return orderCommandAccepted(orderId, actionName(route), id, principal, nowMs);
        });
        return sendAnswer(response, answer);
      });
    }
  };
}
