// The order pipeline's records as plain JSON, spelled exactly as the contract (docs: domain.md §1–8) spells
// them: PascalCase fields, `ID` as in the source system. Money is always a decimal string with at most four
// fraction digits ("35.5000"), never a number. Timestamps are UTC ISO-8601 strings.
//
// Optional (`?`) means a producer may leave the field out; `| null` means it may send null. Both read as
// "not given" to the rules.

/** A decimal string with at most 4 fraction digits, DECIMAL(18,4): "20.0000", "35.5", "0". */
export type Money = string;
/** A UTC ISO-8601 timestamp: "2026-11-21T09:15:00Z". */
export type Timestamp = string;

/** One typed amount: a line discount, an informational tax or an order charge. */
export interface AmountEntry {
  Type: string;
  Amount: Money;
}
/** A line discount, e.g. `{ Type: "Promo", Amount: "5.0000" }`. Bundle discounts are not listed here. */
export type DiscountEntry = AmountEntry;
/** An informational tax (reported, never charged), e.g. `{ Type: "VATIncluded", Amount: "4.6500" }`. */
export type TaxEntry = AmountEntry;
/** An order-level charge, e.g. `{ Type: "DeliveryFee", Amount: "20.0000" }`; never prorated onto lines. */
export type ChargeEntry = AmountEntry;

export interface DeliveryAddress {
  Line1?: string | null;
  District?: string | null;
  Province?: string | null;
  PostalCode: string;
  Phone?: string | null;
}

export interface OrderLine {
  LineID: string;
  ItemID: string;
  /** May be omitted; when given it must equal the order's (Rule B). */
  ShipFromLocationID?: string | null;
  /** Whole units, ≥ 1. */
  Quantity: number;
  UnitPrice: Money;
  /** A decimal fraction with at most 4 fraction digits: "0.0700" is 7 %. */
  TaxRate: string;
  ShortDescription?: string | null;
  ImageURL?: string | null;
  Discounts?: DiscountEntry[] | null;
  InformationalTaxes?: TaxEntry[] | null;
  /** Set when the producer already sold this line as part of a bundle (section 6). */
  BundleID?: string | null;
}

export interface OrderCreate {
  OrderID: string;
  ShipFromLocationID: string;
  IsForceAllocation: boolean;
  T1MembershipID?: string | null;
  T1Number?: string | null;
  CustRef?: string | null;
  CustomerID?: string | null;
  Currency?: string;
  PaymentMethod: string;
  CreatedAt: Timestamp;
  DeliveryAddress: DeliveryAddress;
  Charges?: ChargeEntry[] | null;
  OrderLines: OrderLine[];
}

export const OrderUpdateAction = { Cancel: 'CANCEL', Modify: 'MODIFY' } as const;
export type OrderUpdateAction = (typeof OrderUpdateAction)[keyof typeof OrderUpdateAction];

export interface OrderUpdate {
  OrderID: string;
  ShipFromLocationID: string;
  Action: OrderUpdateAction;
  Reason: string;
  /** MODIFY only: the order's new lines (replacing the old ones). */
  OrderLines?: OrderLine[] | null;
  /** MODIFY only: the new delivery address. */
  DeliveryAddress?: DeliveryAddress | null;
}

/** `catalog.product.v1`, keyed by ItemID. */
export interface Product {
  ItemID: string;
  ShortDescription: string | null;
  ImageURL: string | null;
  UnitPrice: Money;
  TaxRate: string;
}

/** `customer.profile.v1`, keyed by CustomerID. */
export interface Customer {
  CustomerID: string;
  Name: string;
  Phone: string;
  CodEligible: boolean;
  /** Highest COD order total accepted for this customer; null means no customer-specific limit. */
  CodLimit: Money | null;
}

export interface BundleComponent {
  ItemID: string;
  /** Units of the item in one bundle instance, ≥ 1. */
  Quantity: number;
}

export type BundlePricing =
  | { Type: 'FIXED'; Price: Money }
  | { Type: 'PERCENT_OFF'; Percent: string }
  | { Type: 'AMOUNT_OFF'; Amount: Money };

