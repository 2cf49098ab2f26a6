// Generated from avro/schemas/*.avsc by `npm run generate:types` (scripts/generate-record-types.mjs). Do not edit:
// change the schema and run the command again. test/unit/avro/generated-types.test.ts fails while this file is stale.
//
// The JSON view of each record, as the serdes decode it (and encode it from): every field present (a missing field
// reads as its default), ["null", T] as `T | null`, enums as string literals, int and long as number, money as an
// exact decimal string.

/** Decimal string with at most 4 fraction digits, e.g. "35.5000". Never a number: exact, and the JSON view equals the Avro view. */
export type Money = string;
/** ISO-8601 UTC timestamp, e.g. "2026-11-21T09:15:00Z". */
export type Timestamp = string;

/** A bundle: components sold together at a bundle price (compacted topic bundle.definition.v1, key BundleID). */
export interface BundleDefinition {
  /** Bundle identifier; the record key. */
  BundleID: string;
  /** The items of one bundle instance. */
  Components: BundleComponent[];
  /** Bundle price rule. One record with a Type rather than a union of records, so the JSON view stays plain. */
  Pricing: BundlePricing;
  /** Start of validity, ISO-8601 UTC, inclusive; null means always active so far. */
  ActiveFrom: Timestamp | null;
  /** End of validity, ISO-8601 UTC, exclusive; null means open-ended. */
  ActiveTo: Timestamp | null;
  /** ShipFromLocationIDs where the bundle applies; empty means every location. */
  Locations: string[];
  /** Detection order: higher priority bundles are matched first. Default 0. */
  Priority: number;
}

/** One item of a bundle and how many units of it one bundle instance takes. */
export interface BundleComponent {
  /** Component item (SKU). */
  ItemID: string;
  /** Units of the item in one bundle instance. */
  Quantity: number;
}

/** How the bundle is priced; exactly the field named by Type is set, the others are null. */
export interface BundlePricing {
  /**
   * FIXED: Price is the bundle price; PERCENT_OFF: Percent off the list value; AMOUNT_OFF: Amount off the list
   * value.
   */
  Type: BundlePricingType;
  /** FIXED only: price of one bundle instance. */
  Price: Money | null;
  /** PERCENT_OFF only: percent off as a decimal string ("10" is 10%). */
  Percent: string | null;
  /** AMOUNT_OFF only: amount off one bundle instance. */
  Amount: Money | null;
}

/** Bundle pricing kind. */
export type BundlePricingType = 'FIXED' | 'PERCENT_OFF' | 'AMOUNT_OFF';

/** An order-level charge such as a delivery fee; counted in TotalCharges and never prorated onto lines. */
export interface Charge {
  /** Kind of charge as the source system names it, e.g. DeliveryFee. */
  Type: string;
  /** Charge amount. */
  Amount: Money;
}

/** A customer profile (compacted topic customer.profile.v1, key CustomerID); used for rule G and COD checks. */
export interface Customer {
  /** Customer identifier; the record key. */
  CustomerID: string;
  /** Customer's display name. */
  Name: string;
  /** Customer's phone number, when known. */
  Phone: string | null;
  /** Whether the customer may pay cash on delivery. */
  CodEligible: boolean;
  /** Highest OrderTotal this customer may pay by COD; null means no customer-specific limit. */
  CodLimit: Money | null;
}

/** Where the order is delivered; the postal code decides whether COD is served there. */
export interface DeliveryAddress {
  /** Street address: house number, building, street. */
  Line1: string | null;
  /** District (khet / amphoe). */
  District: string | null;
  /** Province (changwat). */
  Province: string | null;
  /** Postal code as text (leading zeros matter); matched against the COD service area. The one required part. */
  PostalCode: string;
  /** Recipient phone number as given. */
  Phone: string | null;
}

/**
 * A delivery update from a delivery partner (topic delivery.status.v1, key ShipFromLocationID), from the Grab / PMP
 * connectors, or a cash collection confirmed by store staff for the order's partner (the query service's COD
 * confirmation). Version 2: adds ConfirmedBy, Reference and Note.
 */
export interface DeliveryStatus {
  /** Unique event id; the idempotency key (a repeated EventID is ignored). */
  EventID: string;
  /** Order the update is about. */
  OrderID: string;
  /** Store the order shipped from; the record key. */
  ShipFromLocationID: string;
  /** Partner that reported the update. */
  Partner: DeliveryPartner;
  /**
   * Partner status as normalised by the connector: HANDED_OVER (or SHIPPED), IN_TRANSIT, OUT_FOR_DELIVERY, FAILED
   * (or DELIVERY_FAILED), RESCHEDULED, DELIVERED, COLLECTED (with CollectedAmount). A string so a new partner
   * status reaches the pipeline (and its DLQ as UNKNOWN_EVENT_TYPE) instead of failing to decode.
   */
  Status: string;
  /** Cash collected on delivery, when the partner confirms it. */
  CollectedAmount: Money | null;
  /** When the partner recorded the update: ISO-8601 UTC. */
  At: Timestamp;
  /**
   * Who confirmed the cash when store staff did it instead of the partner: the token subject; recorded as the Actor
   * of the order's history and status change. Null for partner events. Added in version 2.
   */
  ConfirmedBy: string | null;
  /**
   * The staff's reference for a confirmed collection (e.g. the receipt number); null for partner events. Added in
   * version 2.
   */
  Reference: string | null;
  /**
   * Free text the staff added to a confirmed collection, shown in the order's history; null when none and for
   * partner events. Added in version 2.
   */
  Note: string | null;
}

