/**
 * The tables the sink writes and how each topic's record becomes rows of them. Pure: no I/O. Column lists
 * are in the order of the `values` arrays, with the Postgres type each is cast to when written.
 */
import { isMoney } from '../processors/domain/money.js';
import type { ExceptionOutcome, FulfillmentInteraction, NotificationOutcome, ReconciliationReport } from '../avro/records.js';
import type { PaymentEvent, Release, StatusChange, ValidationResult } from '../processors/domain/types.js';
import type { OrderState } from '../processors/order-state.js';

export interface TableSpec {
  readonly name: string;
  readonly columns: ReadonlyArray<readonly [column: string, type: string]>;
  /**
   * upsert: ON CONFLICT (key) the row is replaced, and only the last row per key in a batch is written.
   * replace: the rows are a set that belongs to a row of the `owner` table (an order's lines): whenever an
   * owner row is written, the set for its key is deleted and the rows that came with it go in — none, if
   * none came. insert: plain INSERT; a duplicate is a bug and fails the batch.
   */
  readonly write:
    { mode: 'upsert'; key: readonly string[] } | { mode: 'replace'; key: readonly string[]; owner: string } | { mode: 'insert' };
}

export interface Row {
  readonly table: TableSpec;
  readonly values: readonly unknown[];
}

/** Where a record sits in its topic; event tables are keyed by it (one order's records share a partition). */
export interface Position {
  readonly partition: number;
  readonly offset: bigint;
}

/** A record the sink cannot turn into rows (and keeps as a dead letter with this message). */
export class UnusableRecordError extends Error {
  override readonly name = 'UnusableRecordError';
}

const table = (name: string, write: TableSpec['write'], columns: string): TableSpec => ({
  name,
  write,
  columns: columns.split(',').map((column) => {
    const [name, type] = column.trim().split(/\s+/);
    return [name!, type!] as const;
  }),
});

