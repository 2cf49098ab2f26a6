// Delivery to Slick through its cockatiel policies, against a Slick stub whose answers the test sets: the backoff
// the retry waits (bounds and jitter), rounds bounded and recorded GAVE_UP, the breaker opening after N
// consecutive failures, refusing while open (CIRCUIT_OPEN, Slick not called), one half-open probe that closes it
// (or opens it again), Slick's own refusals not counting, and what is logged.
import t from 'tap';
import type { FulfillmentInteraction, Release } from '../../../avro/records.js';
import { jitteredBackoff, nthDelayMs, validateBreakerSettings, validateRetrySettings } from '../../../connectors/resilience.js';
import { SlickCallError, type SlickAnswer, type SlickApi } from '../../../connectors/slick-client.js';
import { collectionJob, releaseJob, SlickDelivery, type SlickDeliveryOptions } from '../../../connectors/slick-delivery.js';
import { examples } from '../avro/examples.js';
import { capturingLogger, sleep, until } from './helpers.js';

const DEFAULTS = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2 };

/** A Slick whose next answers the test decides: 'ok', 'dup', a status to fail with, or 'hang' (answered by `release()`). */
function stubSlick() {
  const calls: string[] = [];
  let mode: 'ok' | 'dup' | number | 'hang' = 'ok';
  const hanging: Array<() => void> = [];
  const answer = async (id: string): Promise<SlickAnswer> => {
    calls.push(id);
    const current = mode;
    if (current === 'hang') await new Promise<void>((resolve) => hanging.push(resolve));
    if (current === 'ok' || current === 'hang') return { outcome: 'ACCEPTED', status: 201 };
    if (current === 'dup') return { outcome: 'DUPLICATE', status: 200 };
    const partnerFault = current >= 500 || current === 408 || current === 429;
    throw new SlickCallError(`HTTP ${current} from POST /v1/releases`, current, partnerFault);
  };
  const slick: SlickApi = {
    sendRelease: (release) => answer(release.ReleaseID),
    confirmCollection: (collection) => answer(`collection ${collection.OrderID}`),
  };
  return {
    slick,
    calls,
    set: (next: typeof mode) => (mode = next),
    release: () => hanging.splice(0).forEach((resolve) => resolve()),
  };
}

function setup(options: Partial<Pick<SlickDeliveryOptions, 'retry' | 'breaker' | 'random'>> = {}) {
  const stub = stubSlick();
  const recorded: FulfillmentInteraction[] = [];
  const stop = new AbortController();
  const { logger, lines } = capturingLogger();
  const delivery = new SlickDelivery(stub.slick, {
    retry: options.retry ?? { attempts: 3, baseDelayMs: 1, maxDelayMs: 4, jitter: 0 },
    breaker: options.breaker ?? { failureThreshold: 5, coolDownMs: 150 },
    record: async (interaction) => void recorded.push(interaction),
    signal: stop.signal,
    logger,
    ...(options.random ? { random: options.random } : {}),
  });
  const outcomes = (id?: string) => recorded.filter((r) => id === undefined || r.ReleaseID === id).map((r) => r.Outcome);
  return { ...stub, delivery, recorded, outcomes, stop, lines };
}

const release = (n: number): Release => ({ ...examples.Release, ReleaseID: `REL-${n}`, OrderID: `QC0042-${String(n).padStart(6, '0')}` });
const metric = async (delivery: SlickDelivery, name: string) =>
  (await delivery.metrics.registry.getSingleMetricAsString(name)).split('\n').filter((line) => !line.startsWith('#'));