/** Delivery partner. */
export type DeliveryPartner = 'GRAB' | 'PMP';

/** One discount applied to an order line (promotion, coupon, staff price). */
export interface Discount {
  /** Kind of discount as the source system names it, e.g. Promo. */
  Type: string;
  /** Discount for the whole line (not per unit). */
  Amount: Money;
}

/**
 * A person's decision on an order's exception (topic order.exception-action.v1, key ShipFromLocationID):
 * acknowledge or resolve a COD reconciliation exception, retry or park a release Slick has not taken. Applied by
 * the topology's exception stage; its outcome is an ExceptionOutcome on order.exception-outcome.v1.
 */
export interface ExceptionAction {
  /** Order whose exception it is. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** Which of the order's exceptions. */
  Exception: ExceptionType;
  /** What the person decided. */
  Action: ExceptionActionKind;
  /** Why, in the person's words: recorded in the order's history. */
  Note: string;
  /** Who decided: the token subject. */
  RequestedBy: string;
  /** The action's id (one per Idempotency-Key), so a command produced twice is applied once. */
  CommandID: string;
  /** When it was asked: ISO-8601 UTC. */
  At: Timestamp;
}

/**
 * RECONCILIATION: a COD reconciliation exception (MISSING / SHORT / OVER); RELEASE: a release Slick refused or has
 * not taken.
 */
export type ExceptionType = 'RECONCILIATION' | 'RELEASE';

/** ACKNOWLEDGE / RESOLVE a reconciliation exception; RETRY / PARK a release. */
export type ExceptionActionKind = 'ACKNOWLEDGE' | 'RESOLVE' | 'RETRY' | 'PARK';

/**
 * What became of an ExceptionAction (topic order.exception-outcome.v1, key ShipFromLocationID): applied, or refused
 * with the reason. One per command, carrying the command as it was asked.
 */
export interface ExceptionOutcome {
  /** The command, as it was asked (order, store, exception, action, note, who, command id). */
  Command: ExceptionAction;
  /** Whether the pipeline applied it. */
  Outcome: ExceptionOutcomeKind;
  /**
   * REFUSED only: a code, e.g. ORDER_UNKNOWN, NOT_COD, ALREADY_RECONCILED, NOT_RELEASED, ACTION_NOT_FOR_EXCEPTION.
   */
  Reason: string | null;
  /** RELEASE only: the release concerned (a RETRY sends it to order.release.v1 again). */
  ReleaseID: string | null;
  /** When the pipeline applied or refused it: ISO-8601 UTC. */
  At: Timestamp;
}

/** APPLIED, or REFUSED (Reason says why). */
export type ExceptionOutcomeKind = 'APPLIED' | 'REFUSED';

/**
 * One call of the Slick egress connector to Slick and its result (topic order.fulfillment.v1, key
 * ShipFromLocationID): every attempt, every refusal by the circuit breaker, every round given up, and the final
 * acceptance.
 */
export interface FulfillmentInteraction {
  /**
   * Release sent (SEND_RELEASE; also the Idempotency-Key); null for CONFIRM_COLLECTION, which names the order only.
   */
  ReleaseID: string | null;
  /** Order the interaction is about. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** SEND_RELEASE (POST /v1/releases) or CONFIRM_COLLECTION (POST /v1/collections, COD cash collected). */
  Action: FulfillmentAction;
  /**
   * Attempt number for this release or collection, counted from 1 across retry rounds; 0 when the circuit breaker
   * refused the call before any attempt of the round.
   */
  Attempt: number;
  /**
   * ACCEPTED (first delivery), DUPLICATE (Slick already had it: delivered), FAILED (this attempt failed; retried),
   * CIRCUIT_OPEN (breaker open: not called, retried after the cool-down), GAVE_UP (a round of attempts exhausted:
   * retried later, never dropped), REFUSED (v2: Slick refused the request itself a whole round, a 4xx other than
   * 408 / 429, with its answer in Error: not sent again by itself; a release waits for a person to retry or park
   * it).
   */
  Outcome: FulfillmentOutcome;
  /** HTTP status Slick answered with; null when there was no answer (timeout, connection refused, circuit open). */
  HttpStatus: number | null;
  /** Why the attempt failed; null on success. */
  Error: string | null;
  /** CONFIRM_COLLECTION: the cash collected. */
  Amount: Money | null;
  /** When the interaction ended: ISO-8601 UTC. */
  At: Timestamp;
}

/** What was asked of Slick. */
export type FulfillmentAction = 'SEND_RELEASE' | 'CONFIRM_COLLECTION';

/** Result of the interaction. */
export type FulfillmentOutcome = 'ACCEPTED' | 'DUPLICATE' | 'FAILED' | 'CIRCUIT_OPEN' | 'GAVE_UP' | 'REFUSED';

/** State-store value: stock of one item at one store (key ShipFromLocationID + ItemID). */
export interface InventoryCounter {
  /** Store. */
  ShipFromLocationID: string;
  /** Item (SKU). */
  ItemID: string;
  /** Units at the store as last reported; -1 until a level has been reported. */
  OnHand: number;
  /**
   * Units allocated to open orders and not yet shipped or released back; may exceed OnHand under force allocation.
   */
  Allocated: number;
}

/** A stock count of one item at one store (topic inventory.level.v1, key ShipFromLocationID). */
export interface InventoryLevel {
  /** Store; the record key. */
  ShipFromLocationID: string;
  /** Item (SKU). */
  ItemID: string;
  /** Units at the store when counted. */
  OnHand: number;
}

/**
 * An allocation took an item past its on-hand level at a store (topic inventory.low-stock.v1, key
 * ShipFromLocationID).
 */
