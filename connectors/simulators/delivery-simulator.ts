/**
 * A delivery partner (Grab or PMP) as a real HTTP server: it takes shipped orders and reports their delivery to
 * Omnia's webhook, signed with the partner's secret.
 *
 * API (bearer token, JSON):
 * - `POST /v1/shipments` — `{OrderID, ShipFromLocationID, TrackingID, CodAmount?}` (what Slick hands over when an
 *   order ships), idempotent on TrackingID: 201 first, 200 `{status: "duplicate"}` again. With `autoDeliver` the
 *   delivery callbacks start at once.
 * - `GET /_sim/state`, `POST /_sim/faults` — see partner-server.ts.
 *
 * `deliver(shipment, options)` sends the callbacks to Omnia's webhook ingress (connectors/webhook-server.ts),
 * signed with the partner's secret; bodies are what the ingress reads (connectors/partner-payloads.ts):
 * - Grab: `PUT /api/delivery/status` with `{EventID, OrderID, ShipFromLocationID, Status, CollectedAmount, At}`,
 *   Status in order HANDED_OVER, IN_TRANSIT, OUT_FOR_DELIVERY, [FAILED, RESCHEDULED, OUT_FOR_DELIVERY on a failed
 *   first attempt], DELIVERED, then COLLECTED with CollectedAmount for a COD shipment.
 * - PMP: `POST /api/delivery/pmp/delivered` `{EventID, OrderID, ShipFromLocationID, At}`, then for a COD
 *   shipment `POST /api/delivery/pmp/cash-collected` with CollectedAmount.
 * The collected amount is the shipment's CodAmount unless `collectedAmount` says otherwise (to provoke a
 * reconciliation exception). Event ids are `<PARTNER>-<TrackingID>-<n>`, stable across resends.
 */
import type { DeliveryPartner } from '../../avro/records.js';
import { type Logger, logger as rootLogger } from '../../observability/logger.js';
import { WEBHOOK_ROUTES } from '../webhook-server.js';
import { header, type Faults, PartnerServer, type PartnerAnswer, type PartnerRequest } from './partner-server.js';
import { type Callback, WebhookSender, type WebhookSenderOptions, type WebhookTarget } from './webhook-sender.js';

export interface Shipment {
  readonly OrderID: string;
  readonly ShipFromLocationID: string;
  readonly TrackingID: string;
  /** Cash to collect (decimal string); null or absent for a prepaid order. */
  readonly CodAmount?: string | null;
}

export interface DeliverOptions {
  /** The first delivery attempt fails (DELIVERY_FAILED), then the parcel goes out again and is delivered. */
  readonly failFirstAttempt?: boolean;
  /** Cash reported as collected; default the shipment's CodAmount. */
  readonly collectedAmount?: string;
  /** Stop after this status (e.g. OUT_FOR_DELIVERY: never delivered; Grab only). */
  readonly until?: string;
}

export interface DeliverySimulatorOptions {
  readonly token: string;
  readonly webhook?: WebhookTarget;
  readonly port?: number;
  readonly faults?: Partial<Faults>;
  readonly random?: () => number;
  readonly autoDeliver?: boolean;
  readonly webhookOptions?: WebhookSenderOptions;
}

