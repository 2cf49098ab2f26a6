/**
 * GET /orders/:orderId — where is order X. Answered, in order of preference, by:
 *
 *   local-state  this replica owns the order's partition and has restored it: the `orders` store itself;
 *   replica      another replica owns it: the request is forwarded there and its answer relayed, authenticated
 *                both ways with the replicas' shared secret, never with the caller's token (forwarding.ts);
 *   postgres     the owner is restoring, unreachable or cannot be found (the consumer group cannot be described):
 *                the analysts' tables (as fresh as the sink). `x-omnia-lookup-fallback` says why.
 *
 * The order's partition follows from its store (ShipFromLocationID). It is known when the caller names the store
 * (`?store=`) or when the caller's token holds one store only (a store role sees no other). Then the order is
 * looked for in that partition alone, once: here, at its owner, or in Postgres. Otherwise this replica's own
 * partitions are looked in (a store role's: those of its stores), then Postgres says which store the order
 * belongs to and the order is routed once to that store's partition; an order Postgres does not know (the sink
 * may lag) is not found. No lookup is ever sent to every replica.
 *
 * An order of a store the caller may not see is answered 404 like an order that does not exist, and with the same
 * work: which sources are asked depends on the request and the caller only, never on the order, and an order
 * found for another store is dropped where it is read, before its view is built (in Postgres, by its store before
 * its lines and history are read). Both answers come from the same reads in the same order, so neither the
 * answer nor its time tells whether another store's order exists. Padding to a time floor was not chosen: a floor
 * long enough to cover a forward would slow every 404, and the reads already match.
 *
 * Every source gives the same view (order-view.ts); what the caller may see of the delivery address is decided
 * here, whoever answered: nothing for a role that neither delivers nor changes the order, the phone masked for
 * store roles (phone-mask.ts), whole for admins.
 */
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OrderState } from '../processors/order-state.js';
import type { SqlDatabase } from '../postgres/sql.js';
import { errorResponseSchema } from './errors.js';
import { FORWARD_PROOF_HEADER, FORWARDED_HEADER, type ReplicaForwarding } from './forwarding.js';
import type { LocalOrders } from './local-orders.js';
import { type OrderView, orderViewSchema, viewFromPostgres, viewOfState } from './order-view.js';
import type { PartitionOwner, PartitionOwners } from './partition-owners.js';
import { maskPhone } from './phone-mask.js';
import { canSeeStore, type Principal, seesAllStores, seesDeliveryAddress, seesWholePhone } from './principal.js';

/** Marks a forwarded request (its value the inter-replica token): the receiver answers from its own state only and never forwards again. */
export { FORWARDED_HEADER };

/** Why Postgres was asked instead of the owner; sent back in this header (on 200, 404 and 503 alike). */
export const LOOKUP_FALLBACK_HEADER = 'x-omnia-lookup-fallback';

/**
 * owners-unknown     the consumer group could not be described (an admin call failed or took over its timeout);
 * owner-restoring    this replica owns the partition and is still restoring it;
 * no-owner           no member owns the partition now (a rebalance), or the owner advertises no endpoint, or this
 *                    replica forwards nothing (no OMNIA_FORWARD_SECRET);
 * owner-unavailable  the owner failed, did not answer in time, answered without proof, or is restoring itself.
 */
export type FallbackReason = 'owners-unknown' | 'owner-restoring' | 'no-owner' | 'owner-unavailable';

export interface LookupOptions {
  readonly local: LocalOrders;
  readonly db: SqlDatabase;
  /** Undefined when one process owns every partition (the embedded default). */
  readonly owners?: PartitionOwners;
  readonly forwardTimeoutMs?: number;
  /** Signs forwarded lookups and checks the owners' answers (OMNIA_FORWARD_SECRET); none: nothing is forwarded, Postgres answers. */
  readonly forwarding?: ReplicaForwarding;
}

type Source = 'local-state' | 'replica' | 'postgres';

/** The 200 of GET /orders/:orderId (answerSchema). */
export interface Answer {
  source: Source;
  answeredBy: string;
  order: OrderView;
}

/** What a lookup went through, for the caller to report (the route's fallback header). */
export interface LookupTrace {
  fallback?: FallbackReason;
}

