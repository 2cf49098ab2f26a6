/**
 * Customer notifications on the real broker (the issue's demonstration): 1,000 COD orders go through `omnia start`,
 * `omnia connectors` and the Slick, Grab and PMP simulators to delivery (some after a failed first attempt), and a
 * few dozen are cancelled by the COD rules; `omnia notify` tells every customer by the SMS simulator — failing half
 * its calls — or by the LINE simulator. `omnia notify` is SIGKILLed once mid-run and started again, so records are
 * read twice. Then:
 *
 * - every customer got each message once: per order, exactly the messages its changes call for (from its status
 *   changes on order.status.v1 and its cash on order.payment.v1), none missing, none extra, none twice;
 * - none during quiet hours: a tenth of the customers have their own quiet hours around now (from a minute before the
 *   test to 75–135 s in, their orders' whole delivery inside it), and each of their messages arrived after it ended;
 * - none to an opted-out customer (another tenth), whose messages are SKIPPED OPTED_OUT on notification.sent.v1;
 * - the customers who chose LINE got theirs on LINE (in English when they chose it), nothing by SMS;
 * - every call is on notification.sent.v1: one SENT per message at most, a SENT or DUPLICATE for each, FAILED calls.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import t from 'tap';
import { serdeConfig } from '../../avro/config.js';
import type { NotificationOutcome, NotificationPreference, PaymentEvent, Release, StatusChange } from '../../avro/records.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import { retryKeyOf } from '../../connectors/notifications/channels.js';
import type { DeliverOptions, Shipment } from '../../connectors/simulators/delivery-simulator.js';
import { GrabSimulator } from '../../connectors/simulators/grab-simulator.js';
import { LineSimulator } from '../../connectors/simulators/line-simulator.js';
import { PmpSimulator } from '../../connectors/simulators/pmp-simulator.js';
import { SlickSimulator } from '../../connectors/simulators/slick-simulator.js';
import { SmsSimulator } from '../../connectors/simulators/sms-simulator.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import { loadOrderConfig } from '../../topology/order-config.js';
import { orderSerdes } from '../../topology/order-serdes.js';
import { orderTopology } from '../../topology/order-topology.js';
import { Topics } from '../../topology/topics.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { InProcessRuntime } from '../../runtime/in-process-runtime.js';
import {
  BROKERS,
  createPipelineTopics,
  createTopics,
  jsonRecord,
  produce,
  readAll,
  requireKafka,
  testClient,
  uniqueName,
} from './harness.js';
import { freePort } from '../free-port.js';

const OMNIA = resolve('dist/bin/omnia.js');
const RELEASED = 1_000;
const STORES = 20;
const CUSTOMERS = 200;
const PARTITIONS = 4;
const TOKENS = { slick: 'slick-ntf-token', grab: 'grab-ntf-token', pmp: 'pmp-ntf-token', sms: 'sms-ntf-token', line: 'line-ntf-token' };
const SECRETS = {
  slick: 'slick-ntf-webhook-secret-0123456789abcdef',
  grab: 'grab-ntf-webhook-secret-0123456789abcdef',
  pmp: 'pmp-ntf-webhook-secret-0123456789abcdef',
  tracking: 'tracking-ntf-secret-0123456789abcdef-0123',
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** Customer i (1…200): C-<1000+i>; a tenth opted out, a tenth on LINE, a tenth with quiet hours now; the rest by SMS. */
const kindOf = (i: number): 'optedOut' | 'line' | 'quiet' | 'sms' =>
  i % 10 === 3 ? 'optedOut' : i % 10 === 5 ? 'line' : i % 10 === 7 ? 'quiet' : 'sms';
const customerNumber = (customerId: string) => Number(customerId.slice(2)) - 1000;
const phoneOf = (i: number) => `+668${20_000_000 + i}`;
const lineUserOf = (i: number) => `U${createHash('sha256').update(`customer-${i}`).digest('hex').slice(0, 32)}`;

