/**
 * The order topology on the real broker (issue targets: ≥ 5,000 orders/s through the whole topology under
 * exactly-once; p99 CreatedAt → release ≤ 30 ms at a steady 1,000 orders/s).
 *
 *   npm run build && node dist/bench/orders.js            # both phases
 *   BENCH_ORDERS=50000 BENCH_RATE=1000 BENCH_SECONDS=30 OMNIA_COMMIT_INTERVAL_MS=20 node dist/bench/orders.js
 *   BENCH_PHASES=throughput node dist/bench/orders.js       # one phase (throughput or latency)
 *   BENCH_PHASES=latency BENCH_COMMIT_INTERVALS=100 node dist/bench/orders.js   # latency at one commit interval
 *
 * Phase 1 (throughput): N orders are produced first, then one replica processes them under exactly-once;
 * orders/s = N / (time from its first processed record to the commit that covers the last).
 * Phase 2 (latency): a replica runs; orders are produced at a steady rate with CreatedAt = send time; a
 * read_committed consumer measures CreatedAt → the order's validation record and → its release record.
 */
import { demoOrder } from '../bin/demo-feed.js';
import { Topics } from '../topology/topics.js';
import { jsonRecord, produce } from '../test/kafka/harness.js';
import { createOrderPipeline, orderRuntime, removeOrderPipeline } from './order-pipeline.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PARTITIONS = 8;
/** Orders sent in the first seconds of the latency phase (JIT, first transactions) are reported apart. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const STORES = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);

async function throughput(): Promise<Record<string, number>> {
  const context = await createOrderPipeline('orders', 'throughput', PARTITIONS);
  try {
    const createdAt = new Date();
    const orders = Array.from({ length: ORDERS }, (_, n) => demoOrder(n, createdAt, { stores: STORES, customers: 200, seed: 11 }));
    await produce(
      context.client,
      orders.map((order) =>
        jsonRecord(context.prefix + Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS, createdAt.getTime()),
      ),
    );
    const runtime = orderRuntime(context);
    const processed = async () =>
      (await runtime.metrics.processed.get()).values.find((sample) => sample.labels.processor === 'validate')?.value ?? 0;
    const commits = async () =>
      (await runtime.metrics.commits.get()).values.find((sample) => sample.labels.result === 'committed')?.value ?? 0;
    await runtime.start();
    while ((await processed()) === 0) await sleep(5);
    const started = performance.now();
    let peakRss = rssMb();
    while ((await processed()) < ORDERS) {
      await sleep(20);
      peakRss = Math.max(peakRss, rssMb());
    }
    const seen = await commits();
    while ((await commits()) <= seen) await sleep(2);
    const seconds = (performance.now() - started) / 1000;
    await runtime.stop();
    return { orders: ORDERS, seconds: Number(seconds.toFixed(2)), ordersPerSecond: Math.round(ORDERS / seconds), peakRssMb: peakRss };
  } finally {
    await removeOrderPipeline(context);
  }
}

/** Commits made and the mean time of each step (omnia_commit_step_seconds): where a commit's time goes. */
async function commitSteps(runtime: ReturnType<typeof orderRuntime>): Promise<{ commits: number; meanMs: Record<string, number> }> {
  const samples = (await runtime.metrics.commitSteps.get()).values;
  const meanMs: Record<string, number> = {};
  let commits = 0;
  for (const step of ['begin', 'send', 'offsets', 'end', 'flush']) {
    const of = (suffix: string) =>
      samples.find((s) => s.metricName === `omnia_commit_step_seconds_${suffix}` && s.labels.step === step)?.value ?? 0;
    const count = of('count');
    if (step === 'end') commits = count;
    meanMs[step] = count ? Number(((of('sum') / count) * 1000).toFixed(2)) : 0;
  }
  return { commits, meanMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function latency(commitIntervalMs: string): Promise<Record<string, unknown>> {
  const context = await createOrderPipeline('orders', 'latency', PARTITIONS);
  try {
    const runtime = orderRuntime(context, { OMNIA_COMMIT_INTERVAL_MS: commitIntervalMs });
    await runtime.start();
    while (runtime.ownedPartitions.length < PARTITIONS) await sleep(20);
    const consumer = context.client.groupConsumer({ groupId: `${context.app}-probe`, sessionTimeoutMs: 10_000, readCommitted: true });
    await consumer.join([context.prefix + Topics.release, context.prefix + Topics.validation]);
    const sentAt = new Map<string, number>();
    const toRelease: number[] = [];
    const toValidation: number[] = [];
    const steadyRelease: number[] = [];
    const releaseBySecond: number[][] = [];
    let steadyFrom = Infinity;
    let started = Infinity;
    let stop = false;
    const probing = (async () => {
      while (!stop) {
        for (const received of await consumer.poll(50)) {
          const now = Date.now();
          const { OrderID } = JSON.parse(received.value!.toString()) as { OrderID: string };
          const created = sentAt.get(OrderID);
          if (created === undefined) continue;
          (received.topic.endsWith(Topics.release) ? toRelease : toValidation).push(now - created);
          if (received.topic.endsWith(Topics.release) && created >= steadyFrom) steadyRelease.push(now - created);
          if (received.topic.endsWith(Topics.release)) (releaseBySecond[Math.floor((created - started) / 1000)] ??= []).push(now - created);
        }
      }
    })();
    const producer = context.client.producer({});
    await producer.init();
    const total = RATE * SECONDS;
    started = Date.now();
    steadyFrom = started + WARMUP_SECONDS * 1000;
    let n = 0;
    // 10 ms ticks: each sends the orders due by then, with CreatedAt = the moment it is sent.
    while (n < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
      if (due > n) {
        const now = Date.now();
        const batch = [];
        for (; n < due; n++) {
          const order = demoOrder(n, new Date(now), { stores: STORES, customers: 200, seed: 13, invalidShare: 0 });
          sentAt.set(order.OrderID, now);
          batch.push(jsonRecord(context.prefix + Topics.orderCreate, order.ShipFromLocationID, order, PARTITIONS, now));
        }
        await producer.send(batch);
      }
      await sleep(10);
    }
    await sleep(2000);
    stop = true;
    await probing;
    await producer.close();
    await consumer.close();
    const rss = rssMb();
    const steps = await commitSteps(runtime);
    await runtime.stop();
    const release = toRelease.sort((a, b) => a - b);
    const validation = toValidation.sort((a, b) => a - b);
    const steady = steadyRelease.sort((a, b) => a - b);
    return {
      commitIntervalMs,
      rate: RATE,
      orders: total,
      releases: release.length,
      releaseP50: percentile(release, 50),
      releaseP99: percentile(release, 99),
      releaseMax: release.at(-1) ?? NaN,
      validationP50: percentile(validation, 50),
      validationP99: percentile(validation, 99),
      [`releaseP50After${WARMUP_SECONDS}s`]: percentile(steady, 50),
      [`releaseP99After${WARMUP_SECONDS}s`]: percentile(steady, 99),
      releaseP99BySecond: Array.from(releaseBySecond, (second = []) =>
        percentile(
          second.sort((a, b) => a - b),
          99,
        ),
      ),
      commitsPerSecond: Math.round(steps.commits / SECONDS),
      commitStepMeanMs: steps.meanMs,
      rssMb: rss,
    };
  } finally {
    await removeOrderPipeline(context);
  }
}

/** The latency phase at each commit interval of BENCH_COMMIT_INTERVALS (default: OMNIA_COMMIT_INTERVAL_MS or 100, then 10). */
async function latencies(): Promise<Array<Record<string, unknown>>> {
  const intervals = (process.env.BENCH_COMMIT_INTERVALS ?? `${process.env.OMNIA_COMMIT_INTERVAL_MS ?? '100'},10`).split(',');
  const results = [];
  for (const interval of intervals) results.push(await latency(interval.trim()));
  return results;
}

// BENCH_PHASES=throughput or =latency runs one phase (for A/B runs of one figure); both by default.
const phases = (process.env.BENCH_PHASES ?? 'throughput,latency').split(',');
const results = {
  throughput: phases.includes('throughput') ? await throughput() : undefined,
  latency: phases.includes('latency') ? await latencies() : undefined,
};
console.log(JSON.stringify(results, null, 2));
