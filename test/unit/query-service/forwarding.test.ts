/**
 * Lookups forwarded between replicas (query-service/forwarding.ts): two query services on loopback, A not owning
 * the order and B owning it, and a fake group member posing as a replica. A's lookup is answered by B through A;
 * the caller's bearer token never leaves A; what reaches the fake member is good nowhere else and its answer is
 * not relayed; B refuses a forwarded request without, or with a wrong, inter-replica token, and still applies
 * the caller's store scope from the token's claims.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { openOrder, type OrderState } from '../../../processors/order-state.js';
import type { SqlDatabase } from '../../../postgres/sql.js';
import { buildQueryService } from '../../../query-service/app.js';
import { devToken } from '../../../query-service/auth.js';
import {
  checkForwardSecret,
  FORWARD_PROOF_HEADER,
  FORWARDED_HEADER,
  replicaForwarding,
  type ReplicaForwarding,
} from '../../../query-service/forwarding.js';
import type { LocalOrders } from '../../../query-service/local-orders.js';
import { orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { PartitionOwners } from '../../../query-service/partition-owners.js';
import type { Principal } from '../../../query-service/principal.js';
import type { AdminClient } from '../../../topology/kafka/client.js';
import { orderCreate } from '../avro/examples.js';
import { hs256, SECRET } from './helpers.js';

const FORWARD_SECRET = 'forward-secret-shared-by-the-replicas-0123456789';
const OTHER_SECRET = 'another-forward-secret-of-a-foreign-cluster-0123';
const TOPIC = 'order.create.v1';
const state: OrderState = openOrder({ ...orderCreate, ShipFromLocationID: 'QC0042' }, 'hash', '2026-11-21T09:15:01Z').state;
const ORDER = state.Order.OrderID;
const coordinator = devToken(hs256, { sub: 'coordinator', roles: ['regional_coordinator'] });
const manager: Principal = { subject: 'm', roles: ['store_manager'], stores: ['QC0042'], tokenId: 'jti:m' };

/** Postgres is down: a lookup that is not answered by a replica is a 503, never a made-up order. */
const noPostgres = { query: () => Promise.reject(new Error('postgres is down')) } as unknown as SqlDatabase;

const local = (instance: string, owns: boolean): LocalOrders => ({
  instance,
  partitionOf: () => 0,
  state: () => (owns ? 'ready' : 'elsewhere'),
  readyPartitions: () => (owns ? [0] : []),
  get: async (_partition, orderId) => (owns && orderId === state.Order.OrderID ? state : undefined),
});

/** The group as the coordinator describes it: partition 0 owned by whoever `owner()` names. */
const groupOf = (owner: () => { instance: string; endpoint: string }): AdminClient =>
  ({
    groupMembers: async () => [
      { memberId: 'm-1', metadata: Buffer.from(JSON.stringify(owner())), partitions: [{ topic: TOPIC, partition: 0 }] },
    ],
  }) as unknown as AdminClient;

async function replica(
  t: Test,
  options: {
    instance: string;
    owns: boolean;
    forwarding?: (endpoint: string) => ReplicaForwarding;
    owners?: PartitionOwners;
    /** Collects the headers of every request this replica receives. */
    seen?: IncomingHttpHeaders[];
  },
) {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const endpoint = `127.0.0.1:${port}`;
  const forwarding = options.forwarding?.(endpoint);
  const app = buildQueryService({
    auth: hs256,
    rateLimit: { perSecond: 1000, burst: 1000 },
    readiness: () => ({ ready: true }),
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    routes: [
      orderLookupRoutes({
        local: local(options.instance, options.owns),
        db: noPostgres,
        ...(options.owners ? { owners: options.owners } : {}),
        ...(forwarding ? { forwarding } : {}),
      }),
    ],
    ...(forwarding ? { forwarding } : {}),
  });
  const seen = options.seen;
  if (seen) app.addHook('onRequest', async (request) => void seen.push(request.headers));
  await app.listen({ host: '127.0.0.1', port });
  t.teardown(() => app.close());
  return { app, endpoint, forwarding };
}

