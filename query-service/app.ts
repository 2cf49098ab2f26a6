/**
 * The query service: a Fastify instance with the service's cross-cutting concerns, and the route plugins
 * under `/api/v1`. Each concern covers every route, the 404 handler and errors alike; request hooks run in
 * the order they are added here:
 *
 *   onRequest       here                      the request id back in `x-request-id`
 *   onRequest       helmet                    security headers, cache-control (http/security-headers.ts)
 *   onRequest       admin-port.ts             with `adminPort`: /metrics and /docs on the admin port only (404 elsewhere)
 *   onRequest       auth.ts (jose)            bearer token → request.principal (401/403), except open routes
 *   onRequest       @fastify/rate-limit       per-token limit (429), a route hook, so after auth (plugins.ts)
 *   (parsing)       request-input.ts          a JSON body, UTF-8 (400 INVALID_UTF8); any other type 415
 *   preValidation   request-input.ts          a query string that is UTF-8 (400); lists cut to their maxItems + 1
 *   (validation)    Fastify                   request params/query/body against the route schema (400)
 *   preSerialization response-validation.ts   response against the route schema (500 RESPONSE_INVALID)
 *   onResponse      here                      request duration histogram by route, method, status
 *   errors          errors.ts                 `{ error: { code, message, details? } }` for everything; a path that is
 *                                             not UTF-8 (400 BAD_URL) or has a parameter over 256 characters (414) too
 *   onRoute         @fastify/swagger          the OpenAPI document from the route schemas; Swagger UI at /docs
 *   (routes)        web-app.ts                the store web app at `/` (@fastify/static), when `webApp` names its directory
 *
 * Logs: the project's pino logger (observability/logger.ts), a child with `component: query-service`; every
 * line of a request carries its `reqId`, taken from an incoming `x-request-id` or generated. Failures (5xx)
 * are logged with their stack by errors.ts.
 *
 * Open routes: /health/live, /health/ready, /metrics, /docs and everything under it. With `adminPort`, /metrics
 * and /docs are served only on the admin port (`listenAdminPort`), which serves nothing of the API.
 */
import { accessLog, quietRequests } from '../observability/access-log.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { withDefaultMetrics } from '../observability/metrics.js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { type Logger, logger as projectLogger } from '../observability/logger.js';
import { installAdminGate } from './admin-port.js';
import { type AuthConfig, installAuth } from './auth.js';
import { errorBody, installErrorHandlers, sendError } from './errors.js';
import type { ReplicaForwarding } from './forwarding.js';
import { installSecurityHeaders } from '../http/security-headers.js';
import { installDocs, installRateLimit, type OpenApiInfo, type RateLimitConfig } from './plugins.js';
import { installRequestInput } from './request-input.js';
import { installResponseValidation } from './response-validation.js';
import { installWebApp } from './web-app.js';

export { devToken } from './auth.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface WorkerAnswers {
  /** Whether a request came in on the worker's own port. */
  ownRequest(raw: IncomingMessage): boolean;
  /** This worker's own readiness. */
  readiness(): Promise<Readiness>;
  /** Every worker's metrics, from the primary. */
  podMetrics(): Promise<string>;
}

