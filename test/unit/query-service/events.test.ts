import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import type { StatusChange } from '../../../processors/domain/types.js';
import { devToken } from '../../../query-service/app.js';
import { eventsRoutes, type EventsRoutesOptions } from '../../../query-service/events-routes.js';
import { StatusFeed, type StatusFeedEvent } from '../../../query-service/status-feed.js';
import { bearer, hs256, T0, testService, wrongSecurityHeaders } from './helpers.js';
import { SseClient } from './sse-client.js';

const token = (claims: Parameters<typeof devToken>[1]) => bearer(devToken(hs256, claims, T0));
const admin = token({ sub: 'admin', roles: ['admin'] });
const coordinator = token({ sub: 'coordinator', roles: ['regional_coordinator'] });
const storeS001 = token({ sub: 'staff-1', roles: ['store_staff'], stores: ['S001'] });
const storesS001S003 = token({ sub: 'manager-13', roles: ['store_manager'], stores: ['S001', 'S003'] });

let sequence = 0;
const change = (store: string, overrides: Partial<StatusChange> = {}): StatusChange => ({
  OrderID: `O-${++sequence}`,
  ShipFromLocationID: store,
  FromStatus: 1000,
  ToStatus: 2000,
  Reason: 'allocated',
  Source: 'allocate',
  At: new Date(T0 + sequence * 1000).toISOString(),
  Actor: null,
  ...overrides,
});

