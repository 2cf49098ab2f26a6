/**
 * The order as the lookup API shows it, whichever source answered: the `orders` store of the replica that
 * owns the order's partition, or the analysts' tables in Postgres. One JSON schema serves validation and the
 * OpenAPI document.
 *
 * The analysts' tables have neither the lines' tax rates nor the delivery address: an answer from Postgres has
 * `taxRate: null` on every line and `deliveryAddress: null`. The address is personal data: the lookup route
 * blanks it for the roles that neither deliver nor change the order (`seesDeliveryAddress`).
 */
import { isMoney, normaliseMoney } from '../processors/domain/money.js';
import { OrderStatusName, type OrderStatusCode } from '../processors/domain/types.js';
import type { OrderState } from '../processors/order-state.js';
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
  /** The line's tax rate as a fraction with 4 decimals ("0.0700" is 7 %); null when Postgres answered. */
  taxRate?: string | null;
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
  status: number;
  statusName: string;
  paymentMethod: string;
  paymentStatus: string | null;
  releaseId: string | null;
  createdAt: string;
  updatedAt: string;
  totals: OrderTotalsView | null;
  lines: OrderLineView[];
  history: HistoryView[];
  /** The delivery partner the order was handed to (GRAB, PMP), from Slick's `shipped` event; null before. */
  carrier: string | null;
  trackingId: string | null;
  /** Cash confirmed for the order (by its partner, or by store staff) and when; null while none. */
  collectedAmount: string | null;
  collectedAt: string | null;
  /**
   * Where the order goes, as the pipeline holds it (normalised, with any MODIFY applied). Null when Postgres
   * answered, and for a role that does not deliver or change the order. Optional, as `carrier` is in the schema:
   * a replica of an earlier version leaves it out of a forwarded answer.
   */
  deliveryAddress?: DeliveryAddressView | null;
}

const money = { type: 'string', pattern: '^-?[0-9]{1,14}\\.[0-9]{4}$' } as const;
/** A fraction from 0 to 1 with 4 decimals: "0.0700" is 7 %. */
const TAX_RATE_PATTERN = '^(0\\.[0-9]{4}|1\\.0000)$';
const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

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
    status: { type: 'integer' },
    statusName: { type: 'string' },
    paymentMethod: { type: 'string' },
    paymentStatus: nullableString,
    releaseId: nullableString,
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
        required: [
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
        ],
        properties: {
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
          // Not in `required`, for the same reason as `carrier` below.
          taxRate: { type: ['string', 'null'], pattern: TAX_RATE_PATTERN, description: 'a fraction ("0.0700" is 7 %); null from Postgres' },
        },
      },
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
    // Not in `required`: a replica of the previous version, answering a forwarded lookup, leaves them out.
    carrier: nullableString,
    trackingId: nullableString,
    collectedAmount: { type: ['string', 'null'], pattern: money.pattern },
    collectedAt: { type: ['string', 'null'], format: 'date-time' },
    deliveryAddress: {
      type: ['object', 'null'],
      description: 'null from Postgres, and for a role that neither delivers nor changes the order',
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

export function viewOfState(state: OrderState): OrderView {
  const order = state.Order;
  const totals = state.Totals;
  // The priced lines have no rate: the order's own lines (as accepted or last modified) do.
  const rates = new Map(order.OrderLines.map((line) => [line.LineID, line.TaxRate]));
  const address = order.DeliveryAddress;
  return {
    orderId: order.OrderID,
    shipFromLocationId: order.ShipFromLocationID,
    customerId: order.CustomerID ?? null,
    custRef: order.CustRef ?? null,
    status: state.Status,
    statusName: statusName(state.Status),
    paymentMethod: order.PaymentMethod,
    paymentStatus: state.PaymentStatus ?? null,
    releaseId: state.ReleaseID ?? null,
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
      taxRate: taxRateView(rates.get(line.LineID)),
    })),
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
    collectedAmount: state.CollectedAmount ?? null,
    collectedAt: state.CollectedAt ? iso(state.CollectedAt) : null,
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

/** The same view from the analysts' tables; the history is the transitions published on order.status.v1. */
export async function viewFromPostgres(db: SqlSession, orderId: string): Promise<OrderView | undefined> {
  type Row = Record<string, string | number | Date | null>;
  const orders = await db.query<Row>('SELECT * FROM orders WHERE order_id = $1', [orderId]);
  const row = orders.rows[0];
  if (!row) return undefined;
  const lines = await db.query<Row>('SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_id', [orderId]);
  const history = await db.query<Row>(
    'SELECT from_status, to_status, reason, source, at, actor FROM order_status_history WHERE order_id = $1 ORDER BY kafka_offset',
    [orderId],
  );
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    orderId: String(row.order_id),
    shipFromLocationId: String(row.ship_from_location_id),
    customerId: text(row.customer_id),
    custRef: text(row.cust_ref),
    status: Number(row.status),
    statusName: statusName(Number(row.status)),
    paymentMethod: String(row.payment_method),
    paymentStatus: text(row.payment_status),
    releaseId: text(row.release_id),
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
      // order_lines has no tax rate column.
      taxRate: null,
    })),
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
    collectedAmount: text(row.collected_amount),
    collectedAt: row.collected_at === null || row.collected_at === undefined ? null : iso(row.collected_at as Date),
    // The tables keep no delivery address (the sink never wrote one).
    deliveryAddress: null,
  };
}
