/**
 * One error shape for every failure the service answers: `{ error: { code, message, details? } }`.
 * Route code throws `ApiError`; Fastify's own errors (validation, bad JSON, body too large, unknown route) are
 * translated here; a database that does not answer is a 503 DATABASE_UNAVAILABLE; anything else is a 500 whose
 * message and stack stay in the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../postgres/sql.js';
import { requestFieldErrors, validationMessage } from './request-validation.js';

/** Retry-After of a DATABASE_UNAVAILABLE answer: about one readiness probe period. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Response headers that belong to this error (WWW-Authenticate, Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (message = 'Not found'): ApiError => new ApiError(404, 'NOT_FOUND', message);
export const forbidden = (message = 'Forbidden'): ApiError => new ApiError(403, 'FORBIDDEN', message);

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

/** The JSON Schema of every error response, for route schemas (`response: { 404: errorResponseSchema }`) and OpenAPI. */
export const errorResponseSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code, e.g. TOKEN_EXPIRED or VALIDATION_FAILED.' },
        message: { type: 'string' },
        details: { description: 'For VALIDATION_FAILED: the failing fields.' },
      },
    },
  },
} as const;

/** One failing field of a request: where it is, which field, what is wrong. */
export interface FieldError {
  location: string;
  field: string;
  message: string;
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/lines/0/qty` → `lines.0.qty`; a missing or extra property names itself. */
export function fieldErrors(location: string, errors: readonly AjvLikeError[]): FieldError[] {
  return errors.map((error) => {
    const path = (error.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    const params = error.params ?? {};
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') path.push(params.missingProperty);
    if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') path.push(params.additionalProperty);
    return { location, field: path.join('.') || '(root)', message: error.message ?? 'is invalid' };
  });
}

/** Replies that carry an error this module produced; response validation leaves them alone. */
const errorReplies = new WeakSet<FastifyReply>();
export const isErrorReply = (reply: FastifyReply): boolean => errorReplies.has(reply);

const clientCodes: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

export function sendError(
  reply: FastifyReply,
  status: number,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  errorReplies.add(reply);
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The error and not-found handlers of the whole service. */
export function installErrorHandlers(
  app: FastifyInstance,
  /** Answers a not-found request itself when it returns true (the web app's own paths). */
  fallback?: (request: FastifyRequest, reply: FastifyReply) => boolean,
): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) {
      if (error.statusCode >= 500) request.log.error({ err: error, details: error.details }, error.message);
      // Details of a server-side error (e.g. why a response broke its schema) are logged, never sent.
      const details = error.statusCode >= 500 ? undefined : error.details;
      return sendError(reply, error.statusCode, errorBody(error.code, error.message, details), error.headers);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const details = requestFieldErrors(request, fastifyError, 'request');
      return sendError(reply, 400, errorBody('VALIDATION_FAILED', validationMessage(details), details));
    }
    // A database that did not answer in time (postgres/timeouts.ts) or refused: the caller may retry shortly.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'the database did not answer');
      return sendError(
        reply,
        503,
        errorBody('DATABASE_UNAVAILABLE', 'The orders database does not answer at the moment; retry in a few seconds'),
        { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      );
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's client errors (bad JSON, body too large, wrong media type) have safe, useful messages.
      return sendError(reply, status, errorBody(clientCodes[status] ?? 'BAD_REQUEST', fastifyError.message));
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, errorBody('INTERNAL_ERROR', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return reply;
    return sendError(reply, 404, errorBody('NOT_FOUND', `No route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`));
  });
}