export interface LowStockEvent {
  /** Store; the record key. */
  ShipFromLocationID: string;
  /** Item (SKU). */
  ItemID: string;
  /** Units at the store as last reported. */
  OnHand: number;
  /** Units allocated after the allocation that raised the event. */
  Allocated: number;
  /** Order whose allocation raised the event. */
  OrderID: string;
  /** When: ISO-8601 UTC. */
  At: Timestamp;
}

/**
 * One step of a customer notification (topic notification.sent.v1, key ShipFromLocationID), written by the
 * notification connector: every call to the SMS or LINE provider and its result, every round given up, every
 * refusal by the circuit breaker, a message held for quiet hours, and a message not sent (opted out, no contact).
 */
export interface NotificationOutcome {
  /**
   * <OrderID>:<Event>, with :<n> for the n-th OUT_FOR_DELIVERY or DELIVERY_FAILED of the order: one message per
   * order and event, and the idempotency key sent to the provider.
   */
  NotificationID: string;
  /** Order the message is about. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** The order's customer, whose preference applied; null for an order without one. */
  CustomerID: string | null;
  /**
   * ORDER_CONFIRMED (3000 Released), SHIPPED (first of 7000 / 7100 / 7200), OUT_FOR_DELIVERY (each 7300),
   * DELIVERY_FAILED (each 7400), DELIVERED (7500), CANCELLED (9000), COD_RECEIPT (cash collected).
   */
  Event: NotificationEvent;
  /** SMS or LINE; null when no channel was chosen (opted out, no contact). */
  Channel: string | null;
  /**
   * Where it went, masked: the phone's country code and last 4 digits (+66*****5678), or the LINE user id's last 4
   * characters.
   */
  Recipient: string | null;
  /** th or en: the language the message was written in. */
  Language: string | null;
  /**
   * Call number for this message, counted from 1 across retry rounds; 0 for a step that made no call (DEFERRED,
   * SKIPPED, CIRCUIT_OPEN before any attempt).
   */
  Attempt: number;
  /**
   * SENT (the provider took it), DUPLICATE (the provider already had this NotificationID: sent before), FAILED
   * (this call failed; retried), GAVE_UP (a round of calls failed: another round follows, never dropped), REFUSED
   * (the provider refused the message itself a whole round, e.g. an invalid number: not sent again), CIRCUIT_OPEN
   * (breaker open: not called; tried after the cool-down), DEFERRED (quiet hours: waits until DueAt), SKIPPED (not
   * sent: Reason says why).
   */
  Outcome: NotificationOutcomeKind;
  /**
   * SKIPPED: OPTED_OUT or NO_CONTACT (no usable phone or LINE id); DEFERRED: QUIET_HOURS <window>; FAILED, GAVE_UP,
   * REFUSED: what the provider said.
   */
  Reason: string | null;
  /** HTTP status the provider answered with; null without an answer. */
  HttpStatus: number | null;
  /** Why the call failed; null otherwise. */
  Error: string | null;
  /** The provider's id of the message (SENT, DUPLICATE). */
  ProviderMessageID: string | null;
  /** The text sent, exactly (calls: SENT, DUPLICATE, FAILED, REFUSED); null for steps without a call. */
  Body: string | null;
  /** DEFERRED: when the quiet hours end and the message goes, ISO-8601 UTC. */
  DueAt: Timestamp | null;
  /** When the order changed (the history entry's time, or CollectedAt): ISO-8601 UTC. */
  EventAt: Timestamp;
  /** When the step ended: ISO-8601 UTC. */
  At: Timestamp;
}

/** What the message tells the customer. */
export type NotificationEvent = 'ORDER_CONFIRMED' | 'SHIPPED' | 'OUT_FOR_DELIVERY' | 'DELIVERY_FAILED' | 'DELIVERED' | 'CANCELLED' | 'COD_RECEIPT';

/** Result of the step. */
export type NotificationOutcomeKind = 'SENT' | 'DUPLICATE' | 'FAILED' | 'GAVE_UP' | 'REFUSED' | 'CIRCUIT_OPEN' | 'DEFERRED' | 'SKIPPED';

/**
 * How a customer wants to hear about their orders (compacted topic customer.notification-preference.v1, key
 * CustomerID), written by the customer system as customer.profile.v1 is; read whole by the notification connector.
 * A customer without a record gets messages by SMS, in the default language, outside the default quiet hours.
 */
export interface NotificationPreference {
  /** Customer identifier (OrderCreate.CustomerID); the record key. */
  CustomerID: string;
  /**
   * True: no message at all about this customer's orders, from the moment the record is read (messages already
   * waiting are dropped too).
   */
  OptedOut: boolean;
  /** th or en; null (or anything else): the default language (OMNIA_NOTIFY_DEFAULT_LANGUAGE). */
  Language: string | null;
  /** SMS to the order's phone, or LINE to LineUserID; null: SMS. LINE without a LineUserID goes by SMS. */
  Channel: NotificationChannelKind | null;
  /** The customer's LINE user id (the official account's), for Channel LINE. */
  LineUserID: string | null;
  /**
   * HH:MM-HH:MM in the business time zone: no message in that window, they wait until it ends; null: the default
   * (OMNIA_NOTIFY_QUIET_HOURS); none: no quiet hours.
   */
  QuietHours: string | null;
  /** When the customer last changed it: ISO-8601 UTC. */
  UpdatedAt: Timestamp;
}

/** Where a message goes. */
export type NotificationChannelKind = 'SMS' | 'LINE';

