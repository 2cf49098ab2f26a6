// The partner simulators over real HTTP: Slick's idempotent API and faults, and the signed callbacks of Slick,
// Grab and PMP as the webhook ingress reads them (its signature check and payload readers).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  cashCollectedFromPmp,
  deliveredFromPmp,
  deliveryStatusFromGrab,
  shipEventFromSlick,
} from '../../../connectors/partner-payloads.js';
import { verifyWebhook } from '../../../connectors/signature.js';
import { SlickClient, SlickCallError } from '../../../connectors/slick-client.js';
import { GrabSimulator } from '../../../connectors/simulators/grab-simulator.js';
import { PmpSimulator } from '../../../connectors/simulators/pmp-simulator.js';
import { SlickSimulator } from '../../../connectors/simulators/slick-simulator.js';
import { examples } from '../avro/examples.js';

const TOKEN = 'sim-token';
const SECRET = 'partner-secret';

/** The SlickCallError a call fails with (or undefined when it did not fail so). */
async function failure(call: Promise<unknown>): Promise<SlickCallError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return error instanceof SlickCallError ? error : undefined;
  }
}

/** A webhook receiver that keeps every request it verified and parsed, answering 202. */
async function receiver(t: { teardown(fn: () => Promise<void>): void }) {
  const received: Array<{ method: string; path: string; body: unknown; signed: boolean; nonce: string }> = [];
  // The handler's promise is the request's whole life; a failure fails the test through the client's answer.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const verified = verifyWebhook(SECRET, raw, request.headers);
    received.push({
      method: request.method!,
      path: request.url!,
      body: JSON.parse(raw.toString('utf8')),
      signed: verified.ok,
      nonce: String(request.headers['x-omnia-nonce']),
    });
    response.writeHead(202).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

t.test('Slick: bearer auth, a release accepted once by Idempotency-Key, duplicates counted, conflicts refused', async (t) => {
  const slick = new SlickSimulator({ token: TOKEN });
  const url = await slick.start();
  t.teardown(() => slick.stop());
  const client = new SlickClient({ baseUrl: url, token: TOKEN, timeoutMs: 2_000 });
  const release = examples.Release;
  t.same(await client.sendRelease(release), { outcome: 'ACCEPTED', status: 201 });
  t.same(await client.sendRelease(release), { outcome: 'DUPLICATE', status: 200 });
  t.equal(slick.acceptedReleases, 1);
  t.equal(slick.duplicatesSeen, 1);
  t.match(
    await failure(client.sendRelease({ ...release, OrderTotal: '1.0000' })),
    { status: 409, partnerFault: false },
    'same key, another payload',
  );
  t.match(
    await failure(new SlickClient({ baseUrl: url, token: 'wrong', timeoutMs: 2_000 }).sendRelease(release)),
    { status: 401 },
    'wrong token',
  );
  t.same(
    await client.confirmCollection({
      OrderID: release.OrderID,
      ShipFromLocationID: release.ShipFromLocationID,
      Amount: '90.6200',
      CollectedAt: '2026-11-21T11:00:00Z',
    }),
    { outcome: 'ACCEPTED', status: 201 },
  );
  t.equal(slick.server.callsOf('accepted'), 1);
  t.equal(slick.server.callsOf('unauthorized'), 1);
});

t.test('Slick faults: 5xx, never answering, down (connection refused) and up again on the same port', async (t) => {
  const slick = new SlickSimulator({ token: TOKEN });
  const url = await slick.start();
  t.teardown(() => slick.stop());
  const client = new SlickClient({ baseUrl: url, token: TOKEN, timeoutMs: 300 });
  slick.setFaults({ failureRate: 1 });
  t.match(await failure(client.sendRelease(examples.Release)), { status: 503, partnerFault: true });
  slick.setFaults({ failureRate: 0, timeoutRate: 1 });
  t.match(await failure(client.sendRelease(examples.Release)), { status: null, message: /no answer within 300 ms/ });
  slick.setFaults({ timeoutRate: 0 });
  await slick.down();
  t.match(
    await failure(client.sendRelease(examples.Release)),
    { status: null, message: /ECONNREFUSED|other side closed/ },
    'refused, or a pooled connection closed',
  );
  t.equal(await slick.up(), url, 'same URL after up()');
  t.same(await client.sendRelease(examples.Release), { outcome: 'ACCEPTED', status: 201 });
  const state = await fetch(`${url}/_sim/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ latencyMs: 5 }),
  }).then((r) => r.json() as Promise<{ faults: { latencyMs: number } }>);
  t.equal(state.faults.latencyMs, 5, 'faults settable over HTTP');
});

t.test('Slick ship events: signed, picking → picked → packed → shipped with tracking, carrier and ETA, read by the ingress', async (t) => {
  const hook = await receiver(t);
  const slick = new SlickSimulator({ token: TOKEN, webhook: { url: hook.url, secret: SECRET }, carrierFor: () => 'PMP' });
  const url = await slick.start();
  t.teardown(() => slick.stop());
  await new SlickClient({ baseUrl: url, token: TOKEN, timeoutMs: 2_000 }).sendRelease(examples.Release);
  await slick.ship(examples.Release.ReleaseID);
  t.same(
    hook.received.map((r) => (r.body as { EventType: string }).EventType),
    ['picking', 'picked', 'packed', 'shipped'],
  );
  t.ok(
    hook.received.every((r) => r.signed && r.method === 'POST' && r.path === '/api/fulfillment/ship-events'),
    'signed, to the ingress route',
  );
  t.equal(new Set(hook.received.map((r) => r.nonce)).size, 4, 'a nonce per request');
  for (const { body } of hook.received) t.ok(shipEventFromSlick(body).ok, 'the ingress reads it');
  t.match(hook.received[3]!.body, { TrackingID: /^PMP-/, Carrier: 'PMP', EstimatedDelivery: /Z$/ });
});

t.test('callback faults: duplicates resend the same event, out-of-order shuffles a sequence', async (t) => {
  const hook = await receiver(t);
  const grab = new GrabSimulator({
    token: TOKEN,
    webhook: { url: hook.url, secret: SECRET },
    faults: { duplicateCallbackRate: 1, outOfOrderCallbacks: true },
  });
  await grab.start();
  t.teardown(() => grab.stop());
  await grab.deliver({ OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', TrackingID: 'GRAB-1', CodAmount: '90.6200' });
  const ids = hook.received.map((r) => (r.body as { EventID: string }).EventID);
  t.equal(ids.length, 10, '5 callbacks, each twice');
  t.equal(new Set(ids).size, 5);
  t.notSame([...new Set(ids)], ['GRAB-GRAB-1-1', 'GRAB-GRAB-1-2', 'GRAB-GRAB-1-3', 'GRAB-GRAB-1-4', 'GRAB-GRAB-1-5'], 'not in order');
  t.equal(grab.webhook.resultsOf('duplicate-sent'), 5);
});

t.test('Grab and PMP: delivery callbacks the ingress reads; the collected amount, or a different one on demand', async (t) => {
  const hook = await receiver(t);
  const grab = new GrabSimulator({ token: TOKEN, webhook: { url: hook.url, secret: SECRET } });
  const pmp = new PmpSimulator({ token: TOKEN, webhook: { url: hook.url, secret: SECRET }, autoDeliver: true });
  await grab.start();
  const pmpUrl = await pmp.start();
  t.teardown(async () => {
    await grab.stop();
    await pmp.stop();
  });
  await grab.deliver(
    { OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', TrackingID: 'G1', CodAmount: '90.6200' },
    { failFirstAttempt: true },
  );
  const grabBodies = hook.received.splice(0).map((r) => {
    t.ok(r.signed && r.method === 'PUT' && r.path === '/api/delivery/status');
    const read = deliveryStatusFromGrab(r.body);
    t.ok(read.ok, `grab ${JSON.stringify(r.body)} is read by the ingress`);
    return r.body as { Status: string; CollectedAmount: string | null };
  });
  t.same(
    grabBodies.map((b) => b.Status),
    ['HANDED_OVER', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'FAILED', 'RESCHEDULED', 'OUT_FOR_DELIVERY', 'DELIVERED', 'COLLECTED'],
  );
  t.equal(grabBodies.at(-1)!.CollectedAmount, '90.6200');

  const shipment = { OrderID: 'QC0042-000124', ShipFromLocationID: 'QC0042', TrackingID: 'P1', CodAmount: '50.0000' };
  const post = () =>
    fetch(`${pmpUrl}/v1/shipments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(shipment),
    });
  t.equal((await post()).status, 201);
  t.equal((await post()).status, 200, 'a shipment posted again is a duplicate');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await pmp.stop();
  t.same(
    hook.received.map((r) => r.path),
    ['/api/delivery/pmp/delivered', '/api/delivery/pmp/cash-collected'],
  );
  t.ok(deliveredFromPmp(hook.received[0]!.body).ok && cashCollectedFromPmp(hook.received[1]!.body).ok, 'the ingress reads both');
  t.match(hook.received[1]!.body, { CollectedAmount: '50.0000' });
  t.same(
    pmp.callbacks(shipment, { collectedAmount: '49.0000' }).map((c) => (c.body as { CollectedAmount?: string }).CollectedAmount),
    [undefined, '49.0000'],
    'a mismatching amount on demand',
  );
});

