/**
 * The webhook ingress on the real broker: a signed event from each partner is on its topic, in the partition of
 * its ShipFromLocationID, as the expected record, by the time the 2xx arrives; every refused request (forged,
 * stale, replayed, another partner's secret, malformed) leaves both topics' end offsets where they were.
 */
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import { jsonSerde } from '../../avro/serdes.js';
import { logger } from '../../observability/logger.js';
import { signWebhook } from '../../connectors/signature.js';
import { type RunningWebhookServer, startWebhookServer, WEBHOOK_ROUTES } from '../../connectors/webhook-server.js';
import { type KafkaClient, tpKey } from '../../topology/kafka/client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ConsumedRecord } from '../../runtime/produced-record.js';
import { createTopics, requireKafka, testClient, uniqueName } from './harness.js';

const PARTITIONS = 3;
const secrets = { slick: 'slick-webhook-secret-for-tests', grab: 'grab-webhook-secret-for-tests', pmp: 'pmp-webhook-secret-for-tests' };
type Route = (typeof WEBHOOK_ROUTES)[keyof typeof WEBHOOK_ROUTES];

async function endOffsets(client: KafkaClient, topics: string[]): Promise<Map<string, bigint>> {
  const admin = client.admin();
  try {
    return await admin.endOffsets(
      topics.flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))),
      false,
    );
  } finally {
    await admin.close();
  }
}

async function recordAt(client: KafkaClient, topic: string, partition: number, offset: bigint): Promise<ConsumedRecord | undefined> {
  const reader = client.partitionReader();
  const out: ConsumedRecord[] = [];
  try {
    await reader.read({ topic, partition }, offset, offset + 1n, async (records) => void out.push(...records));
  } finally {
    await reader.close();
  }
  return out.find((record) => record.offset === offset);
}

