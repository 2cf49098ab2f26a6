/**
 * Fulfilment and delivery (issue 6), against its targets: ship and delivery events through the topology's fulfil
 * and deliver stages at ≥ 5,000 events/s (real broker, exactly-once); a partner webhook acknowledged — produced to
 * Kafka, the 202 of the signed ingress — with p99 ≤ 20 ms at 1,000 requests/s. Method and results:
 * bench/fulfilment.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/fulfilment.js            # both figures (~5.5 min)
 *   node dist/bench/fulfilment.js --figures=events --orders=20000 --runs=3 --layouts=backlog,staged
 *   node dist/bench/fulfilment.js --figures=webhooks --rates=500,1000,2000 --seconds=20 --warm-s=3
 *   node dist/bench/fulfilment.js --profile   # CPU profiles (events window, ingress child) → bench/results/profiles/
 *
 * Every option can also be given as FULFILMENT_BENCH_<NAME> (FULFILMENT_BENCH_ORDERS=20000, …).
 *
 * 1. Events: one replica (StreamsRuntime in this process, as bench/orders.ts runs it), 8 partitions, 50 stores,
 *    the demo feed. Demo orders are pre-produced and processed until every release is committed; for the first N
 *    released orders, the ship events Slick sends (SlickSimulator.shipEvents: picking, picked, packed, shipped
 *    with TrackingID, Carrier, EstimatedDelivery) and the statuses Grab sends (DeliverySimulator.callbacks:
 *    HANDED_OVER, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, COLLECTED with the release's CodAmount) are mapped
 *    to records as the ingress maps them (partner-payloads.ts, the topics' serdes) and pre-produced, keyed by
 *    ShipFromLocationID, each record's timestamp its event's At. A new runtime of the same application (its
 *    state kept) then processes them: events/s = events / (first processed → the commit covering the last).
 *    Two layouts: backlog (all events produced, one window: a replica catching up on both topics, which must
 *    process them in timestamp order across the two) and staged (ship events produced and processed, then the
 *    delivery statuses: two windows, added).
 *    Afterwards order.status.v1, order.payment.v1 and the dead-letter topics are read back (committed only) and
 *    every order must have gone exactly 3000 → 3500 → 3600 → 3700 → 7000 → 7100 → 7200 → 7300 → 7500 for the
 *    right reasons, with its cash Collected for its CodAmount and nothing dead-lettered.
 * 2. Webhooks: the ingress (startWebhookServer, KafkaWebhookPublisher on the local broker, its two topics
 *    created first) in a child process, so the load generator's CPU is apart from it; an open-loop generator
 *    here: request i due at start + i / rate, latency from that due time to the end of the response (no
 *    coordinated omission), node:http with a keep-alive agent, every request signed (signWebhook, a new nonce
 *    each). The bodies are what the simulators send for a stream of orders: Slick's 4 ship events each, then
 *    Grab's 5 statuses or PMP's delivered and cash-collected (by the carrier Slick picked). After each run the
 *    topics' end offsets must have grown by exactly the number of 202s.
 *
 * Before each measured run the bench waits (at most --quiet-s) for the rest of the machine to use under 0.3
 * cores for 2 consecutive seconds, and reports the cores each process and the rest of the machine used.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serdeConfig } from '../avro/config.js';
import type { DeliveryStatus, PaymentEvent, Release, ShipEvent, StatusChange } from '../avro/records.js';
import { serdeFor } from '../avro/serdes.js';
import { demoOrder, storeIds } from '../bin/demo-feed.js';
import { deliveryStatusFromGrab, shipEventFromSlick } from '../connectors/partner-payloads.js';
import { signWebhook } from '../connectors/signature.js';
import type { DeliverySimulator } from '../connectors/simulators/delivery-simulator.js';
import { GrabSimulator } from '../connectors/simulators/grab-simulator.js';
import { PmpSimulator } from '../connectors/simulators/pmp-simulator.js';
import { SlickSimulator } from '../connectors/simulators/slick-simulator.js';
import type { Callback } from '../connectors/simulators/webhook-sender.js';
import type { Partner } from '../connectors/webhook-config.js';
import { startWebhookServer, WEBHOOK_ROUTES } from '../connectors/webhook-server.js';
import { Stages, Topics } from '../topology/topics.js';
import { dlqTopic } from '../runtime/dead-letter.js';
import { type AdminClient, tpKey } from '../topology/kafka/client.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { StreamsRuntime } from '../runtime/streams-runtime.js';
import { jsonRecord, produce, readAll } from '../test/kafka/harness.js';
import { freePort } from '../test/free-port.js';
import { brokerPid, cpuSeconds, log, machineBusySeconds, round, sleep, spawnNode, terminate } from './runtime/common.js';
import { formatSummary, summarise } from './runtime/profile.js';
import { createOrderPipeline, type OrderPipeline, orderRuntime, removeOrderPipeline } from './order-pipeline.js';
import { countBy, latency, type LoadRun, openLoop, percentile, type Shot } from './open-loop.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const PARTITIONS = 8;
const STORES = 50;
const PROFILE_DIR = path.resolve('bench/results/profiles');
const SECRETS: Record<Partner, string> = {
  slick: 'bench-fulfilment-slick-secret-0123456789abcdef',
  grab: 'bench-fulfilment-grab-secret-0123456789abcdef',
  pmp: 'bench-fulfilment-pmp-secret-0123456789abcdef',
};
/** The status path of every order, after release, with the reason each step is recorded under. */
const EXPECTED_PATH: ReadonlyArray<readonly [number, string]> = [
  [3500, 'PICKING'],
  [3600, 'PICKED'],
  [3700, 'PACKED'],
  [7000, 'SHIPPED'],
  [7100, 'HANDED_OVER'],
  [7200, 'IN_TRANSIT'],
  [7300, 'OUT_FOR_DELIVERY'],
  [7500, 'DELIVERED'],
];

