/**
 * Returns on the real broker, end to end through the API: `omnia start` on Kafka (with the query service) and
 * `omnia sink`; orders driven to 7500 by Slick's shipped event and the partner's DELIVERED status on the topology's
 * input topics. A clerk asks for a partial return, a manager receives it, then the rest comes back in a second
 * return: the Refunded events on order.payment.v1 add up to OrderTotal − charges exactly, the order goes 7500 → 8000
 * → 8500 on order.status.v1, and the returns are in order_returns. Requests the API can judge are refused at once
 * with their code; a command that slips past it (produced straight onto order.return.v1) is dead-lettered by the
 * stage; the same Idempotency-Key twice is one command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { referenceData } from '../../bin/demo-feed.js';
import type { ReturnCommand } from '../../avro/records.js';
import { formatMoney, parseMoney } from '../../processors/domain/money.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import { devToken } from '../../query-service/auth.js';
import { DlqHeaders } from '../../runtime/dead-letter.js';
import { Topics } from '../../topology/topics.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { SinkProcess, withSchema } from '../sink/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, readAll, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 2;
const STORE = 'QC0001';
const SECRET = 'returns-test-secret-of-at-least-32-bytes!';
const auth = { algorithm: 'HS256' as const, secret: SECRET, clockSkewSeconds: 30 };
const DAY = 86_400_000;

/** 3 coffees and 2 croissants (two breakfast bundles: each line carries its share of the bundle discount) and a water with a promo. */
const orderOf = (OrderID: string): OrderCreate => {
  const line = (LineID: string, ItemID: string, Quantity: number, UnitPrice: string, promo?: string) => ({
    LineID,
    ItemID,
    ShipFromLocationID: STORE,
    Quantity,
    UnitPrice,
    TaxRate: '0.0700',
    ShortDescription: null,
    ImageURL: null,
    Discounts: promo ? [{ Type: 'Promo', Amount: promo }] : [],
    InformationalTaxes: [],
    BundleID: null,
  });
  return {
    OrderID,
    ShipFromLocationID: STORE,
    IsForceAllocation: true,
    T1MembershipID: null,
    T1Number: null,
    CustRef: null,
    CustomerID: 'C-1001',
    Currency: 'THB',
    PaymentMethod: 'COD',
    CreatedAt: new Date().toISOString(),
    DeliveryAddress: { Line1: '1 Sukhumvit Rd', District: 'Khlong Toei', Province: 'Bangkok', PostalCode: '10110', Phone: '0812345678' },
    Charges: [{ Type: 'DeliveryFee', Amount: '20.0000' }],
    OrderLines: [line('L1', 'SKU-100', 3, '35.5000'), line('L2', 'SKU-101', 2, '29.0000'), line('L3', 'SKU-102', 1, '7.0000', '2.0000')],
  };
};

interface Answer {
  status: number;
  replayed: boolean;
  body: {
    error?: { code: string; message: string };
    returnId?: string;
    commandId?: string;
    order?: { status: number; totals: { orderTotal: string; totalCharges: string } | null };
  };
}

