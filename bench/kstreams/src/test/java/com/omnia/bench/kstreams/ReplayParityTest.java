package com.omnia.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Same inputs, same outputs: pipes the input lines of an `omnia replay` run through this topology with the same
 * clock (each record's timestamp, else its CreatedAt) and compares every record on the order topics with what
 * `omnia replay` wrote, topic by topic, in order, all but the wall-clock readings and a JSON parser's wording. Runs only when given both files:
 *   mvn -f bench/kstreams/pom.xml test -Dtest=ReplayParityTest -Dparity.input=IN.jsonl -Dparity.expected=OUT.jsonl
 * The input's values should be JSON text (strings), so both sides hash and dead-letter the same bytes.
 */
class ReplayParityTest {
  @Test
  void sameOutputsAsOmniaReplay() throws Exception {
    String input = System.getProperty("parity.input", "");
    String expected = System.getProperty("parity.expected", "");
    Assumptions.assumeTrue(!input.isBlank() && !expected.isBlank(), "no parity files given");

    Path stateDir = Files.createTempDirectory("omnia-kstreams-parity");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "omnia-kstreams-parity");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    Map<String, List<JsonNode>> actual = new LinkedHashMap<>();
    try (TopologyTestDriver driver = new TopologyTestDriver(OrderTopology.build("", Cod.defaults()), props, Instant.EPOCH)) {
      Map<String, TestInputTopic<String, byte[]>> topics = new LinkedHashMap<>();
      long now = 0;
      for (String text : Files.readAllLines(Path.of(input))) {
        if (text.isBlank()) continue;
        JsonNode line = Json.MAPPER.readTree(text);
        JsonNode value = line.get("value");
        String valueText = value.isTextual() ? value.textValue() : Json.MAPPER.writeValueAsString(value);
        Long time = null;
        if (line.hasNonNull("timestamp")) {
          time = line.get("timestamp").isNumber() ? line.get("timestamp").asLong() : Time.parse(line.get("timestamp").asText());
        } else if (!value.isTextual() && value.hasNonNull("CreatedAt")) {
          time = Time.parse(value.get("CreatedAt").asText());
        } else if (value.isTextual()) {
          JsonNode parsed = Json.MAPPER.readTree(valueText);
          if (parsed != null && parsed.isObject() && parsed.hasNonNull("CreatedAt")) time = Time.parse(parsed.get("CreatedAt").asText());
        }
        if (time == null) time = now;
        if (time > now) {
          driver.advanceWallClockTime(Duration.ofMillis(time - now));
          now = time;
        }
        String topic = line.get("topic").asText();
        TestInputTopic<String, byte[]> in = topics.computeIfAbsent(topic,
            t -> driver.createInputTopic(t, Serdes.String().serializer(), Serdes.ByteArray().serializer()));
        String key = line.hasNonNull("key") ? line.get("key").asText() : null;
        in.pipeInput(key, valueText.getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(time));
      }
      for (String topic : OrderTopology.OUTPUT_TOPICS) {
        var out = driver.createOutputTopic(topic, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        List<JsonNode> records = new ArrayList<>();
        for (var record : out.readRecordsToList()) records.add(view(topic, record.key(), record.value(), record.headers().toArray()));
        actual.put(topic, records);
      }
    } finally {
      try (var paths = Files.walk(stateDir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }

    Map<String, List<JsonNode>> wanted = new LinkedHashMap<>();
    for (String topic : OrderTopology.OUTPUT_TOPICS) wanted.put(topic, new ArrayList<>());
    for (String text : Files.readAllLines(Path.of(expected))) {
      if (text.isBlank()) continue;
      JsonNode line = Json.MAPPER.readTree(text);
      List<JsonNode> list = wanted.get(line.get("topic").asText());
      if (list != null) list.add(line);
    }
    int compared = 0;
    List<String> differences = new ArrayList<>();
    for (String topic : OrderTopology.OUTPUT_TOPICS) {
      List<JsonNode> want = wanted.get(topic);
      List<JsonNode> got = actual.get(topic);
      if (want.size() != got.size()) differences.add(topic + ": " + want.size() + " records expected, " + got.size() + " written");
      for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
        String w = withoutClock(want.get(i));
        String g = withoutClock(got.get(i));
        if (!w.equals(g)) differences.add(topic + " record " + i + "\n  omnia:     " + w + "\n  kstreams:  " + g);
        compared++;
      }
    }
    System.out.println("parity: " + compared + " output records compared, " + differences.size() + " differ");
    differences.stream().limit(10).forEach(System.out::println);
    assertEquals(0, differences.size(), "records that differ from omnia replay");
  }

  /**
   * The record without its wall-clock readings (`At`, `omnia.error.at`): `omnia replay` reads its driver's clock
   * at other moments than TopologyTestDriver does, and the comparison is about decisions and money.
   */
  private static String withoutClock(JsonNode line) {
    ObjectNode copy = line.deepCopy();
    if (copy.get("value") instanceof ObjectNode value) value.remove("At");
    if (copy.get("headers") instanceof ObjectNode headers) {
      headers.remove("omnia.error.at");
      // Undecodable bytes: the parser's own words follow the colon, and the two parsers word it differently.
      JsonNode message = headers.get("omnia.error.message");
      if (message != null && message.asText().startsWith("cannot decode a ")) {
        headers.put("omnia.error.message", message.asText().substring(0, message.asText().indexOf(':')));
      }
    }
    return copy.toString();
  }

  /** A record as `omnia replay` prints it: {topic, key, value (JSON, or text), headers?}. */
  private static JsonNode view(String topic, String key, byte[] value, Header[] headers) throws Exception {
    ObjectNode line = Json.MAPPER.createObjectNode();
    line.put("topic", topic);
    if (key == null) line.putNull("key");
    else line.put("key", key);
    String text = new String(value, StandardCharsets.UTF_8);
    try {
      line.set("value", Json.MAPPER.readTree(text));
    } catch (Exception e) {
      line.put("value", text);
    }
    if (headers.length > 0) {
      ObjectNode h = line.putObject("headers");
      for (Header header : headers) h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
    }
    return line;
  }
}
