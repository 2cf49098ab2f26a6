// The Slick egress connector on the real broker, against the Slick simulator over real HTTP: releases and
// collection confirmations arrive at Slick exactly once whatever Slick does, and every call is on order.fulfillment.v1.
import t from 'tap';
import { jsonSerde } from '../../avro/serdes.js';
import type { FulfillmentInteraction, PaymentEvent, Release } from '../../avro/records.js';
import { SlickClient } from '../../connectors/slick-client.js';
import { SlickEgress, type SlickEgressTopics } from '../../connectors/slick-egress.js';
import { SlickSimulator } from '../../connectors/simulators/slick-simulator.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { createTopics, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const TOKEN = 'slick-test-token';
const PARTITIONS = 3;
const releaseSerde = jsonSerde<Release>('Release', 'order.release.v1');
const paymentSerde = jsonSerde<PaymentEvent>('PaymentEvent', 'order.payment.v1');
const fulfillmentSerde = jsonSerde<FulfillmentInteraction>('FulfillmentInteraction', 'order.fulfillment.v1');

function release(i: number): Release {
  const store = `QC${String(i % 7).padStart(4, '0')}`;
  const orderId = `${store}-${String(i).padStart(6, '0')}`;
  return {
    ReleaseID: `REL-${orderId}`,
    OrderID: orderId,
    ShipFromLocationID: store,
    ReleaseLines: [
      {
        LineID: '1',
        ItemID: 'SKU-100',
        Quantity: 1,
        UnitPrice: '35.5000',
        LineDiscount: '0.0000',
        LineTax: '2.4850',
        BundleGroupID: null,
        ShortDescription: null,
        ImageURL: null,
      },
    ],
    SubTotal: '35.5000',
    TotalDiscount: '0.0000',
    TotalTaxes: '2.4850',
    InformationalTaxes: '0.0000',
    TotalCharges: '0.0000',
    OrderTotal: '37.9850',
    PaymentMethod: 'COD',
    CodAmount: '37.9850',
    T1MembershipID: null,
    At: '2026-11-21T09:15:01Z',
  };
}

function records<T extends { ShipFromLocationID: string }>(topic: string, values: T[], serialize: (value: T) => Buffer) {
  return values.map((value) => {
    const key = Buffer.from(value.ShipFromLocationID);
    return { topic, partition: partitionForKey(key, PARTITIONS), key, value: serialize(value), timestamp: Date.now(), headers: {} };
  });
}

async function setup(client: KafkaClient, slick: SlickSimulator, breakerCoolDownMs = 300) {
  const prefix = uniqueName('slick');
  const topics: SlickEgressTopics = {
    release: `${prefix}.order.release.v1`,
    payment: `${prefix}.order.payment.v1`,
    fulfillment: `${prefix}.order.fulfillment.v1`,
  };
  await createTopics(client, [topics.release, topics.payment], PARTITIONS);
  const url = await slick.start();
  const lines: string[] = [];
  const egress = new SlickEgress(client, new SlickClient({ baseUrl: url, token: TOKEN, timeoutMs: 500 }), {
    group: `${prefix}-egress`,
    topics,
    serdes: { release: releaseSerde, payment: paymentSerde, fulfillment: fulfillmentSerde },
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200, jitter: 0.2 },
    breaker: { failureThreshold: 5, coolDownMs: breakerCoolDownMs },
    pollMs: 50,
    log: (line) => lines.push(line),
  });
  return { topics, egress, lines };
}

const interactions = async (client: KafkaClient, topic: string) =>
  (await readAll(client, topic)).map((record) => fulfillmentSerde.deserialize(record.value!));