t.test('returns on Kafka through the API: partial, then the rest; refunds to the 4th decimal; refusals with their codes', async (t) => {
  if (!(await requireKafka(t))) return;
  const admin = await freshSchema(t);
  if (!admin) return;
  const began = Date.now();
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = testClient();
  const app = uniqueName('returns');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(
    client,
    referenceData(10).map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1)),
  );

  const port = await SinkProcess.freePort();
  const replica: ChildProcess = spawn(process.execPath, [OMNIA, 'start'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      DATABASE_URL: databaseUrl,
      OMNIA_APPLICATION_ID: app,
      OMNIA_INSTANCE_ID: `${app}-a`,
      OMNIA_STATE_DIR: `.state/test-${app}`,
      OMNIA_TOPIC_PREFIX: prefix,
      OMNIA_SESSION_TIMEOUT_MS: '10000',
      PORT: String(port),
      OMNIA_QUERY_HOST: '127.0.0.1',
      OMNIA_JWT_SECRET: SECRET,
      OMNIA_RETURN_WINDOW_DAYS: '7',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sink = SinkProcess.forApp(app, databaseUrl);
  t.teardown(async () => {
    replica.kill('SIGKILL');
    await sink.kill();
    await rm(`.state/test-${app}`, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    replica.stdout!.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('query service on')) resolve();
    });
    replica.once('exit', (code) => reject(new Error(`the replica exited (${code}): ${out}`)));
  });
  await sink.start();
  // The API reads earlier returns from the tables the sink creates.
  await waitFor(
    'the sink to create its tables',
    async () => (await admin.query(`SELECT to_regclass('${schema}.order_return_lines') IS NOT NULL AS ready`)).rows[0]?.ready === true,
    30_000,
  );

  const [returned, late, undelivered] = ['QC0001-R0000001', 'QC0001-R0000002', 'QC0001-R0000003'];
  await produce(
    client,
    [returned, late, undelivered].map((id) => jsonRecord(name(Topics.orderCreate), STORE, orderOf(id), PARTITIONS)),
  );
  const call = async (token: string, method: string, path: string, body?: unknown, key?: string): Promise<Answer> => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      body: (await response.json()) as Answer['body'],
    };
  };
  const clerk = devToken(auth, { sub: 'clerk-r', roles: ['store_staff'], stores: [STORE] });
  const manager = devToken(auth, { sub: 'manager-r', roles: ['store_manager'], stores: [STORE] });
  const orderNow = async (id: string) => (await call(clerk, 'GET', `/orders/${id}?store=${STORE}`)).body.order;
  const statusOf = async (id: string) => (await orderNow(id))?.status;
  const allAt = (ids: string[], status: number) => async () => (await Promise.all(ids.map(statusOf))).every((s) => s === status);
  await waitFor('the orders to be released', allAt([returned, late, undelivered], 3000), 30_000);

  // Slick ships them; the partner delivers two, one of them ten days ago (its window is closed).
  const now = Date.now();
  const ship = (OrderID: string) => ({
    EventID: `S-${OrderID}`,
    OrderID,
    ShipFromLocationID: STORE,
    EventType: 'shipped',
    Carrier: 'PMP',
    At: new Date(now).toISOString(),
  });
  const deliver = (OrderID: string, at: number) => ({
    EventID: `D-${OrderID}`,
    OrderID,
    ShipFromLocationID: STORE,
    Partner: 'PMP',
    Status: 'DELIVERED',
    At: new Date(at).toISOString(),
  });
  await produce(
    client,
    [returned, late, undelivered].map((id) => jsonRecord(name(Topics.shipEvent), STORE, ship(id), PARTITIONS)),
  );
  await produce(client, [
    jsonRecord(name(Topics.deliveryStatus), STORE, deliver(returned, now), PARTITIONS),
    jsonRecord(name(Topics.deliveryStatus), STORE, deliver(late, now - 10 * DAY), PARTITIONS),
  ]);
  await waitFor(
    'two orders delivered, one shipped',
    async () => (await allAt([returned, late], 7500)()) && (await statusOf(undelivered)) === 7000,
    30_000,
  );

  // Refused at once, each with its code.
  const ask = (id: string, lines: Array<[string, number]>, key?: string, token = clerk) =>
    call(
      token,
      'POST',
      `/orders/${id}/returns`,
      { lines: lines.map(([lineId, quantity]) => ({ lineId, quantity })), reason: 'ชำรุด damaged' },
      key,
    );
  const codeOf = (answer: Answer) => [answer.status, answer.body.error?.code];
  t.same(codeOf(await ask(returned, [['L1', 4]])), [409, 'QUANTITY_EXCEEDS_SHIPPED']);
  t.same(codeOf(await ask(late, [['L1', 1]])), [409, 'RETURN_WINDOW_CLOSED']);
  t.same(codeOf(await ask(undelivered, [['L1', 1]])), [409, 'NOT_DELIVERED']);

  // A partial return, asked twice with one Idempotency-Key: one command.
  const first = await ask(
    returned,
    [
      ['L1', 1],
      ['L2', 1],
    ],
    'return-key-1',
  );
  t.equal(first.status, 202);
  const repeat = await ask(
    returned,
    [
      ['L1', 1],
      ['L2', 1],
    ],
    'return-key-1',
  );
  t.same(
    [repeat.status, repeat.replayed, repeat.body.returnId, repeat.body.commandId],
    [202, true, first.body.returnId, first.body.commandId],
    'the same answer',
  );
  await waitFor('7500 → 8000', async () => (await statusOf(returned)) === 8000, 30_000);
  t.equal(
    (await call(manager, 'POST', `/orders/${returned}/returns/${first.body.returnId}/receive`, undefined, 'receive-key-1')).status,
    202,
  );
  await waitFor('8000 → 8500', async () => (await statusOf(returned)) === 8500, 30_000);

  // The rest, in a second return.
  const second = await ask(
    returned,
    [
      ['L1', 2],
      ['L2', 1],
      ['L3', 1],
    ],
    'return-key-2',
  );
  t.equal(second.status, 202);
  t.equal(
    (await call(manager, 'POST', `/orders/${returned}/returns/${second.body.returnId}/receive`, undefined, 'receive-key-2')).status,
    202,
  );
  await waitFor(
    'both returns received in order_returns',
    async () =>
      (await admin.query(`SELECT 1 FROM ${schema}.order_returns WHERE order_id = $1 AND received_at IS NOT NULL`, [returned])).rows
        .length === 2,
    30_000,
  );
  // Nothing is left: the API refuses from the returns the tables hold, and a command produced past it is the stage's to refuse.
  t.same(codeOf(await ask(returned, [['L3', 1]])), [409, 'QUANTITY_EXCEEDS_SHIPPED'], 'refused at once from order_return_lines');
  const slipped: ReturnCommand = {
    CommandID: 'slipped-1',
    OrderID: returned,
    ShipFromLocationID: STORE,
    Action: 'REQUEST',
    ReturnID: 'RET-SLIPPED',
    Lines: [{ LineID: 'L3', Quantity: 1 }],
    Reason: null,
    RequestedBy: 'clerk-r',
    At: new Date().toISOString(),
  };
  await produce(client, [jsonRecord(name(Topics.orderReturn), STORE, slipped, PARTITIONS)]);
  await waitFor('the stage to dead-letter it', async () => (await readAll(client, name(`${Topics.orderReturn}.dlq`))).length === 1, 30_000);
  const [dead] = await readAll(client, name(`${Topics.orderReturn}.dlq`));
  t.equal(dead!.headers[DlqHeaders.code]?.toString(), 'QUANTITY_EXCEEDS_SHIPPED');

  // The topics: the refunds add up to OrderTotal − charges, 8000 and 8500 once each, one command per key.
  const order = await orderNow(returned);
  const refundable = formatMoney(parseMoney(order!.totals!.orderTotal).minus(parseMoney(order!.totals!.totalCharges)));
  const payments = (await readAll(client, name(Topics.payment)))
    .map((record) => JSON.parse(record.value!.toString()) as { OrderID: string; PaymentStatus: string; Amount: string })
    .filter((event) => event.OrderID === returned && event.PaymentStatus === 'Refunded');
  t.equal(payments.length, 2, 'one Refunded event per return');
  t.equal(
    formatMoney(payments.reduce((total, event) => total.plus(parseMoney(event.Amount)), parseMoney('0'))),
    refundable,
    `refunds = ${refundable}`,
  );
  const changes = (await readAll(client, name(Topics.status)))
    .map(
      (record) => JSON.parse(record.value!.toString()) as { OrderID: string; FromStatus: number; ToStatus: number; Actor: string | null },
    )
    .filter((change) => change.OrderID === returned && change.ToStatus >= 8000)
    .map((change) => [change.FromStatus, change.ToStatus, change.Actor]);
  t.same(changes, [
    [7500, 8000, 'clerk-r'],
    [8000, 8500, 'manager-r'],
  ]);
  const commands = (await readAll(client, name(Topics.orderReturn))).map((record) => JSON.parse(record.value!.toString()) as ReturnCommand);
  t.same(
    commands.map((command) => [command.Action, command.ReturnID]),
    [
      ['REQUEST', first.body.returnId],
      ['RECEIVE', first.body.returnId],
      ['REQUEST', second.body.returnId],
      ['RECEIVE', second.body.returnId],
      ['REQUEST', 'RET-SLIPPED'],
    ],
    'the repeated request was sent once',
  );
  const rows = (
    await admin.query<{ return_id: string; refund_total: string; lines: string }>(
      `SELECT r.return_id, r.refund_total, (SELECT sum(l.refund) FROM ${schema}.order_return_lines l WHERE l.order_id = r.order_id AND l.return_id = r.return_id)::text AS lines
       FROM ${schema}.order_returns r WHERE r.order_id = $1 ORDER BY r.requested_at`,
      [returned],
    )
  ).rows;
  t.same(
    rows.map((row) => [row.return_id, row.refund_total]),
    payments.map((event, i) => [[first, second][i]!.body.returnId, event.Amount]),
    'each return’s refund in order_returns, as published',
  );
  t.ok(
    rows.every((row) => row.lines === row.refund_total),
    'each return’s lines add up to its refund',
  );
  t.comment(`returns on Kafka: ${((Date.now() - began) / 1000).toFixed(1)} s`);
});
