/**
 * The shapes the app reads from and sends to /api/v1. Where the service exports a type it is imported from the
 * service's own file (type-only: nothing of the server reaches the bundle), so a change there that breaks the app
 * fails `tsc -p web/tsconfig.json`. Where it does not, the type is written here, naming the file it mirrors.
 */
import type { BundleInput, BundleView, PreviewInput, PreviewView } from '../../query-service/bundle-definitions.js';
import type { ErrorBody, FieldError } from '../../query-service/errors.js';
import type { StatusEventData as ServerStatusEventData } from '../../query-service/events-routes.js';
import type { HistoryView, OrderLineView, OrderTotalsView, OrderView } from '../../query-service/order-view.js';
import type { StorePipeline } from '../../query-service/pipeline-routes.js';

export type {
  BundleInput,
  BundleView,
  ErrorBody,
  FieldError,
  OrderLineView,
  OrderTotalsView,
  OrderView,
  PreviewInput,
  PreviewView,
  StorePipeline,
};

/** A status history entry; `actor` is who made the change, when a person did. */
export type HistoryEntry = HistoryView;

/** Mirrors `Answer` in query-service/order-lookup-routes.ts (GET /orders/:orderId). */
export interface OrderLookupAnswer {
  source: 'local-state' | 'replica' | 'postgres';
  answeredBy: string;
  order: OrderView;
}

/**
 * Mirrors one row of GET /orders in query-service/search-routes.ts. `custRef` and `paymentMethod` are not in
 * the search answer yet; the board shows them when an answer carries them.
 */
export interface OrderSummary {
  orderId: string;
  shipFromLocationId: string;
  customerId: string | null;
  status: number;
  statusName: string | null;
  paymentStatus: string | null;
  orderTotal: string | null;
  createdAt: string;
  updatedAt: string;
  custRef?: string | null;
  paymentMethod?: string | null;
}

/** Mirrors the 200 answer of GET /orders (query-service/search-routes.ts). */
export interface SearchPage {
  orders: OrderSummary[];
  nextCursor: string | null;
}

/** GET /stores/:id/pipeline (query-service/pipeline-routes.ts): the store's pipeline and when it was read. */
export type StorePipelineAnswer = StorePipeline & { asOf: string };

/** Mirrors the 200 answer of GET /region/pipeline (query-service/pipeline-routes.ts). */
export interface RegionPipelineAnswer {
  asOf: string;
  stores: StorePipeline[];
  totals: Omit<StorePipeline, 'storeId'> & { stores: number };
}

/** The data of an `event: status` (query-service/events-routes.ts). */
export type StatusEventData = ServerStatusEventData;

/** Mirrors a run of GET /stores/:id/reconciliation (query-service/reconciliation-routes.ts, `Run`). */
export interface ReconciliationRun {
  businessDay: string;
  timeZone: string;
  cutOffAt: string;
  at: string;
  reconciledOrders: number;
  reconciledAmount: string;
  exceptionCount: number;
  expectedTotal: string;
  collectedTotal: string;
}

/** Mirrors an exception of GET /stores/:id/reconciliation (query-service/reconciliation-routes.ts, exceptionSchema). */
export interface ReconciliationExceptionView {
  orderId: string;
  kind: 'MISSING' | 'SHORT' | 'OVER';
  expectedAmount: string;
  collectedAmount: string | null;
  difference: string;
  deliveredAt: string | null;
  collectedAt: string | null;
  businessDay: string;
  cutOffAt: string;
  open: boolean;
}

/** Mirrors the 200 answer of GET /stores/:id/reconciliation (query-service/reconciliation-routes.ts). */
export interface StoreReconciliation {
  storeId: string;
  day: string | null;
  runs: ReconciliationRun[];
  exceptions: ReconciliationExceptionView[];
}

/** POST /orders/:orderId/cancel, 202. */
export interface CancelAccepted {
  accepted: true;
  orderId: string;
  action: 'CANCEL';
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}

/** POST /orders/cancel, 200: one result per order asked. */
export interface BulkCancelResult {
  orderId: string;
  outcome: 'accepted' | 'rejected';
  code?: string;
  message?: string;
}

export interface BulkCancelAnswer {
  results: BulkCancelResult[];
}

/** POST /orders/:orderId/cod/confirm, 202 (query-service/cod-routes.ts, confirmSchema). */
export interface CashAccepted {
  accepted: true;
  orderId: string;
  action: 'CONFIRM_CASH';
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}

/** GET /bundles (query-service/bundle-routes.ts, listSchema). */
export interface BundleList {
  bundles: BundleView[];
}

/** GET /bundles/:bundleId. */
export interface BundleAnswer {
  bundle: BundleView;
}

/** 202 of a bundle write: create, edit, activate, deactivate (query-service/bundle-routes.ts, acceptedSchema). */
export interface BundleAccepted {
  accepted: true;
  bundleId: string;
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
}
