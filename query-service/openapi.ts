/**
 * The OpenAPI 3.1 document, generated from the route schemas Fastify validates with — one source for both.
 * An `onRoute` hook collects every route as it is registered (method, url, schema, whether it needs a token);
 * the document is built once, on first request, after all routes exist. `/docs` is a plain HTML index of the
 * operations (no scripts, nothing external), `/docs/openapi.json` the document.
 *
 * OpenAPI 3.1 schemas are JSON Schema, so route schemas go in unchanged, except: shared schemas (`addSchema`)
 * become `components.schemas` and `$ref: 'order#'` becomes `#/components/schemas/order`; `$id` is dropped.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorResponseSchema } from './errors.js';

declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
    operationId?: string;
    deprecated?: boolean;
    /** Left out of the OpenAPI document. */
    hide?: boolean;
  }
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type Json = Record<string, unknown>;

interface CollectedRoute {
  method: string;
  path: string;
  schema: Json;
  secured: boolean;
  shared: Record<string, unknown>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'patch', 'trace']);
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `/orders/:orderId(^\\d+$)` → `/orders/{orderId}`; a trailing slash of a prefix route is dropped. */
export const openApiPath = (url: string): string => {
  const path = url.replace(/:([A-Za-z0-9_]+)(\((?:\\.|[^\\)])*\))?/g, '{$1}').replace(/\*$/, '{wildcard}');
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
};

const statusText: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '2xx': 'Success',
  '400': 'Invalid request',
  '401': 'Missing or invalid bearer token',
  '403': 'The token does not allow this',
  '404': 'Not found',
  '429': 'Rate limited',
  '500': 'Internal error',
  '503': 'Unavailable',
};

export class OpenApiCollector {
  private readonly routes: CollectedRoute[] = [];
  private cached: Json | undefined;

  /** `secured(route)` says whether the route needs a bearer token (the same rule the auth hook applies). */
  constructor(private readonly secured: (route: RouteOptions) => boolean) {}

  /** For `app.addHook('onRoute', …)`; `shared` are the schemas `addSchema` made visible to the route. */
  collect(route: RouteOptions, shared: Record<string, unknown>): void {
    const schema = (route.schema ?? {}) as Json;
    if (schema.hide === true) return;
    for (const method of [route.method].flat()) {
      const lower = method.toLowerCase();
      if (!METHODS.has(lower)) continue; // HEAD (added for every GET) and WebDAV verbs are not documented
      const path = openApiPath(route.url);
      if (this.routes.some((known) => known.method === lower && known.path === path)) continue;
      this.routes.push({ method: lower, path, schema, secured: this.secured(route), shared });
    }
    this.cached = undefined;
  }

  document(info: OpenApiInfo): Json {
    if (this.cached) return this.cached;
    const components: Json = {};
    const operationIds = new Set<string>();
    const paths: Record<string, Json> = {};
    for (const route of this.routes) {
      const refs = new RefRewriter(route.shared, components);
      const operation = this.operation(route, refs);
      let operationId = typeof route.schema.operationId === 'string' ? route.schema.operationId : defaultOperationId(route.method, route.path);
      for (let n = 2; operationIds.has(operationId); n++) operationId = `${operationId}${n}`;
      operationIds.add(operationId);
      (paths[route.path] ??= {})[route.method] = { operationId, ...operation };
    }
    this.cached = {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        schemas: { Error: stripIds(structuredClone(errorResponseSchema)), ...components },
        responses: Object.fromEntries(
          ['400', '401', '403', '429', '500'].map((status) => [
            standardResponse[status],
            { description: statusText[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    };
    return this.cached;
  }

  private operation(route: CollectedRoute, refs: RefRewriter): Json {
    const { schema } = route;
    const operation: Json = {};
    for (const key of ['summary', 'description', 'tags', 'deprecated'] as const) if (schema[key] !== undefined) operation[key] = schema[key];

    const parameters = [
      ...parametersOf(schema.params, 'path', refs),
      ...parametersOf(schema.querystring ?? schema.query, 'query', refs),
      ...parametersOf(schema.headers, 'header', refs).filter((parameter) => String(parameter.name).toLowerCase() !== 'authorization'),
    ];
    if (parameters.length > 0) operation.parameters = parameters;

    if (isObject(schema.body)) {
      const content = isObject(schema.body.content)
        ? mapValues(schema.body.content, (media) => (isObject(media) ? { ...media, schema: refs.rewrite(media.schema) } : media))
        : { 'application/json': { schema: refs.rewrite(schema.body) } };
      operation.requestBody = { required: true, content };
    }

    const responses: Json = {};
    for (const [status, response] of Object.entries(isObject(schema.response) ? schema.response : {})) {
      const key = status.replace(/xx$/, 'XX');
      if (!isObject(response)) continue;
      const description = typeof response.description === 'string' ? response.description : statusText[status] ?? `Status ${status}`;
      responses[key] = isObject(response.content)
        ? { description, content: mapValues(response.content, (media) => (isObject(media) ? { ...media, schema: refs.rewrite(media.schema) } : media)) }
        : { description, content: { 'application/json': { schema: refs.rewrite(response) } } };
    }
    const hasRequestSchema = parameters.length > 0 || operation.requestBody !== undefined;
    const standard = [...(hasRequestSchema ? ['400'] : []), ...(route.secured ? ['401', '403', '429'] : []), '500'];
    for (const status of standard) responses[status] ??= { $ref: `#/components/responses/${standardResponse[status]}` };
    if (Object.keys(responses).every((status) => !/^2/.test(status))) responses['200'] = { description: 'OK' };
    operation.responses = responses;

    operation.security = route.secured ? [{ bearerAuth: [] }] : [];
    return operation;
  }
}

const standardResponse: Record<string, string> = { '400': 'ValidationFailed', '401': 'Unauthorized', '403': 'Forbidden', '429': 'RateLimited', '500': 'InternalError' };

const mapValues = (object: Json, map: (value: unknown) => unknown): Json => Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));

const defaultOperationId = (method: string, path: string): string =>
  method +
  path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

/** The properties of an object schema (params, querystring, headers) as OpenAPI parameters. */
function parametersOf(schema: unknown, location: 'path' | 'query' | 'header', refs: RefRewriter): Json[] {
  const resolved = refs.resolve(schema);
  if (!isObject(resolved)) return [];
  // Fastify also accepts a bare map of properties without `type: 'object'`.
  const properties = isObject(resolved.properties) ? resolved.properties : resolved.type === undefined && resolved.$ref === undefined ? resolved : {};
  const required = new Set(Array.isArray(resolved.required) ? (resolved.required as string[]) : []);
  return Object.entries(properties)
    .filter(([, property]) => isObject(property))
    .map(([name, property]) => {
      const { description, ...rest } = property as Json;
      return {
        name,
        in: location,
        required: location === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: refs.rewrite(rest),
      };
    });
}

const stripIds = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripIds);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== '$id').map(([key, child]) => [key, stripIds(child)]));
};

