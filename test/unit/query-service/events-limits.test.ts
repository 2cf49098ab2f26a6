/**
 * GET /events is bounded: a replica holds at most so many streams per token subject (429 EVENTS_STREAM_LIMIT) and
 * in all (503 EVENTS_AT_CAPACITY), each refusal with Retry-After, and a slot comes back when its stream ends. A
 * stream lives no longer than its token: at expiry it gets `event: expired` and ends; the same token is then
 * refused, so the client needs a fresh one.
 */
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import type { StatusChange } from '../../../processors/domain/types.js';
import { devToken } from '../../../query-service/app.js';
import { eventsRoutes, type EventsRoutesOptions } from '../../../query-service/events-routes.js';
import { StatusFeed } from '../../../query-service/status-feed.js';
import { bearer, hs256, T0, testService } from './helpers.js';
import { SseClient } from './sse-client.js';

const token = (claims: Parameters<typeof devToken>[1], at = T0) => bearer(devToken(hs256, claims, at));

const change = (store: string): StatusChange => ({
  OrderID: `O-${store}`,
  ShipFromLocationID: store,
  FromStatus: 1000,
  ToStatus: 2000,
  Reason: 'allocated',
  Source: 'allocate',
  At: new Date(T0).toISOString(),
  Actor: null,
});

