package com.omnia.bench.kstreams;

import java.util.ArrayList;
import java.util.List;

/**
 * The records of the order pipeline, field for field as avro/schemas/*.avsc declares them (PascalCase, money as
 * 4-decimal strings). Fields are declared in schema order because Jackson writes them in declaration order, so the
 * JSON on the output topics reads like Omnia's. Public mutable fields: a record is owned by the one input record
 * that is being processed, so the stages change it in place instead of copying it.
 */
final class Model {
  private Model() {}

  /** Discount, Tax and Charge share this shape. */
  static final class Amount {
    public String Type;
    public String Amount;
  }

  static final class Address {
    public String Line1;
    public String District;
    public String Province;
    public String PostalCode;
    public String Phone;
  }

  static final class OrderLine {
    public String LineID;
    public String ItemID;
    public String ShipFromLocationID;
    public int Quantity;
    public String UnitPrice;
    public String TaxRate;
    public String ShortDescription;
    public String ImageURL;
    public List<Amount> Discounts = new ArrayList<>();
    public List<Amount> InformationalTaxes = new ArrayList<>();
    public String BundleID;
  }

  static final class OrderCreate {
    public String OrderID;
    public String ShipFromLocationID;
    public boolean IsForceAllocation;
    public String T1MembershipID;
    public String T1Number;
    public String CustRef;
    public String CustomerID;
    public String Currency;
    public String PaymentMethod;
    public String CreatedAt;
    public Address DeliveryAddress;
    public List<Amount> Charges = new ArrayList<>();
    public List<OrderLine> OrderLines = new ArrayList<>();
  }

  static final class Product {
    public String ItemID;
    public String ShortDescription;
    public String ImageURL;
    public String UnitPrice;
    public String TaxRate;
  }

  static final class Customer {
    public String CustomerID;
    public String Name;
    public String Phone;
    public Boolean CodEligible;
    public String CodLimit;
  }

  static final class BundleComponent {
    public String ItemID;
    public Integer Quantity;
  }

  static final class BundlePricing {
    public String Type;
    public String Price;
    public String Percent;
    public String Amount;
  }

  static final class BundleDefinition {
    public String BundleID;
    public List<BundleComponent> Components;
    public BundlePricing Pricing;
    public String ActiveFrom;
    public String ActiveTo;
    public List<String> Locations = new ArrayList<>();
    public int Priority;
  }

  static final class PricedLine {
    public String LineID;
    public String ItemID;
    public int Quantity;
    public String UnitPrice;
    public String LineAmount;
    public String LineDiscount;
    public String LineTax;
    public String BundleGroupID;
    public String ShortDescription;
    public String ImageURL;
  }

  static final class OrderTotals {
    public String SubTotal;
    public String TotalDiscount;
    public String TotalTaxes;
    public String InformationalTaxes;
    public String TotalCharges;
    public String OrderTotal;
  }

  static final class HistoryEntry {
    public Integer From;
    public int To;
    public String Reason;
    public String Source;
    public String At;
    public String Actor;
  }

  /** The `orders` store value (OrderState.avsc): everything later stages of Omnia would read back. */
  static final class OrderState {
    public OrderCreate Order;
    public int Status;
    public String PaymentStatus;
    public List<PricedLine> Lines = new ArrayList<>();
    public OrderTotals Totals;
    public String PayloadHash;
    public String ReleaseID;
    public String ReleaseDueAt;
    public List<HistoryEntry> History = new ArrayList<>();
    public String UpdatedAt;
    public String TrackingID;
    public String Carrier;
    public String EstimatedDelivery;
    public List<String> SeenEventIDs = new ArrayList<>();
    public List<PricedLine> ShortedLines = new ArrayList<>();
    public String DeliveredAt;
    public String CollectedAmount;
    public String CollectedAt;
    public String SettlementID;
    public String SettledAmount;
    public String SettlementDate;
  }

  static final class InventoryCounter {
    public String ShipFromLocationID;
    public String ItemID;
    public long OnHand;
    public long Allocated;
  }

  static final class LowStockEvent {
    public String ShipFromLocationID;
    public String ItemID;
    public long OnHand;
    public long Allocated;
    public String OrderID;
    public String At;
  }

  static final class ValidationError {
    public String Rule;
    public String Code;
    public String Field;
    public String Message;

    ValidationError() {}

    ValidationError(String rule, String code, String field, String message) {
      Rule = rule;
      Code = code;
      Field = field;
      Message = message;
    }
  }

  static final class ValidationResult {
    public String OrderID;
    public String ShipFromLocationID;
    public boolean Valid;
    public List<ValidationError> Errors = new ArrayList<>();
    public String At;
  }

  static final class StatusChange {
    public String OrderID;
    public String ShipFromLocationID;
    public Integer FromStatus;
    public int ToStatus;
    public String Reason;
    public String Source;
    public String At;
    public String Actor;
  }

  static final class PaymentEvent {
    public String OrderID;
    public String ShipFromLocationID;
    public String PaymentMethod;
    public String PaymentStatus;
    public String Amount;
    public String At;
  }

  static final class ReleaseLine {
    public String LineID;
    public String ItemID;
    public int Quantity;
    public String UnitPrice;
    public String LineDiscount;
    public String LineTax;
    public String BundleGroupID;
    public String ShortDescription;
    public String ImageURL;
  }

  static final class Release {
    public String ReleaseID;
    public String OrderID;
    public String ShipFromLocationID;
    public List<ReleaseLine> ReleaseLines = new ArrayList<>();
    public String SubTotal;
    public String TotalDiscount;
    public String TotalTaxes;
    public String InformationalTaxes;
    public String TotalCharges;
    public String OrderTotal;
    public String PaymentMethod;
    public String CodAmount;
    public String T1MembershipID;
    public String At;
  }
}
