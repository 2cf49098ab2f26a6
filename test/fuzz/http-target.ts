/**
 * The embedded default (bin/embedded.ts, `omnia start` without KAFKA_BROKERS) in a process of its own, for the HTTP
 * fuzz campaign (http-campaign.ts): its own embedded Postgres, no demo feed, orders of two stores in the states the
 * actions need, a return asked, two bundles. A process of its own so that its memory is its own (VmRSS) and a crash
 * or a hang is seen as one.
 *
 * It tells its parent (IPC) where it listens, its limits, a token per caller and the IDs it set up, and the query
 * service's routes with their schemas as Fastify holds them: each Fastify instance is caught as it is created
 * (the `fastify.initialization` diagnostics channel) and its routes as they are declared (onRoute), so a route added
 * to the service is fuzzed without anyone listing it. Asked, it writes what the pipeline produced to the tables
 * (`flush`), and stops (`stop`).
 */
import { subscribe } from 'node:diagnostics_channel';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { demoOrder } from '../../bin/demo-feed.js';
import { startEmbedded } from '../../bin/embedded.js';
import { devToken } from '../../query-service/auth.js';
import { signTrackingToken } from '../../query-service/tracking-token.js';
import type { RouteInput } from './bad-requests.js';

const STORE_A = 'QC0001';
const STORE_B = 'QC0002';
/** Orders created now wait this long before release (they can be cancelled and modified meanwhile). */
const HOLD_SECONDS = 12 * 3600;

/** What the target tells its parent once it is ready. */
export interface TargetReady {
  readonly type: 'ready';
  readonly url: string;
  readonly pid: number;
  readonly routes: readonly RouteInput[];
  readonly shared: Record<string, unknown>;
  readonly limits: { readonly bodyLimit: number; readonly maxParamLength: number };
  /** Tokens by caller: `fuzz` (the campaign, admin), `checker` (the before / after views, admin), `valid` (valid actions, admin). */
  readonly tokens: Readonly<Record<'fuzz' | 'checker' | 'valid', string>>;
  readonly subjects: Readonly<Record<'fuzz' | 'checker' | 'valid', string>>;
  readonly fixtures: {
    /** The store the held orders, the return and the bundles are of (the other one has orders too). */
    readonly store: string;
    /** Orders at 2000 (before release): cancel and modify would change them. */
    readonly held: readonly string[];
    /** Delivered orders: a return, a COD confirmation would change them. */
    readonly delivered: readonly string[];
    readonly returnId: string;
    readonly returnOrderId: string;
    readonly bundles: readonly string[];
    readonly trackingToken: string;
  };
}

export type TargetMessage = { type: 'flush' } | { type: 'stop' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const captured = new Map<FastifyInstance, RouteInput[]>();
subscribe('fastify.initialization', (message) => {
  const fastify = (message as { fastify: FastifyInstance }).fastify;
  const routes: RouteInput[] = [];
  captured.set(fastify, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routes.push({
        method: String(method),
        url: route.url,
        schema: JSON.parse(JSON.stringify(route.schema ?? {})) as RouteInput['schema'],
        ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
        ...((route.config as { public?: boolean } | undefined)?.public === true ? { open: true } : {}),
      });
  });
});

const send = (message: TargetReady | { type: 'flushed' } | { type: 'failed'; error: string }) =>
  new Promise<void>((resolve) => process.send!(message, () => resolve()));