/** The Source the fulfil and deliver stages record a change under. */
const PARTNER_SOURCES = new Set(['slick', 'grab', 'pmp']);

// ---------------------------------------------------------------------------------------------- options

type Figure = 'events' | 'webhooks';
const FIGURES: readonly Figure[] = ['events', 'webhooks'];

/**
 * backlog: every ship event and delivery status produced first, one window processes them all. staged: the ship
 * events produced and processed, then the delivery statuses produced and processed: two windows, summed.
 */
type Layout = 'backlog' | 'staged';
const LAYOUTS: readonly Layout[] = ['backlog', 'staged'];

interface Options {
  figures: Figure[];
  /** Released orders whose ship events and delivery statuses the events figure processes. */
  orders: number;
  /** Runs of the events figure per layout (median reported). */
  runs: number;
  layouts: Layout[];
  rates: number[];
  seconds: number;
  warmSeconds: number;
  /** Longest wait for a quiet machine before a measured run. */
  quietSeconds: number;
  profile: boolean;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const flags = new Map(
    argv.map((arg) => {
      const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
      if (!match) throw new Error(`unknown argument "${arg}"`);
      return [match[1]!, match[2] ?? 'true'] as const;
    }),
  );
  const known = ['figures', 'orders', 'runs', 'layouts', 'rates', 'seconds', 'warm-s', 'quiet-s', 'profile'];
  for (const name of flags.keys())
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(' ')})`);
  const raw = (name: string) => flags.get(name) ?? env[`FULFILMENT_BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  const int = (name: string, fallback: number) => {
    const given = raw(name);
    const value = given === undefined || given === '' ? fallback : Number(given.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${given}"`);
    return value;
  };
  const figures = (raw('figures')?.split(',') ?? [...FIGURES]) as Figure[];
  for (const figure of figures)
    if (!FIGURES.includes(figure)) throw new Error(`--figures: "${figure}" is not one of ${FIGURES.join(', ')}`);
  const layouts = (raw('layouts')?.split(',') ?? [...LAYOUTS]) as Layout[];
  for (const layout of layouts)
    if (!LAYOUTS.includes(layout)) throw new Error(`--layouts: "${layout}" is not one of ${LAYOUTS.join(', ')}`);
  const rates = (raw('rates')?.split(',') ?? ['500', '1000', '2000']).map((rate) => Number(rate.replaceAll('_', '')));
  if (rates.some((rate) => !Number.isInteger(rate) || rate <= 0)) throw new Error('--rates must be positive integers');
  const profile = !['', undefined, '0', 'false'].includes(raw('profile'));
  return {
    figures,
    orders: int('orders', 20_000),
    // A profiled run is slower: one unless asked otherwise.
    runs: int('runs', profile ? 1 : 3),
    layouts,
    rates,
    seconds: int('seconds', 20),
    warmSeconds: int('warm-s', 3),
    quietSeconds: int('quiet-s', 30),
    profile,
  };
}

// ---------------------------------------------------------------------------------------------- CPU and a quiet machine

/** Cores used between start() and stop() by each named process, this one (`bench`), the machine, and the rest (`other`). */
class Cores {
  private startedAt = 0;
  private before: Record<string, number | undefined> = {};

  constructor(private readonly pids: Readonly<Record<string, number | undefined>>) {}

