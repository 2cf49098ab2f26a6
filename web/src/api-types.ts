/**
 * The shapes the app reads from and sends to /api/v1. Where the service exports a type it is imported from the
 * service's own file (type-only: nothing of the server reaches the bundle), so a change there that breaks the app
 * fails `tsc -p web/tsconfig.json`. The handlers declare them as what they answer; for the order, search,
 * pipeline, reconciliation, action and bundle answers, test/unit/query-service/answer-types.test.ts also checks an
 * example of each against its route's response schema.
 */
import type { BundleInput, BundleView, PreviewInput, PreviewView } from '../../query-service/bundle-definitions.js';
import type { CatalogItem, CatalogSearchAnswer } from '../../query-service/catalog-routes.js';
import type { ErrorBody, FieldError } from '../../query-service/errors.js';
import type { StatusEventData as ServerStatusEventData } from '../../query-service/events-routes.js';
import type { DeliveryAddressView, HistoryView, OrderLineView, OrderTotalsView, OrderView } from '../../query-service/order-view.js';
import type { LowStockAnswer, LowStockItem, LowStockStore, StoreLowStockAnswer } from '../../query-service/low-stock-routes.js';
import type { BundleAccepted, BundleAnswer, BundleList } from '../../query-service/bundle-routes.js';
import type { CashAccepted } from '../../query-service/cod-routes.js';
import type { ExceptionActionAccepted } from '../../query-service/exception-routes.js';
import type { BulkCancelAnswer, BulkCancelResult, CancelAccepted } from '../../query-service/order-action-routes.js';
import type { Answer as OrderLookupAnswer } from '../../query-service/order-lookup-routes.js';
import type { RegionPipelineAnswer, StorePipeline, StorePipelineAnswer } from '../../query-service/pipeline-routes.js';
import type {
  ExceptionDecisionView,
  ReconciliationExceptionView,
  ReconciliationRun,
  ReleaseAwaitingView,
  ReleasesAwaiting,
  StoreReconciliation,
} from '../../query-service/reconciliation-routes.js';
import type { OrderSummary, SearchPage } from '../../query-service/search-routes.js';
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

/** The data of an `event: status` (query-service/events-routes.ts). */
export type StatusEventData = ServerStatusEventData;

// GET /orders/:orderId (query-service/order-lookup-routes.ts, `Answer`)
export type { OrderLookupAnswer };

// GET /orders (query-service/search-routes.ts)
export type { OrderSummary, SearchPage };

// GET /stores/:id/pipeline and GET /region/pipeline (query-service/pipeline-routes.ts)
export type { RegionPipelineAnswer, StorePipelineAnswer };

// GET /stores/:id/reconciliation and GET /releases/awaiting-slick (query-service/reconciliation-routes.ts)
export type {
  ExceptionDecisionView,
  ReconciliationExceptionView,
  ReconciliationRun,
  ReleaseAwaitingView,
  ReleasesAwaiting,
  StoreReconciliation,
};

// POST /orders/:orderId/reconciliation/{acknowledge,resolve} and /release/{retry,park}, 202 (query-service/exception-routes.ts)
export type { ExceptionActionAccepted };

// POST /orders/:orderId/cancel, 202, and POST /orders/cancel, 200 (query-service/order-action-routes.ts)
export type { BulkCancelAnswer, BulkCancelResult, CancelAccepted };

// POST /orders/:orderId/cod/confirm, 202 (query-service/cod-routes.ts)
export type { CashAccepted };

// GET /bundles, GET /bundles/:bundleId and the 202 of a bundle write (query-service/bundle-routes.ts)
export type { BundleAccepted, BundleAnswer, BundleList };

/** A payment status GET /orders filters by (`paymentStatus`; query-service/search-routes.ts). */
export type { SearchPaymentStatus } from '../../query-service/search-routes.js';
