/**
 * PMP as a delivery partner simulator (delivery-simulator.ts): `POST /api/delivery/pmp/delivered`, then for a COD
 * shipment `POST /api/delivery/pmp/cash-collected` with the cash collected (`CollectedAmount`): the first tier of
 * the PMP → Omnia → Slick collection flow.
 *
 * It also keeps the cash it collected, and writes PMP's daily settlement report of a business day
 * (`settlementReport`, the CSV of connectors/pmp-settlement-report.ts) for `omnia settlement import`.
 */
import { writeSettlementReport, type SettlementColumn } from '../pmp-settlement-report.js';
import { WEBHOOK_ROUTES } from '../webhook-server.js';
import { DeliverySimulator, type DeliverOptions, type DeliverySimulatorOptions, type Shipment } from './delivery-simulator.js';
import type { Callback } from './webhook-sender.js';

/** A collection as PMP's books have it. */
export interface PmpCollection {
  readonly OrderID: string;
  readonly TrackingID: string;
  readonly CollectedAmount: string;
  readonly CollectedAt: string;
}

/** The local date (YYYY-MM-DD) of an instant in a time zone. */
const localDate = (at: string, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));

export class PmpSimulator extends DeliverySimulator {
  /** Cash collected, by TrackingID (the latest collection of a parcel). */
  readonly collections = new Map<string, PmpCollection>();

  constructor(options: DeliverySimulatorOptions) {
    super('PMP', options);
  }

  override callbacks(shipment: Shipment, options: DeliverOptions = {}, now: Date = new Date()): Callback[] {
    const callbacks = super.callbacks(shipment, options, now);
    for (const callback of callbacks) {
      if (callback.path !== WEBHOOK_ROUTES.pmpCashCollected.url) continue;
      const body = callback.body as { CollectedAmount: string; At: string };
      this.collections.set(shipment.TrackingID, {
        OrderID: shipment.OrderID,
        TrackingID: shipment.TrackingID,
        CollectedAmount: body.CollectedAmount,
        CollectedAt: body.At,
      });
    }
    return callbacks;
  }

  /** PMP's settlement report of the cash it collected on `settlementDate` (a local date in `timeZone`). */
  settlementReport(settlementDate: string, timeZone = 'Asia/Bangkok'): string {
    const rows: Array<Record<SettlementColumn, string>> = [...this.collections.values()]
      .filter((collection) => localDate(collection.CollectedAt, timeZone) === settlementDate)
      .sort((a, b) => (a.OrderID < b.OrderID ? -1 : a.OrderID > b.OrderID ? 1 : 0))
      .map((collection) => ({ SettlementDate: settlementDate, ...collection }));
    return writeSettlementReport(rows);
  }
}
