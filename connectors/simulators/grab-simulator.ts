/**
 * Grab as a delivery partner simulator (delivery-simulator.ts): status callbacks `PUT /api/delivery/status`
 * HANDED_OVER → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED, then COLLECTED with the cash for a COD shipment.
 */ import { DeliverySimulator, type DeliverySimulatorOptions } from './delivery-simulator.js';

export class GrabSimulator extends DeliverySimulator {
  constructor(options: DeliverySimulatorOptions) {
    super('GRAB', options);
  }
}
