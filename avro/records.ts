/**
 * TypeScript shapes of the records in `avro/schemas/` (the JSON view, which is also what avsc decodes to).
 * Fields with a default (`["null", T]` with null, arrays with []) are optional here because a writer may omit
 * them; a decoded value always carries every field (null / [] / the default). The test examples are typed with
 * these interfaces and checked against the schemas by avsc, so the two stay in step.
 */

/** Decimal string with at most 4 fraction digits, e.g. "35.5000". Never a number: exact, and JSON equals Avro. */
export type Money = string;
/** ISO-8601 UTC timestamp, e.g. "2026-11-21T09:15:00Z". */
export type Timestamp = string;

export interface Discount {
  Type: string;
  Amount: Money;
}
export interface Tax {
  Type: string;
  Amount: Money;
}
export interface Charge {
  Type: string;
  Amount: Money;
}

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
  ShipFromLocationID?: string | null;
  Quantity: number;
  UnitPrice: Money;
  TaxRate: string;
  ShortDescription?: string | null;
  ImageURL?: string | null;
  Discounts?: Discount[];
  InformationalTaxes?: Tax[];
  BundleID?: string | null;
}

export interface OrderCreate {
  OrderID: string;
  ShipFromLocationID: string;
  IsForceAllocation?: boolean;
  T1MembershipID?: string | null;
  T1Number?: string | null;
  CustRef?: string | null;
  CustomerID?: string | null;
  Currency?: string | null;
  PaymentMethod: string;
  CreatedAt: Timestamp;
  DeliveryAddress: DeliveryAddress;
  Charges?: Charge[];
  OrderLines?: OrderLine[];
}

export type OrderUpdateAction = 'CANCEL' | 'MODIFY';

export interface OrderUpdate {
  OrderID: string;
  ShipFromLocationID: string;
  Action: OrderUpdateAction;
  Reason?: string | null;
  OrderLines?: OrderLine[] | null;
  DeliveryAddress?: DeliveryAddress | null;
}

export interface Product {
  ItemID: string;
  ShortDescription?: string | null;
  ImageURL?: string | null;
  UnitPrice: Money;
  TaxRate: string;
}

export interface Customer {
  CustomerID: string;
  Name: string;
  Phone?: string | null;
  CodEligible: boolean;
  CodLimit?: Money | null;
}

export interface BundleComponent {
  ItemID: string;
  Quantity: number;
}

export type BundlePricingType = 'FIXED' | 'PERCENT_OFF' | 'AMOUNT_OFF';

export interface BundlePricing {
  Type: BundlePricingType;
  Price?: Money | null;
  Percent?: string | null;
  Amount?: Money | null;
}

export interface BundleDefinition {
  BundleID: string;
  Components: BundleComponent[];
  Pricing: BundlePricing;
  ActiveFrom?: Timestamp | null;
  ActiveTo?: Timestamp | null;
  Locations?: string[];
  Priority?: number;
}

export type ShipEventType = 'picking' | 'picked' | 'packing' | 'packed' | 'shipped' | 'short' | 'substitution';

export interface ShipEventLine {
  LineID: string;
  ItemID: string;
  Quantity: number;
  SubstituteItemID?: string | null;
}

export interface ShipEvent {
  EventID: string;
  OrderID: string;
  ShipFromLocationID: string;
  EventType: ShipEventType;
  TrackingID?: string | null;
  Carrier?: string | null;
  EstimatedDelivery?: Timestamp | null;
  Lines?: ShipEventLine[] | null;
  At: Timestamp;
}

export type DeliveryPartner = 'GRAB' | 'PMP';

export interface DeliveryStatus {
  EventID: string;
  OrderID: string;
  ShipFromLocationID: string;
  Partner: DeliveryPartner;
  Status: string;
  CollectedAmount?: Money | null;
  At: Timestamp;
}

export interface ValidationError {
  Rule: string;
  Code: string;
  Field: string;
  Message: string;
}

export interface ValidationResult {
  OrderID: string;
  ShipFromLocationID: string;
  Valid: boolean;
  Errors?: ValidationError[];
  At: Timestamp;
}

export interface StatusChange {
  OrderID: string;
  ShipFromLocationID: string;
  FromStatus?: number | null;
  ToStatus: number;
  Reason?: string | null;
  Source: string;
  At: Timestamp;
}