t.test('backoff: 1 s, 2 s, 4 s nominal by default, each within ±jitter, reaching both ends; capped; jitter 0 is exact', async (t) => {
  const low = jitteredBackoff(DEFAULTS, () => 0);
  const high = jitteredBackoff(DEFAULTS, () => 0.999999);
  t.same(
    [1, 2, 3].map((n) => nthDelayMs(low, n)),
    [800, 1_600, 3_200],
    'random 0: the lower bound, 80 %',
  );
  t.same(
    [1, 2, 3].map((n) => nthDelayMs(high, n)),
    [1_200, 2_400, 4_800],
    'random → 1: the upper bound, 120 %',
  );
  const spread = jitteredBackoff(DEFAULTS);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) {
    for (const n of [1, 2, 3, 4]) {
      const nominal = 1_000 * 2 ** (n - 1);
      const delay = nthDelayMs(spread, n);
      if (delay < nominal * 0.8 || delay > nominal * 1.2) t.fail(`n=${n}: ${delay} outside [${nominal * 0.8}, ${nominal * 1.2}]`);
      if (n === 2) seen.add(delay);
    }
  }
  t.ok(seen.size > 50, `delays are spread, not one value (${seen.size} distinct)`);
  const capped = jitteredBackoff({ baseDelayMs: 100, maxDelayMs: 500, jitter: 0 });
  t.same(
    [1, 2, 3, 4, 5, 10].map((n) => nthDelayMs(capped, n)),
    [100, 200, 400, 500, 500, 500],
    'capped at maxDelayMs before jitter',
  );
});

t.test('settings are checked, naming what is wrong', async (t) => {
  t.throws(() => validateRetrySettings({ ...DEFAULTS, attempts: 0 }), /attempts/);
  t.throws(() => validateRetrySettings({ ...DEFAULTS, baseDelayMs: 10, maxDelayMs: 5 }), /max delay/);
  t.throws(() => validateRetrySettings({ ...DEFAULTS, jitter: 1.5 }), /jitter/);
  t.throws(() => validateBreakerSettings({ failureThreshold: 0, coolDownMs: 1 }), /threshold/);
  t.throws(
    () =>
      new SlickDelivery(stubSlick().slick, {
        retry: { ...DEFAULTS, attempts: 0 },
        breaker: { failureThreshold: 5, coolDownMs: 1 },
        record: async () => undefined,
        signal: new AbortController().signal,
      }),
    /attempts/,
  );
});

t.test('retries are bounded: a round is `attempts` calls with the backoff between them, then GAVE_UP, then another round', async (t) => {
  // random 0.5: every delay is its nominal value; 10 ms, 20 ms between the calls of a round, 40 ms after it.
  const { delivery, calls, outcomes, set, recorded } = setup({
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 1_000, jitter: 0.2 },
    breaker: { failureThreshold: 100, coolDownMs: 100 },
    random: () => 0.5,
  });
  const delays: number[] = [];
  delivery.retry.onRetry(({ delay }) => delays.push(delay));
  set(503);
  let rounds = 0;
  const delivered = delivery.deliver(releaseJob(release(1)), () => rounds >= 2);
  await until('two rounds given up', () => (rounds = outcomes().filter((o) => o === 'GAVE_UP').length) >= 2);
  t.equal(await delivered, false, 'abandoned when asked, never delivered');
  t.same(
    outcomes(),
    ['FAILED', 'FAILED', 'FAILED', 'GAVE_UP', 'FAILED', 'FAILED', 'FAILED', 'GAVE_UP'],
    'two rounds of 3 attempts, each recorded',
  );
  t.equal(calls.length, 6, 'Slick called 3 times per round, no more');
  t.same(delays, [10, 20, 10, 20], 'the retry waited the backoff between the attempts of a round');
  t.same(
    recorded.map((r) => r.Attempt),
    [1, 2, 3, 3, 4, 5, 6, 6],
    'attempts numbered across rounds',
  );
  t.ok(
    recorded.filter((r) => r.Outcome === 'FAILED').every((r) => r.HttpStatus === 503 && /HTTP 503/.test(r.Error ?? '')),
    'each failure with its status and error',
  );
  t.equal(delivery.breakerState, 'closed', 'under the threshold the breaker stays closed');
});

t.test('a failure then success: delivered in the same round; a duplicate answer is delivered too', async (t) => {
  const { delivery, outcomes, set, calls } = setup({ retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 100, jitter: 0 } });
  set(502);
  const first = delivery.deliver(releaseJob(release(1)), () => false);
  await until('the first failure', () => calls.length === 1);
  set('ok');
  t.equal(await first, true);
  t.same(outcomes('REL-1'), ['FAILED', 'ACCEPTED']);
  set('dup');
  t.equal(await delivery.deliver(releaseJob(release(2)), () => false), true);
  t.same(outcomes('REL-2'), ['DUPLICATE']);
  t.same(delivery.pending.size, 0, 'nothing pending');
});

