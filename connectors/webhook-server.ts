/**
 * Signed webhook ingress: partner events in, Kafka records out, acknowledged only once Kafka has them.
 *
 *   POST /api/fulfillment/ship-events        Slick  → fulfillment.ship-event.v1 (ShipEvent)
 *   PUT  /api/delivery/status                Grab   → delivery.status.v1 (DeliveryStatus, Partner GRAB)
 *   POST /api/delivery/pmp/delivered         PMP    → delivery.status.v1 (Status DELIVERED)
 *   POST /api/delivery/pmp/cash-collected    PMP    → delivery.status.v1 (Status COLLECTED, CollectedAmount)
 *   GET  /health/live, /health/ready, /metrics
 *
 * Each webhook request, in order (the first failure answers; nothing rejected reaches Kafka):
 *   1. body read as raw bytes (application/json only: 415 otherwise; 413 over the body limit; 408 when it takes
 *      longer than the body timeout, webhook-timeouts.ts)
 *   2. signature over the raw bytes with the route's partner secret, or its previous one during a rotation
 *      (signature.ts; which one matched is counted)
 *        → 401 SIGNATURE_INVALID (missing, malformed, forged, another partner's secret)
 *        → 401 TIMESTAMP_OUT_OF_WINDOW (correctly signed, timestamp more than the window from our clock)
 *   3. nonce claimed for this partner with the digest of the signed bytes (nonce-cache.ts in-process, or
 *      redis-nonce-store.ts shared by the replicas)
 *        → 409 NONCE_REPLAYED (spent, or another request's); 503 NONCE_IN_PROGRESS (the identical request is being
 *          handled); 503 NONCE_CAPACITY when full; 503 NONCE_STORE_UNAVAILABLE when Redis does not answer
 *   4. JSON parsed → 400 MALFORMED_JSON; partner schema (partner-payloads.ts) → 400 VALIDATION_FAILED, every field
 *      (the nonce is spent: the same bytes would be refused the same)
 *   5. record produced, keyed and partitioned by ShipFromLocationID, acks awaited
 *        → 503 PRODUCE_FAILED (the nonce is released: nothing was accepted, so an identical retry is welcome)
 *   6. nonce spent, 202 { accepted: true, eventId }
 *
 * A claim is this attempt's, for a lease (`nonceLeaseMs`: the produce timeout and 5 s for the store's round trips):
 * an identical request meanwhile is told 503 NONCE_IN_PROGRESS, so concurrent resends publish once. A claim whose
 * answer did not come back in time (it may have landed) is given back at once; if the store cannot take it back
 * either, the identical retry takes it over when its lease is over — a 503 never leaves a nonce spent.
 *
 * A retry after a 503 (or a lost 202) carries the same EventID; downstream stages ignore a repeated EventID, so
 * at-least-once delivery here is exactly-once in effect. Only signed requests reach body parsing, so an
 * unauthenticated caller learns nothing about the payload schema.
 *
 * The produce is bounded by a cockatiel timeout (`produceTimeoutMs`, aggressive: the request is answered 503 at
 * the deadline); it is not retried here — the partner retries on the 503, with the same EventID. Fastify logs
 * with the project logger (component webhook-ingress): every line of a request carries its id, taken from
 * `X-Request-Id` when the caller sends a usable one and returned in the response's `X-Request-Id`. Headers are
 * not logged, so neither signatures nor tokens are.
 */