t.test('Slick failing half of the calls: every release arrives once, every call is on order.fulfillment.v1', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  // Half of the calls fail: a quarter before Slick does anything, a quarter (1/3 of the rest) after Slick stored
  // the release (the answer is lost,
  // so the connector sends again and Slick tells it is a duplicate); 5 % more are not answered at all.
  const slick = new SlickSimulator({ token: TOKEN, faults: { failureRate: 0.25, failAfterAcceptRate: 1 / 3, timeoutRate: 0.05 } });
  const { topics, egress } = await setup(client, slick);
  t.teardown(async () => {
    await egress.stop();
    await slick.stop();
  });
  const releases = Array.from({ length: 60 }, (_, i) => release(i));
  await produce(
    client,
    records(topics.release, releases, (value) => releaseSerde.serialize(value)),
  );
  const collected: PaymentEvent[] = releases.slice(0, 10).map((r) => ({
    OrderID: r.OrderID,
    ShipFromLocationID: r.ShipFromLocationID,
    PaymentMethod: 'COD',
    PaymentStatus: 'Collected',
    Amount: r.CodAmount,
    At: '2026-11-21T11:00:00Z',
  }));
  const paid: PaymentEvent[] = releases
    .slice(10, 15)
    .map((r) => ({ ...collected[0]!, OrderID: r.OrderID, ShipFromLocationID: r.ShipFromLocationID, PaymentStatus: '5000' }));
  await produce(
    client,
    records(topics.payment, [...collected, ...paid], (value) => paymentSerde.serialize(value)),
  );
  await egress.start();

  await waitFor(
    'every release and collection at Slick',
    () => slick.acceptedReleases === releases.length && slick.collections.size === collected.length,
    50_000,
  );
  await waitFor('the last outcomes recorded', async () => {
    const done = (await interactions(client, topics.fulfillment)).filter((i) => i.Outcome === 'ACCEPTED' || i.Outcome === 'DUPLICATE');
    return new Set(done.map((i) => `${i.Action}:${i.OrderID}`)).size === releases.length + collected.length;
  });

  t.same(
    slick.releases.map((r) => r.ReleaseID).sort(),
    releases.map((r) => r.ReleaseID).sort(),
    'every release accepted by Slick, each once',
  );
  t.same(
    [...slick.collections.keys()].sort(),
    collected.map((p) => p.OrderID).sort(),
    'only Collected payment events confirmed, each once',
  );
  t.ok(slick.server.callsOf('failed-5xx') > 0 && slick.server.callsOf('failed-after-accept') > 0, 'the simulator did fail calls');
  t.ok(slick.duplicatesSeen > 0, 'retries of stored releases were answered as duplicates');

  const all = await interactions(client, topics.fulfillment);
  for (const r of releases) {
    const mine = all.filter((i) => i.Action === 'SEND_RELEASE' && i.ReleaseID === r.ReleaseID);
    const delivered = mine.filter((i) => i.Outcome === 'ACCEPTED' || i.Outcome === 'DUPLICATE');
    if (delivered.length !== 1) t.fail(`${r.ReleaseID}: ${delivered.length} delivery outcomes`);
    const calls = slick.releaseCalls.get(r.ReleaseID) ?? 0;
    const answered = mine.filter((i) => i.Outcome !== 'CIRCUIT_OPEN' && i.Outcome !== 'GAVE_UP').length;
    if (answered < calls) t.fail(`${r.ReleaseID}: Slick saw ${calls} calls, ${answered} recorded`);
    if (mine.some((i) => i.ShipFromLocationID !== r.ShipFromLocationID || i.OrderID !== r.OrderID))
      t.fail(`${r.ReleaseID}: wrong ids recorded`);
  }
  const failed = all.filter((i) => i.Outcome === 'FAILED');
  t.ok(failed.length > 0, `failed attempts recorded (${failed.length})`);
  t.ok(
    failed.some((i) => i.HttpStatus === 503),
    'with the HTTP status',
  );
  t.ok(
    failed.some((i) => i.HttpStatus === null && /no answer within 500 ms/.test(i.Error ?? '')),
    'timeouts recorded without a status',
  );
  t.ok(
    all.filter((i) => i.Action === 'CONFIRM_COLLECTION').every((i) => i.ReleaseID === null && i.Amount === '37.9850'),
    'collections carry the amount',
  );
  const metrics = await egress.metrics.registry.getSingleMetricAsString('omnia_slick_sends_total');
  t.match(metrics, /action="SEND_RELEASE",outcome="FAILED"/, 'sends by outcome are a metric');
  t.equal(egress.status().lag, 0, 'nothing left to read');
});

