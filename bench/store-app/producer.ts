/**
 * The store-app bench's order producer, a child process of bench/store-app.ts (so that producing does not
 * delay the measuring process): once told `go` over IPC, demo orders (bin/demo-feed.ts, 50 stores, keyed and
 * partitioned by store, JSON) go to `<prefix>order.create.v1` at BENCH_RATE per second for BENCH_SECONDS,
 * each with CreatedAt = the moment its batch is built. Every few milliseconds the orders due by then are sent
 * in one batch (an idempotent producer; sends are awaited one after another), and the bench is told which
 * orders were acknowledged when.
 *
 * Env: KAFKA_BROKERS, BENCH_TOPIC, BENCH_PARTITIONS, BENCH_RATE, BENCH_SECONDS.
 */
import { partitionForKey } from '../../runtime/partitioner.js';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { BROKERS, sleep } from '../runtime/common.js';
import { benchOrder, type ProducerMessage } from './common.js';

const topic = process.env.BENCH_TOPIC!;
const partitions = Number(process.env.BENCH_PARTITIONS);
const rate = Number(process.env.BENCH_RATE);
const seconds = Number(process.env.BENCH_SECONDS);

const tell = (message: ProducerMessage) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

const client = new PlatformaticClient(BROKERS, 'omnia-bench-store-app-producer');
const producer = client.producer({});
await producer.init();

async function run(): Promise<void> {
  const total = Math.round(rate * seconds);
  const started = Date.now();
  let n = 0;
  let sends = 0;
  let maxScheduleLagMs = 0;
  while (n < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
    if (due > n) {
      const createdAt = new Date(now);
      const batch: ProducedRecord[] = [];
      for (let i = n; i < due; i++) {
        const order = benchOrder(i, createdAt);
        const key = Buffer.from(order.ShipFromLocationID);
        batch.push({
          topic,
          partition: partitionForKey(key, partitions),
          key,
          value: Buffer.from(JSON.stringify(order)),
          timestamp: now,
          headers: {},
        });
      }
      // The first order of the batch was due at started + n / rate: how late it goes out.
      maxScheduleLagMs = Math.max(maxScheduleLagMs, now - (started + (n * 1000) / rate));
      await producer.send(batch);
      sends++;
      void tell({ type: 'acked', from: n, to: due, createdAt: now, ackedAt: Date.now() });
      n = due;
    }
    await sleep(5);
  }
  await tell({ type: 'done', produced: n, seconds: (Date.now() - started) / 1000, maxScheduleLagMs, sends });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'go')
    void run()
      .catch((error: Error) => {
        process.stderr.write(`[bench producer] ${error.stack ?? error.message}\n`);
        process.exitCode = 1;
      })
      .finally(async () => {
        await producer.close().catch(() => undefined);
        process.disconnect();
      });
});
process.on('SIGTERM', () => process.exit(0));
await tell({ type: 'ready' });
