/**
 * The order as the lookup API shows it, whichever source answered: the `orders` store of the replica that
 * owns the order's partition, or the analysts' tables in Postgres. One JSON schema serves validation and the
 * OpenAPI document.
 *
 * Both sources give the same view of the same state: the sink writes everything shown here from the `orders`
 * store's changelog (sinks/tables.ts: `orders`, `order_lines`, `order_shorted_lines`, `order_history`), so an
 * answer from Postgres equals the replica's once the sink has caught up. An order the sink last wrote before those
 * columns and tables existed (migration 012) shows `taxRate: null`, `bundleId: null`, no shorted lines and no
 * address, and the history of its transitions only (`order_status_history`), until its next change is written.
 *
 * Left out on purpose: what only the pipeline uses (PayloadHash, SeenEventIDs), the line's own discounts and
 * informational taxes (the priced line's amounts already sum them), the currency, and the partner's settlement
 * (finance's, not a store's question).
 *
 * The address is personal data: the lookup route blanks it for the roles that neither deliver nor change the
 * order (`seesDeliveryAddress`) and masks its phone for store roles (`seesWholePhone`, phone-mask.ts).
 */
import { isMoney, normaliseMoney } from '../processors/domain/money.js';
import { OrderStatusName, type OrderStatusCode } from '../processors/domain/types.js';
import type { OrderState, PricedLine } from '../processors/order-state.js';
import type { SqlSession } from '../postgres/sql.js';

export interface OrderTotalsView {
  subTotal: string;
  totalDiscount: string;
  totalTaxes: string;
  informationalTaxes: string;
  totalCharges: string;
  orderTotal: string;
}

export interface OrderLineView {
  lineId: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  lineAmount: string;
  lineDiscount: string;
  lineTax: string;
  bundleGroupId: string | null;
  shortDescription: string | null;
  imageUrl: string | null;
  /** The line's tax rate as a fraction with 4 decimals ("0.0700" is 7 %); null when no source knows it. */
  taxRate?: string | null;
  /**
   * The bundle the order line names (OrderLine.BundleID), sent back by the modify dialog so that a change keeps it;
   * null for a line that names none, even when the pipeline found it in a bundle (then see `bundleGroupId`).
   */
  bundleId?: string | null;
}

/** A line, or the units of one, that Slick shorted: as it was priced then (OrderState.ShortedLines). */
export interface ShortedLineView {
  lineId: string;
  itemId: string;
  quantity: number;
  unitPrice: string;
  lineAmount: string;
  lineDiscount: string;
  lineTax: string;
  bundleGroupId: string | null;
  shortDescription: string | null;
  imageUrl: string | null;
}

export interface DeliveryAddressView {
  line1: string | null;
  district: string | null;
  province: string | null;
  postalCode: string;
  phone: string | null;
}

export interface HistoryView {
  from: number | null;
  to: number;
  reason: string | null;
  source: string;
  at: string;
  /** Who asked for it (the token subject of a person's action); null for the pipeline's own steps. */
  actor: string | null;
}

export interface OrderView {
  orderId: string;
  shipFromLocationId: string;
  customerId: string | null;
  custRef: string | null;
  /** The customer's T1 loyalty membership id and T1 number, as the order gave them. */
  t1MembershipId?: string | null;
  t1Number?: string | null;
  status: number;
  statusName: string;
  paymentMethod: string;
  paymentStatus: string | null;
  releaseId: string | null;
  /** When a held order goes to the warehouse (CreatedAt + hold); null when not held. */
  releaseDueAt?: string | null;
  createdAt: string;
  updatedAt: string;
  totals: OrderTotalsView | null;
  lines: OrderLineView[];
  /** What Slick shorted, in the order it happened; the lines above are what remains. */
  shortedLines?: ShortedLineView[];
  /** Every entry of the order's history, oldest first: transitions, and notes that kept the status (From = To). */
  history: HistoryView[];
  /** The delivery partner the order was handed to (GRAB, PMP), from Slick's `shipped` event; null before. */
  carrier: string | null;
  trackingId: string | null;
  /** The carrier's estimated delivery, from Slick's latest event that gave one; null before. */
  estimatedDelivery?: string | null;
  /** When the delivery partner reported the order delivered; null before. */
  deliveredAt?: string | null;
  /** Cash confirmed for the order (by its partner, or by store staff) and when; null while none. */
  collectedAmount: string | null;
  collectedAt: string | null;
  /**
   * Where the order goes, as the pipeline holds it (normalised, with any MODIFY applied). Null for a role that does
   * not deliver or change the order; the phone masked for store roles. Optional, as `carrier` is in the schema:
   * a replica of an earlier version leaves it out of a forwarded answer.
   */
  deliveryAddress?: DeliveryAddressView | null;
}

