package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.BundleComponent;
import com.omnia.bench.kstreams.Model.BundleDefinition;
import com.omnia.bench.kstreams.Model.BundlePricing;
import com.omnia.bench.kstreams.Model.OrderCreate;
import com.omnia.bench.kstreams.Model.OrderLine;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Section 6: which lines form which bundle instances, each instance's discount and its proration over the lines
 * that supply it; processors/domain/bundles.ts step for step (declared pools first, then detection by priority,
 * units taken in LineID order, runs of identical instances, groups joined by shared lines).
 */
final class Bundles {
  private Bundles() {}

  /** One line's part in bundles. */
  record LineShare(String lineId, int bundleQuantity, String bundleDiscount, String bundleGroupId) {}

  /** Why a bundle gave no discount: for logs in Omnia, never a reason to reject; kept so the same work is done. */
  record Note(String bundleId, String lineId, String reason, String message) {}

  record Application(List<LineShare> lines, String totalDiscount, List<Note> notes) {}

  /** LineIDs numerically when both are digit strings ("2" before "10"), else by UTF-16 code units. */
  static int compareLineIds(String a, String b) {
    if (isDigits(a) && isDigits(b)) {
      String x = stripZeros(a);
      String y = stripZeros(b);
      if (x.length() != y.length()) return x.length() - y.length();
      int c = x.compareTo(y);
      if (c != 0) return c < 0 ? -1 : 1;
    }
    int c = a.compareTo(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
    return true;
  }

  private static String stripZeros(String s) {
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') i++;
    return s.substring(i);
  }

  /** A bundle's discount on one instance of list value `listValue`. */
  static BigDecimal bundleDiscount(BundlePricing pricing, BigDecimal listValue) {
    BigDecimal price = switch (pricing.Type) {
      case "FIXED" -> Money.parse(pricing.Price);
      case "PERCENT_OFF" -> listValue.subtract(Money.round4(listValue.multiply(new BigDecimal(pricing.Percent)).movePointLeft(2)));
      default -> listValue.subtract(Money.parse(pricing.Amount));
    };
    if (price.compareTo(listValue) > 0) return BigDecimal.ZERO;
    return price.signum() < 0 ? listValue : listValue.subtract(price);
  }

  /**
   * Spreads `discount` over parts in proportion to their values: shares rounded down to 4 decimals, the leftover
   * 0.0001s one each to the largest remainders, ties to the earlier LineID. Exact integer arithmetic.
   */
  static BigDecimal[] prorate(BigDecimal discount, List<String> lineIds, List<BigDecimal> values) {
    int n = values.size();
    BigDecimal[] shares = new BigDecimal[n];
    java.util.Arrays.fill(shares, BigDecimal.ZERO);
    if (discount.signum() == 0) return shares;
    BigDecimal total = BigDecimal.ZERO;
    for (BigDecimal value : values) total = total.add(value);
    if (discount.signum() < 0 || discount.compareTo(total) > 0 || discount.stripTrailingZeros().scale() > 4) {
      throw new ArithmeticException("cannot prorate " + discount.toPlainString() + " over a list value of " + total.toPlainString());
    }
    BigInteger units = discount.movePointRight(4).toBigIntegerExact();
    BigInteger whole = total.movePointRight(4).toBigIntegerExact();
    BigInteger[] floors = new BigInteger[n];
    BigInteger[] remainders = new BigInteger[n];
    BigInteger left = units;
    for (int i = 0; i < n; i++) {
      BigInteger scaled = units.multiply(values.get(i).movePointRight(4).toBigIntegerExact());
      BigInteger[] qr = scaled.divideAndRemainder(whole);
      floors[i] = qr[0];
      remainders[i] = qr[1];
      left = left.subtract(qr[0]);
    }
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) order.add(i);
    order.sort((a, b) -> {
      int byRemainder = remainders[b].compareTo(remainders[a]);
      return byRemainder != 0 ? byRemainder : compareLineIds(lineIds.get(a), lineIds.get(b));
    });
    for (int k = 0; left.signum() > 0; k++, left = left.subtract(BigInteger.ONE)) {
      floors[order.get(k)] = floors[order.get(k)].add(BigInteger.ONE);
    }
    for (int i = 0; i < n; i++) shares[i] = new BigDecimal(floors[i], 4);
    return shares;
  }

