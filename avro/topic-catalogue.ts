/**
 * The topic catalogue: every topic of the order pipeline (docs/contract.md §1, and the pipeline's own inventory,
 * fulfillment and reconciliation topics), by the key the code names it with, and the record its values are. The
 * one place a topic name is spelled: `topology/topics.ts` re-exports `Topics`, and the serdes take each topic's
 * record type from `TOPIC_RECORD_TYPES`.
 *
 * It lives in avro/, the lower layer (the topology, the connectors and the sink all import avro/, and avro/ imports
 * none of them), so the schema layer never depends on the topology to know a topic's record.
 */
import type { RecordTypeName } from './schema-loader.js';

export const TOPIC_CATALOGUE = {
  orderCreate: { topic: 'order.create.v1', record: 'OrderCreate' },
  orderUpdate: { topic: 'order.update.v1', record: 'OrderUpdate' },
  inventoryLevel: { topic: 'inventory.level.v1', record: 'InventoryLevel' },
  catalog: { topic: 'catalog.product.v1', record: 'Product' },
  customers: { topic: 'customer.profile.v1', record: 'Customer' },
  bundles: { topic: 'bundle.definition.v1', record: 'BundleDefinition' },
  validation: { topic: 'order.validation.v1', record: 'ValidationResult' },
  status: { topic: 'order.status.v1', record: 'StatusChange' },
  payment: { topic: 'order.payment.v1', record: 'PaymentEvent' },
  release: { topic: 'order.release.v1', record: 'Release' },
  lowStock: { topic: 'inventory.low-stock.v1', record: 'LowStockEvent' },
  /** Written by the Slick egress connector (connectors/slick-egress.ts), not by the topology. */
  fulfillment: { topic: 'order.fulfillment.v1', record: 'FulfillmentInteraction' },
  shipEvent: { topic: 'fulfillment.ship-event.v1', record: 'ShipEvent' },
  deliveryStatus: { topic: 'delivery.status.v1', record: 'DeliveryStatus' },
  reconciliation: { topic: 'order.reconciliation.v1', record: 'ReconciliationReport' },
  /** People's decisions on exceptions (query-service/exception-routes.ts), applied by the exception stage. */
  exceptionAction: { topic: 'order.exception-action.v1', record: 'ExceptionAction' },
  exceptionOutcome: { topic: 'order.exception-outcome.v1', record: 'ExceptionOutcome' },
  /** How each customer wants to hear about their orders (compacted, key CustomerID), read by the notification connector. */
  notificationPreference: { topic: 'customer.notification-preference.v1', record: 'NotificationPreference' },
  /** Written by the notification connector (connectors/notifications/), not by the topology: every message step. */
  notificationSent: { topic: 'notification.sent.v1', record: 'NotificationOutcome' },
  /** A delivery partner's settlement report, one record per row (`omnia settlement import`), read by the settle stage. */
  settlement: { topic: 'payment.settlement.v1', record: 'PaymentSettlement' },
  /** Returns of delivered orders asked and received through the query service (query-service/return-routes.ts), applied by the returns stage. */
  orderReturn: { topic: 'order.return.v1', record: 'ReturnCommand' },
} as const satisfies Readonly<Record<string, { topic: string; record: RecordTypeName }>>;

type Catalogue = typeof TOPIC_CATALOGUE;
/** A topic of the catalogue, e.g. `'order.create.v1'`. */
export type TopicName = Catalogue[keyof Catalogue]['topic'];

/** Topic names by key: `Topics.orderCreate` is `'order.create.v1'`. */
export const Topics = Object.fromEntries(Object.entries(TOPIC_CATALOGUE).map(([key, entry]) => [key, entry.topic])) as {
  readonly [K in keyof Catalogue]: Catalogue[K]['topic'];
};

/** Value record of each topic, by topic name. */
export const TOPIC_RECORD_TYPES: Readonly<Record<string, RecordTypeName>> = Object.fromEntries(
  Object.values(TOPIC_CATALOGUE).map((entry) => [entry.topic, entry.record]),
);