import { accessLog, quietRequests } from '../observability/access-log.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { TaskCancelledError, timeout, TimeoutStrategy } from 'cockatiel';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { prepareSerdes, type SerdeConfig, serdeConfigFromEnv } from '../avro/config.js';
import type { DeliveryStatus, ShipEvent } from '../avro/records.js';
import { jsonSerde, serdeFor } from '../avro/serdes.js';
import { loadConfig } from '../runtime/config.js';
import { type Logger, logger as rootLogger } from '../observability/logger.js';
import type { KafkaClient } from '../topology/kafka/client.js';
import { Topics } from '../topology/topics.js';
import { PlatformaticClient } from '../topology/kafka/platformatic-client.js';
import { kafkaConnection } from '../topology/kafka/connection.js';
import { ApiError, errorBody, installErrorHandlers, sendError } from '../query-service/errors.js';
import { installSecurityHeaders } from '../http/security-headers.js';
import type { Serde } from '../serdes/serde.js';
import { type ClaimResult, NonceCache, type NonceClaim, type NonceStore } from './nonce-cache.js';
import { NonceStoreUnavailableError, RedisNonceStore } from './redis-nonce-store.js';
import {
  cashCollectedFromPmp,
  deliveredFromPmp,
  deliveryStatusFromGrab,
  type PayloadResult,
  shipEventFromSlick,
} from './partner-payloads.js';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from './signature.js';
import { loadWebhookConfig, type Partner, type PartnerSecrets, partnerSecrets, type WebhookConfig } from './webhook-config.js';
import { answerClientErrors, type ConnectionTimeouts, connectionTimeoutOptions, DEFAULT_CONNECTION_TIMEOUTS } from './webhook-timeouts.js';
import { KafkaWebhookPublisher, PublishError, type WebhookPublisher } from './webhook-publisher.js';

export const SHIP_EVENT_TOPIC = Topics.shipEvent;
export const DELIVERY_STATUS_TOPIC = Topics.deliveryStatus;
export const REQUEST_ID_HEADER = 'x-request-id';
/** Beyond the produce timeout, how long a claim is held for its attempt: the nonce store's round trips and parsing. */
export const NONCE_LEASE_MARGIN_MS = 5_000;

/** The caller's X-Request-Id when it is a plain token (no spaces or control characters, ≤ 128), else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[A-Za-z0-9._:@/+=-]{1,128}$/.test(given) ? given : randomUUID();
}

export const WEBHOOK_ROUTES = {
  slickShipEvents: { method: 'POST', url: '/api/fulfillment/ship-events', partner: 'slick' },
  grabStatus: { method: 'PUT', url: '/api/delivery/status', partner: 'grab' },
  pmpDelivered: { method: 'POST', url: '/api/delivery/pmp/delivered', partner: 'pmp' },
  pmpCashCollected: { method: 'POST', url: '/api/delivery/pmp/cash-collected', partner: 'pmp' },
} as const satisfies Record<string, { method: 'POST' | 'PUT'; url: string; partner: Partner }>;

/** An attempt's id on its nonce claim: 96 random bits as one flat string (a randomUUID() string is built of pieces, ~500 bytes of heap for as long as the nonce is remembered). */
const newHolder = (): string => randomBytes(12).toString('base64url');

/** Which of a partner's secrets signed a request, as `omnia_webhook_accepted_total` labels it. */
export const SECRET_LABELS = ['current', 'previous'] as const;
export type SecretLabel = (typeof SECRET_LABELS)[number];

export interface WebhookServerOptions {
  /** Each partner's HMAC secret, or its current and previous ones during a rotation. */
  secrets: Readonly<Record<Partner, string | PartnerSecrets>>;
  publisher: WebhookPublisher;
  topics?: { shipEvents?: string; deliveryStatus?: string };
  /** Value serdes; default JSON (what `serdeFor` gives without format settings). */
  serdes?: { shipEvent?: Serde<ShipEvent>; deliveryStatus?: Serde<DeliveryStatus> };
  /** Registry /metrics exposes; default a registry of its own. */
  registry?: Registry;
  toleranceSeconds?: number;
  /** Where nonces are remembered; default an in-process NonceCache of `nonceCapacity` entries. */
  nonces?: NonceStore;
  nonceCapacity?: number;
  bodyLimitBytes?: number;
  produceTimeoutMs?: number;
  /** How long a claimed nonce is held for its attempt before an identical request may take it over; default the produce timeout + 5 s. */
  nonceLeaseMs?: number;
  /** Header, body, idle and keep-alive timeouts (webhook-timeouts.ts); each defaults as its setting does. */
  timeouts?: Partial<ConnectionTimeouts>;
  /** Clock (ms) of the timestamp window, nonce expiry and record timestamps; tests move it. */
  now?: () => number;
  /** Fastify's logger and the ingress's; default the project logger (component webhook-ingress). */
  logger?: Logger;
}