const money = { type: 'string', pattern: '^-?[0-9]{1,14}\\.[0-9]{4}$' } as const;
/** A fraction from 0 to 1 with 4 decimals: "0.0700" is 7 %. */
const TAX_RATE_PATTERN = '^(0\\.[0-9]{4}|1\\.0000)$';
const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

/** The fields a priced line and a shorted one share. */
const pricedLineProperties = {
  lineId: { type: 'string' },
  itemId: { type: 'string' },
  quantity: { type: 'integer' },
  unitPrice: money,
  lineAmount: money,
  lineDiscount: money,
  lineTax: money,
  bundleGroupId: nullableString,
  shortDescription: nullableString,
  imageUrl: nullableString,
} as const;
const pricedLineRequired = [
  'lineId',
  'itemId',
  'quantity',
  'unitPrice',
  'lineAmount',
  'lineDiscount',
  'lineTax',
  'bundleGroupId',
  'shortDescription',
  'imageUrl',
] as const;

export const orderViewSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'orderId',
    'shipFromLocationId',
    'customerId',
    'custRef',
    'status',
    'statusName',
    'paymentMethod',
    'paymentStatus',
    'releaseId',
    'createdAt',
    'updatedAt',
    'totals',
    'lines',
    'history',
  ],
  properties: {
    orderId: { type: 'string' },
    shipFromLocationId: { type: 'string' },
    customerId: nullableString,
    custRef: nullableString,
    t1MembershipId: nullableString,
    t1Number: nullableString,
    status: { type: 'integer' },
    statusName: { type: 'string' },
    paymentMethod: { type: 'string' },
    paymentStatus: nullableString,
    releaseId: nullableString,
    releaseDueAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
    totals: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['subTotal', 'totalDiscount', 'totalTaxes', 'informationalTaxes', 'totalCharges', 'orderTotal'],
      properties: {
        subTotal: money,
        totalDiscount: money,
        totalTaxes: money,
        informationalTaxes: money,
        totalCharges: money,
        orderTotal: money,
      },
    },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: pricedLineRequired,
        properties: {
          ...pricedLineProperties,
          // Not in `required`, for the same reason as `carrier` below.
          taxRate: { type: ['string', 'null'], pattern: TAX_RATE_PATTERN, description: 'a fraction ("0.0700" is 7 %); null when unknown' },
          bundleId: {
            ...nullableString,
            description: 'the bundle the order line names (OrderLine.BundleID); see bundleGroupId for the one it was priced in',
          },
        },
      },
    },
    shortedLines: {
      type: 'array',
      description: 'lines, or units of lines, Slick shorted, as they were priced; oldest first',
      items: { type: 'object', additionalProperties: false, required: pricedLineRequired, properties: pricedLineProperties },
    },
    history: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to', 'reason', 'source', 'at', 'actor'],
        properties: {
          from: { type: ['integer', 'null'] },
          to: { type: 'integer' },
          reason: nullableString,
          source: { type: 'string' },
          actor: nullableString,
          at: timestamp,
        },
      },
    },
    // Not in `required`: a replica of a previous version, answering a forwarded lookup, leaves them out.
    carrier: nullableString,
    trackingId: nullableString,
    estimatedDelivery: nullableTimestamp,
    deliveredAt: nullableTimestamp,
    collectedAmount: { type: ['string', 'null'], pattern: money.pattern },
    collectedAt: nullableTimestamp,
    deliveryAddress: {
      type: ['object', 'null'],
      description:
        'null for a role that neither delivers nor changes the order; the phone masked for store staff and managers ("081****678")',
      additionalProperties: false,
      required: ['line1', 'district', 'province', 'postalCode', 'phone'],
      properties: {
        line1: nullableString,
        district: nullableString,
        province: nullableString,
        postalCode: { type: 'string' },
        phone: nullableString,
      },
    },
  },
} as const;

