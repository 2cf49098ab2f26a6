/**
 * How GET /orders/:id routes (query-service/order-lookup-routes.ts), with fakes for the stores, Postgres and the
 * consumer group: when the partition owners cannot be found (the admin call fails or hangs) Postgres answers and
 * the fallback header says why, never a 500; a lookup goes at most once to one replica, the owner of a partition
 * the request names (by `?store=` or a one-store token), and an order of unknown store is never sent to every
 * replica; another store's order and no order at all get the same status, body and headers, from the same reads.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { openOrder, type OrderState } from '../../../processors/order-state.js';
import type { QueryResult, SqlDatabase } from '../../../postgres/sql.js';
import { buildQueryService } from '../../../query-service/app.js';
import { devToken } from '../../../query-service/auth.js';
import { replicaForwarding } from '../../../query-service/forwarding.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { LOOKUP_FALLBACK_HEADER, orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { OwnersUnknown, PartitionOwners } from '../../../query-service/partition-owners.js';
import type { AdminClient, GroupMember } from '../../../topology/kafka/client.js';
import { orderCreate } from '../avro/examples.js';
import { bearer, hs256 } from './helpers.js';

const FORWARD_SECRET = 'forward-secret-shared-by-the-replicas-0123456789';
const TOPIC = 'order.create.v1';
/** Two partitions; each store's is fixed here rather than hashed, so the cases below say which is which. */
const PARTITION: Record<string, number> = { QC0042: 0, QC0099: 0, QC0043: 1, QC0098: 1, QC0001: 1 };

const orderOf = (orderId: string, store: string): OrderState =>
  openOrder({ ...orderCreate, OrderID: orderId, ShipFromLocationID: store }, 'hash', '2026-11-21T09:15:01Z').state;

const tokens = {
  coordinator: devToken(hs256, { sub: 'coord', roles: ['regional_coordinator'] }),
  of42: devToken(hs256, { sub: 'm42', roles: ['store_manager'], stores: ['QC0042'] }),
  of43: devToken(hs256, { sub: 'm43', roles: ['store_manager'], stores: ['QC0043'] }),
  ofBoth: devToken(hs256, { sub: 'both', roles: ['store_staff'], stores: ['QC0042', 'QC0043'] }),
};

/** A replica's `orders` stores: the partitions it has restored, what they hold, and every read, in order. */
function storesOf(instance: string, ready: number[], held: OrderState[] = []) {
  const reads: string[] = [];
  let hits = 0;
  const local: LocalOrders = {
    instance,
    partitionOf: (store) => PARTITION[store] ?? 1,
    state: (partition) => (ready.includes(partition) ? 'ready' : 'elsewhere'),
    readyPartitions: () => ready,
    get: async (partition, orderId) => {
      reads.push(`${partition}/${orderId}`);
      const found = held.find((state) => state.Order.OrderID === orderId && PARTITION[state.Order.ShipFromLocationID] === partition);
      if (found) hits += 1;
      return found;
    },
  };
  return { local, reads, hits: () => hits };
}

/** An `orders` row as the sink writes it, with what viewFromPostgres reads. */
const rowOf = (orderId: string, store: string) => ({
  order_id: orderId,
  ship_from_location_id: store,
  customer_id: 'C-1',
  cust_ref: null,
  t1_membership_id: null,
  t1_number: null,
  status: 1000,
  payment_method: 'COD',
  payment_status: null,
  release_id: null,
  release_due_at: null,
  created_at: new Date('2026-11-21T09:15:01Z'),
  updated_at: new Date('2026-11-21T09:15:01Z'),
  order_total: null,
  carrier: null,
  tracking_id: null,
  estimated_delivery: null,
  delivered_at: null,
  collected_amount: null,
  collected_at: null,
  delivery_postal_code: null,
});

/** Postgres holding `rows` (or down): every statement it is sent, in order. */
function postgresOf(rows: Array<ReturnType<typeof rowOf>>, down = false) {
  const statements: string[] = [];
  const db = {
    query: async (text: string, params: readonly unknown[] = []): Promise<QueryResult<unknown>> => {
      statements.push(`${text.replace(/\s+/g, ' ')} ${JSON.stringify(params)}`);
      if (down) throw new Error('connection refused');
      const row = rows.find((each) => each.order_id === params[0]);
      const found =
        /FROM orders WHERE/.test(text) && row ? [/^SELECT \*/.test(text) ? row : { ship_from_location_id: row.ship_from_location_id }] : [];
      return { rows: found, rowCount: found.length };
    },
  } as unknown as SqlDatabase;
  return { db, statements };
}