  private read(): Record<string, number | undefined> {
    const values: Record<string, number | undefined> = { machine: machineBusySeconds(), bench: cpuSeconds(process.pid) };
    for (const [name, pid] of Object.entries(this.pids)) values[name] = pid === undefined ? undefined : cpuSeconds(pid);
    return values;
  }

  start(): void {
    this.startedAt = performance.now();
    this.before = this.read();
  }

  stop(): Record<string, number> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const cores: Record<string, number> = {};
    for (const [name, value] of Object.entries(this.read())) {
      const was = this.before[name];
      if (value !== undefined && was !== undefined) cores[name] = round((value - was) / seconds, 2);
    }
    if (cores.machine !== undefined) {
      const known = Object.entries(cores).reduce((sum, [name, value]) => (name === 'machine' ? sum : sum + value), 0);
      cores.other = round(Math.max(0, cores.machine - known), 2);
    }
    return cores;
  }
}

/**
 * Waits (at most `limitSeconds`) until everything but the watched processes and this one has used under 0.3
 * cores for two consecutive seconds: other work on the shared cores (a test run) would otherwise be measured
 * too. Returns the seconds waited and what the rest used in the last second; measures anyway after the limit.
 */
async function quietMachine(
  pids: Readonly<Record<string, number | undefined>>,
  limitSeconds: number,
): Promise<{ waitedSeconds: number; otherCores: number }> {
  const started = performance.now();
  const cores = new Cores(pids);
  let quiet = 0;
  let other = NaN;
  while (performance.now() - started < limitSeconds * 1000) {
    cores.start();
    await sleep(1000);
    other = cores.stop().other ?? 0;
    quiet = other < 0.3 ? quiet + 1 : 0;
    if (quiet >= 2) break;
  }
  const waitedSeconds = round((performance.now() - started) / 1000);
  if (quiet < 2) log(`the rest of the machine still used ${other} cores after ${waitedSeconds} s; measuring anyway`);
  return { waitedSeconds, otherCores: other };
}

const median = (values: readonly number[]): number => percentile(Float64Array.from(values).sort(), 50);

// ---------------------------------------------------------------------------------------------- the pipeline on Kafka

/** The runtime's own counters: records processed by the given stages, dead letters, committed transactions. */
function counters(runtime: StreamsRuntime, stages: readonly string[]) {
  const sum = async (
    metric: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> },
    match: (labels: Record<string, string | number>) => boolean,
  ) => (await metric.get()).values.filter((sample) => match(sample.labels)).reduce((total, sample) => total + sample.value, 0);
  return {
    handled: async () =>
      (await sum(runtime.metrics.processed, (labels) => stages.includes(String(labels.processor)))) +
      (await sum(runtime.metrics.deadLetters, () => true)),
    commits: () => sum(runtime.metrics.commits, (labels) => labels.result === 'committed'),
  };
}

/**
 * Runs `runtime` until `stages` have handled `expected` records (processed or dead-lettered) and a commit after
 * the last one has gone through; seconds from the first record handled to that commit.
 */
async function processAll(
  runtime: StreamsRuntime,
  stages: readonly string[],
  expected: number,
  onFirst: () => void | Promise<void> = () => undefined,
): Promise<{ seconds: number; peakRssMb: number }> {
  const { handled, commits } = counters(runtime, stages);
  await runtime.start();
  const deadline = performance.now() + 15 * 60_000;
  const check = () => {
    if (performance.now() > deadline) throw new Error(`processing of ${expected} records did not finish within 15 min`);
  };
  while ((await handled()) === 0) {
    check();
    await sleep(5);
  }
  const started = performance.now();
  await onFirst();
  let peakRssMb = 0;
  while ((await handled()) < expected) {
    check();
    peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 1e6);
    await sleep(20);
  }
  const seen = await commits();
  while ((await commits()) <= seen) await sleep(2);
  return { seconds: (performance.now() - started) / 1000, peakRssMb: Math.round(peakRssMb) };
}

async function endOffsets(admin: AdminClient, topic: string, committedOnly: boolean): Promise<number> {
  const counts = await admin.partitionCounts([topic]);
  const partitions = Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition }));
  if (partitions.length === 0) return 0;
  const ends = await admin.endOffsets(partitions, committedOnly);
  return partitions.reduce((sum, tp) => sum + Number(ends.get(tpKey(tp.topic, tp.partition)) ?? 0n), 0);
}

// ---------------------------------------------------------------------------------------------- 1. events

const orderNumber = (orderId: string) => Number(orderId.slice(orderId.lastIndexOf('-') + 1));