  // ------------------------------------------------------------------------------------------ implementation

  private record Component(String itemId, int quantity) {}

  private record Prepared(String id, List<Component> components, BundlePricing pricing, int priority, double from, double to,
      List<String> locations) {}

  private static final class WorkLine {
    final int index;
    final String lineId;
    final String itemId;
    final BigDecimal price;
    int available;
    int bundled;
    BigDecimal discount = BigDecimal.ZERO;
    int parent;

    WorkLine(int index, OrderLine line) {
      this.index = index;
      this.lineId = line.LineID;
      this.itemId = line.ItemID;
      this.price = Money.parse(line.UnitPrice);
      this.available = line.Quantity;
      this.parent = index;
    }
  }

  private record Take(WorkLine line, int units) {}

  private record Run(Prepared bundle, int first, int count, boolean declared, List<Take> takes, BigDecimal listValue,
      BigDecimal discount, BigDecimal[] shares) {}

  private static boolean isValidPricing(BundlePricing p) {
    if (p == null || p.Type == null) return false;
    return switch (p.Type) {
      case "FIXED" -> Money.isMoney(p.Price) && !p.Price.startsWith("-");
      case "PERCENT_OFF" -> Money.isMoney(p.Percent) && !p.Percent.startsWith("-") && new BigDecimal(p.Percent).compareTo(BigDecimal.valueOf(100)) <= 0;
      case "AMOUNT_OFF" -> Money.isMoney(p.Amount) && !p.Amount.startsWith("-");
      default -> false;
    };
  }

  private static double bound(String value, double open) {
    if (value == null) return open;
    Long ms = Time.parse(value);
    return ms == null ? Double.NaN : ms;
  }

  /** The definition checked and its components merged by item, or the reason it cannot be used (a String). */
  private static Object prepare(BundleDefinition d) {
    if (d.BundleID == null || d.BundleID.isEmpty()) return "BundleID is not a non-empty string";
    if (d.Components == null || d.Components.isEmpty()) return "Components is not a non-empty array";
    List<Component> components = new ArrayList<>();
    for (BundleComponent c : d.Components) {
      if (c == null || c.ItemID == null || c.Quantity == null || c.Quantity < 1) {
        return "component " + (c == null ? "null" : Json.quote(String.valueOf(c.ItemID))) + " needs an ItemID and a whole Quantity ≥ 1";
      }
      int same = -1;
      for (int i = 0; i < components.size(); i++) if (components.get(i).itemId().equals(c.ItemID)) same = i;
      if (same >= 0) components.set(same, new Component(c.ItemID, components.get(same).quantity() + c.Quantity));
      else components.add(new Component(c.ItemID, c.Quantity));
    }
    if (!isValidPricing(d.Pricing)) return "Pricing is not FIXED {Price}, PERCENT_OFF {Percent 0–100} or AMOUNT_OFF {Amount}, non-negative";
    double from = bound(d.ActiveFrom, Double.NEGATIVE_INFINITY);
    double to = bound(d.ActiveTo, Double.POSITIVE_INFINITY);
    if (Double.isNaN(from) || Double.isNaN(to)) return "ActiveFrom/ActiveTo are not timestamps";
    return new Prepared(d.BundleID, components, d.Pricing, d.Priority, from, to, d.Locations == null ? List.of() : d.Locations);
  }

  private static boolean activeAt(Prepared bundle, double createdAt, String location) {
    return bundle.from() <= createdAt && createdAt < bundle.to()
        && (bundle.locations().isEmpty() || bundle.locations().contains(location));
  }

  private static final Comparator<Prepared> BY_PRIORITY = (a, b) -> {
    if (a.priority() != b.priority()) return b.priority() > a.priority() ? 1 : -1;
    int c = a.id().compareTo(b.id());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  };

  private static int find(List<WorkLine> lines, int index) {
    int root = index;
    while (lines.get(root).parent != root) root = lines.get(root).parent;
    while (lines.get(index).parent != root) {
      int next = lines.get(index).parent;
      lines.get(index).parent = root;
      index = next;
    }
    return root;
  }

