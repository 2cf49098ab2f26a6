/**
 * Topic names of the order pipeline and the topology's node and store names. The topics themselves, with the record
 * each carries, are declared once in avro/topic-catalogue.ts (the schema layer, which the topology builds on) and
 * re-exported here, where the rest of the code looks for them.
 */
export { Topics, TOPIC_RECORD_TYPES, type TopicName } from '../avro/topic-catalogue.js';

/** Sink node names: stages forward to these by name. */
export const Sinks = {
  validation: 'validation-out',
  status: 'status-out',
  payment: 'payment-out',
  release: 'release-out',
  lowStock: 'low-stock-out',
  reconciliation: 'reconciliation-out',
  exceptionOutcome: 'exception-outcome-out',
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
  /** The delivery partner's settlement rows, compared with its collection callbacks. */
  settle: 'settle',
  /** People's decisions on exceptions: acknowledge / resolve reconciliation, retry / park a release. */
  exceptionActions: 'exception-actions',
  /** Returns of delivered orders: asked, then received and refunded. */
  returns: 'returns',
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
  /**
   * `<store>|<OrderID>` → OrderID of orders whose settlement by the partner is still to be judged at a cut-off:
   * collected through PMP and not settled yet, or settled and not matching.
   */
  settlementOpen: 'settlement-open',
  /** `last-cut-off` → the cut-off (ISO-8601 UTC) of this task's last reconciliation run. */
  reconciliationRuns: 'reconciliation-runs',
  /** OrderID → ReturnsState: the order's returns, asked and received, with their refunds. */
  returns: 'returns',
  catalog: 'catalog',
  customers: 'customers',
  bundles: 'bundles',
} as const;
