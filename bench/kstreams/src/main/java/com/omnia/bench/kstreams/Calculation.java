package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.Amount;
import com.omnia.bench.kstreams.Model.OrderCreate;
import com.omnia.bench.kstreams.Model.OrderLine;
import com.omnia.bench.kstreams.Model.OrderTotals;
import com.omnia.bench.kstreams.Model.PricedLine;
import com.omnia.bench.kstreams.Model.ValidationError;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Section 5, Cal A–F (processors/domain/calculation.ts), and the priced lines the calculate stage stores:
 *   line amount = UnitPrice × Quantity; line discount = Σ Discounts + bundle share;
 *   line tax = round4((amount − discount) × TaxRate), half to even;
 *   SubTotal = Σ amount, TotalDiscount = Σ discount, TotalTaxes = Σ tax, InformationalTaxes = Σ informational,
 *   TotalCharges = Σ Charges, OrderTotal = SubTotal − TotalDiscount + TotalTaxes + TotalCharges.
 */
final class Calculation {
  private Calculation() {}

  record Priced(List<PricedLine> lines, OrderTotals totals, List<ValidationError> errors) {}

  static BigDecimal sumAmounts(List<Amount> entries) {
    BigDecimal total = BigDecimal.ZERO;
    if (entries != null) for (Amount entry : entries) total = total.add(Money.parse(entry.Amount));
    return total;
  }

  /** Bundles, then Cal A–F over the order's lines and charges (calculate.ts `priceOrder`). */
  static Priced price(OrderCreate order, List<Model.BundleDefinition> bundles) {
    Bundles.Application application = Bundles.apply(order, bundles);
    Map<String, Bundles.LineShare> shareByLine = new HashMap<>();
    for (Bundles.LineShare share : application.lines()) shareByLine.put(share.lineId(), share);

    BigDecimal subTotal = BigDecimal.ZERO;
    BigDecimal totalDiscount = BigDecimal.ZERO;
    BigDecimal totalTaxes = BigDecimal.ZERO;
    BigDecimal informationalTaxes = BigDecimal.ZERO;
    List<PricedLine> lines = new ArrayList<>(order.OrderLines.size());
    for (OrderLine line : order.OrderLines) {
      Bundles.LineShare share = shareByLine.remove(line.LineID);
      BigDecimal amount = Money.parse(line.UnitPrice).multiply(BigDecimal.valueOf(line.Quantity));
      BigDecimal discount = sumAmounts(line.Discounts);
      if (share != null) discount = discount.add(Money.parse(share.bundleDiscount()));
      BigDecimal tax = Money.round4(amount.subtract(discount).multiply(Money.parse(line.TaxRate)));
      subTotal = subTotal.add(amount);
      totalDiscount = totalDiscount.add(discount);
      totalTaxes = totalTaxes.add(tax);
      informationalTaxes = informationalTaxes.add(sumAmounts(line.InformationalTaxes));
      PricedLine priced = new PricedLine();
      priced.LineID = line.LineID;
      priced.ItemID = line.ItemID;
      priced.Quantity = line.Quantity;
      priced.UnitPrice = line.UnitPrice;
      priced.LineAmount = Money.format(amount);
      priced.LineDiscount = Money.format(discount);
      priced.LineTax = Money.format(tax);
      priced.BundleGroupID = share == null ? null : share.bundleGroupId();
      priced.ShortDescription = line.ShortDescription;
      priced.ImageURL = line.ImageURL;
      lines.add(priced);
    }
    if (!shareByLine.isEmpty()) throw new IllegalStateException("bundle shares for lines the order does not have: " + shareByLine.keySet());

    BigDecimal totalCharges = sumAmounts(order.Charges);
    BigDecimal orderTotal = subTotal.subtract(totalDiscount).add(totalTaxes).add(totalCharges);
    List<ValidationError> errors = new ArrayList<>();
    if (totalDiscount.compareTo(subTotal) > 0) {
      errors.add(new ValidationError("—", "DISCOUNT_EXCEEDS_SUBTOTAL", "TotalDiscount",
          "TotalDiscount " + Money.format(totalDiscount) + " exceeds SubTotal " + Money.format(subTotal)));
    }
    OrderTotals totals = new OrderTotals();
    totals.SubTotal = Money.format(subTotal);
    totals.TotalDiscount = Money.format(totalDiscount);
    totals.TotalTaxes = Money.format(totalTaxes);
    totals.InformationalTaxes = Money.format(informationalTaxes);
    totals.TotalCharges = Money.format(totalCharges);
    totals.OrderTotal = Money.format(orderTotal);
    return new Priced(lines, totals, errors);
  }
}