  /** As many whole instances of `bundle` as `pool` allows, as runs of identical instances; consumes units. */
  private static List<Run> formInstances(Prepared bundle, List<WorkLine> pool, boolean declared, int nextInstance) {
    int componentCount = bundle.components().size();
    List<List<WorkLine>> supply = new ArrayList<>(componentCount);
    for (Component component : bundle.components()) {
      List<WorkLine> lines = new ArrayList<>();
      for (WorkLine line : pool) if (line.itemId.equals(component.itemId()) && line.available > 0) lines.add(line);
      supply.add(lines);
    }
    long count = Long.MAX_VALUE;
    for (int c = 0; c < componentCount; c++) {
      long units = 0;
      for (WorkLine line : supply.get(c)) units += line.available;
      count = Math.min(count, units / bundle.components().get(c).quantity());
    }
    List<Run> runs = new ArrayList<>();
    int[] cursor = new int[componentCount];
    for (long done = 0; done < count;) {
      // How many identical instances in a row: each component must come whole from one line for all of them.
      long repeat = count - done;
      for (int c = 0; c < componentCount; c++) {
        WorkLine line = supply.get(c).get(cursor[c]);
        int need = bundle.components().get(c).quantity();
        repeat = Math.min(repeat, line.available >= need ? line.available / need : 1);
      }
      List<Take> takes = new ArrayList<>();
      for (int c = 0; c < componentCount; c++) {
        int need = bundle.components().get(c).quantity();
        while (need > 0) {
          WorkLine line = supply.get(c).get(cursor[c]);
          int units = Math.min(need, line.available);
          takes.add(new Take(line, units));
          line.available -= (int) (units * repeat);
          need -= units;
          if (line.available == 0) cursor[c]++;
        }
      }
      BigDecimal listValue = BigDecimal.ZERO;
      List<String> ids = new ArrayList<>(takes.size());
      List<BigDecimal> values = new ArrayList<>(takes.size());
      for (Take take : takes) {
        BigDecimal value = take.line().price.multiply(BigDecimal.valueOf(take.units()));
        listValue = listValue.add(value);
        ids.add(take.line().lineId);
        values.add(value);
      }
      BigDecimal discount = bundleDiscount(bundle.pricing(), listValue);
      BigDecimal[] shares = prorate(discount, ids, values);
      runs.add(new Run(bundle, (int) (nextInstance + done), (int) repeat, declared, takes, listValue, discount, shares));
      done += repeat;
    }
    return runs;
  }

