import t from 'tap';
import { type NonceClaim, NonceCache, type NonceStore } from '../../../connectors/nonce-cache.js';
import { NonceStoreUnavailableError } from '../../../connectors/redis-nonce-store.js';
import { signWebhook } from '../../../connectors/signature.js';
import { buildWebhookServer, type WebhookServerOptions, WEBHOOK_ROUTES } from '../../../connectors/webhook-server.js';
import { PublishError, type PublishRecord, type WebhookPublisher } from '../../../connectors/webhook-publisher.js';
import { capturingLogger, until } from './helpers.js';

const secrets = { slick: 'slick-secret-0123456789', grab: 'grab-secret-0123456789', pmp: 'pmp-secret-0123456789' };
const NOW = 1_790_000_000_000;

function stubPublisher() {
  const published: PublishRecord[] = [];
  let failWith: Error | undefined;
  let hang = false;
  let held: Array<() => void> = [];
  let holding = false;
  const publisher: WebhookPublisher = {
    publish: async (record) => {
      if (hang) return new Promise(() => undefined);
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      if (failWith) throw failWith;
      published.push(record);
      return { partition: 0 };
    },
    readiness: () => (failWith ? { ready: false, reason: failWith.message } : { ready: true }),
    close: async () => undefined,
  };
  return {
    publisher,
    published,
    fail: (error: Error | undefined) => (failWith = error),
    hang: () => (hang = true),
    /** Publishes wait until `letGo()`. */
    hold: () => (holding = true),
    letGo: () => {
      holding = false;
      for (const resolve of held) resolve();
      held = [];
    },
    waiting: () => held.length,
  };
}

function server(options: Partial<WebhookServerOptions> = {}) {
  const stub = stubPublisher();
  const log = capturingLogger();
  const app = buildWebhookServer({
    secrets,
    publisher: stub.publisher,
    now: () => NOW,
    produceTimeoutMs: 1000,
    logger: log.logger,
    ...options,
  });
  return { app, ...stub, log };
}

const pmp = { EventID: 'PMP-1', OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', At: '2026-11-21T09:15:00Z' };

function signed(body: string, secret = secrets.pmp, nonce?: string) {
  return { 'content-type': 'application/json', ...signWebhook(secret, body, { timestamp: NOW / 1000, ...(nonce ? { nonce } : {}) }) };
}

t.test('an accepted event is published (key ShipFromLocationID, JSON record) before the 202', async (t) => {
  const { app, published } = server();
  const body = JSON.stringify(pmp);
  const response = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: signed(body), payload: body });
  t.equal(response.statusCode, 202);
  t.same(response.json(), { accepted: true, eventId: 'PMP-1' });
  t.equal(published.length, 1);
  t.equal(published[0]!.topic, 'delivery.status.v1');
  t.equal(published[0]!.key, 'QC0042');
  t.equal(published[0]!.timestamp, NOW);
  t.same(JSON.parse(published[0]!.value.toString()), {
    ...pmp,
    Partner: 'PMP',
    Status: 'DELIVERED',
    CollectedAmount: null,
    ConfirmedBy: null,
    Reference: null,
    Note: null,
  });
  t.equal(response.headers['x-content-type-options'], 'nosniff', 'security headers');
  t.equal(response.headers['cache-control'], 'no-store');
});

t.test('a failed or timed-out produce answers 503 PRODUCE_FAILED, releases the nonce, and is counted', async (t) => {
  const { app, published, fail } = server();
  const body = JSON.stringify(pmp);
  const headers = signed(body, secrets.pmp, 'retry-nonce-1');
  fail(new Error('broker down'));
  const failed = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers, payload: body });
  t.equal(failed.statusCode, 503);
  t.equal(failed.json().error.code, 'PRODUCE_FAILED');
  t.equal(failed.headers['retry-after'], '1');
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 503, 'not ready while the publisher is failing');
  fail(undefined);
  const retried = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers, payload: body });
  t.equal(retried.statusCode, 202, 'the identical request is accepted on retry: nothing was accepted the first time');
  t.equal(published.length, 1);
  const replayed = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers, payload: body });
  t.equal(replayed.statusCode, 409, 'once accepted, the nonce is spent');

  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /omnia_webhook_accepted_total\{partner="pmp",secret="current"\} 1/);
  t.match(metrics, /omnia_webhook_rejected_total\{partner="pmp",code="PRODUCE_FAILED"\} 1/);
  t.match(metrics, /omnia_webhook_rejected_total\{partner="pmp",code="NONCE_REPLAYED"\} 1/);
  t.match(metrics, /omnia_webhook_produce_seconds_count\{topic="delivery.status.v1"\} 2/);
  t.match(metrics, /omnia_webhook_nonces 1/);

  const slow = server({ produceTimeoutMs: 50 });
  slow.hang();
  const timedOut = await slow.app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: signed(body), payload: body });
  t.equal(timedOut.statusCode, 503);
  t.equal(timedOut.json().error.code, 'PRODUCE_FAILED');
});

