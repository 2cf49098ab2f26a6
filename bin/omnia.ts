#!/usr/bin/env node
/**
 * omnia start   the embedded default: the topology in-process (no broker), fed with a demo stream of
 *               orders across stores, printing per-store counts; KAFKA_BROKERS set → the same topology on Kafka.
 */
import { loadConfig } from '../topology/config.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { jsonSerde, stringSerde } from '../topology/serdes.js';
import { StreamsRuntime } from '../topology/streams-runtime.js';
import { TopologyTestDriver } from '../topology/test-driver.js';
import { counterTopology, type CounterInput, type CounterOutput } from '../test/fixtures/counter-topology.js';

const [command = 'start'] = process.argv.slice(2);

async function embedded(): Promise<void> {
  const driver = new TopologyTestDriver(counterTopology('order.create.v1', 'store.order-count.v1'), { partitions: 4, startTime: Date.now() });
  const input = driver.inputTopic('order.create.v1', stringSerde, jsonSerde<CounterInput>());
  const stores = Array.from({ length: 12 }, (_, i) => `QC${String(i + 1).padStart(4, '0')}`);
  console.log('omnia: embedded runtime (in-process driver, no broker); demo feed of orders across 12 stores. Ctrl-C stops.');
  let seq = 0;
  let stopping = false;
  process.on('SIGINT', () => void (stopping = true));
  process.on('SIGTERM', () => void (stopping = true));
  while (!stopping) {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) await input.pipe(stores[seq % stores.length]!, { seq: seq++ }, { timestamp: Date.now() });
    const rate = Math.round(1000 / ((performance.now() - started) / 1000));
    const latest = new Map<string, number>();
    for (const { key, value } of driver.readOutput('store.order-count.v1', stringSerde, jsonSerde<CounterOutput>()).slice(-stores.length)) latest.set(key!, value!.count);
    console.log(`${seq} orders, ${rate} records/s in-process; counts: ${[...latest].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    driver.clearOutput();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await driver.close();
}

async function onKafka(): Promise<void> {
  const config = loadConfig();
  const runtime = new StreamsRuntime(counterTopology('order.create.v1', 'store.order-count.v1'), config, new PlatformaticClient(config.bootstrapServers, config.applicationId));
  const stop = () => void runtime.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await runtime.start();
  console.log(`omnia: running on ${config.bootstrapServers.join(',')} as ${config.applicationId} (${config.processingGuarantee})`);
  await runtime.whenStopped();
}

if (command === 'start') await (process.env.KAFKA_BROKERS ? onKafka() : embedded());
else {
  console.error(`unknown command "${command}"; try: omnia start`);
  process.exit(2);
}
