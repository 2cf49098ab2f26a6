/**
 * The tables the sink writes and how each topic's record becomes rows of them. Pure: no I/O. Column lists
 * are in the order of the `values` arrays, with the Postgres type each is cast to when written.
 */
import { isMoney } from '../processors/domain/money.js';
import { UNKNOWN_ON_HAND } from '../processors/inventory.js';
import type {
  ExceptionOutcome,
  FulfillmentInteraction,
  InventoryCounter,
  LowStockEvent,
  NotificationOutcome,
  PaymentSettlement,
  ReconciliationReport,
  ReturnsState,
} from '../avro/records.js';
import type { PaymentEvent, Release, StatusChange, ValidationResult } from '../processors/domain/types.js';
import type { OrderState } from '../processors/order-state.js';

export interface TableSpec {
  readonly name: string;
  readonly columns: ReadonlyArray<readonly [column: string, type: string]>;
  /**
   * upsert: ON CONFLICT (key) the row is replaced, and only the last row per key in a batch is written.
   * replace: the rows are a set that belongs to a row of the `owner` table (an order's lines): whenever an
   * owner row is written, the set for its key is deleted and the rows that came with it go in — none, if
   * none came. insert: plain INSERT; a duplicate is a bug and fails the batch. merge: several records describe
   * one row (copies of a command, its outcome): each column keeps the first non-null value any of them gave,
   * so a copy written again changes nothing and a late outcome only fills what was empty.
   */
  readonly write:
    | { mode: 'upsert'; key: readonly string[] }
    | { mode: 'replace'; key: readonly string[]; owner: string }
    | { mode: 'merge'; key: readonly string[] }
    | { mode: 'insert' };
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
    tracking_id text, carrier text, estimated_delivery timestamptz, delivered_at timestamptz, collected_amount numeric, collected_at timestamptz,
    settlement_id text, settled_amount numeric, settlement_date date,
    release_due_at timestamptz, t1_membership_id text, t1_number text, delivery_line1 text, delivery_district text,
    delivery_province text, delivery_postal_code text, delivery_phone text`,
  ),
  orderLines: table(
    'order_lines',
    { mode: 'replace', key: ['order_id'], owner: 'orders' },
    `order_id text, line_id text, item_id text, quantity integer, unit_price numeric,
    line_amount numeric, line_discount numeric, line_tax numeric, bundle_group_id text, bundle_id text, short_description text, image_url text,
    tax_rate numeric, declared_bundle_id text, position integer`,
  ),
  // What Slick shorted, and every history entry (notes included), as the state holds them: sets of the order's row.
  orderShortedLines: table(
    'order_shorted_lines',
    { mode: 'replace', key: ['order_id'], owner: 'orders' },
    `order_id text, position integer, line_id text, item_id text, quantity integer, unit_price numeric, line_amount numeric,
    line_discount numeric, line_tax numeric, bundle_group_id text, short_description text, image_url text`,
  ),
  orderHistory: table(
    'order_history',
    { mode: 'replace', key: ['order_id'], owner: 'orders' },
    `order_id text, position integer, from_status integer, to_status integer, reason text, source text, at timestamptz, actor text`,
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
    difference numeric, delivered_at timestamptz, collected_at timestamptz, at timestamptz, settled_amount numeric, settlement_id text`,
  ),
  // Upserted by SettlementID: a row imported again is the same record, written over itself.
  paymentSettlements: table(
    'payment_settlements',
    { mode: 'upsert', key: ['settlement_id'] },
    `settlement_id text, partner text, settlement_date date, order_id text, ship_from_location_id text, tracking_id text,
    settled_amount numeric, collected_at timestamptz, source_file text, source_line integer`,
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
  lowStockEvents: table(
    'low_stock_events',
    { mode: 'insert' },
    `kafka_partition integer, kafka_offset bigint, ship_from_location_id text, item_id text, on_hand bigint, allocated bigint,
    order_id text, at timestamptz`,
  ),
  // Upserted: the changelog's last value per store and item is the counter as it stands.
  inventoryCounters: table(
    'inventory_counters',
    { mode: 'upsert', key: ['ship_from_location_id', 'item_id'] },
    `ship_from_location_id text, item_id text, on_hand bigint, allocated bigint`,
  ),
  // Upserted from the returns changelog: every record is all of an order's returns, a return filled in when received.
  orderReturns: table(
    'order_returns',
    { mode: 'upsert', key: ['order_id', 'return_id'] },
    `order_id text, return_id text, ship_from_location_id text, command_id text, reason text, requested_by text,
    requested_at timestamptz, received_by text, received_at timestamptz, refund_total numeric`,
  ),
  orderReturnLines: table(
    'order_return_lines',
    { mode: 'upsert', key: ['order_id', 'return_id', 'line_id'] },
    `order_id text, return_id text, line_id text, position integer, item_id text, quantity integer, amount numeric,
    discount numeric, tax numeric, refund numeric`,
  ),
  // Merged by command: its record, a redelivery, a copy sent again, its dead letter and its outcome are one row (action-audit.ts).
  actionAudit: table(
    'action_audit',
    { mode: 'merge', key: ['audit_id'] },
    `audit_id text, command_id text, actor text, actor_role text, action text, target_kind text, target_id text,
    ship_from_location_id text, requested_at timestamptz, outcome text, outcome_reason text, outcome_at timestamptz, details jsonb,
    kafka_topic text, kafka_partition integer, kafka_offset bigint`,
  ),
} as const;

