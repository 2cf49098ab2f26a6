/**
 * The answer types the web app imports (web/src/api-types.ts) against the response schemas of the routes that
 * give them: an example of each type, written as that type (so `tsc` refuses a field the type lacks or a required
 * one left out), must pass its route's schema as the client receives it (JSON). A type and a schema that drift
 * apart fail here; the service's response validation (response-validation.ts) refuses the answer at run time.
 */
import type { RouteOptions } from 'fastify';
import { Ajv } from 'ajv';
import t, { type Test } from 'tap';
import type { SqlDatabase } from '../../../postgres/sql.js';
import type { RoutePlugin } from '../../../query-service/app.js';
import type { BundleCatalog } from '../../../query-service/bundle-catalog.js';
import { definitionOf, viewOf } from '../../../query-service/bundle-definitions.js';
import { type BundleAccepted, type BundleAnswer, type BundleList, bundleRoutes } from '../../../query-service/bundle-routes.js';
import { type CashAccepted, codRoutes } from '../../../query-service/cod-routes.js';
import type { CommandPublisher } from '../../../query-service/commands.js';
import { type ExceptionActionAccepted, exceptionActionRoutes } from '../../../query-service/exception-routes.js';
import { type BulkCancelAnswer, type CancelAccepted, orderActionRoutes } from '../../../query-service/order-action-routes.js';
import { type Answer as OrderLookupAnswer, type OrderLocator, orderLookupRoutes } from '../../../query-service/order-lookup-routes.js';
import { viewOfState } from '../../../query-service/order-view.js';
import {
  pipelineRoutes,
  type RegionPipelineAnswer,
  regionTotals,
  type StorePipeline,
  type StorePipelineAnswer,
} from '../../../query-service/pipeline-routes.js';
import {
  reconciliationRoutes,
  type ReconciliationExceptionView,
  type ReleasesAwaiting,
  type StoreReconciliation,
} from '../../../query-service/reconciliation-routes.js';
import { type SearchPage, searchRoutes } from '../../../query-service/search-routes.js';
import { openOrder } from '../../../processors/order-state.js';
import { orderCreate } from '../avro/examples.js';
import { T0, testService } from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AT = new Date(T0).toISOString();
const HOUR_AGO = new Date(T0 - 3_600_000).toISOString();

/** The response schemas of every route the web app reads, by `METHOD /api/v1/path`. */
async function responseSchemas(t: Test): Promise<Map<string, Json>> {
  const declared: RouteOptions[] = [];
  const watched =
    (plugin: RoutePlugin): RoutePlugin =>
    async (app) => {
      app.addHook('onRoute', (route) => void declared.push(route));
      await plugin(app);
    };
  // Nothing is read or sent: the routes are only declared.
  const db = {} as SqlDatabase;
  const locator: OrderLocator = {
    lookup: async () => {
      throw new Error('no lookup here');
    },
    close: () => undefined,
  };
  const publisher: CommandPublisher = { publish: async () => ({ partition: 0 }) };
  const encode = () => Buffer.alloc(0);
  const routes = [
    orderLookupRoutes(locator),
    searchRoutes(db),
    pipelineRoutes(db),
    reconciliationRoutes(db),
    orderActionRoutes({ locator, publisher, updateTopic: 'order.update.v1', encode }),
    codRoutes({ locator, publisher, deliveryTopic: 'delivery.status.v1', encode }),
    exceptionActionRoutes({ locator, db, publisher, actionTopic: 'order.exception-action.v1', encode }),
    bundleRoutes({ catalog: {} as BundleCatalog, publisher, bundleTopic: 'bundle.definition.v1', encode }),
  ].map(watched);
  const { app } = testService({ routes });
  t.teardown(() => app.close());
  await app.ready();
  const schemas = new Map<string, Json>();
  for (const route of declared)
    for (const method of [route.method].flat())
      schemas.set(`${method} ${route.url}`, ((route.schema as Json | undefined)?.response ?? {}) as Json);
  return schemas;
}

const ajv = new Ajv({ strict: false, allErrors: true }).addFormat(
  'date-time',
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
);

/** Whether `example`, as JSON carries it, passes the `status` schema of `route`; the errors when it does not. */
function check(schemas: Map<string, Json>, route: string, status: number, example: unknown): string | undefined {
  const schema = schemas.get(route)?.[status];
  if (!schema) return `${route} declares no ${status} schema`;
  const validate = ajv.compile(schema);
  return validate(JSON.parse(JSON.stringify(example))) ? undefined : ajv.errorsText(validate.errors);
}