t.test('transport errors keep the JSON error shape: wrong media type, oversize body, unknown route; health', async (t) => {
  const { app, published } = server();
  const body = JSON.stringify(pmp);
  const text = await app.inject({
    method: 'POST',
    url: WEBHOOK_ROUTES.pmpDelivered.url,
    headers: { ...signed(body), 'content-type': 'text/plain' },
    payload: body,
  });
  t.equal(text.statusCode, 415);
  t.equal(text.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
  const big = JSON.stringify({ ...pmp, Padding: 'x'.repeat(300 * 1024) });
  const tooBig = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: signed(big), payload: big });
  t.equal(tooBig.statusCode, 413);
  t.equal(tooBig.json().error.code, 'PAYLOAD_TOO_LARGE');
  const wrongMethod = await app.inject({ method: 'GET', url: WEBHOOK_ROUTES.pmpDelivered.url });
  t.equal(wrongMethod.statusCode, 404);
  t.equal(wrongMethod.json().error.code, 'NOT_FOUND');
  const empty = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: signed('') });
  t.equal(empty.statusCode, 400, 'a signed empty body');
  t.equal(empty.json().error.code, 'MALFORMED_JSON');
  t.equal(published.length, 0);
  t.same((await app.inject({ url: '/health/live' })).json(), { live: true });
  t.same((await app.inject({ url: '/health/ready' })).json(), { ready: true });
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /omnia_webhook_rejected_total\{partner="pmp",code="HTTP_415"\} 1/, 'refusals before the handler are counted by status');
});

t.test('request ids: a usable X-Request-Id is kept, returned and on every log line of the request; otherwise a new one', async (t) => {
  const { app, log } = server();
  const body = JSON.stringify(pmp);
  const given = await app.inject({
    method: 'POST',
    url: WEBHOOK_ROUTES.pmpDelivered.url,
    headers: { ...signed(body), 'x-request-id': 'partner-req-42' },
    payload: body,
  });
  t.equal(given.statusCode, 202);
  t.equal(given.headers['x-request-id'], 'partner-req-42', 'returned as sent');
  const mine = log.lines.filter((line) => line.reqId === 'partner-req-42');
  t.ok(
    mine.some((line) => line.msg === 'request done'),
    'the access lines carry it',
  );

  const none = await app.inject({
    method: 'POST',
    url: WEBHOOK_ROUTES.pmpDelivered.url,
    headers: signed(body, secrets.pmp, 'second-nonce-1'),
    payload: body,
  });
  t.match(none.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a UUID when none was sent');
  const hostile = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id\nforged: line' } });
  t.match(hostile.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'replaced when it is not a plain token');
  const refused = await app.inject({
    method: 'POST',
    url: WEBHOOK_ROUTES.pmpDelivered.url,
    headers: { 'content-type': 'application/json', 'x-request-id': 'r-401' },
    payload: body,
  });
  t.equal(refused.statusCode, 401);
  t.equal(refused.headers['x-request-id'], 'r-401', 'on refusals too');
});

t.test(
  'a failed produce leaves one warn line with partner, order, event, topic, partition and the error; no secret or signature is logged',
  async (t) => {
    const { app, fail, log } = server();
    const body = JSON.stringify(pmp);
    const headers = signed(body, secrets.pmp, 'log-nonce-1');
    fail(new PublishError('delivery.status.v1', 2, new Error('NOT_ENOUGH_REPLICAS')));
    const failed = await app.inject({
      method: 'POST',
      url: WEBHOOK_ROUTES.pmpDelivered.url,
      headers: { ...headers, 'x-request-id': 'r-503' },
      payload: body,
    });
    t.equal(failed.statusCode, 503);
    const warnings = log.lines.filter((line) => line.level === 'warn' || line.level === 'error');
    t.equal(warnings.length, 1, 'one line, not one more from the error handler');
    t.match(warnings[0], {
      level: 'warn',
      reqId: 'r-503',
      partner: 'pmp',
      OrderID: 'QC0042-000123',
      EventID: 'PMP-1',
      ShipFromLocationID: 'QC0042',
      topic: 'delivery.status.v1',
      partition: 2,
      err: { type: 'PublishError', message: /NOT_ENOUGH_REPLICAS/, stack: /PublishError/ },
    });
    const text = log.text();
    t.notMatch(text, new RegExp(secrets.pmp), 'no partner secret');
    t.notMatch(text, new RegExp(headers['X-Omnia-Signature'].replace('sha256=', '')), 'no signature');
  },
);

t.test('the produce timeout fires: 503 PRODUCE_FAILED at the deadline, logged as a timeout', async (t) => {
  const { app, hang, log } = server({ produceTimeoutMs: 80 });
  hang();
  const body = JSON.stringify(pmp);
  const started = Date.now();
  const response = await app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: signed(body), payload: body });
  const elapsed = Date.now() - started;
  t.equal(response.statusCode, 503);
  t.equal(response.json().error.code, 'PRODUCE_FAILED');
  t.ok(elapsed >= 75 && elapsed < 1_000, `answered at the 80 ms deadline (${elapsed} ms)`);
  t.match(
    log.lines.find((line) => line.level === 'warn'),
    { msg: /no acks within 80 ms/, partner: 'pmp', OrderID: 'QC0042-000123', err: { message: /timed out/ } },
  );
});