/** Ends a lookup with "no such order", from whichever source was authoritative. */
export class NotFound extends Error {}
/** No source can answer now (a forwarded request reached a restoring replica; Postgres is down): 503. */
export class Unavailable extends Error {}

const answerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'answeredBy', 'order'],
  properties: {
    source: { type: 'string', enum: ['local-state', 'replica', 'postgres'], description: 'which source answered' },
    answeredBy: { type: 'string', description: 'the replica (or "postgres") whose data this is' },
    order: orderViewSchema,
  },
} as const;

const schema = {
  summary: 'One order with its lines, totals, payment and status history',
  description:
    'Served from the state of the replica that owns the order, forwarded there when that is another replica, or from PostgreSQL when the owner cannot answer; `source` says which, and the `x-omnia-lookup-fallback` header why Postgres answered. Without `store`, an order PostgreSQL does not have yet is found only in this replica’s own state (or, for a caller with one store, that store’s).',
  tags: ['orders'],
  params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 50 } } },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      store: {
        type: 'string',
        minLength: 1,
        maxLength: 50,
        description: 'the order’s ShipFromLocationID, when known: the lookup goes straight to its partition’s owner',
      },
    },
  },
  response: { 200: answerSchema, 404: errorResponseSchema, 503: errorResponseSchema },
} as const;