t.test(
  'the breaker opens after 5 consecutive failures, refuses while open (CIRCUIT_OPEN, Slick not called), and one half-open probe closes it',
  async (t) => {
    const { delivery, calls, outcomes, set, lines } = setup({ breaker: { failureThreshold: 5, coolDownMs: 500 } });
    set(503);
    const delivered = delivery.deliver(releaseJob(release(1)), () => false);
    await until('CIRCUIT_OPEN recorded', () => outcomes().includes('CIRCUIT_OPEN'));
    t.equal(calls.length, 5, 'opened after exactly 5 failed calls');
    t.same(outcomes(), ['FAILED', 'FAILED', 'FAILED', 'GAVE_UP', 'FAILED', 'FAILED', 'CIRCUIT_OPEN']);
    t.equal(delivery.breakerState, 'open');
    t.match(await metric(delivery, 'omnia_slick_breaker_state'), ['omnia_slick_breaker_state 2'], 'gauge: 2 = open');
    t.match(await metric(delivery, 'omnia_slick_breaker_openings_total'), ['omnia_slick_breaker_openings_total 1']);
    t.same([...delivery.pending], ['REL-1'], 'the release is pending');

    await sleep(150);
    t.equal(calls.length, 5, 'no call while open');
    t.equal(outcomes().filter((o) => o === 'CIRCUIT_OPEN').length, 1, 'CIRCUIT_OPEN recorded once per cool-down');
    set('ok');
    t.equal(await delivered, true, 'delivered by the probe after the cool-down');
    t.equal(calls.length, 6, 'exactly one probe call');
    t.same(outcomes().slice(-2), ['CIRCUIT_OPEN', 'ACCEPTED']);
    t.equal(delivery.breakerState, 'closed');
    t.match(await metric(delivery, 'omnia_slick_breaker_state'), ['omnia_slick_breaker_state 0'], 'gauge: 0 = closed');

    const opened = lines.filter((line) => /closed → open/.test(line.msg));
    t.equal(opened.length, 1, 'one line for the opening');
    t.match(
      opened[0],
      {
        level: 'warn',
        partner: 'slick',
        OrderID: 'QC0042-000001',
        ReleaseID: 'REL-1',
        action: 'SEND_RELEASE',
        breaker: { from: 'closed', to: 'open' },
        err: { message: /HTTP 503/, stack: /SlickCallError/ },
      },
      'with the partner, the order and the failure',
    );
    t.equal(lines.filter((line) => /half-open → closed/.test(line.msg)).length, 1, 'one line for the closing');
    const gaveUp = lines.filter((line) => /attempts failed/.test(line.msg));
    t.equal(gaveUp.length, 1, 'one line for the given-up round');
    t.match(gaveUp[0], { level: 'warn', partner: 'slick', OrderID: 'QC0042-000001', ReleaseID: 'REL-1', attempts: 3 });
  },
);

t.test('a failed probe opens the breaker again for a full cool-down', async (t) => {
  const { delivery, calls, outcomes, set, lines } = setup({ breaker: { failureThreshold: 2, coolDownMs: 300 } });
  set(503);
  const delivered = delivery.deliver(releaseJob(release(1)), () => false);
  await until('open', () => delivery.breakerState === 'open');
  const opened = Date.now();
  await until('the probe failed', () => calls.length === 3);
  t.ok(Date.now() - opened >= 280, 'the probe came after the cool-down');
  await until('open again', () => lines.some((line) => /half-open → open/.test(line.msg)));
  t.equal(delivery.breakerState, 'open');
  t.match(
    await metric(delivery, 'omnia_slick_breaker_openings_total'),
    ['omnia_slick_breaker_openings_total 2'],
    'counted as a second opening',
  );
  await sleep(100);
  t.equal(calls.length, 3, 'no call during the new cool-down');
  set('ok');
  t.equal(await delivered, true);
  t.equal(outcomes().at(-1), 'ACCEPTED');
  t.equal(delivery.breakerState, 'closed');
});