export const Tables = {
  orders: table(
    'orders',
    { mode: 'upsert', key: ['order_id'] },
    `order_id text, ship_from_location_id text, customer_id text, cust_ref text, status integer,
    payment_method text, payment_status text, release_id text, sub_total numeric, total_discount numeric, total_taxes numeric,
    informational_taxes numeric, total_charges numeric, order_total numeric, created_at timestamptz, updated_at timestamptz,
    tracking_id text, carrier text, estimated_delivery timestamptz, delivered_at timestamptz, collected_amount numeric, collected_at timestamptz`,
  ),
  orderLines: table(
    'order_lines',
    { mode: 'replace', key: ['order_id'], owner: 'orders' },
    `order_id text, line_id text, item_id text, quantity integer, unit_price numeric,
    line_amount numeric, line_discount numeric, line_tax numeric, bundle_group_id text, bundle_id text, short_description text, image_url text`,
  ),
  statusHistory: table(
    'order_status_history',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, order_id text, ship_from_location_id text,
    from_status integer, to_status integer, reason text, source text, at timestamptz, actor text`,
  ),
  // Upserted: a release a person retried comes again as the same record (processors/stages/exception-actions.ts).
  releases: table(
    'releases',
    { mode: 'upsert', key: ['release_id'] },
    `release_id text, order_id text, ship_from_location_id text, payment_method text, t1_membership_id text,
    line_count integer, sub_total numeric, total_discount numeric, total_taxes numeric, informational_taxes numeric, total_charges numeric,
    order_total numeric, cod_amount numeric, released_at timestamptz`,
  ),
  payments: table(
    'payments',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, order_id text, ship_from_location_id text, payment_method text,
    payment_status text, amount numeric, at timestamptz`,
  ),
  validations: table(
    'validations',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, order_id text, ship_from_location_id text, valid boolean,
    error_count integer, at timestamptz`,
  ),
  validationErrors: table(
    'validation_errors',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, error_index integer, order_id text,
    ship_from_location_id text, rule text, code text, field text, message text, at timestamptz`,
  ),
  fulfillmentInteractions: table(
    'fulfillment_interactions',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, release_id text, order_id text,
    ship_from_location_id text, action text, attempt integer, outcome text, http_status integer, error text, amount numeric, at timestamptz`,
  ),
  reconciliationRuns: table(
    'reconciliation_runs',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, ship_from_location_id text, business_day date,
    time_zone text, cut_off_at timestamptz, reconciled_orders integer, reconciled_amount numeric, exception_count integer, expected_total numeric,
    collected_total numeric, at timestamptz`,
  ),
  reconciliationExceptions: table(
    'reconciliation_exceptions',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, exception_index integer,
    ship_from_location_id text, business_day date, cut_off_at timestamptz, order_id text, kind text, expected_amount numeric, collected_amount numeric,
    difference numeric, delivered_at timestamptz, collected_at timestamptz, at timestamptz`,
  ),
  exceptionOutcomes: table(
    'exception_outcomes',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, order_id text, ship_from_location_id text, exception text,
    action text, outcome text, reason text, note text, actor text, command_id text, release_id text, requested_at timestamptz, at timestamptz`,
  ),
  notificationOutcomes: table(
    'notification_outcomes',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, notification_id text, order_id text, ship_from_location_id text,
    customer_id text, event text, channel text, recipient text, language text, attempt integer, outcome text, reason text,
    http_status integer, error text, provider_message_id text, body text, due_at timestamptz, event_at timestamptz, at timestamptz`,
  ),
} as const;

/** What each consumed topic holds, by the sink's name for it. */
export type SinkSource =
  'orders' | 'status' | 'payment' | 'release' | 'validation' | 'fulfillment' | 'reconciliation' | 'exceptionOutcome' | 'notification';

/** Money goes in as the exact string; Postgres would round a 5th decimal silently, so refuse it here. */
function money(value: unknown, field: string): string {
  if (!isMoney(value))
    throw new UnusableRecordError(
      `${field} ${JSON.stringify(value)} is not money (a decimal string with at most 14 integer and 4 fraction digits)`,
    );
  return value;
}

function optionalMoney(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : money(value, field);
}

/** `<BundleID>#<n>` → BundleID (processors/domain/bundles.ts names groups after their first instance). */
export const bundleIdOf = (bundleGroupId: string | null): string | null => (bundleGroupId ? bundleGroupId.replace(/#\d+$/, '') : null);

function orderRows(state: OrderState): Row[] {
  const order = state.Order;
  const totals = state.Totals;
  const rows: Row[] = [
    {
      table: Tables.orders,
      values: [
        order.OrderID,
        order.ShipFromLocationID,
        order.CustomerID ?? null,
        order.CustRef ?? null,
        state.Status,
        order.PaymentMethod,
        state.PaymentStatus ?? null,
        state.ReleaseID ?? null,
        optionalMoney(totals?.SubTotal, 'SubTotal'),
        optionalMoney(totals?.TotalDiscount, 'TotalDiscount'),
        optionalMoney(totals?.TotalTaxes, 'TotalTaxes'),
        optionalMoney(totals?.InformationalTaxes, 'InformationalTaxes'),
        optionalMoney(totals?.TotalCharges, 'TotalCharges'),
        optionalMoney(totals?.OrderTotal, 'OrderTotal'),
        order.CreatedAt,
        state.UpdatedAt,
        state.TrackingID ?? null,
        state.Carrier ?? null,
        state.EstimatedDelivery ?? null,
        state.DeliveredAt ?? null,
        optionalMoney(state.CollectedAmount, 'CollectedAmount'),
        state.CollectedAt ?? null,
      ],
    },
  ];
  for (const line of state.Lines) {
    rows.push({
      table: Tables.orderLines,
      values: [
        order.OrderID,
        line.LineID,
        line.ItemID,
        line.Quantity,
        money(line.UnitPrice, `line ${line.LineID} UnitPrice`),
        money(line.LineAmount, `line ${line.LineID} LineAmount`),
        money(line.LineDiscount, `line ${line.LineID} LineDiscount`),
        money(line.LineTax, `line ${line.LineID} LineTax`),
        line.BundleGroupID ?? null,
        bundleIdOf(line.BundleGroupID ?? null),
        line.ShortDescription ?? null,
        line.ImageURL ?? null,
      ],
    });
  }
  return rows;
}

/** A business day as the report gives it (the local date of the cut-off): refused unless a real YYYY-MM-DD. */
function businessDay(value: unknown): string {
  const text = String(value);
  const parsed = Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(parsed) || new Date(parsed).toISOString().slice(0, 10) !== text)
    throw new UnusableRecordError(`BusinessDay ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  return text;
}

/** A report: its run, and one row per exception carrying the run's store, day and cut-off. */
function reconciliationRows(report: ReconciliationReport, partition: number, offset: bigint): Row[] {
  const day = businessDay(report.BusinessDay);
  const exceptions = report.Exceptions ?? [];
  const store = report.ShipFromLocationID;
  return [
    {
      table: Tables.reconciliationRuns,
      values: [
        partition,
        offset,
        store,
        day,
        report.TimeZone,
        report.CutOffAt,
        report.ReconciledOrders,
        money(report.ReconciledAmount, 'ReconciledAmount'),
        exceptions.length,
        money(report.ExpectedTotal, 'ExpectedTotal'),
        money(report.CollectedTotal, 'CollectedTotal'),
        report.At,
      ],
    },
    ...exceptions.map((exception, index): Row => ({
      table: Tables.reconciliationExceptions,
      values: [
        partition,
        offset,
        index,
        store,
        day,
        report.CutOffAt,
        exception.OrderID,
        exception.Kind,
        money(exception.ExpectedAmount, `exception ${exception.OrderID} ExpectedAmount`),
        optionalMoney(exception.CollectedAmount, `exception ${exception.OrderID} CollectedAmount`),
        money(exception.Difference, `exception ${exception.OrderID} Difference`),
        exception.DeliveredAt ?? null,
        exception.CollectedAt ?? null,
        report.At,
      ],
    })),
  ];
}

/**
 * The rows one record becomes. A null value (a tombstone in the orders changelog) becomes none: the order's
 * row stays for the analysts. Throws UnusableRecordError for a value no row can hold exactly.
 */
export function rowsOf(source: SinkSource, value: unknown, at: Position): Row[] {
  if (value === null || value === undefined) return [];
  const { partition, offset } = at;
  switch (source) {
    case 'orders':
      return orderRows(value as OrderState);
    case 'status': {
      const change = value as StatusChange;
      return [
        {
          table: Tables.statusHistory,
          values: [
            partition,
            offset,
            change.OrderID,
            change.ShipFromLocationID,
            change.FromStatus ?? null,
            change.ToStatus,
            change.Reason ?? null,
            change.Source,
            change.At,
            change.Actor ?? null,
          ],
        },
      ];
    }
    case 'payment': {
      const event = value as PaymentEvent;
      return [
        {
          table: Tables.payments,
          values: [
            partition,
            offset,
            event.OrderID,
            event.ShipFromLocationID,
            event.PaymentMethod,
            event.PaymentStatus,
            money(event.Amount, 'Amount'),
            event.At,
          ],
        },
      ];
    }
    case 'release': {
      const release = value as Release;
      return [
        {
          table: Tables.releases,
          values: [
            release.ReleaseID,
            release.OrderID,
            release.ShipFromLocationID,
            release.PaymentMethod,
            release.T1MembershipID ?? null,
            release.ReleaseLines.length,
            money(release.SubTotal, 'SubTotal'),
            money(release.TotalDiscount, 'TotalDiscount'),
            money(release.TotalTaxes, 'TotalTaxes'),
            money(release.InformationalTaxes, 'InformationalTaxes'),
            money(release.TotalCharges, 'TotalCharges'),
            money(release.OrderTotal, 'OrderTotal'),
            money(release.CodAmount, 'CodAmount'),
            release.At,
          ],
        },
      ];
    }
    case 'validation': {
      const result = value as ValidationResult;
      const errors = result.Errors ?? [];
      return [
        {
          table: Tables.validations,
          values: [partition, offset, result.OrderID, result.ShipFromLocationID, result.Valid, errors.length, result.At],
        },
        ...errors.map((error, index): Row => ({
          table: Tables.validationErrors,
          values: [
            partition,
            offset,
            index,
            result.OrderID,
            result.ShipFromLocationID,
            error.Rule,
            error.Code,
            error.Field,
            error.Message,
            result.At,
          ],
        })),
      ];
    }
    case 'fulfillment': {
      const call = value as FulfillmentInteraction;
      return [
        {
          table: Tables.fulfillmentInteractions,
          values: [
            partition,
            offset,
            call.ReleaseID ?? null,
            call.OrderID,
            call.ShipFromLocationID,
            call.Action,
            call.Attempt,
            call.Outcome,
            call.HttpStatus ?? null,
            call.Error ?? null,
            optionalMoney(call.Amount, 'Amount'),
            call.At,
          ],
        },
      ];
    }
    case 'reconciliation':
      return reconciliationRows(value as ReconciliationReport, partition, offset);
    case 'exceptionOutcome': {
      const { Command: command, ...outcome } = value as ExceptionOutcome;
      return [
        {
          table: Tables.exceptionOutcomes,
          values: [
            partition,
            offset,
            command.OrderID,
            command.ShipFromLocationID,
            command.Exception,
            command.Action,
            outcome.Outcome,
            outcome.Reason ?? null,
            command.Note,
            command.RequestedBy,
            command.CommandID,
            outcome.ReleaseID ?? null,
            command.At,
            outcome.At,
          ],
        },
      ];
    }
    case 'notification': {
      const step = value as NotificationOutcome;
      return [
        {
          table: Tables.notificationOutcomes,
          values: [
            partition,
            offset,
            step.NotificationID,
            step.OrderID,
            step.ShipFromLocationID,
            step.CustomerID ?? null,
            step.Event,
            step.Channel ?? null,
            step.Recipient ?? null,
            step.Language ?? null,
            step.Attempt,
            step.Outcome,
            step.Reason ?? null,
            step.HttpStatus ?? null,
            step.Error ?? null,
            step.ProviderMessageID ?? null,
            step.Body ?? null,
            step.DueAt ?? null,
            step.EventAt,
            step.At,
          ],
        },
      ];
    }
  }
}
