// Delivering messages through the real SMS and LINE simulators (HTTP on loopback): retries with a failing provider
// and lost answers, one message per key whatever the resends and restarts, opt-out, quiet hours (a moved clock),
// LINE's own duplicate answer, the breaker per channel, a provider's refusal, and the record of every step.
import t, { type Test } from 'tap';
import type { NotificationOutcome, NotificationPreference } from '../../../avro/records.js';
import { LineChannel, retryKeyOf, SmsChannel } from '../../../connectors/notifications/channels.js';
import { NotificationDelivery, type NotificationDeliveryOptions } from '../../../connectors/notifications/delivery.js';
import { Notifier } from '../../../connectors/notifications/notifier.js';
import { PreferenceTable } from '../../../connectors/notifications/preferences.js';
import { parseQuietHours } from '../../../connectors/notifications/quiet-hours.js';
import { LineSimulator } from '../../../connectors/simulators/line-simulator.js';
import { SmsSimulator } from '../../../connectors/simulators/sms-simulator.js';
import { random } from '../../../bin/demo-feed.js';
import { verifyTrackingToken } from '../../../query-service/tracking-token.js';
import { stateThrough } from './notification-fixtures.js';

const TOKEN = 'notify-unit-token';
const SECRET = 'tracking-unit-secret-0123456789abcdef';
const FULL = [1000, 2000, 3000, 3500, 3600, 3700, 7000, 7100, 7200, 7300, 7400, 7300, 7500] as const;

async function setup(t: Test, extra: Partial<NotificationDeliveryOptions> = {}) {
  const sms = new SmsSimulator({ token: TOKEN, random: random(7) });
  const line = new LineSimulator({ token: TOKEN, random: random(8) });
  const smsUrl = await sms.start();
  const lineUrl = await line.start();
  t.teardown(() => Promise.all([sms.stop(), line.stop()]));
  const preferences = new PreferenceTable();
  const recorded: NotificationOutcome[] = [];
  const options: NotificationDeliveryOptions = {
    channels: {
      SMS: new SmsChannel({ baseUrl: smsUrl, token: TOKEN, timeoutMs: 2_000 }),
      LINE: new LineChannel({ baseUrl: lineUrl, token: TOKEN, timeoutMs: 2_000 }),
    },
    preferences,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, jitter: 0.2 },
    breaker: { failureRate: 0.99, coolDownMs: 100 },
    quietHours: null,
    timeZone: 'Asia/Bangkok',
    defaultLanguage: 'th',
    tracking: { baseUrl: 'https://track.omnia.example', secret: SECRET, linkDays: 30 },
    record: async (outcome) => void recorded.push(outcome),
    log: () => undefined,
    ...extra,
  };
  const newNotifier = () => new Notifier(new NotificationDelivery(options), { maxAgeMs: 10 * 365 * 86_400_000 });
  return { sms, line, preferences, recorded, newNotifier };
}

const signal = () => new AbortController().signal;