  /** Section 6 over an order's lines. `definitions` may be the whole bundle table. */
  static Application apply(OrderCreate order, List<BundleDefinition> definitions) {
    List<WorkLine> lines = new ArrayList<>(order.OrderLines.size());
    for (int i = 0; i < order.OrderLines.size(); i++) lines.add(new WorkLine(i, order.OrderLines.get(i)));
    List<Note> notes = new ArrayList<>();
    Map<String, List<WorkLine>> declaredPools = new LinkedHashMap<>();
    Set<String> freeItems = new HashSet<>();
    for (WorkLine line : lines) {
      String bundleId = order.OrderLines.get(line.index).BundleID;
      if (bundleId != null && !bundleId.isEmpty()) declaredPools.computeIfAbsent(bundleId, k -> new ArrayList<>()).add(line);
      else freeItems.add(line.itemId);
    }
    Comparator<WorkLine> byLineId = (a, b) -> compareLineIds(a.lineId, b.lineId);
    for (List<WorkLine> pool : declaredPools.values()) pool.sort(byLineId);
    List<WorkLine> freeLines = new ArrayList<>();
    for (WorkLine line : lines) {
      String bundleId = order.OrderLines.get(line.index).BundleID;
      if (bundleId == null || bundleId.isEmpty()) freeLines.add(line);
    }
    freeLines.sort(byLineId);

    // Only definitions that could matter to this order are checked: declared ones, and those whose items are all here.
    Long created = Time.parse(order.CreatedAt);
    double createdAt = created == null ? Double.NaN : created;
    List<Prepared> declared = new ArrayList<>();
    List<Prepared> detectable = new ArrayList<>();
    for (BundleDefinition definition : definitions) {
      String id = definition.BundleID;
      boolean isDeclared = id != null && declaredPools.containsKey(id);
      boolean couldDetect = definition.Components != null && !definition.Components.isEmpty();
      if (couldDetect) {
        for (BundleComponent c : definition.Components) {
          if (c == null || !freeItems.contains(c.ItemID)) {
            couldDetect = false;
            break;
          }
        }
      }
      if (!isDeclared && !couldDetect) continue;
      Object prepared = prepare(definition);
      if (prepared instanceof String reason) {
        if (isDeclared) for (WorkLine line : declaredPools.get(id)) notes.add(new Note(id, line.lineId, "INVALID_DEFINITION", reason));
        else notes.add(new Note(String.valueOf(id), null, "INVALID_DEFINITION", reason));
        continue;
      }
      Prepared bundle = (Prepared) prepared;
      if (isDeclared) declared.add(bundle);
      if (couldDetect && activeAt(bundle, createdAt, order.ShipFromLocationID)) detectable.add(bundle);
    }
    declared.sort(BY_PRIORITY);
    detectable.sort(BY_PRIORITY);

    List<Run> runs = new ArrayList<>();
    Map<String, Integer> nextInstance = new HashMap<>();
    Set<String> known = new HashSet<>();
    for (Prepared bundle : declared) known.add(bundle.id());
    for (Map.Entry<String, List<WorkLine>> entry : declaredPools.entrySet()) {
      String bundleId = entry.getKey();
      boolean invalid = false;
      for (Note n : notes) if (n.bundleId().equals(bundleId) && n.reason().equals("INVALID_DEFINITION")) invalid = true;
      if (!known.contains(bundleId) && !invalid) {
        for (WorkLine line : entry.getValue()) notes.add(new Note(bundleId, line.lineId, "UNKNOWN_BUNDLE", "no bundle definition " + Json.quote(bundleId)));
      }
    }
    for (Prepared bundle : declared) {
      List<WorkLine> pool = declaredPools.get(bundle.id());
      form(bundle, pool, true, runs, nextInstance);
      for (WorkLine line : pool) {
        boolean component = false;
        for (Component c : bundle.components()) if (c.itemId().equals(line.itemId)) component = true;
        if (!component) {
          notes.add(new Note(bundle.id(), line.lineId, "NOT_A_COMPONENT", "item " + Json.quote(line.itemId) + " is not a component of the bundle"));
        } else if (line.available == order.OrderLines.get(line.index).Quantity) {
          notes.add(new Note(bundle.id(), line.lineId, "NO_WHOLE_INSTANCE", "the declared lines do not make a whole instance that uses this line"));
        }
      }
    }
    for (Prepared bundle : detectable) form(bundle, freeLines, false, runs, nextInstance);
    return assemble(lines, runs, notes);
  }

  private static void form(Prepared bundle, List<WorkLine> pool, boolean declared, List<Run> runs, Map<String, Integer> nextInstance) {
    for (Run run : formInstances(bundle, pool, declared, nextInstance.getOrDefault(bundle.id(), 1))) {
      runs.add(run);
      nextInstance.put(bundle.id(), run.first() + run.count());
    }
  }

  /** Groups (lines shared between instances join them) and per-line totals. */
  private static Application assemble(List<WorkLine> lines, List<Run> runs, List<Note> notes) {
    for (Run run : runs) {
      int root = run.takes().get(0).line().index;
      for (Take take : run.takes()) {
        int a = find(lines, root);
        int b = find(lines, take.line().index);
        if (a != b) lines.get(b).parent = a;
      }
    }
    Map<Integer, String> groupOf = new HashMap<>();
    for (Run run : runs) groupOf.putIfAbsent(find(lines, run.takes().get(0).line().index), run.bundle().id() + "#" + run.first());
    BigDecimal total = BigDecimal.ZERO;
    for (Run run : runs) {
      BigDecimal count = BigDecimal.valueOf(run.count());
      total = total.add(run.discount().multiply(count));
      for (int i = 0; i < run.takes().size(); i++) {
        WorkLine line = run.takes().get(i).line();
        line.bundled += run.takes().get(i).units() * run.count();
        line.discount = line.discount.add(run.shares()[i].multiply(count));
      }
    }
    List<LineShare> shares = new ArrayList<>();
    for (WorkLine line : lines) {
      if (line.bundled == 0) continue;
      shares.add(new LineShare(line.lineId, line.bundled, Money.format(line.discount), groupOf.get(find(lines, line.index))));
    }
    return new Application(shares, Money.format(total), notes);
  }
}
