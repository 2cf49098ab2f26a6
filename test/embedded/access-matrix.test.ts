/**
 * The access matrix (query-service/README.md, *Access*): every route of the query service, called with no token and
 * as every role with a token for store A (own), for store B (other) and without a `stores` claim (none), on the
 * embedded default holding real orders of both stores.
 *
 * - The routes come from the Fastify instance itself (printRoutes), the expected answers from the README's table: a
 *   route without a row, a row without a route, or a route this file does not know how to call fails the test.
 * - Every answer's status is the cell's, exactly. Each call signs its own token (its own subject), so that:
 * - every 2xx answer to a store role is searched for the ID of a store outside its claim (order, release and return
 *   IDs start with their store's), once the IDs the request itself named are taken out;
 * - a refusal comes before any effect: the target of every refused action (an order, return or bundle no accepted
 *   call touches, in the state the action needs) is unchanged afterwards, and no order's history names the caller
 *   of a refused action; the history of each accepted one's order names its caller.
 * Actions are called with valid bodies and an Idempotency-Key, each accepted call on a target of its own when the
 * action can be done once only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { devToken } from '../../query-service/auth.js';
import { type Role, Roles } from '../../query-service/principal.js';
import { signTrackingToken } from '../../query-service/tracking-token.js';
import { WEB_APP_DIR } from '../../query-service/web-app.js';
import { Topics } from '../../topology/topics.js';
import { freePort } from '../free-port.js';

const A = 'QC0001';
const B = 'QC0002';
const STORES = [A, B];
/** Orders created now wait this long before release; orders created before it are released at once. */
const HOLD_SECONDS = 12 * 3600;
const README = 'query-service/README.md';

// ------------------------------------------------------------------------------------------- the README's table

type Scope = 'own' | 'other' | 'none';
const SCOPES: readonly Scope[] = ['own', 'other', 'none'];

interface Expected {
  readonly anonymous: number;
  readonly roles: Readonly<Record<Role, Readonly<Record<Scope, number>>>>;
}

const COLUMNS = ['route', 'no token', 'store_staff', 'store_manager', 'regional_coordinator', 'bundle_manager', 'admin'];