function startChild(args: string[], env: NodeJS.ProcessEnv, ready: string, log: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [OMNIA, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) =>
      reject(new Error(`omnia ${args.join(' ')} exited (${code}):\n${out}\n${log.slice(-50).join('')}`));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      log.push(chunk.toString());
      if (out.includes(ready)) {
        child.off('exit', onExit);
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

async function values<T>(client: KafkaClient, topic: string): Promise<T[]> {
  return (await readAll(client, topic)).map((record) => JSON.parse(record.value!.toString()) as T);
}

async function waitUntil(
  what: string,
  timeoutMs: number,
  condition: () => Promise<string | true>,
  progress: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let reported = Date.now();
  while (Date.now() < deadline) {
    const result = await condition();
    if (result === true) return;
    last = result;
    if (Date.now() - reported >= 10_000) {
      progress(result);
      reported = Date.now();
    }
    await sleep(1_000);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
}

/** The messages an order's changes call for, by the issue's rules: the NotificationIDs, in order. */
function expectedMessages(orderId: string, changes: readonly StatusChange[], cashCollected: boolean): string[] {
  const keys: string[] = [];
  let shipped = false;
  let out = 0;
  let failed = 0;
  for (const change of changes) {
    if (change.FromStatus === change.ToStatus) continue;
    const to = change.ToStatus;
    if (to === 3000) keys.push(`${orderId}:ORDER_CONFIRMED`);
    else if ((to === 7000 || to === 7100 || to === 7200) && !shipped) {
      shipped = true;
      keys.push(`${orderId}:SHIPPED`);
    } else if (to === 7300) keys.push(`${orderId}:OUT_FOR_DELIVERY:${++out}`);
    else if (to === 7400) keys.push(`${orderId}:DELIVERY_FAILED:${++failed}`);
    else if (to === 7500) keys.push(`${orderId}:DELIVERED`);
    else if (to === 9000) keys.push(`${orderId}:CANCELLED`);
  }
  if (cashCollected) keys.push(`${orderId}:COD_RECEIPT`);
  return keys;
}

t.test('1,000 orders to delivery, SMS failing half its calls: each message once, none in quiet hours, none to the opted out', async (t) => {
  if (!(await requireKafka(t))) return;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const client = testClient();
  const app = uniqueName('notify-e2e');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await createTopics(client, [name(Topics.notificationPreference)], 1);

  // Quiet hours of the "quiet" customers: from the minute before now to a minute boundary 75–135 s on (UTC, the
  // business zone here): their orders are confirmed, shipped and delivered inside it.
  const quietStart = Math.floor(started / 60_000) * 60_000 - 60_000;
  const quietEnd = Math.ceil((started + 75_000) / 60_000) * 60_000;
  // The default quiet hours are somewhere else in the day: they must not hold anyone during the test.
  const defaultQuiet = `${hhmm(started + 6 * 3_600_000)}-${hhmm(started + 7 * 3_600_000)}`;

  const createdAt = new Date();
  const record = (topic: string, key: string, value: unknown, partitions: number) =>
    jsonRecord(name(topic), key, value, partitions, createdAt.getTime());
  const reference = referenceData(CUSTOMERS);
  await produce(
    client,
    reference.map((entry) => record(entry.topic, entry.key, entry.value, 1)),
  );
  const preferences: NotificationPreference[] = [];
  for (let i = 1; i <= CUSTOMERS; i++) {
    const kind = kindOf(i);
    if (kind === 'sms') continue;
    preferences.push({
      CustomerID: `C-${1000 + i}`,
      OptedOut: kind === 'optedOut',
      Language: i % 4 === 1 ? 'en' : 'th',
      Channel: kind === 'line' ? 'LINE' : 'SMS',
      LineUserID: kind === 'line' ? lineUserOf(i) : null,
      QuietHours: kind === 'quiet' ? `${hhmm(quietStart)}-${hhmm(quietEnd)}` : null,
      UpdatedAt: createdAt.toISOString(),
    });
  }
  await produce(
    client,
    preferences.map((p) => record(Topics.notificationPreference, p.CustomerID, p, 1)),
  );

  // The orders: the demo feed's, each to its customer's own phone; the first 1,000 the pipeline releases and the
  // ones among them it cancels by the COD rules (found by the same topology in-process).
  const candidates: OrderCreate[] = Array.from({ length: Math.ceil(RELEASED * 1.5) }, (_, n) => {
    const order = demoOrder(n, createdAt, { stores: STORES, customers: CUSTOMERS, seed: 19, invalidShare: 0 });
    return { ...order, DeliveryAddress: { ...order.DeliveryAddress, Phone: `08${20_000_000 + customerNumber(order.CustomerID!)}` } };
  });
  const driver = new InProcessRuntime(
    orderTopology(loadOrderConfig({ OMNIA_TOPIC_PREFIX: prefix }), orderSerdes(serdeConfig({}), prefix)),
    {
      startTime: createdAt.getTime(),
      partitions: PARTITIONS,
    },
  );
  for (const entry of reference) await driver.pipeRaw(name(entry.topic), Buffer.from(entry.key), Buffer.from(JSON.stringify(entry.value)));
  for (const order of candidates)
    await driver.pipeRaw(name(Topics.orderCreate), Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), {
      timestamp: createdAt.getTime(),
    });
  const released = new Set<string>();
  const cancelled = new Set<string>();
  for (const output of driver.output) {
    if (output.topic === name(Topics.release)) released.add((JSON.parse(output.value!.toString()) as Release).OrderID);
    if (output.topic === name(Topics.status) && (JSON.parse(output.value!.toString()) as StatusChange).ToStatus === 9000)
      cancelled.add((JSON.parse(output.value!.toString()) as StatusChange).OrderID);
  }
  await driver.close();
  const lastReleased = candidates.filter((order) => released.has(order.OrderID))[RELEASED - 1]!;
  const orders = candidates.slice(0, candidates.indexOf(lastReleased) + 1);
  const releasedOrders = orders.filter((order) => released.has(order.OrderID));
  t.equal(releasedOrders.length, RELEASED, `${RELEASED} orders released`);
  const cancelledOrders = orders.filter((order) => cancelled.has(order.OrderID));
  t.ok(cancelledOrders.length > 10, `and ${cancelledOrders.length} cancelled by the COD rules`);
  const customerOf = new Map(orders.map((order) => [order.OrderID, customerNumber(order.CustomerID!)]));

  // Partners. Grab fails the first delivery attempt of one shipment in four (FAILED, RESCHEDULED, out again).
  const webhookPort = await freePort();
  const webhook = (partner: 'slick' | 'grab' | 'pmp') => ({ url: `http://127.0.0.1:${webhookPort}`, secret: SECRETS[partner] });
  const failedFirst = new Set<string>();
  class FailingFirstGrab extends GrabSimulator {
    override deliver(shipment: Shipment, options: DeliverOptions = {}): Promise<void> {
      if (createHash('sha256').update(shipment.OrderID).digest()[0]! % 4 !== 0) return super.deliver(shipment, options);
      failedFirst.add(shipment.OrderID);
      return super.deliver(shipment, { ...options, failFirstAttempt: true });
    }
  }
  const grab = new FailingFirstGrab({ token: TOKENS.grab, webhook: webhook('grab'), autoDeliver: true });
  const pmp = new PmpSimulator({ token: TOKENS.pmp, webhook: webhook('pmp'), autoDeliver: true });
  const slick = new SlickSimulator({
    token: TOKENS.slick,
    webhook: webhook('slick'),
    autoShip: true,
    carriers: { GRAB: { url: await grab.start(), token: TOKENS.grab }, PMP: { url: await pmp.start(), token: TOKENS.pmp } },
  });
  const slickUrl = await slick.start();
  // The customers' providers: SMS fails half of its calls (503 before doing anything).
  const sms = new SmsSimulator({ token: TOKENS.sms, faults: { failureRate: 0.5 } });
  const line = new LineSimulator({ token: TOKENS.line });
  const smsUrl = await sms.start();
  const lineUrl = await line.start();

  const stateDir = `.state/test-${app}`;
  const log: string[] = [];
  const children: { worker?: ChildProcess; connectors?: ChildProcess; notify?: ChildProcess } = {};
  t.teardown(async () => {
    await stopChild(children.notify, 'SIGKILL');
    await stopChild(children.connectors, 'SIGKILL');
    await stopChild(children.worker, 'SIGKILL');
    await Promise.allSettled([slick.stop(), grab.stop(), pmp.stop(), sms.stop(), line.stop()]);
    await rm(stateDir, { recursive: true, force: true });
  });
  const common = {
    KAFKA_BROKERS: BROKERS.join(','),
    OMNIA_APPLICATION_ID: app,
    OMNIA_TOPIC_PREFIX: prefix,
    OMNIA_BUSINESS_TIMEZONE: 'UTC',
  };
  children.worker = await startChild(
    ['start'],
    {
      ...common,
      OMNIA_INSTANCE_ID: `${app}-0`,
      OMNIA_STATE_DIR: stateDir,
      OMNIA_RECONCILIATION_CUTOFF: hhmm(started - 60_000),
      DATABASE_URL: '',
    },
    'omnia: running on',
    log,
  );
  children.connectors = await startChild(
    ['connectors'],
    {
      ...common,
      OMNIA_SLICK_WEBHOOK_SECRET: SECRETS.slick,
      OMNIA_GRAB_WEBHOOK_SECRET: SECRETS.grab,
      OMNIA_PMP_WEBHOOK_SECRET: SECRETS.pmp,
      OMNIA_WEBHOOK_PORT: String(webhookPort),
      OMNIA_WEBHOOK_HOST: '127.0.0.1',
      SLICK_BASE_URL: slickUrl,
      SLICK_TOKEN: TOKENS.slick,
      SLICK_BACKOFF_MS: '50',
      SLICK_BACKOFF_MAX_MS: '500',
      OMNIA_SLICK_PORT: String(await freePort()),
      OMNIA_SLICK_HOST: '127.0.0.1',
    },
    'omnia connectors: webhooks on',
    log,
  );
  const notifyEnv = {
    ...common,
    OMNIA_NOTIFY_SMS_URL: smsUrl,
    OMNIA_NOTIFY_SMS_TOKEN: TOKENS.sms,
    OMNIA_NOTIFY_LINE_URL: lineUrl,
    OMNIA_NOTIFY_LINE_TOKEN: TOKENS.line,
    OMNIA_NOTIFY_QUIET_HOURS: defaultQuiet,
    OMNIA_NOTIFY_BACKOFF_MS: '20',
    OMNIA_NOTIFY_BACKOFF_MAX_MS: '200',
    OMNIA_NOTIFY_BREAKER_COOLDOWN_MS: '500',
    OMNIA_NOTIFY_MAX_CONCURRENT_CALLS: '32',
    OMNIA_TRACKING_SECRET: SECRETS.tracking,
    OMNIA_TRACKING_BASE_URL: 'https://track.omnia.example',
    OMNIA_NOTIFY_PORT: String(await freePort()),
    OMNIA_NOTIFY_HOST: '127.0.0.1',
  };
  children.notify = await startChild(['notify'], notifyEnv, 'omnia notify: telling customers', log);
  t.comment(`${elapsed()}: processes started; quiet hours of a tenth of the customers ${hhmm(quietStart)}-${hhmm(quietEnd)} UTC`);

  for (let i = 0; i < orders.length; i += 250)
    await produce(
      client,
      orders.slice(i, i + 250).map((order) => record(Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS)),
    );

  // SIGKILL `omnia notify` once, mid-run, and start it again: it reads again from its committed offsets.
  await waitUntil(
    'a third of the SMS sent',
    180_000,
    async () => sms.messages.length >= 1_500 || `${sms.messages.length} SMS so far`,
    (line) => t.comment(`${elapsed()}: ${line}`),
  );
  await stopChild(children.notify, 'SIGKILL');
  const killedAt = sms.messages.length;
  children.notify = await startChild(['notify'], notifyEnv, 'omnia notify: telling customers', log);
  t.comment(`${elapsed()}: omnia notify SIGKILLed after ${killedAt} SMS and started again`);

  // Every order at its end: delivered with its cash collected, or cancelled.
  const statusesOf = async () => {
    const map = new Map<string, StatusChange[]>();
    for (const change of await values<StatusChange>(client, name(Topics.status))) {
      const list = map.get(change.OrderID);
      if (list) list.push(change);
      else map.set(change.OrderID, [change]);
    }
    return map;
  };
  const collectedOf = async () =>
    new Set(
      (await values<PaymentEvent>(client, name(Topics.payment))).filter((e) => e.PaymentStatus === 'Collected').map((e) => e.OrderID),
    );
  await waitUntil(
    'every order delivered and collected, or cancelled',
    240_000,
    async () => {
      const collected = await collectedOf();
      const done = orders.filter((order) => collected.has(order.OrderID) || cancelled.has(order.OrderID)).length;
      return (
        done === orders.length ||
        `${done} of ${orders.length} orders at their end; ${sms.messages.length} SMS, ${line.messages.length} LINE`
      );
    },
    (line) => t.comment(`${elapsed()}: ${line}`),
  );
  const statuses = await statusesOf();
  const collected = await collectedOf();
  const expected = new Map(
    orders.map((order) => [
      order.OrderID,
      expectedMessages(order.OrderID, statuses.get(order.OrderID) ?? [], collected.has(order.OrderID)),
    ]),
  );
  const total = (kinds: ReadonlyArray<ReturnType<typeof kindOf>>) =>
    orders
      .filter((order) => kinds.includes(kindOf(customerOf.get(order.OrderID)!)))
      .reduce((sum, order) => sum + expected.get(order.OrderID)!.length, 0);
  const wantSms = total(['sms', 'quiet']);
  const wantLine = total(['line']);
  await waitUntil(
    'every message received, the quiet customers’ after their window',
    Math.max(0, quietEnd - Date.now()) + 120_000,
    async () =>
      (sms.messages.length >= wantSms && line.messages.length >= wantLine) ||
      `${sms.messages.length} of ${wantSms} SMS, ${line.messages.length} of ${wantLine} LINE`,
    (line) => t.comment(`${elapsed()}: ${line}`),
  );
  await sleep(3_000); // anything more that would come
  t.comment(`${elapsed()}: ${sms.messages.length} SMS and ${line.messages.length} LINE messages`);

  // Each customer: exactly the messages their orders' changes call for, each once, on their channel.
  const smsByKey = new Map(sms.messages.map((m) => [m.key, m]));
  const lineByKey = new Map(line.messages.map((m) => [m.key, m]));
  const problems: string[] = [];
  for (const order of orders) {
    const i = customerOf.get(order.OrderID)!;
    const kind = kindOf(i);
    for (const key of expected.get(order.OrderID)!) {
      const onSms = smsByKey.get(key);
      const onLine = lineByKey.get(retryKeyOf(key));
      if (kind === 'optedOut') {
        if (onSms || onLine) problems.push(`${key}: sent to opted-out customer ${i}`);
      } else if (kind === 'line') {
        if (!onLine) problems.push(`${key}: not on LINE`);
        else if (onLine.to !== lineUserOf(i)) problems.push(`${key}: to ${onLine.to}, not customer ${i}'s LINE`);
        if (onSms) problems.push(`${key}: by SMS too`);
      } else {
        if (!onSms) problems.push(`${key}: not sent`);
        else if (onSms.to !== phoneOf(i)) problems.push(`${key}: to ${onSms.to}, not ${phoneOf(i)}`);
        if (onLine) problems.push(`${key}: on LINE too`);
        if (onSms && kind === 'quiet' && onSms.receivedAt < quietEnd)
          problems.push(
            `${key}: arrived ${new Date(onSms.receivedAt).toISOString()}, inside customer ${i}'s quiet hours (until ${hhmm(quietEnd)})`,
          );
      }
    }
  }
  t.same(
    problems.slice(0, 10),
    [],
    `${problems.length} problems: every customer got each message once, on their channel, none in quiet hours`,
  );
  const allExpected = new Set([...expected.values()].flat());
  const extra = [
    ...sms.messages.map((m) => m.key).filter((key) => !allExpected.has(key)),
    ...line.messages.map((m) => m.key).filter((key) => ![...allExpected].some((k) => retryKeyOf(k) === key)),
  ];
  t.same(extra.slice(0, 10), [], 'no message nobody’s changes called for');
  t.equal(sms.messages.length, wantSms, `${wantSms} SMS, each a different message`);
  t.equal(line.messages.length, wantLine, `${wantLine} LINE messages`);
  t.ok(
    [...failedFirst].some(
      (id) => expected.get(id)?.includes(`${id}:DELIVERY_FAILED:1`) && expected.get(id)?.includes(`${id}:OUT_FOR_DELIVERY:2`),
    ),
    `failed first attempts told (${failedFirst.size} orders), and the second round out for delivery`,
  );
  t.ok(
    cancelledOrders.every((order) => expected.get(order.OrderID)!.join() === `${order.OrderID}:CANCELLED`),
    'each cancelled order: one CANCELLED message',
  );
  const englishLine = line.messages.filter((m) => /^Omnia: (your order|order) /.test(m.text)).length;
  t.ok(
    englishLine > 0 && englishLine < line.messages.length,
    `LINE messages in English for those who chose it (${englishLine}), Thai for the others`,
  );
  t.ok(
    sms.messages
      .filter((m) => m.key.endsWith(':SHIPPED'))
      .every((m) => /https:\/\/track\.omnia\.example\/track\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.test(m.text)),
    'every SHIPPED message carries its tracking link',
  );
  const calls = sms.server.calls;
  const failedCalls = calls.get('failed-5xx') ?? 0;
  const allCalls = failedCalls + [...sms.inbox.calls.values()].reduce((a, b) => a + b, 0);
  t.ok(failedCalls / allCalls > 0.4 && failedCalls / allCalls < 0.6, `SMS failed ${failedCalls} of its ${allCalls} calls`);

  // notification.sent.v1: every step.
  const outcomes = await values<NotificationOutcome>(client, name(Topics.notificationSent));
  const byId = new Map<string, NotificationOutcome[]>();
  for (const outcome of outcomes) {
    const list = byId.get(outcome.NotificationID);
    if (list) list.push(outcome);
    else byId.set(outcome.NotificationID, [outcome]);
  }
  const recordProblems: string[] = [];
  for (const order of orders) {
    const kind = kindOf(customerOf.get(order.OrderID)!);
    for (const key of expected.get(order.OrderID)!) {
      const steps = byId.get(key) ?? [];
      const sent = steps.filter((s) => s.Outcome === 'SENT').length;
      const delivered = sent + steps.filter((s) => s.Outcome === 'DUPLICATE').length;
      if (kind === 'optedOut') {
        if (!steps.some((s) => s.Outcome === 'SKIPPED' && s.Reason === 'OPTED_OUT') || delivered > 0)
          recordProblems.push(`${key}: ${steps.map((s) => s.Outcome).join(',')} for an opted-out customer`);
      } else if (sent > 1 || delivered === 0) recordProblems.push(`${key}: ${steps.map((s) => s.Outcome).join(',')}`);
      if (kind === 'quiet' && !steps.some((s) => s.Outcome === 'DEFERRED') && key.endsWith(':ORDER_CONFIRMED'))
        recordProblems.push(`${key}: not DEFERRED for quiet hours`);
    }
  }
  t.same(
    recordProblems.slice(0, 10),
    [],
    `${recordProblems.length} problems: one SENT at most and a SENT or DUPLICATE per message; SKIPPED for the opted out`,
  );
  t.ok(
    sms.inbox.duplicatesSeen > 0 && outcomes.some((o) => o.Outcome === 'DUPLICATE'),
    `after the SIGKILL, what had been sent was sent again with its key: ${sms.inbox.duplicatesSeen} duplicates answered, none delivered twice`,
  );
  const failedRecords = outcomes.filter((o) => o.Outcome === 'FAILED' && o.Channel === 'SMS').length;
  t.ok(
    failedRecords > 0 && failedRecords <= failedCalls,
    `${failedRecords} FAILED SMS calls on notification.sent.v1 (of ${failedCalls}; a SIGKILL may lose the record of a call in flight)`,
  );
  t.comment(
    `outcomes: ${['SENT', 'DUPLICATE', 'FAILED', 'GAVE_UP', 'CIRCUIT_OPEN', 'DEFERRED', 'SKIPPED'].map((o) => `${o} ${outcomes.filter((x) => x.Outcome === o).length}`).join(', ')}; SMS duplicates seen by the provider ${sms.inbox.duplicatesSeen}`,
  );
  t.comment(`total ${elapsed()}`);
});
