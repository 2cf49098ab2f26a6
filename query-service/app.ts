/**
 * The query service: a Fastify instance with the service's cross-cutting concerns, and the route plugins
 * under `/api/v1`. Each concern is one small module that adds its hooks to the root instance, so it covers
 * every route, the 404 handler and errors alike:
 *
 *   onRoute         openapi.ts            collect route schemas for the document
 *   onRequest       auth.ts               bearer token → request.principal (401/403), except open routes
 *   onRequest       rate-limit.ts         per-token bucket (429), after auth
 *   (validation)    Fastify               request params/query/body against the route schema (400)
 *   preSerialization response-validation.ts  response against the route schema (500 RESPONSE_INVALID)
 *   onSend          security-headers.ts   helmet-style headers
 *   onResponse      here                  request duration histogram by route, method, status
 *   errors          errors.ts             `{ error: { code, message, details? } }` for everything
 *
 * Open routes: /health/live, /health/ready, /metrics, /docs, /docs/openapi.json.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { type AuthConfig, installAuth } from './auth.js';
import { installErrorHandlers } from './errors.js';
import { installDocs, OpenApiCollector, type OpenApiInfo } from './openapi.js';
import { installRateLimit, type RateLimitConfig } from './rate-limit.js';
import { installResponseValidation } from './response-validation.js';
import { installSecurityHeaders } from './security-headers.js';

export { devToken } from './auth.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface QueryServiceOptions {
  auth: AuthConfig;
  rateLimit: RateLimitConfig;
  /** Whether the service can answer queries (state restored, Postgres reachable…); /health/ready says so. */
  readiness: () => Readiness | Promise<Readiness>;
  /** Registry /metrics exposes; the service adds its HTTP metrics to it. */
  registry: Registry;
  /** Route plugins, registered under `/api/v1`, after auth. */
  routes: readonly RoutePlugin[];
  /** Fastify logger options; default off. */
  logger?: FastifyServerOptions['logger'];
  /** Clock of token times and rate limiting (ms); tests move it. */
  now?: () => number;
  /** Check every response against its route's schema; default true. */
  validateResponses?: boolean;
  openapi?: Partial<OpenApiInfo>;
}

export const API_PREFIX = '/api/v1';

const metric = <T>(registry: Registry, name: string, create: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? create();

function httpMetrics(registry: Registry) {
  return {
    duration: metric(
      registry,
      'omnia_query_http_request_duration_seconds',
      () =>
        new Histogram({
          name: 'omnia_query_http_request_duration_seconds',
          help: 'Query service HTTP request duration by route pattern, method and status',
          labelNames: ['route', 'method', 'status'] as const,
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers: [registry],
        }),
    ),
    refused: metric(
      registry,
      'omnia_query_auth_refused_total',
      () => new Counter({ name: 'omnia_query_auth_refused_total', help: 'Requests refused by auth, by error code', labelNames: ['code'] as const, registers: [registry] }),
    ),
    limited: metric(
      registry,
      'omnia_query_rate_limited_total',
      () => new Counter({ name: 'omnia_query_rate_limited_total', help: 'Requests refused by the per-token rate limit', registers: [registry] }),
    ),
  };
}

/** The service, routes registered, not listening; `await app.ready()` or `app.listen()` next. */
export function buildQueryService(options: QueryServiceOptions): FastifyInstance {
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: options.logger ?? false,
    // Report every failing field of a request, not only the first.
    ajv: { customOptions: { allErrors: true } },
    return503OnClosing: true,
  });
  const metrics = httpMetrics(options.registry);

  const collector = new OpenApiCollector((route) => route.config?.public !== true);
  app.addHook('onRoute', function (route) {
    collector.collect(route, this.getSchemas());
  });

  installErrorHandlers(app);
  installSecurityHeaders(app);
  installAuth(app, options.auth, { now, onRefused: (code) => metrics.refused.inc({ code }) });
  installRateLimit(app, options.rateLimit, { now, onLimited: () => metrics.limited.inc() });
  if (options.validateResponses !== false) installResponseValidation(app);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    metrics.duration.observe({ route, method: request.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const open = { config: { public: true } };
  const readinessSchema = {
    type: 'object',
    required: ['ready'],
    properties: { ready: { type: 'boolean' }, reason: { type: 'string' } },
  };
  app.get('/health/live', { ...open, schema: { summary: 'The process answers', tags: ['operations'], response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } } } }, async () => ({
    live: true,
  }));
  app.get(
    '/health/ready',
    { ...open, schema: { summary: 'The service can answer queries; 503 with the reason otherwise', tags: ['operations'], response: { 200: readinessSchema, 503: readinessSchema } } },
    async (_request, reply) => {
      const readiness = await options.readiness();
      return reply.code(readiness.ready ? 200 : 503).send(readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason ?? 'not ready' });
    },
  );
  app.get('/metrics', { ...open, schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  installDocs(app, collector, {
    title: options.openapi?.title ?? 'Omnia query service',
    version: options.openapi?.version ?? '1.0.0',
    description:
      options.openapi?.description ??
      'Order lookups, search and pipeline counts for store staff and coordinators. Store roles see only the stores in their token; another store’s order is answered 404.',
  });

  for (const routes of options.routes) app.register(routes, { prefix: API_PREFIX });
  return app;
}