const pipeline: StorePipeline = {
  storeId: 'S001',
  orders: 3,
  openOrders: 2,
  oldestOpen: { orderId: 'O-1', storeId: 'S001', status: 1000, statusName: 'Open', createdAt: HOUR_AGO, ageSeconds: 3600 },
  statuses: [
    { status: 1000, statusName: 'Open', orders: 2, oldest: { orderId: 'O-1', storeId: 'S001', createdAt: HOUR_AGO, ageSeconds: 3600 } },
    {
      status: 7500,
      statusName: 'Delivered',
      orders: 1,
      oldest: { orderId: 'O-3', storeId: 'S001', createdAt: HOUR_AGO, ageSeconds: 3600 },
    },
  ],
  lastHour: { from: HOUR_AGO, to: AT, created: 3, released: 1, cancelled: 0 },
};

const missing: ReconciliationExceptionView = {
  orderId: 'O-7',
  kind: 'MISSING',
  expectedAmount: '1070.0000',
  collectedAmount: null,
  difference: '-1070.0000',
  deliveredAt: HOUR_AGO,
  collectedAt: null,
  settledAmount: null,
  businessDay: '2026-11-21',
  cutOffAt: AT,
  open: true,
  acknowledged: { by: 'clerk-1', at: AT, note: 'calling the rider' },
  resolved: null,
};

