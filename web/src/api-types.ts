/**
 * The shapes the app reads from and sends to /api/v1. Where the service exports a type it is imported from the
 * service's own file (type-only: nothing of the server reaches the bundle), so a change there that breaks the app
 * fails `tsc -p web/tsconfig.json`. Where it does not, the type is written here, naming the file it mirrors.
 */
import type { BundleInput, BundleView, PreviewInput, PreviewView } from '../../query-service/bundle-definitions.js';
import type { CatalogItem, CatalogSearchAnswer } from '../../query-service/catalog-routes.js';
import type { ErrorBody, FieldError } from '../../query-service/errors.js';
import type { StatusEventData as ServerStatusEventData } from '../../query-service/events-routes.js';
import type { DeliveryAddressView, HistoryView, OrderLineView, OrderTotalsView, OrderView } from '../../query-service/order-view.js';
import type { LowStockAnswer, LowStockItem, LowStockStore, StoreLowStockAnswer } from '../../query-service/low-stock-routes.js';
import type { StorePipeline } from '../../query-service/pipeline-routes.js';
import type {
  BundleSalesAnswer,
  BundleSalesRow,
  CancellationRow,
  CodDayRow,
  OrdersDayRow,
  ReportAnswer,
  StatusTimeRow,
} from '../../query-service/report-routes.js';
import type { ReturnAccepted, ReturnRequestBody } from '../../query-service/return-routes.js';

export type {
  BundleInput,
  DeliveryAddressView,
  BundleView,
  ErrorBody,
  FieldError,
  OrderLineView,
  OrderTotalsView,
  OrderView,
  PreviewInput,
  PreviewView,
  StorePipeline,
  // GET /stores/:id/low-stock and GET /low-stock (query-service/low-stock-routes.ts)
  LowStockAnswer,
  LowStockItem,
  LowStockStore,
  StoreLowStockAnswer,
  // GET /reports and GET /bundles/:bundleId/sales (query-service/report-routes.ts)
  BundleSalesAnswer,
  BundleSalesRow,
  CancellationRow,
  CodDayRow,
  OrdersDayRow,
  ReportAnswer,
  StatusTimeRow,
  // POST /orders/:orderId/returns and …/returns/:returnId/receive (query-service/return-routes.ts)
  ReturnAccepted,
  ReturnRequestBody,
};

// GET /catalog/items (query-service/catalog-routes.ts)
export type { CatalogItem, CatalogSearchAnswer };

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
  kind: 'MISSING' | 'SHORT' | 'OVER' | 'SETTLEMENT_MISMATCH' | 'SETTLEMENT_WITHOUT_COLLECTION' | 'NOT_IN_SETTLEMENT';
  expectedAmount: string;
  collectedAmount: string | null;
  difference: string;
  deliveredAt: string | null;
  collectedAt: string | null;
  businessDay: string;
  cutOffAt: string;
  open: boolean;
  /** The latest acknowledgement since it was reported. */
  acknowledged: ExceptionDecisionView | null;
  /** The resolution since it was reported (it then no longer repeats). */
  resolved: ExceptionDecisionView | null;
}

/** A person's decision on an exception, as the lists show it (query-service/reconciliation-routes.ts, decisionSchema). */
export interface ExceptionDecisionView {
  by: string;
  at: string;
  note: string;
}

/** Mirrors a release of GET /releases/awaiting-slick (query-service/reconciliation-routes.ts, awaitingSchema). */
export interface ReleaseAwaitingView {
  releaseId: string;
  orderId: string;
  storeId: string;
  releasedAt: string;
  ageSeconds: number;
  orderStatus: number | null;
  orderStatusName: string | null;
  calls: number;
  lastAttempt: number | null;
  lastOutcome: 'FAILED' | 'CIRCUIT_OPEN' | 'GAVE_UP' | 'REFUSED' | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  lastAt: string | null;
  /** Slick refused it a whole round: set aside until someone retries or parks it. */
  refused: boolean;
  parked: ExceptionDecisionView | null;
}

/** The 200 answer of GET /releases/awaiting-slick. */
export interface ReleasesAwaiting {
  asOf: string;
  total: number;
  releases: ReleaseAwaitingView[];
}

/** POST /orders/:orderId/reconciliation/{acknowledge,resolve} and /release/{retry,park}, 202 (query-service/exception-routes.ts). */
export interface ExceptionActionAccepted {
  accepted: true;
  orderId: string;
  action: 'ACKNOWLEDGE_RECONCILIATION' | 'RESOLVE_RECONCILIATION' | 'RETRY_RELEASE' | 'PARK_RELEASE';
  commandId: string;
  requestedBy: string;
  acceptedAt: string;
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

/** A payment status GET /orders filters by (`paymentStatus`; query-service/search-routes.ts). */
export type { SearchPaymentStatus } from '../../query-service/search-routes.js';
