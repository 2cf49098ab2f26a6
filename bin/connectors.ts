/**
 * omnia connectors: the partner connectors as one process — the signed webhook ingress (Slick ship events,
 * Grab and PMP delivery status) and the Slick egress (releases and COD collection confirmations out, every
 * call on order.fulfillment.v1), with the egress's /health and /metrics. Needs KAFKA_BROKERS, the partners'
 * webhook secrets and SLICK_BASE_URL / SLICK_TOKEN.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { prepareSerdes, serdeConfigFromEnv } from '../avro/config.js';
import { serdeFor } from '../avro/serdes.js';
import { SlickClient } from '../connectors/slick-client.js';
import { loadSlickEgressConfig } from '../connectors/slick-config.js';
import { SlickEgress } from '../connectors/slick-egress.js';
import { DELIVERY_STATUS_TOPIC, SHIP_EVENT_TOPIC, startWebhookServer } from '../connectors/webhook-server.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { Topics } from '../topology/topics.js';
import { loadConfig } from '../runtime/config.js';
import { logger } from '../observability/logger.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { kafkaConnection } from '../topology/kafka/connection.js';
import { withDefaultMetrics } from '../observability/metrics.js';
import { stopOnSignals } from './stop-on-signals.js';

export async function runConnectors(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = logger.child({ component: 'connectors' });
  const runtime = loadConfig({}, env);
  const prefix = loadOrderConfig(env).topicPrefix;
  const slick = loadSlickEgressConfig({}, env);
  if (!slick.baseUrl || !slick.token) throw new Error('SLICK_BASE_URL and SLICK_TOKEN must be set: the egress sends releases to Slick');
  const serdes = serdeConfigFromEnv(env);
  await prepareSerdes(serdes);
  const client = new PlatformaticClient(
    runtime.bootstrapServers,
    `${runtime.applicationId}-connectors`,
    kafkaConnection(runtime.bootstrapServers, env),
  );
  const registry = withDefaultMetrics(new Registry()); // Node's process metrics, as every process's /metrics has them

  const webhooks = await startWebhookServer({
    env,
    client,
    serdeConfig: serdes,
    registry,
    topics: { shipEvents: prefix + SHIP_EVENT_TOPIC, deliveryStatus: prefix + DELIVERY_STATUS_TOPIC },
  });
  const topics = { release: prefix + Topics.release, payment: prefix + Topics.payment, fulfillment: prefix + Topics.fulfillment };
  const egress = new SlickEgress(
    client,
    new SlickClient({
      baseUrl: slick.baseUrl,
      token: slick.token,
      timeoutMs: slick.timeoutMs,
      maxConcurrentCalls: slick.maxConcurrentCalls,
    }),
    {
      group: slick.group ?? `${runtime.applicationId}-slick-egress`,
      topics,
      serdes: {
        release: serdeFor(topics.release, 'Release', serdes),
        payment: serdeFor(topics.payment, 'PaymentEvent', serdes),
        fulfillment: serdeFor(topics.fulfillment, 'FulfillmentInteraction', serdes),
      },
      retry: { attempts: slick.attempts, baseDelayMs: slick.backoffMs, maxDelayMs: slick.backoffMaxMs, jitter: slick.jitter },
      breaker: { failureThreshold: slick.breakerFailures, coolDownMs: slick.breakerCoolDownMs },
      pollMs: runtime.pollMs,
      sessionTimeoutMs: runtime.sessionTimeoutMs,
      ...(runtime.instanceId ? { instanceId: runtime.instanceId } : {}),
      topicReplication: runtime, // OMNIA_TOPIC_REPLICATION_FACTOR / OMNIA_TOPIC_MIN_INSYNC_REPLICAS
    },
  );

  // The egress's operator endpoints: ready while it delivers; "blocked" (a release being retried) is still live.
  // Probes are frequent: only failures are logged, not each request.
  const health = Fastify({
    loggerInstance: logger.child({ component: 'connectors-health' }) as FastifyBaseLogger,
    disableRequestLogging: true,
  });
  health.get('/health/live', async () => ({ live: true, ...egress.status() }));
  health.get('/health/ready', async (_request, reply) => {
    const status = egress.status();
    const ready = status.state === 'running' || status.state === 'blocked';
    return reply.code(ready ? 200 : 503).send({ ready, ...status });
  });
  health.get('/metrics', async (_request, reply) => {
    const text = (await registry.metrics()) + (await egress.metrics.registry.metrics());
    return reply.header('content-type', registry.contentType).send(text);
  });
  await health.listen({ host: slick.host, port: slick.port });

  stopOnSignals({
    log,
    message: 'stopping: the Slick egress, then the webhook ingress',
    steps: [
      ['Slick egress', () => egress.stop()],
      ['webhook ingress', () => webhooks.close()],
      ['health endpoints', () => health.close()],
    ],
  });
  await egress.start();
  log.info(
    {
      webhooks: webhooks.url,
      slick: slick.baseUrl,
      health: `${slick.host}:${slick.port}`,
      maxConcurrentSlickCalls: slick.maxConcurrentCalls,
    },
    `omnia connectors: webhooks on ${webhooks.url}; Slick egress to ${slick.baseUrl}; health and metrics on ${slick.host}:${slick.port}`,
  );
}
