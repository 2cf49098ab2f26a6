// The order pipeline's records as the rules and stages use them. Their shapes are generated from the Avro schemas
// (avro/schemas/*.avsc → avro/generated/records.ts, `npm run generate:types`) and re-exported here; this module adds
// what the schemas deliberately leave open — the closed sets of codes the pipeline writes (rule letters, error
// codes, order and payment statuses, update actions) — and the records whose code fields are narrowed to them.
//
// Field names are the contract's (docs/contract.md §1–8): PascalCase, `ID` as in the source system. Money is a
// decimal string with at most four fraction digits ("35.5000"), never a number; timestamps are UTC ISO-8601
// strings. A decoded record carries every field (a missing one reads as its schema default); `| null` is the
// schema's ["null", T], and null reads as "not given" to the rules.
import type * as Schema from '../../avro/generated/records.js';

export type {
  BundleComponent,
  BundleDefinition,
  BundlePricing,
  Charge,
  Customer,
  DeliveryAddress,
  DeliveryStatus,
  Discount,
  Money,
  OrderCreate,
  OrderLine,
  OrderTotals,
  OrderUpdate,
  PaymentSettlement,
  Product,
  ReconciliationException,
  ReconciliationExceptionKind,
  ReconciliationReport,
  Release,
  ReleaseLine,
  SettlementException,
  SettlementExceptionKind,
  ShipEvent,
  ShipEventLine,
  ShipEventType,
  Tax,
  Timestamp,
} from '../../avro/generated/records.js';

/** One typed amount — a line discount, an informational tax or an order charge: the three records share the shape. */
export type AmountEntry = Schema.Discount | Schema.Tax | Schema.Charge;

/** `OrderUpdate.Action` by name. */
export const OrderUpdateAction = { Cancel: 'CANCEL', Modify: 'MODIFY' } as const satisfies Record<string, Schema.OrderUpdateAction>;
export type OrderUpdateAction = Schema.OrderUpdateAction;

/** Rule letters of section 3; '—' for the unlettered checks (lines, payment method, totals, COD, status). */
export type ValidationRule = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | '—';

export const ErrorCode = {
  InvalidOrderId: 'INVALID_ORDER_ID',
  DuplicateOrderId: 'DUPLICATE_ORDER_ID',
  ShipFromLocationMismatch: 'SHIP_FROM_LOCATION_MISMATCH',
  ForceAllocationRequired: 'FORCE_ALLOCATION_REQUIRED',
  InvalidT1MembershipId: 'INVALID_T1_MEMBERSHIP_ID',
  InvalidT1Number: 'INVALID_T1_NUMBER',
  InvalidCustRef: 'INVALID_CUST_REF',
  UnknownCustomer: 'UNKNOWN_CUSTOMER',
  InvalidLine: 'INVALID_LINE',
  UnsupportedPaymentMethod: 'UNSUPPORTED_PAYMENT_METHOD',
  MalformedRecord: 'MALFORMED_RECORD',
  DiscountExceedsSubtotal: 'DISCOUNT_EXCEEDS_SUBTOTAL',
  CodAmountOutOfRange: 'COD_AMOUNT_OUT_OF_RANGE',
  CodAreaNotServed: 'COD_AREA_NOT_SERVED',
  CodCustomerIneligible: 'COD_CUSTOMER_INELIGIBLE',
  OrderLocked: 'ORDER_LOCKED',
  /** An OrderUpdate for an OrderID this location has no order for (not in the contract's list). */
  OrderNotFound: 'ORDER_NOT_FOUND',
  DuplicateRelease: 'DUPLICATE_RELEASE',
  /** A DeliveryStatus whose Status the pipeline does not know (see DELIVERY_STATUS in status.ts). */
  UnknownEventType: 'UNKNOWN_EVENT_TYPE',
  /** A short or substitution naming a LineID the order never had. */
  UnknownLine: 'UNKNOWN_LINE',
  /** A CollectedAmount that is not a money amount ≥ 0, or a COLLECTED status without one. */
  InvalidCollectedAmount: 'INVALID_COLLECTED_AMOUNT',
  /** A delivery status from a partner that is not the carrier Slick handed the order to. */
  CarrierMismatch: 'CARRIER_MISMATCH',
  /** A settlement row whose SettledAmount is not a money amount ≥ 0 with at most 4 decimals. */
  InvalidSettledAmount: 'INVALID_SETTLED_AMOUNT',
  /** A settlement row from a partner that sends no settlement report (only PMP does). */
  UnknownSettlementPartner: 'UNKNOWN_SETTLEMENT_PARTNER',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A failed rule (`ValidationResult.Errors[]`), with the rule letter and code narrowed to the ones the pipeline writes. */
export interface ValidationError extends Schema.ValidationError {
  Rule: ValidationRule;
  Code: ErrorCode;
}

/** `order.validation.v1`. */
export interface ValidationResult extends Schema.ValidationResult {
  Errors: ValidationError[];
}

export const OrderStatus = {
  Open: 1000,
  Allocated: 2000,
  Released: 3000,
  Picking: 3500,
  Picked: 3600,
  Packed: 3700,
  Fulfilled: 7000,
  Shipped: 7100,
  InTransit: 7200,
  OutForDelivery: 7300,
  DeliveryFailed: 7400,
  Delivered: 7500,
  /** A return of some or all units was asked (the returns stage, from 7500 only). */
  ReturnRequested: 8000,
  /** The units of every open return were received and refunded. */
  Returned: 8500,
  Cancelled: 9000,
} as const;
export type OrderStatusCode = (typeof OrderStatus)[keyof typeof OrderStatus];

/** The names the contract gives the codes, for messages and UIs. */
export const OrderStatusName: Readonly<Record<OrderStatusCode, string>> = {
  1000: 'Open',
  2000: 'Allocated',
  3000: 'Released',
  3500: 'Picking',
  3600: 'Picked',
  3700: 'Packed',
  7000: 'Fulfilled',
  7100: 'Shipped',
  7200: 'In Transit',
  7300: 'Out for Delivery',
  7400: 'Delivery Failed',
  7500: 'Delivered',
  8000: 'Return requested',
  8500: 'Returned',
  9000: 'Cancelled',
};

/** COD payment status, kept apart from order status. '5000' (Paid) means "COD accepted". */
export const PaymentStatus = {
  Paid: '5000',
  Collected: 'Collected',
  Reconciled: 'Reconciled',
  Failed: 'Failed',
  Reversed: 'Reversed',
  /** Returned units refunded (the returns stage); Amount is that return's refund. */
  Refunded: 'Refunded',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** `order.status.v1`: one per transition, in order; status codes narrowed to OrderStatus, and always a Reason. */
export interface StatusChange extends Schema.StatusChange {
  FromStatus: OrderStatusCode | null;
  ToStatus: OrderStatusCode;
  Reason: string;
}

/** `order.payment.v1`: the COD lifecycle; PaymentStatus narrowed to the statuses the pipeline writes. */
export interface PaymentEvent extends Schema.PaymentEvent {
  PaymentStatus: PaymentStatus;
}
