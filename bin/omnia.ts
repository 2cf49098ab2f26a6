#!/usr/bin/env node
/**
 * omnia start    the embedded default: the order topology in-process (no broker), fed with a demo stream of
 *                orders across stores, its results written to an embedded Postgres (or DATABASE_URL's), printing
 *                what happens; with KAFKA_BROKERS set, the same topology on Kafka.
 * omnia sink     the Postgres sink connector on Kafka (KAFKA_BROKERS, DATABASE_URL).
 * omnia connectors  the partner connectors on Kafka: signed webhook ingress and the Slick egress.
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
import { embeddedPostgres } from '../sinks/embedded-postgres.js';
import { EmbeddedSink } from '../sinks/embedded-sink.js';
import { migrate } from '../sinks/migrate.js';
import { sinkSources } from '../sinks/sink-sources.js';
import { pgDatabase, type SqlDatabase } from '../sinks/sql.js';
import { Registry } from 'prom-client';
import { driverOrders, runtimeOrders } from '../query-service/local-orders.js';
import { PartitionOwners } from '../query-service/partition-owners.js';
import { KafkaStatusTail } from '../query-service/kafka-status-tail.js';
import { startQueryService } from '../query-service/service.js';
import { StatusFeed } from '../query-service/status-feed.js';
import type { StatusChange } from '../processors/domain/types.js';
import { demoOrder, referenceData } from './demo-feed.js';
import { runConnectors } from './connectors.js';
import { runSink } from './sink.js';
import { replay, ReplayInputError } from './replay.js';

const [command = 'start', ...args] = process.argv.slice(2);
/** How long a SIGTERM may take to commit and close before the process exits anyway (k8s grace is 30 s). */
const STOP_TIMEOUT_MS = 20_000;

/** The analysts' tables for the embedded default: DATABASE_URL's Postgres when set, else one in this process. */
async function embeddedTables(): Promise<{ db: SqlDatabase; where: string }> {
  const url = process.env.DATABASE_URL;
  const db = url ? pgDatabase(url) : await embeddedPostgres(process.env.OMNIA_EMBEDDED_PG_DIR || undefined);
  const session = await db.session();
  try {
    await migrate(session);
  } finally {
    session.release();
  }
  return { db, where: url ? url.replace(/\/\/[^@/]*@/, '//') : `embedded Postgres (${process.env.OMNIA_EMBEDDED_PG_DIR || 'in memory'})` };
}

async function embedded(): Promise<void> {
  const orderConfig = loadOrderConfig();
  const serdeConfig = serdeConfigFromEnv();
  const serdes = orderSerdes(serdeConfig, orderConfig.topicPrefix);
  const topic = (name: string) => orderConfig.topicPrefix + name;
  const driver = new TopologyTestDriver(orderTopology(orderConfig, serdes), { partitions: 4, startTime: Date.now() });
  const { db, where } = await embeddedTables();
  const sink = new EmbeddedSink(db, sinkSources({ applicationId: driver.applicationId, topicPrefix: orderConfig.topicPrefix, serdes: serdeConfig }));
  const feed = { stores: 12, customers: 200, seed: 42 };
  for (const record of referenceData(feed.customers)) await driver.pipeRaw(topic(record.topic), Buffer.from(record.key), Buffer.from(JSON.stringify(record.value)));
  const registry = new Registry();
  const statusFeed = new StatusFeed({ registry });
  const query = await startQueryService({ db, local: driverOrders(driver, 4), registry, feed: statusFeed, readiness: () => ({ ready: true }), devSecret: true });
  console.log(`omnia: embedded default (in-process driver, no broker): the order topology fed with demo orders from 12 stores; tables in ${where}. Ctrl-C stops.`);
  console.log(`omnia: query service on ${query.url} (API docs: ${query.url}/docs). A token for this process (admin, 12 h):\n  export OMNIA_TOKEN=${query.devToken}\n  curl -H "authorization: Bearer $OMNIA_TOKEN" ${query.url}/api/v1/region/pipeline`);
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
        const change = JSON.parse(record.value!.toString()) as StatusChange;
        statusFeed.publish(change);
        if (change.FromStatus !== null) statusCounts.set(change.FromStatus, (statusCounts.get(change.FromStatus) ?? 0) - 1);
        statusCounts.set(change.ToStatus, (statusCounts.get(change.ToStatus) ?? 0) + 1);
      } else if (record.topic === topic(Topics.release)) releases++;
      else if (record.topic === `${topic(Topics.orderCreate)}.dlq`) rejected++;
    }
    const written = await sink.write(driver.output);
    driver.clearOutput();
    const rows = [...written.rows.values()].reduce((sum, count) => sum + count, 0);
    const counts = [...statusCounts].filter(([, count]) => count > 0).sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
    console.log(`${n} orders (${Math.round(batch / seconds)}/s in-process) — this second: ${releases} released, ${rejected} rejected to the DLQ, ${rows} rows written; orders by status ${counts}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await query.app.close();
  await driver.close();
  await db.close();
}

async function onKafka(): Promise<void> {
  const config = loadConfig();
  const serdeConfig = serdeConfigFromEnv();
  const orderConfig = loadOrderConfig();
  const topology = orderTopology(orderConfig, orderSerdes(serdeConfig, orderConfig.topicPrefix));
  await prepareSerdes(serdeConfig);
  const runtime = new StreamsRuntime(topology, config, new PlatformaticClient(config.bootstrapServers, config.applicationId));
  const stop = () => {
    // A stop that does not finish (seen once in a test, after SIGKILLed restarts, cause not yet found) must not
    // keep the process up: what was not committed is aborted by the broker and redone by the next owner.
    setTimeout(() => {
      console.error(`omnia: stopping took longer than ${STOP_TIMEOUT_MS} ms; exiting without a clean close`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    void runtime.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await runtime.start();
  console.log(`omnia: running on ${config.bootstrapServers.join(',')} as ${config.applicationId} (${config.processingGuarantee})`);
  if (process.env.DATABASE_URL) {
    const db = pgDatabase(process.env.DATABASE_URL, { applicationName: `${config.applicationId}-query` });
    const client = new PlatformaticClient(config.bootstrapServers, `${config.applicationId}-query`);
    const owners = new PartitionOwners(client.admin(), config.applicationId, orderConfig.topicPrefix + Topics.orderCreate);
    const feed = new StatusFeed({ registry: runtime.metrics.registry });
    const tail = new KafkaStatusTail({ client, feed, serdes: serdeConfig, topicPrefix: orderConfig.topicPrefix });
    await tail.start();
    const query = await startQueryService({
      feed,
      db,
      local: runtimeOrders(runtime, orderConfig.topicPrefix),
      owners,
      registry: runtime.metrics.registry,
      readiness: () => (runtime.currentState === 'running' ? { ready: true } : { ready: false, reason: `the stream runtime is ${runtime.currentState}` }),
    });
    console.log(`omnia: query service on ${query.url}, advertised to the group as ${config.endpoint ?? '(no OMNIA_ENDPOINT: not reachable by other replicas)'}`);
  } else console.log('omnia: no DATABASE_URL, so no query service (it searches and falls back on the analysts’ Postgres)');
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
  else if (command === 'sink') await runSink();
  else if (command === 'connectors') await runConnectors();
  else {
    console.error(`unknown command "${command}"; try: omnia start | omnia sink | omnia connectors | omnia replay [--input FILE]`);
    process.exit(2);
  }
} catch (error) {
  if (error instanceof ReplayInputError) {
    console.error(`omnia replay: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
