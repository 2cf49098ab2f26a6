/**
 * The latency probe, a process of its own (node dist/bench/versus/probe.js --topic=… --partitions=N --out=FILE):
 * tails the release topic read_committed from its end at start-up, outside any consumer group (no group to
 * join or delete, nothing committed), and notes when each OrderID became visible. Light on purpose: one fetch
 * per partition leader at a time, long-polling (the broker answers as soon as committed data is there), a JSON
 * parse per release.
 *
 * Prints `READY` once its start positions are taken; on SIGTERM writes `OrderID seen-at-ms` per release to
 * FILE, prints `DONE {json}` and exits.
 */
import { writeFile } from 'node:fs/promises';
import { Consumer } from '@platformatic/kafka';
import { PlatformaticClient } from '../../topology/kafka/platformatic-client.js';
import { tpKey, type TopicPartition } from '../../topology/kafka/client.js';
import { kafkaConnection } from '../../topology/kafka/connection.js';
import { fetchOnce } from '../../topology/kafka/platformatic-fetch.js';
import { BROKERS } from '../runtime/common.js';
import { flags, intFlag } from './flags.js';
import { orderIdOf, partitionsOf } from './release.js';

const args = flags(process.argv.slice(2));
const topic = args.get('topic');
const out = args.get('out');
if (!topic || !out) throw new Error('probe: --topic and --out are required');
const partitions = intFlag(args, 'partitions', 8);
const clientId = `versus-probe-${process.pid}`;

const admin = new PlatformaticClient(BROKERS, clientId).admin();
const ends = await admin.endOffsets(partitionsOf(topic, partitions), true);
await admin.close();
const positions = new Map<string, { tp: TopicPartition; offset: bigint }>();
for (const tp of partitionsOf(topic, partitions))
  positions.set(tpKey(tp.topic, tp.partition), { tp, offset: ends.get(tpKey(tp.topic, tp.partition)) ?? 0n });

// The client's constructor wants a group id; this consumer never joins it.
const consumer = new Consumer({
  clientId,
  bootstrapBrokers: BROKERS,
  groupId: `${clientId}-unused`,
  retries: 5,
  retryDelay: 100,
  ...kafkaConnection(BROKERS),
});
const rows: string[] = [];
let fetches = 0;
let stopping = false;
process.once('SIGTERM', () => void (stopping = true));
process.once('SIGINT', () => void (stopping = true));
process.stdout.write('READY\n');

// A killed orchestrator sends no SIGTERM: a new parent (reparenting) stops the probe too.
const parent = process.ppid;
while (!stopping && process.ppid === parent) {
  const outcome = await fetchOnce(consumer, positions, { readCommitted: true, maxWaitMs: 100, maxBytesPerPartition: 1024 * 1024 });
  const at = Date.now();
  fetches++;
  for (const [key, offset] of outcome.positions) positions.get(key)!.offset = offset;
  for (const record of outcome.records) rows.push(`${orderIdOf(record.value)}\t${at}`);
}
await writeFile(out, rows.length ? rows.join('\n') + '\n' : '');
await consumer.close().catch(() => undefined);
process.stdout.write(`DONE ${JSON.stringify({ releases: rows.length, fetches })}\n`);
process.exit(0);
