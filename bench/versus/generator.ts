/**
 * The load generator, a process of its own (node dist/bench/versus/generator.js --flags): produces the
 * benchmark's orders (bench/versus/orders.ts) onto `order.create.v1`, keyed by ShipFromLocationID, with an
 * idempotent producer, each send awaited before the next.
 *
 *   --count=N                 the backlog: N orders as fast as the broker takes them
 *   --rate=R --seconds=S      steady load, open loop: order i is due at start + i / R; every `--tick-ms` the
 *                             orders due by then go in one send, their CreatedAt set to that moment
 *
 * Prints `READY` before the first steady send, `DONE {json}` once everything is acknowledged, and then waits
 * for SIGTERM, so its CPU can be read from /proc while it still exists. With `--out=FILE` (steady load) it writes
 * `OrderID CreatedAt-ms valid lag-ms` per order: what the latency is measured from, and how late the generator
 * sent it after its due time.
 */
import { writeFile } from 'node:fs/promises';
import type { ProducedRecord } from '../../runtime/produced-record.js';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { partitionForKey } from '../../runtime/partitioner.js';
import { percentile } from '../open-loop.js';
import { BROKERS, round, sleep } from '../runtime/common.js';
import { orderId, versusOrder } from './orders.js';
import { flags, intFlag } from './flags.js';

const args = flags(process.argv.slice(2));
const topic = args.get('topic');
if (!topic) throw new Error('generator: --topic is required');
const partitions = intFlag(args, 'partitions', 8);
const seed = intFlag(args, 'seed', 1);
const from = intFlag(args, 'from', 0);
const client = new PlatformaticClient(BROKERS, `versus-generator-${process.pid}`);
const producer = client.producer({});
await producer.init();
process.once('SIGTERM', () => void producer.close().finally(() => process.exit(0)));
process.once('SIGINT', () => void producer.close().finally(() => process.exit(0)));

const record = (n: number, createdAt: Date): { record: ProducedRecord; valid: boolean } => {
  const { order, valid } = versusOrder(n, seed, createdAt);
  // Partitioned as upstream producers do (Java-compatible murmur2 of the key), so both apps see the same split.
  const key = Buffer.from(order.ShipFromLocationID);
  const value = Buffer.from(JSON.stringify(order));
  return { record: { topic, partition: partitionForKey(key, partitions), key, value, timestamp: createdAt.getTime(), headers: {} }, valid };
};

let summary: Record<string, unknown>;
if (args.has('count')) {
  const count = intFlag(args, 'count', 0);
  const started = performance.now();
  let valid = 0;
  for (let base = 0; base < count; base += 2000) {
    const createdAt = new Date();
    const batch: ProducedRecord[] = [];
    for (let n = from + base; n < from + Math.min(count, base + 2000); n++) {
      const made = record(n, createdAt);
      if (made.valid) valid++;
      batch.push(made.record);
    }
    await producer.send(batch);
  }
  const seconds = (performance.now() - started) / 1000;
  summary = { sent: count, valid, seconds: round(seconds, 2), ordersPerSecond: Math.round(count / seconds) };
} else {
  const rate = intFlag(args, 'rate', 1000);
  const total = rate * intFlag(args, 'seconds', 30);
  const tickMs = intFlag(args, 'tick-ms', 5);
  const rows: string[] = [];
  const lags: number[] = [];
  const sendMs: number[] = [];
  let valid = 0;
  let sent = 0;
  // READY marks the start of the measured window: the orchestrator reads this process's CPU here.
  process.stdout.write('READY\n');
  const start = Date.now() + 20;
  await sleep(20);
  while (sent < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
    if (due > sent) {
      const createdAt = new Date(now);
      const batch: ProducedRecord[] = [];
      for (let i = sent; i < due; i++) {
        const made = record(from + i, createdAt);
        const lag = now - (start + (i * 1000) / rate);
        lags.push(lag);
        if (made.valid) valid++;
        batch.push(made.record);
        rows.push(`${orderId(from + i)}\t${now}\t${made.valid ? 1 : 0}\t${round(lag, 1)}`);
      }
      const before = performance.now();
      await producer.send(batch);
      sendMs.push(performance.now() - before);
      sent = due;
    }
    await sleep(tickMs);
  }
  const wallSeconds = (Date.now() - start) / 1000;
  const out = args.get('out');
  if (out) await writeFile(out, rows.join('\n') + '\n');
  const sortedLags = Float64Array.from(lags).sort();
  const sortedSends = Float64Array.from(sendMs).sort();
  summary = {
    sent,
    valid,
    rate,
    wallSeconds: round(wallSeconds, 2),
    achievedRate: Math.round(sent / wallSeconds),
    sends: sendMs.length,
    sendLagMs: {
      p50: round(percentile(sortedLags, 50), 1),
      p99: round(percentile(sortedLags, 99), 1),
      max: round(sortedLags.at(-1) ?? NaN, 1),
    },
    sendAckMs: {
      p50: round(percentile(sortedSends, 50), 1),
      p99: round(percentile(sortedSends, 99), 1),
      max: round(sortedSends.at(-1) ?? NaN, 1),
    },
  };
}
process.stdout.write(`DONE ${JSON.stringify(summary)}\n`);
// Stays alive (idle) until the orchestrator has read its CPU and sends SIGTERM; gone with it if it was killed.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000);