t.test('SMS failing half its calls and losing some answers: every message once, every call recorded', async (t) => {
  const { sms, recorded, newNotifier } = await setup(t);
  sms.setFaults({ failureRate: 0.5, failAfterAcceptRate: 0.2 });
  const notifier = newNotifier();
  const state = stateThrough([...FULL], { PaymentStatus: 'Collected', CollectedAmount: '90.6200', CollectedAt: '2026-11-21T09:30:00Z' });
  // The state as each change arrived, then again (redeliveries).
  for (let n = 3; n <= FULL.length; n++) void notifier.offer(stateThrough(FULL.slice(0, n)), signal());
  t.ok(await notifier.offer(state, signal()), 'done');
  t.ok(await notifier.offer(state, signal()), 'offered again: nothing more to do');
  const keys = [
    'QC0042-000123:ORDER_CONFIRMED',
    'QC0042-000123:SHIPPED',
    'QC0042-000123:OUT_FOR_DELIVERY:1',
    'QC0042-000123:DELIVERY_FAILED:1',
    'QC0042-000123:OUT_FOR_DELIVERY:2',
    'QC0042-000123:DELIVERED',
    'QC0042-000123:COD_RECEIPT',
  ];
  t.same(
    sms.messages.map((m) => m.key),
    keys,
    'each message reached the phone once, in the order of the changes',
  );
  t.ok(
    sms.messages.every((m) => m.to === '+66812345678'),
    'to the order’s delivery phone, as E.164',
  );
  const calls = sms.server.calls;
  t.ok((calls.get('failed-5xx') ?? 0) > 0, `the provider failed calls (${calls.get('failed-5xx')})`);
  const failed = recorded.filter((r) => r.Outcome === 'FAILED').length;
  const done = recorded.filter((r) => r.Outcome === 'SENT' || r.Outcome === 'DUPLICATE');
  t.equal(done.length, keys.length, 'one SENT or DUPLICATE per message');
  t.equal(
    failed + done.length,
    [...sms.inbox.calls.values()].reduce((a, b) => a + b, 0) + (calls.get('failed-5xx') ?? 0),
    'every call recorded',
  );
  t.equal(
    recorded.filter((r) => r.Outcome === 'DUPLICATE').length,
    calls.get('failed-after-accept') ?? 0,
    'an answer lost after the provider took it: the retry is a DUPLICATE, not a second message',
  );
  const confirmed = sms.messages[0]!;
  const token = /\/track\/([A-Za-z0-9_.-]+)$/.exec(confirmed.text)?.[1];
  t.ok(
    token && verifyTrackingToken(SECRET, token, Date.parse('2026-11-22T00:00:00Z')).ok,
    'the confirmation carries a signed tracking link',
  );
  t.match(
    recorded.find((r) => r.Outcome === 'SENT'),
    {
      NotificationID: 'QC0042-000123:ORDER_CONFIRMED',
      OrderID: 'QC0042-000123',
      ShipFromLocationID: 'QC0042',
      CustomerID: 'C-1001',
      Event: 'ORDER_CONFIRMED',
      Channel: 'SMS',
      Recipient: '+66*****5678',
      Language: 'th',
      Outcome: 'SENT',
      Reason: null,
      HttpStatus: 201,
      Error: null,
      Body: confirmed.text,
      ProviderMessageID: confirmed.id,
      DueAt: null,
      EventAt: '2026-11-21T09:17:00.000Z',
    },
    'the record says what was sent, exactly, and to whom (masked)',
  );
});

t.test('a restart forgets what was sent: the provider answers DUPLICATE and the customer gets nothing twice', async (t) => {
  const { sms, line, preferences, recorded, newNotifier } = await setup(t);
  preferences.set(pref({ CustomerID: 'C-1001', Channel: 'LINE', LineUserID: 'U0123456789abcdef', Language: 'en' }));
  const state = stateThrough([1000, 2000, 3000, 7000, 7500]);
  t.ok(await newNotifier().offer(state, signal()));
  t.ok(await newNotifier().offer(state, signal()), 'a second process offers the same state');
  t.equal(sms.messages.length, 0, 'the customer chose LINE: no SMS');
  t.same(
    line.messages.map((m) => m.key),
    ['QC0042-000123:ORDER_CONFIRMED', 'QC0042-000123:SHIPPED', 'QC0042-000123:DELIVERED'].map(retryKeyOf),
    'each message once on LINE, under its retry key',
  );
  t.ok(
    line.messages.every((m) => m.to === 'U0123456789abcdef' && m.text.startsWith('Omnia: ')),
    'to the LINE user',
  );
  t.match(line.messages[0]!.text, /^Omnia: your order QC0042-000123 is confirmed/, 'in English, as chosen');
  t.equal(line.inbox.duplicatesSeen, 3, 'the second process was answered 409 for each');
  t.same(
    recorded.map((r) => r.Outcome),
    ['SENT', 'SENT', 'SENT', 'DUPLICATE', 'DUPLICATE', 'DUPLICATE'],
  );
  t.ok(recorded.every((r) => r.Channel === 'LINE' && r.Recipient === 'LINE:…cdef'));
});