async function main(): Promise<void> {
  if (!process.send) throw new Error('http-target runs as a child with an IPC channel (http-campaign.ts starts it)');
  // A parent gone (killed, crashed) takes this process with it, even before it is ready.
  process.on('disconnect', () => process.exit(0));
  const cutOff = new Date(Date.now() + 12 * 3_600_000).toISOString().slice(11, 16);
  const embedded = await startEmbedded({
    demoFeed: false,
    log: () => undefined,
    env: {
      ...process.env,
      OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_SECONDS),
      // No cut-off, hold or demo order falls due while the campaign runs: the state stays as set up.
      OMNIA_RECONCILIATION_CUTOFF: cutOff,
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      OMNIA_RATE_LIMIT_PER_SECOND: '1000000',
      OMNIA_RATE_LIMIT_BURST: '1000000',
    },
  });
  const app = (embedded.query as { app?: FastifyInstance }).app;
  const routes = app && captured.get(app);
  if (!app || !routes) throw new Error('the query service instance was not seen being created');
  const auth = embedded.query.devAuth;
  if (!auth) throw new Error('the embedded default signs no tokens (is OMNIA_JWT_SECRET set?)');
  const subjects = { fuzz: 'fuzz.admin', checker: 'fuzz.checker', valid: 'fuzz.valid' } as const;
  const token = (sub: string) => devToken(auth, { sub, roles: ['admin'], expiresInSeconds: 12 * 3600 });
  const tokens = { fuzz: token(subjects.fuzz), checker: token(subjects.checker), valid: token(subjects.valid) };

  // Orders: held ones of both stores, and delivered ones (released at once, shipped and delivered by the simulators).
  let n = 0;
  const order = (store: string, createdAt: Date) => ({
    ...demoOrder(2 * n++ + (store === STORE_A ? 0 : 1), createdAt, { stores: 2, customers: 50, seed: 29, invalidShare: 0 }),
    CustomerID: 'C-1001',
  });
  const released = new Date(Date.now() - (HOLD_SECONDS + 3600) * 1000);
  const held = [order(STORE_A, new Date()), order(STORE_A, new Date()), order(STORE_A, new Date()), order(STORE_B, new Date())];
  const delivered = [order(STORE_A, released), order(STORE_A, released), order(STORE_B, released)];
  for (const each of [...held, ...delivered]) await embedded.pipeOrder(each);
  const deadline = Date.now() + 60_000;
  while ((embedded.statusCounts.get(7500) ?? 0) < delivered.length || embedded.egress.status().queued > 0) {
    if (Date.now() > deadline) throw new Error(`orders not delivered: ${JSON.stringify([...embedded.statusCounts])}`);
    await sleep(50);
  }

  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${embedded.query.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens.checker}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.status !== 202) throw new Error(`setup ${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const returnOrderId = delivered[0]!.OrderID;
  const asked = await call('POST', `/api/v1/orders/${returnOrderId}/returns`, { lines: [{ lineId: '1', quantity: 1 }], reason: 'setup' });
  const bundle = (bundleId: string, window: object) => ({
    bundleId,
    components: [{ itemId: 'SKU-102', quantity: 2 }],
    pricing: { type: 'FIXED', price: '12.0000' },
    locations: [STORE_A],
    ...window,
  });
  await call('POST', '/api/v1/bundles', bundle('FUZZ-ON', {}));
  await call('POST', '/api/v1/bundles', bundle('FUZZ-OFF', { activeFrom: '2020-01-01T00:00:00Z', activeTo: '2021-01-01T00:00:00Z' }));
  await embedded.tick();
  await embedded.flush();

  const ready: TargetReady = {
    type: 'ready',
    url: embedded.query.url,
    pid: process.pid,
    routes,
    shared: app.getSchemas(),
    limits: { bodyLimit: app.initialConfig.bodyLimit ?? 1_048_576, maxParamLength: app.initialConfig.routerOptions?.maxParamLength ?? 100 },
    tokens,
    subjects,
    fixtures: {
      store: STORE_A,
      held: held.map((each) => each.OrderID),
      delivered: delivered.map((each) => each.OrderID),
      returnId: String(asked.returnId),
      returnOrderId,
      bundles: ['FUZZ-ON', 'FUZZ-OFF'],
      trackingToken: signTrackingToken(embedded.notifications.tracking.secret, {
        orderId: delivered[1]!.OrderID,
        expiresAt: Math.floor(Date.now() / 1000) + 86_400,
      }),
    },
  };
  process.on('message', (message: TargetMessage) => {
    if (message.type === 'flush')
      void (async () => {
        await embedded.tick();
        await embedded.flush();
        await send({ type: 'flushed' });
      })();
    else if (message.type === 'stop')
      void embedded
        .stop()
        .catch(() => undefined)
        .then(() => process.exit(0));
  });
  await send(ready);
}

// Only as the program the campaign starts (importing it for its types starts nothing).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch(async (error: unknown) => {
    if (process.send) await send({ type: 'failed', error: (error as Error).stack ?? String(error) });
    process.exit(1);
  });
