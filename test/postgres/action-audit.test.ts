// The audit trail on a real Postgres: the query service's own action routes send their commands (captured as they
// would reach Kafka, headers included), the sink reads them back through its own path (sink-sources.ts →
// action-audit.ts → BatchWriter) into action_audit. Each kind of action is one row with its actor; its outcome is
// filled in when the pipeline gives one (an exception's outcome, a dead letter); a redelivered batch and a command
// sent twice add nothing.
import t from 'tap';
import type { Test } from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { BundleDefinition, DeliveryStatus, ExceptionAction, ExceptionOutcome } from '../../avro/records.js';
import type { PublishRecord } from '../../connectors/webhook-publisher.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import { migrate } from '../../postgres/migrate.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import { devToken } from '../../query-service/auth.js';
import type { BundleCatalog } from '../../query-service/bundle-catalog.js';
import { bundleRoutes } from '../../query-service/bundle-routes.js';
import { codRoutes } from '../../query-service/cod-routes.js';
import { exceptionActionRoutes } from '../../query-service/exception-routes.js';
import { orderActionRoutes } from '../../query-service/order-action-routes.js';
import { NotFound, type OrderLocator } from '../../query-service/order-lookup-routes.js';
import { orderModifyRoutes } from '../../query-service/order-modify-routes.js';
import type { OrderView } from '../../query-service/order-view.js';
import { returnRoutes } from '../../query-service/return-routes.js';
import { deadLetter } from '../../runtime/dead-letter.js';
import type { ConsumedRecord, ProducedRecord } from '../../runtime/produced-record.js';
import { BatchWriter, type SinkItem } from '../../sinks/batch-writer.js';
import { loadOffsets, SinkFencedError } from '../../sinks/sink-offsets.js';
import { itemOf, sinkSources } from '../../sinks/sink-sources.js';
import { Topics } from '../../topology/topics.js';
import { bearer, hs256, T0, testService } from '../unit/query-service/helpers.js';
import { migratedDatabase } from './harness.js';

const PREFIX = 'audit.';
const CONSUMER = 'test-audit';
const DAY = 86_400_000;
const sources = sinkSources({ applicationId: 'audit', topicPrefix: PREFIX, serdes: serdeConfig({}) });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** An order as the lookup shows it; `change` sets what an action checks (status, payment, carrier). */
const order = (orderId: string, change: Partial<OrderView> = {}): OrderView => ({
  orderId,
  shipFromLocationId: 'QC0001',
  customerId: 'C-1',
  custRef: null,
  status: 2000,
  statusName: 'Allocated',
  paymentMethod: 'COD',
  paymentStatus: '5000',
  releaseId: null,
  createdAt: new Date(T0 - 3 * DAY).toISOString(),
  updatedAt: new Date(T0 - 3 * DAY).toISOString(),
  totals: null,
  lines: [
    {
      lineId: 'L1',
      itemId: 'SKU-1',
      quantity: 2,
      unitPrice: '10.0000',
      lineAmount: '20.0000',
      lineDiscount: '0.0000',
      lineTax: '0.0000',
      bundleGroupId: null,
      shortDescription: null,
      imageUrl: null,
    },
  ],
  history: [],
  carrier: null,
  trackingId: null,
  collectedAmount: null,
  collectedAt: null,
  deliveryAddress: { line1: '1 Sukhumvit Rd', district: 'Khlong Toei', province: 'Bangkok', postalCode: '10110', phone: '0812345678' },
  ...change,
});

const DELIVERED = { status: 7500, statusName: 'Delivered', carrier: 'PMP', deliveredAt: new Date(T0 - DAY).toISOString() };