t.test('every answer type the web app imports passes its route’s response schema', async (t) => {
  const schemas = await responseSchemas(t);
  const agrees = (route: string, status: number, example: unknown) =>
    t.equal(check(schemas, route, status, example), undefined, `${route} ${status}`);

  const lookup: OrderLookupAnswer = {
    source: 'replica',
    answeredBy: 'replica-2',
    order: viewOfState(openOrder(orderCreate, 'hash', AT).state),
  };
  agrees('GET /api/v1/orders/:orderId', 200, lookup);

  const page: SearchPage = {
    orders: [
      {
        orderId: 'O-1',
        shipFromLocationId: 'S001',
        customerId: 'C-1',
        status: 1000,
        statusName: 'Open',
        paymentStatus: '1000',
        orderTotal: '1070.0000',
        createdAt: AT,
        updatedAt: AT,
      },
      {
        orderId: 'O-2',
        shipFromLocationId: 'S001',
        customerId: null,
        status: 1100,
        statusName: null,
        paymentStatus: null,
        orderTotal: null,
        createdAt: AT,
        updatedAt: AT,
      },
    ],
    nextCursor: 'abc_-1',
  };
  agrees('GET /api/v1/orders', 200, page);

  const store: StorePipelineAnswer = { asOf: AT, ...pipeline };
  agrees('GET /api/v1/stores/:id/pipeline', 200, store);
  const region: RegionPipelineAnswer = { asOf: AT, stores: [pipeline], totals: regionTotals([pipeline], HOUR_AGO, AT) };
  agrees('GET /api/v1/region/pipeline', 200, region);

  const reconciliation: StoreReconciliation = {
    storeId: 'S001',
    day: '2026-11-21',
    runs: [
      {
        businessDay: '2026-11-21',
        timeZone: 'Asia/Bangkok',
        cutOffAt: AT,
        at: AT,
        reconciledOrders: 4,
        reconciledAmount: '2000.0000',
        exceptionCount: 2,
        expectedTotal: '3070.0000',
        collectedTotal: '2000.0000',
      },
    ],
    exceptions: [
      missing,
      {
        ...missing,
        orderId: 'O-8',
        kind: 'SETTLEMENT_MISMATCH',
        collectedAmount: '500.0000',
        difference: '-10.0000',
        collectedAt: AT,
        settledAmount: '490.0000',
        open: false,
        acknowledged: null,
        resolved: { by: 'manager-1', at: AT, note: 'PMP corrected it' },
      },
    ],
  };
  agrees('GET /api/v1/stores/:id/reconciliation', 200, reconciliation);
  agrees('GET /api/v1/stores/:id/reconciliation', 200, {
    storeId: 'S001',
    day: null,
    runs: [],
    exceptions: [],
  } satisfies StoreReconciliation);

  const releases: ReleasesAwaiting = {
    asOf: AT,
    total: 2,
    releases: [
      {
        releaseId: 'R-1',
        orderId: 'O-1',
        storeId: 'S001',
        releasedAt: HOUR_AGO,
        ageSeconds: 3600,
        orderStatus: 3000,
        orderStatusName: 'Released',
        calls: 0,
        lastAttempt: null,
        lastOutcome: null,
        lastHttpStatus: null,
        lastError: null,
        lastAt: null,
        refused: false,
        parked: null,
      },
      {
        releaseId: 'R-2',
        orderId: 'O-2',
        storeId: 'S001',
        releasedAt: HOUR_AGO,
        ageSeconds: 3600,
        orderStatus: null,
        orderStatusName: null,
        calls: 3,
        lastAttempt: 3,
        lastOutcome: 'REFUSED',
        lastHttpStatus: 422,
        lastError: 'unknown item',
        lastAt: AT,
        refused: true,
        parked: { by: 'clerk-1', at: AT, note: 'waiting for the item master' },
      },
    ],
  };
  agrees('GET /api/v1/releases/awaiting-slick', 200, releases);

  const accepted = { accepted: true, orderId: 'O-1', commandId: 'cmd-1', requestedBy: 'clerk-1', acceptedAt: AT } as const;
  agrees('POST /api/v1/orders/:orderId/cancel', 202, { ...accepted, action: 'CANCEL' } satisfies CancelAccepted);
  const bulk: BulkCancelAnswer = {
    results: [
      { orderId: 'O-1', outcome: 'accepted', commandId: 'cmd-1' },
      { orderId: 'O-2', outcome: 'rejected', code: 'ORDER_LOCKED', message: 'Order O-2 is Released (3000)' },
    ],
  };
  agrees('POST /api/v1/orders/cancel', 200, bulk);
  agrees('POST /api/v1/orders/:orderId/cod/confirm', 202, { ...accepted, action: 'CONFIRM_CASH' } satisfies CashAccepted);
  const decisions: Array<[string, ExceptionActionAccepted['action']]> = [
    ['reconciliation/acknowledge', 'ACKNOWLEDGE_RECONCILIATION'],
    ['reconciliation/resolve', 'RESOLVE_RECONCILIATION'],
    ['release/retry', 'RETRY_RELEASE'],
    ['release/park', 'PARK_RELEASE'],
  ];
  for (const [path, action] of decisions)
    agrees(`POST /api/v1/orders/:orderId/${path}`, 202, { ...accepted, action } satisfies ExceptionActionAccepted);

  const bundle = viewOf(
    definitionOf('B-1', { components: [{ itemId: 'SKU-100', quantity: 2 }], pricing: { type: 'FIXED', price: '60' } }),
    T0,
  );
  agrees('GET /api/v1/bundles', 200, { bundles: [bundle] } satisfies BundleList);
  agrees('GET /api/v1/bundles/:bundleId', 200, { bundle } satisfies BundleAnswer);
  const written: BundleAccepted = { accepted: true, bundleId: 'B-1', commandId: 'cmd-2', requestedBy: 'promo-1', acceptedAt: AT };
  for (const route of ['POST /api/v1/bundles', 'PUT /api/v1/bundles/:bundleId', 'POST /api/v1/bundles/:bundleId/activate'])
    agrees(route, 202, written);
});

t.test('the check fails for shapes the web app once assumed', async (t) => {
  const schemas = await responseSchemas(t);
  // An exception without settledAmount (the schema requires it).
  const { settledAmount: _settled, ...withoutSettled } = missing;
  t.match(
    check(schemas, 'GET /api/v1/stores/:id/reconciliation', 200, {
      storeId: 'S001',
      day: '2026-11-21',
      runs: [],
      exceptions: [withoutSettled],
    }),
    /settledAmount/,
  );
  // A search row with custRef (the search answer has none).
  const row = { orderId: 'O-1', shipFromLocationId: 'S001', customerId: null, status: 1000, statusName: 'Open' };
  const dated = { ...row, paymentStatus: null, orderTotal: null, createdAt: AT, updatedAt: AT, custRef: 'REF-1' };
  t.match(check(schemas, 'GET /api/v1/orders', 200, { orders: [dated], nextCursor: null }), /additional properties/);
});