const post = (app: ReturnType<typeof server>['app'], request: { body: string; headers: Record<string, string> }) =>
  app.inject({ method: 'POST', url: WEBHOOK_ROUTES.pmpDelivered.url, headers: request.headers, payload: request.body });
const request = (body: string, nonce: string, secret = secrets.pmp) => ({ body, headers: signed(body, secret, nonce) });

/** A NonceCache whose claim answers are lost on demand: the claim is made, the caller is told the store did not answer. */
function lossyNonces() {
  const cache = NonceCache.forWindow(300, 100);
  let loseAnswers = false;
  let refuseReleases = false;
  const store: NonceStore = {
    claim: (claim: NonceClaim, nowMs: number) => {
      const result = cache.claim(claim, nowMs);
      if (loseAnswers) throw new NonceStoreUnavailableError(new Error('Operation timed out after 150ms'));
      return result;
    },
    spend: (claim) => cache.spend(claim),
    release: (claim) => {
      if (refuseReleases) throw new NonceStoreUnavailableError(new Error('connection lost'));
      cache.release(claim);
    },
    get size() {
      return cache.size;
    },
  };
  return {
    store,
    cache,
    loseAnswers: (on: boolean) => (loseAnswers = on),
    refuseReleases: (on: boolean) => (refuseReleases = on),
  };
}

t.test('a claim made but answered too late: the identical retry is accepted once, published once, never 409', async (t) => {
  const nonces = lossyNonces();
  const { app, published } = server({ nonces: nonces.store });
  const first = request(JSON.stringify(pmp), 'late-answer-1');
  nonces.loseAnswers(true);
  const unavailable = await post(app, first);
  t.equal(unavailable.statusCode, 503);
  t.equal(unavailable.json().error.code, 'NONCE_STORE_UNAVAILABLE');
  nonces.loseAnswers(false);
  const retried = await post(app, first);
  t.equal(retried.statusCode, 202, 'the partner’s identical retry is accepted: the unanswered claim was given back');
  t.equal(published.length, 1);
  t.equal((await post(app, first)).statusCode, 409, 'once accepted, the nonce is spent');
  const reused = request(JSON.stringify({ ...pmp, EventID: 'PMP-2' }), 'late-answer-1');
  t.equal((await post(app, reused)).json().error.code, 'NONCE_REPLAYED', 'other bytes under the same nonce are a replay');
  t.equal(published.length, 1);
});

t.test('a claim left behind (not even given back): the identical retry waits out its lease with 503, then is accepted once', async (t) => {
  const nonces = lossyNonces();
  let clock = NOW;
  const { app, published } = server({ nonces: nonces.store, now: () => clock, nonceLeaseMs: 2_000 });
  const first = request(JSON.stringify(pmp), 'left-behind-1');
  nonces.loseAnswers(true);
  nonces.refuseReleases(true);
  t.equal((await post(app, first)).json().error.code, 'NONCE_STORE_UNAVAILABLE');
  nonces.loseAnswers(false);
  nonces.refuseReleases(false);
  const waiting = await post(app, first);
  t.equal(waiting.statusCode, 503, 'while the lease of the lost attempt runs');
  t.equal(waiting.json().error.code, 'NONCE_IN_PROGRESS');
  t.equal(waiting.headers['retry-after'], '1');
  const reused = request(JSON.stringify({ ...pmp, EventID: 'PMP-2' }), 'left-behind-1');
  t.equal((await post(app, reused)).json().error.code, 'NONCE_REPLAYED', 'other bytes under the held nonce: 409, not 503');
  clock += 2_000;
  t.equal((await post(app, first)).statusCode, 202, 'the lease over: taken over and accepted');
  t.equal(published.length, 1);
  clock += 10_000;
  t.equal((await post(app, first)).statusCode, 409, 'spent, however long after');
  t.equal(published.length, 1);
});

