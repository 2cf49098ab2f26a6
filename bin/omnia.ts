#!/usr/bin/env node
/**
 * omnia start    the embedded default (embedded.ts): the order topology in-process (no broker), fed with demo
 *                orders, delivered through the partner simulators, written to an embedded Postgres (or
 *                DATABASE_URL's with OMNIA_DEMO_USE_DATABASE=true), served by the query service; with KAFKA_BROKERS set, the same topology on Kafka.
 * omnia sink     the Postgres sink connector on Kafka (KAFKA_BROKERS, DATABASE_URL).
 * omnia connectors  the partner connectors on Kafka: signed webhook ingress and the Slick egress.
 * omnia notify  the customer notification connector on Kafka: SMS and LINE messages about each order (bin/notify.ts).
 * omnia replay   replays JSON-line input records through the topology in-process (docs/contract.md §9).
 * omnia config   every setting of every process with the value it has here (secrets redacted); --markdown: the
 *                README's table.
 * omnia status | dlq list|show|redrive | explain ORDER   the operator commands (ops/, docs/operations.md).
 * omnia settlement import --partner PMP FILE   PMP's settlement report onto payment.settlement.v1 (ops/, docs/operations.md).
 */
import cluster from 'node:cluster';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { prepareSerdes, serdeConfigFromEnv } from '../avro/config.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { Topics } from '../topology/topics.js';
import { loadConfig } from '../runtime/config.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { StreamsRuntime } from '../runtime/streams-runtime.js';
import { runtimeReadiness } from '../runtime/readiness.js';
import { pgDatabase } from '../postgres/sql.js';
import { timeoutsOf } from '../postgres/timeouts.js';
import { loadSinkConfig } from '../sinks/sink-config.js';
import { describeCurrent, markdownTable } from '../settings/describe.js';
import { runtimeOrders } from '../query-service/local-orders.js';
import { runtimeBundles } from '../query-service/bundle-catalog.js';
import { PartitionOwners } from '../query-service/partition-owners.js';
import { KafkaStatusTail } from '../query-service/kafka-status-tail.js';
import { startQueryService } from '../query-service/service.js';
import { tokenVerifier } from '../query-service/auth.js';
import { authConfig, loadQueryConfig } from '../query-service/config.js';
import { checkForwardSecret } from '../query-service/forwarding.js';
import { StatusFeed } from '../query-service/status-feed.js';
import { KafkaWebhookPublisher } from '../connectors/webhook-publisher.js';
import { serdeFor } from '../avro/serdes.js';
import { loadWorkersConfig, type WorkersConfig } from '../workers/config.js';
import { runPrimary } from '../workers/primary.js';
import { WorkerLink } from '../workers/worker-link.js';
import { workerInstanceId, workerPort } from '../workers/worker-environment.js';
import { releaseDepartedReplica } from '../runtime/departed-replica.js';
import { runConnectors } from './connectors.js';
import { runSink } from './sink.js';
import { replay, ReplayInputError } from './replay.js';
import { logger } from '../observability/logger.js';
import { STOP_TIMEOUT_MS, stopOnSignals } from './stop-on-signals.js';
import { loadKafkaSecurity } from '../topology/kafka/connection.js';
import { describeKafkaSecurity, explainKafkaFailure } from '../topology/kafka/security.js';

const log = logger.child({ component: 'omnia' });

const [command = 'start', ...args] = process.argv.slice(2);

/**
 * On Kafka: this process runs the stream tasks itself, or, with OMNIA_WORKERS above 1, forks that many workers
 * that do (workers/primary.ts) and only supervises them.
 */
async function startOnKafka(): Promise<void> {
  const workers = loadWorkersConfig();
  if (workers.workers === 1 || cluster.isWorker) return onKafka(workers);
  // Bad settings are refused here, once, before any worker is forked.
  const config = loadConfig();
  const query = loadQueryConfig();
  loadOrderConfig();
  serdeConfigFromEnv();
  process.exit(
    await runPrimary({
      workers: workers.workers,
      stateDir: config.stateDir,
      instanceId: config.instanceId,
      endpoint: config.endpoint,
      port: query.port,
      workerBasePort: workers.workerBasePort,
      searchCursorKey: query.searchCursorKey,
      stopTimeoutMs: STOP_TIMEOUT_MS + 5_000,
      log,
      // A killed worker is named by its static id: without OMNIA_INSTANCE_ID the session timeout moves its tasks.
      releaseDeparted: config.instanceId
        ? (worker) =>
            releaseDepartedReplica(new PlatformaticClient(config.bootstrapServers, config.applicationId), {
              applicationId: config.applicationId,
              instanceId: workerInstanceId(config.instanceId!, worker),
              exactlyOnce: config.processingGuarantee === 'exactly_once',
            })
        : undefined,
    }),
  );
}

