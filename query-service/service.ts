/**
 * The query service as a process runs it: every route plugin over this replica's local state, the group's
 * view of who owns what, and PostgreSQL, listening on PORT. Used by `omnia start`, on Kafka and embedded.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { SqlDatabase } from '../postgres/sql.js';
import { allReady, databaseProbe } from '../postgres/probe.js';
import { buildQueryService, type Readiness, type RoutePlugin } from './app.js';
import { listenAdminPort } from './admin-port.js';
import { listenWorkerPort } from './worker-port.js';
import type { WorkerLink } from '../workers/worker-link.js';
import type { IncomingMessage } from 'node:http';
import { eventsRoutes } from './events-routes.js';
import type { StatusFeed } from './status-feed.js';
import { authConfig, loadQueryConfig, rateLimitConfig, withDevSecret } from './config.js';
import { type AuthConfig, devToken } from './auth.js';
import { connectRateLimitRedis, redactedUrl, redisRateLimitStore } from './redis-rate-limit-store.js';
import { type Logger, logger } from '../observability/logger.js';
import type { LocalOrders } from './local-orders.js';
import { orderLocator, orderLookupRoutes } from './order-lookup-routes.js';
import { type OrderActionOptions, orderActionRoutes } from './order-action-routes.js';
import { orderModifyRoutes } from './order-modify-routes.js';
import { type BundleRouteOptions, bundleRoutes } from './bundle-routes.js';
import { catalogRoutes, itemCatalogOf } from './catalog-routes.js';
import { type CodConfirmOptions, codRoutes } from './cod-routes.js';
import { type ExceptionActionOptions, exceptionActionRoutes } from './exception-routes.js';
import type { PartitionOwners } from './partition-owners.js';
import { checkForwardSecret, replicaForwarding } from './forwarding.js';
import { lowStockRoutes } from './low-stock-routes.js';
import { auditRoutes } from './audit-routes.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { reconciliationRoutes } from './reconciliation-routes.js';
import { reconciliationMetrics } from './reconciliation-metrics.js';
import { reportRoutes } from './report-routes.js';
import { type ReturnRouteOptions, returnRoutes } from './return-routes.js';
import { searchRoutes } from './search-routes.js';
import { WEB_APP_DIR } from './web-app.js';
import { loadTrackingConfig } from './tracking-config.js';
import { trackingRoutes } from './tracking-routes.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { IdempotentActions } from './idempotency.js';
import { RedisSharedKeys } from './shared-idempotency.js';

export interface QueryServiceParts {
  readonly db: SqlDatabase;
  readonly local: LocalOrders;
  readonly owners?: PartitionOwners;
  readonly registry: Registry;
  /** Whether the rest is ready (the stream runtime); /health/ready also says whether `db` answers. */
  readonly readiness: () => Readiness | Promise<Readiness>;
  /** Status changes for GET /events, fed from the status topic (or the in-process driver); none, no route. */
  readonly feed?: StatusFeed;
  /** Where actions send their commands; none, no action routes (a read-only replica). */
  readonly actions?: Omit<OrderActionOptions, 'locator'>;
  /** Bundle promotions: the bundle table and where definitions go; none, no bundle routes. */
  readonly bundles?: BundleRouteOptions;
  /** Where COD cash confirmations by store staff go (delivery.status.v1); none, no confirmation route. */
  readonly cod?: Omit<CodConfirmOptions, 'locator'>;
  /** Where decisions on exceptions go (acknowledge / resolve reconciliation, retry / park a release); none, no such routes. */
  readonly exceptions?: Omit<ExceptionActionOptions, 'locator' | 'db'>;
  /** Where returns asked and received go (order.return.v1); none, no return routes. */
  readonly returns?: Omit<ReturnRouteOptions, 'locator' | 'db' | 'windowDays'>;
  /** The web app's directory; default dist/web. */
  readonly webApp?: string;
  /** Further routes. */
  readonly routes?: readonly RoutePlugin[];
  /** A random HS256 secret when none is configured, and then a printed admin token: the embedded default only. */
  readonly devSecret?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Default: the project logger's child `{ component: 'query-service' }`. */
  readonly logger?: Logger;
  /** This replica's advertised OMNIA_ENDPOINT: lookups forwarded here must be addressed to it (forwarding.ts). */
  readonly endpoint?: string;
  /**
   * One worker of several (OMNIA_WORKERS above 1): PORT answers /health/ready and /metrics for every worker through
   * `link`; `ownPort` (with an advertised endpoint) reaches this worker alone and answers them for it.
   */
  readonly worker?: { readonly link: WorkerLink; readonly ownPort?: number };
  /** The customers' tracking page (/track/:token): the links' secret and lifetime; default the `tracking` settings, none without a secret. */
  readonly tracking?: { readonly secret: string; readonly linkDays: number };
}