/** Demo orders through the topology until every release is committed; the first `wanted` releases by order number. */
async function releaseOrders(pipeline: OrderPipeline, wanted: number) {
  // ~87 % of the demo feed is released (5 % invalid, ~8 % failing COD): 20 % more orders than releases wanted.
  const createdAt = new Date(Date.now() - 20 * 60_000);
  const orders = Array.from({ length: Math.ceil(wanted * 1.2) }, (_, n) =>
    demoOrder(n, createdAt, { stores: STORES, customers: 200, seed: 11 }),
  );
  await produce(
    pipeline.client,
    orders.map((order) =>
      jsonRecord(pipeline.prefix + Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS, createdAt.getTime()),
    ),
  );
  const runtime = orderRuntime(pipeline);
  let timing;
  try {
    timing = await processAll(runtime, [Stages.validate], orders.length);
  } finally {
    await runtime.stop();
  }
  const released = (await readAll(pipeline.client, pipeline.prefix + Topics.release)).map(
    (record) => JSON.parse(record.value!.toString()) as Release,
  );
  if (released.length < wanted) throw new Error(`only ${released.length} of ${orders.length} demo orders were released; ${wanted} wanted`);
  const releases = released.sort((a, b) => orderNumber(a.OrderID) - orderNumber(b.OrderID)).slice(0, wanted);
  return {
    ordersProduced: orders.length,
    released: released.length,
    releases,
    seconds: round(timing.seconds, 2),
    ordersPerSecond: Math.round(orders.length / timing.seconds),
  };
}

/** A record as the ingress produces it: keyed by ShipFromLocationID, partitioned like every other producer of it. */
function eventRecord(topic: string, key: string, value: Buffer, timestamp: number): ProducedRecord {
  const keyBytes = Buffer.from(key);
  return { topic, partition: partitionForKey(keyBytes, PARTITIONS), key: keyBytes, value, timestamp, headers: {} };
}

function accepted<T>(result: { ok: true; record: T } | { ok: false; errors: unknown }): T {
  if (!result.ok) throw new Error(`the ingress would refuse a simulator's body: ${JSON.stringify(result.errors)}`);
  return result.record;
}

/**
 * Each release's ship events (as Slick sends them) and Grab's delivery statuses, mapped as the ingress maps
 * them. Grab for every order: its five statuses are the longest delivery path. Ship events happen at
 * `at` + 0–3 s, the statuses from `at` + 4 s, a minute apart; each record's timestamp is its event's At.
 */
function fulfilmentEvents(
  prefix: string,
  releases: readonly Release[],
  at: Date,
): { shipEvents: ProducedRecord[]; deliveryStatuses: ProducedRecord[] } {
  const slick = new SlickSimulator({ token: 'bench', carrierFor: () => 'GRAB' });
  const grab = new GrabSimulator({ token: 'bench' });
  const shipTopic = prefix + Topics.shipEvent;
  const statusTopic = prefix + Topics.deliveryStatus;
  const shipSerde = serdeFor(shipTopic, 'ShipEvent', serdeConfig({}));
  const statusSerde = serdeFor(statusTopic, 'DeliveryStatus', serdeConfig({}));
  const shipEvents: ProducedRecord[] = [];
  const deliveryStatuses: ProducedRecord[] = [];
  for (const release of releases) {
    const ship = slick.shipEvents(release, at);
    for (const body of ship) {
      const event: ShipEvent = accepted(shipEventFromSlick(body));
      shipEvents.push(eventRecord(shipTopic, event.ShipFromLocationID, shipSerde.serialize(event), Date.parse(event.At)));
    }
    const shipment = {
      OrderID: release.OrderID,
      ShipFromLocationID: release.ShipFromLocationID,
      TrackingID: ship.at(-1)!.TrackingID!,
      CodAmount: release.CodAmount,
    };
    for (const callback of grab.callbacks(shipment, {}, new Date(at.getTime() + ship.length * 1000))) {
      const status: DeliveryStatus = accepted(deliveryStatusFromGrab(callback.body));
      deliveryStatuses.push(eventRecord(statusTopic, status.ShipFromLocationID, statusSerde.serialize(status), Date.parse(status.At)));
    }
  }
  return { shipEvents, deliveryStatuses };
}