t.test('concurrent identical requests publish once: the second is told 503 NONCE_IN_PROGRESS while the first is handled', async (t) => {
  const { app, published, hold, letGo, waiting } = server();
  const same = request(JSON.stringify(pmp), 'concurrent-1');
  hold();
  const first = post(app, same);
  await until('the first to reach the publisher', () => waiting() === 1);
  const second = await post(app, same);
  t.equal(second.statusCode, 503);
  t.equal(second.json().error.code, 'NONCE_IN_PROGRESS');
  letGo();
  t.equal((await first).statusCode, 202);
  t.equal(published.length, 1, 'published once');
  t.equal((await post(app, same)).statusCode, 409, 'the second’s retry after the first was accepted: a replay');
  t.equal(published.length, 1);
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /omnia_webhook_rejected_total\{partner="pmp",code="NONCE_IN_PROGRESS"\} 1/);
});

t.test('a refused body spends its nonce: the same bytes again are a replay, not a request in progress', async (t) => {
  const { app, published } = server();
  const bad = request(JSON.stringify({ ...pmp, At: 'yesterday' }), 'refused-body-1');
  const refused = await post(app, bad);
  t.equal(refused.statusCode, 400);
  t.equal(refused.json().error.code, 'VALIDATION_FAILED');
  t.equal((await post(app, bad)).json().error.code, 'NONCE_REPLAYED');
  t.equal(published.length, 0);
});

t.test('rotation: the current and the previous secret are both accepted, counted by which one signed', async (t) => {
  const rotating = { ...secrets, pmp: { current: 'pmp-secret-new-0123456789', previous: secrets.pmp } };
  const { app, published, log } = server({ secrets: rotating });
  const withCurrent = await post(app, request(JSON.stringify(pmp), 'rotation-1', rotating.pmp.current));
  const withPrevious = await post(app, request(JSON.stringify({ ...pmp, EventID: 'PMP-2' }), 'rotation-2', rotating.pmp.previous));
  t.equal(withCurrent.statusCode, 202, 'signed with the current secret');
  t.equal(withPrevious.statusCode, 202, 'signed with the previous secret');
  t.equal(published.length, 2);
  const other = await post(app, request(JSON.stringify({ ...pmp, EventID: 'PMP-3' }), 'rotation-3', secrets.grab));
  t.equal(other.json().error.code, 'SIGNATURE_INVALID', 'any other secret is still refused');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /omnia_webhook_accepted_total\{partner="pmp",secret="current"\} 1/);
  t.match(metrics, /omnia_webhook_accepted_total\{partner="pmp",secret="previous"\} 1/);
  t.match(
    log.lines.find((line) => /previous webhook secret/.test(line.msg)),
    { level: 'info', partner: 'pmp' },
    'said at start',
  );
  t.notMatch(log.text(), new RegExp(`${rotating.pmp.current}|${secrets.pmp}`), 'neither secret is logged');

  const onlyCurrent = server({ secrets: { ...secrets, pmp: { current: rotating.pmp.current } } });
  const old = await post(onlyCurrent.app, request(JSON.stringify(pmp), 'rotation-4', secrets.pmp));
  t.equal(old.json().error.code, 'SIGNATURE_INVALID', 'the previous secret unset: refused');
  t.equal(onlyCurrent.log.lines.filter((line) => /previous webhook secret/.test(line.msg)).length, 0);
});

t.test('an empty secret refuses to start, current or previous', async (t) => {
  t.throws(() => server({ secrets: { ...secrets, grab: '' } }), /no secret for grab/);
  t.throws(() => server({ secrets: { ...secrets, grab: { current: '' } } }), /no secret for grab/);
  t.throws(() => server({ secrets: { ...secrets, grab: { current: secrets.grab, previous: '' } } }), /previous secret of grab is empty/);
});