/** What each consumed topic holds, by the sink's name for it. */
export type SinkSource =
  | 'orders'
  | 'status'
  | 'payment'
  | 'release'
  | 'validation'
  | 'fulfillment'
  | 'reconciliation'
  | 'exceptionOutcome'
  | 'notification'
  | 'lowStock'
  | 'inventory'
  | 'settlement'
  | 'returns';

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

/** A line's tax rate, a fraction from 0 to 1 with at most 4 decimals; refused otherwise, as money is (never rounded). */
function taxRate(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!isMoney(value) || value.startsWith('-') || Number(value) > 1)
    throw new UnusableRecordError(`${field} ${JSON.stringify(value)} is not a tax rate (a fraction from 0 to 1, at most 4 decimals)`);
  return value;
}

/** `<BundleID>#<n>` → BundleID (processors/domain/bundles.ts names groups after their first instance). */
export const bundleIdOf = (bundleGroupId: string | null): string | null => (bundleGroupId ? bundleGroupId.replace(/#\d+$/, '') : null);

function orderRows(state: OrderState): Row[] {
  const order = state.Order;
  const totals = state.Totals;
  const address = order.DeliveryAddress;
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
        state.SettlementID ?? null,
        optionalMoney(state.SettledAmount, 'SettledAmount'),
        state.SettlementDate ? calendarDate(state.SettlementDate, 'SettlementDate') : null,
        state.ReleaseDueAt ?? null,
        order.T1MembershipID ?? null,
        order.T1Number ?? null,
        address.Line1 ?? null,
        address.District ?? null,
        address.Province ?? null,
        address.PostalCode,
        address.Phone ?? null,
      ],
    },
  ];
  // The priced lines carry neither rate nor declared bundle: the order's own lines do.
  const ordered = new Map(order.OrderLines.map((line) => [line.LineID, line]));
  state.Lines.forEach((line, position) => {
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
        taxRate(ordered.get(line.LineID)?.TaxRate, `line ${line.LineID} TaxRate`),
        ordered.get(line.LineID)?.BundleID ?? null,
        position,
      ],
    });
  });
  state.ShortedLines.forEach((line, position) => {
    rows.push({
      table: Tables.orderShortedLines,
      values: [
        order.OrderID,
        position,
        line.LineID,
        line.ItemID,
        line.Quantity,
        money(line.UnitPrice, `shorted line ${line.LineID} UnitPrice`),
        money(line.LineAmount, `shorted line ${line.LineID} LineAmount`),
        money(line.LineDiscount, `shorted line ${line.LineID} LineDiscount`),
        money(line.LineTax, `shorted line ${line.LineID} LineTax`),
        line.BundleGroupID ?? null,
        line.ShortDescription ?? null,
        line.ImageURL ?? null,
      ],
    });
  });
  state.History.forEach((entry, position) => {
    rows.push({
      table: Tables.orderHistory,
      values: [order.OrderID, position, entry.From ?? null, entry.To, entry.Reason ?? null, entry.Source, entry.At, entry.Actor ?? null],
    });
  });
  return rows;
}

/** A business day as the report gives it (the local date of the cut-off): refused unless a real YYYY-MM-DD. */
const businessDay = (value: unknown): string => calendarDate(value, 'BusinessDay');