t.test('callback retries are bounded: 5xx and no answer are retried (3 attempts, growing delays), 4xx is not', async (t) => {
  const answers: number[] = [];
  const seen: Array<{ at: number; nonce: string }> = [];
  const server = createServer((request, response) => {
    request.resume();
    seen.push({ at: Date.now(), nonce: String(request.headers['x-omnia-nonce']) });
    const status = answers.shift() ?? 202;
    if (status === 0) return; // never answered
    request.on('end', () => response.writeHead(status).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const grab = new GrabSimulator({
    token: TOKEN,
    webhook: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, secret: SECRET },
    webhookOptions: { retryDelayMs: 40, timeoutMs: 150 },
  });
  const callback = { method: 'PUT' as const, path: '/api/delivery/status', body: { EventID: 'GRAB-T-1' } };

  answers.push(503, 503);
  t.equal(await grab.webhook.send(callback), true, 'delivered on the third attempt');
  t.equal(seen.length, 3);
  const gaps = [seen[1]!.at - seen[0]!.at, seen[2]!.at - seen[1]!.at];
  t.ok(gaps[0]! >= 30 && gaps[1]! >= 60, `waited about 40 ms, then about 80 ms (${gaps.join(', ')} ms)`);
  t.equal(new Set(seen.map((s) => s.nonce)).size, 3, 'each attempt signed with a new nonce');

  seen.length = 0;
  answers.push(503, 0, 500, 503);
  t.equal(await grab.webhook.send(callback), false, 'given up');
  t.equal(seen.length, 3, 'after 3 attempts, a 5xx, one never answered (timed out) and a 5xx');
  t.equal(grab.webhook.resultsOf('failed'), 1);
  answers.length = 0;

  seen.length = 0;
  answers.push(409);
  t.equal(await grab.webhook.send(callback), false);
  t.equal(seen.length, 1, 'a refusal is not retried');
  t.equal(grab.webhook.resultsOf('refused-409'), 1);
});