/** The query service's action routes, as `omnia start` registers them, sending into `sent`. */
function actionService(t: Test) {
  const orders = new Map<string, OrderView>(
    [
      order('QC0001-1'),
      order('QC0001-2'),
      order('QC0001-3'),
      order('QC0001-4'),
      order('QC0001-5', DELIVERED),
      order('QC0001-6', { ...DELIVERED, paymentStatus: 'Collected' }),
      order('QC0001-7', { ...DELIVERED, paymentStatus: 'Collected' }),
    ].map((view) => [view.orderId, view]),
  );
  const locator: OrderLocator = {
    lookup: async (_request, orderId) => {
      const view = orders.get(orderId);
      if (!view) throw new NotFound(orderId);
      return { source: 'local-state', answeredBy: 'test', order: view };
    },
    close: () => undefined,
  };
  // The lists the exception and return routes read first: an open exception for every order, no earlier return.
  const lists = { query: async (sql: string) => ({ rows: sql.includes('open_reconciliation_exceptions') ? [{ open: 1 }] : [] }) };
  const bundles = new Map<string, BundleDefinition>();
  const catalog: BundleCatalog = {
    all: async () => [...bundles.values()],
    get: async (id) => bundles.get(id),
    product: async () => undefined,
  };
  const sent: PublishRecord[] = [];
  const publisher = {
    publish: async (record: PublishRecord) => {
      sent.push(record);
      if (record.topic === PREFIX + Topics.bundles) bundles.set(record.key, JSON.parse(record.value.toString()) as BundleDefinition);
      return { partition: 0 };
    },
  };
  const common = { locator, publisher, encode: json, now: () => T0 };
  const { app } = testService({
    rateLimit: { perSecond: 1000, burst: 1000 },
    routes: [
      orderActionRoutes({ ...common, updateTopic: PREFIX + Topics.orderUpdate }),
      orderModifyRoutes({ ...common, updateTopic: PREFIX + Topics.orderUpdate }),
      codRoutes({ ...common, deliveryTopic: PREFIX + Topics.deliveryStatus }),
      exceptionActionRoutes({ ...common, db: lists as unknown as SqlDatabase, actionTopic: PREFIX + Topics.exceptionAction }),
      returnRoutes({ ...common, db: lists as unknown as SqlDatabase, returnTopic: PREFIX + Topics.orderReturn, windowDays: 7 }),
      bundleRoutes({ catalog, publisher, bundleTopic: PREFIX + Topics.bundles, encode: json, now: () => T0 }),
    ],
  });
  t.teardown(() => app.close());
  const as = (sub: string, roles: string[]) => {
    const headers = bearer(devToken(hs256, { sub, roles, stores: ['QC0001'] }, T0));
    return async (url: string, payload: object = {}, key?: string) => {
      const response = await app.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) },
        payload,
      });
      return { status: response.statusCode, body: response.json() as { commandId?: string; results?: Array<{ commandId: string }> } };
    };
  };
  return { sent, as };
}

/** What the sink consumes: the sent records on partition 0 of their topics, numbered on from `next`. */
function consumed(records: ReadonlyArray<PublishRecord | ProducedRecord>, next: Map<string, bigint>): ConsumedRecord[] {
  return records.map((record) => {
    const offset = next.get(record.topic) ?? 0n;
    next.set(record.topic, offset + 1n);
    return {
      topic: record.topic,
      partition: 0,
      offset,
      key: typeof record.key === 'string' ? Buffer.from(record.key) : record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers ?? {},
    };
  });
}

async function writeItems(db: SqlDatabase, items: readonly SinkItem[]) {
  const partitions = [...new Map(items.map((item) => [item.topic, { topic: item.topic, partition: item.partition }])).values()];
  const expected = await loadOffsets(db, CONSUMER, partitions);
  return { expected, outcome: await new BatchWriter(db, CONSUMER).write(items, expected) };
}

interface AuditRow {
  audit_id: string;
  command_id: string | null;
  actor: string | null;
  action: string;
  target_kind: string;
  target_id: string;
  ship_from_location_id: string | null;
  requested_at: Date;
  outcome: string | null;
  outcome_reason: string | null;
  details: Record<string, unknown>;
  kafka_topic: string | null;
  kafka_offset: string | null;
}

const auditRows = async (query: (sql: string) => Promise<{ rows: unknown[] }>) =>
  (await query('SELECT * FROM action_audit ORDER BY kafka_topic, kafka_offset, audit_id')).rows as AuditRow[];

/** Every kind of action once, through the routes; the answers' command ids by what was done. */
async function everyAction(t: Test) {
  const { sent, as } = actionService(t);
  const clerk = as('clerk-a', ['store_staff']);
  const manager = as('manager-b', ['store_manager']);
  const promo = as('promo-anna', ['bundle_manager']);
  const ids: Record<string, string> = {};
  const accepted = (what: string, answer: { status: number; body: { commandId?: string } }) => {
    t.equal(answer.status, 202, `${what} accepted`);
    ids[what] = answer.body.commandId!;
  };
  accepted('cancel', await clerk('/orders/QC0001-1/cancel', { reason: 'customer ordered twice' }, 'k-cancel'));
  const bulk = await manager('/orders/cancel', { orderIds: ['QC0001-2', 'QC0001-3'], reason: 'store closing early' }, 'k-bulk');
  t.equal(bulk.status, 200, 'bulk cancel answered');
  bulk.body.results!.forEach((result, i) => void (ids[`bulk ${i + 2}`] = result.commandId));
  accepted(
    'modify',
    await clerk(
      '/orders/QC0001-4/modify',
      {
        reason: 'customer moved',
        address: { line1: '9 Rama IV', district: 'Pathum Wan', province: 'Bangkok', postalCode: '10330', phone: '0899999999' },
      },
      'k-modify',
    ),
  );
  accepted('cash', await clerk('/orders/QC0001-5/cod/confirm', { amount: '20.00', reference: 'RCPT-77' }, 'k-cash'));
  accepted('acknowledge', await manager('/orders/QC0001-6/reconciliation/acknowledge', { note: 'calling PMP' }, 'k-ack'));
  accepted('return', await clerk('/orders/QC0001-7/returns', { lines: [{ lineId: 'L1', quantity: 1 }], reason: 'broken seal' }, 'k-ret'));
  accepted(
    'bundle',
    await promo(
      '/bundles',
      {
        bundleId: 'B-MORNING',
        components: [{ itemId: 'SKU-1', quantity: 2 }],
        pricing: { type: 'AMOUNT_OFF', amount: '5' },
        locations: [],
      },
      'k-bundle',
    ),
  );
  return { sent, ids };
}