/** What the topics say after the run, read_committed: every order's path after release, its cash, dead letters. */
async function verify(pipeline: OrderPipeline, releases: readonly Release[]) {
  const { client, prefix } = pipeline;
  const cod = new Map(releases.map((release) => [release.OrderID, release.CodAmount]));
  const paths = new Map<string, StatusChange[]>();
  let strayChanges = 0;
  for (const record of await readAll(client, prefix + Topics.status)) {
    const change = JSON.parse(record.value!.toString()) as StatusChange;
    // Changes made by the fulfil and deliver stages (their sources), not the cancellations of the first phase.
    if (!PARTNER_SOURCES.has(change.Source)) continue;
    if (!cod.has(change.OrderID)) strayChanges++;
    else paths.set(change.OrderID, [...(paths.get(change.OrderID) ?? []), change]);
  }
  const wrongPaths: string[] = [];
  let delivered = 0;
  for (const orderId of cod.keys()) {
    const steps = paths.get(orderId) ?? [];
    const expectedFrom = [3000, ...EXPECTED_PATH.map(([status]) => status)];
    const right =
      steps.length === EXPECTED_PATH.length &&
      steps.every(
        (step, i) => step.ToStatus === EXPECTED_PATH[i]![0] && step.Reason === EXPECTED_PATH[i]![1] && step.FromStatus === expectedFrom[i],
      );
    if (steps.at(-1)?.ToStatus === 7500) delivered++;
    if (!right)
      wrongPaths.push(`${orderId}: ${steps.map((step) => `${step.FromStatus}→${step.ToStatus} ${step.Reason}`).join(', ') || 'no change'}`);
  }
  const collected = new Map<string, string[]>();
  for (const record of await readAll(client, prefix + Topics.payment)) {
    const payment = JSON.parse(record.value!.toString()) as PaymentEvent;
    if (payment.PaymentStatus === 'Collected') collected.set(payment.OrderID, [...(collected.get(payment.OrderID) ?? []), payment.Amount]);
  }
  const wrongCash = [...cod].filter(([orderId, amount]) => collected.get(orderId)?.length !== 1 || collected.get(orderId)![0] !== amount);
  const admin = client.admin();
  const deadLetters =
    (await endOffsets(admin, dlqTopic(prefix + Topics.shipEvent), true)) +
    (await endOffsets(admin, dlqTopic(prefix + Topics.deliveryStatus), true));
  await admin.close();
  const correct = wrongPaths.length === 0 && strayChanges === 0 && wrongCash.length === 0 && deadLetters === 0;
  return {
    correct,
    orders: cod.size,
    ordersAt7500: delivered,
    ordersWithTheExactPath: cod.size - wrongPaths.length,
    wrongPathExamples: wrongPaths.slice(0, 5),
    statusChangesOfOtherOrders: strayChanges,
    collectedForTheirCodAmount: cod.size - wrongCash.length,
    wrongCashExamples: wrongCash
      .slice(0, 5)
      .map(([orderId, amount]) => `${orderId}: expected ${amount}, Collected ${JSON.stringify(collected.get(orderId) ?? [])}`),
    deadLetters,
  };
}

/** The V8 profiler of this process over a window (the runtime runs here, so an in-process profile is its own). */
async function profiler(name: string) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (): Promise<string> => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(PROFILE_DIR, { recursive: true });
    const file = path.join(PROFILE_DIR, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    return formatSummary(summarise(file, 25));
  };
}

/** One timed window: a fresh runtime of the pipeline's application (its state kept) over what was produced. */
async function timedWindow(pipeline: OrderPipeline, events: number, options: Options, name: string) {
  const broker = brokerPid();
  const quiet = await quietMachine({ broker }, options.quietSeconds);
  const cores = new Cores({ broker });
  let stopProfile: (() => Promise<string>) | undefined;
  const runtime = orderRuntime(pipeline);
  let timing;
  let cpu;
  let enforced: number;
  try {
    timing = await processAll(runtime, [Stages.fulfil, Stages.deliver], events, async () => {
      cores.start();
      if (options.profile) stopProfile = await profiler(`fulfilment-events-${name}`);
    });
    cpu = cores.stop();
    // Records a task processed without waiting for a lagging input (after OMNIA_MAX_TASK_IDLE_MS): 0 expected.
    enforced = (await runtime.metrics.enforcedProcessing.get()).values.reduce((sum, sample) => sum + sample.value, 0);
  } finally {
    await runtime.stop();
  }
  const profile = await stopProfile?.();
  if (profile) log(`events ${name} profile:\n${profile}`);
  return {
    events,
    seconds: round(timing.seconds, 2),
    eventsPerSecond: Math.round(events / timing.seconds),
    peakRssMb: timing.peakRssMb,
    enforced,
    cores: cpu,
    quiet,
    ...(profile ? { profile } : {}),
  };
}