/** A date field (YYYY-MM-DD): refused unless a real calendar date. */
function calendarDate(value: unknown, field: string): string {
  const text = String(value);
  const parsed = Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(parsed) || new Date(parsed).toISOString().slice(0, 10) !== text)
    throw new UnusableRecordError(`${field} ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  return text;
}

/**
 * A report: its run, and one row per exception carrying the run's store, day and cut-off — the collection exceptions,
 * then the settlement exceptions (expected: what the callback collected, so difference = settled − collected).
 */
function reconciliationRows(report: ReconciliationReport, partition: number, offset: bigint): Row[] {
  const day = businessDay(report.BusinessDay);
  const exceptions = report.Exceptions ?? [];
  const settlements = report.SettlementExceptions ?? [];
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
        exceptions.length + settlements.length,
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
        null,
        null,
      ],
    })),
    ...settlements.map((exception, index): Row => ({
      table: Tables.reconciliationExceptions,
      values: [
        partition,
        offset,
        exceptions.length + index,
        store,
        day,
        report.CutOffAt,
        exception.OrderID,
        exception.Kind,
        optionalMoney(exception.CollectedAmount, `exception ${exception.OrderID} CollectedAmount`) ?? '0.0000',
        optionalMoney(exception.CollectedAmount, `exception ${exception.OrderID} CollectedAmount`),
        money(exception.Difference, `exception ${exception.OrderID} Difference`),
        exception.DeliveredAt ?? null,
        exception.CollectedAt ?? null,
        report.At,
        optionalMoney(exception.SettledAmount, `exception ${exception.OrderID} SettledAmount`),
        exception.SettlementID ?? null,
      ],
    })),
  ];
}

/** A settlement row as imported. */
function settlementRows(row: PaymentSettlement): Row[] {
  return [
    {
      table: Tables.paymentSettlements,
      values: [
        row.SettlementID,
        row.Partner,
        calendarDate(row.SettlementDate, 'SettlementDate'),
        row.OrderID,
        row.ShipFromLocationID,
        row.TrackingID,
        money(row.SettledAmount, 'SettledAmount'),
        row.CollectedAt,
        row.SourceFile,
        row.SourceLine,
      ],
    },
  ];
}

/** A counter as it stands; OnHand -1 (no count yet) is null, so no analyst mistakes it for an empty shelf. */
function inventoryRows(counter: InventoryCounter): Row[] {
  const onHand = counter.OnHand === UNKNOWN_ON_HAND ? null : counter.OnHand;
  return [{ table: Tables.inventoryCounters, values: [counter.ShipFromLocationID, counter.ItemID, onHand, counter.Allocated] }];
}

/** Each return of an order, and each of its lines; amounts null until the return is received. */
function returnRows(returns: ReturnsState): Row[] {
  return returns.Returns.flatMap((entry): Row[] => [
    {
      table: Tables.orderReturns,
      values: [
        returns.OrderID,
        entry.ReturnID,
        returns.ShipFromLocationID,
        entry.CommandID,
        entry.Reason ?? null,
        entry.RequestedBy,
        entry.RequestedAt,
        entry.ReceivedBy ?? null,
        entry.ReceivedAt ?? null,
        optionalMoney(entry.RefundTotal, 'RefundTotal'),
      ],
    },
    ...entry.Lines.map((line, position) => ({
      table: Tables.orderReturnLines,
      values: [
        returns.OrderID,
        entry.ReturnID,
        line.LineID,
        position,
        line.ItemID,
        line.Quantity,
        optionalMoney(line.Amount, 'Amount'),
        optionalMoney(line.Discount, 'Discount'),
        optionalMoney(line.Tax, 'Tax'),
        optionalMoney(line.Refund, 'Refund'),
      ],
    })),
  ]);
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
    case 'settlement':
      return settlementRows(value as PaymentSettlement);
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
    case 'lowStock': {
      const event = value as LowStockEvent;
      return [
        {
          table: Tables.lowStockEvents,
          values: [partition, offset, event.ShipFromLocationID, event.ItemID, event.OnHand, event.Allocated, event.OrderID, event.At],
        },
      ];
    }
    case 'inventory':
      return inventoryRows(value as InventoryCounter);
    case 'returns':
      return returnRows(value as ReturnsState);
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
