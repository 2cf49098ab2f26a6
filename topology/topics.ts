/** Topic names of the order pipeline (domain.md §1) and the topology's node names for them. */
export const Topics = {
  orderCreate: 'order.create.v1',
  orderUpdate: 'order.update.v1',
  inventoryLevel: 'inventory.level.v1',
  catalog: 'catalog.product.v1',
  customers: 'customer.profile.v1',
  bundles: 'bundle.definition.v1',
  validation: 'order.validation.v1',
  status: 'order.status.v1',
  payment: 'order.payment.v1',
  release: 'order.release.v1',
  lowStock: 'inventory.low-stock.v1',
  /** Written by the Slick egress connector (connectors/slick-egress.ts), not by the topology. */
  fulfillment: 'order.fulfillment.v1',
  shipEvent: 'fulfillment.ship-event.v1',
  deliveryStatus: 'delivery.status.v1',
  reconciliation: 'order.reconciliation.v1',
} as const;

/** Sink node names: stages forward to these by name. */
export const Sinks = {
  validation: 'validation-out',
  status: 'status-out',
  payment: 'payment-out',
  release: 'release-out',
  lowStock: 'low-stock-out',
  reconciliation: 'reconciliation-out',
} as const;

/** Stage (processor) node names, in pipeline order. */
export const Stages = {
  validate: 'validate',
  enrich: 'enrich',
  calculate: 'calculate',
  allocate: 'allocate',
  pay: 'pay',
  release: 'release',
  update: 'update',
  inventoryLevel: 'inventory-level',
  /** After release: Slick ship events (picking … shipped, short, substitution). */
  fulfil: 'fulfil',
  /** After shipping: delivery partner statuses and COD collection. */
  deliver: 'deliver',
  /** Daily COD reconciliation: keeps the cod-open index, runs at the cut-off. */
  reconcile: 'reconcile',
} as const;

/** Store and global-table names. */
export const Stores = {
  orders: 'orders',
  inventory: 'inventory',
  held: 'held-releases',
  /** OrderID → payload hash of its last rejected record, so a resend of it is absorbed like any redelivery. */
  rejected: 'rejected-orders',
  /** `<store>|<OrderID>` → OrderID of COD orders delivered or collected and not yet reconciled: what a run reads. */
  codOpen: 'cod-open',
  /** `last-cut-off` → the cut-off (ISO-8601 UTC) of this task's last reconciliation run. */
  reconciliationRuns: 'reconciliation-runs',
  catalog: 'catalog',
  customers: 'customers',
  bundles: 'bundles',
} as const;
