/**
 * A lookup answered by Postgres is the replica's answer, on the real broker and Postgres: 1,000 COD orders are driven
 * to delivery by records produced straight onto the topology's input topics (order.create.v1; Slick's picking,
 * picked, packing, packed and shipped with Carrier, TrackingID and EstimatedDelivery, a tenth of the orders shorted on
 * the way; the partner's DELIVERED and COLLECTED with the cash, a few with a late status ignored as out of order),
 * through two `omnia start` replicas and `omnia sink`. Then every order is looked up on both replicas, as a user would:
 * the replica that owns it answers from its store (`local-state`), the other from Postgres (`postgres`), and the two
 * answers are the same JSON — notes, shorted lines, tax rates, ETA, T1 ids and the address included.
 *
 * How Postgres is made to answer: the replicas advertise no endpoint (no OMNIA_ENDPOINT), so neither can forward a
 * lookup to the other, and a replica asked for an order of a partition it does not own answers from Postgres, as any
 * replica does when the owner cannot be reached. Both answers therefore go through the same route of a running
 * replica, with the same token: its store scope, address rules, response schema and serialisation. Nothing is killed
 * (a killed owner would leave Postgres answering for only its half of the orders, and its partitions would move), and
 * `viewFromPostgres` is not called directly (that would skip the route). The comparison starts once the sink has
 * written every order's last state: nothing changes an order after its COLLECTED (the cut-off is a day away).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import type { DeliveryStatus, OrderCreate, ShipEvent } from '../../avro/records.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { devToken } from '../../query-service/auth.js';
import type { OrderView } from '../../query-service/order-view.js';
import { Topics } from '../../topology/topics.js';
import { DATABASE_URL, freshSchema } from '../postgres/harness.js';
import { SinkProcess, withSchema } from '../sink/harness.js';
import { BROKERS, createPipelineTopics, jsonRecord, produce, requireKafka, testClient, uniqueName, waitFor } from './harness.js';

const OMNIA = resolve('dist/bin/omnia.js');
const ORDERS = 1_000;
const STORES = 20;
const PARTITIONS = 4;
const SECRET = 'lookup-parity-test-secret-of-32-bytes-or-more';
const auth = { algorithm: 'HS256' as const, secret: SECRET, clockSkewSeconds: 30 };

interface Answer {
  source: string;
  answeredBy: string;
  order: OrderView;
}

/** HH:MM (UTC) of a time. */
const hhmm = (at: Date): string => at.toISOString().slice(11, 16);
/** A time as Slick may send it, in Bangkok time ("…T18:30:00.000+07:00"). */
const bangkok = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().replace('Z', '+07:00');

/** The n-th order: the demo feed's, with a customer who takes COD, and phones, T1 numbers, rates and bundles that vary. */
function orderOf(n: number, createdAt: Date): OrderCreate {
  const order = demoOrder(n, createdAt, { stores: STORES, customers: 200, seed: 29, invalidShare: 0 });
  const digits = String(n).padStart(8, '0');
  const phones = [`08${digits}`, `+66 9${digits}`, `02${digits.slice(1)}`, null];
  return {
    ...order,
    // Customers C-1001 … C-1009 are COD-eligible up to 3,000 (bin/demo-feed.ts): every order is released.
    CustomerID: `C-${1001 + (n % 9)}`,
    T1Number: n % 3 === 0 ? `T1-${digits.slice(2)}` : null,
    DeliveryAddress: { ...order.DeliveryAddress, Line1: `${n} Soi ${n % 50}, Sukhumvit Rd`, Phone: phones[n % 4]! },
    OrderLines: order.OrderLines.map((line, i) => ({
      ...line,
      TaxRate: n % 5 === 0 && i === 0 ? '0' : line.TaxRate,
      BundleID: n % 7 === 0 && (line.ItemID === 'SKU-100' || line.ItemID === 'SKU-101') ? 'B-BREAKFAST' : null,
    })),
  };
}

