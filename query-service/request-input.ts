/**
 * What every request's input must be before a route's schema sees it (app.ts installs this on the whole service):
 *
 * - **UTF-8.** A JSON body that is not UTF-8 is 400 INVALID_UTF8: Fastify's own parser reads it as text, each bad
 *   byte becoming U+FFFD, and the route would take a reason or a note nobody typed. A query parameter whose
 *   percent-encoding is not UTF-8 (`?q=%FF`) is 400 VALIDATION_FAILED naming it: the query parser keeps it as typed.
 *   (A path parameter so encoded is Fastify's 400 BAD_URL, app.ts.)
 * - **JSON only.** A body is read as JSON (`application/json`) or refused 415; Fastify's text/plain parser is taken
 *   out, so a text body is not read as a string that then fails "must be object".
 * - **Errors bounded by the schema, not the body.** Bodies are checked with every error reported (allErrors), so a
 *   list far over its `maxItems` would give one error per bad item: a 1 MB body of `[1.5, 1.5, …]` where objects go
 *   is 350,000 errors, seconds of CPU and an answer of tens of MB. Before validation, each list over its `maxItems`
 *   is cut to `maxItems + 1` items: it still fails `maxItems`, and says so, with the errors of the items kept.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, type FieldError } from './errors.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The query parameters whose name or value is not percent-encoded UTF-8. */
export function badlyEncodedParameters(url: string): FieldError[] {
  const at = url.indexOf('?');
  if (at < 0) return [];
  const problems: FieldError[] = [];
  for (const pair of url.slice(at + 1).split('&')) {
    if (!pair.includes('%')) continue;
    const [name = '', value = ''] = pair.split(/=(.*)/s);
    const decoded = (text: string) => {
      try {
        return decodeURIComponent(text.replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    };
    const field = decoded(name);
    if (field === undefined || decoded(value) === undefined)
      problems.push({
        location: 'querystring',
        field: field ?? name.slice(0, 100),
        message: 'is not percent-encoded UTF-8',
      });
  }
  return problems;
}

/**
 * `value` with each list over its schema's `maxItems` cut to `maxItems + 1` items, at every depth the schema
 * describes (properties and items); the same object when nothing is cut.
 */
export function clippedToSchema(value: unknown, schema: unknown): unknown {
  if (!isObject(schema)) return value;
  if (Array.isArray(value)) {
    const most = typeof schema.maxItems === 'number' ? schema.maxItems + 1 : undefined;
    const kept = most !== undefined && value.length > most ? value.slice(0, most) : value;
    const items = schema.items;
    if (!isObject(items)) return kept;
    let changed = kept !== value;
    const each = kept.map((item) => {
      const clipped = clippedToSchema(item, items);
      if (clipped !== item) changed = true;
      return clipped;
    });
    return changed ? each : value;
  }
  if (isObject(value) && isObject(schema.properties)) {
    let copy: Record<string, unknown> | undefined;
    for (const [name, property] of Object.entries(schema.properties)) {
      if (!Object.hasOwn(value, name)) continue;
      const clipped = clippedToSchema(value[name], property);
      if (clipped !== value[name]) (copy ??= { ...value })[name] = clipped;
    }
    return copy ?? value;
  }
  return value;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function installRequestInput(app: FastifyInstance): void {
  // JSON read from bytes that must be UTF-8, then parsed as Fastify would (its prototype-poisoning rules kept).
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = app.initialConfig;
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(new ApiError(400, 'INVALID_UTF8', 'The body is not valid UTF-8'), undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  app.addHook('preValidation', async (request: FastifyRequest) => {
    const badlyEncoded = badlyEncodedParameters(request.url);
    if (badlyEncoded.length)
      throw new ApiError(
        400,
        'VALIDATION_FAILED',
        `Invalid querystring: ${badlyEncoded.map((problem) => problem.field).join(', ')}`,
        badlyEncoded,
      );
    const schema = request.routeOptions.schema?.body;
    if (schema !== undefined && typeof request.body === 'object' && request.body !== null)
      request.body = clippedToSchema(request.body, schema);
  });
}
