/**
 * A request wrong in several parts hears of every failing field in one 400: Fastify stops at the first part that
 * fails (params, then body, querystring, headers); the error handler checks the others against their schemas too.
 */
import Fastify from 'fastify';
import t from 'tap';
import { installErrorHandlers } from '../../../query-service/errors.js';

async function app() {
  const server = Fastify({ ajv: { customOptions: { allErrors: true } } });
  installErrorHandlers(server);
  server.post(
    '/orders/:orderId/cancel',
    {
      schema: {
        params: { type: 'object', properties: { orderId: { type: 'string', maxLength: 10 } } },
        querystring: { type: 'object', properties: { dryRun: { type: 'boolean' } } },
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 8 } } },
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string' } } },
      },
    },
    async () => ({ ok: true }),
  );
  await server.ready();
  return server;
}

interface Answer {
  error: { code: string; message: string; details: Array<{ location: string; field: string }> };
}

t.test('every failing part is listed, whichever Fastify refused first', async (t) => {
  const server = await app();
  t.teardown(() => server.close());
  const answer = await server.inject({
    method: 'POST',
    url: '/orders/ORDER-ID-FAR-TOO-LONG/cancel?dryRun=perhaps',
    headers: { 'idempotency-key': 'short' },
    payload: { note: 'no reason given' }, // unknown properties are dropped (Fastify's removeAdditional), not refused
  });
  t.equal(answer.statusCode, 400);
  const { error } = answer.json<Answer>();
  t.equal(error.code, 'VALIDATION_FAILED');
  t.same(
    error.details.map(({ location, field }) => `${location}.${field}`).sort(),
    ['body.reason', 'headers.idempotency-key', 'params.orderId', 'querystring.dryRun'],
    'params, body, querystring and headers: each failing field once',
  );
  t.equal(error.message, 'Invalid params, body, querystring, headers: orderId, reason, dryRun, idempotency-key');
});

t.test('one failing part: only its fields, and the message names only it', async (t) => {
  const server = await app();
  t.teardown(() => server.close());
  const answer = await server.inject({
    method: 'POST',
    url: '/orders/O-1/cancel?dryRun=true',
    headers: { 'idempotency-key': 'long-enough-key' },
    payload: {},
  });
  t.equal(answer.statusCode, 400);
  const { error } = answer.json<Answer>();
  t.same(
    error.details.map(({ location, field }) => `${location}.${field}`),
    ['body.reason'],
  );
  t.equal(error.message, 'Invalid body: reason');
  const ok = await server.inject({
    method: 'POST',
    url: '/orders/O-1/cancel?dryRun=true',
    headers: { 'idempotency-key': 'long-enough-key' },
    payload: { reason: 'customer asked' },
  });
  t.equal(ok.statusCode, 200, 'a valid request still passes');
});