export interface PaymentEvent {
  OrderID: string;
  ShipFromLocationID: string;
  PaymentMethod: string;
  PaymentStatus: string;
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
  BundleGroupID?: string | null;
  ShortDescription?: string | null;
  ImageURL?: string | null;
}

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
  CodAmount: Money;
  T1MembershipID?: string | null;
  At: Timestamp;
}

export interface PricedLine {
  LineID: string;
  ItemID: string;
  Quantity: number;
  UnitPrice: Money;
  LineAmount: Money;
  LineDiscount: Money;
  LineTax: Money;
  BundleGroupID?: string | null;
  ShortDescription?: string | null;
  ImageURL?: string | null;
}

export interface OrderTotals {
  SubTotal: Money;
  TotalDiscount: Money;
  TotalTaxes: Money;
  InformationalTaxes: Money;
  TotalCharges: Money;
  OrderTotal: Money;
}

export interface StatusHistoryEntry {
  From?: number | null;
  To: number;
  Reason?: string | null;
  Source: string;
  At: Timestamp;
}

export interface OrderState {
  Order: OrderCreate;
  Status: number;
  PaymentStatus?: string | null;
  Lines?: PricedLine[];
  Totals?: OrderTotals | null;
  PayloadHash: string;
  ReleaseID?: string | null;
  ReleaseDueAt?: Timestamp | null;
  History?: StatusHistoryEntry[];
  UpdatedAt: Timestamp;
  TrackingID?: string | null;
  Carrier?: string | null;
  EstimatedDelivery?: Timestamp | null;
  SeenEventIDs?: string[];
  ShortedLines?: PricedLine[];
  DeliveredAt?: Timestamp | null;
  CollectedAmount?: Money | null;
  CollectedAt?: Timestamp | null;
}

export type ReconciliationExceptionKind = 'MISSING' | 'SHORT' | 'OVER';

export interface ReconciliationException {
  OrderID: string;
  Kind: ReconciliationExceptionKind;
  ExpectedAmount: Money;
  CollectedAmount?: Money | null;
  Difference: Money;
  DeliveredAt?: Timestamp | null;
  CollectedAt?: Timestamp | null;
}

export interface ReconciliationReport {
  ShipFromLocationID: string;
  BusinessDay: string;
  TimeZone: string;
  CutOffAt: Timestamp;
  ReconciledOrders: number;
  ReconciledAmount: Money;
  Exceptions?: ReconciliationException[];
  ExpectedTotal: Money;
  CollectedTotal: Money;
  At: Timestamp;
}

export interface InventoryCounter {
  ShipFromLocationID: string;
  ItemID: string;
  OnHand: number;
  Allocated: number;
}

export interface InventoryLevel {
  ShipFromLocationID: string;
  ItemID: string;
  OnHand: number;
}

export interface LowStockEvent {
  ShipFromLocationID: string;
  ItemID: string;
  OnHand: number;
  Allocated: number;
  OrderID: string;
  At: Timestamp;
}

export type FulfillmentAction = 'SEND_RELEASE' | 'CONFIRM_COLLECTION';
export type FulfillmentOutcome = 'ACCEPTED' | 'DUPLICATE' | 'FAILED' | 'CIRCUIT_OPEN' | 'GAVE_UP';

export interface FulfillmentInteraction {
  ReleaseID?: string | null;
  OrderID: string;
  ShipFromLocationID: string;
  Action: FulfillmentAction;
  Attempt: number;
  Outcome: FulfillmentOutcome;
  HttpStatus?: number | null;
  Error?: string | null;
  Amount?: Money | null;
  At: Timestamp;
}

/** Record type name → TypeScript shape, for `serdeFor`. */
export interface RecordTypes {
  OrderCreate: OrderCreate;
  OrderUpdate: OrderUpdate;
  Product: Product;
  Customer: Customer;
  BundleDefinition: BundleDefinition;
  ShipEvent: ShipEvent;
  DeliveryStatus: DeliveryStatus;
  ValidationResult: ValidationResult;
  StatusChange: StatusChange;
  PaymentEvent: PaymentEvent;
  Release: Release;
  OrderState: OrderState;
  InventoryCounter: InventoryCounter;
  InventoryLevel: InventoryLevel;
  LowStockEvent: LowStockEvent;
  FulfillmentInteraction: FulfillmentInteraction;
  ReconciliationReport: ReconciliationReport;
}