const statusName = (status: number): string => OrderStatusName[status as OrderStatusCode] ?? String(status);

/** ISO-8601 UTC, whatever form the source holds the time in. */
const iso = (value: string | Date): string => (value instanceof Date ? value : new Date(value)).toISOString();

const TAX_RATE = new RegExp(TAX_RATE_PATTERN);

/** The rate as the view shows it, 4 decimals (what the modify route takes back); null for one validation never lets through. */
function taxRateView(rate: string | undefined): string | null {
  const shown = rate !== undefined && isMoney(rate) ? normaliseMoney(rate) : undefined;
  return shown !== undefined && TAX_RATE.test(shown) ? shown : null;
}

/** An optional time as the view shows it; null when absent (or not a time at all, which validation never lets in). */
const optionalIso = (value: string | Date | null | undefined): string | null =>
  value === null || value === undefined || Number.isNaN(new Date(value).getTime()) ? null : iso(value);

/** A priced line's fields, shorted or not; the unit price with the 4 decimals the other amounts already have. */
function pricedLineView(line: PricedLine): ShortedLineView {
  return {
    lineId: line.LineID,
    itemId: line.ItemID,
    quantity: line.Quantity,
    // As the customer sent it ("22" is valid input); shown, like every amount here, with 4 decimals.
    unitPrice: normaliseMoney(line.UnitPrice),
    lineAmount: line.LineAmount,
    lineDiscount: line.LineDiscount,
    lineTax: line.LineTax,
    bundleGroupId: line.BundleGroupID ?? null,
    shortDescription: line.ShortDescription ?? null,
    imageUrl: line.ImageURL ?? null,
  };
}

export function viewOfState(state: OrderState): OrderView {
  const order = state.Order;
  const totals = state.Totals;
  // The priced lines have no rate nor declared bundle: the order's own lines (as accepted or last modified) do.
  const ordered = new Map(order.OrderLines.map((line) => [line.LineID, line]));
  const address = order.DeliveryAddress;
  return {
    orderId: order.OrderID,
    shipFromLocationId: order.ShipFromLocationID,
    customerId: order.CustomerID ?? null,
    custRef: order.CustRef ?? null,
    t1MembershipId: order.T1MembershipID ?? null,
    t1Number: order.T1Number ?? null,
    status: state.Status,
    statusName: statusName(state.Status),
    paymentMethod: order.PaymentMethod,
    paymentStatus: state.PaymentStatus ?? null,
    releaseId: state.ReleaseID ?? null,
    releaseDueAt: optionalIso(state.ReleaseDueAt),
    createdAt: iso(order.CreatedAt),
    updatedAt: iso(state.UpdatedAt),
    totals: totals
      ? {
          subTotal: totals.SubTotal,
          totalDiscount: totals.TotalDiscount,
          totalTaxes: totals.TotalTaxes,
          informationalTaxes: totals.InformationalTaxes,
          totalCharges: totals.TotalCharges,
          orderTotal: totals.OrderTotal,
        }
      : null,
    lines: state.Lines.map((line) => ({
      ...pricedLineView(line),
      taxRate: taxRateView(ordered.get(line.LineID)?.TaxRate),
      bundleId: ordered.get(line.LineID)?.BundleID ?? null,
    })),
    shortedLines: state.ShortedLines.map(pricedLineView),
    history: state.History.map((entry) => ({
      from: entry.From ?? null,
      to: entry.To,
      reason: entry.Reason ?? null,
      source: entry.Source,
      at: iso(entry.At),
      actor: entry.Actor ?? null,
    })),
    carrier: state.Carrier ?? null,
    trackingId: state.TrackingID ?? null,
    estimatedDelivery: optionalIso(state.EstimatedDelivery),
    deliveredAt: optionalIso(state.DeliveredAt),
    collectedAmount: state.CollectedAmount ?? null,
    collectedAt: optionalIso(state.CollectedAt),
    deliveryAddress: address
      ? {
          line1: address.Line1 ?? null,
          district: address.District ?? null,
          province: address.Province ?? null,
          postalCode: address.PostalCode,
          phone: address.Phone ?? null,
        }
      : null,
  };
}