export interface OrderLocator {
  /**
   * The order, from the best source; throws NotFound or Unavailable. An order of a store the request's principal
   * may not see is NotFound. `trace`, when given, receives why Postgres answered.
   */
  lookup(request: FastifyRequest, orderId: string, store: string | undefined, trace?: LookupTrace): Promise<Answer>;
  close(): void;
}

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** Finds an order wherever it is answered best (see the top of this file); the lookup route and the actions share it. */
export function orderLocator(options: LookupOptions): OrderLocator {
  const { local, db, owners, forwarding } = options;
  const timeoutMs = options.forwardTimeoutMs ?? 1_000;
  // Forwards reuse their connections to the other replicas. node:http rather than fetch: a forwarded lookup
  // costs this replica ~0.2 ms less CPU (bench/query-service.md).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // The owners' failure is remembered (partition-owners.ts): it is logged once, not on every lookup it affects.
  let ownersFailureLogged: unknown;

  /** GET `url`, its whole body as text and the answer's proof; rejects on a network error or when it takes over `ms` in all. */
  const getText = (url: string, headers: Record<string, string>, ms: number) =>
    new Promise<{ status: number; body: string; proof: string | undefined }>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined, result?: { status: number; body: string; proof: string | undefined }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(result!);
      };
      const request = http.get(url, { agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const proof = response.headers[FORWARD_PROOF_HEADER];
          settle(undefined, {
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            proof: typeof proof === 'string' ? proof : undefined,
          });
        });
        response.on('error', (error) => settle(error));
        response.on('close', () => settle(new Error('the connection closed before the answer ended')));
      });
      const timer = setTimeout(() => settle(new Error(`no answer within ${ms} ms`)), ms);
      request.on('error', (error) => settle(error));
    });

  /** Whether the request's principal may see an order of `store`; none (a route without auth) sees nothing. */
  const sees = (request: FastifyRequest, store: string) => request.principal !== undefined && canSeeStore(request.principal, store);

  /** The store Postgres holds the order under; undefined when it has no such order. */
  const storeInPostgres = async (orderId: string): Promise<string | undefined> => {
    const result = await db.query<{ ship_from_location_id: string }>('SELECT ship_from_location_id FROM orders WHERE order_id = $1', [
      orderId,
    ]);
    return result.rows[0]?.ship_from_location_id;
  };

  /**
   * The order from Postgres. Its store is read first and an order the caller may not see ends there, so that it
   * costs the one query a missing order costs; `known` is that store when it was read already.
   */
  const fromPostgres = async (request: FastifyRequest, orderId: string, known?: string): Promise<Answer> => {
    const failed = (error: unknown) => {
      throw new Unavailable(`neither the owning replica nor Postgres can answer (${(error as Error).message})`);
    };
    const store = known ?? (await storeInPostgres(orderId).catch(failed));
    if (store === undefined || !sees(request, store)) throw new NotFound();
    const order = await viewFromPostgres(db, orderId).catch(failed);
    if (!order) throw new NotFound();
    return { source: 'postgres', answeredBy: 'postgres', order };
  };

  /** The order from this replica's store of `partition`; undefined when it is not there or is another store's. */
  const fromLocal = async (request: FastifyRequest, partition: number, orderId: string): Promise<Answer | undefined> => {
    const state: OrderState | undefined = await local.get(partition, orderId);
    // Dropped before its view is built: another store's order costs what a missing one does.
    if (!state || !sees(request, state.Order.ShipFromLocationID)) return undefined;
    return { source: 'local-state', answeredBy: local.instance, order: viewOfState(state) };
  };

  /** The owner's answer; undefined when it cannot give one (down, slow, restoring). */
  const forward = async (
    owner: PartitionOwner,
    request: FastifyRequest,
    orderId: string,
    store: string,
  ): Promise<Answer | 'not-found' | undefined> => {
    if (!owner.endpoint || !forwarding || !request.principal) return undefined;
    const path = `/api/v1/orders/${encodeURIComponent(orderId)}?store=${encodeURIComponent(store)}`;
    try {
      // The caller's token stays here: the owner gets a token of this replica's, for this request and that owner only.
      const { token, id } = await forwarding.sign(request.principal, owner.endpoint, path);
      const response = await getText(`http://${owner.endpoint}${path}`, { [FORWARDED_HEADER]: token }, timeoutMs);
      if (!forwarding.proves(id, response.status, response.body, response.proof)) {
        request.log.warn(
          { instance: owner.instance, endpoint: owner.endpoint, status: response.status },
          'a forwarded lookup was answered without proof of the replicas’ secret (a group member that is not a replica, or one with another OMNIA_FORWARD_SECRET): not relayed',
        );
        owners?.invalidate();
        return undefined;
      }
      if (response.status === 404) return 'not-found';
      if (response.status < 200 || response.status > 299) return undefined;
      const answer = JSON.parse(response.body) as Answer;
      return { ...answer, source: 'replica' };
    } catch {
      owners?.invalidate(); // it may have moved: ask the group again next time
      return undefined;
    }
  };

  /** Postgres answers because the owner cannot; `trace` says why. */
  const fallBack = (request: FastifyRequest, orderId: string, trace: LookupTrace, reason: FallbackReason, known?: string) => {
    trace.fallback = reason;
    return fromPostgres(request, orderId, known);
  };

  /** The order in the partition of `store`, asked once: here, at the partition's owner, or in Postgres. */
  const inPartitionOf = async (
    request: FastifyRequest,
    orderId: string,
    store: string,
    trace: LookupTrace,
    known?: string,
  ): Promise<Answer> => {
    const partition = local.partitionOf(store);
    const here = local.state(partition);
    if (here === 'ready') {
      const answer = await fromLocal(request, partition, orderId);
      if (!answer) throw new NotFound();
      return answer;
    }
    if (here === 'restoring') return fallBack(request, orderId, trace, 'owner-restoring', known);
    let owner: PartitionOwner | undefined;
    try {
      owner = await owners?.ownerOf(partition);
    } catch (error) {
      if (error !== ownersFailureLogged) {
        ownersFailureLogged = error;
        request.log.warn({ err: error }, 'the partition owners are unknown: lookups of other replicas’ orders are answered from Postgres');
      }
      return fallBack(request, orderId, trace, 'owners-unknown', known);
    }
    if (!owner || owner.instance === local.instance || !owner.endpoint || !forwarding)
      return fallBack(request, orderId, trace, 'no-owner', known);
    const answer = await forward(owner, request, orderId, store);
    if (answer === 'not-found') throw new NotFound();
    if (answer) return answer;
    return fallBack(request, orderId, trace, 'owner-unavailable', known);
  };

  /** A forwarded request (its inter-replica token verified) is answered from this replica's state only, or not at all. */
  const answerForwarded = async (request: FastifyRequest, orderId: string, store: string | undefined): Promise<Answer> => {
    // Without a store: a replica of an earlier version asking every replica.
    const partitions = store ? [local.partitionOf(store)] : local.readyPartitions();
    for (const partition of partitions) {
      if (local.state(partition) !== 'ready') continue;
      const answer = await fromLocal(request, partition, orderId);
      if (answer) return answer;
    }
    if (store && local.state(local.partitionOf(store)) !== 'ready')
      throw new Unavailable('this replica is restoring the order’s partition');
    throw new NotFound();
  };

  const lookup = async (request: FastifyRequest, orderId: string, hint: string | undefined, trace: LookupTrace = {}): Promise<Answer> => {
    if (request.forwardId !== undefined) return answerForwarded(request, orderId, hint);
    const principal: Principal | undefined = request.principal;
    if (!principal) throw new NotFound();
    const scoped = !seesAllStores(principal);
    // A store role with one store can only see orders of that store: its partition is known.
    const store = hint ?? (scoped && principal.stores.length === 1 ? principal.stores[0] : undefined);
    if (store !== undefined) return inPartitionOf(request, orderId, store, trace);

    // The partition is unknown. This replica's own partitions first (a store role's: those of its stores, so the
    // reads depend on the caller, not on the order), then Postgres for the store.
    const mine = scoped
      ? unique(principal.stores.map((each) => local.partitionOf(each))).filter((partition) => local.state(partition) === 'ready')
      : local.readyPartitions();
    for (const partition of mine) {
      const answer = await fromLocal(request, partition, orderId);
      if (answer) return answer;
    }
    let known: string | undefined;
    try {
      known = await storeInPostgres(orderId);
    } catch (error) {
      throw new Unavailable(
        `Postgres cannot say which store the order belongs to (${(error as Error).message}); name the store (?store=) to ask its replica instead`,
      );
    }
    if (known === undefined || !sees(request, known)) throw new NotFound();
    return inPartitionOf(request, orderId, known, trace, known);
  };

  return { lookup, close: () => agent.destroy() };
}

