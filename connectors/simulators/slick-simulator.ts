/**
 * Slick, the store fulfillment system, as a real HTTP server for tests and the embedded default.
 *
 * API (bearer token, JSON):
 * - `POST /v1/releases` — body a Release (docs/contract.md §8), header `Idempotency-Key` = its ReleaseID. 201 the first
 *   time; 200 `{status: "duplicate"}` for the same key and payload again (counted in `duplicatesSeen`); 409 for
 *   the same key with another payload; 400 without a key or with a key other than the ReleaseID.
 * - `POST /v1/collections` — `{OrderID, ShipFromLocationID, Amount, CollectedAt}`, `Idempotency-Key` (the
 *   connector sends `COLLECTED-<OrderID>`): the COD cash of the order was collected. 201 first, 200 again.
 * - `GET /_sim/state`, `POST /_sim/faults` — see partner-server.ts.
 *
 * Ship events: `ship(releaseId)` (or `autoShip`) calls the webhook ingress (`POST /api/fulfillment/ship-events`,
 * connectors/webhook-server.ts) with the order's steps picking → picked → packed → shipped, each signed with
 * Slick's secret, whose body is a ShipEvent (the JSON view of the Avro record: EventID,
 * OrderID, ShipFromLocationID, EventType, TrackingID, Carrier, EstimatedDelivery, Lines, At); `shipped` carries
 * the tracking id, carrier and estimated delivery. With `carriers` set, a shipped release is also handed to
 * that delivery partner simulator (`POST /v1/shipments`), which then reports the delivery.
 */
import { createHash } from 'node:crypto';
import { timeout, TimeoutStrategy } from 'cockatiel';
import { type Logger, logger as rootLogger } from '../../observability/logger.js';
import type { Release, ShipEvent, ShipEventType } from '../../avro/records.js';
import { header, type Faults, PartnerServer, type PartnerRequest, type PartnerAnswer } from './partner-server.js';
import { WEBHOOK_ROUTES } from '../webhook-server.js';
import { WebhookSender, type WebhookSenderOptions, type WebhookTarget } from './webhook-sender.js';

export type Carrier = 'GRAB' | 'PMP';

export interface SlickSimulatorOptions {
  readonly token: string;
  /** Omnia's webhook ingress (base URL; ship events go to POST /api/fulfillment/ship-events) and Slick's secret. */
  readonly webhook?: WebhookTarget;
  readonly port?: number;
  readonly faults?: Partial<Faults>;
  readonly random?: () => number;
  /** Emit the ship events of every accepted release by itself. */
  readonly autoShip?: boolean;
  /** Carrier of a release: GRAB or PMP; default alternates by a hash of the ReleaseID. */
  readonly carrierFor?: (release: Release) => Carrier;
  /** Delivery partner simulators to hand shipped releases to: base URL and bearer token per carrier. */
  readonly carriers?: Partial<Record<Carrier, { readonly url: string; readonly token: string }>>;
  readonly webhookOptions?: WebhookSenderOptions;
}

interface Stored {
  readonly release: Release;
  readonly digest: string;
}

export const SHIP_STEPS: readonly ShipEventType[] = ['picking', 'picked', 'packed', 'shipped'];

const digestOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export class SlickSimulator {
  readonly server: PartnerServer;
  readonly webhook: WebhookSender;
  private readonly stored = new Map<string, Stored>();
  private readonly collectionStore = new Map<string, { body: unknown; digest: string }>();
  /** Every POST /v1/releases that reached the handler, per ReleaseID (accepted and duplicates). */
  readonly releaseCalls = new Map<string, number>();
  duplicatesSeen = 0;
  collectionDuplicatesSeen = 0;
  private readonly shipping = new Set<Promise<void>>();
  private readonly log: Logger = rootLogger.child({ component: 'slick-simulator' });
  /** The hand-over of a shipped release to its carrier: one attempt, aborted after 5 s. */
  private readonly handOverTimeout = timeout(5_000, TimeoutStrategy.Cooperative);

  constructor(private readonly options: SlickSimulatorOptions) {
    this.server = new PartnerServer('slick', {
      token: options.token,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.webhook = new WebhookSender(options.webhook, this.server.faults, this.server.random, options.webhookOptions, this.log);
    this.server.route('POST', '/v1/releases', (request) => this.release(request));
    this.server.route('POST', '/v1/collections', (request) => this.collection(request));
  }

  start(): Promise<string> {
    return this.server.start();
  }

  /** Waits for ship events in flight, then closes. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.shipping]);
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

  /** Items Slick's catalogue does not know: a release with one is refused 422 UNKNOWN_ITEM until `knowItem`. */
  readonly unknownItems = new Set<string>();

  /** Slick learns an item (the fix a refused release waits for). */
  knowItem(itemId: string): void {
    this.unknownItems.delete(itemId);
  }

  /** Releases accepted, in acceptance order. */
  get releases(): Release[] {
    return [...this.stored.values()].map((entry) => entry.release);
  }

  /** Distinct releases accepted. */
  get acceptedReleases(): number {
    return this.stored.size;
  }

  /** Whether a release was accepted (once: a repeat of its key is a duplicate, never a second acceptance). */
  hasRelease(releaseId: string): boolean {
    return this.stored.has(releaseId);
  }

  /** Collection confirmations accepted, by OrderID. */
  get collections(): Map<string, unknown> {
    return new Map([...this.collectionStore].map(([key, entry]) => [key, entry.body]));
  }

  counters(): Record<string, unknown> {
    return {
      acceptedReleases: this.acceptedReleases,
      duplicatesSeen: this.duplicatesSeen,
      collections: this.collectionStore.size,
      collectionDuplicatesSeen: this.collectionDuplicatesSeen,
      calls: Object.fromEntries(this.server.calls),
      callbacks: Object.fromEntries(this.webhook.results),
    };
  }

  /** Sends the ship events of an accepted release (picking → picked → packed → shipped). */
  ship(releaseId: string): Promise<void> {
    const entry = this.stored.get(releaseId);
    if (!entry) return Promise.reject(new Error(`slick simulator: release ${releaseId} was not accepted`));
    const run = this.shipRelease(entry.release);
    this.shipping.add(run);
    void run.finally(() => this.shipping.delete(run)).catch(() => undefined);
    return run;
  }

  /** Ship events of every accepted release, one release after another. */
  async shipAll(): Promise<void> {
    for (const release of this.releases) await this.ship(release.ReleaseID);
  }

  /** The ShipEvents a release goes through, as sent to the webhook. */
  shipEvents(release: Release, now: Date = new Date()): ShipEvent[] {
    const carrier = this.carrierOf(release);
    const trackingId = `${carrier}-${release.ReleaseID}`;
    return SHIP_STEPS.map((step, index) => {
      const shipped = step === 'shipped';
      return {
        EventID: `SLK-${release.ReleaseID}-${step}`,
        OrderID: release.OrderID,
        ShipFromLocationID: release.ShipFromLocationID,
        EventType: step,
        TrackingID: shipped ? trackingId : null,
        Carrier: shipped ? carrier : null,
        EstimatedDelivery: shipped ? new Date(now.getTime() + 2 * 3_600_000).toISOString() : null,
        Lines: null,
        At: new Date(now.getTime() + index * 1_000).toISOString(),
      };
    });
  }

  private carrierOf(release: Release): Carrier {
    if (this.options.carrierFor) return this.options.carrierFor(release);
    return createHash('sha256').update(release.ReleaseID).digest()[0]! % 2 === 0 ? 'GRAB' : 'PMP';
  }

  private async shipRelease(release: Release): Promise<void> {
    const events = this.shipEvents(release);
    const route = WEBHOOK_ROUTES.slickShipEvents;
    await this.webhook.sendSequence(events.map((body) => ({ method: route.method, path: route.url, body })));
    const shipped = events[events.length - 1]!;
    const partner = this.options.carriers?.[shipped.Carrier as Carrier];
    if (!partner) return;
    const fields = { carrier: shipped.Carrier, OrderID: release.OrderID, ReleaseID: release.ReleaseID, TrackingID: shipped.TrackingID };
    try {
      const status = await this.handOverTimeout.execute(async ({ signal }) => {
        const response = await fetch(`${partner.url.replace(/\/+$/, '')}/v1/shipments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${partner.token}`, 'content-type': 'application/json', 'idempotency-key': shipped.TrackingID! },
          body: JSON.stringify({
            OrderID: release.OrderID,
            ShipFromLocationID: release.ShipFromLocationID,
            TrackingID: shipped.TrackingID,
            CodAmount: release.PaymentMethod === 'COD' ? release.CodAmount : null,
          }),
          signal,
        });
        await response.text().catch(() => '');
        return response.status;
      });
      if (status >= 300) this.log.warn({ ...fields, status }, 'shipped release not handed to its carrier: refused');
    } catch (error) {
      this.log.warn({ ...fields, err: error }, 'shipped release not handed to its carrier: no answer');
    }
  }

  private release(request: PartnerRequest): PartnerAnswer {
    const key = header(request, 'idempotency-key');
    const release = request.body as Release | null;
    if (!key)
      return {
        status: 400,
        body: { error: 'IDEMPOTENCY_KEY_REQUIRED', message: 'Idempotency-Key header is required' },
        result: 'bad-request',
      };
    if (!release || typeof release !== 'object' || typeof release.ReleaseID !== 'string' || typeof release.OrderID !== 'string') {
      return {
        status: 400,
        body: { error: 'BAD_REQUEST', message: 'body must be a Release with ReleaseID and OrderID' },
        result: 'bad-request',
      };
    }
    if (key !== release.ReleaseID)
      return {
        status: 400,
        body: { error: 'KEY_MISMATCH', message: `Idempotency-Key ${key} is not the ReleaseID ${release.ReleaseID}` },
        result: 'bad-request',
      };
    this.releaseCalls.set(key, (this.releaseCalls.get(key) ?? 0) + 1);
    const unknown = (release.ReleaseLines ?? []).find((line) => this.unknownItems.has(line.ItemID));
    if (unknown)
      return {
        status: 422,
        body: { error: 'UNKNOWN_ITEM', message: `item ${unknown.ItemID} is not in Slick's catalogue` },
        result: 'refused-unknown-item',
      };
    const digest = digestOf(release);
    const known = this.stored.get(key);
    if (known) {
      if (known.digest !== digest)
        return {
          status: 409,
          body: { error: 'IDEMPOTENCY_CONFLICT', message: `release ${key} was accepted with another payload` },
          result: 'conflict',
        };
      this.duplicatesSeen++;
      return { status: 200, body: { status: 'duplicate', releaseId: key }, result: 'duplicate' };
    }
    this.stored.set(key, { release, digest });
    if (this.options.autoShip && this.options.webhook)
      void this.ship(key).catch((error: unknown) => this.log.error({ ReleaseID: key, err: error }, 'ship events not sent'));
    return { status: 201, body: { status: 'accepted', releaseId: key }, result: 'accepted' };
  }

  private collection(request: PartnerRequest): PartnerAnswer {
    const key = header(request, 'idempotency-key');
    const body = request.body as { OrderID?: unknown; Amount?: unknown } | null;
    if (!key)
      return {
        status: 400,
        body: { error: 'IDEMPOTENCY_KEY_REQUIRED', message: 'Idempotency-Key header is required' },
        result: 'bad-request',
      };
    if (!body || typeof body.OrderID !== 'string' || typeof body.Amount !== 'string') {
      return {
        status: 400,
        body: { error: 'BAD_REQUEST', message: 'body must carry OrderID and Amount (decimal string)' },
        result: 'bad-request',
      };
    }
    const digest = digestOf(body);
    const known = this.collectionStore.get(body.OrderID);
    if (known) {
      if (known.digest !== digest)
        return {
          status: 409,
          body: { error: 'IDEMPOTENCY_CONFLICT', message: `collection of ${body.OrderID} was confirmed with another payload` },
          result: 'conflict',
        };
      this.collectionDuplicatesSeen++;
      return { status: 200, body: { status: 'duplicate', orderId: body.OrderID }, result: 'collection-duplicate' };
    }
    this.collectionStore.set(body.OrderID, { body, digest });
    return { status: 201, body: { status: 'accepted', orderId: body.OrderID }, result: 'collection-accepted' };
  }
}