t.test('a release Slick refuses does not hold up the next 100 of its store; sent again after the fix, it arrives once', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const slick = new SlickSimulator({ token: TOKEN });
  const { topics, egress } = await setup(client, slick);
  t.teardown(async () => {
    await egress.stop();
    await slick.stop();
  });
  // One store, so one partition: 101 releases in order, the first with an item Slick does not know yet.
  const store = (i: number): Release => {
    const r = release(i * 7);
    return i === 0 ? { ...r, ReleaseLines: r.ReleaseLines.map((line) => ({ ...line, ItemID: 'SKU-NEW' })) } : r;
  };
  const releases = Array.from({ length: 101 }, (_, i) => store(i));
  t.equal(new Set(releases.map((r) => r.ShipFromLocationID)).size, 1, 'one store');
  slick.unknownItems.add('SKU-NEW');
  await produce(
    client,
    records(topics.release, releases, (value) => releaseSerde.serialize(value)),
  );
  await egress.start();
  await waitFor('the 100 releases after the refused one at Slick', () => slick.acceptedReleases === 100, 60_000);
  const refused = releases[0]!;
  t.notOk(slick.hasRelease(refused.ReleaseID), 'the refused release is not at Slick');
  await waitFor('the refusal recorded', async () =>
    (await interactions(client, topics.fulfillment)).some((i) => i.ReleaseID === refused.ReleaseID && i.Outcome === 'REFUSED'),
  );
  const refusal = (await interactions(client, topics.fulfillment)).find(
    (i) => i.ReleaseID === refused.ReleaseID && i.Outcome === 'REFUSED',
  )!;
  t.equal(refusal.HttpStatus, 422);
  t.match(refusal.Error, /UNKNOWN_ITEM.*SKU-NEW.*set aside/, "Slick's answer is on the record");
  t.equal(slick.releaseCalls.get(refused.ReleaseID), 3, 'one round of 3 calls, then left alone');

  // The fix, then "Send again": the topology emits the very same Release once more (docs/contract.md §10).
  slick.knowItem('SKU-NEW');
  await produce(
    client,
    records(topics.release, [refused], (value) => releaseSerde.serialize(value)),
  );
  await waitFor('the refused release at Slick', () => slick.hasRelease(refused.ReleaseID), 30_000);
  await waitFor('its acceptance recorded', async () =>
    (await interactions(client, topics.fulfillment)).some((i) => i.ReleaseID === refused.ReleaseID && i.Outcome === 'ACCEPTED'),
  );
  const mine = (await interactions(client, topics.fulfillment)).filter((i) => i.ReleaseID === refused.ReleaseID);
  t.same(
    mine.map((i) => i.Outcome),
    ['FAILED', 'FAILED', 'FAILED', 'REFUSED', 'ACCEPTED'],
    'refused a round, then accepted once',
  );
  t.equal(slick.acceptedReleases, 101, 'every release at Slick, each once');
  t.same(
    await egress.metrics.registry.getSingleMetricAsString('omnia_slick_releases_set_aside_total').then((m) => m.split('\n').at(-1)),
    'omnia_slick_releases_set_aside_total 1',
  );
});

