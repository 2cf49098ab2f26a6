/**
 * GET /orders/:orderId — where is order X. Answered, in order of preference, by:
 *
 *   local-state  this replica owns the order's partition and has restored it: the `orders` store itself;
 *   replica      another replica owns it: the request is forwarded there and its answer relayed, authenticated
 *                both ways with the replicas' shared secret, never with the caller's token (forwarding.ts);
 *   postgres     the owner is restoring, unreachable or unknown: the analysts' tables (as fresh as the sink).
 *
 * The order's partition follows from its store (ShipFromLocationID). The caller may say it (`?store=`);
 * otherwise this replica's own stores are looked in first, then Postgres is asked which store the order
 * belongs to, and as a last resort every other replica is asked. An order of a store the caller may not see
 * is answered 404 like an order that does not exist. Every source gives the same view (order-view.ts); what the
 * caller may see of the delivery address is decided here, whoever answered: nothing for a role that neither
 * delivers nor changes the order, the phone masked for store roles (phone-mask.ts), whole for admins.
 */
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SqlDatabase } from '../postgres/sql.js';
import { errorResponseSchema } from './errors.js';
import { FORWARD_PROOF_HEADER, FORWARDED_HEADER, type ReplicaForwarding } from './forwarding.js';
import type { LocalOrders } from './local-orders.js';
import { type OrderView, orderViewSchema, viewFromPostgres, viewOfState } from './order-view.js';
import type { PartitionOwner, PartitionOwners } from './partition-owners.js';
import { maskPhone } from './phone-mask.js';
import { canSeeStore, type Principal, seesDeliveryAddress, seesWholePhone } from './principal.js';

/** Marks a forwarded request (its value the inter-replica token): the receiver answers from its own state only and never forwards again. */
export { FORWARDED_HEADER };

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

export interface Answer {
  source: Source;
  answeredBy: string;
  order: OrderView;
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
    'Served from the state of the replica that owns the order, forwarded there when that is another replica, or from PostgreSQL when the owner cannot answer; `source` says which.',
  tags: ['orders'],
  params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1, maxLength: 50 } } },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      store: { type: 'string', minLength: 1, maxLength: 50, description: 'the order’s ShipFromLocationID, when known: saves a lookup' },
    },
  },
  response: { 200: answerSchema, 404: errorResponseSchema, 503: errorResponseSchema },
} as const;

export interface OrderLocator {
  /** The order, from the best source; throws NotFound or Unavailable. Store scope is the caller's to check. */
  lookup(request: FastifyRequest, orderId: string, store: string | undefined): Promise<Answer>;
  close(): void;
}

/** Finds an order wherever it is answered best (see the top of this file); the lookup route and the actions share it. */
export function orderLocator(options: LookupOptions): OrderLocator {
  const { local, db, owners, forwarding } = options;
  const timeoutMs = options.forwardTimeoutMs ?? 1_000;
  // Forwards reuse their connections to the other replicas. node:http rather than fetch: a forwarded lookup
  // costs this replica ~0.2 ms less CPU (bench/query-service.md).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

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

  const fromPostgres = async (orderId: string): Promise<Answer> => {
    const order = await viewFromPostgres(db, orderId).catch((error: unknown) => {
      throw new Unavailable(`neither the owning replica nor Postgres can answer (${(error as Error).message})`);
    });
    if (!order) throw new NotFound();
    return { source: 'postgres', answeredBy: 'postgres', order };
  };

  const fromLocal = async (partition: number, orderId: string): Promise<Answer | undefined> => {
    const state = await local.get(partition, orderId);
    return state ? { source: 'local-state', answeredBy: local.instance, order: viewOfState(state) } : undefined;
  };

  /** The owner's answer; undefined when it cannot give one (down, slow, restoring). */
  const forward = async (
    owner: PartitionOwner,
    request: FastifyRequest,
    orderId: string,
    store: string | undefined,
  ): Promise<Answer | 'not-found' | undefined> => {
    if (!owner.endpoint || !forwarding || !request.principal) return undefined;
    const path = `/api/v1/orders/${encodeURIComponent(orderId)}${store ? `?store=${encodeURIComponent(store)}` : ''}`;
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

  const lookup = async (request: FastifyRequest, orderId: string, store: string | undefined): Promise<Answer> => {
    // A forwarded request (its inter-replica token verified) is answered from this replica's state only, or not at all.
    if (request.forwardId !== undefined) {
      const partitions = store ? [local.partitionOf(store)] : local.readyPartitions();
      for (const partition of partitions) {
        if (local.state(partition) !== 'ready') continue;
        const answer = await fromLocal(partition, orderId);
        if (answer) return answer;
      }
      if (store && local.state(local.partitionOf(store)) !== 'ready')
        throw new Unavailable('this replica is restoring the order’s partition');
      throw new NotFound();
    }
    if (!store) {
      for (const partition of local.readyPartitions()) {
        const answer = await fromLocal(partition, orderId);
        if (answer) return answer;
      }
      // Postgres down or behind: the replicas are asked instead.
      const known = await db
        .query<{ ship_from_location_id: string }>('SELECT ship_from_location_id FROM orders WHERE order_id = $1', [orderId])
        .catch(() => undefined);
      store = known?.rows[0]?.ship_from_location_id;
      if (!store) return askEveryone(request, orderId);
    }
    const partition = local.partitionOf(store);
    const here = local.state(partition);
    if (here === 'ready') {
      const answer = await fromLocal(partition, orderId);
      if (!answer) throw new NotFound();
      return answer;
    }
    const owner = here === 'elsewhere' ? await owners?.ownerOf(partition) : undefined;
    if (owner && owner.instance !== local.instance) {
      const answer = await forward(owner, request, orderId, store);
      if (answer === 'not-found') throw new NotFound();
      if (answer) return answer;
    }
    return fromPostgres(orderId);
  };

  /** The store is unknown even to Postgres (the sink may lag): every other replica looks in its own state. */
  const askEveryone = async (request: FastifyRequest, orderId: string): Promise<Answer> => {
    const others = (await owners?.all())?.filter((owner) => owner.instance !== local.instance) ?? [];
    const answers = await Promise.all(others.map((owner) => forward(owner, request, orderId, undefined)));
    const found = answers.find((answer): answer is Answer => typeof answer === 'object');
    if (found) return found;
    throw new NotFound();
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
    app.get('/orders/:orderId', { schema, config: { forwardable: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const { orderId } = request.params as { orderId: string };
      const { store } = request.query as { store?: string };
      const principal = request.principal;
      const notFound = () => reply.code(404).send({ error: { code: 'ORDER_NOT_FOUND', message: `no order ${JSON.stringify(orderId)}` } });
      if (!principal) return reply.code(401).send({ error: { code: 'TOKEN_MISSING', message: 'a bearer token is required' } });
      if (store && !canSeeStore(principal, store)) return notFound();
      try {
        const answer = await lookup(request, orderId, store);
        // Another store's order is indistinguishable from no order at all.
        if (!canSeeStore(principal, answer.order.shipFromLocationId)) return notFound();
        return { ...answer, order: shownTo(principal, answer.order, request.forwardId !== undefined) };
      } catch (error) {
        if (error instanceof NotFound) return notFound();
        if (error instanceof Unavailable)
          return reply.code(503).send({ error: { code: 'ORDER_SOURCE_UNAVAILABLE', message: error.message } });
        throw error;
      }
    });
  };
}