/** `bundle.definition.v1`, keyed by BundleID. */
export interface BundleDefinition {
  BundleID: string;
  Components: BundleComponent[];
  Pricing: BundlePricing;
  /** Inclusive start; null or absent: active since always. */
  ActiveFrom?: Timestamp | null;
  /** Exclusive end; null or absent: open-ended. */
  ActiveTo?: Timestamp | null;
  /** ShipFromLocationIDs where the bundle applies; empty (or absent) means every location. */
  Locations?: string[] | null;
  /** Higher is detected first. */
  Priority: number;
}

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
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ValidationError {
  Rule: ValidationRule;
  Code: ErrorCode;
  /** Path of the offending field: "OrderID", "OrderLines[1].Quantity", "Charges[0].Amount"; "" for the whole record. */
  Field: string;
  /** For people: says what is wrong and quotes the value received. */
  Message: string;
}

/** `order.validation.v1`. */
export interface ValidationResult {
  OrderID: string;
  ShipFromLocationID: string;
  Valid: boolean;
  Errors: ValidationError[];
  At: Timestamp;
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
  9000: 'Cancelled',
};

/** COD payment status, kept apart from order status. '5000' (Paid) means "COD accepted". */
export const PaymentStatus = {
  Paid: '5000',
  Collected: 'Collected',
  Reconciled: 'Reconciled',
  Failed: 'Failed',
  Reversed: 'Reversed',
} as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** `order.status.v1`: one per transition, in order. */
export interface StatusChange {
  OrderID: string;
  ShipFromLocationID: string;
  /** null for the order's first status. */
  FromStatus: OrderStatusCode | null;
  ToStatus: OrderStatusCode;
  Reason: string;
  Source: string;
  At: Timestamp;
}

/** `order.payment.v1`: the COD lifecycle. */
export interface PaymentEvent {
  OrderID: string;
  ShipFromLocationID: string;
  PaymentMethod: string;
  PaymentStatus: PaymentStatus;
  Amount: Money;
  At: Timestamp;
}

export interface ReleaseLine {
  LineID: string;
  ItemID: string;
  Quantity: number;
  UnitPrice: Money;
  LineDiscount: Money;
  LineTax: Money;
  /** Lines with the same id are allocated, released and shorted together; null outside any bundle. */
  BundleGroupID: string | null;
  ShortDescription: string | null;
  ImageURL: string | null;
}

/** `order.release.v1`: exactly one per order. */
export interface Release {
  ReleaseID: string;
  OrderID: string;
  ShipFromLocationID: string;
  ReleaseLines: ReleaseLine[];
  SubTotal: Money;
  TotalDiscount: Money;
  TotalTaxes: Money;
  InformationalTaxes: Money;
  TotalCharges: Money;
  OrderTotal: Money;
  PaymentMethod: string;
  /** Equals OrderTotal. */
  CodAmount: Money;
  T1MembershipID: string | null;
  At: Timestamp;
}

/** Slick fulfillment steps (`ShipEvent.EventType`). */
export type ShipEventType = 'picking' | 'picked' | 'packing' | 'packed' | 'shipped' | 'short' | 'substitution';

/** A line a ship event concerns: the units picked, shorted or replaced by `SubstituteItemID`. */
export interface ShipEventLine {
  LineID: string;
  ItemID: string;
  Quantity: number;
  SubstituteItemID?: string | null;
}

/** `fulfillment.ship-event.v1`, keyed by ShipFromLocationID; EventID is the idempotency key. */
export interface ShipEvent {
  EventID: string;
  OrderID: string;
  ShipFromLocationID: string;
  EventType: ShipEventType;
  TrackingID?: string | null;
  Carrier?: string | null;
  EstimatedDelivery?: Timestamp | null;
  /** short and substitution: the lines concerned. */
  Lines?: ShipEventLine[] | null;
  At: Timestamp;
}

/** `delivery.status.v1`, keyed by ShipFromLocationID; EventID is the idempotency key. */
export interface DeliveryStatus {
  EventID: string;
  OrderID: string;
  ShipFromLocationID: string;
  Partner: 'GRAB' | 'PMP';
  /** A partner status as the connector normalises it: see DELIVERY_STATUS in status.ts. */
  Status: string;
  /** Cash collected on delivery, when the partner confirms it. */
  CollectedAmount?: Money | null;
  At: Timestamp;
}
