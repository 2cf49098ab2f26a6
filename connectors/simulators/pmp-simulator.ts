/**
 * PMP as a delivery partner simulator (delivery-simulator.ts): `POST /api/delivery/pmp/delivered`, then for a COD
 * shipment `POST /api/delivery/pmp/cash-collected` with the cash collected (`CollectedAmount`): the first tier of
 * the PMP → Omnia → Slick collection flow.
 */ import { DeliverySimulator, type DeliverySimulatorOptions } from './delivery-simulator.js';

export class PmpSimulator extends DeliverySimulator {
  constructor(options: DeliverySimulatorOptions) {
    super('PMP', options);
  }
}
