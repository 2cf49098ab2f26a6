package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.InventoryCounter;
import com.omnia.bench.kstreams.Model.OrderState;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;

/**
 * The order topology of topology/order-topology.ts, for the stages an order passes from creation to release:
 * reference data as global stores, one source (`order.create.v1`, keyed by ShipFromLocationID), the six stages
 * chained in memory, three logged RocksDB stores, and the sinks Omnia writes for these stages.
 */
final class OrderTopology {
  private OrderTopology() {}

  static final String ORDER_CREATE = "order.create.v1";
  static final String CATALOG = "catalog.product.v1";
  static final String CUSTOMERS = "customer.profile.v1";
  static final String BUNDLES = "bundle.definition.v1";
  static final String VALIDATION = "order.validation.v1";
  static final String STATUS = "order.status.v1";
  static final String PAYMENT = "order.payment.v1";
  static final String RELEASE = "order.release.v1";
  static final String LOW_STOCK = "inventory.low-stock.v1";
  static final String DLQ_SUFFIX = ".dlq";

  /** The topics the application writes, without prefix: Omnia creates these itself at start, and so does Main. */
  static final List<String> OUTPUT_TOPICS = List.of(VALIDATION, STATUS, PAYMENT, RELEASE, LOW_STOCK, ORDER_CREATE + DLQ_SUFFIX);

  /** A dead letter goes to the partition its input came from, whatever its key. */
  static final class SourcePartition implements StreamPartitioner<String, Object> {
    public Integer partition(String topic, String key, Object value, int numPartitions) {
      return ((Stages.DeadLetter) value).partition() % numPartitions;
    }

    public Optional<Set<Integer>> partitions(String topic, String key, Object value, int numPartitions) {
      return Optional.of(Set.of(partition(topic, key, value, numPartitions)));
    }
  }

  static Topology build(String prefix, Cod cod) {
    Deserializer<String> keys = Serdes.String().deserializer();
    Deserializer<byte[]> bytes = Serdes.ByteArray().deserializer();
    Serializer<String> keyOut = Serdes.String().serializer();
    GlobalTables.BundleCache bundleCache = new GlobalTables.BundleCache();
    Topology topology = new Topology();

    topology.addGlobalStore(GlobalTables.store(GlobalTables.CATALOG), "catalog-in", keys, bytes, prefix + CATALOG,
        "catalog-update", () -> new GlobalTables.Updater(GlobalTables.CATALOG, () -> {}));
    topology.addGlobalStore(GlobalTables.store(GlobalTables.CUSTOMERS), "customers-in", keys, bytes, prefix + CUSTOMERS,
        "customers-update", () -> new GlobalTables.Updater(GlobalTables.CUSTOMERS, () -> {}));
    topology.addGlobalStore(GlobalTables.store(GlobalTables.BUNDLES), "bundles-in", keys, bytes, prefix + BUNDLES,
        "bundles-update", () -> new GlobalTables.Updater(GlobalTables.BUNDLES, bundleCache::invalidate));

    topology.addSource("create-in", keys, bytes, prefix + ORDER_CREATE);
    topology.addProcessor(Stages.VALIDATE, Stages.Validate::new, "create-in");
    topology.addProcessor(Stages.ENRICH, Stages.Enrich::new, Stages.VALIDATE);
    topology.addProcessor(Stages.CALCULATE, () -> new Stages.Calculate(bundleCache), Stages.ENRICH);
    topology.addProcessor(Stages.ALLOCATE, Stages.Allocate::new, Stages.CALCULATE);
    topology.addProcessor(Stages.PAY, () -> new Stages.Pay(cod), Stages.ALLOCATE);
    topology.addProcessor(Stages.RELEASE, Stages.ReleaseStage::new, Stages.PAY);

    // Logged (changelog) RocksDB stores; the cache keeps the last write per key until commit, as Omnia's
    // transaction buffer does, so each commit logs one record per key written.
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Stages.ORDERS), Serdes.String(),
        Json.serde(OrderState.class)).withCachingEnabled(), Stages.VALIDATE, Stages.CALCULATE, Stages.PAY, Stages.RELEASE);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Stages.INVENTORY), Serdes.String(),
        Json.serde(InventoryCounter.class)).withCachingEnabled(), Stages.ALLOCATE, Stages.PAY);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Stages.REJECTED), Serdes.String(),
        Serdes.String()).withCachingEnabled(), Stages.VALIDATE);

    topology.addSink(Stages.VALIDATION_OUT, prefix + VALIDATION, keyOut, Json.ANY_SERIALIZER,
        Stages.VALIDATE, Stages.CALCULATE, Stages.PAY);
    topology.addSink(Stages.STATUS_OUT, prefix + STATUS, keyOut, Json.ANY_SERIALIZER,
        Stages.VALIDATE, Stages.CALCULATE, Stages.ALLOCATE, Stages.PAY, Stages.RELEASE);
    topology.addSink(Stages.PAYMENT_OUT, prefix + PAYMENT, keyOut, Json.ANY_SERIALIZER, Stages.CALCULATE, Stages.PAY);
    topology.addSink(Stages.RELEASE_OUT, prefix + RELEASE, keyOut, Json.ANY_SERIALIZER, Stages.RELEASE);
    topology.addSink(Stages.LOW_STOCK_OUT, prefix + LOW_STOCK, keyOut, Json.ANY_SERIALIZER, Stages.ALLOCATE);
    Serializer<Object> deadLetterBytes = (topic, value) -> ((Stages.DeadLetter) value).value();
    topology.addSink(Stages.DLQ_OUT, prefix + ORDER_CREATE + DLQ_SUFFIX, keyOut, deadLetterBytes, new SourcePartition(),
        Stages.VALIDATE, Stages.CALCULATE);
    return topology;
  }
}
