/**
 * Responses are checked against their route's response schema before they are serialized, with Ajv (the
 * validator Fastify checks requests with, same draft). A payload that does not match is never sent: the
 * request fails with 500 RESPONSE_INVALID and the mismatch is logged. Fastify's serializer alone would not
 * notice — it drops unknown fields and coerces wrong types — so a bug would reach clients as plausible data.
 *
 * A payload is checked as it is and, failing that, in its JSON form, so a Date where the schema says
 * `type: string, format: date-time` passes as the ISO string it is sent as.
 *
 * Errors this service produces itself (`errors.ts`) are not checked; a route's own 4xx bodies are.
 */
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, isErrorReply } from './errors.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$/i;

/** The formats route schemas are likely to use, as Fastify's validator understands them. */
const formats: Record<string, (value: string) => boolean> = {
  date: (value) => DATE.test(value),
  time: (value) => TIME.test(value),
  'date-time': (value) => {
    const [date, time] = value.split(/t|\s/i);
    return date !== undefined && time !== undefined && DATE.test(date) && TIME.test(time) && /(z|[+-]\d\d:\d\d)$/i.test(time);
  },
  uuid: (value) => /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value),
  email: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value),
  uri: (value) => /^[a-z][a-z0-9+.-]*:/i.test(value) && URL.canParse(value),
};

function newAjv(shared: Record<string, unknown>): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
  for (const [name, check] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate: check });
  addShared(ajv, shared);
  return ajv;
}

function addShared(ajv: Ajv, shared: Record<string, unknown>): void {
  for (const [id, schema] of Object.entries(shared)) if (!ajv.getSchema(id)) ajv.addSchema(schema as AnySchema, id);
}

/** The schema Fastify would serialize this status with: exact code, then `4xx`/`4XX`, then `default`. */
function schemaFor(responses: Record<string, unknown>, status: number, contentType: string | undefined): unknown {
  const code = String(status);
  const entry = responses[code] ?? responses[`${code[0]}xx`] ?? responses[`${code[0]}XX`] ?? responses.default;
  if (!isObject(entry) || !isObject(entry.content)) return entry;
  const media = contentType?.split(';')[0]?.trim() ?? 'application/json';
  const byMedia = entry.content[media] ?? entry.content['application/json'] ?? Object.values(entry.content)[0];
  return isObject(byMedia) ? byMedia.schema : undefined;
}

/**
 * The payload as JSON will carry it (a Date as its ISO string, anything with toJSON as that), for the second
 * look a payload gets when it fails as is; undefined when it cannot be JSON at all.
 */
const jsonForm = (payload: unknown): unknown => {
  try {
    return JSON.parse(JSON.stringify(payload) ?? 'null');
  } catch {
    return undefined;
  }
};

export function installResponseValidation(app: FastifyInstance): void {
  let ajv: Ajv | undefined;
  const compiled = new WeakMap<object, ValidateFunction>();

  const validatorFor = (request: FastifyRequest, schema: object): ValidateFunction => {
    let validate = compiled.get(schema);
    if (validate) return validate;
    const shared = request.server.getSchemas();
    ajv ??= newAjv({});
    addShared(ajv, shared);
    try {
      validate = ajv.compile(schema);
    } catch {
      // Two routes may give different schemas the same $id; such a schema gets an Ajv of its own.
      validate = newAjv(shared).compile(schema);
    }
    compiled.set(schema, validate);
    return validate;
  };

  app.addHook('preSerialization', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const responses = request.routeOptions.schema?.response;
    if (!isObject(responses) || isErrorReply(reply)) return payload;
    const schema = schemaFor(responses, reply.statusCode, reply.getHeader('content-type') as string | undefined);
    if (!isObject(schema) && typeof schema !== 'boolean') return payload;
    const validate = typeof schema === 'boolean' ? undefined : validatorFor(request, schema);
    if (schema === false || (validate && !validate(payload) && !validate(jsonForm(payload)))) {
      throw new ApiError(500, 'RESPONSE_INVALID', 'The service produced a response that does not match its schema', {
        route: `${request.method} ${request.routeOptions.url}`,
        status: reply.statusCode,
        errors: validate?.errors ?? [],
      });
    }
    return payload;
  });
}