/** An HTTP server posing as a group member: records what it is sent, answers with a forged order. */
async function fakeMember(t: Test) {
  const received: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((request, response) => {
    received.push({ url: request.url ?? '', headers: request.headers });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        source: 'local-state',
        answeredBy: 'forged',
        order: { orderId: ORDER, shipFromLocationId: 'QC0042', status: 9000, lines: [], history: [] },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const shared = (endpoint: string) => replicaForwarding({ secret: FORWARD_SECRET, endpoint });

t.test('a lookup forwarded to the owner is answered through the replica that was asked; the caller’s token stays there', async (t) => {
  let owner = { instance: 'b', endpoint: '' };
  // What B is sent, seen from inside B.
  const seenByB: IncomingHttpHeaders[] = [];
  const b = await replica(t, { instance: 'b', owns: true, forwarding: shared, seen: seenByB });
  owner = { instance: 'b', endpoint: b.endpoint };
  const a = await replica(t, {
    instance: 'a',
    owns: false,
    forwarding: shared,
    owners: new PartitionOwners(
      groupOf(() => owner),
      'omnia',
      TOPIC,
      0,
    ),
  });

  const response = await a.app.inject({ url: `/api/v1/orders/${ORDER}?store=QC0042`, headers: { authorization: `Bearer ${coordinator}` } });
  t.equal(response.statusCode, 200, response.body);
  t.match(response.json(), { source: 'replica', answeredBy: 'b', order: { orderId: ORDER, shipFromLocationId: 'QC0042' } });
  t.equal(seenByB.length, 1, 'B was asked once');
  t.notOk(seenByB[0]!.authorization, 'B received no Authorization header');
  t.notOk(JSON.stringify(seenByB[0]).includes(coordinator), 'nor the caller’s token anywhere else');
  t.type(seenByB[0]![FORWARDED_HEADER], 'string', 'but an inter-replica token');

  // Without the store hint Postgres says which store; down here, so 503: the replicas are never all asked.
  const noHint = await a.app.inject({ url: `/api/v1/orders/${ORDER}`, headers: { authorization: `Bearer ${coordinator}` } });
  t.equal(noHint.statusCode, 503, 'without the store hint and without Postgres: unavailable');
  t.match(noHint.json(), { error: { code: 'ORDER_SOURCE_UNAVAILABLE', message: /name the store/ } });
  t.equal(seenByB.length, 1, 'and B was not asked');

  // The owner applies the caller's store scope from the claims: a manager of another store gets a 404 from B.
  const otherManager = devToken(hs256, { sub: 'other', roles: ['store_manager'], stores: ['QC0001'] });
  const scoped = await a.app.inject({ url: `/api/v1/orders/${ORDER}`, headers: { authorization: `Bearer ${otherManager}` } });
  t.equal(scoped.statusCode, 404);
  t.equal(scoped.json().error.code, 'ORDER_NOT_FOUND');
});

t.test(
  'a group member that is not a replica gets no user token, nothing it can use elsewhere, and its answer is not relayed',
  async (t) => {
    const fake = await fakeMember(t);
    const b = await replica(t, { instance: 'b', owns: true, forwarding: shared });
    const a = await replica(t, {
      instance: 'a',
      owns: false,
      forwarding: shared,
      owners: new PartitionOwners(
        groupOf(() => ({ instance: 'b', endpoint: fake.endpoint })),
        'omnia',
        TOPIC,
        0,
      ),
    });
    const response = await a.app.inject({
      url: `/api/v1/orders/${ORDER}?store=QC0042`,
      headers: { authorization: `Bearer ${coordinator}` },
    });
    t.equal(fake.received.length, 1, 'the fake member was asked');
    const sent = fake.received[0]!;
    t.notOk(sent.headers.authorization, 'without an Authorization header');
    t.notOk(JSON.stringify(sent.headers).includes(coordinator), 'the caller’s token is nowhere in what it got');
    t.equal(response.statusCode, 503, 'its unproven answer is not relayed: Postgres (down here) would have been asked instead');
    t.notOk(response.body.includes('forged'));

    // What it harvested: refused at the real owner (addressed to the fake), and as a bearer token anywhere.
    const harvested = String(sent.headers[FORWARDED_HEADER]);
    const replayed = await b.app.inject({ url: sent.url, headers: { [FORWARDED_HEADER]: harvested } });
    t.equal(replayed.statusCode, 401);
    t.match(replayed.json(), { error: { code: 'FORWARD_TOKEN_INVALID', message: /addressed to another replica/ } });
    const asBearer = await b.app.inject({ url: sent.url, headers: { authorization: `Bearer ${harvested}` } });
    t.equal(asBearer.statusCode, 401, 'nor does it pass as a user’s token');
    t.equal(asBearer.json().error.code, 'TOKEN_SIGNATURE_INVALID');
  },
);

t.test('the owner refuses a forwarded request without, or with a wrong, inter-replica token', async (t) => {
  const b = await replica(t, { instance: 'b', owns: true, forwarding: shared });
  const url = `/api/v1/orders/${ORDER}?store=QC0042`;
  const refused = async (headers: Record<string, string>, requestUrl = url) => {
    const response = await b.app.inject({ url: requestUrl, headers });
    return {
      status: response.statusCode,
      code: (response.json() as { error?: { code: string } }).error?.code,
      proof: response.headers[FORWARD_PROOF_HEADER],
    };
  };
  const good = await shared(b.endpoint).sign(manager, b.endpoint, url);
  const answered = await b.app.inject({ url, headers: { [FORWARDED_HEADER]: good.token } });
  t.equal(answered.statusCode, 200, 'a token of ours, for B, for this URL: answered');
  t.equal(answered.json().source, 'local-state');
  t.ok(shared(b.endpoint).proves(good.id, 200, answered.body, answered.headers[FORWARD_PROOF_HEADER] as string), 'with the proof');
  t.notOk(
    shared(b.endpoint).proves(good.id, 200, answered.body.replace('QC0042', 'QC0043'), answered.headers[FORWARD_PROOF_HEADER] as string),
  );

  t.same(
    await refused({ [FORWARDED_HEADER]: good.token }),
    { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined },
    'used once only',
  );
  t.same(await refused({ [FORWARDED_HEADER]: '1' }), { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined }, 'the old marker');
  t.same(
    await refused({ [FORWARDED_HEADER]: '1', authorization: `Bearer ${coordinator}` }),
    { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined },
    'the old marker with a user’s token',
  );
  const foreign = await replicaForwarding({ secret: OTHER_SECRET, endpoint: b.endpoint }).sign(manager, b.endpoint, url);
  t.same(
    await refused({ [FORWARDED_HEADER]: foreign.token }),
    { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined },
    'another secret',
  );
  const elsewhere = await shared(b.endpoint).sign(manager, '127.0.0.1:1', url);
  t.same(
    await refused({ [FORWARDED_HEADER]: elsewhere.token }),
    { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined },
    'another replica’s',
  );
  const otherUrl = await shared(b.endpoint).sign(manager, b.endpoint, `/api/v1/orders/O-OTHER?store=QC0042`);
  t.same(
    await refused({ [FORWARDED_HEADER]: otherUrl.token }),
    { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined },
    'another URL',
  );
  const old = await shared(b.endpoint).sign(manager, b.endpoint, url, Date.now() - 120_000);
  t.same(await refused({ [FORWARDED_HEADER]: old.token }), { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined }, 'expired');
  const userToken = devToken({ ...hs256, secret: FORWARD_SECRET }, { sub: 'x', roles: ['admin'] });
  t.same(await refused({ [FORWARDED_HEADER]: userToken }), { status: 401, code: 'FORWARD_TOKEN_INVALID', proof: undefined }, 'a plain JWT');
  const search = await shared(b.endpoint).sign(manager, b.endpoint, '/api/v1/search');
  t.same(
    await refused({ [FORWARDED_HEADER]: search.token }, '/api/v1/search'),
    { status: 401, code: 'FORWARD_NOT_ACCEPTED', proof: undefined },
    'only the lookup takes forwarded requests',
  );

  // A replica without the secret accepts no forwarded request at all.
  const lone = await replica(t, { instance: 'c', owns: true });
  const toLone = await shared(lone.endpoint).sign(manager, lone.endpoint, url);
  const response = await lone.app.inject({ url, headers: { [FORWARDED_HEADER]: toLone.token } });
  t.equal(response.statusCode, 401);
  t.equal(response.json().error.code, 'FORWARD_NOT_ACCEPTED');

  // The caller's store scope, from the claims: a manager of another store, forwarded validly, gets 404.
  const stranger = await shared(b.endpoint).sign({ ...manager, stores: ['QC0001'] }, b.endpoint, url);
  const scoped = await b.app.inject({ url, headers: { [FORWARDED_HEADER]: stranger.token } });
  t.equal(scoped.statusCode, 404);
  t.ok(scoped.headers[FORWARD_PROOF_HEADER], 'a proven 404 (the forwarding replica relays "not found")');
});

t.test('the secret is required with an endpoint, long enough, and not the JWT secret', async (t) => {
  t.throws(() => checkForwardSecret('pod-0.omnia:8080', undefined, SECRET), /OMNIA_ENDPOINT is set .*set OMNIA_FORWARD_SECRET/);
  t.throws(() => checkForwardSecret(undefined, 'short', undefined), /at least 32 bytes/);
  t.throws(() => checkForwardSecret('pod-0.omnia:8080', SECRET, SECRET), /must differ from OMNIA_JWT_SECRET/);
  t.doesNotThrow(() => checkForwardSecret(undefined, undefined, SECRET), 'no endpoint, no secret: nothing is forwarded here');
  t.doesNotThrow(() => checkForwardSecret('pod-0.omnia:8080', FORWARD_SECRET, SECRET));
  // Without a secret, a replica forwards nothing: another replica's order comes from Postgres.
  const a = await replica(t, {
    instance: 'a',
    owns: false,
    owners: new PartitionOwners(
      groupOf(() => ({ instance: 'b', endpoint: '127.0.0.1:9' })),
      'omnia',
      TOPIC,
      0,
    ),
  });
  const response = await a.app.inject({ url: `/api/v1/orders/${ORDER}?store=QC0042`, headers: { authorization: `Bearer ${coordinator}` } });
  t.equal(response.statusCode, 503, 'Postgres asked (down here), no replica');
});