/** The rows of the README's *Access* table, by `METHOD path` (the first code span of the row). */
function accessTable(markdown: string): Map<string, Expected> {
  const section = /^## Access\n([\s\S]*?)(?=^## )/m.exec(markdown)?.[1];
  if (!section) throw new Error(`${README} has no "## Access" section`);
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  const cellsOf = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
  const header = cellsOf(rows[0] ?? '');
  if (header.join(',') !== COLUMNS.join(','))
    throw new Error(`the Access table's columns are ${header.join(', ')}; expected ${COLUMNS.join(', ')}`);
  const table = new Map<string, Expected>();
  for (const line of rows.slice(2)) {
    const [route = '', anonymous = '', ...cells] = cellsOf(line);
    const key = /`([^`]+)`/.exec(route)?.[1];
    if (!key) throw new Error(`an Access row without a route: ${line}`);
    const answers = (cell: string): Record<Scope, number> => {
      const codes = cell.split('/').map((code) => Number(code.trim()));
      if (!(codes.length === 1 || codes.length === 3) || codes.some((code) => !Number.isInteger(code) || code < 100))
        throw new Error(`${key}: "${cell}" is neither one status nor "own / other / none"`);
      const [own, other = own, none = own] = codes as [number, number?, number?];
      return { own, other, none };
    };
    const byColumn = Object.fromEntries(COLUMNS.slice(2).map((role, index) => [role, answers(cells[index] ?? '')]));
    if (!Roles.every((role) => role in byColumn)) throw new Error(`the Access table has no column for every role (${Roles.join(', ')})`);
    table.set(key, { anonymous: answers(anonymous).own, roles: byColumn as Record<Role, Record<Scope, number>> });
  }
  return table;
}

// --------------------------------------------------------------------------------- the routes the service has

/** `METHOD path` of every route the instance declares, HEAD left out (Fastify adds it to every GET). */
function declaredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const labels: string[] = [];
  // One node a line: "│   ├── label (GET, HEAD)"; four characters of indentation a level, the path the labels joined.
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const node = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!node) continue;
    const depth = node[1]!.length / 4;
    labels.length = depth;
    labels.push(node[2]!);
    for (const method of (node[3] ?? '').split(', ').filter(Boolean)) if (method !== 'HEAD') routes.push(`${method} ${labels.join('')}`);
  }
  return [...new Set(routes)].sort();
}

/** The row a route is listed under: each file of the built web app under `GET /`. */
const rowOf = (route: string): string => {
  const [method, path = ''] = route.split(' ');
  return method === 'GET' && path !== '/' && !path.includes(':') && !path.includes('*') && existsSync(join(WEB_APP_DIR, path))
    ? 'GET /'
    : route;
};

// --------------------------------------------------------------------------------------------------- calling

interface Caller {
  readonly name: string;
  readonly role?: Role;
  readonly scope?: Scope;
}

const CALLERS: readonly Caller[] = [
  { name: 'no token' },
  ...Roles.flatMap((role) => SCOPES.map((scope) => ({ name: `${role} (${scope})`, role, scope }))),
];

const claimOf = (scope: Scope): string[] | undefined => (scope === 'own' ? [A] : scope === 'other' ? [B] : undefined);
const isStoreRole = (role: Role | undefined) => role === 'store_staff' || role === 'store_manager';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  /** IDs the request names: an answer may echo them, whoever asks. */
  readonly named: readonly string[];
}

/** What the setup reads of the answers. */
interface SetupBody {
  order: {
    orderId: string;
    shipFromLocationId: string;
    status: number;
    carrier: string | null;
    trackingId: string | null;
    history: Array<{ actor: string | null }>;
  };
  releases: Array<{ orderId: string; refused: boolean }>;
  returnId: string;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** How a route is called, from what the test set up. */
interface RouteCase {
  /** The request; `accepted`: the caller's cell is a 2xx, so an action takes a target of its own. */
  call(accepted: boolean): Call;
  /** An action, on the order or bundle its request names first. */
  readonly target?: 'order' | 'bundle';
  /** The cell's status read from the answer, when it is not the HTTP status (bulk cancel: each order's). */
  readonly statusOf?: (answer: Answer) => number;
  /** The same route without its optional `store` parameter: the caller's own stores. */
  readonly unfiltered?: () => Call;
  /** The same bytes for everyone (static files): no store's data to look for. */
  readonly static?: boolean;
}

const get = (path: string, named: readonly string[] = []): Call => ({ method: 'GET', path, named });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

t.test('access matrix: every route × no token and every role × own / other / no store', async (t) => {
  const expected = accessTable(readFileSync(README, 'utf8'));

  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const cutOff = Date.now() + 6 * 3_600_000;
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock: () => Date.now() + offsetMs,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS),
      OMNIA_RECONCILIATION_CUTOFF: hhmm(cutOff),
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      // A release Slick refuses is set aside after one short round.
      SLICK_ATTEMPTS: '2',
      SLICK_BACKOFF_MS: '10',
      SLICK_BACKOFF_MAX_MS: '50',
      // Setup polls as one admin; every matrix call has a token of its own.
      OMNIA_RATE_LIMIT_PER_SECOND: '10000',
      OMNIA_RATE_LIMIT_BURST: '10000',
    },
  });
  t.teardown(() => embedded.stop());
  // The embedded default keeps the instance it serves; its type shows only what the demo prints.
  const app = (embedded.query as Embedded['query'] & { app?: FastifyInstance }).app;
  if (!app) throw new Error('the embedded default no longer exposes its query service instance (query.app)');

  const auth = embedded.query.devAuth!;
  let serial = 0;
  const tokenFor = (caller: Caller): string | undefined =>
    caller.role &&
    // `stores: undefined` leaves the claim out of the token altogether (none).
    devToken(auth, { sub: `matrix.${caller.role}.${caller.scope}.${++serial}`, roles: [caller.role], stores: claimOf(caller.scope!) });
  const subjectOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub;

  /** One request; an event stream is read for a moment (the replayed events), then closed. */
  const send = async (call: Call, token: string | undefined, key?: string): Promise<Answer> => {
    const abort = new AbortController();
    const response = await fetch(`${embedded.query.url}${call.path}`, {
      method: call.method,
      redirect: 'manual',
      signal: abort.signal,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });
    let text = '';
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      // The replayed events follow the stream's first lines at once; after 200 ms of quiet only new changes would come.
      const stopAt = Date.now() + 3_000;
      let quietAt = stopAt;
      let pending = reader.read();
      for (;;) {
        const wait = Math.min(stopAt, quietAt) - Date.now();
        if (wait <= 0) break;
        const chunk = await Promise.race([pending, sleep(wait).then(() => undefined)]);
        if (!chunk || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        quietAt = Date.now() + 200;
        pending = reader.read();
      }
      abort.abort();
      pending.catch(() => undefined);
    } else text = await response.text();
    return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
  };

  const admin = devToken(auth, { sub: 'setup-admin', roles: ['admin'] });
  const managerB = devToken(auth, { sub: 'setup-manager-b', roles: ['store_manager'], stores: [B] });
  const asAdmin = async (method: string, path: string, body?: unknown, token = admin) => {
    const answer = await send({ method, path, body, named: [] }, token, body === undefined ? undefined : `setup-${++serial}`);
    return { status: answer.status, body: answer.json<SetupBody>() };
  };
  const orderOf = async (orderId: string) => (await asAdmin('GET', `/api/v1/orders/${orderId}`)).body.order;
  /** An action's target as an admin sees it (404 included: a bundle a refused create named). */
  const viewOf = async (kind: 'order' | 'bundle', id: string): Promise<string> => {
    const answer = await send(get(`/api/v1/${kind}s/${id}`), admin);
    return `${answer.status} ${answer.status === 200 ? JSON.stringify(answer.json()[kind]) : ''}`;
  };

  // ------------------------------------------------------------------------------ how many targets the table asks for

  const acceptedCalls = (row: string): number => {
    const cells = expected.get(row);
    if (!cells) return 0;
    return Roles.flatMap((role) => SCOPES.map((scope) => cells.roles[role][scope])).filter((status) => status >= 200 && status < 300)
      .length;
  };
  /** Targets a consuming action needs: one per accepted call, and one the refused calls are made on. */
  const targetsOf = (row: string) => acceptedCalls(row) + 1;

  // ------------------------------------------------------------------------------------------------------ setup

  let n = 0;
  /** An order of `store` (demoOrder puts the n-th order at store n mod 2), paid COD by a customer who may. */
  const newOrder = (store: string, createdAt: Date) => {
    const order = demoOrder(2 * n++ + (store === A ? 0 : 1), createdAt, { stores: 2, customers: 50, seed: 19, invalidShare: 0 });
    return { ...order, CustomerID: 'C-1001' };
  };
  const released = new Date(Date.now() - (HOLD_SECONDS + 3600) * 1000);

  // Nothing on the shelves: the orders' allocations make every item short (the low-stock lists).
  for (const store of STORES)
    for (const item of ['SKU-100', 'SKU-101', 'SKU-102', 'SKU-103', 'SKU-104', 'SKU-105', 'SKU-106', 'SKU-107'])
      await embedded.pipe(Topics.inventoryLevel, store, { ShipFromLocationID: store, ItemID: item, OnHand: 0 });

  // Delivered, the cash never confirmed (the partners refuse Slick's hand-over, so they report nothing by themselves).
  const { slick, grab, pmp } = embedded.partners;
  grab.setFaults({ failureRate: 1 });
  pmp.setFaults({ failureRate: 1 });
  const deliveredRoutes = {
    cod: 'POST /api/v1/orders/:orderId/cod/confirm',
    acknowledge: 'POST /api/v1/orders/:orderId/reconciliation/acknowledge',
    resolve: 'POST /api/v1/orders/:orderId/reconciliation/resolve',
    returns: 'POST /api/v1/orders/:orderId/returns',
    receive: 'POST /api/v1/orders/:orderId/returns/:returnId/receive',
  };
  // Acknowledging can be done again: one order for the accepted calls, another for the refused ones.
  const deliveredCount = 2 + targetsOf(deliveredRoutes.cod) + targetsOf(deliveredRoutes.resolve) + targetsOf(deliveredRoutes.returns);
  const flow = [
    ...Array.from({ length: deliveredCount + targetsOf(deliveredRoutes.receive) }, () => newOrder(A, released)),
    ...Array.from({ length: 3 }, () => newOrder(B, released)),
  ];
  for (const order of flow) await embedded.pipeOrder(order);
  // Counted as the pipeline moves them (these are the only orders yet): the orders are read once they are all there.
  const all = async (status: number) => {
    await until(`every order at ${status}`, async () => ((embedded.statusCounts.get(status) ?? 0) === flow.length ? true : undefined));
    return Promise.all(flow.map((order) => orderOf(order.OrderID)));
  };
  const shipped = await all(7000);
  for (const order of shipped)
    await (order.carrier === 'GRAB' ? grab : pmp).deliver({
      OrderID: order.orderId,
      ShipFromLocationID: order.shipFromLocationId,
      TrackingID: order.trackingId!,
      CodAmount: null,
    });
  t.same(
    (await all(7500)).map((order) => order.status),
    flow.map(() => 7500),
    'every order delivered',
  );
  if (!shipped.every((order) => order.carrier && order.trackingId)) throw new Error('a shipped order without its carrier');
  const deliveredA = shipped.filter((order) => order.shipFromLocationId === A);
  const deliveredB = shipped.filter((order) => order.shipFromLocationId === B);

  // Releases Slick refused, set aside.
  slick.setFaults({ refusalRate: 1 });
  const retry = 'POST /api/v1/orders/:orderId/release/retry';
  const park = 'POST /api/v1/orders/:orderId/release/park';
  const refusedA = Array.from({ length: targetsOf(retry) + targetsOf(park) }, () => newOrder(A, released));
  const refusedB = Array.from({ length: 2 }, () => newOrder(B, released));
  for (const order of [...refusedA, ...refusedB]) await embedded.pipeOrder(order);
  await until('every refusal set aside', async () => {
    await embedded.flush();
    const { releases } = (await asAdmin('GET', '/api/v1/releases/awaiting-slick?limit=1000')).body;
    const refused = new Set(releases.filter((release) => release.refused).map((release) => release.orderId));
    return [...refusedA, ...refusedB].every((order) => refused.has(order.OrderID)) ? true : undefined;
  });

  // Held before release (2000 Allocated) for the cancel and modify actions.
  const cancel = 'POST /api/v1/orders/:orderId/cancel';
  const bulkCancel = 'POST /api/v1/orders/cancel';
  const heldA = Array.from({ length: targetsOf(cancel) + targetsOf(bulkCancel) + 2 }, () => newOrder(A, new Date()));
  const heldB = Array.from({ length: 3 }, () => newOrder(B, new Date()));
  for (const order of [...heldA, ...heldB]) await embedded.pipeOrder(order);

  // Bundles: one of each store only, and some of store A to switch on and off.
  const bundle = (bundleId: string, store: string, window: { activeFrom?: string; activeTo?: string } = {}) => ({
    bundleId,
    components: [{ itemId: 'SKU-102', quantity: 2 }],
    pricing: { type: 'FIXED', price: '12.0000' },
    locations: [store],
    ...window,
  });
  const activate = 'POST /api/v1/bundles/:bundleId/activate';
  const deactivate = 'POST /api/v1/bundles/:bundleId/deactivate';
  const ended = { activeFrom: '2020-01-01T00:00:00Z', activeTo: '2021-01-01T00:00:00Z' };
  const inactive = Array.from({ length: targetsOf(activate) }, (_, i) => `MATRIX-OFF-${i}`);
  const active = Array.from({ length: targetsOf(deactivate) }, (_, i) => `MATRIX-ON-${i}`);
  for (const definition of [
    bundle(`ONLY-${A}`, A),
    bundle(`ONLY-${B}`, B),
    bundle('MATRIX-KEEP', A),
    ...inactive.map((id) => bundle(id, A, ended)),
    ...active.map((id) => bundle(id, A)),
  ]) {
    const created = await asAdmin('POST', '/api/v1/bundles', definition);
    if (created.status !== 202) throw new Error(`bundle ${definition.bundleId} not created: ${JSON.stringify(created.body)}`);
  }

  // Past the cut-off: the deliveries whose cash never came are MISSING exceptions of both stores.
  offsetMs = 7 * 3_600_000;
  await embedded.tick();
  await embedded.flush();

  // Returns asked, to be received; and store B's manager at work (its order's history, the audit trail).
  const [orderA, ackKeep, ...restDelivered] = deliveredA.map((order) => order.orderId);
  if (!orderA || !ackKeep) throw new Error('store A has fewer than two delivered orders');
  const take = (count: number) => restDelivered.splice(0, count);
  const codTargets = take(targetsOf(deliveredRoutes.cod));
  const resolveTargets = take(targetsOf(deliveredRoutes.resolve));
  const returnTargets = take(targetsOf(deliveredRoutes.returns));
  const receiveTargets: Array<{ orderId: string; returnId: string }> = [];
  for (const orderId of restDelivered) {
    const asked = await asAdmin('POST', `/api/v1/orders/${orderId}/returns`, { lines: [{ lineId: '1', quantity: 1 }], reason: 'setup' });
    if (asked.status !== 202) throw new Error(`return not asked: ${JSON.stringify(asked.body)}`);
    receiveTargets.push({ orderId, returnId: asked.body.returnId });
  }
  const [b1, b2] = deliveredB;
  if (!b1 || !b2) throw new Error('store B has fewer than two delivered orders');
  for (const [path, body] of [
    [`/api/v1/orders/${heldB[0]!.OrderID}/cancel`, { reason: 'customer asked' }],
    [`/api/v1/orders/${b1.orderId}/reconciliation/acknowledge`, { note: 'calling the rider' }],
    [`/api/v1/orders/${b2.orderId}/returns`, { lines: [{ lineId: '1', quantity: 1 }], reason: 'damaged' }],
  ] as const) {
    const done = await asAdmin('POST', path, body, managerB);
    if (done.status !== 202) throw new Error(`store B's manager: ${path}: ${JSON.stringify(done.body)}`);
  }
  await embedded.flush();

  // ------------------------------------------------------------------------------------------- the route cases

  /** Accepted calls take the next target; refused ones all use the last, which no accepted call touches. */
  const targets = <T>(pool: readonly T[]) => {
    const fresh = pool.slice(0, -1);
    const refusedOn = pool.at(-1)!;
    return (accepted: boolean): T => {
      if (!accepted) return refusedOn;
      const next = fresh.shift();
      if (next === undefined) throw new Error('more accepted calls than targets set up');
      return next;
    };
  };
  /** An action that can be done again: every accepted call on one target, the refused ones on another. */
  const again =
    <T>(acceptedOn: T, refusedOn: T) =>
    (accepted: boolean): T =>
      accepted ? acceptedOn : refusedOn;
  const heldIds = heldA.map((order) => order.OrderID);
  const cancelTarget = targets(heldIds.splice(0, targetsOf(cancel)));
  const bulkTarget = targets(heldIds.splice(0, targetsOf(bulkCancel)));
  const modifyTarget = again(heldIds[0]!, heldIds[1]!);
  const codTarget = targets(codTargets);
  const resolveTarget = targets(resolveTargets);
  const returnTarget = targets(returnTargets);
  const receiveTarget = targets(receiveTargets);
  const refusedIds = refusedA.map((order) => order.OrderID);
  const retryTarget = targets(refusedIds.splice(0, targetsOf(retry)));
  const parkTarget = targets(refusedIds);
  const activateTarget = targets(inactive);
  const deactivateTarget = targets(active);
  const today = new Date(Date.now() + offsetMs).toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const link = signTrackingToken(embedded.notifications.tracking.secret, {
    orderId: orderA,
    expiresAt: Math.floor(Date.now() / 1000) + 86_400,
  });
  let edits = 0;

  const read = (path: string, named: readonly string[] = []): RouteCase => ({ call: () => get(path, named) });
  /** A list read with `store=A` in the table, and without it (the caller's own stores). */
  const list = (path: string, query = ''): RouteCase => ({
    call: () => get(`${path}?${query}${query ? '&' : ''}store=${A}`),
    unfiltered: () => get(`${path}${query ? `?${query}` : ''}`),
  });
  const staticFile = (path: string): RouteCase => ({ call: () => get(path), static: true });
  const orderAction = (suffix: string, target: (accepted: boolean) => string, body: unknown): RouteCase => ({
    target: 'order',
    call: (accepted) => {
      const orderId = target(accepted);
      return { method: 'POST', path: `/api/v1/orders/${orderId}${suffix}`, body, named: [orderId] };
    },
  });
  /** A write of bundle `id` (the target the caller's cell asks for), with its body. */
  const bundleWrite = (
    method: string,
    target: (accepted: boolean) => string,
    path: (id: string) => string,
    body?: (id: string) => unknown,
  ): RouteCase => ({
    target: 'bundle',
    call: (accepted) => {
      const id = target(accepted);
      return { method, path: path(id), ...(body ? { body: body(id) } : {}), named: [id] };
    },
  });
  let created = 0;

  const cases: Record<string, RouteCase> = {
    'GET /': staticFile('/'),
    'GET /health/live': read('/health/live'),
    'GET /health/ready': read('/health/ready'),
    'GET /metrics': read('/metrics'),
    'GET /docs': staticFile('/docs'),
    'GET /docs/': staticFile('/docs/'),
    'GET /docs/static/index.html': staticFile('/docs/static/index.html'),
    'GET /docs/static/swagger-initializer.js': staticFile('/docs/static/swagger-initializer.js'),
    'GET /docs/*': staticFile('/docs/static/swagger-ui.css'),
    'GET /docs/json': staticFile('/docs/json'),
    'GET /docs/yaml': staticFile('/docs/yaml'),
    'GET /docs/openapi.json': staticFile('/docs/openapi.json'),
    'GET /track/:token': read(`/track/${link}`, [orderA]),
    'GET /api/v1/track/:token': read(`/api/v1/track/${link}`, [orderA]),
    'GET /api/v1/orders/:orderId': read(`/api/v1/orders/${orderA}`, [orderA]),
    'GET /api/v1/orders': list('/api/v1/orders', 'limit=100'),
    'GET /api/v1/stores/:id/pipeline': read(`/api/v1/stores/${A}/pipeline`),
    'GET /api/v1/region/pipeline': read('/api/v1/region/pipeline'),
    'GET /api/v1/stores/:id/reconciliation': read(`/api/v1/stores/${A}/reconciliation`),
    'GET /api/v1/region/reconciliation': read('/api/v1/region/reconciliation'),
    'GET /api/v1/releases/awaiting-slick': list('/api/v1/releases/awaiting-slick'),
    'GET /api/v1/reports': list('/api/v1/reports', `from=${yesterday}&to=${today}`),
    'GET /api/v1/bundles/:bundleId/sales': list('/api/v1/bundles/B-BREAKFAST/sales', `from=${yesterday}&to=${today}`),
    'GET /api/v1/stores/:id/low-stock': read(`/api/v1/stores/${A}/low-stock`),
    'GET /api/v1/low-stock': list('/api/v1/low-stock'),
    // Replayed from the feed's first event: every change held, as a reconnecting client gets them.
    'GET /api/v1/events': list('/api/v1/events', 'lastEventId=1'),
    'GET /api/v1/audit': list(
      '/api/v1/audit',
      `from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + offsetMs + 3_600_000).toISOString()}`,
    ),
    'GET /api/v1/catalog/items': read('/api/v1/catalog/items?q=SKU'),
    'GET /api/v1/bundles': list('/api/v1/bundles'),
    'GET /api/v1/bundles/:bundleId': read(`/api/v1/bundles/ONLY-${A}`),
    'POST /api/v1/bundles': bundleWrite(
      'POST',
      () => `MATRIX-NEW-${++created}`,
      () => '/api/v1/bundles',
      (id) => bundle(id, A),
    ),
    'PUT /api/v1/bundles/:bundleId': bundleWrite(
      'PUT',
      again(`ONLY-${A}`, 'MATRIX-KEEP'),
      (id) => `/api/v1/bundles/${id}`,
      (id) => ({ ...bundle(id, A), priority: ++edits }),
    ),
    'POST /api/v1/bundles/:bundleId/activate': bundleWrite('POST', activateTarget, (id) => `/api/v1/bundles/${id}/activate`),
    'POST /api/v1/bundles/:bundleId/deactivate': bundleWrite('POST', deactivateTarget, (id) => `/api/v1/bundles/${id}/deactivate`),
    'POST /api/v1/bundles/preview': {
      call: () => ({
        method: 'POST',
        path: '/api/v1/bundles/preview',
        body: { store: A, lines: [{ itemId: 'SKU-102', quantity: 2, unitPrice: '7.0000' }] },
        named: [],
      }),
    },
    [cancel]: orderAction('/cancel', cancelTarget, { reason: 'customer asked' }),
    [bulkCancel]: {
      target: 'order',
      call: (accepted) => {
        const orderId = bulkTarget(accepted);
        return {
          method: 'POST',
          path: '/api/v1/orders/cancel',
          body: { orderIds: [orderId], reason: 'duplicate order' },
          named: [orderId],
        };
      },
      // Each order's outcome: accepted (200), or refused with its code.
      statusOf: (answer) => {
        if (answer.status !== 200) return answer.status;
        const [result] = answer.json<{ results: Array<{ outcome: string; code?: string }> }>().results;
        return result?.outcome === 'accepted' ? 200 : result?.code === 'ORDER_NOT_FOUND' ? 404 : 409;
      },
    },
    'POST /api/v1/orders/:orderId/modify': orderAction('/modify', modifyTarget, {
      reason: 'customer moved',
      address: { line1: '9 Rama IV Rd', district: 'Pathum Wan', province: 'Bangkok', postalCode: '10330' },
    }),
    [deliveredRoutes.cod]: orderAction('/cod/confirm', codTarget, { amount: '10.00', reference: 'RCPT-1' }),
    [deliveredRoutes.acknowledge]: orderAction('/reconciliation/acknowledge', again(orderA, ackKeep), { note: 'calling the rider' }),
    [deliveredRoutes.resolve]: orderAction('/reconciliation/resolve', resolveTarget, { note: 'paid at the store' }),
    [retry]: orderAction('/release/retry', retryTarget, { note: 'item added at Slick' }),
    [park]: orderAction('/release/park', parkTarget, { note: 'buyer asked' }),
    [deliveredRoutes.returns]: orderAction('/returns', returnTarget, { lines: [{ lineId: '1', quantity: 1 }], reason: 'damaged' }),
    [deliveredRoutes.receive]: {
      target: 'order',
      call: (accepted) => {
        const { orderId, returnId } = receiveTarget(accepted);
        return { method: 'POST', path: `/api/v1/orders/${orderId}/returns/${returnId}/receive`, named: [orderId, returnId] };
      },
    },
  };

  // --------------------------------------------------------------------- the routes, the table and the cases agree

  const routes = declaredRoutes(app);
  const rows = [...new Set(routes.map(rowOf))].sort();
  t.same(
    rows.filter((row) => !expected.has(row)),
    [],
    `every route has a row in ${README}'s Access table (add one saying who may call it)`,
  );
  t.same(
    [...expected.keys()].filter((row) => !rows.includes(row)),
    [],
    `every row of ${README}'s Access table names a route the service has`,
  );
  t.same(
    rows.filter((row) => !cases[row]),
    [],
    'every route has a case in this test saying how to call it',
  );
  t.ok(
    routes.some((route) => rowOf(route) === 'GET /' && route !== 'GET /'),
    `the web app's files (${WEB_APP_DIR}) are served`,
  );

  // ------------------------------------------------------------------------------------------------- the matrix

  /** A store role's answer: no ID of a store outside its claim, once what the request named is taken out. */
  const foreignStores = (caller: Caller, call: Call, text: string): string[] => {
    let rest = text;
    for (const id of call.named) rest = rest.split(id).join('');
    const claim = claimOf(caller.scope!) ?? [];
    return STORES.filter((store) => !claim.includes(store) && rest.includes(store));
  };
  /** Each action called with a token: who, on what, and whether its cell says it is done. */
  const actions: Array<{ cell: string; subject: string; kind: 'order' | 'bundle'; id: string; accepted: boolean }> = [];
  /** The targets of refused actions as they were before the first refused call. */
  const before = new Map<string, string>();
  const adminSawB = new Set<string>();
  let cells = 0;
  let leakChecks = 0;

  /** A store role's 2xx answer, searched for another store's data. */
  const searched = (caller: Caller, call: Call, answer: Answer, what: string) => {
    if (answer.status < 200 || answer.status >= 300 || !isStoreRole(caller.role)) return;
    leakChecks++;
    t.same(foreignStores(caller, call, answer.text), [], `${what} — ${caller.name}: nothing of another store`, {
      answer: answer.text.slice(0, 300),
    });
  };

  for (const row of rows.filter((row) => expected.has(row) && cases[row])) {
    const rowCells = expected.get(row)!;
    const routeCase = cases[row]!;
    // Every caller's request first (accepted ones take their targets in the callers' order), then all of them at once.
    const plans = CALLERS.map((caller) => {
      const want = caller.role ? rowCells.roles[caller.role][caller.scope!] : rowCells.anonymous;
      const accepted = want >= 200 && want < 300;
      const call = routeCase.call(accepted);
      const token = tokenFor(caller);
      return { caller, want, accepted, call, token, key: call.method === 'GET' ? undefined : `matrix-${serial}`, target: call.named[0] };
    });
    for (const { accepted, target } of plans)
      if (routeCase.target && target && !accepted && !before.has(`${routeCase.target} ${target}`))
        before.set(`${routeCase.target} ${target}`, await viewOf(routeCase.target, target));
    const answers = await Promise.all(plans.map(({ call, token, key }) => send(call, token, key)));
    // Without its `store` parameter: the caller's own stores, answered as its own store is.
    const plain = routeCase.unfiltered?.();
    const wholes = plain ? await Promise.all(CALLERS.map((caller) => (caller.role ? send(plain, tokenFor(caller)) : undefined))) : [];

    plans.forEach(({ caller, want, accepted, call, token, target }, index) => {
      const answer = answers[index]!;
      const got = routeCase.statusOf ? routeCase.statusOf(answer) : answer.status;
      cells++;
      t.equal(got, want, `${row} — ${caller.name}: ${want}`, got === want ? {} : { answer: answer.text.slice(0, 300) });
      if (routeCase.target && target && token)
        actions.push({ cell: `${row} — ${caller.name}`, subject: subjectOf(token), kind: routeCase.target, id: target, accepted });
      if (!routeCase.static) searched(caller, call, { ...answer, status: got }, row);
      if (caller.role === 'admin' && caller.scope === 'own' && !routeCase.static && answer.text.includes(B)) adminSawB.add(row);
      const whole = wholes[index];
      if (!plain || !whole || !caller.role) return;
      const wantWhole = rowCells.roles[caller.role].own;
      const what = `${plain.path.split('?')[0]} without store`;
      cells++;
      t.equal(whole.status, wantWhole, `${what} — ${caller.name}: ${wantWhole}`);
      searched(caller, plain, whole, what);
      if (caller.role === 'admin' && caller.scope === 'own' && whole.text.includes(B)) adminSawB.add(row);
    });
  }

  // The checks above see store B's data where there is some: an admin's answers to the lists carry it.
  for (const row of [
    'GET /api/v1/orders',
    'GET /api/v1/region/pipeline',
    'GET /api/v1/region/reconciliation',
    'GET /api/v1/releases/awaiting-slick',
    'GET /api/v1/reports',
    'GET /api/v1/low-stock',
    'GET /api/v1/events',
    'GET /api/v1/audit',
    'GET /api/v1/bundles',
  ])
    t.ok(adminSawB.has(row), `${row}: an admin's answer holds store B's data, so a store role's would show a leak`);

  // A refusal comes before any effect: its target is as it was, and no order's history names its caller.
  for (const [target, was] of before) {
    const [kind, id] = target.split(' ') as ['order' | 'bundle', string];
    t.equal(await viewOf(kind, id), was, `${target}, the target of refused actions, is unchanged`);
  }
  const actors = new Map<string, Set<string>>();
  for (const id of new Set(actions.filter((action) => action.kind === 'order').map((action) => action.id))) {
    const { history } = (await asAdmin('GET', `/api/v1/orders/${id}`)).body.order;
    actors.set(id, new Set(history.map((entry) => entry.actor ?? '')));
  }
  const everyActor = new Set([...actors.values()].flatMap((set) => [...set]));
  const refusedActions = actions.filter((action) => !action.accepted);
  t.same(
    refusedActions.filter((action) => everyActor.has(action.subject)).map((action) => action.cell),
    [],
    `no refused action (${refusedActions.length}) left its caller in an order's history`,
  );
  const acceptedOrderActions = actions.filter((action) => action.accepted && action.kind === 'order');
  t.same(
    acceptedOrderActions.filter((action) => !actors.get(action.id)?.has(action.subject)).map((action) => action.cell),
    [],
    `each accepted action on an order (${acceptedOrderActions.length}) is in its history, in its caller's name`,
  );
  t.comment(
    `access matrix: ${routes.length} routes in ${rows.length} rows, ${cells} answers checked, ${leakChecks} of them searched for another store's data`,
  );
});