function pref(fields: Partial<NotificationPreference> & { CustomerID: string }): NotificationPreference {
  return {
    OptedOut: false,
    Language: null,
    Channel: null,
    LineUserID: null,
    QuietHours: null,
    UpdatedAt: '2026-11-01T00:00:00Z',
    ...fields,
  };
}

t.test('opted out: nothing sent, SKIPPED recorded; opting out while a message waits drops it', async (t) => {
  let now = Date.parse('2026-12-06T15:00:00Z'); // 22:00 in Bangkok: quiet
  const { sms, preferences, recorded, newNotifier } = await setup(t, { quietHours: parseQuietHours('21:00-08:00')!, clock: () => now });
  preferences.set(pref({ CustomerID: 'C-1001', OptedOut: true }));
  const notifier = newNotifier();
  t.ok(await notifier.offer(stateThrough([1000, 2000, 3000], { start: now - 60_000 }), signal()));
  t.equal(sms.messages.length, 0);
  t.same(
    recorded.map((r) => [r.Outcome, r.Reason, r.Channel]),
    [['SKIPPED', 'OPTED_OUT', null]],
  );

  preferences.set(pref({ CustomerID: 'C-1001', OptedOut: false }));
  recorded.length = 0;
  const waiting = notifier.offer(stateThrough([1000, 2000, 3000, 7000], { start: now - 60_000 }), signal());
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(
    recorded.map((r) => [r.NotificationID, r.Outcome, r.DueAt]),
    [['QC0042-000123:SHIPPED', 'DEFERRED', '2026-12-07T01:00:00.000Z']],
    'held for quiet hours, until 08:00 Bangkok',
  );
  preferences.set(pref({ CustomerID: 'C-1001', OptedOut: true }));
  now = Date.parse('2026-12-07T01:00:00Z');
  t.ok(await waiting);
  t.same(
    recorded.map((r) => r.Outcome),
    ['DEFERRED', 'SKIPPED'],
    'opted out meanwhile: dropped when the window ended',
  );
  t.equal(sms.messages.length, 0);
});

t.test('quiet hours: a message due at night waits for the morning, none goes inside the window', async (t) => {
  let now = Date.parse('2026-12-06T13:59:58Z'); // 20:59:58 Bangkok
  const { sms, preferences, recorded, newNotifier } = await setup(t, { quietHours: parseQuietHours('21:00-08:00')!, clock: () => now });
  preferences.set(pref({ CustomerID: 'C-1001', QuietHours: '22:00-07:00' }));
  const notifier = newNotifier();
  t.ok(
    await notifier.offer(stateThrough([1000, 2000, 3000], { start: now - 120_000 }), signal()),
    'the customer’s own window (22:00) has not begun',
  );
  t.equal(sms.messages.length, 1, 'sent at 20:59:58 despite the default 21:00 start');
  now = Date.parse('2026-12-06T15:30:00Z'); // 22:30
  const shipped = notifier.offer(stateThrough([1000, 2000, 3000, 7000], { start: now - 240_000 }), signal());
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(sms.messages.length, 1, 'nothing at 22:30');
  t.same(recorded.at(-1)!.Outcome, 'DEFERRED');
  t.equal(recorded.at(-1)!.DueAt, '2026-12-07T00:00:00.000Z', '07:00 Bangkok');
  t.equal(recorded.at(-1)!.Reason, 'QUIET_HOURS 22:00-07:00');
  now = Date.parse('2026-12-06T23:59:59Z');
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  t.equal(sms.messages.length, 1, 'nothing at 06:59:59');
  now = Date.parse('2026-12-07T00:00:00Z');
  t.ok(await shipped);
  t.equal(sms.messages.length, 2, 'sent at 07:00');
  t.ok(sms.messages[1]!.key.endsWith(':SHIPPED'));
});

