/**
 * People's decisions on exceptions (query-service/exception-routes.ts) on the embedded default:
 * - a delivery whose cash never comes is a MISSING exception at the cut-off; a manager acknowledges it (still
 *   reported), then resolves it with a note: the next cut-off no longer reports it, the history and the tables say
 *   who and why;
 * - a release Slick refuses is set aside by the egress (its store's later releases still go); a retry while Slick
 *   still refuses is set aside again; parked, it says why; retried once Slick takes it, it leaves the list.
 * Refusals (409 with their codes), roles (403 / 404), bad bodies (400) and a retried action with one effect.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { apiClient, type Claims } from './api-client.js';
import { freePort } from '../free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

interface Decision {
  by: string;
  at: string;
  note: string;
}
interface Body {
  error: { code: string; message: string; details: Array<{ field: string }> };
  order: {
    orderId: string;
    status: number;
    carrier: string | null;
    trackingId: string | null;
    shipFromLocationId: string;
    history: Array<{ reason: string; actor: string | null; source: string }>;
  };
  accepted: boolean;
  action: string;
  commandId: string;
  exceptions: Array<{
    orderId: string;
    kind: string;
    open: boolean;
    acknowledged: Decision | null;
    resolved: Decision | null;
    businessDay: string;
  }>;
  releases: Array<{
    orderId: string;
    refused: boolean;
    parked: Decision | null;
    lastOutcome: string | null;
    lastHttpStatus: number | null;
  }>;
}

const client = (embedded: Embedded, claims: Claims) => apiClient<Body>(embedded, claims);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

t.test('a MISSING exception acknowledged, then resolved: no longer reported, with who and why', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const cutOff = Date.now() + 6 * 3_600_000;
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock: () => Date.now() + offsetMs,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      OMNIA_RECONCILIATION_CUTOFF: hhmm(cutOff),
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const { grab, pmp } = embedded.partners;
  grab.setFaults({ failureRate: 1 });
  pmp.setFaults({ failureRate: 1 });
  const manager = client(embedded, { sub: 'manager-a', roles: ['store_manager'], stores: ['QC0001'] });
  const managerB = client(embedded, { sub: 'manager-b', roles: ['store_manager'], stores: ['QC0002'] });
  const coordinator = client(embedded, { sub: 'coord', roles: ['regional_coordinator'] });

  const orders = Array.from({ length: 12 }, (_, n) => demoOrder(n, new Date(), { stores: 2, customers: 50, seed: 31, invalidShare: 0 }));
  for (const order of orders) await embedded.pipeOrder(order);
  const ids = orders.filter((order) => order.ShipFromLocationID === 'QC0001').map((order) => order.OrderID);
  const shipped = await until('a shipped QC0001 order', async () => {
    for (const id of ids) {
      const { order } = (await manager.get(`/api/v1/orders/${id}`)).body;
      if (order.status === 7000 && order.carrier !== null) return order;
    }
    return undefined;
  });
  const partner = shipped.carrier === 'GRAB' ? grab : pmp;
  await partner.deliver({ OrderID: shipped.orderId, ShipFromLocationID: 'QC0001', TrackingID: shipped.trackingId!, CodAmount: null });
  await until('delivered', async () =>
    (await manager.get(`/api/v1/orders/${shipped.orderId}`)).body.order.status === 7500 ? true : undefined,
  );
  const path = (action: string) => `/api/v1/orders/${shipped.orderId}/reconciliation/${action}`;

  const early = await manager.post(path('resolve'), { note: 'paid at the store' }, 'too-early');
  t.equal(early.status, 409);
  t.equal(early.body.error.code, 'NO_OPEN_EXCEPTION', 'nothing reported yet');

  offsetMs = 7 * 3_600_000;
  await embedded.tick();
  await embedded.flush();
  const reported = async () =>
    (await manager.get('/api/v1/stores/QC0001/reconciliation')).body.exceptions.find((e) => e.orderId === shipped.orderId);
  t.match(await reported(), { kind: 'MISSING', open: true, acknowledged: null, resolved: null });

  t.equal((await coordinator.post(path('acknowledge'), { note: 'x' })).status, 403, 'a coordinator reads but does not act');
  t.equal((await managerB.post(path('acknowledge'), { note: 'x' })).status, 404, 'another store’s manager does not see it');
  const bad = await manager.post(path('acknowledge'), { note: '', extra: true });
  t.equal(bad.status, 400);
  t.same([...new Set(bad.body.error.details.map((d) => d.field))].sort(), ['extra', 'note'], 'every failing field listed');

  const ack = await manager.post(path('acknowledge'), { note: 'calling the rider' }, 'ack-1');
  t.equal(ack.status, 202, JSON.stringify(ack.body));
  t.match(ack.body, { accepted: true, action: 'ACKNOWLEDGE_RECONCILIATION', requestedBy: 'manager-a' });
  const again = await manager.post(path('acknowledge'), { note: 'calling the rider' }, 'ack-1');
  t.ok(again.replayed, 'the same key answers the same');
  t.equal(again.body.commandId, ack.body.commandId);
  t.equal((await manager.post(path('acknowledge'), { note: 'another note' }, 'ack-1')).status, 422, 'same key, other body');
  await embedded.flush();
  t.match(await reported(), { open: true, acknowledged: { by: 'manager-a', note: 'calling the rider' }, resolved: null });
  const acks = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM exception_outcomes WHERE action = 'ACKNOWLEDGE'`);
  t.same(acks.rows, [{ n: 1 }], 'the retried action had one effect');

  const resolved = await manager.post(path('resolve'), { note: 'customer paid at the store, receipt R-88' }, 'resolve-1');
  t.equal(resolved.status, 202, JSON.stringify(resolved.body));
  await embedded.flush();
  t.match(await reported(), { open: false, resolved: { by: 'manager-a', note: 'customer paid at the store, receipt R-88' } });
  t.match((await manager.get(`/api/v1/orders/${shipped.orderId}`)).body.order.history.at(-1), {
    reason: 'RECONCILIATION_EXCEPTION resolved: customer paid at the store, receipt R-88',
    actor: 'manager-a',
    source: 'store',
  });
  t.equal((await manager.post(path('resolve'), { note: 'again' }, 'resolve-2')).body.error.code, 'NO_OPEN_EXCEPTION', 'closed');

  // The next cut-off: the resolved MISSING is not reported again.
  offsetMs += 24 * 3_600_000;
  await embedded.tick();
  await embedded.flush();
  const days = await db.query<{ day: string; n: number }>(
    `SELECT business_day::text AS day, count(*)::int AS n FROM reconciliation_exceptions WHERE order_id = $1 GROUP BY 1 ORDER BY 1`,
    [shipped.orderId],
  );
  t.equal(days.rows.length, 1, `reported on one business day only (${JSON.stringify(days.rows)})`);
});

t.test('a release Slick refuses is set aside, parked with a reason, and sent again once Slick takes it', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: {
      PORT: String(await freePort()),
      SLICK_ATTEMPTS: '2',
      SLICK_BACKOFF_MS: '10',
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const { slick } = embedded.partners;
  const manager = client(embedded, { sub: 'manager-a', roles: ['store_manager'], stores: ['QC0001'] });
  const orders = Array.from({ length: 6 }, (_, n) => demoOrder(n, new Date(), { stores: 1, customers: 50, seed: 37, invalidShare: 0 }));
  slick.setFaults({ refusalRate: 1 });
  await embedded.pipeOrder(orders[0]!);
  const refused = orders[0]!.OrderID;
  const awaiting = async () => {
    await embedded.flush();
    return (await manager.get('/api/v1/releases/awaiting-slick')).body.releases;
  };
  const entry = await until('the refusal set aside', async () => (await awaiting()).find((r) => r.orderId === refused && r.refused));
  t.match(entry, { lastOutcome: 'REFUSED', lastHttpStatus: 422, refused: true, parked: null });

  // The partition moves on: the next order's release goes once Slick takes releases again.
  slick.setFaults({ refusalRate: 0 });
  await embedded.pipeOrder(orders[1]!);
  await until('the next release taken', async () => (slick.releases.some((r) => r.OrderID === orders[1]!.OrderID) ? true : undefined));
  t.notOk(
    slick.releases.some((r) => r.OrderID === refused),
    'the refused one is not sent again by itself',
  );

  const path = (action: string) => `/api/v1/orders/${refused}/release/${action}`;
  const parked = await manager.post(path('park'), { note: 'Slick does not know item 8850999; buyer asked' }, 'park-1');
  t.equal(parked.status, 202, JSON.stringify(parked.body));
  const parkedEntry = await until('parked', async () => (await awaiting()).find((r) => r.orderId === refused && r.parked));
  t.match(parkedEntry.parked, { by: 'manager-a', note: 'Slick does not know item 8850999; buyer asked' });
  t.equal((await manager.post(path('park'), { note: 'again' }, 'park-2')).body.error.code, 'RELEASE_ALREADY_PARKED');

  const retried = await manager.post(path('retry'), { note: 'item added at Slick' }, 'retry-1');
  t.equal(retried.status, 202, JSON.stringify(retried.body));
  await until('sent again and taken', async () => (slick.releases.some((r) => r.OrderID === refused) ? true : undefined));
  await until('off the list', async () => ((await awaiting()).some((r) => r.orderId === refused) ? undefined : true));
  const sent = slick.releases.filter((r) => r.OrderID === refused);
  t.equal(sent.length, 1, 'Slick has it once');
  t.equal(sent[0]!.ReleaseID, `REL-${refused}`, 'the same release');
  t.equal((await manager.post(path('retry'), { note: 'again' }, 'retry-2')).body.error.code, 'RELEASE_NOT_WAITING', 'Slick has it');
  const history = (await manager.get(`/api/v1/orders/${refused}`)).body.order.history.map((h) => h.reason);
  t.ok(history.includes('RELEASE parked: Slick does not know item 8850999; buyer asked'), 'the park is in the history');
  t.ok(history.includes('RELEASE sent to Slick again: item added at Slick'), 'so is the retry');
});

t.test('a release Slick has not refused cannot be retried: the connector is still sending it', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const embedded = await startEmbedded({
    db,
    demoFeed: false,
    log: () => undefined,
    env: { PORT: String(await freePort()), SLICK_ATTEMPTS: '2', SLICK_BACKOFF_MS: '10', SLICK_BACKOFF_MAX_MS: '50' },
  });
  t.teardown(() => embedded.stop());
  const { slick } = embedded.partners;
  const manager = client(embedded, { sub: 'manager-a', roles: ['store_manager'], stores: ['QC0001'] });
  slick.setFaults({ failureRate: 1 });
  const order = demoOrder(0, new Date(), { stores: 1, customers: 50, seed: 41, invalidShare: 0 });
  await embedded.pipeOrder(order);
  await until('a failed call on the list', async () => {
    await embedded.flush();
    return (await manager.get('/api/v1/releases/awaiting-slick')).body.releases.find(
      (r) => r.orderId === order.OrderID && r.lastOutcome !== null,
    );
  });
  const retry = await manager.post(`/api/v1/orders/${order.OrderID}/release/retry`, { note: 'hurry' }, 'r-1');
  t.equal(retry.status, 409);
  t.equal(retry.body.error.code, 'RELEASE_BEING_RETRIED');
  t.match(retry.body.error.message, /Park it if it should wait/);
  slick.setFaults({ failureRate: 0 });
});
