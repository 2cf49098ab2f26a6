/**
 * omnia notify: the customer notification connector as a process of its own — reads the orders changelog and the
 * customers' preferences, sends SMS and LINE messages, writes every step to notification.sent.v1 — with its
 * /health and /metrics. Needs KAFKA_BROKERS, OMNIA_NOTIFY_SMS_URL / _TOKEN (and LINE's for customers who chose
 * LINE), OMNIA_TRACKING_SECRET and OMNIA_TRACKING_BASE_URL.
 */
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { prepareSerdes, serdeConfigFromEnv } from '../avro/config.js';
import { serdeFor } from '../avro/serdes.js';
import { type ChannelName, LineChannel, type NotificationChannel, SmsChannel } from '../connectors/notifications/channels.js';
import { loadNotifyConfig, resilienceOf } from '../connectors/notifications/config.js';
import { NotificationConnector } from '../connectors/notifications/connector.js';
import { describeQuietHours } from '../connectors/notifications/quiet-hours.js';
import { loadTrackingConfig } from '../query-service/tracking-config.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { Stores, Topics } from '../topology/topics.js';
import { changelogTopic } from '../state/store-definition.js';
import { loadConfig } from '../runtime/config.js';
import { logger } from '../observability/logger.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { kafkaConnection } from '../topology/kafka/connection.js';
import { withDefaultMetrics } from '../observability/metrics.js';
import type { OrderState } from '../processors/order-state.js';
import type { Serde } from '../serdes/serde.js';
import { stopOnSignals } from './stop-on-signals.js';

export async function runNotify(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = logger.child({ component: 'notify' });
  const runtime = loadConfig({}, env);
  const order = loadOrderConfig(env);
  const notify = loadNotifyConfig({}, env);
  const tracking = loadTrackingConfig({}, env);
  if (!notify.smsUrl || !notify.smsToken)
    throw new Error('OMNIA_NOTIFY_SMS_URL and OMNIA_NOTIFY_SMS_TOKEN must be set: messages go by SMS unless a customer chose LINE');
  if (!tracking.secret || !tracking.baseUrl)
    throw new Error('OMNIA_TRACKING_SECRET and OMNIA_TRACKING_BASE_URL must be set: every message carries the order’s tracking link');
  const serdes = serdeConfigFromEnv(env);
  await prepareSerdes(serdes);
  const client = new PlatformaticClient(
    runtime.bootstrapServers,
    `${runtime.applicationId}-notify`,
    kafkaConnection(runtime.bootstrapServers, env),
  );
  const channels: Partial<Record<ChannelName, NotificationChannel>> = {
    SMS: new SmsChannel({
      baseUrl: notify.smsUrl,
      token: notify.smsToken,
      timeoutMs: notify.timeoutMs,
      maxConcurrentCalls: notify.maxConcurrentCalls,
    }),
  };
  if (notify.lineUrl && notify.lineToken)
    channels.LINE = new LineChannel({
      baseUrl: notify.lineUrl,
      token: notify.lineToken,
      timeoutMs: notify.timeoutMs,
      maxConcurrentCalls: notify.maxConcurrentCalls,
    });
  else log.warn('no OMNIA_NOTIFY_LINE_URL / OMNIA_NOTIFY_LINE_TOKEN: customers who chose LINE get SMS');

  const topics = {
    changelog: changelogTopic(runtime.applicationId, Stores.orders),
    preferences: order.topicPrefix + Topics.notificationPreference,
    outcomes: order.topicPrefix + Topics.notificationSent,
  };
  const connector = new NotificationConnector(client, channels, {
    group: notify.group ?? `${runtime.applicationId}-notify`,
    topics,
    serdes: {
      state: orderSerdes(serdes, order.topicPrefix).store(Stores.orders) as Serde<OrderState>,
      preference: serdeFor(topics.preferences, 'NotificationPreference', serdes),
      outcome: serdeFor(topics.outcomes, 'NotificationOutcome', serdes),
    },
    ...resilienceOf(notify),
    quietHours: notify.quietHours,
    timeZone: order.businessTimeZone,
    defaultLanguage: notify.defaultLanguage,
    tracking: { baseUrl: tracking.baseUrl, secret: tracking.secret, linkDays: tracking.linkDays },
    maxAgeMs: notify.maxAgeHours * 3_600_000,
    maxPending: notify.maxPending,
    pollMs: runtime.pollMs,
    sessionTimeoutMs: runtime.sessionTimeoutMs,
    ...(runtime.instanceId ? { instanceId: runtime.instanceId } : {}),
    topicReplication: runtime,
  });

  const registry = withDefaultMetrics(new Registry());
  const health = Fastify({
    loggerInstance: logger.child({ component: 'notify-health' }) as FastifyBaseLogger,
    disableRequestLogging: true,
  });
  health.get('/health/live', async () => ({ live: true, ...connector.status() }));
  health.get('/health/ready', async (_request, reply) => {
    const status = connector.status();
    const ready = status.state === 'running';
    return reply.code(ready ? 200 : 503).send({ ready, ...status });
  });
  health.get('/metrics', async (_request, reply) => {
    const text = (await registry.metrics()) + (await connector.metrics.registry.metrics());
    return reply.header('content-type', registry.contentType).send(text);
  });
  await health.listen({ host: notify.host, port: notify.port });

  // Past the stop's time limit what was not committed is read again by the next owner, and the providers answer
  // DUPLICATE for what was sent.
  stopOnSignals({
    log,
    message: 'stopping the notification connector',
    steps: [
      ['notification connector', () => connector.stop()],
      ['health endpoints', () => health.close()],
    ],
  });
  await connector.start();
  log.info(
    {
      changelog: topics.changelog,
      sms: notify.smsUrl,
      line: notify.lineUrl ?? null,
      quietHours: describeQuietHours(notify.quietHours),
      timeZone: order.businessTimeZone,
      health: `${notify.host}:${notify.port}`,
    },
    `omnia notify: telling customers about ${topics.changelog} by SMS${channels.LINE ? ' and LINE' : ''}; quiet hours ${describeQuietHours(notify.quietHours)} ${order.businessTimeZone}; health and metrics on ${notify.host}:${notify.port}`,
  );
  await connector.whenStopped();
}