export async function startQueryService(
  parts: QueryServiceParts,
): Promise<{ app: FastifyInstance; url: string; devToken?: string; devAuth?: AuthConfig }> {
  const config = loadQueryConfig({}, parts.env ?? process.env);
  const configuredAuth = authConfig(config);
  const auth = parts.devSecret ? withDevSecret(configuredAuth) : configuredAuth;
  // Demo tokens only with a secret of this process: one signed with a configured secret would be a real admin token
  // in the logs.
  const processSecret = auth !== configuredAuth;
  const log = parts.logger ?? logger.child({ component: 'query-service' });
  // Lookups forwarded between replicas are signed with OMNIA_FORWARD_SECRET, never with the caller's token.
  checkForwardSecret(parts.endpoint, config.forwardSecret, config.jwtSecret);
  if (config.adminPort === config.port)
    throw new Error(`OMNIA_ADMIN_PORT (${config.adminPort}) must differ from PORT: /metrics and the docs are kept off the API's port`);
  // Cursors signed with a key of this process are refused by every other replica (INVALID_CURSOR, search again).
  if (!config.searchCursorKey && parts.endpoint)
    log.warn(
      'OMNIA_SEARCH_CURSOR_KEY is unset: this replica signs search cursors with a key of its own, so a next page asked of another replica, or after a restart, is refused INVALID_CURSOR; set the same key on every replica (openssl rand -base64 48)',
    );
  const forwarding = config.forwardSecret
    ? replicaForwarding({ secret: config.forwardSecret, endpoint: parts.endpoint, clockSkewSeconds: config.jwtClockSkewSeconds })
    : undefined;
  // OMNIA_RATE_LIMIT_REDIS_URL: the replicas count each token in one Redis, so they share one limit.
  const redis = config.rateLimitRedisUrl ? await connectRateLimitRedis(config.rateLimitRedisUrl) : undefined;
  const storeErrors = redis
    ? ((parts.registry.getSingleMetric('omnia_query_rate_limit_store_errors_total') as Counter | undefined) ??
      new Counter({
        name: 'omnia_query_rate_limit_store_errors_total',
        help: 'Requests let through unlimited because the rate-limit Redis did not answer',
        registers: [parts.registry],
      }))
    : undefined;
  const store = redis
    ? redisRateLimitStore(redis, {
        onError: () => storeErrors?.inc(),
        onUnavailable: (error) =>
          log.warn(
            { err: error, redis: redactedUrl(config.rateLimitRedisUrl!) },
            'rate-limit Redis unavailable: requests pass unlimited until it answers',
          ),
        onRecovered: () => log.info({ redis: redactedUrl(config.rateLimitRedisUrl!) }, 'rate-limit Redis answers again'),
      })
    : undefined;
  // OMNIA_IDEMPOTENCY_REDIS_URL: the replicas share actions' keys and answers; one store for every kind of action.
  const idempotencyRedis = config.idempotencyRedisUrl
    ? await connectRateLimitRedis(config.idempotencyRedisUrl, 2_000, 'idempotency')
    : undefined;
  const idempotency = new IdempotentActions(
    idempotencyRedis
      ? {
          shared: new RedisSharedKeys(idempotencyRedis, {
            onError: (error) => log.warn({ err: error }, 'idempotency Redis unavailable: keys are remembered by this process only'),
          }),
        }
      : {},
  );
  const closeRedis = async () => {
    await redis?.close().catch(() => redis.destroy());
    await idempotencyRedis?.close().catch(() => idempotencyRedis.destroy());
  };
  const locator = orderLocator({
    local: parts.local,
    db: parts.db,
    ...(parts.owners ? { owners: parts.owners } : {}),
    ...(forwarding ? { forwarding } : {}),
  });
  // The item search reads the catalog table the bundle routes hold (their preview takes tax rates from it).
  const items = parts.bundles ? itemCatalogOf(parts.bundles.catalog) : undefined;
  // Whether Postgres answers, said on /health/ready. Beside the stream runtime it does not make the replica unready:
  // lookups from its own state, actions, the live feed and the tracking page work without the analysts' database,
  // and an outage taking every processor out of the Service would stop them all. Searches and reports answer 503
  // DATABASE_UNAVAILABLE meanwhile, and the sink, which needs it, reports not ready.
  const database = databaseProbe(parts.db, config.postgresProbeTimeoutMs);
  const ownReadiness = async (): Promise<Readiness> => {
    const [db, runtime] = await Promise.all([database(), parts.readiness()]);
    if (!runtime.ready || db.ready) return allReady([db, runtime]);
    return { ready: true, reason: `degraded: ${db.reason ?? 'Postgres does not answer'}` };
  };
  const worker = parts.worker;
  const readiness = worker ? async () => worker.link.podReadiness(await ownReadiness()) : ownReadiness;
  const ownRequests = new WeakSet<IncomingMessage>();
  let app: FastifyInstance;
  try {
    app = buildQueryService({
      auth,
      ...(forwarding ? { forwarding } : {}),
      logger: log,
      rateLimit: { ...rateLimitConfig(config), ...(store ? { store } : {}) },
      readiness,
      ...(worker
        ? {
            worker: {
              ownRequest: (raw: IncomingMessage) => ownRequests.has(raw),
              readiness: ownReadiness,
              podMetrics: () => worker.link.podMetrics(),
            },
          }
        : {}),
      registry: parts.registry,
      webApp: parts.webApp ?? WEB_APP_DIR,
      ...(config.adminPort !== undefined ? { adminPort: true } : {}),
      routes: [
        orderLookupRoutes(locator),
        ...(parts.actions
          ? [orderActionRoutes({ idempotency, ...parts.actions, locator }), orderModifyRoutes({ idempotency, ...parts.actions, locator })]
          : []),
        ...(parts.bundles ? [bundleRoutes({ idempotency, ...parts.bundles })] : []),
        ...(items ? [catalogRoutes({ catalog: items })] : []),
        ...(parts.cod ? [codRoutes({ idempotency, ...parts.cod, locator })] : []),
        ...(parts.exceptions ? [exceptionActionRoutes({ idempotency, ...parts.exceptions, locator, db: parts.db })] : []),
        ...(parts.returns
          ? [
              returnRoutes({
                idempotency,
                ...parts.returns,
                locator,
                db: parts.db,
                windowDays: loadOrderConfig(parts.env ?? process.env).returnWindowDays,
              }),
            ]
          : []),
        searchRoutes(parts.db, config.searchCursorKey ? { cursorSecret: config.searchCursorKey } : {}),
        pipelineRoutes(parts.db),
        reconciliationRoutes(parts.db),
        reportRoutes(parts.db, { env: parts.env }),
        lowStockRoutes(parts.db),
        auditRoutes(parts.db),
        ...(parts.feed
          ? [
              eventsRoutes(parts.feed, {
                maxStreams: config.eventsMaxStreams,
                maxStreamsPerSubject: config.eventsMaxStreamsPerSubject,
                clockSkewSeconds: config.jwtClockSkewSeconds,
              }),
            ]
          : []),
        ...(parts.routes ?? []),
      ],
    });
  } catch (error) {
    // A config that cannot verify tokens, say: nothing may stay open behind the refusal.
    await closeRedis();
    throw error;
  }
  app.addHook('onClose', closeRedis);
  // The customers' tracking page, open to whoever holds a signed link (tracking-routes.ts); at the root, not under /api/v1.
  const tracking = parts.tracking ?? loadTrackingConfig({}, parts.env ?? process.env);
  if (tracking.secret)
    app.register(
      trackingRoutes({
        local: parts.local,
        db: parts.db,
        secret: tracking.secret,
        linkDays: tracking.linkDays,
        timeZone: loadOrderConfig(parts.env ?? process.env).businessTimeZone,
      }),
    );
  // Open COD reconciliation exceptions on /metrics: what the "exceptions not acted on" alert reads.
  reconciliationMetrics(parts.registry, parts.db, { log });
  try {
    await app.listen({ host: config.host, port: config.port });
    // OMNIA_ADMIN_PORT: /metrics and the docs for Prometheus and operators, off the API's port.
    if (config.adminPort !== undefined) await listenAdminPort(app, { host: config.host, port: config.adminPort });
    if (worker?.ownPort !== undefined) await listenWorkerPort(app, { host: config.host, port: worker.ownPort, requests: ownRequests });
  } catch (error) {
    await app.close();
    throw error;
  }
  worker?.link.watch(ownReadiness);
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  return {
    app,
    url,
    // The process's own secret, to sign other demo tokens with (the embedded default's store-clerk link).
    ...(processSecret ? { devToken: devToken(auth, { sub: 'dev', roles: ['admin'], expiresInSeconds: 12 * 3600 }), devAuth: auth } : {}),
  };
}
