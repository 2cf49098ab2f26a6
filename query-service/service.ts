/**
 * The query service as a process runs it: every route plugin over this replica's local state, the group's
 * view of who owns what, and PostgreSQL, listening on PORT. Used by `omnia start`, on Kafka and embedded.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { SqlDatabase } from '../postgres/sql.js';
import { buildQueryService, type Readiness, type RoutePlugin } from './app.js';
import { eventsRoutes } from './events-routes.js';
import type { StatusFeed } from './status-feed.js';
import { authConfig, loadQueryConfig, rateLimitConfig, withDevSecret } from './config.js';
import { devToken } from './auth.js';
import type { LocalOrders } from './local-orders.js';
import { orderLookupRoutes } from './order-lookup-routes.js';
import type { PartitionOwners } from './partition-owners.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { reconciliationRoutes } from './reconciliation-routes.js';
import { searchRoutes } from './search-routes.js';

export interface QueryServiceParts {
  readonly db: SqlDatabase;
  readonly local: LocalOrders;
  readonly owners?: PartitionOwners;
  readonly registry: Registry;
  readonly readiness: () => Readiness | Promise<Readiness>;
  /** Status changes for GET /events, fed from the status topic (or the in-process driver); none, no route. */
  readonly feed?: StatusFeed;
  /** Further routes. */
  readonly routes?: readonly RoutePlugin[];
  /** A random HS256 secret when none is configured, and a printed admin token: the embedded default only. */
  readonly devSecret?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export async function startQueryService(parts: QueryServiceParts): Promise<{ app: FastifyInstance; url: string; devToken?: string }> {
  const config = loadQueryConfig({}, parts.env ?? process.env);
  const auth = parts.devSecret ? withDevSecret(authConfig(config)) : authConfig(config);
  const app = buildQueryService({
    auth,
    rateLimit: rateLimitConfig(config),
    readiness: parts.readiness,
    registry: parts.registry,
    routes: [orderLookupRoutes({ local: parts.local, db: parts.db, ...(parts.owners ? { owners: parts.owners } : {}) }), searchRoutes(parts.db), pipelineRoutes(parts.db), reconciliationRoutes(parts.db), ...(parts.feed ? [eventsRoutes(parts.feed)] : []), ...(parts.routes ?? [])],
  });
  await app.listen({ host: config.host, port: config.port });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  return { app, url, ...(parts.devSecret && auth.algorithm === 'HS256' ? { devToken: devToken(auth, { sub: 'dev', roles: ['admin'], expiresInSeconds: 12 * 3600 }) } : {}) };
}
