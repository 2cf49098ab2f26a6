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
} as const;

/** Sink node names: stages forward to these by name. */
export const Sinks = {
  validation: 'validation-out',
  status: 'status-out',
  payment: 'payment-out',
  release: 'release-out',
  lowStock: 'low-stock-out',
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
} as const;

/** Store and global-table names. */
export const Stores = {
  orders: 'orders',
  inventory: 'inventory',
  held: 'held-releases',
  /** OrderID → payload hash of its last rejected record, so a resend of it is absorbed like any redelivery. */
  rejected: 'rejected-orders',
  catalog: 'catalog',
  customers: 'customers',
  bundles: 'bundles',
} as const;