/** A new order from the storefront (topic order.create.v1, key ShipFromLocationID). Version 2: adds CustRef. */
export interface OrderCreate {
  /** Order identifier, 1-50 chars of [A-Za-z0-9_-] (rule A); unique per order. */
  OrderID: string;
  /** Store / fulfillment location that ships the order; the record key. */
  ShipFromLocationID: string;
  /**
   * Allocate without an availability check; must be true (rule C). Absent reads as false, so validation names it.
   * Default false.
   */
  IsForceAllocation: boolean;
  /** T1 loyalty membership id, exactly 16 digits when given (rule D). */
  T1MembershipID: string | null;
  /** T1 number, 'T1-' and 6 digits when given (rule E). */
  T1Number: string | null;
  /**
   * Customer's or channel's own reference, 1-50 printable ASCII chars when given (rule F). Added in version 2; null
   * in data written with version 1.
   */
  CustRef: string | null;
  /** Customer id, key of customer.profile.v1; must be known when given (rule G). */
  CustomerID: string | null;
  /** ISO 4217 currency code of every amount in the order, e.g. THB; null when the producer does not send one. */
  Currency: string | null;
  /** Payment method; only COD is supported (a string so other values reach validation). */
  PaymentMethod: string;
  /** When the order was placed: ISO-8601 UTC timestamp, e.g. 2026-11-21T09:15:00Z. */
  CreatedAt: Timestamp;
  /** Delivery address. */
  DeliveryAddress: DeliveryAddress;
  /** Order-level charges (delivery fee etc.); empty when there are none. */
  Charges: Charge[];
  /** The order's lines; absent reads as empty, which validation rejects (at least one line). */
  OrderLines: OrderLine[];
}

/** One line of an order as the customer placed it (OrderCreate, and the new lines of an OrderUpdate MODIFY). */
export interface OrderLine {
  /** Line identifier, unique within the order. */
  LineID: string;
  /** Catalog item (SKU); key of catalog.product.v1. */
  ItemID: string;
  /**
   * Store the line ships from; null (omitted) means the order's own. When given it must equal the order's (rule B).
   */
  ShipFromLocationID: string | null;
  /** Units ordered; validation requires an integer >= 1. */
  Quantity: number;
  /** Price of one unit. */
  UnitPrice: Money;
  /** Tax rate as a decimal fraction string ("0.0700" is 7%); a string for the same exactness as money. */
  TaxRate: string;
  /** Item description; null until enrichment fills it from the catalog. */
  ShortDescription: string | null;
  /** Item image URL; null until enrichment fills it from the catalog. */
  ImageURL: string | null;
  /** Discounts on this line; empty when there are none. */
  Discounts: Discount[];
  /** Taxes reported for information (Cal F); never charged. */
  InformationalTaxes: Tax[];
  /**
   * Bundle this line was sold as (bundle.definition.v1 key); null lets the pipeline detect bundles from the lines.
   */
  BundleID: string | null;
}

/**
 * State-store value: everything the pipeline knows about one order (key OrderID). Version 2: adds ReleaseDueAt.
 * Version 3: adds TrackingID, Carrier, EstimatedDelivery, SeenEventIDs, ShortedLines, DeliveredAt, CollectedAmount,
 * CollectedAt (fulfillment and delivery after release). Version 4: adds Actor to history entries. Version 5: adds
 * SettlementID, SettledAmount and SettlementDate (the delivery partner's settlement report).
 */
export interface OrderState {
  /** The order as accepted, with any accepted MODIFY applied. */
  Order: OrderCreate;
  /** Current order status code (1000 Open ... 9000 Cancelled). */
  Status: number;
  /** Current payment status ("5000" Paid, Collected, Reconciled, Failed, Reversed); null before COD validation. */
  PaymentStatus: string | null;
  /** Priced lines; empty until the calculate stage has run. */
  Lines: PricedLine[];
  /** Totals; null until the calculate stage has run. */
  Totals: OrderTotals | null;
  /**
   * Hash of the accepted OrderCreate payload bytes, to tell a redelivery (same hash) from a duplicate OrderID (rule
   * A).
   */
  PayloadHash: string;
  /** The order's release, once released; null before. */
  ReleaseID: string | null;
  /**
   * When a held order falls due for release (CreatedAt + hold), ISO-8601 UTC; null when not held. Added in version
   * 2; null in state written with version 1.
   */
  ReleaseDueAt: Timestamp | null;
  /** Every change, oldest first. */
  History: StatusHistoryEntry[];
  /** When this state last changed: ISO-8601 UTC. */
  UpdatedAt: Timestamp;
  /** Carrier tracking id from the latest Slick event that gave one. Added in version 3. */
  TrackingID: string | null;
  /** Carrier from the latest Slick event that gave one (e.g. GRAB, PMP). Added in version 3. */
  Carrier: string | null;
  /** Estimated delivery time, ISO-8601 UTC, from the latest Slick event that gave one. Added in version 3. */
  EstimatedDelivery: Timestamp | null;
  /**
   * EventIDs of the last ship and delivery events applied (at most 100, oldest first): a repeated EventID is
   * ignored. Added in version 3.
   */
  SeenEventIDs: string[];
  /**
   * Lines (or, for a partial short, the units) cancelled by Slick shorts, as they were priced. Added in version 3.
   */
  ShortedLines: PricedLine[];
  /** When the delivery partner reported the order delivered: ISO-8601 UTC. Added in version 3. */
  DeliveredAt: Timestamp | null;
  /** Cash the delivery partner confirmed collecting (the latest confirmation). Added in version 3. */
  CollectedAmount: Money | null;
  /** When the cash was collected, as the partner reported it: ISO-8601 UTC. Added in version 3. */
  CollectedAt: Timestamp | null;
  /**
   * The latest settlement row applied to the order (PaymentSettlement.SettlementID, payment.settlement.v1); null
   * until one. Added in version 5.
   */
  SettlementID: string | null;
  /** Amount the delivery partner settled for the order in that row. Added in version 5. */
  SettledAmount: Money | null;
  /** The partner's settlement date of that row (YYYY-MM-DD). Added in version 5. */
  SettlementDate: string | null;
}