export class DeliverySimulator {
  readonly server: PartnerServer;
  readonly webhook: WebhookSender;
  readonly shipments = new Map<string, Shipment>();
  duplicatesSeen = 0;
  private readonly delivering = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(
    readonly partner: DeliveryPartner,
    private readonly options: DeliverySimulatorOptions,
  ) {
    this.log = rootLogger.child({ component: `${partner.toLowerCase()}-simulator` });
    this.server = new PartnerServer(partner.toLowerCase(), {
      token: options.token,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.webhook = new WebhookSender(options.webhook, this.server.faults, this.server.random, options.webhookOptions, this.log);
    this.server.route('POST', '/v1/shipments', (request) => this.shipment(request));
  }

  start(): Promise<string> {
    return this.server.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.delivering]);
    await this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  setFaults(faults: Partial<Faults>): void {
    this.server.setFaults(faults);
  }

  down(): Promise<void> {
    return this.server.down();
  }

  up(): Promise<string> {
    return this.server.up();
  }

  counters(): Record<string, unknown> {
    return {
      shipments: this.shipments.size,
      duplicatesSeen: this.duplicatesSeen,
      calls: Object.fromEntries(this.server.calls),
      callbacks: Object.fromEntries(this.webhook.results),
    };
  }

  /** The callbacks a shipment goes through, as sent to the webhook (before callback faults). */
  callbacks(shipment: Shipment, options: DeliverOptions = {}, now: Date = new Date()): Callback[] {
    const cod = shipment.CodAmount ? (options.collectedAmount ?? shipment.CodAmount) : null;
    const statuses =
      this.partner === 'PMP'
        ? ['DELIVERED']
        : [
            'HANDED_OVER',
            'IN_TRANSIT',
            'OUT_FOR_DELIVERY',
            ...(options.failFirstAttempt ? ['FAILED', 'RESCHEDULED', 'OUT_FOR_DELIVERY'] : []),
            'DELIVERED',
          ];
    const end = options.until ? statuses.indexOf(options.until) : -1;
    const steps: Array<[string, string | null]> = (end >= 0 ? statuses.slice(0, end + 1) : statuses).map((status) => [status, null]);
    if (cod !== null && steps[steps.length - 1]?.[0] === 'DELIVERED') steps.push(['COLLECTED', cod]);
    return steps.map(([status, amount], index) => {
      const base = {
        EventID: `${this.partner}-${shipment.TrackingID}-${index + 1}`,
        OrderID: shipment.OrderID,
        ShipFromLocationID: shipment.ShipFromLocationID,
        At: new Date(now.getTime() + index * 60_000).toISOString(),
      };
      if (this.partner === 'GRAB')
        return {
          method: WEBHOOK_ROUTES.grabStatus.method,
          path: WEBHOOK_ROUTES.grabStatus.url,
          body: { ...base, Status: status, CollectedAmount: amount },
        };
      const route = status === 'COLLECTED' ? WEBHOOK_ROUTES.pmpCashCollected : WEBHOOK_ROUTES.pmpDelivered;
      return { method: route.method, path: route.url, body: status === 'COLLECTED' ? { ...base, CollectedAmount: amount } : base };
    });
  }

  /** Sends a shipment's delivery callbacks (the shipment need not have been posted to the API). */
  deliver(shipment: Shipment, options: DeliverOptions = {}): Promise<void> {
    const run = this.webhook.sendSequence(this.callbacks(shipment, options));
    this.delivering.add(run);
    void run.finally(() => this.delivering.delete(run)).catch(() => undefined);
    return run;
  }

  /** Delivers every shipment received through the API, one after another. */
  async deliverAll(options: DeliverOptions = {}): Promise<void> {
    for (const shipment of this.shipments.values()) await this.deliver(shipment, options);
  }

  private shipment(request: PartnerRequest): PartnerAnswer {
    const body = request.body as Partial<Shipment> | null;
    if (!body || typeof body.OrderID !== 'string' || typeof body.ShipFromLocationID !== 'string' || typeof body.TrackingID !== 'string') {
      return {
        status: 400,
        body: { error: 'BAD_REQUEST', message: 'body must carry OrderID, ShipFromLocationID and TrackingID' },
        result: 'bad-request',
      };
    }
    const key = header(request, 'idempotency-key') ?? body.TrackingID;
    if (this.shipments.has(key)) {
      this.duplicatesSeen++;
      return { status: 200, body: { status: 'duplicate', trackingId: key }, result: 'duplicate' };
    }
    const shipment: Shipment = {
      OrderID: body.OrderID,
      ShipFromLocationID: body.ShipFromLocationID,
      TrackingID: body.TrackingID,
      CodAmount: body.CodAmount ?? null,
    };
    this.shipments.set(key, shipment);
    if (this.options.autoDeliver && this.options.webhook)
      void this.deliver(shipment).catch((error: unknown) =>
        this.log.error({ OrderID: shipment.OrderID, TrackingID: shipment.TrackingID, err: error }, 'delivery callbacks not sent'),
      );
    return { status: 201, body: { status: 'accepted', trackingId: key }, result: 'accepted' };
  }
}
