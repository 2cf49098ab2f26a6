/**
 * The embedded default (`npm start` without KAFKA_BROKERS): the whole system in one process, nothing to install.
 *
 *   demo feed ─► in-process driver (the order topology) ─► embedded sink ─► embedded Postgres (or DATABASE_URL's, when asked)
 *                    ▲                     │ releases, COD collections
 *                    │                     ▼
 *   webhook ingress ◄┴── Slick, Grab and PMP simulators (real HTTP on loopback) ◄── Slick egress
 *
 * Every order goes the way a production order goes: released, sent to the Slick simulator by the egress, shipped
 * (Slick's signed ship events through the webhook ingress), handed to Grab or PMP, delivered and its cash
 * collected (their signed callbacks through the same ingress), reconciled at the daily cut-off. The query service
 * answers over the driver's stores and the tables.
 *
 * One chain serialises everything that touches the driver (demo orders, webhook events, the clock): the driver
 * processes one record at a time, as one Kafka task does. Its output is handed on after each step — status
 * changes to the live feed, releases and collections to the egress, every record to the sink's next batch.
 */
import { logger as rootLogger } from '../observability/logger.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { serdeConfigFromEnv } from '../avro/config.js';
import type { FulfillmentInteraction, PaymentEvent, ReconciliationReport, Release } from '../avro/records.js';
import { serdeFor } from '../avro/serdes.js';
import { EmbeddedSlickEgress } from '../connectors/embedded-slick-egress.js';
import { LineChannel, SmsChannel } from '../connectors/notifications/channels.js';
import { loadNotifyConfig, resilienceOf } from '../connectors/notifications/config.js';
import { demoPreferences } from '../connectors/notifications/demo-preferences.js';
import { describeSent, EmbeddedNotifier } from '../connectors/notifications/embedded-notifier.js';
import { describeQuietHours } from '../connectors/notifications/quiet-hours.js';
import { LineSimulator } from '../connectors/simulators/line-simulator.js';
import { SmsSimulator } from '../connectors/simulators/sms-simulator.js';
import { loadTrackingConfig } from '../query-service/tracking-config.js';
import { changelogTopic } from '../state/store-definition.js';
import type { OrderState } from '../processors/order-state.js';
import { InProcessPublisher } from '../connectors/in-process-publisher.js';
import { GrabSimulator } from '../connectors/simulators/grab-simulator.js';
import { PmpSimulator } from '../connectors/simulators/pmp-simulator.js';
import { SlickSimulator } from '../connectors/simulators/slick-simulator.js';
import { SlickClient } from '../connectors/slick-client.js';
import { loadSlickEgressConfig } from '../connectors/slick-config.js';
import { loadWebhookConfig, type Partner } from '../connectors/webhook-config.js';
import { buildWebhookServer, DELIVERY_STATUS_TOPIC, SHIP_EVENT_TOPIC } from '../connectors/webhook-server.js';
import type { StatusChange } from '../processors/domain/types.js';
import { loadOrderConfig } from '../topology/order-config.js';
import { orderSerdes } from '../topology/order-serdes.js';
import { orderTopology } from '../topology/order-topology.js';
import { Stores, Topics } from '../topology/topics.js';
import { driverOrders } from '../query-service/local-orders.js';
import { driverBundles } from '../query-service/bundle-catalog.js';
import { startQueryService } from '../query-service/service.js';
import { devToken, type AuthConfig } from '../query-service/auth.js';
import { StatusFeed } from '../query-service/status-feed.js';
import { embeddedPostgres } from '../postgres/embedded-postgres.js';
import { EmbeddedSink } from '../sinks/embedded-sink.js';
import { migrate } from '../postgres/migrate.js';
import { sinkSources } from '../sinks/sink-sources.js';
import { pgDatabase, type SqlDatabase } from '../postgres/sql.js';
import { loadSettings } from '../settings/setting.js';
import { embeddedSection } from '../settings/registry.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { ProducedRecord } from '../runtime/produced-record.js';
import { InProcessRuntime } from '../runtime/in-process-runtime.js';
import { demoOrder, referenceData } from './demo-feed.js';