async function eventsRun(options: Options, layout: Layout, run: number): Promise<Record<string, unknown>> {
  const pipeline = await createOrderPipeline('fulfilment', `${layout}${run}`, PARTITIONS);
  try {
    const phase1 = await releaseOrders(pipeline, options.orders);
    log(
      `events ${layout} run ${run}: ${phase1.released} of ${phase1.ordersProduced} orders released (${phase1.ordersPerSecond} orders/s); events for the first ${phase1.releases.length}`,
    );
    const { shipEvents, deliveryStatuses } = fulfilmentEvents(pipeline.prefix, phase1.releases, new Date(Date.now() - 15 * 60_000));
    const events = shipEvents.length + deliveryStatuses.length;
    const batches = layout === 'backlog' ? [[...shipEvents, ...deliveryStatuses]] : [shipEvents, deliveryStatuses];
    const windows = [];
    for (const [i, records] of batches.entries()) {
      await produce(pipeline.client, records);
      windows.push(await timedWindow(pipeline, records.length, options, `${layout}-run${run}-${i + 1}`));
    }
    const seconds = windows.reduce((sum, window) => sum + window.seconds, 0);
    const verification = await verify(pipeline, phase1.releases);
    const figure = {
      layout,
      run,
      orders: phase1.releases.length,
      shipEvents: shipEvents.length,
      deliveryStatuses: deliveryStatuses.length,
      events,
      seconds: round(seconds, 2),
      eventsPerSecond: Math.round(events / seconds),
      windows,
      profiled: options.profile,
      releasePhase: {
        ordersProduced: phase1.ordersProduced,
        released: phase1.released,
        seconds: phase1.seconds,
        ordersPerSecond: phase1.ordersPerSecond,
      },
      verification,
    };
    log(
      `events ${layout} run ${run}: ${events} events in ${figure.seconds} s = ${figure.eventsPerSecond} events/s; ${verification.correct ? 'correct' : 'NOT CORRECT'} ` +
        `(${verification.ordersWithTheExactPath}/${verification.orders} exact paths, ${verification.ordersAt7500} at 7500, ${verification.collectedForTheirCodAmount} collected right, ` +
        `${verification.deadLetters} dead letters, ${windows.reduce((sum, window) => sum + window.enforced, 0)} records processed without waiting for a lagging input); cores ${windows.map((window) => JSON.stringify(window.cores)).join(' then ')}`,
    );
    return figure;
  } finally {
    await removeOrderPipeline(pipeline);
  }
}

async function eventsFigure(options: Options): Promise<Record<string, unknown>> {
  const figure: Record<string, unknown> = { partitions: PARTITIONS, stores: STORES };
  // Alternating layouts, so a busy spell on the machine does not fall on one of them only.
  const runs: Array<Record<string, unknown>> = [];
  for (let run = 1; run <= options.runs; run++) for (const layout of options.layouts) runs.push(await eventsRun(options, layout, run));
  for (const layout of options.layouts) {
    const mine = runs.filter((run) => run.layout === layout);
    const correct = mine.filter((run) => (run.verification as { correct: boolean }).correct);
    figure[layout] = {
      medianEventsPerSecond: median(mine.map((run) => run.eventsPerSecond as number)),
      correctRuns: correct.length,
      runs: mine,
    };
  }
  return figure;
}

// ---------------------------------------------------------------------------------------------- 2. webhooks

type RouteName = keyof typeof WEBHOOK_ROUTES;
const ROUTE_OF_PATH = new Map<string, RouteName>(Object.entries(WEBHOOK_ROUTES).map(([name, route]) => [route.url, name as RouteName]));

/** The ingress, in its own process: startWebhookServer with the bench's topics, settings from the environment. */
async function webhookIngress(): Promise<void> {
  const prefix = process.env.BENCH_FULFILMENT_PREFIX ?? '';
  const server = await startWebhookServer({
    topics: { shipEvents: prefix + Topics.shipEvent, deliveryStatus: prefix + Topics.deliveryStatus },
  });
  process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
  console.log(`listening on ${server.url}`);
}

/**
 * Webhook calls as the simulators make them, order after order (never repeating an EventID): Slick's four ship
 * events, then the carrier Slick chose reports the delivery — Grab's five statuses, or PMP's delivered and
 * cash-collected.
 */
class WebhookFeed {
  private readonly slick = new SlickSimulator({ token: 'bench' });
  private readonly partners: Record<string, DeliverySimulator> = {
    GRAB: new GrabSimulator({ token: 'bench' }),
    PMP: new PmpSimulator({ token: 'bench' }),
  };
  private readonly stores = storeIds(STORES);
  private queue: Callback[] = [];
  private orders = 0;