/** An order line after pricing (Cal A-F) and bundle detection. */
export interface PricedLine {
  /** Order line (OrderLine.LineID). */
  LineID: string;
  /** Item (SKU). */
  ItemID: string;
  /** Units ordered. */
  Quantity: number;
  /** Price of one unit. */
  UnitPrice: Money;
  /** UnitPrice x Quantity, exact. */
  LineAmount: Money;
  /** Line discounts plus the line's share of any bundle discount. */
  LineDiscount: Money;
  /** round4((LineAmount - LineDiscount) x TaxRate), half to even. */
  LineTax: Money;
  /** Bundle instance the line belongs to; null outside bundles. */
  BundleGroupID: string | null;
  /** Item description from the catalog. */
  ShortDescription: string | null;
  /** Item image URL from the catalog. */
  ImageURL: string | null;
}

/** Order totals (Cal A-F). */
export interface OrderTotals {
  /** Cal A: sum of line amounts. */
  SubTotal: Money;
  /** Cal D: sum of line discounts. */
  TotalDiscount: Money;
  /** Cal E: sum of line taxes. */
  TotalTaxes: Money;
  /** Cal F: sum of informational taxes. */
  InformationalTaxes: Money;
  /** Cal B: sum of order charges. */
  TotalCharges: Money;
  /** Cal C: SubTotal - TotalDiscount + TotalTaxes + TotalCharges. */
  OrderTotal: Money;
}

/** One entry of the order's history: a transition, or an out-of-order event recorded and ignored. */
export interface StatusHistoryEntry {
  /** Status before; null for the first entry. */
  From: number | null;
  /**
   * Status the entry records; equal to From when the status did not change (a modification, an ignored out-of-order
   * event: see Reason).
   */
  To: number;
  /** Why: error code, event type, or out-of-order note. */
  Reason: string | null;
  /** What caused it (stage or input). */
  Source: string;
  /** When: ISO-8601 UTC. */
  At: Timestamp;
  /**
   * Who asked for it: the token subject of a person's action (cancel, modify, confirm cash); null for the
   * pipeline's own steps and partner events. Added in version 4.
   */
  Actor: string | null;
}

/**
 * A change to an existing order (topic order.update.v1, key ShipFromLocationID): cancel it, or replace its lines
 * and/or address. Version 2: adds RequestedBy and CommandID.
 */
export interface OrderUpdate {
  /** Order to change. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** CANCEL the order, or MODIFY its lines and/or address. */
  Action: OrderUpdateAction;
  /** Why, as the requester states it; recorded in the order's history. */
  Reason: string | null;
  /** MODIFY only: the order's new lines, replacing all current ones; null leaves the lines unchanged. */
  OrderLines: OrderLine[] | null;
  /** MODIFY only: the new delivery address; null leaves the address unchanged. */
  DeliveryAddress: DeliveryAddress | null;
  /**
   * Who asked for it: the token subject when the update comes through the query service's actions; recorded in the
   * order's history as its Actor. Added in version 2.
   */
  RequestedBy: string | null;
  /** The action's id (one per Idempotency-Key), so a command produced twice is applied once. Added in version 2. */
  CommandID: string | null;
}

/** What an OrderUpdate does. */
export type OrderUpdateAction = 'CANCEL' | 'MODIFY';

/**
 * A step of an order's payment lifecycle (topic order.payment.v1, key ShipFromLocationID); kept apart from order
 * status.
 */
export interface PaymentEvent {
  /** Order paid for. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** Payment method, e.g. COD. */
  PaymentMethod: string;
  /**
   * New payment status: "5000" (Paid, COD accepted), then Collected, Reconciled, Failed or Reversed. A string
   * because the spec mixes a numeric code with names.
   */
  PaymentStatus: string;
  /** Amount concerned: OrderTotal when accepted, the collected cash when Collected. */
  Amount: Money;
  /** When the payment status changed: ISO-8601 UTC. */
  At: Timestamp;
}

/**
 * One row of a delivery partner's daily settlement report (topic payment.settlement.v1, key ShipFromLocationID):
 * the cash the partner says it collected for an order and settles to the retailer. Written by `omnia settlement
 * import`; the settle stage compares it with the order's collection callback.
 */
export interface PaymentSettlement {
  /**
   * Deterministic id of the row: the same row imported again has the same id and is applied once; a corrected row
   * has another.
   */
  SettlementID: string;
  /** The delivery partner that sent the report: PMP. */
  Partner: string;
  /** The partner's settlement date of the report (YYYY-MM-DD). */
  SettlementDate: string;
  /** Order the cash was collected for. */
  OrderID: string;
  /** Store of the order, as the analysts' orders table knew it at import; the record key. */
  ShipFromLocationID: string;
  /** The partner's tracking id of the parcel. */
  TrackingID: string;
  /**
   * Cash the partner collected and settles for the order (the report's CollectedAmount), with exactly 4 fraction
   * digits.
   */
  SettledAmount: Money;
  /** When the partner collected the cash, as its report says: ISO-8601 UTC. */
  CollectedAt: Timestamp;
  /** Name of the imported file (without its directory). */
  SourceFile: string;
  /** Line of the row in that file (1 is the header). */
  SourceLine: number;
}

