#!/usr/bin/env node
/**
 * omnia start    the embedded default: the order topology in-process (no broker), fed with a demo stream of
 *                orders across stores, printing what happens; with KAFKA_BROKERS set, the same topology on Kafka.
 * omnia replay   replays JSON-line input records through the topology in-process (domain.md §9).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { prepareSerdes, serdeConfigFromEnv } from '../avro/config.js';
import { loadOrderConfig } from '../processors/order-config.js';
import { orderSerdes } from '../processors/order-serdes.js';
import { orderTopology } from '../processors/order-topology.js';
import { Topics } from '../processors/topics.js';
import { loadConfig } from '../topology/config.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { StreamsRuntime } from '../topology/streams-runtime.js';
import { TopologyTestDriver } from '../topology/test-driver.js';
import { demoOrder, referenceData } from './demo-feed.js';
import { replay, ReplayInputError } from './replay.js';

const [command = 'start', ...args] = process.argv.slice(2);

async function embedded(): Promise<void> {
  const orderConfig = loadOrderConfig();
  const serdes = orderSerdes(serdeConfigFromEnv(), orderConfig.topicPrefix);
  const topic = (name: string) => orderConfig.topicPrefix + name;
  const driver = new TopologyTestDriver(orderTopology(orderConfig, serdes), { partitions: 4, startTime: Date.now() });
  const feed = { stores: 12, customers: 200, seed: 42 };
  for (const record of referenceData(feed.customers)) await driver.pipeRaw(topic(record.topic), Buffer.from(record.key), Buffer.from(JSON.stringify(record.value)));
  console.log('omnia: embedded default (in-process driver, no broker): the order topology fed with demo orders from 12 stores. Ctrl-C stops.');
  const statusCounts = new Map<number, number>();
  let stopping = false;
  process.on('SIGINT', () => void (stopping = true));
  process.on('SIGTERM', () => void (stopping = true));
  let n = 0;
  while (!stopping) {
    const started = performance.now();
    const batch = 200;
    for (let i = 0; i < batch; i++, n++) {
      await driver.advanceWallClock(Math.max(0, Date.now() - driver.now));
      const order = demoOrder(n, new Date(driver.now), feed);
      await driver.pipeRaw(topic(Topics.orderCreate), Buffer.from(order.ShipFromLocationID), Buffer.from(JSON.stringify(order)), { timestamp: driver.now });
    }
    const seconds = (performance.now() - started) / 1000;
    let releases = 0;
    let rejected = 0;
    for (const record of driver.output) {
      if (record.topic === topic(Topics.status)) {
        const change = JSON.parse(record.value!.toString()) as { FromStatus: number | null; ToStatus: number };
        if (change.FromStatus !== null) statusCounts.set(change.FromStatus, (statusCounts.get(change.FromStatus) ?? 0) - 1);
        statusCounts.set(change.ToStatus, (statusCounts.get(change.ToStatus) ?? 0) + 1);
      } else if (record.topic === topic(Topics.release)) releases++;
      else if (record.topic === `${topic(Topics.orderCreate)}.dlq`) rejected++;
    }
    driver.clearOutput();
    const counts = [...statusCounts].filter(([, count]) => count > 0).sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
    console.log(`${n} orders (${Math.round(batch / seconds)}/s in-process) — this second: ${releases} released, ${rejected} rejected to the DLQ; orders by status ${counts}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await driver.close();
}

async function onKafka(): Promise<void> {
  const config = loadConfig();
  const serdeConfig = serdeConfigFromEnv();
  const orderConfig = loadOrderConfig();
  const topology = orderTopology(orderConfig, orderSerdes(serdeConfig, orderConfig.topicPrefix));
  await prepareSerdes(serdeConfig);
  const runtime = new StreamsRuntime(topology, config, new PlatformaticClient(config.bootstrapServers, config.applicationId));
  const stop = () => void runtime.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await runtime.start();
  console.log(`omnia: running on ${config.bootstrapServers.join(',')} as ${config.applicationId} (${config.processingGuarantee})`);
  await runtime.whenStopped();
}

async function replayCommand(): Promise<void> {
  const inputIndex = args.indexOf('--input');
  const file = inputIndex >= 0 ? args[inputIndex + 1] : undefined;
  if (inputIndex >= 0 && !file) throw new ReplayInputError('--input needs a file name');
  const lines = createInterface({ input: file ? createReadStream(file) : process.stdin, crlfDelay: Infinity });
  const { inputs, outputs } = await replay(lines, (line) => process.stdout.write(`${line}\n`));
  process.stderr.write(`omnia replay: ${inputs} input records, ${outputs} output records\n`);
}

try {
  if (command === 'start') await (process.env.KAFKA_BROKERS ? onKafka() : embedded());
  else if (command === 'replay') await replayCommand();
  else {
    console.error(`unknown command "${command}"; try: omnia start | omnia replay [--input FILE]`);
    process.exit(2);
  }
} catch (error) {
  if (error instanceof ReplayInputError) {
    console.error(`omnia replay: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