async function onKafka(workers: WorkersConfig): Promise<void> {
  const config = loadConfig();
  const serdeConfig = serdeConfigFromEnv();
  const orderConfig = loadOrderConfig();
  // The query service's token settings are checked before the replica joins the group: without a way to verify
  // tokens it refuses to start now, not after joining (pods that join and die keep the group rebalancing).
  if (loadSinkConfig().databaseUrl) tokenVerifier(authConfig(loadQueryConfig()));
  // An advertised endpoint takes lookups forwarded by the other replicas, signed with their shared secret.
  checkForwardSecret(config.endpoint, loadQueryConfig().forwardSecret, loadQueryConfig().jwtSecret);
  const topology = orderTopology(orderConfig, orderSerdes(serdeConfig, orderConfig.topicPrefix));
  await prepareSerdes(serdeConfig);
  const runtime = new StreamsRuntime(topology, config, new PlatformaticClient(config.bootstrapServers, config.applicationId));
  const worker =
    workers.workerNumber !== undefined ? new WorkerLink(workers.workerNumber, workers.workers, runtime.metrics.registry) : undefined;
  stopOnSignals({
    log,
    message: 'stopping the stream runtime: the last commit, then the group',
    steps: [
      ['worker link', () => worker?.close()],
      ['stream runtime', () => runtime.stop()],
    ],
  });
  await runtime.start();
  log.info(
    {
      brokers: config.bootstrapServers,
      applicationId: config.applicationId,
      guarantee: config.processingGuarantee,
      kafkaSecurity: describeKafkaSecurity(loadKafkaSecurity()),
    },
    `omnia: running on ${config.bootstrapServers.join(',')} as ${config.applicationId} (${config.processingGuarantee})`,
  );
  const { databaseUrl } = loadSinkConfig();
  if (databaseUrl) {
    const db = pgDatabase(databaseUrl, { applicationName: `${config.applicationId}-query`, timeouts: timeoutsOf(loadQueryConfig()) });
    const client = new PlatformaticClient(config.bootstrapServers, `${config.applicationId}-query`);
    const owners = new PartitionOwners(client.admin(), config.applicationId, orderConfig.topicPrefix + Topics.orderCreate);
    const feed = new StatusFeed({ registry: runtime.metrics.registry });
    const tail = new KafkaStatusTail({ client, feed, serdes: serdeConfig, topicPrefix: orderConfig.topicPrefix });
    await tail.start();
    // Actions (cancel, …) become order.update.v1 records, sent by this replica's own idempotent producer.
    const updateTopic = orderConfig.topicPrefix + Topics.orderUpdate;
    const commands = new KafkaWebhookPublisher(client, [updateTopic], logger.child({ component: 'order-commands' }));
    await commands.start();
    const updateSerde = serdeFor(updateTopic, 'OrderUpdate', serdeConfig);
    // COD cash confirmed by store staff becomes a delivery.status.v1 record, as a partner's callback does.
    const deliveryTopic = orderConfig.topicPrefix + Topics.deliveryStatus;
    const confirmations = new KafkaWebhookPublisher(client, [deliveryTopic], logger.child({ component: 'cod-confirmations' }));
    await confirmations.start();
    const deliverySerde = serdeFor(deliveryTopic, 'DeliveryStatus', serdeConfig);
    // Bundle definitions written through the API go to bundle.definition.v1 the same way.
    const bundleTopic = orderConfig.topicPrefix + Topics.bundles;
    const bundlePublisher = new KafkaWebhookPublisher(client, [bundleTopic], logger.child({ component: 'bundle-commands' }));
    await bundlePublisher.start();
    const bundleSerde = serdeFor(bundleTopic, 'BundleDefinition', serdeConfig);
    // Decisions on exceptions (resolve a reconciliation exception, retry / park a release) go the same way.
    const actionTopic = orderConfig.topicPrefix + Topics.exceptionAction;
    const decisions = new KafkaWebhookPublisher(client, [actionTopic], logger.child({ component: 'exception-actions' }));
    await decisions.start();
    const actionSerde = serdeFor(actionTopic, 'ExceptionAction', serdeConfig);
    // Returns asked and received go the same way, onto order.return.v1.
    const returnTopic = orderConfig.topicPrefix + Topics.orderReturn;
    const returnCommands = new KafkaWebhookPublisher(client, [returnTopic], logger.child({ component: 'return-commands' }));
    await returnCommands.start();
    const returnSerde = serdeFor(returnTopic, 'ReturnCommand', serdeConfig);
    const query = await startQueryService({
      feed,
      actions: { publisher: commands, updateTopic, encode: (update) => updateSerde.serialize(update) },
      cod: { publisher: confirmations, deliveryTopic, encode: (status) => deliverySerde.serialize(status) },
      exceptions: { publisher: decisions, actionTopic, encode: (action) => actionSerde.serialize(action) },
      returns: { publisher: returnCommands, returnTopic, encode: (command) => returnSerde.serialize(command) },
      bundles: {
        catalog: runtimeBundles(runtime),
        publisher: bundlePublisher,
        bundleTopic,
        encode: (bundle) => bundleSerde.serialize(bundle),
      },
      db,
      local: runtimeOrders(runtime, orderConfig.topicPrefix),
      owners,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      registry: runtime.metrics.registry,
      readiness: () => runtimeReadiness(runtime),
      ...(worker
        ? {
            worker: {
              link: worker,
              // Forwarded lookups reach this worker alone at the port it advertises.
              ...(config.endpoint
                ? { ownPort: workerPort(worker.number, { port: loadQueryConfig().port, workerBasePort: workers.workerBasePort }) }
                : {}),
            },
          }
        : {}),
    });
    log.info(
      { url: query.url, endpoint: config.endpoint ?? null },
      `omnia: query service on ${query.url}, ${config.endpoint ? `advertised to the group as ${config.endpoint}` : 'not advertised (no OMNIA_ENDPOINT: other replicas cannot forward lookups here)'}`,
    );
  } else log.warn('no DATABASE_URL, so no query service (it searches and falls back on the analysts’ Postgres)');
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
  // KAFKA_BROKERS has a default (the local broker); what chooses Kafka over the embedded default is that it is set.
  if (command === 'start') await (process.env.KAFKA_BROKERS ? startOnKafka() : (await import('./embedded.js')).runEmbedded());
  else if (command === 'replay') await replayCommand();
  else if (command === 'sink') await runSink();
  else if (command === 'connectors') await runConnectors();
  else if (command === 'notify') await (await import('./notify.js')).runNotify();
  else if (command === 'config') process.stdout.write(args.includes('--markdown') ? `${markdownTable()}\n` : describeCurrent());
  else if (command === 'status' || command === 'dlq' || command === 'explain' || command === 'settlement')
    process.exit(await (await import('../ops/cli.js')).runOps(command, args));
  else {
    console.error(
      `unknown command "${command}"; try: omnia start | omnia sink | omnia connectors | omnia notify | omnia replay [--input FILE] | omnia config [--markdown] | omnia status | omnia dlq list|show|redrive | omnia explain ORDER_ID | omnia settlement import --partner PMP FILE (each with --help)`,
    );
    process.exit(2);
  }
} catch (error) {
  if (error instanceof ReplayInputError) {
    console.error(`omnia replay: ${error.message}`);
    process.exit(1);
  }
  // Kafka refusing the connection (credentials, TLS, address): one line that names the setting to look at.
  const kafka = kafkaFailure(error);
  if (kafka) {
    log.fatal({ err: error }, `omnia ${command}: ${kafka}`);
    process.exit(1);
  }
  throw error;
}

function kafkaFailure(error: unknown): string | undefined {
  try {
    return explainKafkaFailure(error, loadKafkaSecurity(), loadConfig().bootstrapServers);
  } catch {
    return undefined; // the settings themselves are wrong: the error says so
  }
}
