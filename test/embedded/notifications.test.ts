/**
 * Customer notifications in the embedded default, as `npm start` runs them: orders go through the pipeline, the
 * partner simulators ship and deliver them, and the customers hear of it by the SMS and LINE simulators (real HTTP on
 * loopback) — each message once, with SMS failing half its calls; an opted-out customer hears nothing; a customer in
 * their quiet hours hears it when they end; every step is in Postgres. The tracking link of a message opens the
 * order's page (no login) with its timeline, carrier, tracking number and ETA, and nothing else about the order,
 * the customer or the store; an expired or tampered link gets a friendly 410 / 404 page.
 */
import t from 'tap';
import { demoOrder } from '../../bin/demo-feed.js';
import { type Embedded, startEmbedded } from '../../bin/embedded.js';
import type { NotificationPreference } from '../../avro/records.js';
import { retryKeyOf, SmsChannel, LineChannel } from '../../connectors/notifications/channels.js';
import { EmbeddedNotifier } from '../../connectors/notifications/embedded-notifier.js';
import type { ReceivedMessage } from '../../connectors/simulators/message-inbox.js';
import { embeddedPostgres } from '../../postgres/embedded-postgres.js';
import type { SqlDatabase } from '../../postgres/sql.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import type { OrderState } from '../../processors/order-state.js';
import { driverOrders } from '../../query-service/local-orders.js';
import { CUSTOMER_STATUS } from '../../query-service/tracking-routes.js';
import { signTrackingToken } from '../../query-service/tracking-token.js';
import { freePort } from '../free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BANGKOK = 'Asia/Bangkok';

/** HH:MM in Bangkok of an instant. */
const bangkokHhmm = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: BANGKOK, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));

const preference = (customerId: string, fields: Partial<NotificationPreference>): NotificationPreference => ({
  CustomerID: customerId,
  OptedOut: false,
  Language: null,
  Channel: null,
  LineUserID: null,
  QuietHours: null,
  UpdatedAt: new Date().toISOString(),
  ...fields,
});

/** A demo order under an id of the web shop's (no store id in it), for customer `n`, to that customer's phone. */
function order(n: number, customer: number, at: Date): OrderCreate {
  const base = demoOrder(n, at, { stores: 3, customers: 200, seed: 23, invalidShare: 0 });
  return {
    ...base,
    OrderID: `WEB-${String(n).padStart(6, '0')}`,
    CustomerID: `C-${1000 + customer}`,
    DeliveryAddress: { ...base.DeliveryAddress, Phone: `08${String(20_000_000 + customer)}` },
  };
}

const phoneOf = (customer: number) => `+668${String(20_000_000 + customer)}`;