t.test('1,000 delivered orders: the lookup answered by Postgres is the replica’s, JSON for JSON', async (t) => {
  if (!(await requireKafka(t))) return;
  const started = Date.now();
  const admin = await freshSchema(t);
  if (!admin) return;
  const schema = (await admin.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
  const databaseUrl = withSchema(DATABASE_URL, schema);
  const client = testClient();
  const app = uniqueName('parity');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  const topicAdmin = client.admin();
  const record = (topic: string, key: string, value: unknown, partitions: number) => jsonRecord(name(topic), key, value, partitions);
  await produce(
    client,
    referenceData(200).map((entry) => record(entry.topic, entry.key, entry.value, 1)),
  );

  const replicas = new Map<string, { process: ChildProcess; port: number }>();
  const startReplica = async (id: string) => {
    const port = await SinkProcess.freePort();
    const { OMNIA_ENDPOINT: _endpoint, OMNIA_FORWARD_SECRET: _secret, ...inherited } = process.env;
    const child = spawn(process.execPath, [OMNIA, 'start'], {
      env: {
        ...inherited,
        KAFKA_BROKERS: BROKERS.join(','),
        DATABASE_URL: databaseUrl,
        OMNIA_APPLICATION_ID: app,
        OMNIA_INSTANCE_ID: `${app}-${id}`,
        OMNIA_STATE_DIR: `.state/test-${app}-${id}`,
        OMNIA_TOPIC_PREFIX: prefix,
        OMNIA_SESSION_TIMEOUT_MS: '30000',
        // The cut-off of this minute has passed: the next is a day away, so nothing reconciles the orders meanwhile.
        OMNIA_RECONCILIATION_CUTOFF: hhmm(new Date()),
        OMNIA_BUSINESS_TIMEZONE: 'UTC',
        PORT: String(port),
        OMNIA_QUERY_HOST: '127.0.0.1',
        OMNIA_JWT_SECRET: SECRET,
        OMNIA_RATE_LIMIT_PER_SECOND: '100000',
        OMNIA_RATE_LIMIT_BURST: '100000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    replicas.set(id, { process: child, port });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk.toString();
        if (out.includes('query service on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`replica ${id} exited (${code}): ${out}`)));
    });
  };
  const sink = SinkProcess.forApp(app, databaseUrl);
  t.teardown(async () => {
    for (const { process: child } of replicas.values()) child.kill('SIGKILL');
    await sink.kill();
    await topicAdmin.close();
    for (const id of ['a', 'b']) await rm(`.state/test-${app}-${id}`, { recursive: true, force: true });
  });
  await Promise.all([startReplica('a'), startReplica('b'), sink.start()]);
  await waitFor('both replicas to own partitions', async () => {
    const members = await topicAdmin.groupMembers(app);
    return (
      members.length === 2 &&
      members.every((member) => member.partitions.filter((tp) => tp.topic === name(Topics.orderCreate)).length === 2)
    );
  });
  t.comment(`replicas and sink up ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);

  const createdAt = new Date();
  const orders = Array.from({ length: ORDERS }, (_, n) => orderOf(n, createdAt));
  const ids = orders.map((order) => order.OrderID);
  await produce(
    client,
    orders.map((order) => record(Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS)),
  );

  /** How many of the orders the tables show with `condition` (a SQL expression over `orders`). */
  const counted = async (condition: string) =>
    Number(
      (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE order_id = ANY($1) AND ${condition}`, [ids])).rows[0]!.n,
    );
  const until = async (what: string, condition: string) => {
    let last = 0;
    await waitFor(`${what} (${ORDERS} orders)`, async () => (last = await counted(condition)) === ORDERS, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${last} so far`);
    });
    t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s after the start`);
  };
  await until('released', 'status = 3000');

  // Slick: picking … shipped. A tenth of the orders lose a line, or a unit of one, outside any bundle and never
  // their last unit, between packing and packed.
  const lines = (
    await admin.query<{ order_id: string; line_id: string; item_id: string; quantity: number; bundle_group_id: string | null }>(
      'SELECT order_id, line_id, item_id, quantity, bundle_group_id FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, position',
      [ids],
    )
  ).rows;
  const linesOf = new Map<string, typeof lines>();
  for (const line of lines) linesOf.set(line.order_id, [...(linesOf.get(line.order_id) ?? []), line]);
  const carrierOf = (n: number) => (n % 2 === 0 ? 'GRAB' : 'PMP');
  const shipped = Date.now();
  const shortOf = new Map<string, { LineID: string; ItemID: string; Quantity: number }>();
  orders.forEach((order, n) => {
    if (n % 10 !== 3) return;
    const mine = linesOf.get(order.OrderID) ?? [];
    const free = mine.filter((line) => line.bundle_group_id === null);
    const partial = free.find((line) => line.quantity >= 2);
    const whole = mine.length >= 2 ? free.at(-1) : undefined;
    const line = partial ?? whole;
    if (line) shortOf.set(order.OrderID, { LineID: line.line_id, ItemID: line.item_id, Quantity: partial ? 1 : line.quantity });
  });
  t.ok(shortOf.size >= ORDERS / 20, `${shortOf.size} orders get a short`);
  const shipEvent = (order: OrderCreate, n: number, step: number, type: ShipEvent['EventType'], extra: Partial<ShipEvent> = {}) =>
    record(
      Topics.shipEvent,
      order.ShipFromLocationID,
      {
        EventID: `${order.OrderID}-slick-${step}`,
        OrderID: order.OrderID,
        ShipFromLocationID: order.ShipFromLocationID,
        EventType: type,
        TrackingID: null,
        Carrier: null,
        EstimatedDelivery: null,
        Lines: null,
        At: new Date(shipped + step * 1_000).toISOString(),
        ...extra,
      } satisfies ShipEvent,
      PARTITIONS,
    );
  await produce(
    client,
    orders.flatMap((order, n) => {
      const short = shortOf.get(order.OrderID);
      const eta = shipped + 3 * 3_600_000 + n * 1_000;
      return [
        shipEvent(order, n, 1, 'picking'),
        shipEvent(order, n, 2, 'picked'),
        shipEvent(order, n, 3, 'packing'),
        ...(short ? [shipEvent(order, n, 4, 'short', { Lines: [{ ...short, SubstituteItemID: null }] })] : []),
        shipEvent(order, n, 5, 'packed'),
        shipEvent(order, n, 6, 'shipped', {
          Carrier: carrierOf(n),
          TrackingID: `${carrierOf(n)}-${String(n).padStart(6, '0')}`,
          EstimatedDelivery: n % 5 === 0 ? bangkok(eta) : new Date(eta).toISOString(),
        }),
      ];
    }),
  );
  await until('shipped', 'status = 7000');

  // The partner: DELIVERED, then COLLECTED with the order's total as it stands after any short (a unit less for a
  // few); a few get a late IN_TRANSIT in between, which the pipeline notes and ignores.
  const totals = new Map(
    (
      await admin.query<{ order_id: string; order_total: string }>('SELECT order_id, order_total FROM orders WHERE order_id = ANY($1)', [
        ids,
      ])
    ).rows.map((row) => [row.order_id, row.order_total]),
  );
  const lessOne = (money: string) => {
    const [whole, fraction] = money.split('.');
    const units = BigInt(whole!) * 10_000n + BigInt(fraction!) - 1n;
    return `${units / 10_000n}.${String(units % 10_000n).padStart(4, '0')}`;
  };
  const delivered = Date.now();
  const status = (order: OrderCreate, n: number, step: number, value: string, amount: string | null = null) =>
    record(
      Topics.deliveryStatus,
      order.ShipFromLocationID,
      {
        EventID: `${order.OrderID}-partner-${step}`,
        OrderID: order.OrderID,
        ShipFromLocationID: order.ShipFromLocationID,
        Partner: carrierOf(n),
        Status: value,
        CollectedAmount: amount,
        At: new Date(delivered + step * 1_000 + (n % 1_000)).toISOString(),
        ConfirmedBy: null,
        Reference: null,
        Note: null,
      } satisfies DeliveryStatus,
      PARTITIONS,
    );
  await produce(
    client,
    orders.flatMap((order, n) => {
      const total = totals.get(order.OrderID)!;
      return [
        status(order, n, 1, 'DELIVERED'),
        ...(n % 25 === 5 ? [status(order, n, 2, 'IN_TRANSIT')] : []),
        status(order, n, 3, 'COLLECTED', n % 50 === 1 ? lessOne(total) : total),
      ];
    }),
  );
  // The COLLECTED state is each order's last: once the tables show it, the sink has written every order's final state.
  await until('delivered and collected', "status = 7500 AND payment_status = 'Collected'");

  // Every order on both replicas, as an admin (the address whole) would ask.
  const token = devToken(auth, { sub: 'parity-admin', roles: ['admin'] });
  const ask = async (replica: string, order: OrderCreate, as = token): Promise<Answer> => {
    const response = await fetch(
      `http://127.0.0.1:${replicas.get(replica)!.port}/api/v1/orders/${order.OrderID}?store=${order.ShipFromLocationID}`,
      { headers: { authorization: `Bearer ${as}` } },
    );
    if (response.status !== 200) throw new Error(`${replica} answered ${response.status} for ${order.OrderID}: ${await response.text()}`);
    return (await response.json()) as Answer;
  };
  const answers: Array<{ order: OrderCreate; replica: Answer; postgres: Answer }> = [];
  const unexpected: string[] = [];
  for (let i = 0; i < orders.length; i += 20) {
    await Promise.all(
      orders.slice(i, i + 20).map(async (order) => {
        const both = await Promise.all([ask('a', order), ask('b', order)]);
        const replica = both.find((answer) => answer.source === 'local-state');
        const postgres = both.find((answer) => answer.source === 'postgres');
        if (replica && postgres) answers.push({ order, replica, postgres });
        else unexpected.push(`${order.OrderID}: ${both.map((answer) => answer.source).join(' and ')}`);
      }),
    );
  }
  t.same(unexpected.slice(0, 5), [], `every order answered once by its owner's store and once by Postgres (${unexpected.length} not)`);
  t.equal(answers.length, ORDERS);
  // Deep-equal, and the same text too (same fields in the same order).
  const differing = answers.filter(
    ({ replica, postgres }) =>
      !isDeepStrictEqual(postgres.order, replica.order) || JSON.stringify(postgres.order) !== JSON.stringify(replica.order),
  );
  t.same(
    differing.slice(0, 3).map(({ replica, postgres }) => ({ replica: replica.order, postgres: postgres.order })),
    [],
    `${answers.length - differing.length} of ${ORDERS} orders: the same JSON from the replica and from Postgres`,
  );

  // What the answers hold, so that equal answers are not equally thin.
  const views = answers.map(({ replica }) => replica.order);
  const all = (what: string, test: (view: OrderView) => boolean) =>
    t.same(
      views
        .filter((view) => !test(view))
        .map((view) => view.orderId)
        .slice(0, 5),
      [],
      `every order ${what}`,
    );
  all('delivered and collected', (view) => view.status === 7500 && view.paymentStatus === 'Collected' && view.collectedAt !== null);
  all('with its carrier, tracking id, ETA and delivery time', (view) =>
    Boolean(view.carrier && view.trackingId && view.estimatedDelivery && view.deliveredAt),
  );
  all('with the COLLECTED note in its history', (view) =>
    view.history.some((entry) => entry.from === 7500 && entry.to === 7500 && /^COLLECTED /.test(entry.reason ?? '')),
  );
  all(
    'with a tax rate on every line and its address',
    (view) => view.lines.every((line) => typeof line.taxRate === 'string') && view.deliveryAddress?.postalCode === '10110',
  );
  const shorted = views.filter((view) => (view.shortedLines?.length ?? 0) > 0);
  t.equal(shorted.length, shortOf.size, 'the shorted orders show their shorted lines');
  t.ok(
    shorted.every((view) => view.history.some((entry) => entry.from === entry.to && /^SHORT: /.test(entry.reason ?? ''))),
    'and the SHORT note',
  );
  t.equal(
    views.filter((view) => view.history.some((entry) => /^OUT_OF_ORDER: IN_TRANSIT/.test(entry.reason ?? ''))).length,
    ORDERS / 25,
    'the late statuses, noted and ignored',
  );
  t.ok(
    views.some((view) => view.lines.some((line) => line.bundleId === 'B-BREAKFAST')) &&
      views.some((view) => view.lines.some((line) => line.taxRate === '0.0000')) &&
      views.some((view) => view.t1Number !== null),
    'declared bundles, tax-free lines and T1 numbers among them',
  );
  t.same(
    [...new Set(views.map((view) => view.deliveryAddress?.phone?.slice(0, 2) ?? null))].sort(),
    ['02', '08', '09', null].sort(),
    'phones as the pipeline holds them, some none',
  );

  // A store's own staff: the phone masked, from either source alike.
  const sample = answers.slice(0, 40);
  const maskedProblems: string[] = [];
  for (const { order } of sample) {
    const clerk = devToken(auth, { sub: 'clerk', roles: ['store_staff'], stores: [order.ShipFromLocationID] });
    const [a, b] = await Promise.all([ask('a', order, clerk), ask('b', order, clerk)]);
    const phone = a.order.deliveryAddress?.phone;
    if (JSON.stringify(a.order) !== JSON.stringify(b.order) || (phone !== null && !/^\+?[0-9]{0,3}\*{4,}[0-9]{0,3}$/.test(phone ?? '')))
      maskedProblems.push(`${order.OrderID}: ${phone}`);
  }
  t.same(maskedProblems, [], `${sample.length} orders as their store's staff see them: the same masked answer from both sources`);
  t.comment(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
