/**
 * Clock jumps of ±1 h on the real broker: one `omnia start` replica runs under libfaketime, whose offset file the
 * test rewrites to step the replica's wall clock (Date.now()) while its monotonic clock (timers, performance.now())
 * runs on, as an NTP step or a hand-set clock does to a host. COD orders arrive at a steady rate throughout, with a
 * release hold of HOLD_S seconds and the daily reconciliation cut-off a few minutes ahead. The steps:
 *
 *   +0 ─ +1 h ─ +0 ─ −1 h ─ +0
 *
 * - +1 h: the held orders fall due at once, and the cut-off passes: the day's reconciliation runs (once);
 * - back to +0 and on to −1 h: nothing is released twice and the reconciliation does not run again; an order held
 *   when the clock went back, and an order created while it is behind (its CreatedAt an hour "in the future"), is
 *   released after the hold by elapsed time, not an hour later (processors/stages/release.ts);
 * - back to +0, and the real clock reaches the cut-off the step already ran: no second run.
 *
 * Afterwards, read committed: every order released exactly once; none before its CreatedAt + hold (by the real
 * clock) unless the replica's clock was ahead (a step forward cannot be told from time passing); the held index
 * empty; one reconciliation report per store for the day, each order's cash reconciled once, and the cash collected
 * after the run left for the next day. The replica's processing loop logs no failure: the group consumer and the
 * transactions go on through every step (measured intervals are on the monotonic clock, runtime/streams-runtime.ts).
 *
 * Real release times come from the records themselves: a release's At is the replica's clock, and the offset that
 * clock had at each moment is the test's own schedule, so At minus the offset of its phase is the real time (the
 * phases' fake time ranges lie an hour apart, so the phase is never in doubt).
 *
 * The CI run is one cycle of four steps. The long form (bench/faults.ts) sets, with the same assertions (each step
 * back checked on its own; the day is reconciled at the first +1 h only, the later ones must not run it again):
 *
 *   FAULT_ROUNDS=1         full cycles +1 h, +0, −1 h, +0 in one run (the phases must stay under an hour in all)
 *   FAULT_CALM_SECONDS=10  load at +0 between a cycle and the next (only between cycles)
 *
 * One line `# figures: {…}` sums the run up (steps made, orders, lost, duplicated, waits after each step back).
 *
 * Needs the shared broker and libfaketime (Debian package `faketime`); without it the test skips saying why, and
 * under CI=true it fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { PaymentEvent, ReconciliationReport, Release, ValidationResult } from '../../avro/records.js';
import { demoOrder, referenceData } from '../../bin/demo-feed.js';
import type { OrderCreate } from '../../processors/domain/types.js';
import { changelogTopic } from '../../state/store-definition.js';
import type { KafkaClient } from '../../topology/kafka/client.js';
import { Stores, Topics } from '../../topology/topics.js';
import {
  BROKERS,
  createPipelineTopics,
  jsonRecord,
  knob,
  produce,
  readAll,
  requireKafka,
  testClient,
  uniqueName,
  waitFor,
} from './harness.js';

const ROUNDS = Math.floor(knob('FAULT_ROUNDS', 1));
const CALM_MS = knob('FAULT_CALM_SECONDS', 10) * 1000;
const OMNIA = resolve('dist/bin/omnia.js');
const PARTITIONS = 2;
const STORES = 4;
/** Customers C-1001 … C-1009: all COD-eligible with a 3,000 limit, so every demo order (invalidShare 0) is released. */
const CUSTOMERS = 9;
const HOLD_S = 10;
const HOLD_MS = HOLD_S * 1000;
const CHECK_MS = 1000;
const ORDER_EVERY_MS = 250;
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** libfaketime's multi-threaded library, where the Debian package puts it. */
function faketimeLibrary(): string | undefined {
  const roots = ['/usr/lib', '/usr/local/lib'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const dirs = [root, ...readdirSync(root).map((entry) => join(root, entry))];
    for (const dir of dirs) {
      const candidate = join(dir, 'faketime', 'libfaketimeMT.so.1');
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/** A phase of the campaign: from `from` (real ms) the replica's clock is off by `offset`. */
interface Phase {
  name: string;
  from: number;
  offset: number;
}

/**
 * The real time at which the replica read `fakeMs` on its clock, and the phase it was in: the phase whose fake time
 * range holds it (ranges an hour apart, or with the same offset, so the real time is never in doubt).
 */
function realTime(phases: readonly Phase[], fakeMs: number, now: number): { real: number; phase: number } {
  const slack = 2000; // the replica may read its clock just before a step lands
  const matches = phases
    .map((phase, index) => ({ ...phase, index, to: phases[index + 1]?.from ?? now }))
    .filter((phase) => fakeMs >= phase.from + phase.offset - slack && fakeMs <= phase.to + phase.offset + slack);
  const reals = new Set(matches.map((phase) => fakeMs - phase.offset));
  if (reals.size !== 1) throw new Error(`replica time ${new Date(fakeMs).toISOString()} fits ${reals.size} real times`);
  const phase = matches.find((candidate) => fakeMs - candidate.offset < candidate.to) ?? matches.at(-1)!;
  return { real: fakeMs - phase.offset, phase: phase.index };
}

async function values<T>(client: KafkaClient, topic: string): Promise<T[]> {
  return (await readAll(client, topic)).map((record) => JSON.parse(record.value!.toString()) as T);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

t.test('±1 h clock steps: each order released once, never an hour late; the day reconciled once', async (t) => {
  if (!(await requireKafka(t))) return;
  const faketime = faketimeLibrary();
  if (!faketime) {
    const message = 'libfaketime not found (install the Debian package "faketime")';
    if (process.env.CI) t.fail(message);
    else t.comment(`SKIPPED: ${message}`);
    return;
  }
  const started = Date.now();
  const client = testClient();
  const app = uniqueName('clock-jumps');
  const prefix = `${app}.`;
  const name = (topic: string) => prefix + topic;
  await createPipelineTopics(client, prefix, PARTITIONS);
  await produce(
    client,
    referenceData(CUSTOMERS).map((entry) => jsonRecord(name(entry.topic), entry.key, entry.value, 1)),
  );

  // The replica's clock offset, as libfaketime reads it on every call: replaced whole (rename), never half-written.
  const clockFile = join(tmpdir(), `${app}.faketime`);
  const setClock = (offset: string) => {
    writeFileSync(`${clockFile}.next`, `${offset}\n`);
    renameSync(`${clockFile}.next`, clockFile);
  };
  setClock('+0');
  const stateDir = `.state/test-${app}`;
  const log: string[] = [];

  // The cut-off: the minute boundary (UTC) at least 100 s ahead, so the +1 h step (~25 s in) comes before it by the
  // real clock, and the campaign's last phase (+0, from ~70 s) reaches it.
  const cutOff = new Date(Math.ceil((Date.now() + 100_000) / 60_000) * 60_000);
  const worker: ChildProcess = spawn(process.execPath, [OMNIA, 'start'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      OMNIA_APPLICATION_ID: app,
      OMNIA_INSTANCE_ID: `${app}-0`,
      OMNIA_STATE_DIR: stateDir,
      OMNIA_TOPIC_PREFIX: prefix,
      OMNIA_RELEASE_HOLD_SECONDS: String(HOLD_S),
      OMNIA_RELEASE_CHECK_MS: String(CHECK_MS),
      OMNIA_RECONCILIATION_CUTOFF: cutOff.toISOString().slice(11, 16),
      OMNIA_BUSINESS_TIMEZONE: 'UTC',
      OMNIA_RECONCILIATION_CHECK_MS: String(CHECK_MS),
      DATABASE_URL: '',
      LD_PRELOAD: faketime,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The run in figures, printed last whatever happened (bench/faults.ts reads the line).
  const figures = {
    campaign: 'clock-jumps',
    rounds: ROUNDS,
    holdSeconds: HOLD_S,
    faultsInjected: 0,
    faultsSurvived: 0,
    stepsBack: [] as Array<Record<string, number>>,
  };
  let counted: Record<string, number> | undefined;
  t.teardown(async () => {
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
    await rm(clockFile, { force: true });
    const wallSeconds = Math.round((Date.now() - started) / 1000);
    t.comment(`figures: ${JSON.stringify({ ...figures, ...counted, passed: t.passing(), wallSeconds })}`);
  });
  worker.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const running = () => log.join('').includes('omnia: running on');
  await waitFor('the replica running', () => running() || worker.exitCode !== null, 60_000);
  t.ok(running(), `the replica runs under libfaketime${running() ? '' : `:\n${log.join('')}`}`);
  if (!running()) return;

  // The feed: one valid COD order every ORDER_EVERY_MS, CreatedAt and record timestamp the real clock's.
  const created = new Map<string, { at: number; store: string }>();
  const feedProducer = client.producer({});
  await feedProducer.init();
  let feeding = true;
  let feed: Promise<void> = Promise.resolve();
  t.teardown(async () => {
    feeding = false;
    await feed.catch(() => undefined);
    await feedProducer.close();
  });
  feed = (async () => {
    for (let n = 0; feeding; n++) {
      const now = new Date();
      const order: OrderCreate = demoOrder(n, now, { stores: STORES, customers: CUSTOMERS, seed: 5, invalidShare: 0 });
      await feedProducer.send([jsonRecord(name(Topics.orderCreate), order.ShipFromLocationID, order, PARTITIONS, now.getTime())]);
      created.set(order.OrderID, { at: now.getTime(), store: order.ShipFromLocationID });
      await sleep(ORDER_EVERY_MS);
    }
  })();

  const releases = () => values<Release>(client, name(Topics.release));
  const payments = () => values<PaymentEvent>(client, name(Topics.payment));
  const reports = () => values<ReconciliationReport>(client, name(Topics.reconciliation));
  const validated = async () => new Set((await values<ValidationResult>(client, name(Topics.validation))).map((v) => v.OrderID));
  /** Every order created before `before` released (committed). */
  const releasedUpTo = async (before: number) => {
    const released = new Set((await releases()).map((release) => release.OrderID));
    const due = [...created].filter(([, order]) => order.at < before);
    return due.length > 0 && due.every(([id]) => released.has(id));
  };
  /** Orders shipped by Grab, delivered and their cash (the release's CodAmount) collected, now. */
  let events = 0;
  const collect = async (orders: readonly Release[]) => {
    const at = new Date().toISOString();
    const records = orders.flatMap((release) => {
      const store = release.ShipFromLocationID;
      const base = { OrderID: release.OrderID, ShipFromLocationID: store, At: at };
      const status = (Status: string, CollectedAmount: string | null) => ({
        ...base,
        EventID: `DLV-${++events}`,
        Partner: 'GRAB',
        Status,
        CollectedAmount,
        ConfirmedBy: null,
        Reference: null,
        Note: null,
      });
      return [
        jsonRecord(
          name(Topics.shipEvent),
          store,
          {
            ...base,
            EventID: `SLK-${++events}`,
            EventType: 'shipped',
            TrackingID: `GRAB-${release.OrderID}`,
            Carrier: 'GRAB',
            EstimatedDelivery: null,
            Lines: null,
          },
          PARTITIONS,
        ),
        jsonRecord(name(Topics.deliveryStatus), store, status('DELIVERED', null), PARTITIONS),
        jsonRecord(name(Topics.deliveryStatus), store, status('COLLECTED', release.CodAmount), PARTITIONS),
      ];
    });
    await produce(client, records);
    const ids = new Set(orders.map((release) => release.OrderID));
    await waitFor(`${ids.size} collections recorded`, async () => {
      const collected = (await payments()).filter((event) => event.PaymentStatus === 'Collected' && ids.has(event.OrderID));
      return collected.length === ids.size;
    });
  };
  /** `per` released orders of each store, leaving out `except`. */
  const pickPerStore = (released: readonly Release[], per: number, except: ReadonlySet<string> = new Set()) => {
    const picked: Release[] = [];
    for (let i = 1; i <= STORES; i++) {
      const store = `QC${String(i).padStart(4, '0')}`;
      picked.push(...released.filter((r) => r.ShipFromLocationID === store && !except.has(r.OrderID)).slice(0, per));
    }
    return picked;
  };

  const phases: Phase[] = [{ name: '+0', from: started, offset: 0 }];
  const step = (offset: string, ms: number) => {
    phases.push({ name: offset, from: Date.now(), offset: ms });
    setClock(offset);
    figures.faultsInjected++;
    t.comment(`${seconds(Date.now() - started)}: clock ${offset}`);
  };

  // +0: orders released after their hold; two per store delivered and their cash collected before the cut-off.
  await waitFor('two released orders per store', async () => pickPerStore(await releases(), 2).length === 2 * STORES, 120_000);
  const reconciledToday = pickPerStore(await releases(), 2);
  await collect(reconciledToday);
  await sleep(5_000);

  /** Each cycle's moments (real ms): its step forward, its step back, the end of the 10 s after it, its put right. */
  const cycles: Array<{ forwardStep: number; backStep: number; createdBehind: number; putRight: number }> = [];
  let heldAtForwardStep = 0;
  let collectedAfterRun: Release[] = [];
  for (let cycle = 1; cycle <= ROUNDS; cycle++) {
    heldAtForwardStep += [...created].filter(([, order]) => order.at > Date.now() - HOLD_MS).length;

    // +1 h: the held orders fall due, and (the first time) the cut-off passes.
    if (cycle === 1 && Date.now() >= cutOff.getTime() - 5_000) {
      t.fail(
        `the cut-off (${cutOff.toISOString()}) came before the step forward (${seconds(Date.now() - started)} in): nothing to step across`,
      );
      return;
    }
    step('+1h', HOUR);
    const forwardStep = phases.at(-1)!.from;
    if (cycle === 1) await waitFor('the day reconciled: one report per store', async () => (await reports()).length >= STORES, 60_000);
    await waitFor('every order created before the step released', () => releasedUpTo(forwardStep), 60_000);
    await sleep(5_000);

    // +0 (an hour back): orders are held again; (the first time) more cash is collected, after the day's run.
    step('+0', 0);
    if (cycle === 1) {
      collectedAfterRun = pickPerStore(await releases(), 1, new Set(reconciledToday.map((r) => r.OrderID)));
      await collect(collectedAfterRun);
    }
    await sleep(Math.max(0, phases.at(-1)!.from + HOLD_MS + 10_000 - Date.now()));

    // −1 h: what is held when the clock goes back, and what is created while it is behind, waits the hold, not an hour.
    step('-1h', -HOUR);
    const backStep = phases.at(-1)!.from;
    await sleep(10_000);
    const createdBehind = Date.now();
    await waitFor(
      'the orders held at the step back and created in the 10 s after it released',
      () => releasedUpTo(createdBehind),
      10 * 60_000, // an hour late would time out here
    );

    // +0: the orders held on the slow clock fall due.
    step('+0', 0);
    const putRight = phases.at(-1)!.from;
    cycles.push({ forwardStep, backStep, createdBehind, putRight });
    if (cycle < ROUNDS) {
      // Before the next cycle, what the slow clock held is released and orders flow under the right clock.
      await waitFor('every order created before the clock was put right released', () => releasedUpTo(putRight), 120_000);
      await sleep(CALM_MS);
    }
  }
  // The real clock then reaches the cut-off the first +1 h step ran.
  await sleep(Math.max(5_000, cutOff.getTime() + 5 * CHECK_MS - Date.now()));
  feeding = false;
  await feed;
  const lastCreated = Math.max(...[...created.values()].map((order) => order.at));
  await waitFor('every order released', () => releasedUpTo(lastCreated + 1), 120_000);
  await sleep(3 * CHECK_MS); // a repeated run would show by now
  const finished = Date.now();

  // Every order released exactly once, and only these orders.
  const all = await releases();
  const count = new Map<string, number>();
  for (const release of all) count.set(release.OrderID, (count.get(release.OrderID) ?? 0) + 1);
  t.same(
    [...count].filter(([, n]) => n !== 1),
    [],
    `${created.size} orders, ${all.length} releases: none released twice`,
  );
  t.same(
    [...created.keys()].filter((id) => !count.has(id)),
    [],
    'every order released',
  );
  t.same(
    [...count.keys()].filter((id) => !created.has(id)),
    [],
    'no release of anything else',
  );
  t.equal((await validated()).size, created.size, 'every order validated');
  counted = {
    orders: created.size,
    released: count.size,
    lost: [...created.keys()].filter((id) => !count.has(id)).length,
    duplicated: [...count.values()].filter((n) => n > 1).length,
    releasedOther: [...count.keys()].filter((id) => !created.has(id)).length,
  };

  // When, by the real clock: never before CreatedAt + hold, unless the replica clock was ahead at the time.
  const timed = all.map((release) => {
    const { real, phase } = realTime(phases, Date.parse(release.At), finished);
    const order = created.get(release.OrderID)!;
    return { id: release.OrderID, created: order.at, released: real, phase, waited: real - order.at };
  });
  const early = timed.filter((r) => r.waited < HOLD_MS);
  const ahead = phases.findIndex((phase) => phase.offset > 0); // the first step forward: the day's run
  const aheadPhases = new Set(phases.flatMap((phase, index) => (phase.offset > 0 ? [index] : [])));
  const putRightPhases = new Set(cycles.map((cycle) => phases.findIndex((phase) => phase.from === cycle.putRight)));
  // An order decided under the clock ahead may be stamped a moment after the clock was put right: a release within
  // the same slack as realTime's after a step back from +1 h is one of the step's.
  const justAfterAhead = (r: (typeof timed)[number]) =>
    r.phase > 0 && aheadPhases.has(r.phase - 1) && r.released - phases[r.phase]!.from < 2000;
  const earlyOnStep = (r: (typeof timed)[number]) =>
    aheadPhases.has(r.phase) || justAfterAhead(r) || (putRightPhases.has(r.phase) && r.created < phases[r.phase]!.from);
  t.same(
    early.filter((r) => !earlyOnStep(r)).map((r) => `${r.id} waited ${r.waited} ms (phase ${r.phase})`),
    [],
    'no order released before its hold by the real clock, except on a step forward',
  );
  const earlyAtForward = early.filter((r) => aheadPhases.has(r.phase)).length;
  const earlyAtPutRight = early.length - earlyAtForward;
  t.ok(earlyAtForward > 0, `the +1 h step released held orders early (${earlyAtForward})`);

  // Each step back: orders held at it, and orders created while the clock was behind.
  const range = (list: number[]) => (list.length ? `${seconds(Math.min(...list))}–${seconds(Math.max(...list))}` : 'none');
  for (const [index, { backStep, createdBehind, putRight }] of cycles.entries()) {
    const label = ROUNDS > 1 ? `cycle ${index + 1}: ` : '';
    const heldAtBack = timed.filter((r) => r.created < backStep && r.released >= backStep);
    const createdWhileBehind = timed.filter((r) => r.created >= backStep && r.created < createdBehind);
    t.ok(heldAtBack.length > 0, `${label}${heldAtBack.length} orders were held when the clock went back an hour`);
    const late = [...heldAtBack, ...createdWhileBehind].filter((r) => r.released >= putRight);
    t.same(
      late.map((r) => r.id),
      [],
      `${label}they and the ${createdWhileBehind.length} orders created in the 10 s after the step were released while the clock was still an hour behind`,
    );
    t.comment(
      `${label}released after the step back: held then ${range(heldAtBack.map((r) => r.released - backStep))} after the step ` +
        `(${range(heldAtBack.map((r) => r.waited))} after CreatedAt); created while behind ${range(createdWhileBehind.map((r) => r.waited))} after CreatedAt`,
    );
    const longest = (list: number[]) => Math.round(Math.max(0, ...list) / 100) / 10;
    figures.stepsBack.push({
      held: heldAtBack.length,
      heldReleasedAfterStepSeconds: longest(heldAtBack.map((r) => r.released - backStep)),
      createdBehind: createdWhileBehind.length,
      createdBehindWaitSeconds: longest(createdWhileBehind.map((r) => r.waited)),
      late: late.length,
    });
  }
  t.comment(
    `${created.size} orders in ${seconds(finished - started)}; ${heldAtForwardStep} held at the +1 h step, ${earlyAtForward} released early under +1 h, ` +
      `${earlyAtPutRight} early when put right from −1 h; waits otherwise ${range(timed.filter((r) => r.waited >= HOLD_MS).map((r) => r.waited))}`,
  );

  // The held index is empty: every entry removed by its release (the changelog's last word on each key is a delete).
  const index = new Map<string, boolean>();
  for (const record of await readAll(client, changelogTopic(app, Stores.held))) index.set(record.key!.toString(), record.value !== null);
  t.same(
    [...index].filter(([, present]) => present).map(([key]) => key),
    [],
    `the held index is empty (${index.size} entries over the run)`,
  );

  // Reconciliation: one report per store, for the cut-off's day, run by the +1 h step; each order's cash once.
  const reported = await reports();
  t.same(
    reported.map((report) => [report.ShipFromLocationID, report.BusinessDay, report.CutOffAt, report.ReconciledOrders]).sort(),
    Array.from({ length: STORES }, (_, i) => [
      `QC${String(i + 1).padStart(4, '0')}`,
      cutOff.toISOString().slice(0, 10),
      cutOff.toISOString(),
      2,
    ]),
    'one report per store for the day, two orders each: run once, not again when the clock came back or reached the cut-off',
  );
  const ranAt = reported.map((report) => realTime(phases, Date.parse(report.At), finished));
  t.ok(
    ranAt.every(({ phase, real }) => phase === ahead && real < cutOff.getTime()),
    'run under the +1 h clock, before the cut-off by the real clock',
  );
  const reconciled = (await payments()).filter((event) => event.PaymentStatus === 'Reconciled').map((event) => event.OrderID);
  t.same(reconciled.sort(), reconciledToday.map((r) => r.OrderID).sort(), 'each order collected before the run reconciled once');
  t.notOk(
    collectedAfterRun.some((r) => reconciled.includes(r.OrderID)),
    'the cash collected after the run waits for the next day',
  );

  // The processing loop never failed: no aborted transaction, no consumer replaced, through every step.
  const failures = log
    .join('')
    .split('\n')
    .filter((line) => /"level":"(warn|error|fatal)"/.test(line) && /stream-runtime|consumer/.test(line));
  t.same(
    failures.map((line) => line.slice(0, 300)),
    [],
    'the replica logged no processing failure',
  );
  // Each phase waited for committed output (collections, reports, releases): orders were processed under every clock.
  const processedUnder = new Set(
    (await values<ValidationResult>(client, name(Topics.validation))).map((v) => realTime(phases, Date.parse(v.At), finished).phase),
  );
  t.same(
    [...processedUnder].sort((a, b) => a - b),
    phases.map((_, i) => i),
    `orders were validated under each of the ${phases.length} clocks`,
  );
  t.ok(worker.exitCode === null, 'the replica is still running');
  // A step survived: the replica, running at the end, processed orders under the clock it set.
  figures.faultsSurvived = worker.exitCode === null ? phases.filter((_, i) => i > 0 && processedUnder.has(i)).length : 0;
  counted = {
    ...counted,
    earlyAtForward,
    earlyAtPutRight,
    heldAtForwardStep,
    reconciliationReports: reported.length,
    processingFailures: failures.length,
  };
});
