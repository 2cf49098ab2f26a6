package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.BundleComponent;
import com.omnia.bench.kstreams.Model.BundleDefinition;
import com.omnia.bench.kstreams.Model.Customer;
import com.omnia.bench.kstreams.Model.Product;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The reference data (catalog, customers, bundles) as global stores, like Omnia's global tables: every instance
 * holds the whole compacted topic as value bytes, a value that does not decode is skipped rather than stored, and
 * every lookup decodes the bytes it finds.
 */
final class GlobalTables {
  private GlobalTables() {}

  static final String CATALOG = "catalog";
  static final String CUSTOMERS = "customers";
  static final String BUNDLES = "bundles";

  /** The topic is the store's changelog, so the store keeps none of its own. */
  static StoreBuilder<KeyValueStore<String, byte[]>> store(String name) {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
  }

  static Class<?> typeOf(String table) {
    return switch (table) {
      case CATALOG -> Product.class;
      case CUSTOMERS -> Customer.class;
      default -> BundleDefinition.class;
    };
  }

  private static final Set<String> PRICING_TYPES = Set.of("FIXED", "PERCENT_OFF", "AMOUNT_OFF");

  /** The value decoded with its schema's required fields present, or null when it does not decode. */
  static <T> T decode(byte[] bytes, Class<T> type) {
    T value;
    try {
      value = Json.read(bytes, type);
    } catch (RuntimeException e) {
      return null;
    }
    boolean complete;
    if (value instanceof Product p) {
      complete = p.ItemID != null && p.UnitPrice != null && p.TaxRate != null;
    } else if (value instanceof Customer c) {
      complete = c.CustomerID != null && c.Name != null && c.CodEligible != null;
    } else if (value instanceof BundleDefinition b) {
      complete = b.BundleID != null && b.Components != null && b.Pricing != null && PRICING_TYPES.contains(b.Pricing.Type);
      if (complete) for (BundleComponent c : b.Components) complete &= c != null && c.ItemID != null && c.Quantity != null;
      if (b.Locations == null) b.Locations = new ArrayList<>();
    } else {
      complete = value != null;
    }
    return complete ? value : null;
  }

  static <T> T get(ReadOnlyKeyValueStore<String, byte[]> store, String key, Class<T> type) {
    byte[] bytes = store.get(key);
    return bytes == null ? null : decode(bytes, type);
  }

  /** Applies the table's topic to its store; `onChange` runs after every change. */
  static final class Updater implements Processor<String, byte[], Void, Void> {
    private final String table;
    private final Runnable onChange;
    private KeyValueStore<String, byte[]> store;

    Updater(String table, Runnable onChange) {
      this.table = table;
      this.onChange = onChange;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(table);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      if (record.key() == null) return;
      if (record.value() == null) store.delete(record.key());
      else if (decode(record.value(), typeOf(table)) != null) store.put(record.key(), record.value());
      else return;
      onChange.run();
    }
  }

  /**
   * Every bundle definition, read once and kept until the table next changes (Omnia's `GlobalStore.values()`):
   * the calculate stage consults the whole table on every order, where a scan per order would dominate.
   */
  static final class BundleCache {
    private record Snapshot(long version, List<BundleDefinition> values) {}

    private final AtomicLong version = new AtomicLong();
    private volatile Snapshot snapshot;

    void invalidate() {
      version.incrementAndGet();
    }

    List<BundleDefinition> values(ReadOnlyKeyValueStore<String, byte[]> store) {
      long current = version.get();
      Snapshot cached = snapshot;
      if (cached != null && cached.version() == current) return cached.values();
      List<BundleDefinition> values = new ArrayList<>();
      try (KeyValueIterator<String, byte[]> all = store.all()) {
        while (all.hasNext()) {
          KeyValue<String, byte[]> entry = all.next();
          BundleDefinition definition = decode(entry.value, BundleDefinition.class);
          if (definition != null) values.add(definition);
        }
      }
      List<BundleDefinition> frozen = List.copyOf(values);
      snapshot = new Snapshot(current, frozen);
      return frozen;
    }
  }
}
