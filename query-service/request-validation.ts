/**
 * Fastify checks a request's parts in turn — params, body, querystring, headers — and stops at the first that
 * fails, so a request wrong in its path and in its body would hear only of its path, be sent again and be refused
 * a second time. A caller fixing a request wants every failing field at once: when one part failed, the others
 * are checked against their route schemas too, and all the failures are answered in one 400.
 */
import type { FastifyRequest } from 'fastify';
import { type FieldError, fieldErrors } from './errors.js';

/** Each part as Fastify names it in `validationContext`, and where the request holds it. */
const PARTS = [
  ['params', 'params'],
  ['body', 'body'],
  ['querystring', 'query'],
  ['headers', 'headers'],
] as const;

interface Validator {
  (data: unknown, context?: { parentData: unknown; parentDataProperty: string }): boolean | PromiseLike<unknown>;
  errors?: Parameters<typeof fieldErrors>[1] | null;
  schemaEnv?: unknown;
}

interface ValidationFailure {
  validation?: Parameters<typeof fieldErrors>[1];
  validationContext?: string;
}

/** Every failing field of the request: the part Fastify refused, then any other part that breaks its schema. */
export function requestFieldErrors(request: FastifyRequest, error: ValidationFailure, fallbackLocation: string): FieldError[] {
  const failed = error.validationContext ?? fallbackLocation;
  const details = fieldErrors(failed, error.validation ?? []);
  for (const [part, property] of PARTS) {
    if (part === failed) continue;
    const validate = validatorOf(request, part);
    if (!validate) continue;
    const value = (request as unknown as Record<string, unknown>)[property];
    const data = value === undefined ? null : value;
    // As Fastify calls it: Ajv can only coerce a root value through its parent.
    const valid = validate.schemaEnv ? validate(data, { parentData: request, parentDataProperty: property }) : validate(data);
    if (valid === false) details.push(...fieldErrors(part, validate.errors ?? []));
  }
  return details;
}

/** `Invalid params, body: id, lines.0.qty`: the parts, then the fields. */
export function validationMessage(details: readonly FieldError[]): string {
  const parts = [...new Set(details.map((detail) => detail.location))].join(', ');
  return `Invalid ${parts}: ${[...new Set(details.map((detail) => detail.field))].join(', ')}`;
}

/** The route's compiled validator of a part; a body's is chosen by the request's media type, as Fastify does. */
function validatorOf(request: FastifyRequest, part: (typeof PARTS)[number][0]): Validator | undefined {
  const found = request.getValidationFunction(part) as unknown;
  if (typeof found === 'function') return found as Validator;
  if (part === 'body' && found && typeof found === 'object') {
    const byType = (found as Record<string, unknown>)[request.mediaType ?? ''];
    return typeof byType === 'function' ? (byType as Validator) : undefined;
  }
  return undefined;
}