t.test('half-open: one probe at a time; the other deliveries wait for it and then go on', async (t) => {
  const { delivery, calls, set, release: answerProbe } = setup({ breaker: { failureThreshold: 2, coolDownMs: 50 } });
  set(503);
  const first = delivery.deliver(releaseJob(release(1)), () => false);
  await until('open', () => delivery.breakerState === 'open');
  set('hang');
  const others = [2, 3, 4].map((n) => delivery.deliver(releaseJob(release(n)), () => false));
  await until('the probe in flight', () => delivery.breakerState === 'half-open' && calls.length === 3);
  await sleep(30);
  t.equal(calls.length, 3, 'only the probe reached Slick');
  set('ok');
  answerProbe();
  t.same(await Promise.all([first, ...others]), [true, true, true, true], 'all delivered once the probe closed the breaker');
  t.equal(delivery.breakerState, 'closed');
  t.equal(calls.length, 6, 'then each waiting delivery called Slick once');
});

t.test('Slick refusing a release itself (409) a whole round: REFUSED with its answer, set aside, never opens the breaker', async (t) => {
  const { delivery, calls, outcomes, recorded, set } = setup({ breaker: { failureThreshold: 2, coolDownMs: 1_000 } });
  set(409);
  t.equal(await delivery.deliver(releaseJob(release(1)), () => false), true, 'the delivery ends: the partition moves on');
  t.equal(calls.length, 3, 'one round of 3 attempts, no second round');
  t.same(outcomes(), ['FAILED', 'FAILED', 'FAILED', 'REFUSED']);
  const last = recorded.at(-1)!;
  t.equal(last.HttpStatus, 409, 'the refusal status is kept on the REFUSED record');
  t.match(last.Error, /HTTP 409 from POST .*set aside until someone retries or parks it/, 'with what Slick answered');
  t.equal(delivery.breakerState, 'closed', 'still closed after 3 refusals in a row');
  t.notOk(outcomes().includes('CIRCUIT_OPEN'));
  t.same(await metric(delivery, 'omnia_slick_releases_set_aside_total'), ['omnia_slick_releases_set_aside_total 1']);
  set(503);
  let stop = false;
  const again = delivery.deliver(releaseJob(release(2)), () => stop);
  await until('open', () => delivery.breakerState === 'open');
  t.equal(calls.filter((id) => id === 'REL-2').length, 2, 'the refusals did not count: 2 real failures open it');
  stop = true;
  t.equal(await again, false, 'abandoned after the cool-down wait');
});

t.test('a collection confirmation Slick refuses a whole round is REFUSED and not sent again: the partition moves on', async (t) => {
  const { delivery, calls, outcomes, recorded, set } = setup();
  set(409);
  const delivered = await delivery.deliver(collectionJob({ ...examples.PaymentEvent, PaymentStatus: 'Collected' })!, () => false);
  t.equal(delivered, true, 'the delivery ends (it was retried without end before: Reading 52)');
  t.equal(calls.length, 3, 'one round, no second');
  t.same(outcomes(), ['FAILED', 'FAILED', 'FAILED', 'REFUSED']);
  t.match(recorded.at(-1), { Action: 'CONFIRM_COLLECTION', HttpStatus: 409, Error: /not sent again/ });
  t.same(await metric(delivery, 'omnia_slick_collections_refused_total'), ['omnia_slick_collections_refused_total 1']);
  t.same(await metric(delivery, 'omnia_slick_releases_set_aside_total'), ['omnia_slick_releases_set_aside_total 0'], 'not a release');
});

t.test('a stop cuts the wait of an open breaker short; a record that fails ends the delivery with its error', async (t) => {
  const { delivery, outcomes, set, stop } = setup({ breaker: { failureThreshold: 1, coolDownMs: 60_000 } });
  set(503);
  let stopping = false;
  const delivered = delivery.deliver(releaseJob(release(1)), () => stopping);
  await until('CIRCUIT_OPEN', () => outcomes().includes('CIRCUIT_OPEN'));
  const started = Date.now();
  stopping = true;
  stop.abort();
  t.equal(await delivered, false, 'abandoned');
  t.ok(Date.now() - started < 30_000, 'without waiting out the 60 s cool-down (half of it at most, however slow the machine)');

  const failing = new SlickDelivery(stubSlick().slick, {
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    breaker: { failureThreshold: 5, coolDownMs: 10 },
    record: async () => {
      throw new Error('broker gone');
    },
    signal: new AbortController().signal,
    logger: capturingLogger().logger,
  });
  await t.rejects(
    failing.deliver(releaseJob(release(2)), () => false),
    /broker gone/,
    'the caller sees the record failure (and reads the record again)',
  );
});
