package com.omnia.bench.kstreams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * Runs the order topology on Kafka Streams, configured by environment variables (see README.md). Prints one line,
 * RUNNING, when the application first reaches RUNNING; on SIGTERM closes, leaves the group and exits 0.
 */
public final class Main {
  private Main() {}

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  private static int positiveInt(String name, int fallback) {
    String raw = env(name, null);
    if (raw == null) return fallback;
    try {
      int value = Integer.parseInt(raw.trim());
      if (value > 0) return value;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(name + " must be a whole number > 0, got \"" + raw + "\"");
  }

  public static void main(String[] args) throws Exception {
    String brokers = env("KAFKA_BROKERS", "127.0.0.1:9092");
    String applicationId = env("APPLICATION_ID", "omnia-kstreams");
    String prefix = env("TOPIC_PREFIX", "");
    String stateDir = env("STATE_DIR", System.getProperty("java.io.tmpdir") + "/omnia-kstreams");
    int commitIntervalMs = positiveInt("COMMIT_INTERVAL_MS", 100);
    int threads = positiveInt("NUM_STREAM_THREADS", 1);
    // The release hold of Omnia is not mirrored: the benchmark runs both with none.
    String hold = env("OMNIA_RELEASE_HOLD_SECONDS", "0").trim();
    if (!hold.equals("0")) throw new IllegalArgumentException("OMNIA_RELEASE_HOLD_SECONDS must be 0 here (releases are immediate), got " + hold);
    List<String> area = new ArrayList<>();
    for (String prefixPart : env("OMNIA_COD_SERVICE_AREA", "").split(",")) if (!prefixPart.trim().isEmpty()) area.add(prefixPart.trim());
    Cod cod = new Cod(env("OMNIA_COD_MIN", "1.0000"), env("OMNIA_COD_MAX", "5000.0000"), area);

    createOutputTopics(brokers, prefix);

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    // Kafka Streams keeps its members in the group on close by default; a stopped instance should leave, so a
    // restarted or second one gets the partitions at once rather than after the session timeout.
    props.put(StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close"), true);
    // Under transactions v2 a Produce sent while the previous transaction completes is refused and sent again
    // after the producer's retry.backoff.ms (100 ms by default): PRODUCER_RETRY_BACKOFF_MS shortens that wait.
    String retryBackoff = env("PRODUCER_RETRY_BACKOFF_MS", null);
    if (retryBackoff != null) props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), positiveInt("PRODUCER_RETRY_BACKOFF_MS", 100));

    KafkaStreams streams = new KafkaStreams(OrderTopology.build(prefix, cod), props);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean announced = new AtomicBoolean();
    AtomicBoolean failed = new AtomicBoolean();
    streams.setStateListener((next, previous) -> {
      if (next == KafkaStreams.State.RUNNING && announced.compareAndSet(false, true)) {
        System.out.println("RUNNING");
        System.out.flush();
      }
      if (next == KafkaStreams.State.ERROR) failed.set(true);
      if (next == KafkaStreams.State.ERROR || next == KafkaStreams.State.NOT_RUNNING) stopped.countDown();
    });
    streams.setUncaughtExceptionHandler(error -> {
      System.err.println("omnia-kstreams: stream thread failed: " + error);
      error.printStackTrace(System.err);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      boolean closed = streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
      stopped.countDown();
      System.out.flush();
      System.err.flush();
      // A clean stop on SIGTERM exits 0 (the JVM would report 143), an unclean one 1.
      Runtime.getRuntime().halt(closed && !failed.get() ? 0 : 1);
    }, "omnia-kstreams-shutdown"));

    streams.start();
    stopped.await();
    if (failed.get()) {
      streams.close(Duration.ofSeconds(30));
      System.exit(1);
    }
  }

  /**
   * Omnia creates the topics it writes (sinks and the DLQ) at start with the source's partition count; Kafka
   * Streams does not, so this does the same before it starts.
   */
  private static void createOutputTopics(String brokers, String prefix) throws InterruptedException, ExecutionException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
      String source = prefix + OrderTopology.ORDER_CREATE;
      Map<String, TopicDescription> described;
      try {
        described = admin.describeTopics(Set.of(source)).allTopicNames().get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("source topic " + source + " does not exist (create it before starting): " + e.getCause());
      }
      int partitions = described.get(source).partitions().size();
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      for (String topic : OrderTopology.OUTPUT_TOPICS) {
        if (!existing.contains(prefix + topic)) missing.add(new NewTopic(prefix + topic, Optional.of(partitions), Optional.empty()));
      }
      if (missing.isEmpty()) return;
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> created : admin.createTopics(missing).values().entrySet()) {
        try {
          created.getValue().get();
        } catch (ExecutionException e) {
          // Another instance of the application created it first.
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
      }
    }
  }
}