t.test('each kind of action lands as one row of action_audit with its actor, target, store and command id', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const { sent, ids } = await everyAction(t);
  t.equal(sent.length, 8, 'eight commands sent');

  // A partner's own delivery status on the same topic is no one's action.
  const partner: DeliveryStatus = {
    EventID: 'pmp-1',
    OrderID: 'QC0001-5',
    ShipFromLocationID: 'QC0001',
    Partner: 'PMP',
    Status: 'DELIVERED',
    CollectedAmount: null,
    At: new Date(T0 - DAY).toISOString(),
    ConfirmedBy: null,
    Reference: null,
    Note: null,
  };
  const next = new Map<string, bigint>();
  const records = consumed([...sent, { topic: PREFIX + Topics.deliveryStatus, key: 'QC0001', value: json(partner), timestamp: T0 }], next);
  const { outcome } = await writeItems(
    db,
    records.map((record) => itemOf(record, sources)),
  );
  t.same(outcome.deadLetters, [], 'no dead letters');
  t.same(Object.fromEntries(outcome.rows), { action_audit: 8 });

  const rows = await auditRows((sql) => client.query(sql));
  const summary = rows.map((row) => [row.action, row.actor, row.target_kind, row.target_id, row.ship_from_location_id, row.command_id]);
  t.same(
    summary.sort((a, b) => String(a[3]).localeCompare(String(b[3]))),
    [
      ['DEFINE_BUNDLE', 'promo-anna', 'bundle', 'B-MORNING', null, ids.bundle],
      ['CANCEL', 'clerk-a', 'order', 'QC0001-1', 'QC0001', ids.cancel],
      ['CANCEL', 'manager-b', 'order', 'QC0001-2', 'QC0001', ids['bulk 2']],
      ['CANCEL', 'manager-b', 'order', 'QC0001-3', 'QC0001', ids['bulk 3']],
      ['MODIFY', 'clerk-a', 'order', 'QC0001-4', 'QC0001', ids.modify],
      ['CONFIRM_CASH', 'clerk-a', 'order', 'QC0001-5', 'QC0001', ids.cash],
      ['ACKNOWLEDGE_RECONCILIATION', 'manager-b', 'order', 'QC0001-6', 'QC0001', ids.acknowledge],
      ['REQUEST_RETURN', 'clerk-a', 'order', 'QC0001-7', 'QC0001', ids.return],
    ],
    'who did what to which order or bundle, under the command id the answer gave',
  );
  t.ok(
    rows.every((row) => row.audit_id === row.command_id && row.outcome === null),
    'each row named by its command, no outcome yet',
  );
  t.ok(
    rows.every((row) => row.requested_at.getTime() === T0),
    'asked at the time the route sent it',
  );
  const byAction = new Map(rows.map((row) => [row.action === 'CANCEL' ? `CANCEL ${row.target_id}` : row.action, row]));
  t.same(byAction.get('CANCEL QC0001-1')!.details, { Reason: 'customer ordered twice' });
  t.same(
    byAction.get('MODIFY')!.details,
    { Reason: 'customer moved', OrderLines: null, DeliveryAddress: { District: 'Pathum Wan', Province: 'Bangkok', PostalCode: '10330' } },
    'the new address without its line or phone',
  );
  t.match(byAction.get('CONFIRM_CASH')!.details, { Partner: 'PMP', CollectedAmount: '20.0000', Reference: 'RCPT-77' });
  t.same(byAction.get('ACKNOWLEDGE_RECONCILIATION')!.details, { Exception: 'RECONCILIATION', Action: 'ACKNOWLEDGE', Note: 'calling PMP' });
  t.match(byAction.get('REQUEST_RETURN')!.details, { Lines: [{ LineID: 'L1', Quantity: 1 }], Reason: 'broken seal' });
  t.match(byAction.get('DEFINE_BUNDLE')!.details, { Components: [{ ItemID: 'SKU-1', Quantity: 2 }], Locations: [] });
  t.same(
    (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM action_audit_daily WHERE business_day = '2026-11-21' AND order_status_now IS NULL`,
      )
    ).rows,
    [{ n: 8 }],
    'the analysts’ view: every action on its business day',
  );

  // The pipeline's verdicts: the decision applied (its outcome carries it whole), the cancel refused to its DLQ.
  const decision = JSON.parse(sent.find((record) => record.topic === PREFIX + Topics.exceptionAction)!.value.toString()) as ExceptionAction;
  const applied: ExceptionOutcome = {
    Command: decision,
    Outcome: 'APPLIED',
    Reason: null,
    ReleaseID: null,
    At: new Date(T0 + 1000).toISOString(),
  };
  const cancel = records.find((record) => record.topic === PREFIX + Topics.orderUpdate)!;
  const refused = deadLetter(cancel, 'ORDER_LOCKED', 'ORDER_LOCKED the order is released', T0 + 2000);
  const verdicts = consumed(
    [{ topic: PREFIX + Topics.exceptionOutcome, key: 'QC0001', value: json(applied), timestamp: T0 + 1000 }, refused],
    next,
  );
  const second = await writeItems(
    db,
    verdicts.map((record) => itemOf(record, sources)),
  );
  t.same(second.outcome.deadLetters, []);
  const after = await auditRows((sql) => client.query(sql));
  t.equal(after.length, 8, 'verdicts add no row');
  t.match(
    after.find((row) => row.command_id === ids.acknowledge),
    {
      outcome: 'APPLIED',
      outcome_reason: null,
      actor: 'manager-b',
      kafka_topic: PREFIX + Topics.exceptionAction,
    },
  );
  t.match(
    after.find((row) => row.command_id === ids.cancel),
    {
      outcome: 'REFUSED',
      outcome_reason: 'ORDER_LOCKED',
      actor: 'clerk-a',
      kafka_topic: PREFIX + Topics.orderUpdate,
      kafka_offset: '0',
    },
  );
  t.same(
    (await client.query('SELECT count(*)::int AS n FROM exception_outcomes')).rows,
    [{ n: 1 }],
    'the outcome still has its own row in exception_outcomes',
  );
});

t.test('an outcome before its command, and commands without an id, are still one row each', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const command: ExceptionAction = {
    OrderID: 'QC0002-1',
    ShipFromLocationID: 'QC0002',
    Exception: 'RELEASE',
    Action: 'PARK',
    Note: 'Slick is fixing the SKU',
    RequestedBy: 'manager-c',
    CommandID: 'cmd-park-1',
    At: '2026-11-21T10:00:00.000Z',
  };
  const outcome: ExceptionOutcome = {
    Command: command,
    Outcome: 'REFUSED',
    Reason: 'NOT_RELEASED',
    ReleaseID: null,
    At: '2026-11-21T10:00:01.000Z',
  };
  // A channel's own cancel (no RequestedBy, no CommandID) and a merchandising feed's bundle (no headers).
  const channelCancel = {
    OrderID: 'QC0002-2',
    ShipFromLocationID: 'QC0002',
    Action: 'CANCEL',
    Reason: 'customer called',
    OrderLines: null,
    DeliveryAddress: null,
  };
  const feedBundle = {
    BundleID: 'B-FEED',
    Components: [{ ItemID: 'SKU-9', Quantity: 3 }],
    Pricing: { Type: 'FIXED', Price: '50.0000', Percent: null, Amount: null },
    ActiveFrom: null,
    ActiveTo: null,
    Locations: ['QC0002'],
    Priority: 0,
  };
  const next = new Map<string, bigint>();
  const outcomeFirst = consumed([{ topic: PREFIX + Topics.exceptionOutcome, key: 'QC0002', value: json(outcome), timestamp: T0 }], next);
  await writeItems(
    db,
    outcomeFirst.map((record) => itemOf(record, sources)),
  );
  t.match(await auditRows((sql) => client.query(sql)), [
    { audit_id: 'cmd-park-1', action: 'PARK_RELEASE', outcome: 'REFUSED', kafka_topic: null },
  ]);

  const commands = consumed(
    [
      {
        topic: PREFIX + Topics.exceptionAction,
        key: 'QC0002',
        value: json(command),
        timestamp: T0,
        headers: { 'omnia-command-id': 'cmd-park-1' },
      },
      { topic: PREFIX + Topics.orderUpdate, key: 'QC0002', value: json(channelCancel), timestamp: T0 },
      { topic: PREFIX + Topics.bundles, key: 'B-FEED', value: json(feedBundle), timestamp: T0 },
      // Not JSON: the pipeline dead-letters it; the trail has no one to name, and the sink no dead letter of its own.
      { topic: PREFIX + Topics.orderUpdate, key: 'QC0002', value: Buffer.from('not json'), timestamp: T0 },
    ],
    next,
  );
  const { outcome: written } = await writeItems(
    db,
    commands.map((record) => itemOf(record, sources)),
  );
  t.same(written.deadLetters, []);
  const rows = await auditRows((sql) => client.query(sql));
  t.same(
    rows.map((row) => [row.audit_id, row.actor, row.action, row.outcome, row.kafka_topic, row.kafka_offset]),
    [
      [`${PREFIX}bundle.definition.v1/0/0`, null, 'DEFINE_BUNDLE', null, `${PREFIX}bundle.definition.v1`, '0'],
      ['cmd-park-1', 'manager-c', 'PARK_RELEASE', 'REFUSED', `${PREFIX}order.exception-action.v1`, '0'],
      [`${PREFIX}order.update.v1/0/0`, null, 'CANCEL', null, `${PREFIX}order.update.v1`, '0'],
    ],
    'the outcome kept, the command’s position filled in; the others named by where they were read, no actor',
  );
});

t.test('a redelivered batch adds nothing: fenced when its offsets moved, merged when the same commands come again', async (t) => {
  const setup = await migratedDatabase(t);
  if (!setup) return;
  const { db, client } = setup;
  const { sent } = await everyAction(t);
  const items = consumed(sent, new Map()).map((record) => itemOf(record, sources));
  const partitions = [...new Map(items.map((item) => [item.topic, { topic: item.topic, partition: item.partition }])).values()];
  const zombieView = await loadOffsets(db, CONSUMER, partitions);
  const ownerView = await loadOffsets(db, CONSUMER, partitions);
  await new BatchWriter(db, CONSUMER).write(items, ownerView);
  const before = await auditRows((sql) => client.query(sql));
  t.equal(before.length, 8);

  await t.rejects(
    new BatchWriter(db, CONSUMER).write(items, zombieView),
    SinkFencedError,
    'a replica that lost the partitions cannot write them again',
  );
  t.same(await auditRows((sql) => client.query(sql)), before, 'nothing changed');

  // The same commands again at later offsets (a producer's retry, a replica sending the same command again): no new row.
  const again = consumed(sent, new Map(partitions.map(({ topic }) => [topic, 100n]))).map((record) => itemOf(record, sources));
  const expected = await loadOffsets(db, CONSUMER, partitions);
  for (const { topic } of partitions) expected.set(`${topic}:0`, 100n);
  await client.query(`UPDATE sink_offsets SET next_offset = 100 WHERE consumer = $1`, [CONSUMER]);
  const { deadLetters } = await new BatchWriter(db, CONSUMER).write(again, expected);
  t.same(deadLetters, []);
  t.same(await auditRows((sql) => client.query(sql)), before, 'every row as it was: the first copy’s position kept');

  // Twice within one batch as well.
  const twice = consumed([...sent, ...sent], new Map(partitions.map(({ topic }) => [topic, 200n]))).map((record) =>
    itemOf(record, sources),
  );
  for (const { topic } of partitions) expected.set(`${topic}:0`, 200n);
  await client.query(`UPDATE sink_offsets SET next_offset = 200 WHERE consumer = $1`, [CONSUMER]);
  await new BatchWriter(db, CONSUMER).write(twice, expected);
  t.same(await auditRows((sql) => client.query(sql)), before, 'and again');
});

t.test('the embedded Postgres of `npm start` takes the same rows', async (t) => {
  const db = await embeddedPostgres();
  t.teardown(() => db.close());
  const session = await db.session();
  await migrate(session);
  session.release();
  const { sent } = await everyAction(t);
  const items = consumed(sent, new Map()).map((record) => itemOf(record, sources));
  const { outcome } = await writeItems(db, items);
  t.same(outcome.deadLetters, []);
  const rows = (await db.query<{ actor: string; details: unknown }>('SELECT actor, details FROM action_audit ORDER BY audit_id')).rows;
  t.equal(rows.length, 8);
  t.ok(
    rows.every((row) => typeof row.details === 'object' && row.details !== null),
    'details read back as JSON',
  );
});
