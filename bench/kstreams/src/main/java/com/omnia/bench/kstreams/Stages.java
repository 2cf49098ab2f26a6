package com.omnia.bench.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import com.omnia.bench.kstreams.Model.Customer;
import com.omnia.bench.kstreams.Model.HistoryEntry;
import com.omnia.bench.kstreams.Model.InventoryCounter;
import com.omnia.bench.kstreams.Model.LowStockEvent;
import com.omnia.bench.kstreams.Model.OrderCreate;
import com.omnia.bench.kstreams.Model.OrderLine;
import com.omnia.bench.kstreams.Model.OrderState;
import com.omnia.bench.kstreams.Model.PaymentEvent;
import com.omnia.bench.kstreams.Model.PricedLine;
import com.omnia.bench.kstreams.Model.Product;
import com.omnia.bench.kstreams.Model.Release;
import com.omnia.bench.kstreams.Model.ReleaseLine;
import com.omnia.bench.kstreams.Model.StatusChange;
import com.omnia.bench.kstreams.Model.ValidationError;
import com.omnia.bench.kstreams.Model.ValidationResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The six stages of Omnia's order flow as Kafka Streams processors: validate → enrich → calculate → allocate → pay →
 * release (processors/stages/*.ts). Stages hand each other the order's state in memory, as Omnia's do; records go
 * to the sinks keyed by the order's ShipFromLocationID and stamped with the wall clock.
 */
final class Stages {
  private Stages() {}

  // Node names, as topology/topics.ts names them.
  static final String VALIDATE = "validate";
  static final String ENRICH = "enrich";
  static final String CALCULATE = "calculate";
  static final String ALLOCATE = "allocate";
  static final String PAY = "pay";
  static final String RELEASE = "release";
  static final String VALIDATION_OUT = "validation-out";
  static final String STATUS_OUT = "status-out";
  static final String PAYMENT_OUT = "payment-out";
  static final String RELEASE_OUT = "release-out";
  static final String LOW_STOCK_OUT = "low-stock-out";
  static final String DLQ_OUT = "create-dlq-out";

  // Store names, as Omnia's (so the changelogs are named alike: <application id>-<store>-changelog).
  static final String ORDERS = "orders";
  static final String INVENTORY = "inventory";
  static final String REJECTED = "rejected-orders";

  static final int OPEN = 1000;
  static final int ALLOCATED = 2000;
  static final int RELEASED = 3000;
  static final int CANCELLED = 9000;
  static final String PAID = "5000";
  static final String FAILED = "Failed";
  static final String REVERSED = "Reversed";

  /** Marks a record an operator re-drove from the DLQ: validated afresh even when its bytes were rejected once. */
  static final String REDRIVEN_FROM_HEADER = "omnia.redrive.from";

  /** What one stage hands the next: the order's state, and the input record as it arrived for a dead letter. */
  static final class Flow {
    final OrderState state;
    final Input input;

    Flow(OrderState state, Input input) {
      this.state = state;
      this.input = input;
    }
  }

  /** The `order.create.v1` record being processed, as it arrived. */
  record Input(byte[] value, Headers headers, long timestamp) {}

  /** A dead letter: the input's bytes, to the partition the input came from. */
  record DeadLetter(byte[] value, int partition) {}

  // ------------------------------------------------------------------------------------------------ helpers

  static String now(ProcessorContext<?, ?> context) {
    return Time.iso(context.currentSystemTimeMs());
  }

  static void emit(ProcessorContext<String, Object> context, String to, String key, Object value) {
    context.forward(new Record<>(key, value, context.currentSystemTimeMs()), to);
  }

  /** The original bytes, to `<source topic>.dlq` on the source partition, with why and where in headers. */
  static void deadLetter(ProcessorContext<String, Object> context, String key, Input input, String code, String message) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Headers headers = new RecordHeaders(input.headers().toArray());
    put(headers, "omnia.error.code", code);
    put(headers, "omnia.error.message", message);
    put(headers, "omnia.source.topic", source.topic());
    put(headers, "omnia.source.partition", String.valueOf(source.partition()));
    put(headers, "omnia.source.offset", String.valueOf(source.offset()));
    put(headers, "omnia.error.at", now(context));
    context.forward(new Record<>(key, (Object) new DeadLetter(input.value(), source.partition()), input.timestamp(), headers), DLQ_OUT);
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, Validation.utf8(value));
  }

  static ValidationResult validationResult(String orderId, String location, List<ValidationError> errors, String at) {
    ValidationResult result = new ValidationResult();
    result.OrderID = orderId == null ? "" : orderId;
    result.ShipFromLocationID = location == null ? "" : location;
    result.Valid = errors.isEmpty();
    result.Errors = errors;
    result.At = at;
    return result;
  }

  /** A rejection: one `order.validation.v1` record listing every error, and the input to its DLQ when asked. */
  static void reject(ProcessorContext<String, Object> context, String key, OrderCreate order, Input input,
      List<ValidationError> errors, boolean deadLetter) {
    emit(context, VALIDATION_OUT, key, validationResult(order.OrderID, order.ShipFromLocationID, errors, now(context)));
    if (deadLetter) deadLetter(context, key, input, errors.get(0).Code, Validation.describeErrors(errors));
  }

  /** Moves the order to `to`, with its history entry; gives the `order.status.v1` record. */
  static StatusChange transition(OrderState state, int to, String reason, String source, String at) {
    int from = state.Status;
    HistoryEntry entry = new HistoryEntry();
    entry.From = from;
    entry.To = to;
    entry.Reason = reason;
    entry.Source = source;
    entry.At = at;
    state.History.add(entry);
    state.Status = to;
    state.UpdatedAt = at;
    StatusChange change = new StatusChange();
    change.OrderID = state.Order.OrderID;
    change.ShipFromLocationID = state.Order.ShipFromLocationID;
    change.FromStatus = from;
    change.ToStatus = to;
    change.Reason = reason;
    change.Source = source;
    change.At = at;
    return change;
  }

  static PaymentEvent paymentEvent(OrderState state, String status, String at) {
    PaymentEvent event = new PaymentEvent();
    event.OrderID = state.Order.OrderID;
    event.ShipFromLocationID = state.Order.ShipFromLocationID;
    event.PaymentMethod = state.Order.PaymentMethod;
    event.PaymentStatus = status;
    event.Amount = state.Totals == null ? "0.0000" : state.Totals.OrderTotal;
    event.At = at;
    return event;
  }

  /**
   * Adds `sign` × units to each item's counter (`<location>|<item>`), one write per item; gives the counters that
   * ended above a known on-hand level when allocating (processors/inventory.ts).
   */
  static List<InventoryCounter> adjustAllocation(KeyValueStore<String, InventoryCounter> inventory, String location,
      List<PricedLine> lines, int sign) {
    Map<String, Integer> units = new LinkedHashMap<>();
    for (PricedLine line : lines) units.merge(line.ItemID, line.Quantity, Integer::sum);
    List<InventoryCounter> oversold = new ArrayList<>();
    for (Map.Entry<String, Integer> entry : units.entrySet()) {
      String key = location + "|" + entry.getKey();
      InventoryCounter counter = inventory.get(key);
      if (counter == null) {
        counter = new InventoryCounter();
        counter.ShipFromLocationID = location;
        counter.ItemID = entry.getKey();
        counter.OnHand = -1;
      }
      counter.Allocated = Math.max(0, counter.Allocated + (long) sign * entry.getValue());
      inventory.put(key, counter);
      if (sign > 0 && counter.OnHand != -1 && counter.Allocated > counter.OnHand) oversold.add(counter);
    }
    return oversold;
  }

  /** Cancelling before release (processors/cancel.ts): allocation given back, accepted COD reversed, status 9000. */
  static void cancelOrder(ProcessorContext<String, Object> context, KeyValueStore<String, OrderState> orders,
      KeyValueStore<String, InventoryCounter> inventory, OrderState state, String reason, String source) {
    String at = now(context);
    String location = state.Order.ShipFromLocationID;
    if (inventory != null) adjustAllocation(inventory, location, state.Lines, -1);
    if (PAID.equals(state.PaymentStatus)) {
      emit(context, PAYMENT_OUT, location, paymentEvent(state, REVERSED, at));
      state.PaymentStatus = REVERSED;
    }
    state.ReleaseDueAt = null;
    emit(context, STATUS_OUT, location, transition(state, CANCELLED, reason, source, at));
    orders.put(state.Order.OrderID, state);
  }

  // ------------------------------------------------------------------------------------------------ stage 1

  /**
   * Validate: Rules A–G, every failure at once. A byte-identical redelivery, of an accepted or a rejected record,
   * is absorbed silently; a rejected order gets one `order.validation.v1` record and its bytes go to the DLQ.
   * Accepted: status 1000.
   */
  static final class Validate implements Processor<String, byte[], String, Object> {
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, OrderState> orders;
    private KeyValueStore<String, String> rejected;
    private KeyValueStore<String, byte[]> customers;

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      orders = context.getStateStore(ORDERS);
      rejected = context.getStateStore(REJECTED);
      customers = context.getStateStore(GlobalTables.CUSTOMERS);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      Input input = new Input(record.value(), record.headers(), record.timestamp());
      String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
      JsonNode value;
      try {
        value = record.value() == null ? null : Json.MAPPER.readTree(record.value());
      } catch (IOException e) {
        deadLetter(context, record.key(), input, Validation.MALFORMED_RECORD, "cannot decode a " + topic + " record: " + e.getMessage());
        return;
      }
      if (value == null || !value.isObject()) {
        // Omnia's source serde refuses it before the stage: a dead letter only.
        deadLetter(context, record.key(), input, Validation.MALFORMED_RECORD,
            "cannot decode a " + topic + " record: a " + topic + " value must be a JSON object");
        return;
      }
      JsonNode id = value.get("OrderID");
      String orderId = id != null && id.isTextual() && !id.textValue().isEmpty() && id.textValue().length() <= 50 ? id.textValue() : null;
      String hash = Validation.payloadHash(record.value());
      OrderState previous = orderId == null ? null : orders.get(orderId);
      if (previous != null && hash.equals(previous.PayloadHash)) return;
      // A resend of a rejected record was answered once; a corrected one, or one re-driven from the DLQ, is not.
      boolean redriven = record.headers().lastHeader(REDRIVEN_FROM_HEADER) != null;
      if (previous == null && !redriven && orderId != null && hash.equals(rejected.get(orderId))) return;

      JsonNode customerId = value.get("CustomerID");
      Customer customer = Validation.isNonEmptyString(customerId)
          ? GlobalTables.get(customers, customerId.textValue(), Customer.class) : null;
      List<ValidationError> errors = Validation.validateOrder(value, customer, previous == null ? null : previous.PayloadHash, hash);
      JsonNode location = value.get("ShipFromLocationID");
      if (location != null && location.isTextual() && !location.textValue().equals(record.key())) {
        errors.add(new ValidationError("B", "SHIP_FROM_LOCATION_MISMATCH", "key",
            "the record key " + (record.key() == null ? "null" : Json.quote(record.key())) + " is not the order's ShipFromLocationID "
                + Json.quote(location.textValue()) + "; order topics are keyed by ShipFromLocationID"));
      }
      OrderCreate order = errors.isEmpty() ? accepted(value, errors) : null;
      if (order == null) {
        if (Validation.isMalformed(errors) && orderId == null) {
          List<String> messages = new ArrayList<>();
          for (ValidationError error : errors) messages.add(error.Message);
          deadLetter(context, record.key(), input, Validation.MALFORMED_RECORD, String.join("; ", messages));
        } else {
          emit(context, VALIDATION_OUT, record.key(), validationResult(id != null && id.isTextual() ? id.textValue() : "",
              location != null && location.isTextual() ? location.textValue() : "", errors, now(context)));
          deadLetter(context, record.key(), input, errors.get(0).Code, Validation.describeErrors(errors));
        }
        if (orderId != null && previous == null) rejected.put(orderId, hash);
        return;
      }
      String at = now(context);
      OrderState state = new OrderState();
      state.Order = order;
      state.Status = OPEN;
      state.PayloadHash = hash;
      HistoryEntry first = new HistoryEntry();
      first.To = OPEN;
      first.Reason = "VALIDATED";
      first.Source = "validate";
      first.At = at;
      state.History.add(first);
      state.UpdatedAt = at;
      StatusChange change = new StatusChange();
      change.OrderID = order.OrderID;
      change.ShipFromLocationID = order.ShipFromLocationID;
      change.ToStatus = OPEN;
      change.Reason = "VALIDATED";
      change.Source = "validate";
      change.At = at;
      emit(context, VALIDATION_OUT, record.key(), validationResult(order.OrderID, order.ShipFromLocationID, List.of(), at));
      emit(context, STATUS_OUT, record.key(), change);
      emit(context, ENRICH, record.key(), new Flow(state, input));
    }

    /** The value as an OrderCreate with its schema's defaults; a value the schema still refuses is MALFORMED_RECORD. */
    private static OrderCreate accepted(JsonNode value, List<ValidationError> errors) {
      OrderCreate order;
      try {
        order = Json.MAPPER.treeToValue(value, OrderCreate.class);
      } catch (IOException | IllegalArgumentException e) {
        errors.add(new ValidationError("—", Validation.MALFORMED_RECORD, "", e.getMessage()));
        return null;
      }
      if (order.Charges == null) order.Charges = new ArrayList<>();
      if (order.OrderLines == null) order.OrderLines = new ArrayList<>();
      for (OrderLine line : order.OrderLines) {
        if (line.Discounts == null) line.Discounts = new ArrayList<>();
        if (line.InformationalTaxes == null) line.InformationalTaxes = new ArrayList<>();
      }
      return order;
    }
  }

  // ------------------------------------------------------------------------------------------------ stage 2

  /** Enrich: blank descriptions and images from the catalog, the delivery address in canonical form. */
  static final class Enrich implements Processor<String, Flow, String, Object> {
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> catalog;

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      catalog = context.getStateStore(GlobalTables.CATALOG);
    }

    private static boolean blank(String value) {
      return value == null || Addresses.jsTrim(value).isEmpty();
    }

    @Override
    public void process(Record<String, Flow> record) {
      OrderCreate order = record.value().state.Order;
      for (OrderLine line : order.OrderLines) {
        if (!blank(line.ShortDescription) && !blank(line.ImageURL)) continue;
        Product product = GlobalTables.get(catalog, line.ItemID, Product.class);
        if (product == null) continue;
        if (blank(line.ShortDescription) && product.ShortDescription != null) line.ShortDescription = product.ShortDescription;
        if (blank(line.ImageURL) && product.ImageURL != null) line.ImageURL = product.ImageURL;
      }
      Addresses.normalise(order.DeliveryAddress);
      emit(context, CALCULATE, record.key(), record.value());
    }
  }

  // ------------------------------------------------------------------------------------------------ stage 3

  /**
   * Calculate: bundles and Cal A–F. An order whose discounts exceed its SubTotal cannot be priced: cancelled
   * (DISCOUNT_EXCEEDS_SUBTOTAL) with a validation record and its input in the DLQ.
   */
  static final class Calculate implements Processor<String, Flow, String, Object> {
    private final GlobalTables.BundleCache bundleCache;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, OrderState> orders;
    private KeyValueStore<String, byte[]> bundles;

    Calculate(GlobalTables.BundleCache bundleCache) {
      this.bundleCache = bundleCache;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      orders = context.getStateStore(ORDERS);
      bundles = context.getStateStore(GlobalTables.BUNDLES);
    }

    @Override
    public void process(Record<String, Flow> record) {
      OrderState state = record.value().state;
      Calculation.Priced priced = Calculation.price(state.Order, bundleCache.values(bundles));
      state.Lines = priced.lines();
      state.Totals = priced.totals();
      if (!priced.errors().isEmpty()) {
        reject(context, record.key(), state.Order, record.value().input, priced.errors(), true);
        cancelOrder(context, orders, null, state, priced.errors().get(0).Code, "calculate");
        return;
      }
      emit(context, ALLOCATE, record.key(), record.value());
    }
  }

  // ------------------------------------------------------------------------------------------------ stage 4

  /** Allocate: force allocation, one counter write per item; overselling raises a low-stock event. Status 2000. */
  static final class Allocate implements Processor<String, Flow, String, Object> {
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, InventoryCounter> inventory;

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      inventory = context.getStateStore(INVENTORY);
    }

    @Override
    public void process(Record<String, Flow> record) {
      OrderState state = record.value().state;
      String at = now(context);
      for (InventoryCounter counter : adjustAllocation(inventory, state.Order.ShipFromLocationID, state.Lines, 1)) {
        LowStockEvent event = new LowStockEvent();
        event.ShipFromLocationID = counter.ShipFromLocationID;
        event.ItemID = counter.ItemID;
        event.OnHand = counter.OnHand;
        event.Allocated = counter.Allocated;
        event.OrderID = state.Order.OrderID;
        event.At = at;
        emit(context, LOW_STOCK_OUT, record.key(), event);
      }
      emit(context, STATUS_OUT, record.key(), transition(state, ALLOCATED, "FORCE_ALLOCATED", "allocate", at));
      emit(context, PAY, record.key(), record.value());
    }
  }

  // ------------------------------------------------------------------------------------------------ stage 5

  /**
   * Pay: COD validation. Accepted: payment status 5000 and an `order.payment.v1` record. Refused: a validation
   * record, a Failed payment record, the allocation given back and the order cancelled (9000).
   */
  static final class Pay implements Processor<String, Flow, String, Object> {
    private final Cod cod;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, OrderState> orders;
    private KeyValueStore<String, InventoryCounter> inventory;
    private KeyValueStore<String, byte[]> customers;

    Pay(Cod cod) {
      this.cod = cod;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      orders = context.getStateStore(ORDERS);
      inventory = context.getStateStore(INVENTORY);
      customers = context.getStateStore(GlobalTables.CUSTOMERS);
    }

    @Override
    public void process(Record<String, Flow> record) {
      OrderState state = record.value().state;
      String customerId = state.Order.CustomerID;
      Customer customer = customerId != null && !customerId.isEmpty() ? GlobalTables.get(customers, customerId, Customer.class) : null;
      List<ValidationError> errors = cod.validate(state.Totals.OrderTotal, state.Order.DeliveryAddress.PostalCode, customer);
      if (!errors.isEmpty()) {
        reject(context, record.key(), state.Order, record.value().input, errors, false);
        if (!PAID.equals(state.PaymentStatus)) {
          state.PaymentStatus = FAILED;
          emit(context, PAYMENT_OUT, record.key(), paymentEvent(state, FAILED, now(context)));
        }
        cancelOrder(context, orders, inventory, state, errors.get(0).Code, "pay");
        return;
      }
      state.PaymentStatus = PAID;
      emit(context, PAYMENT_OUT, record.key(), paymentEvent(state, PAID, now(context)));
      emit(context, RELEASE, record.key(), record.value());
    }
  }

  // ------------------------------------------------------------------------------------------------ stage 6

  /** Release: exactly one release per order, status 3000, at once (the benchmark's hold is 0). */
  static final class ReleaseStage implements Processor<String, Flow, String, Object> {
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, OrderState> orders;

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      orders = context.getStateStore(ORDERS);
    }

    @Override
    public void process(Record<String, Flow> record) {
      OrderState state = record.value().state;
      boolean releasable = state.Status == ALLOCATED && PAID.equals(state.PaymentStatus) && state.ReleaseID == null;
      if (!releasable) {
        orders.put(state.Order.OrderID, state);
        return;
      }
      String at = now(context);
      state.ReleaseID = "REL-" + state.Order.OrderID;
      state.ReleaseDueAt = null;
      StatusChange change = transition(state, RELEASED, "RELEASED", "release", at);
      emit(context, RELEASE_OUT, record.key(), releaseOf(state, at));
      emit(context, STATUS_OUT, record.key(), change);
      orders.put(state.Order.OrderID, state);
    }

    static Release releaseOf(OrderState state, String at) {
      Release release = new Release();
      release.ReleaseID = state.ReleaseID;
      release.OrderID = state.Order.OrderID;
      release.ShipFromLocationID = state.Order.ShipFromLocationID;
      for (PricedLine line : state.Lines) {
        ReleaseLine out = new ReleaseLine();
        out.LineID = line.LineID;
        out.ItemID = line.ItemID;
        out.Quantity = line.Quantity;
        out.UnitPrice = line.UnitPrice;
        out.LineDiscount = line.LineDiscount;
        out.LineTax = line.LineTax;
        out.BundleGroupID = line.BundleGroupID;
        out.ShortDescription = line.ShortDescription;
        out.ImageURL = line.ImageURL;
        release.ReleaseLines.add(out);
      }
      release.SubTotal = state.Totals.SubTotal;
      release.TotalDiscount = state.Totals.TotalDiscount;
      release.TotalTaxes = state.Totals.TotalTaxes;
      release.InformationalTaxes = state.Totals.InformationalTaxes;
      release.TotalCharges = state.Totals.TotalCharges;
      release.OrderTotal = state.Totals.OrderTotal;
      release.PaymentMethod = state.Order.PaymentMethod;
      release.CodAmount = state.Totals.OrderTotal;
      release.T1MembershipID = state.Order.T1MembershipID;
      release.At = at;
      return release;
    }
  }
}