  constructor(private readonly tag: string) {}

  next(): Callback {
    if (this.queue.length === 0) this.queue = this.nextOrder();
    return this.queue.shift()!;
  }

  private nextOrder(): Callback[] {
    const n = this.orders++;
    const store = this.stores[n % STORES]!;
    const orderId = `${store}-${this.tag}${String(n).padStart(8, '0')}`;
    const at = new Date();
    const release: Release = {
      ReleaseID: `REL-${orderId}`,
      OrderID: orderId,
      ShipFromLocationID: store,
      ReleaseLines: [],
      SubTotal: '100.0000',
      TotalDiscount: '0.0000',
      TotalTaxes: '7.0000',
      InformationalTaxes: '0.0000',
      TotalCharges: '20.0000',
      OrderTotal: '127.0000',
      PaymentMethod: 'COD',
      CodAmount: '127.0000',
      T1MembershipID: null,
      At: at.toISOString(),
    };
    const ship = this.slick.shipEvents(release, at);
    const shipped = ship.at(-1)!;
    const route = WEBHOOK_ROUTES.slickShipEvents;
    const shipment = { OrderID: orderId, ShipFromLocationID: store, TrackingID: shipped.TrackingID!, CodAmount: release.CodAmount };
    return [
      ...ship.map((body): Callback => ({ method: route.method, path: route.url, body })),
      ...this.partners[shipped.Carrier!]!.callbacks(shipment, {}, at),
    ];
  }
}

/** A simulator's callback as its partner sends it: the exact body bytes, signed now, with a new nonce. */
function signed(callback: Callback): Shot {
  const route = ROUTE_OF_PATH.get(callback.path)!;
  const body = Buffer.from(JSON.stringify(callback.body));
  return {
    method: callback.method,
    path: callback.path,
    body,
    kind: route,
    headers: { 'content-type': 'application/json', ...signWebhook(SECRETS[WEBHOOK_ROUTES[route].partner], body) },
  };
}

function report(run: LoadRun) {
  const answered = run.outcomes.filter((outcome) => outcome.status !== 0);
  const lag = Float64Array.from(run.sendLagMs).sort();
  const bySecond = new Map<number, number>();
  for (const outcome of run.outcomes) bySecond.set(outcome.dueSecond, Math.max(bySecond.get(outcome.dueSecond) ?? 0, outcome.latencyMs));
  return {
    targetRps: run.rate,
    seconds: run.seconds,
    sent: run.outcomes.length,
    achievedRps: Math.round(answered.length / run.wallSeconds),
    ...latency(run.outcomes),
    statuses: countBy(run.outcomes, (outcome) => String(outcome.status)),
    non202: run.outcomes.filter((outcome) => outcome.status !== 202).length,
    byRoute: Object.fromEntries(
      Object.keys(WEBHOOK_ROUTES).map((route) => [route, latency(run.outcomes.filter((outcome) => outcome.kind === route))]),
    ),
    // Where the tail comes from: the seconds (by due time) whose slowest response was slowest.
    worstSeconds: [...bySecond]
      .sort(([, a], [, b]) => b - a)
      .slice(0, 3)
      .map(([second, maxMs]) => ({ second, maxMs: round(maxMs, 1) })),
    generatorLagMs: { p50: round(percentile(lag, 50), 2), p99: round(percentile(lag, 99), 2), max: round(lag.at(-1) ?? NaN, 2) },
  };
}

