package com.omnia.bench.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.omnia.bench.kstreams.Model.Customer;
import com.omnia.bench.kstreams.Model.ValidationError;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Section 3 of the contract: Rules A–G, the line and payment-method checks, over the decoded JSON of an
 * `order.create.v1` record, every failure reported at once (processors/domain/validation-rules.ts, check by check,
 * in the same order and with the same messages).
 */
final class Validation {
  private Validation() {}

  static final String MALFORMED_RECORD = "MALFORMED_RECORD";
  private static final String DASH = "—";

  private static final Pattern ORDER_ID = Pattern.compile("[A-Za-z0-9_-]{1,50}");
  private static final Pattern T1_MEMBERSHIP_ID = Pattern.compile("[0-9]{16}");
  private static final Pattern T1_NUMBER = Pattern.compile("T1-[0-9]{6}");
  private static final Pattern PRINTABLE_ASCII_1_50 = Pattern.compile("[\\x20-\\x7E]{1,50}");
  private static final Pattern UTC_TIMESTAMP =
      Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,9})?(?:Z|[+-]00:?00)");
  private static final String[] ADDRESS_TEXT_FIELDS = {"Line1", "District", "Province", "Phone"};
  private static final double MAX_SAFE_INTEGER = 9007199254740991d;

  /** SHA-256 (hex) of a record's value bytes, as they arrived. */
  static String payloadHash(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      StringBuilder hex = new StringBuilder(64);
      for (byte b : digest) hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean isGiven(JsonNode value) {
    return value != null && !value.isNull() && !value.isMissingNode();
  }

  static boolean isNonEmptyString(JsonNode value) {
    return value != null && value.isTextual() && !value.textValue().isEmpty();
  }

  private static void push(List<ValidationError> errors, String rule, String code, String field, String message) {
    errors.add(new ValidationError(rule, code, field, message));
  }

  private static void malformed(List<ValidationError> errors, String field, String message) {
    push(errors, DASH, MALFORMED_RECORD, field, message);
  }

  private static void invalidLine(List<ValidationError> errors, String field, String message) {
    push(errors, DASH, "INVALID_LINE", field, message);
  }

  /**
   * Every failed check; empty when valid. `customer` is the profile of the order's CustomerID (null when unknown);
   * `previousHash` the payload hash of an earlier order with the same OrderID (null for a first sighting).
   */
  static List<ValidationError> validateOrder(JsonNode order, Customer customer, String previousHash, String hash) {
    List<ValidationError> errors = new ArrayList<>();
    if (order == null || !order.isObject()) {
      malformed(errors, "", "an OrderCreate must be a JSON object, got " + Json.describe(order));
      return errors;
    }
    // Rule A: the OrderID's shape.
    JsonNode id = order.get("OrderID");
    if (id == null || !id.isTextual() || !ORDER_ID.matcher(id.textValue()).matches()) {
      push(errors, "A", "INVALID_ORDER_ID", "OrderID",
          "OrderID must be 1–50 characters of A–Z, a–z, 0–9, \"_\" or \"-\", got " + Json.describe(id));
    }
    // Rule A: not seen before with a different payload.
    if (previousHash != null && !previousHash.equals(hash)) {
      push(errors, "A", "DUPLICATE_ORDER_ID", "OrderID",
          "OrderID " + Json.describe(id) + " was already received with a different payload");
    }
    // Rule B: each line's ShipFromLocationID, when given, is the order's.
    JsonNode location = order.get("ShipFromLocationID");
    JsonNode lines = order.get("OrderLines");
    if (location != null && location.isTextual() && lines != null && lines.isArray()) {
      for (int i = 0; i < lines.size(); i++) {
        JsonNode line = lines.get(i);
        if (!line.isObject()) continue;
        JsonNode lineLocation = line.get("ShipFromLocationID");
        if (!isGiven(lineLocation) || (lineLocation.isTextual() && lineLocation.textValue().equals(location.textValue()))) continue;
        push(errors, "B", "SHIP_FROM_LOCATION_MISMATCH", "OrderLines[" + i + "].ShipFromLocationID",
            "line ShipFromLocationID " + Json.describe(lineLocation) + " differs from the order's " + Json.describe(location));
      }
    }
    // Rule C: IsForceAllocation is the boolean true.
    JsonNode force = order.get("IsForceAllocation");
    if (force == null || !force.isBoolean() || !force.booleanValue()) {
      push(errors, "C", "FORCE_ALLOCATION_REQUIRED", "IsForceAllocation", "IsForceAllocation must be true, got " + Json.describe(force));
    }
    // Rule D.
    JsonNode t1m = order.get("T1MembershipID");
    if (isGiven(t1m) && (!t1m.isTextual() || !T1_MEMBERSHIP_ID.matcher(t1m.textValue()).matches())) {
      push(errors, "D", "INVALID_T1_MEMBERSHIP_ID", "T1MembershipID", "T1MembershipID must be exactly 16 digits, got " + Json.describe(t1m));
    }
    // Rule E.
    JsonNode t1n = order.get("T1Number");
    if (isGiven(t1n) && (!t1n.isTextual() || !T1_NUMBER.matcher(t1n.textValue()).matches())) {
      push(errors, "E", "INVALID_T1_NUMBER", "T1Number", "T1Number must be \"T1-\" followed by 6 digits, got " + Json.describe(t1n));
    }
    // Rule F.
    JsonNode custRef = order.get("CustRef");
    if (isGiven(custRef) && (!custRef.isTextual() || !PRINTABLE_ASCII_1_50.matcher(custRef.textValue()).matches())) {
      push(errors, "F", "INVALID_CUST_REF", "CustRef", "CustRef must be 1–50 printable ASCII characters, got " + Json.describe(custRef));
    }
    // Rule G: a given CustomerID is in customer.profile.v1.
    JsonNode customerId = order.get("CustomerID");
    if (isGiven(customerId)) {
      if (!customerId.isTextual()) {
        push(errors, "G", "UNKNOWN_CUSTOMER", "CustomerID", "CustomerID must be a string, got " + Json.describe(customerId));
      } else if (customer == null) {
        push(errors, "G", "UNKNOWN_CUSTOMER", "CustomerID", "CustomerID " + Json.describe(customerId) + " is not in customer.profile.v1");
      }
    }
    checkLines(lines, errors);
    JsonNode method = order.get("PaymentMethod");
    if (method == null || !method.isTextual() || !method.textValue().equals("COD")) {
      push(errors, DASH, "UNSUPPORTED_PAYMENT_METHOD", "PaymentMethod", "PaymentMethod must be \"COD\", got " + Json.describe(method));
    }
    checkRecordShape(order, errors);
    return errors;
  }

  private static void checkRecordShape(JsonNode order, List<ValidationError> errors) {
    JsonNode location = order.get("ShipFromLocationID");
    if (!isNonEmptyString(location)) {
      malformed(errors, "ShipFromLocationID", "ShipFromLocationID must be a non-empty string, got " + Json.describe(location));
    }
    JsonNode createdAt = order.get("CreatedAt");
    if (createdAt == null || !createdAt.isTextual() || !UTC_TIMESTAMP.matcher(createdAt.textValue()).matches()
        || Time.parse(createdAt.textValue()) == null) {
      malformed(errors, "CreatedAt",
          "CreatedAt must be a UTC ISO-8601 timestamp such as \"2026-11-21T09:15:00Z\", got " + Json.describe(createdAt));
    }
    JsonNode currency = order.get("Currency");
    if (isGiven(currency) && !currency.isTextual()) {
      malformed(errors, "Currency", "Currency must be a string or null, got " + Json.describe(currency));
    }
    checkAddressShape(order.get("DeliveryAddress"), "DeliveryAddress", errors);
    checkAmountEntries(order.get("Charges"), "Charges", errors);
  }

  private static void checkAddressShape(JsonNode address, String field, List<ValidationError> errors) {
    if (address == null || !address.isObject()) {
      malformed(errors, field, field + " must be an object with at least PostalCode, got " + Json.describe(address));
      return;
    }
    JsonNode postalCode = address.get("PostalCode");
    if (postalCode == null || !postalCode.isTextual()) {
      malformed(errors, field + ".PostalCode", field + ".PostalCode must be a string, got " + Json.describe(postalCode));
    }
    for (String name : ADDRESS_TEXT_FIELDS) {
      JsonNode value = address.get(name);
      if (isGiven(value) && !value.isTextual()) {
        malformed(errors, field + "." + name, field + "." + name + " must be a string or null, got " + Json.describe(value));
      }
    }
  }

  /** An optional array of {Type, Amount}; amounts are money ≥ 0. */
  private static void checkAmountEntries(JsonNode entries, String field, List<ValidationError> errors) {
    if (!isGiven(entries)) return;
    if (!entries.isArray()) {
      malformed(errors, field, field + " must be an array, got " + Json.describe(entries));
      return;
    }
    for (int i = 0; i < entries.size(); i++) {
      JsonNode entry = entries.get(i);
      String path = field + "[" + i + "]";
      if (!entry.isObject()) {
        malformed(errors, path, path + " must be an object {Type, Amount}, got " + Json.describe(entry));
        continue;
      }
      JsonNode type = entry.get("Type");
      if (type == null || !type.isTextual()) malformed(errors, path + ".Type", path + ".Type must be a string, got " + Json.describe(type));
      JsonNode amount = entry.get("Amount");
      if (!Money.isMoney(amount) || Money.isNegative(amount.textValue())) {
        invalidLine(errors, path + ".Amount",
            path + ".Amount must be a money amount ≥ 0 with at most 4 decimals, got " + Json.describe(amount));
      }
    }
  }

  private static void checkLines(JsonNode lines, List<ValidationError> errors) {
    if (lines == null || !lines.isArray()) {
      malformed(errors, "OrderLines", "OrderLines must be an array of lines, got " + Json.describe(lines));
      return;
    }
    if (lines.isEmpty()) {
      invalidLine(errors, "OrderLines", "an order needs at least one line, got an empty OrderLines");
      return;
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = lines.get(i);
      String path = "OrderLines[" + i + "]";
      if (!line.isObject()) {
        malformed(errors, path, path + " must be an object, got " + Json.describe(line));
        continue;
      }
      checkLine(line, path, errors);
      JsonNode lineId = line.get("LineID");
      if (isNonEmptyString(lineId)) {
        Integer first = seen.putIfAbsent(lineId.textValue(), i);
        if (first != null) {
          invalidLine(errors, path + ".LineID", "LineID " + Json.describe(lineId) + " is already used by OrderLines[" + first + "]");
        }
      }
    }
  }

  /** `Number.isSafeInteger` of a JSON number as JavaScript would parse it. */
  private static boolean isSafeInteger(JsonNode value) {
    if (value == null || !value.isNumber()) return false;
    double d = value.doubleValue();
    return !Double.isInfinite(d) && d == Math.rint(d) && Math.abs(d) <= MAX_SAFE_INTEGER;
  }

  private static void checkLine(JsonNode line, String path, List<ValidationError> errors) {
    JsonNode lineId = line.get("LineID");
    if (!isNonEmptyString(lineId)) invalidLine(errors, path + ".LineID", "LineID must be a non-empty string, got " + Json.describe(lineId));
    JsonNode itemId = line.get("ItemID");
    if (!isNonEmptyString(itemId)) invalidLine(errors, path + ".ItemID", "ItemID must be a non-empty string, got " + Json.describe(itemId));
    JsonNode quantity = line.get("Quantity");
    if (!isSafeInteger(quantity) || quantity.doubleValue() < 1) {
      invalidLine(errors, path + ".Quantity", "Quantity must be a whole number ≥ 1, got " + Json.describe(quantity));
    }
    JsonNode price = line.get("UnitPrice");
    if (!Money.isMoney(price) || Money.isNegative(price.textValue())) {
      invalidLine(errors, path + ".UnitPrice",
          "UnitPrice must be a money amount ≥ 0 with at most 4 decimals, got " + Json.describe(price));
    }
    JsonNode rate = line.get("TaxRate");
    if (!Money.isMoney(rate) || Money.isNegative(rate.textValue()) || new BigDecimal(rate.textValue()).compareTo(BigDecimal.ONE) > 0) {
      invalidLine(errors, path + ".TaxRate",
          "TaxRate must be a fraction from 0 to 1 with at most 4 decimals (\"0.0700\" is 7 %), got " + Json.describe(rate));
    }
    JsonNode bundleId = line.get("BundleID");
    if (isGiven(bundleId) && !isNonEmptyString(bundleId)) {
      invalidLine(errors, path + ".BundleID", "BundleID must be a non-empty string or null, got " + Json.describe(bundleId));
    }
    for (String name : new String[] {"ShortDescription", "ImageURL"}) {
      JsonNode value = line.get(name);
      if (isGiven(value) && !value.isTextual()) {
        malformed(errors, path + "." + name, path + "." + name + " must be a string or null, got " + Json.describe(value));
      }
    }
    checkAmountEntries(line.get("Discounts"), path + ".Discounts", errors);
    checkAmountEntries(line.get("InformationalTaxes"), path + ".InformationalTaxes", errors);
  }

  static boolean isMalformed(List<ValidationError> errors) {
    for (ValidationError error : errors) if (MALFORMED_RECORD.equals(error.Code)) return true;
    return false;
  }

  /** "A INVALID_ORDER_ID OrderID: …; C …" for the dead letter's message header. */
  static String describeErrors(List<ValidationError> errors) {
    StringBuilder out = new StringBuilder();
    for (ValidationError error : errors) {
      if (out.length() > 0) out.append("; ");
      out.append(error.Rule).append(' ').append(error.Code);
      if (!error.Field.isEmpty()) out.append(' ').append(error.Field);
      out.append(": ").append(error.Message);
    }
    return out.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
