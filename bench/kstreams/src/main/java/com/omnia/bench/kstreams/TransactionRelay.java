package com.omnia.bench.kstreams;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java client's side of bench/transaction-floor.ts: the same relay without business logic (six outputs on five
 * topics and three changelog writes per record, on the record's partition, one transaction per poll, the loop
 * waiting for it), so the floor of the Node client can be told from the broker's. Against a 4.x broker whose
 * transaction.version is 2 the client uses transactions v2 (KIP-890): no AddPartitionsToTxn round trip.
 *
 * Environment: KAFKA_BROKERS, PREFIX (the topics are PREFIX.in, PREFIX.validation …), PARTITIONS, RETRY_BACKOFF_MS
 * (the producer's retry.backoff.ms, default 100 as the client's). Prints one line,
 * "RUNNING transaction.version=N", once every partition is assigned; SIGTERM stops it.
 */
public final class TransactionRelay {
  private static final String[] OUTPUTS = {"validation", "status", "status", "status", "payment", "release"};
  private static final String[] CHANGELOGS = {"orders-changelog", "inventory-changelog", "customers-changelog"};

  private TransactionRelay() {}

  public static void main(String[] args) throws Exception {
    String brokers = System.getenv().getOrDefault("KAFKA_BROKERS", "127.0.0.1:9092");
    String prefix = System.getenv("PREFIX");
    int partitions = Integer.parseInt(System.getenv().getOrDefault("PARTITIONS", "8"));
    short transactionVersion;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", brokers))) {
      FinalizedVersionRange range = admin.describeFeatures().featureMetadata().get().finalizedFeatures().get("transaction.version");
      transactionVersion = range == null ? 0 : range.maxVersionLevel();
    }

    Properties consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "-relay");
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "-java");
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    // RETRY_BACKOFF_MS: how soon a Produce refused while the previous transaction completes is sent again.
    producerProps.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, System.getenv().getOrDefault("RETRY_BACKOFF_MS", "100"));

    byte[] outputValue = new byte[300];
    byte[] storeValue = new byte[500];
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        main.join(10_000);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }));
    producer.initTransactions();
    boolean[] announced = {false};
    consumer.subscribe(List.of(prefix + ".in"), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> revoked) {}

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        if (!announced[0] && consumer.assignment().size() == partitions) {
          announced[0] = true;
          System.out.println("RUNNING transaction.version=" + transactionVersion);
          System.out.flush();
        }
      }
    });
    try {
      while (true) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          for (String topic : OUTPUTS) {
            producer.send(new ProducerRecord<>(prefix + "." + topic, record.partition(), record.timestamp(), record.key(), outputValue));
          }
          for (String topic : CHANGELOGS) {
            producer.send(new ProducerRecord<>(prefix + "." + topic, record.partition(), record.timestamp(), record.key(), storeValue));
          }
          offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
      }
    } catch (WakeupException stopping) {
      // SIGTERM: the open transaction, if any, is aborted by close.
    } finally {
      producer.close(Duration.ofSeconds(5));
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