/** Rewrites references to shared schemas into `components.schemas`, adding each one used there. */
class RefRewriter {
  constructor(
    private readonly shared: Record<string, unknown>,
    private readonly components: Json,
  ) {}

  /** A `$ref` to a shared schema resolved to that schema (for parameter lists, which need the properties). */
  resolve(schema: unknown): unknown {
    if (isObject(schema) && typeof schema.$ref === 'string') {
      const [base] = schema.$ref.split('#');
      if (base && base in this.shared) return this.shared[base];
    }
    return schema;
  }

  rewrite(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map((item) => this.rewrite(item));
    if (!isObject(schema)) return schema;
    const out: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$id') continue;
      out[key] = key === '$ref' && typeof value === 'string' ? this.ref(value) : key === 'properties' && isObject(value) ? mapValues(value, (child) => this.rewrite(child)) : this.rewrite(value);
    }
    return out;
  }

  private ref(ref: string): string {
    const [base = '', fragment = ''] = ref.split('#');
    if (!base || !(base in this.shared)) return ref;
    const name = base.replace(/[^A-Za-z0-9._-]/g, '_');
    if (!(name in this.components)) {
      this.components[name] = {}; // placeholder first: a schema may refer to itself
      this.components[name] = this.rewrite(this.shared[base]);
    }
    return `#/components/schemas/${name}${fragment}`;
  }
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A page a person can read: every operation with its summary, and the link to the JSON. Loads nothing. */
export function docsPage(document: Json): string {
  const info = document.info as OpenApiInfo;
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(document.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const summary = isObject(operation) && typeof operation.summary === 'string' ? operation.summary : '';
      const lock = isObject(operation) && Array.isArray(operation.security) && operation.security.length > 0 ? 'bearer token' : 'open';
      rows.push(`<tr><td>${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(summary)}</td><td>${lock}</td></tr>`);
    }
  }
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title></head><body>`,
    `<h1>${escapeHtml(info.title)} ${escapeHtml(info.version)}</h1>`,
    info.description ? `<p>${escapeHtml(info.description)}</p>` : '',
    '<p>OpenAPI 3.1 document: <a href="/docs/openapi.json">/docs/openapi.json</a>. Routes under <code>/api/</code> need <code>Authorization: Bearer &lt;JWT&gt;</code>.</p>',
    '<table><thead><tr><th>method</th><th>path</th><th>summary</th><th>auth</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table></body></html>',
  ].join('\n');
}

/** `/docs` and `/docs/openapi.json`, both open and left out of the document themselves. */
export function installDocs(app: FastifyInstance, collector: OpenApiCollector, info: OpenApiInfo): void {
  const config = { public: true };
  app.get('/docs/openapi.json', { config, schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(collector.document(info)));
  app.get('/docs', { config, schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(collector.document(info))));
}