/** A catalog item (compacted topic catalog.product.v1, key ItemID). */
export interface Product {
  /** Item identifier (SKU); the record key. */
  ItemID: string;
  /** Short description shown on pick lists and receipts. */
  ShortDescription: string | null;
  /** URL of the item's image. */
  ImageURL: string | null;
  /** List price of one unit. */
  UnitPrice: Money;
  /** Tax rate as a decimal fraction string ("0.0700" is 7%). */
  TaxRate: string;
}

/**
 * One store's daily COD reconciliation at the cut-off (topic order.reconciliation.v1, key ShipFromLocationID): the
 * orders reconciled and every exception. Published for each store of a task that had delivered or collected COD
 * orders, or settlements to judge, open at the cut-off. Version 2: adds SettlementExceptions (the partner's
 * settlement report against its collection callbacks).
 */
export interface ReconciliationReport {
  /** Store reconciled; the record key. */
  ShipFromLocationID: string;
  /** Business day the run closes: the local date (YYYY-MM-DD, in TimeZone) on which the cut-off falls. */
  BusinessDay: string;
  /** IANA time zone of the business day and cut-off (OMNIA_BUSINESS_TIMEZONE), e.g. Asia/Bangkok. */
  TimeZone: string;
  /** The cut-off instant of the run: ISO-8601 UTC. */
  CutOffAt: Timestamp;
  /** Orders whose collected cash equals their OrderTotal: marked Reconciled (a PaymentEvent each). */
  ReconciledOrders: number;
  /** Sum of the reconciled orders' OrderTotal. */
  ReconciledAmount: Money;
  /** Exceptions, in order of OrderID; empty when everything matched. */
  Exceptions: ReconciliationException[];
  /**
   * Settlement exceptions, in order of OrderID; not counted in ExpectedTotal and CollectedTotal, which the
   * collection callbacks make. Added in version 2.
   */
  SettlementExceptions: SettlementException[];
  /** Sum of ExpectedAmount over the reconciled orders and the exceptions. */
  ExpectedTotal: Money;
  /** Sum of the cash collected over the same orders. */
  CollectedTotal: Money;
  /** When the run happened: ISO-8601 UTC. */
  At: Timestamp;
}

/** A COD order whose collection does not match: never silently accepted. */
export interface ReconciliationException {
  /** Order concerned. */
  OrderID: string;
  /** What does not match. */
  Kind: ReconciliationExceptionKind;
  /** What should have been collected: OrderTotal (0 for a cancelled order). */
  ExpectedAmount: Money;
  /** Cash the partner confirmed; null for MISSING. */
  CollectedAmount: Money | null;
  /** Collected minus expected (negative when short; minus the expected amount when missing). */
  Difference: Money;
  /** When the partner reported delivery: ISO-8601 UTC; null when not reported. */
  DeliveredAt: Timestamp | null;
  /** When the partner reported the collection: ISO-8601 UTC; null for MISSING. */
  CollectedAt: Timestamp | null;
}

/** MISSING: delivered, no cash confirmed; SHORT: less collected than expected; OVER: more. */
export type ReconciliationExceptionKind = 'MISSING' | 'SHORT' | 'OVER';

/**
 * An order whose settlement by the delivery partner (payment.settlement.v1) does not match what its collection
 * callback recorded: never silently accepted. Reported at every cut-off until the two agree or a person resolves
 * it.
 */
export interface SettlementException {
  /** Order concerned. */
  OrderID: string;
  /** What does not match. */
  Kind: SettlementExceptionKind;
  /** The delivery partner that settles (PMP). */
  Partner: string;
  /** Cash the partner's collection callback recorded (or store staff on its behalf); null when none. */
  CollectedAmount: Money | null;
  /** Amount of the partner's latest settlement row for the order; null for NOT_IN_SETTLEMENT. */
  SettledAmount: Money | null;
  /** Settled minus collected, a missing amount counting 0 (negative when the partner settled less). */
  Difference: Money;
  /** When the partner reported delivery: ISO-8601 UTC; null when not reported. */
  DeliveredAt: Timestamp | null;
  /** When the partner reported the collection: ISO-8601 UTC; null when none. */
  CollectedAt: Timestamp | null;
  /** The settlement row judged (PaymentSettlement.SettlementID); null for NOT_IN_SETTLEMENT. */
  SettlementID: string | null;
  /** The partner's settlement date of that row (YYYY-MM-DD); null for NOT_IN_SETTLEMENT. */
  SettlementDate: string | null;
}

/**
 * SETTLEMENT_MISMATCH: the settled amount differs from the collected one; NOT_IN_SETTLEMENT: cash collected, no
 * settlement row by the time it was due; SETTLEMENT_WITHOUT_COLLECTION: a settlement row, no collection recorded
 * from that partner.
 */
export type SettlementExceptionKind = 'SETTLEMENT_MISMATCH' | 'NOT_IN_SETTLEMENT' | 'SETTLEMENT_WITHOUT_COLLECTION';