async function serve(t: Test, options: EventsRoutesOptions & { maxBuffered?: number } = {}) {
  const registry = new Registry();
  const feed = new StatusFeed({ registry, maxBuffered: options.maxBuffered ?? 1000, log: () => undefined });
  const { app } = testService({ registry, routes: [eventsRoutes(feed, options)], rateLimit: { perSecond: 1000, burst: 1000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`;
  const clients: SseClient[] = [];
  const connect = async (headers: Record<string, string>, query = '') => {
    const client = await SseClient.connect(base + query, headers);
    clients.push(client);
    return client;
  };
  t.teardown(async () => {
    for (const client of clients) client.close();
    await app.close();
  });
  return { app, feed, registry, connect };
}

t.test('a status change reaches the stream as event: status with an id and its data; headers, retry and heartbeats', async (t) => {
  const { feed, connect } = await serve(t, { heartbeatMs: 30 });
  const client = await connect(admin);
  t.equal(client.status, 200);
  t.equal(client.headers['content-type'], 'text/event-stream; charset=utf-8');
  t.equal(client.headers['cache-control'], 'no-store');
  t.equal(client.headers['x-accel-buffering'], 'no');
  t.same(wrongSecurityHeaders(client.headers), [], 'every security header, though onSend hooks do not run for the stream');
  t.ok(client.headers['ratelimit-remaining'], 'the rate-limit headers set before the stream opened are kept');
  t.match(client.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'and the request id');
  t.notOk(client.headers['x-powered-by']);
  t.notOk(client.headers.server);
  await client.waitFor('the connected comment', () => client.comments.includes('connected'));
  t.equal(feed.subscriberCount, 1, 'subscribed once the stream is open');

  const first = change('S001', { FromStatus: null, ToStatus: 1000, Reason: 'created', Source: 'validate' });
  feed.publish(first);
  feed.publish(change('S002'));
  await client.waitForEvents(2);
  t.same(
    client.events.map((event) => [event.event, event.id]),
    [
      ['status', '1'],
      ['status', '2'],
    ],
  );
  t.same(client.statusData()[0], {
    orderId: first.OrderID,
    shipFromLocationId: 'S001',
    fromStatus: null,
    toStatus: 1000,
    reason: 'created',
    source: 'validate',
    at: first.At,
    actor: null,
  });
  feed.publish(change('S003'), '4-17');
  await client.waitForEvents(3);
  t.equal(client.events[2]!.id, '4-17', 'an id given by the publisher (partition-offset from Kafka) is the SSE id');
  await client.waitFor('two heartbeats', () => client.comments.filter((comment) => comment === 'ping').length >= 2);
  t.pass('a : ping comment every heartbeat interval');
});

t.test('?store filters: only the named stores; without it, every store', async (t) => {
  const { feed, connect } = await serve(t);
  const all = await connect(coordinator);
  const two = await connect(coordinator, '?store=S002,S003');
  const one = await connect(admin, '?store=S003');
  await Promise.all([all, two, one].map((client) => client.waitFor('connected', () => client.comments.includes('connected'))));
  for (const store of ['S001', 'S002', 'S003', 'S004', 'S003', 'S002']) feed.publish(change(store));
  await all.waitForEvents(6);
  await two.waitForEvents(4);
  await one.waitForEvents(2);
  const stores = (client: SseClient) => client.statusData().map((data) => data.shipFromLocationId);
  t.same(
    stores(all),
    ['S001', 'S002', 'S003', 'S004', 'S003', 'S002'],
    'a coordinator without a filter sees every store, in publish order',
  );
  t.same(stores(two), ['S002', 'S003', 'S003', 'S002']);
  t.same(stores(one), ['S003', 'S003']);

  const invalid = await connect(admin, '?store=S001,,S002');
  t.equal(invalid.status, 400);
  t.equal((await invalid.json()).error.code, 'VALIDATION_FAILED');
  const tooMany = await connect(admin, `?store=${Array.from({ length: 101 }, (_, i) => `S${i}`).join(',')}`);
  t.same([tooMany.status, (await tooMany.json()).error.code], [400, 'VALIDATION_FAILED'], 'at most 100 stores');
});

t.test('a store role receives only its stores; naming another store is 404 STORE_NOT_FOUND', async (t) => {
  const { feed, connect } = await serve(t);
  const own = await connect(storeS001);
  const ownTwo = await connect(storesS001S003);
  const narrowed = await connect(storesS001S003, '?store=S003');
  for (const client of [own, ownTwo, narrowed]) await client.waitFor('connected', () => client.comments.includes('connected'));
  for (const store of ['S002', 'S001', 'S003', 'S004', 'S001']) feed.publish(change(store));
  await own.waitForEvents(2);
  await ownTwo.waitForEvents(3);
  await narrowed.waitForEvents(1);
  // A last event every stream should see lets the test know nothing else was on its way.
  feed.publish(change('S001', { OrderID: 'LAST' }));
  feed.publish(change('S003', { OrderID: 'LAST' }));
  await own.waitFor('the last event', () => own.statusData().some((data) => data.orderId === 'LAST'));
  await ownTwo.waitForEvents(5);
  await narrowed.waitForEvents(2);
  const stores = (client: SseClient) => client.statusData().map((data) => data.shipFromLocationId);
  t.same(stores(own), ['S001', 'S001', 'S001'], 'without ?store: the stores of the claim only');
  t.same(stores(ownTwo), ['S001', 'S003', 'S001', 'S001', 'S003']);
  t.same(stores(narrowed), ['S003', 'S003'], 'a store of the claim may be narrowed to');

  for (const query of ['?store=S002', '?store=S001,S002']) {
    const refused = await connect(storeS001, query);
    t.equal(refused.status, 404, `${query}: 404`);
    t.match(refused.headers['content-type'], /^application\/json/);
    t.equal(refused.headers['x-frame-options'], 'DENY', 'the error carries the security headers');
    t.same(await refused.json(), { error: { code: 'STORE_NOT_FOUND', message: 'no store "S002"' } });
  }
  t.equal(feed.subscriberCount, 3, 'a refused request never subscribed');
});

t.test('without a valid token: 401 in the error shape, no stream', async (t) => {
  const { feed, connect } = await serve(t);
  const missing = await connect({});
  t.equal(missing.status, 401);
  t.equal((await missing.json()).error.code, 'TOKEN_MISSING');
  t.match(missing.headers['www-authenticate'], /^Bearer/);
  const forged = await connect({
    authorization: `Bearer ${devToken({ algorithm: 'HS256', secret: 'another-secret-that-is-32-bytes-long!!' }, {}, T0)}`,
  });
  t.equal(forged.status, 401);
  t.equal((await forged.json()).error.code, 'TOKEN_SIGNATURE_INVALID');
  t.equal(feed.subscriberCount, 0);
});

t.test('a client that disconnects is unsubscribed; the gauge counts open streams', async (t) => {
  const { feed, registry, connect } = await serve(t);
  const gauge = async () => (await registry.getSingleMetric('omnia_query_status_subscribers')!.get()).values[0]?.value;
  const a = await connect(admin);
  const b = await connect(storeS001);
  await a.waitFor('connected', () => a.comments.includes('connected'));
  await b.waitFor('connected', () => b.comments.includes('connected'));
  t.equal(feed.subscriberCount, 2);
  t.equal(await gauge(), 2);
  a.close();
  await a.waitFor('the server to notice', () => feed.subscriberCount === 1);
  t.equal(await gauge(), 1);
  feed.publish(change('S001'));
  await b.waitForEvents(1);
  t.pass('the other stream goes on');
  b.close();
  await b.waitFor('the server to notice', () => feed.subscriberCount === 0);
  t.equal(await gauge(), 0);
  feed.publish(change('S001'));
  t.pass('publishing with nobody listening is fine');
});

t.test('closing the service ends open streams instead of waiting for them', async (t) => {
  const registry = new Registry();
  const feed = new StatusFeed({ registry });
  const { app } = testService({ registry, routes: [eventsRoutes(feed)], rateLimit: { perSecond: 1000, burst: 1000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const client = await SseClient.connect(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`, admin);
  await client.waitFor('connected', () => client.comments.includes('connected'));
  const started = Date.now();
  await app.close();
  await client.ended;
  t.ok(Date.now() - started < 2000, 'closed promptly');
  t.equal(feed.subscriberCount, 0);
});

t.test('a client that stops reading overflows: event: overflow, the stream ends, other clients are not held up', async (t) => {
  const { feed, connect, registry } = await serve(t, { maxBuffered: 20 });
  const slow = await connect(admin);
  const fast = await connect(admin);
  await slow.waitFor('connected', () => slow.comments.includes('connected'));
  await fast.waitFor('connected', () => fast.comments.includes('connected'));
  slow.response.pause(); // stops reading: the socket's buffers fill, then the feed's
  const reason = 'x'.repeat(64 * 1024);
  let published = 0;
  while (feed.subscriberCount === 2 && published < 5000) {
    feed.publish(change('S001', { Reason: reason }));
    published++;
    if (published % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal(feed.subscriberCount, 1, `the slow client was dropped after ${published} events`);
  const overflows = (await registry.getSingleMetric('omnia_query_status_overflows_total')!.get()).values[0]?.value;
  t.equal(overflows, 1, 'and counted');
  await fast.waitForEvents(published, 15_000);
  t.equal(fast.events.length, published, 'the reading client got every event meanwhile');

  slow.response.resume();
  await slow.ended;
  const last = slow.events.at(-1)!;
  t.equal(last.event, 'overflow', 'the slow client’s last message is event: overflow');
  t.match(JSON.parse(last.data), { reason: /reconnect/ });
  const received = slow.events.filter((event) => event.event === 'status');
  t.ok(received.length < published, `it had ${received.length} of ${published} status events`);
  t.same(
    received.map((event) => event.id),
    fast.events.slice(0, received.length).map((event) => event.id),
    'what it did get is a gap-free prefix, in order',
  );
});

t.test('StatusFeed: a backed-up listener is held for, resumed in order, dropped past maxBuffered; a throwing one is removed', async (t) => {
  const feed = new StatusFeed({ maxBuffered: 3, log: () => undefined });
  const got: StatusFeedEvent[] = [];
  let accept = true;
  let overflowed = 0;
  const subscription = feed.subscribe(
    { stores: ['S001'] },
    (event) => {
      got.push(event);
      return accept;
    },
    { onOverflow: () => overflowed++ },
  );
  const others: string[] = [];
  feed.subscribe({}, (event) => void others.push(event.id));
  feed.subscribe({}, () => {
    throw new Error('broken subscriber');
  });

  accept = false;
  feed.publish(change('S001')); // delivered, and the listener says it is full
  feed.publish(change('S002')); // not for it
  feed.publish(change('S001'));
  feed.publish(change('S001'));
  t.same(
    got.map((event) => event.id),
    ['1'],
  );
  t.equal(subscription.buffered, 2);
  t.equal(feed.subscriberCount, 2, 'the throwing subscriber is gone, the others stay');
  accept = true;
  subscription.resume();
  t.same(
    got.map((event) => event.id),
    ['1', '3', '4'],
    'held events follow in order',
  );
  t.equal(subscription.buffered, 0);

  accept = false;
  for (let i = 0; i < 5; i++) feed.publish(change('S001'));
  t.equal(overflowed, 1, 'a fourth held event is one too many: dropped, told once');
  t.equal(feed.subscriberCount, 1);
  subscription.resume();
  subscription();
  t.same(
    got.map((event) => event.id),
    ['1', '3', '4', '5'],
    'nothing after the overflow',
  );
  t.same(others, ['1', '2', '3', '4', '5', '6', '7', '8', '9'], 'the other subscriber got everything');
});

t.test('OpenAPI: GET /api/v1/events is documented as a bearer-secured text/event-stream with its store parameter', async (t) => {
  const feed = new StatusFeed();
  const { app } = testService({ routes: [eventsRoutes(feed)] });
  const document = (await app.inject({ url: '/docs/openapi.json' })).json();
  const operation = document.paths['/api/v1/events'].get;
  t.equal(operation.summary, 'Live order status changes (Server-Sent Events)');
  t.same(operation.tags, ['events']);
  t.same(operation.security, [{ bearerAuth: [] }]);
  t.match(operation.parameters, [{ name: 'store', in: 'query', required: false, schema: { type: 'string' } }]);
  t.same(Object.keys(operation.responses['200'].content), ['text/event-stream']);
  t.equal(operation.responses['200'].content['text/event-stream'].schema.type, 'string');
  t.same(Object.keys(operation.responses['404'].content), ['application/json']);
  t.ok(operation.responses['401'], 'the standard 401');
  await app.close();
});

t.test(
  'Last-Event-ID resumes: what was missed first, in order, then the live changes; an id no longer held starts with event: reset',
  async (t) => {
    const { feed, connect } = await serve(t);
    const first = await connect(admin);
    await first.waitFor('the connected comment', () => first.comments.includes('connected'));
    for (const store of ['S001', 'S002', 'S003']) feed.publish(change(store));
    await first.waitForEvents(3);
    const seenId = first.events[0]!.id!;
    first.close();

    // Two more while no client is connected; then the client comes back with the id of the first event it saw.
    feed.publish(change('S001'));
    feed.publish(change('S003'));
    const back = await connect({ ...admin, 'last-event-id': seenId });
    await back.waitForEvents(4);
    t.same(
      back.events.map((event) => event.id),
      ['2', '3', '4', '5'],
      'the missed changes, in publication order',
    );
    feed.publish(change('S002'));
    await back.waitForEvents(5);
    t.equal(back.events[4]!.id, '6', 'then the live ones');

    // A store role resuming gets only its own stores' missed changes.
    const own = await connect({ ...storeS001, 'last-event-id': seenId });
    await own.waitForEvents(1);
    t.same(
      own.events.map((event) => event.data && JSON.parse(event.data).shipFromLocationId),
      ['S001'],
      "only the store's own",
    );

    // The query-string form, for clients without headers; and an id the feed never held.
    const byQuery = await connect(admin, `?lastEventId=${seenId}`);
    await byQuery.waitForEvents(5);
    t.equal(byQuery.events[0]!.id, '2');
    const lost = await connect({ ...admin, 'last-event-id': '999-1' });
    await lost.waitForEvents(1);
    t.equal(lost.events[0]!.event, 'reset', 'the client is told to reload');
  },
);

t.test('the feed holds the last replayCapacity events: older ids cannot be resumed from', async (t) => {
  const feed = new StatusFeed({ replayCapacity: 3, log: () => undefined });
  for (let i = 0; i < 5; i++) feed.publish(change('S001'));
  const ids = (after: string) => {
    const got: string[] = [];
    const subscription = feed.subscribe({}, (event) => void got.push(event.id), { after });
    subscription();
    return { resumed: subscription.resumed, got };
  };
  t.same(ids('3'), { resumed: true, got: ['4', '5'] }, 'held: the two after it');
  t.same(ids('5'), { resumed: true, got: [] }, 'the newest: nothing missed');
  t.same(ids('2'), { resumed: false, got: [] }, 'pushed out of the ring');
});

t.test('a status event is encoded once for every stream that carries it, as the message a stream would write', async (t) => {
  const { sseMessage, statusEventData, statusMessage } = await import('../../../query-service/events-routes.js');
  const event: StatusFeedEvent = { id: '3-41', change: change('S001') };
  const first = statusMessage(event);
  t.equal(statusMessage(event), first, 'the second stream gets the same bytes, not a second encoding');
  t.equal(first.toString(), sseMessage('status', statusEventData(event), event.id), 'the message: event, id and data lines');
  const other: StatusFeedEvent = { id: '3-42', change: change('S001') };
  t.not(statusMessage(other), first, 'another event has its own');
  t.match(statusMessage(other).toString(), /^event: status\nid: 3-42\ndata: \{.*"orderId":"O-\d+"/);
});
