package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.Customer;
import com.omnia.bench.kstreams.Model.ValidationError;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 7, COD validation (processors/domain/cod.ts): amount within [codMin, codMax], postal code in the service
 * area (empty serves all), and a known customer eligible and within its CodLimit. Every failed check is reported.
 */
final class Cod {
  private final BigDecimal min;
  private final BigDecimal max;
  private final List<String> serviceArea;
  private final List<String> prefixes = new ArrayList<>();

  /** OMNIA_COD_MIN, OMNIA_COD_MAX, OMNIA_COD_SERVICE_AREA, with Omnia's defaults. */
  Cod(String codMin, String codMax, List<String> serviceArea) {
    this.min = Money.parse(codMin);
    this.max = Money.parse(codMax);
    this.serviceArea = serviceArea;
    for (String prefix : serviceArea) {
      String digits = Addresses.normalisePostalCode(prefix);
      if (!digits.isEmpty()) prefixes.add(digits);
    }
  }

  static Cod defaults() {
    return new Cod("1.0000", "5000.0000", List.of());
  }

  boolean inServiceArea(String postalCode) {
    if (prefixes.isEmpty()) return true;
    String code = postalCode == null ? "" : Addresses.normalisePostalCode(postalCode);
    if (code.isEmpty()) return false;
    for (String prefix : prefixes) if (code.startsWith(prefix)) return true;
    return false;
  }

  private static ValidationError fail(String code, String field, String message) {
    return new ValidationError("—", code, field, message);
  }

  List<ValidationError> validate(String orderTotal, String postalCode, Customer customer) {
    List<ValidationError> errors = new ArrayList<>();
    BigDecimal total = Money.isMoney(orderTotal) ? new BigDecimal(orderTotal) : null;
    if (total == null) {
      errors.add(fail("COD_AMOUNT_OUT_OF_RANGE", "OrderTotal", "OrderTotal " + Json.quote(String.valueOf(orderTotal)) + " is not an amount"));
    } else if (total.compareTo(min) < 0 || total.compareTo(max) > 0) {
      errors.add(fail("COD_AMOUNT_OUT_OF_RANGE", "OrderTotal",
          "OrderTotal " + Money.format(total) + " is outside the COD range " + Money.format(min) + "–" + Money.format(max)));
    }
    if (!inServiceArea(postalCode)) {
      errors.add(fail("COD_AREA_NOT_SERVED", "DeliveryAddress.PostalCode",
          "postal code " + (postalCode == null ? "null" : Json.quote(postalCode)) + " is outside the COD service area ("
              + String.join(", ", serviceArea) + ")"));
    }
    if (customer != null) {
      String who = Json.quote(String.valueOf(customer.CustomerID));
      if (!Boolean.TRUE.equals(customer.CodEligible)) {
        errors.add(fail("COD_CUSTOMER_INELIGIBLE", "CustomerID",
            "customer " + who + " is not eligible for COD (CodEligible " + customer.CodEligible + ")"));
      }
      if (customer.CodLimit != null) {
        if (!Money.isMoney(customer.CodLimit)) {
          errors.add(fail("COD_CUSTOMER_INELIGIBLE", "CustomerID",
              "customer " + who + " has CodLimit " + Json.quote(customer.CodLimit) + ", not an amount"));
        } else {
          BigDecimal limit = new BigDecimal(customer.CodLimit);
          if (total != null && total.compareTo(limit) > 0) {
            errors.add(fail("COD_CUSTOMER_INELIGIBLE", "CustomerID",
                "OrderTotal " + Money.format(total) + " exceeds customer " + who + "'s CodLimit " + Money.format(limit)));
          }
        }
      }
    }
    return errors;
  }
}