export interface QueryServiceOptions {
  auth: AuthConfig;
  rateLimit: RateLimitConfig;
  /** Whether the service can answer queries (state restored, Postgres reachable…); /health/ready says so. */
  readiness: () => Readiness | Promise<Readiness>;
  /** Registry /metrics exposes; the service adds its HTTP metrics to it. */
  registry: Registry;
  /** Route plugins, registered under `/api/v1`, after auth. */
  routes: readonly RoutePlugin[];
  /** Where the service logs; default the project logger's child `{ component: 'query-service' }`. */
  logger?: Logger;
  /** Clock of token times (ms); tests move it. */
  now?: () => number;
  /** Check every response against its route's schema; default true. */
  validateResponses?: boolean;
  openapi?: Partial<OpenApiInfo>;
  /**
   * One worker of several (OMNIA_WORKERS): `readiness` and /metrics answer for every worker of the process, except
   * on the worker's own port (worker-port.ts), where they are its own.
   */
  worker?: WorkerAnswers;
  /** Lookups forwarded between replicas, with the shared secret (forwarding.ts); none: forwarded requests are refused. */
  forwarding?: ReplicaForwarding;
  /** Serve the store web app at `/` from this directory (dist/web when built); default: no web app. */
  webApp?: string;
  /** Serve /metrics and /docs on the admin port only (`listenAdminPort`, OMNIA_ADMIN_PORT); default: on the service's port. */
  adminPort?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service’s clock (ms), by which tokens’ times are judged (set by buildQueryService); route plugins that time tokens read it. */
    readonly clock?: () => number;
  }
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
      () =>
        new Counter({
          name: 'omnia_query_auth_refused_total',
          help: 'Requests refused by auth, by error code',
          labelNames: ['code'] as const,
          registers: [registry],
        }),
    ),
    limited: metric(
      registry,
      'omnia_query_rate_limited_total',
      () =>
        new Counter({
          name: 'omnia_query_rate_limited_total',
          help: 'Requests refused by the per-token rate limit',
          registers: [registry],
        }),
    ),
  };
}

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The longest path parameter the router takes (Fastify's default is 100): above every parameter schema's maxLength
 * (a tracking link's token is up to 105 characters), so a valid value is never a 414.
 */
export const MAX_PARAM_LENGTH = 256;

/** The service, routes registered, not listening; `await app.ready()` or `app.listen()` next. */
export function buildQueryService(options: QueryServiceOptions): FastifyInstance {
  const now = options.now ?? Date.now;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; said so, the instance keeps Fastify's default type.
    loggerInstance: (options.logger ?? projectLogger.child({ component: 'query-service' })) as FastifyBaseLogger,
    requestIdHeader: REQUEST_ID_HEADER,
    logController: quietRequests(),
    genReqId: () => randomUUID(),
    // Report every failing field of a request, not only the first.
    ajv: { customOptions: { allErrors: true } },
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals, in the service's error shape (Fastify's echoes the whole path back).
    frameworkErrors: (error, _request, reply) => {
      const [status, code, message] =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? [414, 'URI_TOO_LONG', `A path parameter is longer than ${MAX_PARAM_LENGTH} characters`]
          : error.code === 'FST_ERR_BAD_URL'
            ? [400, 'BAD_URL', 'The path is not percent-encoded UTF-8']
            : [500, 'INTERNAL_ERROR', 'Internal server error'];
      void sendError(reply, status, errorBody(code, message));
    },
  });
  const metrics = httpMetrics(options.registry);
  withDefaultMetrics(options.registry);

  app.decorate('clock', now);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  // The web app's routes are declared after the docs (below); its not-found fallback is needed now.
  let webAppFallback: ((request: FastifyRequest, reply: FastifyReply) => boolean) | undefined;
  installErrorHandlers(app, (request, reply) => webAppFallback?.(request, reply) ?? false);
  installSecurityHeaders(app);
  if (options.adminPort) installAdminGate(app);
  installAuth(app, options.auth, {
    now,
    onRefused: (code) => metrics.refused.inc({ code }),
    ...(options.forwarding ? { forwarding: options.forwarding } : {}),
  });
  installRateLimit(app, options.rateLimit, { onLimited: () => metrics.limited.inc() });
  installRequestInput(app);
  if (options.validateResponses !== false) installResponseValidation(app);
  installDocs(app, {
    title: options.openapi?.title ?? 'Omnia query service',
    version: options.openapi?.version ?? '1.0.0',
    description:
      options.openapi?.description ??
      'Order lookups, search and pipeline counts for store staff and coordinators. Store roles see only the stores in their token; another store’s order is answered 404.',
  });

  if (options.webApp !== undefined) webAppFallback = installWebApp(app, options.webApp);
  accessLog(app);
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
  // In a plugin, so that they are declared after the docs plugin, which collects routes as they are declared.
  app.register(async (app) => {
    app.get(
      '/health/live',
      {
        ...open,
        schema: {
          summary: 'The process answers',
          tags: ['operations'],
          response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } },
        },
      },
      async () => ({
        live: true,
      }),
    );
    app.get(
      '/health/ready',
      {
        ...open,
        schema: {
          summary: 'The service can answer queries; 503 with the reason otherwise',
          tags: ['operations'],
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (request, reply) => {
        const readiness = options.worker?.ownRequest(request.raw) ? await options.worker.readiness() : await options.readiness();
        return (
          reply
            .code(readiness.ready ? 200 : 503)
            // Ready with a reason: degraded (Postgres down beside the stream runtime), said for `omnia status` and people.
            .send(
              readiness.ready
                ? { ready: true, ...(readiness.reason ? { reason: readiness.reason } : {}) }
                : { ready: false, reason: readiness.reason ?? 'not ready' },
            )
        );
      },
    );
    app.get('/metrics', { ...open, schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (request, reply) => {
      const worker = options.worker;
      const text = worker && !worker.ownRequest(request.raw) ? await worker.podMetrics() : await options.registry.metrics();
      return reply.type(options.registry.contentType).send(text);
    });
  });

  for (const routes of options.routes) app.register(routes, { prefix: API_PREFIX });
  return app;
}
