/**
 * The maintained Fastify plugins the service's HTTP concerns are made of, configured the way this project
 * needs them (security headers are http/security-headers.ts, shared with the webhook ingress).
 *
 *   @fastify/rate-limit   a per-token limit, after auth; counts in-process or in Redis (redis-rate-limit-store.ts)
 *   @fastify/swagger      the OpenAPI 3.1 document, generated from the route schemas Fastify validates with
 *   @fastify/swagger-ui   the interactive docs at /docs; the document itself at /docs/openapi.json (and /docs/json)
 */
import fastifyRateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, errorResponseSchema } from './errors.js';

export interface RateLimitConfig {
  /** Sustained requests per second per token. */
  perSecond: number;
  /** Requests a token may make at once: the limit of one window of `burst / perSecond` seconds. */
  burst: number;
  /** Where the counts live; default in this process (an LRU of `maxTokens`). */
  store?: FastifyRateLimitStoreCtor;
  /** Most tokens counted in-process; default 100,000. */
  maxTokens?: number;
}

/** The window a config's limit applies to: `burst` requests per `burst / perSecond` seconds. */
export function rateLimitWindow(config: RateLimitConfig): { max: number; timeWindowMs: number } {
  if (!(config.perSecond > 0) || !Number.isFinite(config.perSecond)) throw new Error('rate limit perSecond must be a positive number');
  if (!Number.isInteger(config.burst) || config.burst < 1) throw new Error('rate limit burst must be a positive integer');
  return { max: config.burst, timeWindowMs: Math.max(1, Math.round((config.burst / config.perSecond) * 1000)) };
}

/**
 * Per-token rate limiting: requests that carry a principal (set by the auth hook, which runs first: the
 * plugin's hook is a route hook) count against their token (`jti`, else a hash of it); open routes and
 * refused tokens count against nothing. Over the limit: 429 RATE_LIMITED with `Retry-After` and the
 * `RateLimit-Limit` / `-Remaining` / `-Reset` headers (IETF draft) on every limited route's answer.
 */
export function installRateLimit(app: FastifyInstance, config: RateLimitConfig, options: { onLimited?: () => void } = {}): void {
  const { max, timeWindowMs } = rateLimitWindow(config);
  app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    max,
    timeWindow: timeWindowMs,
    cache: config.maxTokens ?? 100_000,
    ...(config.store ? { store: config.store } : {}),
    // A store that does not answer lets requests through rather than failing them.
    skipOnError: true,
    enableDraftSpec: true,
    keyGenerator: (request: FastifyRequest) => request.principal?.tokenId ?? '',
    allowList: (request: FastifyRequest) => request.principal === undefined,
    onExceeded: () => options.onLimited?.(),
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError(429, 'RATE_LIMITED', `Too many requests for this token; retry in ${seconds} s`, undefined, {
        'retry-after': String(seconds),
      });
    },
  });
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The responses every operation may give besides its own, as components of the document. */
const standardResponses: Record<string, { name: string; description: string }> = {
  '400': { name: 'ValidationFailed', description: 'Invalid request' },
  '401': { name: 'Unauthorized', description: 'Missing or invalid bearer token' },
  '403': { name: 'Forbidden', description: 'The token does not allow this' },
  '429': { name: 'RateLimited', description: 'Rate limited' },
  '500': { name: 'InternalError', description: 'Internal error' },
  // The key set cannot be fetched (AUTH_UNAVAILABLE) or the orders database does not answer (DATABASE_UNAVAILABLE):
  // retry after the Retry-After header's seconds.
  '503': { name: 'Unavailable', description: 'A service it needs does not answer; retry after Retry-After seconds' },
};

/** What swagger calls "Default Response", named by its status. */
const statusText: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '400': 'Invalid request',
  '404': 'Not found',
  '409': 'Conflict',
  '503': 'Unavailable',
};

const operationIdOf = (method: string, url: string): string =>
  method.toLowerCase() +
  url
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

/** The docs' own CSP: Swagger UI's scripts and styles, from this origin only. */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'";

export const DOCS_PREFIX = '/docs';

/**
 * The OpenAPI document and the docs UI. Register before the routes (the document collects them as they are
 * declared). Routes under /docs are open; every other route's operation says whether it needs the bearer
 * token (`config.public`, the rule the auth hook applies), and carries the standard error responses.
 */
export function installDocs(app: FastifyInstance, info: OpenApiInfo): void {
  // Shared schemas become components named by their $id, so `$ref: 'order#'` reads `#/components/schemas/order`.
  const refResolver = {
    buildLocalReference: (json: Json, _baseUri: unknown, _fragment: unknown, i: number) =>
      typeof json.$id === 'string' ? json.$id : `def-${i}`,
  };

  app.addHook('onRoute', (route) => {
    if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) route.config = { ...(route.config ?? {}), public: true };
  });

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    refResolver,
    // Each operation: its security (open or bearer), an operationId, and which standard errors it may answer.
    transform: ({ schema, url, route }) => {
      const secured = (route.config as { public?: boolean } | undefined)?.public !== true;
      const own = (schema ?? {}) as Json;
      const method = [route.method].flat()[0] ?? 'get';
      return {
        url,
        schema: {
          ...own,
          operationId: typeof own.operationId === 'string' ? own.operationId : operationIdOf(method, url),
          security: secured ? [{ bearerAuth: [] }] : [],
        },
      };
    },
    transformObject: (documentObject) => {
      const document = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as Json & {
        paths?: Record<string, Record<string, Json>>;
        components?: Json;
      };
      const components = (document.components ??= {}) as Json;
      components.schemas = { Error: errorResponseSchema, ...((components.schemas as Json | undefined) ?? {}) };
      components.responses = Object.fromEntries(
        Object.values(standardResponses).map(({ name, description }) => [
          name,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      );
      for (const operations of Object.values(document.paths ?? {})) {
        for (const operation of Object.values(operations)) {
          if (!isObject(operation)) continue;
          const responses = (operation.responses ??= {}) as Json;
          for (const [status, response] of Object.entries(responses)) {
            if (isObject(response) && response.description === 'Default Response')
              response.description = statusText[status] ?? `Status ${status}`;
          }
          const secured = Array.isArray(operation.security) && operation.security.length > 0;
          const takesInput =
            (Array.isArray(operation.parameters) && operation.parameters.length > 0) || operation.requestBody !== undefined;
          for (const status of [
            ...(takesInput ? ['400'] : []),
            ...(secured ? ['401', '403', '429'] : []),
            '500',
            ...(secured ? ['503'] : []),
          ]) {
            responses[status] ??= { $ref: `#/components/responses/${standardResponses[status]!.name}` };
          }
        }
      }
      return document;
    },
  });
  app.register(async (ui) => {
    // The docs' own policy on what the docs serve; an error keeps the API's, so that a /docs path refused on the
    // public port (admin-port.ts) answers exactly as a path that does not exist.
    ui.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode < 400) reply.header('content-security-policy', DOCS_CSP);
      return payload;
    });
    await ui.register(fastifySwaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: { validatorUrl: null, deepLinking: true },
      theme: { title: info.title },
    });
  });
  app.register(async (docs) => {
    docs.get(`${DOCS_PREFIX}/openapi.json`, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(docs.swagger()),
    );
  });
}