t.test('customer notifications in the embedded default, and the tracking page their links open', async (t) => {
  const db: SqlDatabase = await embeddedPostgres();
  t.teardown(() => db.close());
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const lines: string[] = [];
  const embedded: Embedded = await startEmbedded({
    db,
    demoFeed: false,
    clock,
    log: (line) => lines.push(line),
    env: {
      PORT: String(await freePort()),
      OMNIA_BUSINESS_TIMEZONE: BANGKOK,
      OMNIA_RECONCILIATION_CUTOFF: bangkokHhmm(Date.now() + 6 * 3_600_000),
      OMNIA_NOTIFY_QUIET_HOURS: 'none',
      OMNIA_NOTIFY_BACKOFF_MS: '10',
      OMNIA_NOTIFY_BACKOFF_MAX_MS: '50',
      OMNIA_NOTIFY_BREAKER_COOLDOWN_MS: '100',
      OMNIA_RATE_LIMIT_PER_SECOND: '1000',
      OMNIA_RATE_LIMIT_BURST: '1000',
    },
  });
  t.teardown(() => embedded.stop());
  const { sms, line, notifier, tracking } = embedded.notifications;

  // Customers 1–6 by SMS in Thai (the default); 7 opted out; 8 on LINE in English; 9 in quiet hours around now;
  // 25 cannot pay on delivery (the demo's customer 25), so that order is cancelled.
  notifier.preferences.set(preference('C-1007', { OptedOut: true }));
  notifier.preferences.set(preference('C-1008', { Channel: 'LINE', LineUserID: 'Ucustomer8line0000000000000000000', Language: 'en' }));
  const now = clock();
  notifier.preferences.set(preference('C-1009', { QuietHours: `${bangkokHhmm(now - 60_000)}-${bangkokHhmm(now + 20 * 60_000)}` }));
  sms.setFaults({ failureRate: 0.5, failAfterAcceptRate: 0.1 });

  const customers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 25];
  const orders = customers.map((customer, n) => order(n, customer, new Date(clock())));
  for (const o of orders) await embedded.pipeOrder(o);

  const local = driverOrders(embedded.driver, 4);
  const stateOf = async (o: OrderCreate) => (await local.get(local.partitionOf(o.ShipFromLocationID), o.OrderID)) as OrderState;
  const settled = async () => {
    const states = await Promise.all(orders.map(stateOf));
    return states.every((s) => s.Status === 9000 || (s.Status === 7500 && s.PaymentStatus === 'Collected'));
  };
  for (const deadline = Date.now() + 60_000; !(await settled()); await sleep(100))
    if (Date.now() > deadline) throw new Error('orders not delivered in time');
  const states = new Map(await Promise.all(orders.map(async (o) => [o.OrderID, await stateOf(o)] as const)));
  /** What the customer must hear of: from the order as it ended, by the rules of the issue. */
  const expectedKeys = (o: OrderCreate): string[] => {
    const state = states.get(o.OrderID)!;
    if (state.Status === 9000) return [`${o.OrderID}:CANCELLED`];
    return [
      `${o.OrderID}:ORDER_CONFIRMED`,
      `${o.OrderID}:SHIPPED`,
      ...(state.Carrier === 'GRAB' ? [`${o.OrderID}:OUT_FOR_DELIVERY:1`] : []),
      `${o.OrderID}:DELIVERED`,
      `${o.OrderID}:COD_RECEIPT`,
    ];
  };
  const byOrder = (messages: ReceivedMessage[], o: OrderCreate) => messages.filter((m) => m.key.startsWith(`${o.OrderID}:`));

  // Customer 9's messages wait for the end of their quiet hours; the others' go now.
  const others = orders.filter((_, i) => ![7, 9].includes(customers[i]!));
  /** Messages the customer of `o` received, by SMS or LINE (LINE's key is the retry key made from the NotificationID). */
  const received = (o: OrderCreate) => {
    const lineKeys = new Set(expectedKeys(o).map(retryKeyOf));
    return byOrder(sms.messages, o).length + line.messages.filter((m) => lineKeys.has(m.key)).length;
  };
  const heard = () => others.every((o) => received(o) === expectedKeys(o).length);
  for (const deadline = Date.now() + 30_000; !heard(); await sleep(100))
    if (Date.now() > deadline) throw new Error(`messages not sent in time: ${notifier.pending} pending`);
  await sleep(300);
  t.equal(sms.inbox.to(phoneOf(9)).length, 0, 'nothing to the customer in quiet hours while they last');
  t.equal(notifier.delivery.deferred, 1, 'their first message waits, the others behind it');
  const quietEnds = Math.floor((now + 20 * 60_000) / 60_000) * 60_000;
  offsetMs += 21 * 60_000; // the clock past the end of their window
  await notifier.drained();
  const movedAt = Date.now();

  await t.test('each customer hears of each change once, SMS failing half its calls', async (t) => {
    t.equal(states.get('WEB-000009')!.Status, 9000, 'customer 25’s order was cancelled (no COD)');
    for (const [i, o] of orders.entries()) {
      const customer = customers[i]!;
      if (customer === 7 || customer === 8) continue;
      t.same(
        byOrder(sms.messages, o).map((m) => m.key),
        expectedKeys(o),
        `${o.OrderID} (${states.get(o.OrderID)!.Carrier ?? 'cancelled'}): each message once, in order`,
      );
      t.ok(
        byOrder(sms.messages, o).every((m) => m.to === phoneOf(customer)),
        'to the order’s phone',
      );
    }
    const calls = sms.server.calls;
    t.ok((calls.get('failed-5xx') ?? 0) > 5, `SMS failed ${calls.get('failed-5xx')} calls`);
    t.same([...new Set(sms.messages.map((m) => m.key))].length, sms.messages.length, 'no key twice at the provider');
    const cancelled = byOrder(sms.messages, orders[9]!)[0]!;
    t.equal(
      cancelled.text,
      'Omnia: คำสั่งซื้อ WEB-000009 ถูกยกเลิกแล้ว: บัญชีนี้ไม่สามารถชำระเงินปลายทางได้ ไม่มีค่าใช้จ่ายใดๆ',
      'the cancellation, with its reason, in Thai',
    );
    // "(already sent)" when the provider's answer to the first call was lost and the retry found it sent; the line
    // is written once the outcome is recorded, a moment after the provider has the message.
    const confirmedLine =
      /^omnia notify: SMS to \+66\*{5}0001 \(th\) ORDER_CONFIRMED WEB-000000( \(already sent\))?: Omnia: ยืนยันคำสั่งซื้อ WEB-000000/;
    for (const deadline = Date.now() + 5_000; !lines.some((l) => confirmedLine.test(l)) && Date.now() < deadline;) await sleep(50);
    t.ok(
      lines.some((l) => confirmedLine.test(l)),
      'a console line per message sent',
    );
  });

  await t.test('an opted-out customer hears nothing; LINE in English for the one who chose it', async (t) => {
    const optedOut = orders[6]!;
    t.equal(byOrder(sms.messages, optedOut).length + byOrder(line.messages, optedOut).length, 0, 'nothing to customer 7');
    t.equal(sms.inbox.to(phoneOf(7)).length, 0, 'nothing to their phone');
    const onLine = orders[7]!;
    t.same(
      line.messages.map((m) => m.key),
      expectedKeys(onLine).map(retryKeyOf),
      'customer 8: each message once on LINE',
    );
    t.ok(
      line.messages.every((m) => m.to === 'Ucustomer8line0000000000000000000'),
      'to their LINE user',
    );
    t.match(line.messages[0]!.text, /^Omnia: your order WEB-000007 is confirmed/, 'in English');
    t.equal(sms.inbox.to(phoneOf(8)).length, 0, 'no SMS for them');
  });

  await t.test('quiet hours: customer 9 heard everything, after their window ended', async (t) => {
    const quiet = orders[8]!;
    const messages = byOrder(sms.messages, quiet);
    t.same(
      messages.map((m) => m.key),
      expectedKeys(quiet),
      'each message once',
    );
    // The simulator stamps arrivals with the real clock; the pipeline's clock is `offsetMs` ahead.
    t.ok(
      messages.every((m) => m.receivedAt + offsetMs >= quietEnds && m.receivedAt <= movedAt),
      'none arrived before the window ended (on the pipeline’s clock)',
    );
  });

  await t.test('every step in Postgres: SENT once per message, FAILED calls, SKIPPED for the opted out, DEFERRED', async (t) => {
    await embedded.flush();
    const rows = (
      await db.query<{ notification_id: string; outcome: string; reason: string | null; channel: string | null; customer_id: string }>(
        'SELECT notification_id, outcome, reason, channel, customer_id FROM notification_outcomes ORDER BY kafka_partition, kafka_offset',
      )
    ).rows;
    const delivered = rows.filter((r) => r.outcome === 'SENT' || r.outcome === 'DUPLICATE');
    t.equal(delivered.length, sms.messages.length + line.messages.length, 'one SENT or DUPLICATE row per message received');
    t.equal(new Set(delivered.map((r) => r.notification_id)).size, delivered.length, 'and one per NotificationID');
    t.ok(
      rows.some((r) => r.outcome === 'FAILED'),
      'the failed calls are there too',
    );
    t.same(
      rows.filter((r) => r.customer_id === 'C-1007').map((r) => [r.outcome, r.reason]),
      expectedKeys(orders[6]!).map(() => ['SKIPPED', 'OPTED_OUT']),
      'customer 7: SKIPPED OPTED_OUT for each message',
    );
    t.same(
      rows.filter((r) => r.customer_id === 'C-1009' && r.outcome === 'DEFERRED').length,
      1,
      'customer 9: the first message DEFERRED (the others waited behind it)',
    );
  });

  await t.test('redelivered states, even to a new process, send nothing twice', async (t) => {
    const before = { sms: sms.messages.length, line: line.messages.length, smsDuplicates: sms.inbox.duplicatesSeen };
    for (const state of states.values()) notifier.offer(state);
    await notifier.drained();
    t.same(
      { sms: sms.messages.length, line: line.messages.length, smsDuplicates: sms.inbox.duplicatesSeen },
      before,
      'the same process: nothing sent, not even called',
    );
    sms.setFaults({ failureRate: 0, failAfterAcceptRate: 0 });
    const fresh = new EmbeddedNotifier(
      {
        SMS: new SmsChannel({ baseUrl: sms.url, token: embedded.partnerToken, timeoutMs: 2_000 }),
        LINE: new LineChannel({ baseUrl: line.url, token: embedded.partnerToken, timeoutMs: 2_000 }),
      },
      {
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20, jitter: 0 },
        breaker: { failureRate: 0.9, coolDownMs: 100 },
        quietHours: null,
        timeZone: BANGKOK,
        defaultLanguage: 'th',
        tracking: { ...tracking },
        clock,
        record: async () => undefined,
        log: () => undefined,
      },
    );
    fresh.preferences.set(preference('C-1007', { OptedOut: true }));
    fresh.preferences.set(preference('C-1008', { Channel: 'LINE', LineUserID: 'Ucustomer8line0000000000000000000', Language: 'en' }));
    for (const state of states.values()) fresh.offer(state);
    await fresh.drained();
    await fresh.stop();
    t.same(
      { sms: sms.messages.length, line: line.messages.length },
      { sms: before.sms, line: before.line },
      'a process that forgot everything: the providers answer duplicate, the customers get nothing new',
    );
    t.equal(sms.inbox.duplicatesSeen - before.smsDuplicates, before.sms, 'every SMS resent was a duplicate at the provider');
  });

  await t.test('the link in a message opens the order’s tracking page, and nothing else', async (t) => {
    const o = orders.find((candidate, i) => customers[i]! <= 6 && states.get(candidate.OrderID)!.Carrier === 'GRAB')!;
    const state = states.get(o.OrderID)!;
    const shipped = byOrder(sms.messages, o).find((m) => m.key.endsWith(':SHIPPED'))!;
    const link = /(https?:\/\/\S+\/track\/\S+)$/.exec(shipped.text)?.[1];
    t.ok(link?.startsWith(`${embedded.query.url}/track/`), `the SHIPPED message carries the link (${link})`);
    const token = link!.slice(link!.lastIndexOf('/') + 1);

    const api = await fetch(`${embedded.query.url}/api/v1/track/${token}?lang=en`);
    t.equal(api.status, 200, 'no login needed');
    const body = (await api.json()) as Record<string, unknown>;
    const transitions = state.History.filter((entry) => entry.From !== entry.To);
    t.same(
      body,
      {
        language: 'en',
        status: 7500,
        statusName: 'Delivered',
        timeline: transitions.map((entry) => ({
          status: entry.To,
          name: CUSTOMER_STATUS[entry.To]!.en,
          at: new Date(entry.At).toISOString(),
        })),
        estimatedDelivery: new Date(state.EstimatedDelivery!).toISOString(),
        carrier: 'GRAB',
        trackingNumber: state.TrackingID,
      },
      'the timeline (every change, code and time), ETA, carrier and tracking number — and no other field',
    );
    t.same(
      (body.timeline as Array<{ status: number; name: string }>).map((entry) => entry.status),
      [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7500],
    );
    t.equal((body.timeline as Array<{ name: string }>)[9]!.name, 'Out for delivery', 'names for the customer');

    const page = await fetch(link!, { headers: { 'accept-language': 'th-TH,th;q=0.9,en;q=0.5' } });
    t.equal(page.status, 200);
    t.match(page.headers.get('content-type'), /^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    t.match(csp, /default-src 'none'/, 'its own policy');
    t.notMatch(csp, /script-src|unsafe-inline/, 'no script at all, no inline anything but the nonce’d style');
    t.equal(page.headers.get('referrer-policy'), 'no-referrer', 'the link is not handed on');
    const html = await page.text();
    t.match(html, /<html lang="th">/);
    t.match(html, /ติดตามคำสั่งซื้อ/);
    t.match(html, /จัดส่งถึงแล้ว/, 'the status now, in Thai');
    t.match(html, new RegExp(state.TrackingID!), 'the tracking number');
    t.match(html, /Grab/, 'the carrier');
    t.match(html, /href="\?lang=en"/, 'a toggle to English');
    const english = await (await fetch(`${link!}?lang=en`)).text();
    t.match(english, /<html lang="en">/);
    t.match(english, /Track your order/);

    const customerName = 'Customer 1'; // the demo's name of customer 1 (customer.profile.v1)
    for (const [what, text] of [
      ['JSON', JSON.stringify(body)],
      ['page', html],
      ['English page', english],
    ] as const) {
      t.notMatch(text, new RegExp(o.ShipFromLocationID), `${what}: no store id`);
      t.notMatch(text, /QC\d{4}/, `${what}: no store id of any kind`);
      t.notMatch(text, new RegExp(o.CustomerID!), `${what}: no customer id`);
      t.notMatch(text, new RegExp(customerName), `${what}: no customer name`);
      t.notMatch(text, /8200000\d\d|\+66|0820000/, `${what}: no phone`);
      t.notMatch(text, /Sukhumvit|10110|Khlong Toei/, `${what}: no address`);
      t.notMatch(text, new RegExp(state.Totals!.OrderTotal.replace('.', '\\.')), `${what}: no amount`);
      t.notMatch(text, /CANCELLED|VALIDATED|RELEASED|FORCE_ALLOC|slick|actor|source/i, `${what}: no reasons, sources or actors`);
    }
  });

  await t.test('an expired or tampered link: 410 / 404 with a friendly page', async (t) => {
    const o = orders[0]!;
    const expired = signTrackingToken(tracking.secret, { orderId: o.OrderID, expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const valid = signTrackingToken(tracking.secret, { orderId: o.OrderID, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    const tampered = `${valid.slice(0, -3)}${valid.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const forged = signTrackingToken('not-the-secret-0123456789abcdef-xyz', {
      orderId: o.OrderID,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    const unknown = signTrackingToken(tracking.secret, { orderId: 'WEB-999999', expiresAt: Math.floor(Date.now() / 1000) + 3600 });

    const expiredPage = await fetch(`${embedded.query.url}/track/${expired}?lang=en`);
    t.equal(expiredPage.status, 410);
    t.match(await expiredPage.text(), /This link has expired[\s\S]*30 days after delivery/);
    const expiredThai = await fetch(`${embedded.query.url}/track/${expired}`);
    t.match(await expiredThai.text(), /ลิงก์หมดอายุแล้ว/);
    for (const [what, token] of [
      ['tampered', tampered],
      ['signed with another secret', forged],
      ['an unknown order', unknown],
      ['garbage', 'not-a-token'],
    ] as const) {
      const page = await fetch(`${embedded.query.url}/track/${token}?lang=en`);
      t.equal(page.status, 404, `${what}: 404`);
      t.match(await page.text(), /Link not found[\s\S]*open the link in the latest message/, `${what}: a friendly page`);
    }
    const api = await fetch(`${embedded.query.url}/api/v1/track/${expired}`);
    t.equal(api.status, 410);
    t.match(await api.json(), { error: { code: 'TRACKING_LINK_EXPIRED' } });
    const bad = await fetch(`${embedded.query.url}/api/v1/track/${tampered}`);
    t.equal(bad.status, 404);
    t.match(await bad.json(), { error: { code: 'TRACKING_LINK_INVALID' } });
    const ok = await fetch(`${embedded.query.url}/api/v1/track/${valid}`);
    t.equal(ok.status, 200, 'the untampered one opens');
  });
});