type Row = Record<string, string | number | Date | null>;

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** A row of `order_lines` or `order_shorted_lines`, as pricedLineView shows the line. */
const pricedLineOfRow = (line: Row): ShortedLineView => ({
  lineId: String(line.line_id),
  itemId: String(line.item_id),
  quantity: Number(line.quantity),
  unitPrice: String(line.unit_price),
  lineAmount: String(line.line_amount),
  lineDiscount: String(line.line_discount),
  lineTax: String(line.line_tax),
  bundleGroupId: text(line.bundle_group_id),
  shortDescription: text(line.short_description),
  imageUrl: text(line.image_url),
});

/**
 * The same view from the analysts' tables, written by the sink from the same state. The history is `order_history`
 * (every entry, notes included); an order last written before that table existed has none there, and shows the
 * transitions published on order.status.v1 instead.
 */
export async function viewFromPostgres(db: SqlSession, orderId: string): Promise<OrderView | undefined> {
  const orders = await db.query<Row>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  const row = orders.rows[0];
  if (!row) return undefined;
  // In the state's order; rows written before `position` existed follow, by line id.
  const lines = await db.query<Row>('SELECT * FROM order_lines WHERE order_id = $1 ORDER BY position NULLS LAST, line_id', [orderId]);
  const shorted = await db.query<Row>('SELECT * FROM order_shorted_lines WHERE order_id = $1 ORDER BY position', [orderId]);
  let history = await db.query<Row>(
    'SELECT from_status, to_status, reason, source, at, actor FROM order_history WHERE order_id = $1 ORDER BY position',
    [orderId],
  );
  if (history.rows.length === 0)
    history = await db.query<Row>(
      'SELECT from_status, to_status, reason, source, at, actor FROM order_status_history WHERE order_id = $1 ORDER BY kafka_offset',
      [orderId],
    );
  return {
    orderId: String(row.order_id),
    shipFromLocationId: String(row.ship_from_location_id),
    customerId: text(row.customer_id),
    custRef: text(row.cust_ref),
    t1MembershipId: text(row.t1_membership_id),
    t1Number: text(row.t1_number),
    status: Number(row.status),
    statusName: statusName(Number(row.status)),
    paymentMethod: String(row.payment_method),
    paymentStatus: text(row.payment_status),
    releaseId: text(row.release_id),
    releaseDueAt: optionalIso(row.release_due_at as Date | null),
    createdAt: iso(row.created_at as Date),
    updatedAt: iso(row.updated_at as Date),
    totals:
      row.order_total === null
        ? null
        : {
            subTotal: String(row.sub_total),
            totalDiscount: String(row.total_discount),
            totalTaxes: String(row.total_taxes),
            informationalTaxes: String(row.informational_taxes),
            totalCharges: String(row.total_charges),
            orderTotal: String(row.order_total),
          },
    lines: lines.rows.map((line) => ({
      ...pricedLineOfRow(line),
      taxRate: text(line.tax_rate),
      bundleId: text(line.declared_bundle_id),
    })),
    shortedLines: shorted.rows.map(pricedLineOfRow),
    history: history.rows.map((entry) => ({
      from: entry.from_status === null ? null : Number(entry.from_status),
      to: Number(entry.to_status),
      reason: text(entry.reason),
      source: String(entry.source),
      at: iso(entry.at as Date),
      actor: text(entry.actor),
    })),
    carrier: text(row.carrier),
    trackingId: text(row.tracking_id),
    estimatedDelivery: optionalIso(row.estimated_delivery as Date | null),
    deliveredAt: optionalIso(row.delivered_at as Date | null),
    collectedAmount: text(row.collected_amount),
    collectedAt: optionalIso(row.collected_at as Date | null),
    // The postal code is always there once the sink writes the address: none means the row predates it.
    deliveryAddress:
      row.delivery_postal_code === null || row.delivery_postal_code === undefined
        ? null
        : {
            line1: text(row.delivery_line1),
            district: text(row.delivery_district),
            province: text(row.delivery_province),
            postalCode: String(row.delivery_postal_code),
            phone: text(row.delivery_phone),
          },
  };
}
