/**
 * omnia sink: the Postgres sink connector as a process of its own (one per replica; replicas share the
 * partitions as a consumer group). Needs DATABASE_URL and KAFKA_BROKERS.
 */
import { serdeConfigFromEnv, prepareSerdes } from '../avro/config.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { loadConfig } from '../runtime/config.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { sinkHealthServer } from '../sinks/health-server.js';
import { loadSinkConfig } from '../sinks/sink-config.js';
import { SinkConnector } from '../sinks/sink-connector.js';
import { sinkSources } from '../sinks/sink-sources.js';
import { pgDatabase } from '../postgres/sql.js';
import { databaseProbe } from '../postgres/probe.js';
import { timeoutsOf } from '../postgres/timeouts.js';
import { logger } from '../observability/logger.js';
import { stopOnSignals } from './stop-on-signals.js';

export async function runSink(): Promise<void> {
  const runtime = loadConfig();
  const config = loadSinkConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: the sink needs the analysts’ Postgres (postgres://user@host:5432/db)');
  const serdes = serdeConfigFromEnv();
  await prepareSerdes(serdes);
  const group = config.group ?? `${runtime.applicationId}-sink-postgres`;
  const db = pgDatabase(config.databaseUrl, { applicationName: group, timeouts: timeoutsOf(config) });
  const sources = sinkSources({ applicationId: runtime.applicationId, topicPrefix: loadOrderConfig().topicPrefix, serdes });
  const connector = new SinkConnector(db, new PlatformaticClient(runtime.bootstrapServers, group), sources, {
    group,
    batchRecords: config.batchRecords,
    lingerMs: config.lingerMs,
    pollMs: runtime.pollMs,
    sessionTimeoutMs: runtime.sessionTimeoutMs,
    ...(runtime.instanceId ? { instanceId: runtime.instanceId } : {}),
    topicReplication: runtime, // OMNIA_TOPIC_REPLICATION_FACTOR / OMNIA_TOPIC_MIN_INSYNC_REPLICAS
  });
  const server = await sinkHealthServer(connector, {
    host: config.host,
    port: config.port,
    database: databaseProbe(db, config.postgresProbeTimeoutMs),
  });
  stopOnSignals({
    log: logger.child({ component: 'sink' }),
    message: 'stopping the sink, then its health endpoints and database pool',
    steps: [
      ['sink connector', () => connector.stop()],
      ['health endpoints', () => server.close()],
      ['database pool', () => db.close()],
    ],
  });
  await connector.start();
  logger
    .child({ component: 'sink', group })
    .info(
      { topics: sources.topics.length, host: config.host, port: config.port },
      `omnia sink: ${sources.topics.length} topics → Postgres as ${group}; health and metrics on ${config.host}:${config.port}`,
    );
  await connector.whenStopped();
}
