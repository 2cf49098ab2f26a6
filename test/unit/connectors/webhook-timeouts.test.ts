// The ingress's connection timeouts, on a real socket: a body (or headers) dribbled in is cut off — answered 408
// in the service's error shape, or closed — before it is complete, and nothing is published; a request waiting
// for its acks is not cut off by them; the settings reach Node's server, and a combination that would cut
// requests off refuses to start.
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { signWebhook } from '../../../connectors/signature.js';
import { buildWebhookServer, WEBHOOK_ROUTES } from '../../../connectors/webhook-server.js';
import type { PublishRecord, WebhookPublisher } from '../../../connectors/webhook-publisher.js';
import { connectionTimeoutOptions, DEFAULT_CONNECTION_TIMEOUTS } from '../../../connectors/webhook-timeouts.js';
import { capturingLogger, sleep, until } from './helpers.js';

const secrets = { slick: 'slick-secret-0123456789', grab: 'grab-secret-0123456789', pmp: 'pmp-secret-0123456789' };
const route = WEBHOOK_ROUTES.pmpDelivered;
const LIMITS = { headersTimeoutMs: 200, bodyTimeoutMs: 300 };

/** An ingress on a free port with small header and body limits; publishes wait while `holding`. */
async function listening(t: Test) {
  const published: PublishRecord[] = [];
  let release: (() => void) | undefined;
  let holding = false;
  const publisher: WebhookPublisher = {
    publish: async (record) => {
      if (holding) await new Promise<void>((resolve) => (release = resolve));
      published.push(record);
      return { partition: 0 };
    },
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
  const app = buildWebhookServer({ secrets, publisher, timeouts: LIMITS, produceTimeoutMs: 5_000, logger: capturingLogger().logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  return { app, port, published, hold: () => (holding = true), letGo: () => release?.(), held: () => release !== undefined };
}

function signedEvent(padding = 0) {
  const body = JSON.stringify({
    EventID: 'PMP-slow-1',
    OrderID: 'QC0042-000123',
    ShipFromLocationID: 'QC0042',
    At: '2026-11-21T09:15:00Z',
    Note: 'x'.repeat(padding),
  });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(secrets.pmp, body) } };
}

/**
 * Writes `head` at once, then `dribble` one byte every 10 ms until the server ends the connection (or all is
 * sent). Resolves with what the server answered and how many dribbled bytes were sent.
 */
function dribble(port: number, head: string, rest: string): Promise<{ answer: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined); // a reset is one way of being cut off
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, sent });
    });
    socket.write(head, () => {
      timer = setInterval(() => {
        if (socket.destroyed || sent >= rest.length) return clearInterval(timer);
        socket.write(rest[sent++]!);
      }, 10);
    });
  });
}

const headOf = (body: string, headers: Record<string, string>) =>
  `${route.method} ${route.url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
  `${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

t.test('a body dribbled in is cut off before it is complete: 408 in the error shape (or closed), nothing published', async (t) => {
  const { app, port, published } = await listening(t);
  const { body, headers } = signedEvent(2_000); // about 20 s to dribble whole
  const { answer, sent } = await dribble(port, headOf(body, headers), body);
  t.ok(sent < Buffer.byteLength(body), `the connection ended before the body was complete (${sent} of ${body.length} bytes sent)`);
  if (answer) {
    t.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'answered 408');
    t.match(answer, /\r\nconnection: close\r\n/i);
    t.same(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), {
      error: { code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' },
    });
  } else t.pass('closed without an answer');
  t.equal(published.length, 0, 'nothing published');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /omnia_webhook_rejected_total\{partner="pmp",code="REQUEST_TIMEOUT"\} 1/, 'counted for the route’s partner');
});

t.test('headers dribbled in are cut off before they are complete', async (t) => {
  const { port, published } = await listening(t);
  const { body, headers } = signedEvent();
  const head = headOf(body, { ...headers, 'x-padding': 'y'.repeat(2_000) });
  const { answer, sent } = await dribble(port, head.slice(0, 20), head.slice(20) + body);
  t.ok(sent < head.length - 20, `the connection ended before the headers were complete (${sent} bytes sent)`);
  t.ok(
    answer === '' || answer.startsWith('HTTP/1.1 408 Request Timeout\r\n'),
    `answered 408, or closed: ${JSON.stringify(answer.slice(0, 40))}`,
  );
  t.equal(published.length, 0);
});

t.test('the limits are on receiving: a request waiting for its acks longer than them is answered', async (t) => {
  const { port, published, hold, letGo, held } = await listening(t);
  hold();
  const { body, headers } = signedEvent();
  const answer = fetch(`http://127.0.0.1:${port}${route.url}`, { method: route.method, headers, body });
  await until('the event to reach the publisher', held);
  await sleep(4 * LIMITS.bodyTimeoutMs); // several checks of the deadlines pass meanwhile
  letGo();
  t.equal((await answer).status, 202);
  t.equal(published.length, 1);
});

t.test('the settings reach Node’s server; a combination that cuts requests off refuses to start', async (t) => {
  const publisher: WebhookPublisher = {
    publish: async () => ({ partition: 0 }),
    readiness: () => ({ ready: true }),
    close: async () => undefined,
  };
  const defaults = buildWebhookServer({ secrets, publisher, logger: capturingLogger().logger });
  t.teardown(() => defaults.close());
  t.match(defaults.server, { headersTimeout: 10_000, requestTimeout: 30_000, timeout: 60_000, keepAliveTimeout: 72_000 }, 'the defaults');
  const set = buildWebhookServer({
    secrets,
    publisher,
    produceTimeoutMs: 2_000,
    timeouts: { headersTimeoutMs: 1_000, bodyTimeoutMs: 4_000, idleTimeoutMs: 9_000, keepAliveTimeoutMs: 61_000 },
    logger: capturingLogger().logger,
  });
  t.teardown(() => set.close());
  t.match(set.server, { headersTimeout: 1_000, requestTimeout: 4_000, timeout: 9_000, keepAliveTimeout: 61_000 }, 'as configured');

  t.throws(
    () => connectionTimeoutOptions({ ...DEFAULT_CONNECTION_TIMEOUTS, headersTimeoutMs: 40_000 }, 10_000),
    /headers timeout .* body timeout/,
  );
  t.throws(
    () => connectionTimeoutOptions({ ...DEFAULT_CONNECTION_TIMEOUTS, idleTimeoutMs: 10_000 }, 10_000),
    /idle timeout .* produce timeout/,
  );
  t.throws(
    () => connectionTimeoutOptions({ ...DEFAULT_CONNECTION_TIMEOUTS, bodyTimeoutMs: 0 }, 10_000),
    /bodyTimeoutMs must be a positive/,
  );
});