function send(server: RunningWebhookServer, route: Route, body: string, headers: Record<string, string>) {
  return fetch(`${server.url}${route.url}`, { method: route.method, headers: { 'content-type': 'application/json', ...headers }, body });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

t.test('webhook ingress on Kafka', async (t) => {
  if (!(await requireKafka(t))) return;
  const client = testClient();
  const topics = { shipEvents: uniqueName('ship-event'), deliveryStatus: uniqueName('delivery-status') };
  await createTopics(client, [topics.shipEvents, topics.deliveryStatus], PARTITIONS);
  // Warnings and errors only: the latency run below would print two access lines per request.
  const quiet = logger.child({ component: 'webhook-ingress' }, { level: 'warn' });
  const server = await startWebhookServer({
    config: { ...secretsConfig(), port: 0, host: '127.0.0.1' },
    env: {},
    client,
    serdeConfig: serdeConfig({}),
    topics,
    logger: quiet,
  });
  t.teardown(() => server.close());
  const all = [topics.shipEvents, topics.deliveryStatus];

  t.test('a valid event from each partner is on its topic and partition, as its record, when the 2xx returns', async (t) => {
    const shipSerde = jsonSerde('ShipEvent');
    const statusSerde = jsonSerde('DeliveryStatus');
    const at = '2026-11-21T09:15:00Z';
    const cases = [
      {
        name: 'Slick shipped',
        route: WEBHOOK_ROUTES.slickShipEvents,
        secret: secrets.slick,
        topic: topics.shipEvents,
        body: {
          EventID: 'SLK-R1-shipped',
          OrderID: 'QC0042-000123',
          ShipFromLocationID: 'QC0042',
          EventType: 'shipped',
          TrackingID: 'GRAB-R1',
          Carrier: 'GRAB',
          EstimatedDelivery: '2026-11-21T11:15:00Z',
          Lines: null,
          At: at,
        },
        record: {
          EventID: 'SLK-R1-shipped',
          OrderID: 'QC0042-000123',
          ShipFromLocationID: 'QC0042',
          EventType: 'shipped',
          TrackingID: 'GRAB-R1',
          Carrier: 'GRAB',
          EstimatedDelivery: '2026-11-21T11:15:00Z',
          Lines: null,
          At: at,
        },
        serde: shipSerde,
      },
      {
        name: 'Slick substitution',
        route: WEBHOOK_ROUTES.slickShipEvents,
        secret: secrets.slick,
        topic: topics.shipEvents,
        body: {
          EventID: 'SLK-R2-sub',
          OrderID: 'QC0007-000001',
          ShipFromLocationID: 'QC0007',
          EventType: 'substitution',
          Lines: [{ LineID: '1', ItemID: 'SKU-1', Quantity: 1, SubstituteItemID: 'SKU-9' }],
          At: at,
        },
        record: {
          EventID: 'SLK-R2-sub',
          OrderID: 'QC0007-000001',
          ShipFromLocationID: 'QC0007',
          EventType: 'substitution',
          TrackingID: null,
          Carrier: null,
          EstimatedDelivery: null,
          Lines: [{ LineID: '1', ItemID: 'SKU-1', Quantity: 1, SubstituteItemID: 'SKU-9' }],
          At: at,
        },
        serde: shipSerde,
      },
      {
        name: 'Grab out for delivery',
        route: WEBHOOK_ROUTES.grabStatus,
        secret: secrets.grab,
        topic: topics.deliveryStatus,
        body: { EventID: 'GRAB-1', OrderID: 'QC0042-000123', ShipFromLocationID: 'QC0042', Status: 'OUT_FOR_DELIVERY', At: at },
        record: {
          EventID: 'GRAB-1',
          OrderID: 'QC0042-000123',
          ShipFromLocationID: 'QC0042',
          Partner: 'GRAB',
          Status: 'OUT_FOR_DELIVERY',
          CollectedAmount: null,
          At: at,
          ConfirmedBy: null,
          Reference: null,
          Note: null,
        },
        serde: statusSerde,
      },
      {
        name: 'PMP delivered',
        route: WEBHOOK_ROUTES.pmpDelivered,
        secret: secrets.pmp,
        topic: topics.deliveryStatus,
        body: { EventID: 'PMP-1', OrderID: 'QC0101-000009', ShipFromLocationID: 'QC0101', At: at },
        record: {
          EventID: 'PMP-1',
          OrderID: 'QC0101-000009',
          ShipFromLocationID: 'QC0101',
          Partner: 'PMP',
          Status: 'DELIVERED',
          CollectedAmount: null,
          At: at,
          ConfirmedBy: null,
          Reference: null,
          Note: null,
        },
        serde: statusSerde,
      },
      {
        name: 'PMP cash collected',
        route: WEBHOOK_ROUTES.pmpCashCollected,
        secret: secrets.pmp,
        topic: topics.deliveryStatus,
        body: { EventID: 'PMP-2', OrderID: 'QC0101-000009', ShipFromLocationID: 'QC0101', CollectedAmount: '245.5000', At: at },
        record: {
          EventID: 'PMP-2',
          OrderID: 'QC0101-000009',
          ShipFromLocationID: 'QC0101',
          Partner: 'PMP',
          Status: 'COLLECTED',
          CollectedAmount: '245.5000',
          At: at,
          ConfirmedBy: null,
          Reference: null,
          Note: null,
        },
        serde: statusSerde,
      },
    ];
    for (const c of cases) {
      const partition = partitionForKey(Buffer.from(c.record.ShipFromLocationID), PARTITIONS);
      const before = (await endOffsets(client, [c.topic])).get(tpKey(c.topic, partition)) ?? 0n;
      const body = JSON.stringify(c.body);
      const response = await send(server, c.route, body, signWebhook(c.secret, body));
      t.equal(response.status, 202, `${c.name}: 202`);
      t.same(await response.json(), { accepted: true, eventId: c.record.EventID });
      // Read right after the response: the record must already be there.
      const record = await recordAt(client, c.topic, partition, before);
      t.ok(record, `${c.name}: on ${c.topic} partition ${partition} at offset ${before}`);
      t.equal(record?.key?.toString(), c.record.ShipFromLocationID, `${c.name}: keyed by ShipFromLocationID`);
      t.same(record && c.serde.deserialize(record.value!), c.record, `${c.name}: the record`);
    }
  });

  t.test('refused requests get their status and code, and nothing reaches Kafka', async (t) => {
    const before = await endOffsets(client, all);
    const body = JSON.stringify({
      EventID: 'GRAB-9',
      OrderID: 'QC0042-000123',
      ShipFromLocationID: 'QC0042',
      Status: 'DELIVERED',
      At: '2026-11-21T09:15:00Z',
    });
    const now = Math.floor(Date.now() / 1000);
    const valid = signWebhook(secrets.grab, body);
    const forged = { ...valid, 'X-Omnia-Signature': `sha256=${'0'.repeat(64)}` };
    const accepted = await send(server, WEBHOOK_ROUTES.grabStatus, body, valid);
    t.equal(accepted.status, 202, 'the valid request itself is accepted once');
    const afterValid = await endOffsets(client, all);
    const badJson = '{"EventID": "GRAB-10",';
    const badSchema = JSON.stringify({ EventID: 'GRAB-11', OrderID: 'bad id!', Status: 'TELEPORTED', At: 'yesterday' });
    const cases: Array<[string, Route, string, Record<string, string>, number, string]> = [
      ['forged signature', WEBHOOK_ROUTES.grabStatus, body, forged, 401, 'SIGNATURE_INVALID'],
      ['no signature headers', WEBHOOK_ROUTES.grabStatus, body, {}, 401, 'SIGNATURE_INVALID'],
      [
        'body altered after signing',
        WEBHOOK_ROUTES.grabStatus,
        body.replace('DELIVERED', 'FAILED'),
        signWebhook(secrets.grab, body),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'stale timestamp',
        WEBHOOK_ROUTES.grabStatus,
        body,
        signWebhook(secrets.grab, body, { timestamp: now - 301 }),
        401,
        'TIMESTAMP_OUT_OF_WINDOW',
      ],
      [
        'timestamp from the future',
        WEBHOOK_ROUTES.grabStatus,
        body,
        signWebhook(secrets.grab, body, { timestamp: now + 3600 }),
        401,
        'TIMESTAMP_OUT_OF_WINDOW',
      ],
      ['replayed nonce', WEBHOOK_ROUTES.grabStatus, body, valid, 409, 'NONCE_REPLAYED'],
      ['Slick’s secret on the Grab route', WEBHOOK_ROUTES.grabStatus, body, signWebhook(secrets.slick, body), 401, 'SIGNATURE_INVALID'],
      ['PMP’s secret on the Slick route', WEBHOOK_ROUTES.slickShipEvents, body, signWebhook(secrets.pmp, body), 401, 'SIGNATURE_INVALID'],
      ['malformed JSON, signed', WEBHOOK_ROUTES.grabStatus, badJson, signWebhook(secrets.grab, badJson), 400, 'MALFORMED_JSON'],
      [
        'body failing the partner schema, signed',
        WEBHOOK_ROUTES.grabStatus,
        badSchema,
        signWebhook(secrets.grab, badSchema),
        400,
        'VALIDATION_FAILED',
      ],
      ['malformed JSON, unsigned (signature first)', WEBHOOK_ROUTES.grabStatus, badJson, {}, 401, 'SIGNATURE_INVALID'],
    ];
    for (const [name, route, payload, headers, status, code] of cases) {
      const response = await send(server, route, payload, headers);
      const json = (await response.json()) as { error: { code: string; message: string; details?: Array<{ field: string }> } };
      t.equal(response.status, status, `${name}: ${status}`);
      t.equal(json.error.code, code, `${name}: ${code}`);
      if (code === 'VALIDATION_FAILED')
        t.same(
          json.error.details?.map((detail) => detail.field),
          ['Status', 'OrderID', 'ShipFromLocationID', 'At'],
          `${name}: every failing field`,
        );
    }
    t.same(await endOffsets(client, all), afterValid, 'end offsets unchanged by every refused request');
    t.not(
      afterValid.get(tpKey(topics.deliveryStatus, partitionForKey(Buffer.from('QC0042'), PARTITIONS))),
      before.get(tpKey(topics.deliveryStatus, partitionForKey(Buffer.from('QC0042'), PARTITIONS))),
    );
  });

  t.test('ack latency over a few hundred requests (reported, not asserted)', async (t) => {
    const before = await endOffsets(client, all);
    const stores = Array.from({ length: 20 }, (_, i) => `QC${String(i).padStart(4, '0')}`);
    const one = async (i: number) => {
      const body = JSON.stringify({
        EventID: `LAT-${i}`,
        OrderID: `O-${i}`,
        ShipFromLocationID: stores[i % stores.length],
        EventType: 'picked',
        At: new Date().toISOString(),
      });
      const started = performance.now();
      const response = await send(server, WEBHOOK_ROUTES.slickShipEvents, body, signWebhook(secrets.slick, body));
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`request ${i}: ${response.status}`);
      return performance.now() - started;
    };
    const report = (label: string, samples: number[], elapsedMs: number) => {
      const sorted = [...samples].sort((a, b) => a - b);
      t.comment(
        `${label}: ${samples.length} requests, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms, ${((samples.length / elapsedMs) * 1000).toFixed(0)} req/s`,
      );
    };
    const sequential: number[] = [];
    let started = performance.now();
    for (let i = 0; i < 300; i++) sequential.push(await one(i));
    report('webhook ack latency, one request at a time', sequential, performance.now() - started);

    const concurrent: number[] = [];
    started = performance.now();
    let next = 300;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 700) concurrent.push(await one(next++));
      }),
    );
    report('webhook ack latency, 20 requests in flight', concurrent, performance.now() - started);

    // Server side: from handing the record to the producer to its acks (the rest of a request's time is HTTP,
    // signing and verifying, with client and server sharing this one process).
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const series = (name: string) =>
      Number(new RegExp(`^omnia_webhook_produce_seconds_${name}\\{topic="${topics.shipEvents}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    t.comment(
      `produce to acks (server side, all ${series('count')} Slick events): mean ${((series('sum') / series('count')) * 1000).toFixed(2)} ms`,
    );

    const after = await endOffsets(client, all);
    const added = [...after].reduce((sum, [key, end]) => sum + Number(end - (before.get(key) ?? 0n)), 0);
    t.equal(added, 700, 'every acknowledged request is one record');
  });
});

function secretsConfig() {
  return { slickSecret: secrets.slick, grabSecret: secrets.grab, pmpSecret: secrets.pmp };
}