async function serve(t: Test, options: EventsRoutesOptions, clockSkewSeconds = 30) {
  const feed = new StatusFeed({ log: () => undefined });
  const { app, clock } = testService({
    auth: { ...hs256, clockSkewSeconds },
    registry: new Registry(),
    routes: [eventsRoutes(feed, options)],
    rateLimit: { perSecond: 1000, burst: 1000 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`;
  const clients: SseClient[] = [];
  const connect = async (headers: Record<string, string>, query = '') => {
    const client = await SseClient.connect(base + query, headers);
    clients.push(client);
    if (client.status === 200) await client.waitFor('the stream to open', () => client.comments.includes('connected'));
    return client;
  };
  t.teardown(async () => {
    for (const client of clients) client.close();
    await app.close();
  });
  /** Waits until the service has let go of closed streams. */
  const subscribers = async (count: number) => {
    const deadline = Date.now() + 5_000;
    while (feed.subscriberCount !== count) {
      if (Date.now() > deadline) throw new Error(`still ${feed.subscriberCount} subscribers, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { feed, clock, connect, subscribers };
}

t.test('one token subject holds at most maxStreamsPerSubject streams: 429 EVENTS_STREAM_LIMIT with Retry-After', async (t) => {
  const { connect, subscribers } = await serve(t, { maxStreamsPerSubject: 2, heartbeatMs: 15_000 });
  // Two tokens of one person (two devices): one subject.
  const phone = token({ sub: 'staff-1', jti: 'phone', roles: ['store_staff'], stores: ['S001'] });
  const tablet = token({ sub: 'staff-1', jti: 'tablet', roles: ['store_staff'], stores: ['S001'] });
  const first = await connect(phone);
  const second = await connect(tablet);
  t.same([first.status, second.status], [200, 200]);

  const third = await connect(phone);
  t.equal(third.status, 429);
  t.equal(third.headers['retry-after'], '15', 'retry after a heartbeat, when a dropped stream has been noticed');
  const refusal = await third.json();
  t.equal(refusal.error.code, 'EVENTS_STREAM_LIMIT');
  t.match(refusal.error.message, /already holds 2 open event streams here, the most allowed; close one/);

  const other = await connect(token({ sub: 'staff-2', roles: ['store_staff'], stores: ['S001'] }));
  t.equal(other.status, 200, 'another subject is not held back');

  first.close();
  await subscribers(2);
  t.equal((await connect(phone)).status, 200, 'a closed stream gives its slot back');
});

t.test('the replica holds at most maxStreams streams: 503 EVENTS_AT_CAPACITY with Retry-After; room again once one ends', async (t) => {
  const { connect, subscribers } = await serve(t, { maxStreams: 2, heartbeatMs: 5_000 });
  const a = await connect(token({ sub: 'a', roles: ['admin'] }));
  await connect(token({ sub: 'b', roles: ['admin'] }));
  t.equal(a.status, 200);
  const full = await connect(token({ sub: 'c', roles: ['admin'] }));
  t.equal(full.status, 503);
  t.equal(full.headers['retry-after'], '5');
  const refusal = await full.json();
  t.equal(refusal.error.code, 'EVENTS_AT_CAPACITY');
  t.match(refusal.error.message, /holds the most event streams it may \(2\); retry in 5 s/);

  a.close();
  await subscribers(1);
  t.equal((await connect(token({ sub: 'c', roles: ['admin'] }))).status, 200);
});

t.test('a refusal before the stream opens (404 STORE_NOT_FOUND) takes no slot', async (t) => {
  const { connect } = await serve(t, { maxStreamsPerSubject: 1 });
  const staff = token({ sub: 'staff-1', roles: ['store_staff'], stores: ['S001'] });
  for (let i = 0; i < 3; i++) {
    const other = await connect(staff, '?store=S002');
    t.same([other.status, (await other.json()).error.code], [404, 'STORE_NOT_FOUND']);
  }
  t.equal((await connect(staff, '?store=S001')).status, 200, 'the one slot is still free');
});

t.test('a stream ends with event: expired when its token expires; the same token is then refused 401 TOKEN_EXPIRED', async (t) => {
  const { feed, clock, connect, subscribers } = await serve(t, { clockSkewSeconds: 0 }, 0);
  // Issued at T0 for one second; the stream opens 900 ms into it.
  const shortLived = token({ sub: 'staff-1', roles: ['store_staff'], stores: ['S001'], expiresInSeconds: 1 });
  clock.now = T0 + 900;
  const client = await connect(shortLived);
  t.equal(client.status, 200);
  feed.publish(change('S001'));
  await client.waitForEvents(1);
  clock.now = T0 + 1_000;
  await client.waitFor('the expired event', () => client.events.some((event) => event.event === 'expired'));
  await client.ended;
  t.same(
    client.events.map((event) => event.event),
    ['status', 'expired'],
    'the changes before, then why it ends',
  );
  t.same(JSON.parse(client.events[1]!.data), { code: 'TOKEN_EXPIRED', reason: 'The token has expired; reconnect with a fresh token' });
  await subscribers(0);

  const again = await connect(shortLived);
  t.same([again.status, (await again.json()).error.code], [401, 'TOKEN_EXPIRED'], 'the reconnect needs a fresh token');
  const fresh = await connect(token({ sub: 'staff-1', roles: ['store_staff'], stores: ['S001'] }, clock.now));
  t.equal(fresh.status, 200, 'and a fresh one streams');
});

t.test('the expiry counts the clock skew auth allows: the stream ends when the token stops being accepted', async (t) => {
  const { feed, clock, connect } = await serve(t, { clockSkewSeconds: 30 }, 30);
  // Issued at T0 for one second, used 29.9 s past its exp: auth still accepts it, so the stream lives 100 ms more.
  clock.now = T0 + 30_900;
  const late = await connect(token({ sub: 'staff-1', roles: ['store_staff'], stores: ['S001'], expiresInSeconds: 1 }));
  t.equal(late.status, 200, 'within the skew the token is accepted');
  feed.publish(change('S001'));
  await late.waitForEvents(1);
  clock.now = T0 + 31_000;
  await late.waitFor('the expired event', () => late.events.some((event) => event.event === 'expired'));
  t.same(
    late.events.map((event) => event.event),
    ['status', 'expired'],
    'open until exp + skew, not ended at once for being past exp',
  );
});

t.test('a token valid for longer than a timer can wait (24.8 days) keeps its stream', async (t) => {
  const { feed, connect } = await serve(t, {});
  const client = await connect(token({ sub: 'kiosk', roles: ['admin'], expiresInSeconds: 40 * 24 * 3600 }));
  t.equal(client.status, 200);
  feed.publish(change('S001'));
  await client.waitForEvents(1);
  feed.publish(change('S002'));
  await client.waitForEvents(2);
  t.same(
    client.events.map((event) => event.event),
    ['status', 'status'],
    'no expired event: the wait is taken in steps, not overflowed into an immediate one',
  );
});