/** The single release of an order to the store for fulfillment (topic order.release.v1, key ShipFromLocationID). */
export interface Release {
  /** Release identifier; exactly one release per order. */
  ReleaseID: string;
  /** Order released. */
  OrderID: string;
  /** Store that fulfils the release; the record key. */
  ShipFromLocationID: string;
  /** Lines to pick, in LineID order. */
  ReleaseLines: ReleaseLine[];
  /** Cal A: sum of line amounts. */
  SubTotal: Money;
  /** Cal D: sum of line discounts. */
  TotalDiscount: Money;
  /** Cal E: sum of line taxes. */
  TotalTaxes: Money;
  /** Cal F: sum of informational taxes (reported, never charged). */
  InformationalTaxes: Money;
  /** Cal B: sum of order charges. */
  TotalCharges: Money;
  /** Cal C: SubTotal - TotalDiscount + TotalTaxes + TotalCharges. */
  OrderTotal: Money;
  /** Payment method, e.g. COD. */
  PaymentMethod: string;
  /** Cash to collect on delivery; equals OrderTotal. */
  CodAmount: Money;
  /** T1 membership id of the order, when given. */
  T1MembershipID: string | null;
  /** When the release was created: ISO-8601 UTC. */
  At: Timestamp;
}

/** One priced line to pick. Components of one bundle instance share a BundleGroupID. */
export interface ReleaseLine {
  /** Order line (OrderLine.LineID). */
  LineID: string;
  /** Item to pick. */
  ItemID: string;
  /** Units to pick. */
  Quantity: number;
  /** Price of one unit. */
  UnitPrice: Money;
  /** Line discount incl. its share of any bundle discount. */
  LineDiscount: Money;
  /** Line tax, round4((amount - discount) x TaxRate), half to even. */
  LineTax: Money;
  /** Bundle instance the line belongs to (allocated, released and shorted together); null outside bundles. */
  BundleGroupID: string | null;
  /** Item description from the catalog. */
  ShortDescription: string | null;
  /** Item image URL from the catalog. */
  ImageURL: string | null;
}

/**
 * A person's action on a return of a delivered order (topic order.return.v1, key ShipFromLocationID): REQUEST asks
 * some units of some lines back, RECEIVE says the store has them and refunds them. Applied by the topology's
 * returns stage; a refused command is dead-lettered on order.return.v1.dlq with its code.
 */
export interface ReturnCommand {
  /** The action's id (one per Idempotency-Key), so a command produced twice is applied once. */
  CommandID: string;
  /** Order the return is of. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** What is asked. */
  Action: ReturnAction;
  /** The return: chosen by the query service on REQUEST (derived from the CommandID), named again on RECEIVE. */
  ReturnID: string;
  /**
   * REQUEST: the units asked back, per line (a partial return names some lines, or some units of a line); RECEIVE:
   * null (the return's own lines are received).
   */
  Lines: ReturnCommandLine[] | null;
  /**
   * REQUEST: why the customer returns them, in the person's words; kept with the return and in the order's history.
   */
  Reason: string | null;
  /** Who asked (REQUEST) or received (RECEIVE): the token subject. */
  RequestedBy: string;
  /** When it was asked: ISO-8601 UTC. The return window is judged at this time. */
  At: Timestamp;
}

/** REQUEST: the customer asks units back; RECEIVE: the store received the units of a requested return. */
export type ReturnAction = 'REQUEST' | 'RECEIVE';

/** Units of one order line asked back. */
export interface ReturnCommandLine {
  /** Order line (OrderLine.LineID). */
  LineID: string;
  /** Units of the line asked back, at least 1. */
  Quantity: number;
}

/**
 * State-store value of the returns store: every return of one delivered order (key OrderID), requested and
 * received, with its refund. Kept apart from OrderState so that the order's record does not grow with returns.
 */
export interface ReturnsState {
  /** Order the returns are of. */
  OrderID: string;
  /** Store of the order. */
  ShipFromLocationID: string;
  /** The order's returns, in the order they were requested. */
  Returns: OrderReturn[];
  /** When the last return was requested or received: ISO-8601 UTC. */
  UpdatedAt: Timestamp;
}

/** One return: the units asked back, and once received their refund (Cal A, D and E of each line in reverse). */
export interface OrderReturn {
  /** The return's id (ReturnCommand.ReturnID). */
  ReturnID: string;
  /** The REQUEST command that opened it. */
  CommandID: string;
  /** The lines returned, as asked. */
  Lines: ReturnedLine[];
  /** Why the customer returns them. */
  Reason: string | null;
  /** Who recorded the request: the token subject. */
  RequestedBy: string;
  /** When it was asked: ISO-8601 UTC. */
  RequestedAt: Timestamp;
  /** Who received the units at the store; null while the return is open. */
  ReceivedBy: string | null;
  /** When the units were received: ISO-8601 UTC; null while the return is open. */
  ReceivedAt: Timestamp | null;
  /**
   * The RECEIVE command that closed it, so that command produced again is ignored rather than refused; null while
   * the return is open.
   */
  ReceivedCommandID: string | null;
  /** Σ the lines' refunds, published as the Refunded payment event; null while the return is open. */
  RefundTotal: Money | null;
}

/** Units of one order line in a return, and once received their share of what the line was paid. */
export interface ReturnedLine {
  /** Order line (OrderLine.LineID). */
  LineID: string;
  /** Item (SKU) of the line, whose stock the units go back to. */
  ItemID: string;
  /** Units of the line returned. */
  Quantity: number;
  /** Cal A's share of the units (UnitPrice × units); null until received. */
  Amount: Money | null;
  /** Cal D's share: the line's own discounts and its bundle share; null until received. */
  Discount: Money | null;
  /** Cal E's share; null until received. */
  Tax: Money | null;
  /** Amount − Discount + Tax: what these units are refunded; null until received. */
  Refund: Money | null;
}

