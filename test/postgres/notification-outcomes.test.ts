// notification.sent.v1 into notification_outcomes on a real Postgres, through the sink's own path (sink-sources.ts →
// tables.ts → BatchWriter): each step a row, in topic order, with its columns as recorded; the constraints refuse an
// outcome the record type does not have.
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { NotificationOutcome } from '../../avro/records.js';
import { BatchWriter } from '../../sinks/batch-writer.js';
import { loadOffsets } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { migratedDatabase } from './harness.js';

const step = (outcome: NotificationOutcome['Outcome'], fields: Partial<NotificationOutcome> = {}): NotificationOutcome => ({
  NotificationID: 'WEB-000001:SHIPPED',
  OrderID: 'WEB-000001',
  ShipFromLocationID: 'QC0001',
  CustomerID: 'C-1001',
  Event: 'SHIPPED',
  Channel: 'SMS',
  Recipient: '+66*****0001',
  Language: 'th',
  Attempt: 1,
  Outcome: outcome,
  Reason: null,
  HttpStatus: null,
  Error: null,
  ProviderMessageID: null,
  Body: null,
  DueAt: null,
  EventAt: '2026-12-06T14:30:00.000Z',
  At: '2026-12-06T14:30:01.000Z',
  ...fields,
});

t.test('every step of a message becomes a row of notification_outcomes, in topic order', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const sources = sinkSources({ applicationId: 'app', topicPrefix: '', serdes: serdeConfig({}) });
  t.ok(sources.topics.includes('notification.sent.v1'), 'the sink reads notification.sent.v1');
  t.same(
    sources.creatable.map((entry) => entry.topic),
    ['order.fulfillment.v1', 'notification.sent.v1'],
    'and creates it when omnia notify has not yet',
  );
  const body = 'Omnia: คำสั่งซื้อ WEB-000001 จัดส่งแล้วกับ Grab ติดตามได้ที่ https://track.omnia.example/track/abc.def';
  const steps = [
    step('DEFERRED', {
      Attempt: 0,
      Channel: null,
      Recipient: null,
      Language: null,
      Reason: 'QUIET_HOURS 21:00-08:00',
      DueAt: '2026-12-07T01:00:00.000Z',
    }),
    step('FAILED', { HttpStatus: 503, Error: 'HTTP 503 from SMS', Body: body }),
    step('SENT', { Attempt: 2, HttpStatus: 201, ProviderMessageID: 'sms-000042', Body: body, At: '2026-12-07T01:00:02.000Z' }),
    step('SKIPPED', {
      NotificationID: 'WEB-000002:CANCELLED',
      OrderID: 'WEB-000002',
      Event: 'CANCELLED',
      Attempt: 0,
      Channel: null,
      Recipient: null,
      Language: null,
      Reason: 'OPTED_OUT',
    }),
  ];
  const items = steps.map((value, offset) =>
    itemOf(
      {
        topic: 'notification.sent.v1',
        partition: 1,
        offset: BigInt(offset),
        key: Buffer.from('QC0001'),
        value: Buffer.from(JSON.stringify(value)),
        timestamp: 0,
        headers: {},
      },
      sources,
    ),
  );
  t.same(
    items.map((item) => item.unusable),
    [undefined, undefined, undefined, undefined],
    'every step decodes and fits the table',
  );
  const writer = new BatchWriter(db, 'test-sink');
  const outcome = await writer.write(items, await loadOffsets(db, 'test-sink', [{ topic: 'notification.sent.v1', partition: 1 }]));
  t.same(Object.fromEntries(outcome.rows), { notification_outcomes: 4 });
  const rows = (
    await client.query(
      `SELECT kafka_offset, notification_id, outcome, reason, channel, recipient, http_status, provider_message_id, body, due_at, event_at
       FROM notification_outcomes ORDER BY kafka_partition, kafka_offset`,
    )
  ).rows;
  t.same(
    rows.map((row) => [
      row.kafka_offset,
      row.notification_id,
      row.outcome,
      row.reason,
      row.channel,
      row.http_status,
      row.provider_message_id,
    ]),
    [
      ['0', 'WEB-000001:SHIPPED', 'DEFERRED', 'QUIET_HOURS 21:00-08:00', null, null, null],
      ['1', 'WEB-000001:SHIPPED', 'FAILED', null, 'SMS', 503, null],
      ['2', 'WEB-000001:SHIPPED', 'SENT', null, 'SMS', 201, 'sms-000042'],
      ['3', 'WEB-000002:CANCELLED', 'SKIPPED', 'OPTED_OUT', null, null, null],
    ],
  );
  t.equal(rows[2]!.body, body, 'the text exactly as sent, Thai included');
  t.equal(rows[2]!.recipient, '+66*****0001', 'the recipient masked');
  t.same((rows[0]!.due_at as Date).toISOString(), '2026-12-07T01:00:00.000Z');
  await t.rejects(
    client.query(
      `INSERT INTO notification_outcomes (kafka_partition, kafka_offset, notification_id, order_id, ship_from_location_id, event, attempt, outcome, event_at, at)
       VALUES (9, 9, 'x', 'x', 'x', 'SHIPPED', 0, 'LOST', now(), now())`,
    ),
    /check constraint/,
    'an outcome the record type does not have is refused',
  );
});
