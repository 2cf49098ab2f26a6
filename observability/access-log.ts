/**
 * One access-log line per HTTP request, instead of Fastify's two at info: at 1,000 lookups/s the two lines per
 * request doubled the query service's CPU per lookup (bench/query-service). Successes are `debug` (turn them on
 * with OMNIA_LOG_LEVEL=debug), refusals and failures `info` (a failure's cause is logged where it happens, with
 * its stack); each line carries the request id.
 */
import { type FastifyInstance, LogController } from 'fastify';

/**
 * The URL as logged: a customer's tracking link carries the token that opens the order's progress, so its token
 * is left out of the log (anyone who reads the logs could otherwise open every logged order).
 */
export const loggedUrl = (url: string): string => url.replace(/(^|\/)track\/[^/?#]+/, '$1track/<token>');

/** Fastify's own two lines per request off; `accessLog` writes the one. */
export const quietRequests = (): LogController => new LogController({ disableRequestLogging: true });

export function accessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    // Failures are logged where they happen, with their stack; this line only records that the request ended.
    const level = status >= 400 ? 'info' : 'debug';
    request.log[level](
      { method: request.method, url: loggedUrl(request.url), statusCode: status, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request done',
    );
  });
}