/** The consumer group: `owners` maps a partition to its member, or the admin call fails or hangs. */
function groupOf(describe: () => Promise<Array<{ partition: number; instance: string; endpoint: string }>>) {
  let calls = 0;
  const admin = {
    groupMembers: async (): Promise<GroupMember[]> => {
      calls += 1;
      return (await describe()).map(({ partition, instance, endpoint }) => ({
        memberId: instance,
        metadata: Buffer.from(JSON.stringify({ instance, endpoint })),
        partitions: [{ topic: TOPIC, partition }],
      }));
    },
  } as unknown as AdminClient;
  return { admin, calls: () => calls };
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A query service with the lookup route, listening on loopback (so that others can forward to it). */
async function replica(t: Test, options: { local: LocalOrders; db: SqlDatabase; owners?: PartitionOwners; forwards?: boolean }) {
  const port = await freePort();
  const endpoint = `127.0.0.1:${port}`;
  const forwarding = options.forwards === false ? undefined : replicaForwarding({ secret: FORWARD_SECRET, endpoint });
  const app = buildQueryService({
    auth: hs256,
    // One window for the whole test: the remaining count follows the requests made, never the clock.
    rateLimit: { perSecond: 1, burst: 1000 },
    readiness: () => ({ ready: true }),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    routes: [
      orderLookupRoutes({
        local: options.local,
        db: options.db,
        ...(options.owners ? { owners: options.owners } : {}),
        ...(forwarding ? { forwarding } : {}),
      }),
    ],
    ...(forwarding ? { forwarding } : {}),
  });
  await app.listen({ host: '127.0.0.1', port });
  t.teardown(() => app.close());
  return { app, endpoint };
}

/** An HTTP server posing as a group member: counts what it is asked (its answers carry no proof, so are not relayed). */
async function member(t: Test) {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? '');
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"ORDER_NOT_FOUND","message":"no"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

t.test('the partition owners cannot be found: Postgres answers and says why, never a 500', async (t) => {
  const visible = rowOf('O-PG-1', 'QC0042');
  const postgres = postgresOf([visible]);
  let failing = true;
  const group = groupOf(async () => {
    if (failing) throw new Error('broker not available');
    return [{ partition: 0, instance: 'b', endpoint: '127.0.0.1:9' }];
  });
  // The failure is remembered for a minute: one admin call, not one per lookup.
  const owners = new PartitionOwners(group.admin, 'omnia', TOPIC, 60_000);
  const a = await replica(t, { local: storesOf('a', []).local, db: postgres.db, owners });
  const ask = (url: string, token = tokens.coordinator) => a.app.inject({ url, headers: bearer(token) });

  const answered = await ask('/api/v1/orders/O-PG-1?store=QC0042');
  t.equal(answered.statusCode, 200, answered.body);
  t.match(answered.json(), { source: 'postgres', answeredBy: 'postgres', order: { orderId: 'O-PG-1', shipFromLocationId: 'QC0042' } });
  t.equal(answered.headers[LOOKUP_FALLBACK_HEADER], 'owners-unknown', 'the header says why Postgres answered');

  const again = await ask('/api/v1/orders/O-PG-1', tokens.of42);
  t.equal(again.statusCode, 200, 'a store manager without ?store= too (its one store names the partition)');
  t.equal(again.headers[LOOKUP_FALLBACK_HEADER], 'owners-unknown');
  const missing = await ask('/api/v1/orders/O-NONE?store=QC0042');
  t.equal(missing.statusCode, 404, 'an order Postgres does not have: 404, not 500');
  t.equal(missing.headers[LOOKUP_FALLBACK_HEADER], 'owners-unknown');
  t.equal(group.calls(), 1, 'the group was asked once: the failure is remembered');
  t.type(await owners.ownerOf(0).catch((error: unknown) => error), OwnersUnknown, 'and ownerOf says so while it is');

  // Postgres down as well: 503 ORDER_SOURCE_UNAVAILABLE, still not a 500.
  const noDb = await replica(t, { local: storesOf('c', []).local, db: postgresOf([], true).db, owners });
  const neither = await noDb.app.inject({ url: '/api/v1/orders/O-PG-1?store=QC0042', headers: bearer(tokens.coordinator) });
  t.equal(neither.statusCode, 503);
  t.equal(neither.json().error.code, 'ORDER_SOURCE_UNAVAILABLE');
  t.equal(neither.headers[LOOKUP_FALLBACK_HEADER], 'owners-unknown');

  // Once the group answers again (asked again at once when nothing is remembered), the owner is asked.
  failing = false;
  const recovered = new PartitionOwners(group.admin, 'omnia', TOPIC, 0);
  t.same(await recovered.ownerOf(0), { instance: 'b', endpoint: '127.0.0.1:9' });
});

t.test('an admin call that hangs is given up after its timeout, and Postgres answers', async (t) => {
  const hanging = groupOf(() => new Promise(() => undefined));
  const owners = new PartitionOwners(hanging.admin, 'omnia', TOPIC, 0, 20);
  await t.rejects(owners.ownerOf(0), {
    name: 'OwnersUnknown',
    message: /could not be described \(no answer within 20 ms\).*KAFKA_BROKERS/,
  });
  const postgres = postgresOf([rowOf('O-PG-2', 'QC0042')]);
  const a = await replica(t, { local: storesOf('a', []).local, db: postgres.db, owners });
  const answered = await a.app.inject({ url: '/api/v1/orders/O-PG-2?store=QC0042', headers: bearer(tokens.coordinator) });
  t.equal(answered.statusCode, 200, answered.body);
  t.equal(answered.json().source, 'postgres');
  t.equal(answered.headers[LOOKUP_FALLBACK_HEADER], 'owners-unknown');
});

t.test('a lookup goes once, to the owner of a partition the request names; an order of unknown store to no replica', async (t) => {
  const owner0 = await member(t);
  const owner1 = await member(t);
  const group = groupOf(async () => [
    { partition: 0, instance: 'b', endpoint: owner0.endpoint },
    { partition: 1, instance: 'c', endpoint: owner1.endpoint },
  ]);
  const postgres = postgresOf([rowOf('O-OF-1', 'QC0001')]);
  const a = await replica(t, {
    local: storesOf('a', []).local,
    db: postgres.db,
    owners: new PartitionOwners(group.admin, 'omnia', TOPIC, 0),
  });
  const ask = async (url: string, token = tokens.coordinator) => {
    owner0.asked.length = 0;
    owner1.asked.length = 0;
    postgres.statements.length = 0;
    const response = await a.app.inject({ url, headers: bearer(token) });
    return {
      status: response.statusCode,
      fallback: response.headers[LOOKUP_FALLBACK_HEADER],
      to0: [...owner0.asked],
      to1: [...owner1.asked],
      sql: postgres.statements.length,
    };
  };

  t.same(
    await ask('/api/v1/orders/O-UNKNOWN'),
    { status: 404, fallback: undefined, to0: [], to1: [], sql: 1 },
    'unknown to Postgres, no store named: not found after one query, no replica asked',
  );
  t.same(
    await ask('/api/v1/orders/O-OF-1'),
    { status: 200, fallback: 'owner-unavailable', to0: [], to1: ['/api/v1/orders/O-OF-1?store=QC0001'], sql: 6 },
    'Postgres names its store: its owner alone is asked (unproven here, so Postgres answers: the store once, then the view)',
  );
  t.same(
    await ask('/api/v1/orders/O-UNKNOWN?store=QC0042'),
    { status: 404, fallback: 'owner-unavailable', to0: ['/api/v1/orders/O-UNKNOWN?store=QC0042'], to1: [], sql: 1 },
    '?store= names the partition: its owner alone',
  );
  t.same(
    await ask('/api/v1/orders/O-UNKNOWN', tokens.of43),
    { status: 404, fallback: 'owner-unavailable', to0: [], to1: ['/api/v1/orders/O-UNKNOWN?store=QC0043'], sql: 1 },
    'a one-store token names the partition too',
  );
  t.same(
    await ask('/api/v1/orders/O-UNKNOWN', tokens.ofBoth),
    { status: 404, fallback: undefined, to0: [], to1: [], sql: 1 },
    'a token of two stores does not: Postgres is asked, and no replica',
  );

  const down = postgresOf([], true);
  const b = await replica(t, { local: storesOf('b', []).local, db: down.db, owners: new PartitionOwners(group.admin, 'omnia', TOPIC, 0) });
  owner0.asked.length = 0;
  owner1.asked.length = 0;
  const unavailable = await b.app.inject({ url: '/api/v1/orders/O-UNKNOWN', headers: bearer(tokens.coordinator) });
  t.equal(unavailable.statusCode, 503, 'Postgres down and no store named: unavailable, rather than asking every replica');
  t.match(unavailable.json(), { error: { code: 'ORDER_SOURCE_UNAVAILABLE', message: /name the store \(\?store=\)/ } });
  t.same([owner0.asked, owner1.asked], [[], []]);
});

/**
 * One world: order O-X of store QC0099 (partition 0, owned by replica b) and O-Y of QC0098 (partition 1, owned by
 * replica a) exist, or neither does. Replica c cannot describe the group. The same requests are made of both
 * worlds, by managers who may not see those stores; what they get and which reads they cause are returned.
 */
async function world(t: Test, held: boolean) {
  const x = orderOf('O-X', 'QC0099');
  const y = orderOf('O-Y', 'QC0098');
  const postgres = postgresOf(held ? [rowOf('O-X', 'QC0099'), rowOf('O-Y', 'QC0098')] : []);
  const storesOfB = storesOf('b', [0], held ? [x] : []);
  const b = await replica(t, { local: storesOfB.local, db: postgres.db });
  const group = groupOf(async () => [{ partition: 0, instance: 'b', endpoint: b.endpoint }]);
  const storesOfA = storesOf('a', [1], held ? [y] : []);
  const a = await replica(t, { local: storesOfA.local, db: postgres.db, owners: new PartitionOwners(group.admin, 'omnia', TOPIC, 0) });
  const failing = groupOf(() => Promise.reject(new Error('broker not available')));
  const storesOfC = storesOf('c', []);
  const c = await replica(t, { local: storesOfC.local, db: postgres.db, owners: new PartitionOwners(failing.admin, 'omnia', TOPIC, 0) });

  const script: Array<[typeof a, string, string]> = [
    [a, '/api/v1/orders/O-Y?store=QC0043', tokens.of43], // a's own partition: a local read
    [a, '/api/v1/orders/O-Y', tokens.of43], // the same, the partition named by the token
    [a, '/api/v1/orders/O-X?store=QC0042', tokens.of42], // forwarded to b
    [a, '/api/v1/orders/O-X', tokens.of42],
    [a, '/api/v1/orders/O-X', tokens.ofBoth], // partition unknown: a's own partition, then Postgres
    [a, '/api/v1/orders/O-Y', tokens.ofBoth],
    [c, '/api/v1/orders/O-X?store=QC0042', tokens.of42], // the owners unknown: Postgres
    [c, '/api/v1/orders/O-X', tokens.ofBoth],
  ];
  const answers = [];
  for (const [index, [replica, url, token]] of script.entries()) {
    const response = await replica.app.inject({ url, headers: { ...bearer(token), 'x-request-id': `step-${index}` } });
    // The date, and the rate limit's seconds to its window's end, follow the clock and nothing else.
    const { date: _date, 'ratelimit-reset': _reset, ...headers } = response.headers;
    answers.push({ url, status: response.statusCode, headers, body: response.body });
    if (index === 0) t.ok('ratelimit-remaining' in headers && 'x-request-id' in headers, 'the headers compared include the varying kinds');
  }
  return {
    answers,
    reads: { a: storesOfA.reads, b: storesOfB.reads, c: storesOfC.reads, postgres: postgres.statements },
    calls: { groupOfA: group.calls(), groupOfC: failing.calls() },
    hits: storesOfA.hits() + storesOfB.hits(),
    sees: async () => (await a.app.inject({ url: '/api/v1/orders/O-X?store=QC0099', headers: bearer(tokens.coordinator) })).statusCode,
  };
}

t.test('another store’s order and no order: the same status, body and headers, from the same reads', async (t) => {
  const exists = await world(t, true);
  const none = await world(t, false);
  t.ok(
    exists.answers.every((answer) => answer.status === 404),
    'every request of the script is answered 404 where the orders exist',
  );
  t.same(exists.answers, none.answers, 'the same answers, header for header (the date aside)');
  t.same(exists.reads, none.reads, 'the same reads of the stores and the same statements to Postgres, in the same order');
  t.same(exists.calls, none.calls, 'the same questions to the consumer group');
  t.ok(
    exists.answers.some((answer) => answer.headers[LOOKUP_FALLBACK_HEADER] === 'owners-unknown'),
    'the Postgres fallback is among the paths compared',
  );

  // The comparison is not vacuous: the other stores' orders were there, read and dropped, and Postgres was asked
  // only for their store, never for their lines.
  t.equal(exists.hits, 5, 'O-Y read three times on a, O-X twice on b, and each dropped');
  t.notOk(
    exists.reads.postgres.some((statement) => statement.startsWith('SELECT * FROM orders')),
    'no order view was read from Postgres',
  );
  t.equal(await exists.sees(), 200, 'a coordinator does see O-X');
  t.equal(await none.sees(), 404);
});