const metric = <T>(registry: Registry, name: string, create: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? create();

function webhookMetrics(registry: Registry, nonces: NonceStore) {
  return {
    accepted: metric(
      registry,
      'omnia_webhook_accepted_total',
      () =>
        new Counter({
          name: 'omnia_webhook_accepted_total',
          help: 'Webhook events produced to Kafka and acknowledged, by partner and the secret that signed them (current or previous)',
          labelNames: ['partner', 'secret'] as const,
          registers: [registry],
        }),
    ),
    rejected: metric(
      registry,
      'omnia_webhook_rejected_total',
      () =>
        new Counter({
          name: 'omnia_webhook_rejected_total',
          help: 'Webhook requests refused, by partner and error code',
          labelNames: ['partner', 'code'] as const,
          registers: [registry],
        }),
    ),
    produceSeconds: metric(
      registry,
      'omnia_webhook_produce_seconds',
      () =>
        new Histogram({
          name: 'omnia_webhook_produce_seconds',
          help: 'Time from handing an accepted event to the producer to its acks, by topic (failures included)',
          labelNames: ['topic'] as const,
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
    nonces: metric(
      registry,
      'omnia_webhook_nonces',
      () =>
        new Gauge({
          name: 'omnia_webhook_nonces',
          help: 'Nonces remembered for replay detection',
          registers: [registry],
          collect() {
            this.set(nonces.size);
          },
        }),
    ),
  };
}

interface Outcome {
  partner: Partner;
  code: string;
  secret?: SecretLabel;
}

/** The secrets a signature is checked against, current first; throws on an empty one (a partner without a secret). */
function secretsOf(partner: Partner, given: string | PartnerSecrets | undefined): string[] {
  const { current, previous } = typeof given === 'string' ? { current: given, previous: undefined } : (given ?? { current: '' });
  if (!current) throw new Error(`webhook ingress: no secret for ${partner}`);
  if (previous === undefined) return [current];
  if (!previous) throw new Error(`webhook ingress: the previous secret of ${partner} is empty`);
  return [current, previous];
}

/** The ingress, routes registered, not listening; `await app.ready()` or `app.listen()` next. */
export function buildWebhookServer(options: WebhookServerOptions): FastifyInstance {
  const now = options.now ?? Date.now;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nonces = options.nonces ?? NonceCache.forWindow(tolerance, options.nonceCapacity ?? 500_000);
  const produceTimeoutMs = options.produceTimeoutMs ?? 10_000;
  const nonceLeaseMs = options.nonceLeaseMs ?? produceTimeoutMs + NONCE_LEASE_MARGIN_MS;
  const registry = options.registry ?? new Registry();
  const metrics = webhookMetrics(registry, nonces);
  const shipEventTopic = options.topics?.shipEvents ?? SHIP_EVENT_TOPIC;
  const deliveryStatusTopic = options.topics?.deliveryStatus ?? DELIVERY_STATUS_TOPIC;
  const shipEventSerde = options.serdes?.shipEvent ?? jsonSerde<ShipEvent>('ShipEvent', shipEventTopic);
  const deliveryStatusSerde = options.serdes?.deliveryStatus ?? jsonSerde<DeliveryStatus>('DeliveryStatus', deliveryStatusTopic);
  const secrets = Object.fromEntries(
    Object.values(WEBHOOK_ROUTES).map(({ partner }) => [partner, secretsOf(partner, options.secrets[partner])]),
  ) as Record<Partner, string[]>;
  const log = options.logger ?? rootLogger.child({ component: 'webhook-ingress' });
  for (const [partner, keys] of Object.entries(secrets))
    if (keys.length > 1) log.info({ partner }, 'previous webhook secret accepted too, until it is unset (rotation)');

  const partnerOfRoute = new Map<string, Partner>(
    Object.values(WEBHOOK_ROUTES).map((route) => [`${route.method} ${route.url}`, route.partner]),
  );
  // The partner of the request a connection carries, so a refusal Node makes on the connection is counted.
  const partnerOfSocket = new WeakMap<Socket, Partner>();
  const produceTimeout = timeout(produceTimeoutMs, TimeoutStrategy.Aggressive);
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; said so, the instance keeps Fastify's default type.
    loggerInstance: log as FastifyBaseLogger,
    requestIdHeader: false,
    logController: quietRequests(),
    genReqId: requestIdOf,
    bodyLimit: options.bodyLimitBytes ?? 256 * 1024,
    return503OnClosing: true,
    ...connectionTimeoutOptions({ ...DEFAULT_CONNECTION_TIMEOUTS, ...options.timeouts }, produceTimeoutMs),
    clientErrorHandler: answerClientErrors((socket, code) => {
      const partner = partnerOfSocket.get(socket);
      if (partner) metrics.rejected.inc({ partner, code });
    }),
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    const partner = partnerOfRoute.get(`${request.method} ${request.routeOptions.url ?? ''}`);
    if (partner) partnerOfSocket.set(request.raw.socket, partner);
  });
  installErrorHandlers(app);
  installSecurityHeaders(app);

  // The signature covers the bytes as sent: keep the body as a Buffer and parse it only after verifying.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const outcomes = new WeakMap<FastifyRequest, Outcome>();
  accessLog(app);
  app.addHook('onResponse', async (request, reply) => {
    partnerOfSocket.delete(request.raw.socket);
    const outcome = outcomes.get(request);
    const partner = outcome?.partner ?? partnerOfRoute.get(`${request.method} ${request.routeOptions.url ?? ''}`);
    if (!partner) return;
    if (reply.statusCode < 300) metrics.accepted.inc({ partner, secret: outcome?.secret ?? 'current' });
    else metrics.rejected.inc({ partner, code: outcome?.code ?? `HTTP_${reply.statusCode}` });
  });

  const partnerOfClaim = (claim: NonceClaim) => claim.key.slice(0, claim.key.indexOf(':'));

  /** Gives back the claim of a request that was not accepted, so that its identical retry is accepted. */
  async function release(request: FastifyRequest, claim: NonceClaim): Promise<void> {
    try {
      await nonces.release(claim);
    } catch (error) {
      request.log.warn(
        { partner: partnerOfClaim(claim), err: error },
        `nonce not released: an identical retry gets 503 NONCE_IN_PROGRESS for up to ${nonceLeaseMs} ms, then is accepted (a new nonce passes at once)`,
      );
    }
  }

  /**
   * A claim whose answer did not come back may have landed all the same: given back without waiting (the 503 is
   * not held up), sent after the claim on the same connection, so Redis runs it after the claim. An outage is
   * logged by the store; if this fails too, the identical retry takes the claim over once its lease is over.
   */
  function abandon(request: FastifyRequest, claim: NonceClaim): void {
    Promise.resolve()
      .then(() => nonces.release(claim))
      .catch((error: unknown) =>
        request.log.debug({ partner: partnerOfClaim(claim), err: error }, 'unanswered nonce claim not given back'),
      );
  }

  /** Marks the claim's request done; `accepted` says whether its event was published (a failure then matters). */
  async function spend(request: FastifyRequest, claim: NonceClaim, accepted: boolean): Promise<void> {
    const level = accepted ? 'warn' : 'debug';
    const consequence = accepted
      ? `an identical request after ${nonceLeaseMs} ms may be published again (a repeated EventID, ignored downstream)`
      : 'an identical request is refused again once its lease is over';
    try {
      if (!(await nonces.spend(claim)))
        request.log[level]({ partner: partnerOfClaim(claim) }, `nonce claim taken over before it was spent: ${consequence}`);
    } catch (error) {
      request.log[level]({ partner: partnerOfClaim(claim), err: error }, `nonce not spent: ${consequence}`);
    }
  }

  function refuse(
    request: FastifyRequest,
    partner: Partner,
    status: number,
    code: string,
    message: string,
    details?: unknown,
    headers?: Record<string, string>,
  ): never {
    outcomes.set(request, { partner, code });
    throw new ApiError(status, code, message, details, headers);
  }

  function route<T extends { EventID: string; OrderID: string; ShipFromLocationID: string }>(
    spec: { method: 'POST' | 'PUT'; url: string; partner: Partner },
    parse: (body: unknown) => PayloadResult<T>,
    topic: string,
    serde: Serde<T>,
  ): void {
    const keys = secrets[spec.partner];
    app.route({
      method: spec.method,
      url: spec.url,
      // A 503 refusal is answered here: its line (partner, order) is already logged, at the level it deserves.
      // Everything else goes on to the service's error handler.
      errorHandler: (error, _request, reply) => {
        if (!(error instanceof ApiError && error.statusCode === 503)) throw error;
        void sendError(reply, 503, errorBody(error.code, error.message), error.headers);
      },
      handler: async (request, reply) => {
        const { partner } = spec;
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const verified = verifyWebhook(keys, raw, request.headers, { toleranceSeconds: tolerance, nowMs: now() });
        if (!verified.ok)
          refuse(request, partner, 401, verified.code, verified.message, undefined, { 'www-authenticate': 'Omnia-HMAC-SHA256' });
        const secret = SECRET_LABELS[verified.secretIndex]!;

        const claim: NonceClaim = {
          key: `${partner}:${verified.nonce}`,
          digest: verified.digest,
          holder: newHolder(),
          leaseMs: nonceLeaseMs,
        };
        let claimed: ClaimResult;
        try {
          claimed = await nonces.claim(claim, now());
        } catch (error) {
          // A request whose replay cannot be ruled out is not accepted; the partner retries it as it is. An outage
          // is logged once by the store (redis-nonce-store.ts); each refused request only at debug.
          abandon(request, claim);
          if (error instanceof NonceStoreUnavailableError) request.log.debug({ partner, err: error }, 'nonce store unavailable: 503');
          else request.log.error({ partner, err: error }, 'nonce not claimed: 503');
          refuse(request, partner, 503, 'NONCE_STORE_UNAVAILABLE', 'replay protection is unavailable; retry shortly', undefined, {
            'retry-after': '1',
          });
        }
        if (claimed === 'replayed')
          refuse(request, partner, 409, 'NONCE_REPLAYED', 'this X-Omnia-Nonce was already used; sign every request with a new nonce');
        if (claimed === 'in-progress')
          refuse(request, partner, 503, 'NONCE_IN_PROGRESS', 'the identical request is being handled; retry shortly', undefined, {
            'retry-after': '1',
          });
        if (claimed === 'full') {
          request.log.warn(
            { partner, nonces: nonces.size },
            'nonce memory full of live nonces: 503 NONCE_CAPACITY (raise OMNIA_WEBHOOK_NONCE_CAPACITY or share nonces in Redis)',
          );
          refuse(request, partner, 503, 'NONCE_CAPACITY', 'too many recent requests to remember their nonces; retry shortly', undefined, {
            'retry-after': '5',
          });
        }

        let record: T;
        let value: Buffer;
        try {
          let json: unknown;
          try {
            json = JSON.parse(raw.toString('utf8'));
          } catch (error) {
            refuse(request, partner, 400, 'MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message}`);
          }
          const parsed = parse(json);
          if (!parsed.ok) {
            const details = parsed.errors.map((error) => ({ location: 'body', ...error }));
            refuse(
              request,
              partner,
              400,
              'VALIDATION_FAILED',
              `Invalid body: ${[...new Set(details.map((detail) => detail.field))].join(', ')}`,
              details,
            );
          }
          record = parsed.record;
          value = serde.serialize(record);
        } catch (error) {
          // A refused body spends its nonce (resending it would be refused the same); an encoding bug releases it.
          if (error instanceof ApiError) await spend(request, claim, false);
          else {
            request.log.error({ partner, topic, err: error }, 'accepted event not encoded');
            await release(request, claim);
          }
          throw error;
        }

        const started = performance.now();
        const where = { partner, OrderID: record.OrderID, EventID: record.EventID, ShipFromLocationID: record.ShipFromLocationID, topic };
        try {
          const { partition } = await produceTimeout.execute(() => publisherPublish(topic, record, value));
          request.log.debug({ ...where, partition, secret }, 'webhook event produced');
        } catch (error) {
          await release(request, claim);
          const partition = error instanceof PublishError ? error.partition : undefined;
          const why = error instanceof TaskCancelledError ? `no acks within ${produceTimeoutMs} ms` : 'the send failed';
          request.log.warn(
            { ...where, partition, err: error },
            `webhook event not produced (${why}): 503 PRODUCE_FAILED, the partner retries`,
          );
          refuse(
            request,
            partner,
            503,
            'PRODUCE_FAILED',
            'the event could not be stored; retry (the same EventID is safe to resend)',
            undefined,
            { 'retry-after': '1' },
          );
        } finally {
          metrics.produceSeconds.observe({ topic }, (performance.now() - started) / 1000);
        }
        await spend(request, claim, true);
        outcomes.set(request, { partner, code: 'ACCEPTED', secret });
        return reply.code(202).send({ accepted: true, eventId: record.EventID });
      },
    });
  }

  const publisherPublish = (topic: string, record: { ShipFromLocationID: string }, value: Buffer) =>
    options.publisher.publish({ topic, key: record.ShipFromLocationID, value, timestamp: now() });

  route(WEBHOOK_ROUTES.slickShipEvents, shipEventFromSlick, shipEventTopic, shipEventSerde);
  route(WEBHOOK_ROUTES.grabStatus, deliveryStatusFromGrab, deliveryStatusTopic, deliveryStatusSerde);
  route(WEBHOOK_ROUTES.pmpDelivered, deliveredFromPmp, deliveryStatusTopic, deliveryStatusSerde);
  route(WEBHOOK_ROUTES.pmpCashCollected, cashCollectedFromPmp, deliveryStatusTopic, deliveryStatusSerde);

  app.get('/health/live', async () => ({ live: true }));
  app.get('/health/ready', async (_request, reply) => {
    const readiness = await options.publisher.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .send(readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason ?? 'not ready' });
  });
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}

export interface RunningWebhookServer {
  app: FastifyInstance;
  /** http://host:port the server listens on. */
  url: string;
  publisher: KafkaWebhookPublisher;
  /** Stops taking requests (in-flight ones finish, new ones get 503), then closes the producer. */
  close(): Promise<void>;
}

/**
 * The ingress as a service: settings from the environment (`webhook-config.ts`, KAFKA_BROKERS, the serde format
 * variables), topics checked, producer opened, listening. Refuses to start without every partner's secret or
 * with a topic missing.
 */
export async function startWebhookServer(
  options: {
    config?: Partial<WebhookConfig>;
    env?: NodeJS.ProcessEnv;
    client?: KafkaClient;
    serdeConfig?: SerdeConfig;
    topics?: WebhookServerOptions['topics'];
    registry?: Registry;
    logger?: Logger;
  } = {},
): Promise<RunningWebhookServer> {
  const env = options.env ?? process.env;
  const config = loadWebhookConfig(options.config, env);
  const secrets = partnerSecrets(config);
  const ownClient = () => {
    const brokers = loadConfig({}, env).bootstrapServers;
    return new PlatformaticClient(brokers, 'omnia-webhooks', kafkaConnection(brokers, env));
  };
  const client = options.client ?? ownClient();
  const topics = {
    shipEvents: options.topics?.shipEvents ?? SHIP_EVENT_TOPIC,
    deliveryStatus: options.topics?.deliveryStatus ?? DELIVERY_STATUS_TOPIC,
  };
  const serdeConfig = options.serdeConfig ?? serdeConfigFromEnv(env);
  const serdes = {
    shipEvent: serdeFor(topics.shipEvents, 'ShipEvent', serdeConfig),
    deliveryStatus: serdeFor(topics.deliveryStatus, 'DeliveryStatus', serdeConfig),
  };
  await prepareSerdes(serdeConfig);
  // Shared by the replicas when configured; otherwise each process remembers its own (nonce-cache.ts).
  const sharedNonces = config.nonceRedisUrl
    ? await RedisNonceStore.forWindow(config.nonceRedisUrl, config.toleranceSeconds, options.logger ? { logger: options.logger } : {})
    : undefined;
  const publisher = new KafkaWebhookPublisher(client, [topics.shipEvents, topics.deliveryStatus], options.logger);
  try {
    await publisher.start();
  } catch (error) {
    await sharedNonces?.close();
    throw error;
  }
  const app = buildWebhookServer({
    secrets,
    publisher,
    topics,
    serdes,
    registry: options.registry,
    toleranceSeconds: config.toleranceSeconds,
    ...(sharedNonces ? { nonces: sharedNonces } : { nonceCapacity: config.nonceCapacity }),
    bodyLimitBytes: config.bodyLimitBytes,
    produceTimeoutMs: config.produceTimeoutMs,
    timeouts: {
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    },
    logger: options.logger,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await publisher.close();
    await sharedNonces?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    app,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    publisher,
    close: async () => {
      await app.close();
      await publisher.close();
      await sharedNonces?.close();
    },
  };
}