/** The ingress's omnia_webhook_produce_seconds: sum and count over both topics (hand-off to acks). */
async function produceSeconds(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://${HOST}:${port}/metrics`)).text();
  const total = (suffix: string) =>
    [...text.matchAll(new RegExp(`^omnia_webhook_produce_seconds_${suffix}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  return { sum: total('sum'), count: total('count') };
}

async function webhooksFigure(options: Options): Promise<Record<string, unknown>> {
  const app = `bench-fulfilment-webhooks-${randomUUID().slice(0, 8)}`;
  const prefix = `${app}.`;
  const client = new PlatformaticClient(BROKERS, app);
  const admin = client.admin();
  const topicOf = (route: RouteName) => prefix + (route === 'slickShipEvents' ? Topics.shipEvent : Topics.deliveryStatus);
  const topics = [prefix + Topics.shipEvent, prefix + Topics.deliveryStatus];
  let ingress;
  const runs: unknown[] = [];
  try {
    await admin.ensureTopics(topics.map((topic) => ({ topic, partitions: PARTITIONS })));
    const port = await freePort();
    ingress = spawnNode(
      SELF,
      {
        ...process.env,
        BENCH_FULFILMENT_ROLE: 'webhook-ingress',
        BENCH_FULFILMENT_PREFIX: prefix,
        KAFKA_BROKERS: BROKERS.join(','),
        OMNIA_SLICK_WEBHOOK_SECRET: SECRETS.slick,
        OMNIA_GRAB_WEBHOOK_SECRET: SECRETS.grab,
        OMNIA_PMP_WEBHOOK_SECRET: SECRETS.pmp,
        OMNIA_WEBHOOK_PORT: String(port),
        OMNIA_WEBHOOK_HOST: HOST,
      },
      options.profile ? { profile: { dir: PROFILE_DIR, name: 'fulfilment-ingress.cpuprofile' } } : {},
    );
    await ingress.line(/^listening on/, 30_000);
    const pids = { ingress: ingress.child.pid, broker: brokerPid() };
    const feed = new WebhookFeed(app.slice(-8));
    for (const rate of options.rates) {
      const quiet = await quietMachine(pids, options.quietSeconds);
      const before = await Promise.all(topics.map((topic) => endOffsets(admin, topic, false)));
      // One agent for the warm-up and the run: the measured requests find the connections open, as a partner's would be.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
      const load = (seconds: number) => openLoop({ host: HOST, port, rate, seconds, next: () => signed(feed.next()), agent });
      const warm = await load(options.warmSeconds);
      const cores = new Cores(pids);
      const producedBefore = await produceSeconds(port);
      cores.start();
      const run = await load(options.seconds);
      const cpu = cores.stop();
      agent.destroy();
      const producedAfter = await produceSeconds(port);
      const after = await Promise.all(topics.map((topic) => endOffsets(admin, topic, false)));
      const answered202 = topics.map(
        (topic) =>
          [...warm.outcomes, ...run.outcomes].filter((outcome) => outcome.status === 202 && topicOf(outcome.kind as RouteName) === topic)
            .length,
      );
      const growth = topics.map((topic, i) => after[i]! - before[i]!);
      const figures = report(run);
      const result = {
        ...figures,
        cores: cpu,
        cpuUsPerRequest: {
          ingress: Math.round(((cpu.ingress ?? NaN) * 1e6) / figures.achievedRps),
          generator: Math.round(((cpu.bench ?? NaN) * 1e6) / figures.achievedRps),
        },
        meanProduceMs: round(((producedAfter.sum - producedBefore.sum) / (producedAfter.count - producedBefore.count)) * 1000, 2),
        // Warm-up and measured run together: every 202 is a record, and nothing else was written.
        offsets: { accepted202: answered202, endOffsetGrowth: growth, exact: growth.every((value, i) => value === answered202[i]) },
        quiet,
      };
      log(
        `webhooks @ ${rate}/s: achieved ${result.achievedRps}/s, p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, p99.9 ${result.p999} ms, max ${result.max} ms, ` +
          `statuses ${JSON.stringify(result.statuses)}, produce ${result.meanProduceMs} ms mean, offsets ${result.offsets.exact ? 'exact' : `NOT EXACT ${JSON.stringify(result.offsets)}`}, cores ${JSON.stringify(cpu)}`,
      );
      runs.push(result);
    }
  } finally {
    if (ingress) await terminate(ingress, 10_000);
    await admin.deleteTopics(topics).catch((error: Error) => log(`could not delete the topics: ${error.message}`));
    await admin.close();
  }
  const profile = options.profile ? formatSummary(summarise(path.join(PROFILE_DIR, 'fulfilment-ingress.cpuprofile'), 25)) : undefined;
  if (profile) log(`ingress profile:\n${profile}`);
  return { partitions: PARTITIONS, process: 'child', runs, ...(profile ? { profile } : {}) };
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    options,
    machine: { cores: os.cpus().length, loadAverage: os.loadavg() },
  };
  const started = performance.now();
  if (options.profile) await mkdir(PROFILE_DIR, { recursive: true });
  // Written after each figure, so a failure in the second keeps the first.
  const save = async () => {
    results.totalSeconds = round((performance.now() - started) / 1000);
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/fulfilment.json', `${JSON.stringify(results, null, 2)}\n`);
  };
  if (options.figures.includes('events')) {
    results.events = await eventsFigure(options);
    await save();
  }
  if (options.figures.includes('webhooks')) {
    results.webhooks = await webhooksFigure(options);
    await save();
  }
  console.log(JSON.stringify(results, null, 2));
}

if (process.env.BENCH_FULFILMENT_ROLE === 'webhook-ingress') await webhookIngress();
else await main();