/**
 * The order as `principal` may see its address. A forwarded request keeps the phone whole: the replica that asked
 * masks it for its caller, and its actions need the number itself (a modify that keeps the phone shown masked).
 */
function shownTo(principal: Principal, order: OrderView, forwarded: boolean): OrderView {
  const address = order.deliveryAddress;
  if (!address) return order;
  if (!seesDeliveryAddress(principal, order.shipFromLocationId)) return { ...order, deliveryAddress: null };
  if (forwarded || seesWholePhone(principal) || address.phone === null) return order;
  return { ...order, deliveryAddress: { ...address, phone: maskPhone(address.phone) } };
}

export function orderLookupRoutes(options: LookupOptions | OrderLocator) {
  const locator = 'lookup' in options ? options : orderLocator(options);
  const lookup = locator.lookup;
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onClose', async () => locator.close());
    app.get(
      '/orders/:orderId',
      { schema, config: { forwardable: true } },
      async (request: FastifyRequest, reply: FastifyReply): Promise<Answer | FastifyReply> => {
        const { orderId } = request.params as { orderId: string };
        const { store } = request.query as { store?: string };
        const principal = request.principal;
        const notFound = () => reply.code(404).send({ error: { code: 'ORDER_NOT_FOUND', message: `no order ${JSON.stringify(orderId)}` } });
        if (!principal) return reply.code(401).send({ error: { code: 'TOKEN_MISSING', message: 'a bearer token is required' } });
        if (store && !canSeeStore(principal, store)) return notFound();
        const trace: LookupTrace = {};
        let answer: Answer;
        try {
          answer = await lookup(request, orderId, store, trace);
        } catch (error) {
          if (trace.fallback) reply.header(LOOKUP_FALLBACK_HEADER, trace.fallback);
          if (error instanceof NotFound) return notFound();
          if (error instanceof Unavailable)
            return reply.code(503).send({ error: { code: 'ORDER_SOURCE_UNAVAILABLE', message: error.message } });
          throw error;
        }
        if (trace.fallback) reply.header(LOOKUP_FALLBACK_HEADER, trace.fallback);
        // Another store's order is indistinguishable from no order at all (the locator drops it already; kept as a guard).
        if (!canSeeStore(principal, answer.order.shipFromLocationId)) return notFound();
        return { ...answer, order: shownTo(principal, answer.order, request.forwardId !== undefined) };
      },
    );
  };
}