const PARTITIONS = 4;

export interface EmbeddedConfig {
  ordersPerSecond: number;
  stores: number;
  databaseUrl: string | undefined;
  /** DATABASE_URL may take the demo's tables: asked for explicitly, since the demo migrates it and writes demo orders. */
  useDatabase: boolean;
  pgDir: string | undefined;
  openBrowser: boolean;
}

export const embeddedSettings = embeddedSection;

export interface EmbeddedOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The analysts' tables; default an embedded Postgres (DATABASE_URL's with OMNIA_DEMO_USE_DATABASE=true). */
  readonly db?: SqlDatabase;
  /** Start the demo feed (default true; a test pipes its own orders). */
  readonly demoFeed?: boolean;
  readonly log?: (line: string) => void;
  /** The pipeline's wall clock (punctuators: held releases, the reconciliation cut-off); default Date.now. */
  readonly clock?: () => number;
}

export interface Embedded {
  readonly driver: InProcessRuntime;
  readonly db: SqlDatabase;
  readonly tablesAt: string;
  readonly query: { url: string; devToken?: string; devAuth?: AuthConfig };
  readonly webhookUrl: string;
  readonly partners: { readonly slick: SlickSimulator; readonly grab: GrabSimulator; readonly pmp: PmpSimulator };
  readonly partnerToken: string;
  readonly egress: EmbeddedSlickEgress;
  /** Customer notifications: the SMS and LINE simulators, the notifier (its preferences table) and the tracking links' secret. */
  readonly notifications: {
    readonly sms: SmsSimulator;
    readonly line: LineSimulator;
    readonly notifier: EmbeddedNotifier;
    readonly tracking: { readonly secret: string; readonly linkDays: number; readonly baseUrl: string };
  };
  /** Orders now in each status. */
  readonly statusCounts: ReadonlyMap<number, number>;
  /** Pipes one order into the pipeline (what the demo feed does), resolving once it is processed. */
  pipeOrder(order: unknown): Promise<void>;
  /** Pipes one JSON record into a topic the pipeline reads (a stock count, say), resolving once it is processed. */
  pipe(topicName: string, key: string, value: unknown): Promise<void>;
  /** Writes what the pipeline produced since the last flush to the tables (done every second anyway). */
  flush(): Promise<number>;
  /** Moves the driver's clock to now and runs what falls due (done every second anyway). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The analysts' tables: one in this process, or DATABASE_URL's Postgres when OMNIA_DEMO_USE_DATABASE says so. A
 * DATABASE_URL alone is refused: it is most likely a real database, and the demo would migrate it and fill it with
 * demo orders.
 */
async function embeddedTables(env: NodeJS.ProcessEnv): Promise<{ db: SqlDatabase; where: string }> {
  const { databaseUrl: url, useDatabase, pgDir } = loadSettings(embeddedSettings, {}, env);
  if (url && !useDatabase)
    throw new Error(
      `DATABASE_URL is set (${url.replace(/\/\/[^@/]*@/, '//')}) but KAFKA_BROKERS is not, so this would run the demo and write demo orders into that database. ` +
        'Set KAFKA_BROKERS to run on Kafka; unset DATABASE_URL to run the demo on an embedded Postgres; or set OMNIA_DEMO_USE_DATABASE=true to write the demo into it.',
    );
  const db = url ? pgDatabase(url) : await embeddedPostgres(pgDir);
  return { db, where: url ? url.replace(/\/\/[^@/]*@/, '//') : `embedded Postgres (${pgDir ?? 'in memory'})` };
}

async function migrated(db: SqlDatabase): Promise<void> {
  const session = await db.session();
  try {
    await migrate(session);
  } finally {
    session.release();
  }
}

/** Runs steps on the driver one after another, handing each step's output on. */
class DriverChain {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners: Array<(records: readonly ProducedRecord[]) => void> = [];

  constructor(
    private readonly driver: InProcessRuntime,
    private readonly clock: () => number,
  ) {}