t.test('the breaker per channel: SMS down opens it (CIRCUIT_OPEN, no calls), back up it closes; LINE unaffected', async (t) => {
  const { sms, line, preferences, recorded, newNotifier } = await setup(t, {
    breaker: { failureRate: 0.5, coolDownMs: 200, windowMs: 1_000, minimumCalls: 3 },
  });
  await sms.down();
  const notifier = newNotifier();
  const smsOrder = notifier.offer(stateThrough([1000, 2000, 3000]), signal());
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.ok(
    recorded.some((r) => r.Outcome === 'CIRCUIT_OPEN'),
    'CIRCUIT_OPEN recorded while SMS is down',
  );
  preferences.set(pref({ CustomerID: 'C-2002', Channel: 'LINE', LineUserID: 'U-line-user-2002' }));
  const other = stateThrough([1000, 2000, 3000]);
  const lineOrder = notifier.offer({ ...other, Order: { ...other.Order, OrderID: 'QC0042-000999', CustomerID: 'C-2002' } }, signal());
  t.ok(await lineOrder, 'LINE delivers while the SMS breaker is open');
  t.equal(line.messages.length, 1);
  await sms.up();
  t.ok(await smsOrder, 'delivered once SMS is back');
  t.equal(sms.messages.length, 1);
  const smsSteps = recorded.filter((r) => r.Channel === 'SMS').map((r) => r.Outcome);
  t.ok(smsSteps.includes('GAVE_UP') || smsSteps.includes('CIRCUIT_OPEN'), 'failed rounds and breaker refusals recorded');
  t.equal(smsSteps.at(-1), 'SENT');
});

t.test('a provider refusing the message itself: REFUSED after a round, not sent again', async (t) => {
  const { sms, recorded, newNotifier } = await setup(t);
  sms.setFaults({ refusalRate: 1 });
  t.ok(await newNotifier().offer(stateThrough([1000, 2000, 3000]), signal()));
  t.same(
    recorded.map((r) => [r.Outcome, r.HttpStatus]),
    [
      ['FAILED', 422],
      ['FAILED', 422],
      ['FAILED', 422],
      ['REFUSED', 422],
    ],
  );
  t.equal(sms.messages.length, 0);
});

t.test('no usable phone: NO_CONTACT; an abandoned message is offered again later', async (t) => {
  const { sms, recorded, newNotifier } = await setup(t);
  const state = stateThrough([1000, 2000, 3000]);
  const noPhone = { ...state, Order: { ...state.Order, DeliveryAddress: { ...state.Order.DeliveryAddress, Phone: 'call the shop' } } };
  t.ok(await newNotifier().offer(noPhone, signal()));
  t.same(
    recorded.map((r) => [r.Outcome, r.Reason]),
    [['SKIPPED', 'NO_CONTACT']],
  );
  const notifier = newNotifier();
  const stop = new AbortController();
  await sms.down();
  const first = notifier.offer(state, stop.signal);
  await new Promise((resolve) => setTimeout(resolve, 50));
  stop.abort();
  t.equal(await first, false, 'abandoned');
  await sms.up();
  t.ok(await notifier.offer(state, signal()), 'offered again: delivered');
  t.equal(sms.messages.length, 1);
});

t.test('a change older than the maximum age is neither sent nor recorded', async (t) => {
  const { sms, recorded } = await setup(t);
  const delivery = new NotificationDelivery({
    channels: { SMS: new SmsChannel({ baseUrl: sms.url, token: TOKEN, timeoutMs: 1_000 }) },
    preferences: new PreferenceTable(),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    breaker: { failureRate: 0.9, coolDownMs: 100 },
    quietHours: null,
    timeZone: 'UTC',
    defaultLanguage: 'en',
    record: async (outcome) => void recorded.push(outcome),
    log: () => undefined,
  });
  const notifier = new Notifier(delivery, { maxAgeMs: 3_600_000, clock: () => Date.parse('2026-11-21T12:00:00Z') });
  t.ok(await notifier.offer(stateThrough([1000, 2000, 3000, 7000]), signal()));
  t.equal(notifier.stale, 2, 'both changes were hours old');
  t.equal(sms.messages.length + recorded.length, 0);
});