/** A fulfillment event from Slick (topic fulfillment.ship-event.v1, key ShipFromLocationID). */
export interface ShipEvent {
  /** Unique event id; the idempotency key (a repeated EventID is ignored). */
  EventID: string;
  /** Order the event is about. */
  OrderID: string;
  /** Store that fulfils the order; the record key. */
  ShipFromLocationID: string;
  /** Step reached: picking, picked, packing, packed, shipped; or short / substitution for the lines listed. */
  EventType: ShipEventType;
  /** Carrier tracking id, once shipped. */
  TrackingID: string | null;
  /** Carrier handling the delivery, once shipped (e.g. GRAB, PMP). */
  Carrier: string | null;
  /** Estimated delivery time, ISO-8601 UTC, when the carrier gives one. */
  EstimatedDelivery: Timestamp | null;
  /** Lines concerned (short and substitution events); null when the event is about the whole order. */
  Lines: ShipEventLine[] | null;
  /** When the event happened at the store: ISO-8601 UTC. */
  At: Timestamp;
}

/** Fulfillment step reported by Slick. */
export type ShipEventType = 'picking' | 'picked' | 'packing' | 'packed' | 'shipped' | 'short' | 'substitution';

/** A line an event concerns: the units picked, shorted or substituted. */
export interface ShipEventLine {
  /** Order line (OrderLine.LineID). */
  LineID: string;
  /** Item of the line. */
  ItemID: string;
  /** Units the event concerns: picked, short, or replaced by the substitute. */
  Quantity: number;
  /** substitution only: the item given instead. */
  SubstituteItemID: string | null;
}

/**
 * One order status transition (topic order.status.v1, key ShipFromLocationID), emitted in order. Version 2: adds
 * Actor.
 */
export interface StatusChange {
  /** Order whose status changed. */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** Previous status code (1000 Open ... 9000 Cancelled); null for the order's first status. */
  FromStatus: number | null;
  /** New status code. */
  ToStatus: number;
  /** Why, e.g. an error code such as COD_AREA_NOT_SERVED, or the event type that moved it. */
  Reason: string | null;
  /**
   * What caused it: the pipeline stage or input, e.g. validate, allocate, release, slick, grab, pmp, order.update.
   */
  Source: string;
  /** When the transition happened: ISO-8601 UTC. */
  At: Timestamp;
  /**
   * Who asked for it: the token subject of a person's action; null for the pipeline's own steps and partner events.
   * Added in version 2.
   */
  Actor: string | null;
}

/**
 * A tax amount reported on an order line for information only (e.g. VAT included in the price); never charged
 * again.
 */
export interface Tax {
  /** Kind of tax as the source system names it, e.g. VATIncluded. */
  Type: string;
  /** Tax amount for the whole line. */
  Amount: Money;
}

/**
 * Outcome of validating an order (topic order.validation.v1, key ShipFromLocationID): one per OrderCreate
 * processed, per rejected OrderUpdate, and per failed COD validation.
 */
export interface ValidationResult {
  /** Order validated (as received, even when it is itself invalid). */
  OrderID: string;
  /** Store of the order; the record key. */
  ShipFromLocationID: string;
  /** True when no rule failed. */
  Valid: boolean;
  /** Every failed rule; empty when Valid. */
  Errors: ValidationError[];
  /** When the validation ran: ISO-8601 UTC. */
  At: Timestamp;
}

/** One failed rule. */
export interface ValidationError {
  /**
   * Rule letter A-G of the contract, or "—" for checks without a letter (lines, payment method, totals, COD,
   * status).
   */
  Rule: string;
  /** Error code, e.g. INVALID_ORDER_ID, UNKNOWN_CUSTOMER, COD_AREA_NOT_SERVED. */
  Code: string;
  /** Path of the offending field, e.g. OrderLines[1].Quantity; empty when the error is about the whole record. */
  Field: string;
  /** Human-readable explanation. */
  Message: string;
}

/** Record name → its TypeScript shape (every named record of the schemas). */
export interface RecordTypes {
  BundleComponent: BundleComponent;
  BundleDefinition: BundleDefinition;
  BundlePricing: BundlePricing;
  Charge: Charge;
  Customer: Customer;
  DeliveryAddress: DeliveryAddress;
  DeliveryStatus: DeliveryStatus;
  Discount: Discount;
  ExceptionAction: ExceptionAction;
  ExceptionOutcome: ExceptionOutcome;
  FulfillmentInteraction: FulfillmentInteraction;
  InventoryCounter: InventoryCounter;
  InventoryLevel: InventoryLevel;
  LowStockEvent: LowStockEvent;
  NotificationOutcome: NotificationOutcome;
  NotificationPreference: NotificationPreference;
  OrderCreate: OrderCreate;
  OrderLine: OrderLine;
  OrderReturn: OrderReturn;
  OrderState: OrderState;
  OrderTotals: OrderTotals;
  OrderUpdate: OrderUpdate;
  PaymentEvent: PaymentEvent;
  PaymentSettlement: PaymentSettlement;
  PricedLine: PricedLine;
  Product: Product;
  ReconciliationException: ReconciliationException;
  ReconciliationReport: ReconciliationReport;
  Release: Release;
  ReleaseLine: ReleaseLine;
  ReturnCommand: ReturnCommand;
  ReturnCommandLine: ReturnCommandLine;
  ReturnedLine: ReturnedLine;
  ReturnsState: ReturnsState;
  SettlementException: SettlementException;
  ShipEvent: ShipEvent;
  ShipEventLine: ShipEventLine;
  StatusChange: StatusChange;
  StatusHistoryEntry: StatusHistoryEntry;
  Tax: Tax;
  ValidationError: ValidationError;
  ValidationResult: ValidationResult;
}