  onOutput(listener: (records: readonly ProducedRecord[]) => void): void {
    this.listeners.push(listener);
  }

  pipe(topic: string, key: Buffer, value: Buffer, timestamp: number): Promise<void> {
    return this.run(async () => {
      await this.clockToNow();
      await this.driver.pipeRaw(topic, key, value, { timestamp });
    });
  }

  tick(): Promise<void> {
    return this.run(() => this.clockToNow());
  }

  /** The driver follows the host's clock, back as well as forward: a step back must not freeze it for the step's length. */
  private clockToNow(): Promise<void> {
    return this.driver.advanceWallClock(this.clock() - this.driver.now);
  }

  private run(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).finally(() => {
      if (this.driver.output.length === 0) return;
      const output = [...this.driver.output];
      this.driver.clearOutput();
      for (const listener of this.listeners) listener(output);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  const log = options.log ?? ((line: string) => console.log(line));
  const config = loadSettings(embeddedSettings, {}, env);
  const orderConfig = loadOrderConfig(env);
  const serdeConfig = serdeConfigFromEnv(env);
  const topic = (name: string) => orderConfig.topicPrefix + name;
  const releaseSerde = serdeFor(topic(Topics.release), 'Release', serdeConfig);
  const paymentSerde = serdeFor(topic(Topics.payment), 'PaymentEvent', serdeConfig);
  const statusSerde = serdeFor(topic(Topics.status), 'StatusChange', serdeConfig);
  const fulfillmentSerde = serdeFor(topic(Topics.fulfillment), 'FulfillmentInteraction', serdeConfig);
  const reconciliationSerde = serdeFor(topic(Topics.reconciliation), 'ReconciliationReport', serdeConfig);

  const driver = new InProcessRuntime(orderTopology(orderConfig, orderSerdes(serdeConfig, orderConfig.topicPrefix)), {
    partitions: PARTITIONS,
    startTime: clock(),
  });
  const tables = options.db ? { db: options.db, where: 'the given database' } : await embeddedTables(env);
  const db = tables.db;
  await migrated(db);
  const sink = new EmbeddedSink(
    db,
    sinkSources({ applicationId: driver.applicationId, topicPrefix: orderConfig.topicPrefix, serdes: serdeConfig }),
  );
  for (const record of referenceData(200))
    await driver.pipeRaw(topic(record.topic), Buffer.from(record.key), Buffer.from(JSON.stringify(record.value)));

  const registry = new Registry();
  const statusFeed = new StatusFeed({ registry });
  const statusCounts = new Map<number, number>();
  let forSink: ProducedRecord[] = [];
  const chain = new DriverChain(driver, clock);

  // Partners: each with a secret of this process (or the configured one), calling the ingress below.
  const webhookConfig = loadWebhookConfig({ host: env.OMNIA_WEBHOOK_HOST ?? '127.0.0.1' }, env);
  const secretOf = (partner: Partner, configured: string | undefined) => configured ?? `${partner}-${randomBytes(24).toString('hex')}`;
  const secrets = {
    slick: secretOf('slick', webhookConfig.slickSecret),
    grab: secretOf('grab', webhookConfig.grabSecret),
    pmp: secretOf('pmp', webhookConfig.pmpSecret),
  };
  // What the webhook ingress accepts and what people's actions send go into the pipeline as any record does; the
  // answer waits until it is processed (the embedded counterpart of "acknowledged by Kafka").
  const intoPipeline = new InProcessPublisher(async (record) => {
    const key = Buffer.from(record.key, 'utf8');
    const partition = partitionForKey(key, PARTITIONS);
    // The sink reads the commands too, as it reads their topics on Kafka: the audit trail of who did what.
    forSink.push({ topic: record.topic, partition, key, value: record.value, timestamp: record.timestamp, headers: { ...record.headers } });
    await chain.pipe(record.topic, key, record.value, record.timestamp);
    return { partition };
  });
  const webhooks = buildWebhookServer({
    secrets,
    publisher: intoPipeline,
    topics: { shipEvents: topic(SHIP_EVENT_TOPIC), deliveryStatus: topic(DELIVERY_STATUS_TOPIC) },
    serdes: {
      shipEvent: serdeFor(topic(SHIP_EVENT_TOPIC), 'ShipEvent', serdeConfig),
      deliveryStatus: serdeFor(topic(DELIVERY_STATUS_TOPIC), 'DeliveryStatus', serdeConfig),
    },
    registry,
    toleranceSeconds: webhookConfig.toleranceSeconds,
    nonceCapacity: webhookConfig.nonceCapacity,
    bodyLimitBytes: webhookConfig.bodyLimitBytes,
  });
  await webhooks.listen({ host: webhookConfig.host, port: env.OMNIA_WEBHOOK_PORT ? webhookConfig.port : 0 });
  const address = webhooks.server.address();
  const webhookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : webhookConfig.port}`;

  const partnerToken = randomBytes(16).toString('hex');
  const webhook = (partner: Partner) => ({ url: webhookUrl, secret: secrets[partner] });
  const grab = new GrabSimulator({ token: partnerToken, webhook: webhook('grab'), autoDeliver: true });
  const pmp = new PmpSimulator({ token: partnerToken, webhook: webhook('pmp'), autoDeliver: true });
  const carriers = { GRAB: { url: await grab.start(), token: partnerToken }, PMP: { url: await pmp.start(), token: partnerToken } };
  const slick = new SlickSimulator({ token: partnerToken, webhook: webhook('slick'), autoShip: true, carriers });
  const slickUrl = await slick.start();

  const slickConfig = loadSlickEgressConfig({}, env);
  const egress = new EmbeddedSlickEgress(new SlickClient({ baseUrl: slickUrl, token: partnerToken, timeoutMs: slickConfig.timeoutMs }), {
    retry: {
      attempts: slickConfig.attempts,
      baseDelayMs: slickConfig.backoffMs,
      maxDelayMs: slickConfig.backoffMaxMs,
      jitter: slickConfig.jitter,
    },
    breaker: { failureThreshold: slickConfig.breakerFailures, coolDownMs: slickConfig.breakerCoolDownMs },
    record: async (interaction: FulfillmentInteraction) => {
      const key = Buffer.from(interaction.ShipFromLocationID, 'utf8');
      forSink.push({
        topic: topic(Topics.fulfillment),
        partition: partitionForKey(key, PARTITIONS),
        key,
        value: fulfillmentSerde.serialize(interaction),
        timestamp: Date.now(),
        headers: {},
      });
    },
    log: (line) => log(`omnia slick-egress: ${line}`),
  });

  chain.onOutput((records) => {
    for (const record of records) {
      if (record.value === null) continue;
      if (record.topic === topic(Topics.status)) {
        const change = statusSerde.deserialize(record.value) as StatusChange;
        statusFeed.publish(change);
        if (change.FromStatus !== null && change.FromStatus !== change.ToStatus)
          statusCounts.set(change.FromStatus, (statusCounts.get(change.FromStatus) ?? 0) - 1);
        if (change.FromStatus !== change.ToStatus) statusCounts.set(change.ToStatus, (statusCounts.get(change.ToStatus) ?? 0) + 1);
      } else if (record.topic === topic(Topics.release)) egress.offerRelease(releaseSerde.deserialize(record.value) as Release);
      else if (record.topic === topic(Topics.payment)) egress.offerPayment(paymentSerde.deserialize(record.value) as PaymentEvent);
      else if (record.topic === topic(Topics.reconciliation)) {
        const report = reconciliationSerde.deserialize(record.value) as ReconciliationReport;
        const exceptions = (report.Exceptions ?? []).map((exception) => `${exception.OrderID} ${exception.Kind} ${exception.Difference}`);
        log(
          `reconciliation ${report.ShipFromLocationID} ${report.BusinessDay}: ${report.ReconciledOrders} orders reconciled (${report.ReconciledAmount}), expected ${report.ExpectedTotal}, collected ${report.CollectedTotal}${exceptions.length ? `; exceptions: ${exceptions.join(', ')}` : ''}`,
        );
      }
    }
    forSink.push(...records);
  });

  const updateSerde = serdeFor(topic(Topics.orderUpdate), 'OrderUpdate', serdeConfig);
  const deliverySerde = serdeFor(topic(Topics.deliveryStatus), 'DeliveryStatus', serdeConfig);
  const bundleSerde = serdeFor(topic(Topics.bundles), 'BundleDefinition', serdeConfig);
  const actionSerde = serdeFor(topic(Topics.exceptionAction), 'ExceptionAction', serdeConfig);
  const returnSerde = serdeFor(topic(Topics.orderReturn), 'ReturnCommand', serdeConfig);
  // The customers' tracking links: the configured secret, or one of this process.
  const trackingConfig = loadTrackingConfig({}, env);
  const tracking = { secret: trackingConfig.secret ?? randomBytes(32).toString('hex'), linkDays: trackingConfig.linkDays };
  const query = await startQueryService({
    tracking,
    db,
    local: driverOrders(driver, PARTITIONS),
    // Actions' commands go into the pipeline as any update does; the 202 waits until it is processed.
    actions: {
      publisher: intoPipeline,
      updateTopic: topic(Topics.orderUpdate),
      encode: (update) => updateSerde.serialize(update),
    },
    // COD cash confirmed by store staff: a delivery status into the pipeline, as a partner's callback is.
    cod: {
      publisher: intoPipeline,
      deliveryTopic: topic(Topics.deliveryStatus),
      encode: (status) => deliverySerde.serialize(status),
    },
    // Decisions on exceptions: into the pipeline, as any command.
    exceptions: {
      publisher: intoPipeline,
      actionTopic: topic(Topics.exceptionAction),
      encode: (action) => actionSerde.serialize(action),
    },
    // Returns asked and received: into the pipeline, as any command.
    returns: {
      publisher: intoPipeline,
      returnTopic: topic(Topics.orderReturn),
      encode: (command) => returnSerde.serialize(command),
    },
    // Bundle definitions go into the driver's global table the same way; the 202 waits until it holds them.
    bundles: {
      catalog: driverBundles(driver),
      publisher: intoPipeline,
      bundleTopic: topic(Topics.bundles),
      encode: (bundle) => bundleSerde.serialize(bundle),
    },
    registry,
    feed: statusFeed,
    readiness: () => ({ ready: true }),
    devSecret: true,
    // A demo on a laptop: this machine only, unless OMNIA_QUERY_HOST says otherwise.
    env: { ...env, OMNIA_QUERY_HOST: env.OMNIA_QUERY_HOST ?? '127.0.0.1' },
  });

  // Customer notifications: each state of the orders store, as the pipeline writes its changelog record, goes to the
  // notifier, which messages the customer through the SMS and LINE simulators (one console line per message).
  const notifyConfig = loadNotifyConfig({}, env);
  const sms = new SmsSimulator({ token: partnerToken });
  const line = new LineSimulator({ token: partnerToken });
  const channelOptions = { token: partnerToken, timeoutMs: notifyConfig.timeoutMs, maxConcurrentCalls: notifyConfig.maxConcurrentCalls };
  const notificationSerde = serdeFor(topic(Topics.notificationSent), 'NotificationOutcome', serdeConfig);
  const trackingBaseUrl = trackingConfig.baseUrl ?? query.url;
  const notifier = new EmbeddedNotifier(
    {
      SMS: new SmsChannel({ ...channelOptions, baseUrl: await sms.start() }),
      LINE: new LineChannel({ ...channelOptions, baseUrl: await line.start() }),
    },
    {
      ...resilienceOf(notifyConfig),
      quietHours: notifyConfig.quietHours,
      timeZone: orderConfig.businessTimeZone,
      defaultLanguage: notifyConfig.defaultLanguage,
      tracking: { ...tracking, baseUrl: trackingBaseUrl },
      maxAgeMs: notifyConfig.maxAgeHours * 3_600_000,
      clock,
      record: async (outcome) => {
        const key = Buffer.from(outcome.ShipFromLocationID, 'utf8');
        forSink.push({
          topic: topic(Topics.notificationSent),
          partition: partitionForKey(key, PARTITIONS),
          key,
          value: notificationSerde.serialize(outcome),
          timestamp: Date.now(),
          headers: {},
        });
      },
      onSent: (outcome) => log(`omnia notify: ${describeSent(outcome)}`),
      log: (text) => log(`omnia notify: ${text}`),
    },
  );
  if (options.demoFeed !== false) for (const preference of demoPreferences(200)) notifier.preferences.set(preference);
  const ordersChangelog = changelogTopic(driver.applicationId, Stores.orders);
  const orderStateSerde = orderSerdes(serdeConfig, orderConfig.topicPrefix).store(Stores.orders);
  chain.onOutput((records) => {
    for (const record of records) {
      if (record.topic !== ordersChangelog || record.value === null) continue;
      try {
        notifier.offer(orderStateSerde.deserialize(record.value) as OrderState);
      } catch (error) {
        // The pipeline goes on whatever becomes of a message.
        log(`omnia notify: an order state was not read: ${(error as Error).message}`);
      }
    }
  });

  let flushing: Promise<number> = Promise.resolve(0);
  const flush = (): Promise<number> => {
    flushing = flushing.then(async () => {
      const batch = forSink;
      forSink = [];
      if (batch.length === 0) return 0;
      const written = await sink.write(batch);
      return [...written.rows.values()].reduce((sum, count) => sum + count, 0);
    });
    return flushing;
  };

  const pipeOrder = (order: unknown): Promise<void> => {
    const { ShipFromLocationID } = order as { ShipFromLocationID: string };
    return chain.pipe(topic(Topics.orderCreate), Buffer.from(ShipFromLocationID), Buffer.from(JSON.stringify(order)), clock());
  };

  // The demo feed, spread over each second, and the once-a-second report.
  let stopped = false;
  let created = 0;
  const feedStarted = Date.now();
  const feed = { stores: config.stores, customers: 200, seed: 42 };
  let feeding: Promise<void> = Promise.resolve();
  const feedTimer =
    options.demoFeed === false
      ? undefined
      : setInterval(() => {
          feeding = feeding
            .then(async () => {
              const due = Math.floor(((Date.now() - feedStarted) / 1000) * config.ordersPerSecond);
              while (created < due && !stopped) await pipeOrder(demoOrder(created++, new Date(clock()), feed));
            })
            .catch((error: unknown) => log(`omnia: demo order not processed: ${(error as Error).message}`));
        }, 100);
  let reported = { created: 0, accepted: 0 };
  const secondTimer = setInterval(() => {
    void (async () => {
      await chain.tick();
      const rows = await flush();
      if (options.demoFeed === false) return;
      const accepted = slick.acceptedReleases;
      const counts = [...statusCounts]
        .filter(([, count]) => count > 0)
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}:${count}`)
        .join(' ');
      const state = egress.status();
      const slickNote = state.breaker === 'closed' ? '' : ` (breaker ${state.breaker}, ${state.queued} waiting)`;
      log(
        `${created} orders (+${created - reported.created}); Slick took ${accepted - reported.accepted} releases${slickNote}; ${rows} rows written; orders by status ${counts}`,
      );
      reported = { created, accepted };
    })().catch((error: unknown) => log(`omnia: ${(error as Error).message}`));
  }, 1_000);

  return {
    driver,
    db,
    tablesAt: tables.where,
    query,
    webhookUrl,
    partners: { slick, grab, pmp },
    partnerToken,
    egress,
    notifications: { sms, line, notifier, tracking: { ...tracking, baseUrl: trackingBaseUrl } },
    statusCounts,
    pipeOrder,
    pipe: (topicName, key, value) => chain.pipe(topic(topicName), Buffer.from(key), Buffer.from(JSON.stringify(value)), clock()),
    flush,
    tick: () => chain.tick(),
    async stop() {
      stopped = true;
      clearInterval(feedTimer);
      clearInterval(secondTimer);
      await feeding;
      await egress.stop();
      await notifier.stop();
      await Promise.allSettled([slick.stop(), grab.stop(), pmp.stop(), sms.stop(), line.stop()]);
      await webhooks.close();
      await flush().catch(() => 0);
      await query.app.close();
      await driver.close();
      if (!options.db) await db.close();
    },
  };
}