t.test('Slick down: the breaker opens, nothing is lost, delivery resumes when Slick is back', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const slick = new SlickSimulator({ token: TOKEN });
  const { topics, egress, lines } = await setup(client, slick, 300);
  t.teardown(async () => {
    await egress.stop();
    await slick.stop();
  });
  const first = Array.from({ length: 10 }, (_, i) => release(i));
  await produce(
    client,
    records(topics.release, first, (value) => releaseSerde.serialize(value)),
  );
  await egress.start();
  await waitFor('the first releases at Slick', () => slick.acceptedReleases === first.length);

  await slick.down();
  const more = Array.from({ length: 30 }, (_, i) => release(100 + i));
  await produce(
    client,
    records(topics.release, more, (value) => releaseSerde.serialize(value)),
  );
  await waitFor('the breaker open', async () => (await interactions(client, topics.fulfillment)).some((i) => i.Outcome === 'CIRCUIT_OPEN'));
  t.equal(egress.status().state, 'blocked', 'health says the connector is blocked');
  t.ok(egress.status().pending.length > 0, 'and on which releases');
  t.match(
    await egress.metrics.registry.getSingleMetricAsString('omnia_slick_breaker_openings_total'),
    /omnia_slick_breaker_openings_total [1-9]/,
    'breaker openings are a metric',
  );
  await waitFor('a probe failed while Slick is down', () => lines.some((line) => /half-open → open/.test(line)));
  t.equal(slick.acceptedReleases, first.length, 'nothing reached Slick while down');

  await slick.up();
  await waitFor('every release at Slick', () => slick.acceptedReleases === first.length + more.length, 30_000);
  await waitFor('breaker closed', () => egress.status().breaker === 'closed');
  t.match(
    await egress.metrics.registry.getSingleMetricAsString('omnia_slick_breaker_state'),
    /omnia_slick_breaker_state 0/,
    'the state gauge says closed',
  );
  t.match(
    await egress.metrics.registry.getSingleMetricAsString('omnia_slick_breaker_openings_total'),
    /omnia_slick_breaker_openings_total ([2-9]|\d\d+)/,
    'opened again after each failed probe',
  );
  t.same(
    slick.releases.map((r) => r.ReleaseID).sort(),
    [...first, ...more].map((r) => r.ReleaseID).sort(),
    'all releases accepted, each once',
  );
  const all = await interactions(client, topics.fulfillment);
  const refusedWhileOpen = all.filter((i) => i.Outcome === 'CIRCUIT_OPEN');
  t.ok(refusedWhileOpen.length > 0, `CIRCUIT_OPEN outcomes recorded (${refusedWhileOpen.length})`);
  t.ok(
    all.some((i) => i.Outcome === 'FAILED' && /ECONNREFUSED/.test(i.Error ?? '')),
    'connection refused recorded',
  );
  for (const r of more) {
    const delivered = all.filter((i) => i.ReleaseID === r.ReleaseID && (i.Outcome === 'ACCEPTED' || i.Outcome === 'DUPLICATE'));
    if (delivered.length !== 1) t.fail(`${r.ReleaseID}: ${delivered.length} delivery outcomes`);
  }
  t.ok(
    lines.some((line) => /closed → open/.test(line)) && lines.some((line) => /half-open → closed/.test(line)),
    'the breaker opened and closed again',
  );
});

t.test('a release that cannot be decoded goes to the DLQ; the ones after it are delivered', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const slick = new SlickSimulator({ token: TOKEN });
  const { topics, egress } = await setup(client, slick);
  t.teardown(async () => {
    await egress.stop();
    await slick.stop();
  });
  const good = [release(1), release(8)]; // the same store: one partition, in order
  const key = Buffer.from(good[0]!.ShipFromLocationID);
  const partition = partitionForKey(key, PARTITIONS);
  await produce(client, [
    { topic: topics.release, partition, key, value: Buffer.from('{not json'), timestamp: Date.now(), headers: {} },
    ...records(topics.release, good, (value) => releaseSerde.serialize(value)),
  ]);
  await egress.start();
  await waitFor('the good releases at Slick', () => slick.acceptedReleases === 2);
  const letters = await readAll(client, `${topics.release}.dlq`);
  t.equal(letters.length, 1, 'one dead letter');
  t.equal(letters[0]?.headers['omnia.error.code'], 'MALFORMED_RECORD');
});

t.test('stopped while waiting for its topics: start resolves without creating or joining anything', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const slick = new SlickSimulator({ token: TOKEN });
  const prefix = uniqueName('slick-stop-early');
  const topics: SlickEgressTopics = {
    release: `${prefix}.order.release.v1`,
    payment: `${prefix}.order.payment.v1`,
    fulfillment: `${prefix}.order.fulfillment.v1`,
  };
  const egress = new SlickEgress(client, new SlickClient({ baseUrl: await slick.start(), token: TOKEN, timeoutMs: 500 }), {
    group: `${prefix}-egress`,
    topics,
    serdes: { release: releaseSerde, payment: paymentSerde, fulfillment: fulfillmentSerde },
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200, jitter: 0.2 },
    breaker: { failureThreshold: 5, coolDownMs: 300 },
    log: () => undefined,
  });
  t.teardown(() => slick.stop());
  const starting = egress.start();
  await waitFor('the egress to wait for the pipeline’s topics', () => egress.status().state === 'waiting-for-topics', 30_000);
  await egress.stop();
  t.equal(
    await starting.then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.message}`,
    ),
    'resolved',
    'start() resolves',
  );
  t.equal(egress.status().state, 'stopped', 'and the egress stays stopped');
  const admin = client.admin();
  t.same([...(await admin.partitionCounts([topics.fulfillment, `${topics.release}.dlq`])).keys()], [], 'it created none of its topics');
  await admin.close();
});