/** `omnia start` without KAFKA_BROKERS: starts everything, says where it is, runs until SIGINT / SIGTERM. */
export async function runEmbedded(): Promise<void> {
  // The console is the demo's screen: the per-second lines below, not every component's info logs.
  if (!process.env.OMNIA_LOG_LEVEL) rootLogger.level = 'warn';
  const embedded = await startEmbedded();
  const config = loadSettings(embeddedSettings, {}, process.env);
  const token = embedded.partnerToken;
  console.log(
    `omnia: embedded default (in-process driver, no broker): ${config.ordersPerSecond} demo orders/s from ${config.stores} stores; tables in ${embedded.tablesAt}. Ctrl-C stops.`,
  );
  if (embedded.query.devToken) {
    const link = `${embedded.query.url}/#token=${embedded.query.devToken}`;
    const storeLink = `${embedded.query.url}/#token=${devToken(embedded.query.devAuth!, { sub: 'clerk-QC0001', roles: ['store_staff'], stores: ['QC0001'], expiresInSeconds: 12 * 3600 })}`;
    console.log(`omnia: store web app, signed in as admin (12 h):\n  ${link}\n  as a clerk of store QC0001 (Thai):\n  ${storeLink}`);
    if (config.openBrowser) openInBrowser(link);
    console.log(
      `omnia: query service on ${embedded.query.url} (API docs: ${embedded.query.url}/docs). A token for this process (admin, 12 h):\n  export OMNIA_TOKEN=${embedded.query.devToken}\n  curl -H "authorization: Bearer $OMNIA_TOKEN" ${embedded.query.url}/api/v1/region/pipeline`,
    );
  } else {
    console.log(
      `omnia: query service on ${embedded.query.url} (API docs: ${embedded.query.url}/docs); sign in with a token from the configured issuer (OMNIA_JWT_SECRET, OMNIA_JWT_PUBLIC_KEY or OMNIA_JWT_JWKS_URL): no demo token is printed when one is configured`,
    );
  }
  console.log(
    `omnia: webhook ingress on ${embedded.webhookUrl}; partner simulators (token ${token}): Slick ${embedded.partners.slick.url}, Grab ${embedded.partners.grab.url}, PMP ${embedded.partners.pmp.url}. Make Slick fail half its calls:\n  curl -X POST -H "authorization: Bearer ${token}" -H 'content-type: application/json' -d '{"failureRate":0.5}' ${embedded.partners.slick.url}/_sim/faults`,
  );
  const { sms, line, notifier } = embedded.notifications;
  const notify = loadNotifyConfig({}, process.env);
  console.log(
    `omnia: customer notifications (one line each below) by the SMS simulator ${sms.url} and the LINE simulator ${line.url}, quiet hours ${describeQuietHours(notify.quietHours)} ${loadOrderConfig(process.env).businessTimeZone}; ${notifier.preferences.size} demo customers with their own preferences (English, LINE, opted out). Each message's link opens the order's tracking page. Make SMS fail half its calls:\n  curl -X POST -H "authorization: Bearer ${token}" -H 'content-type: application/json' -d '{"failureRate":0.5}' ${sms.url}/_sim/faults`,
  );
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await embedded.stop();
}

/** Opens the link in the desktop's browser, when there is a desktop and a person at the terminal; silent otherwise. */
function openInBrowser(url: string): void {
  if (process.env.CI || !process.stdout.isTTY) return;
  const command =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? 'explorer'
        : process.env.DISPLAY || process.env.WAYLAND_DISPLAY
          ? 'xdg-open'
          : undefined;
  if (!command) return;
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
