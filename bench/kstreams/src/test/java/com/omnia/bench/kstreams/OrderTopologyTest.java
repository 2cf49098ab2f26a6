package com.omnia.bench.kstreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The topology in TopologyTestDriver: a valid COD order with a bundle, an invalid one, a refused COD and a resend. */
class OrderTopologyTest {
  private static final String PREFIX = "t.";
  private static final Instant START = Instant.parse("2026-11-21T09:15:00Z");

  private TopologyTestDriver driver;
  private Path stateDir;
  private TestInputTopic<String, String> orders;
  private TestOutputTopic<String, String> validation;
  private TestOutputTopic<String, String> status;
  private TestOutputTopic<String, String> payment;
  private TestOutputTopic<String, String> release;
  private TestOutputTopic<String, byte[]> dlq;

  @BeforeEach
  void start() throws Exception {
    stateDir = Files.createTempDirectory("omnia-kstreams-test");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "omnia-kstreams-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(OrderTopology.build(PREFIX, Cod.defaults()), props, START);
    var keys = Serdes.String().serializer();
    var strings = Serdes.String().serializer();
    var catalog = driver.createInputTopic(PREFIX + OrderTopology.CATALOG, keys, strings);
    var customers = driver.createInputTopic(PREFIX + OrderTopology.CUSTOMERS, keys, strings);
    var bundles = driver.createInputTopic(PREFIX + OrderTopology.BUNDLES, keys, strings);
    catalog.pipeInput("SKU-100", product("SKU-100", "Iced coffee 250 ml", "35.5000"));
    catalog.pipeInput("SKU-101", product("SKU-101", "Butter croissant", "29.0000"));
    catalog.pipeInput("SKU-102", product("SKU-102", "Drinking water 600 ml", "7.0000"));
    customers.pipeInput("C-1001", "{\"CustomerID\":\"C-1001\",\"Name\":\"Customer 1\",\"Phone\":\"0810000001\",\"CodEligible\":true,\"CodLimit\":\"3000.0000\"}");
    customers.pipeInput("C-1025", "{\"CustomerID\":\"C-1025\",\"Name\":\"Customer 25\",\"Phone\":null,\"CodEligible\":false,\"CodLimit\":\"3000.0000\"}");
    bundles.pipeInput("B-BREAKFAST", "{\"BundleID\":\"B-BREAKFAST\",\"Components\":[{\"ItemID\":\"SKU-100\",\"Quantity\":1},"
        + "{\"ItemID\":\"SKU-101\",\"Quantity\":1}],\"Pricing\":{\"Type\":\"FIXED\",\"Price\":\"55.0000\",\"Percent\":null,\"Amount\":null},"
        + "\"ActiveFrom\":null,\"ActiveTo\":null,\"Locations\":[],\"Priority\":10}");
    orders = driver.createInputTopic(PREFIX + OrderTopology.ORDER_CREATE, keys, strings);
    var keysIn = Serdes.String().deserializer();
    var stringsIn = Serdes.String().deserializer();
    validation = driver.createOutputTopic(PREFIX + OrderTopology.VALIDATION, keysIn, stringsIn);
    status = driver.createOutputTopic(PREFIX + OrderTopology.STATUS, keysIn, stringsIn);
    payment = driver.createOutputTopic(PREFIX + OrderTopology.PAYMENT, keysIn, stringsIn);
    release = driver.createOutputTopic(PREFIX + OrderTopology.RELEASE, keysIn, stringsIn);
    dlq = driver.createOutputTopic(PREFIX + OrderTopology.ORDER_CREATE + ".dlq", keysIn, Serdes.ByteArray().deserializer());
  }

  @AfterEach
  void stop() throws Exception {
    driver.close();
    try (var paths = Files.walk(stateDir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  private static String product(String id, String description, String price) {
    return "{\"ItemID\":\"" + id + "\",\"ShortDescription\":\"" + description + "\",\"ImageURL\":\"https://img.omnia.example/" + id
        + ".png\",\"UnitPrice\":\"" + price + "\",\"TaxRate\":\"0.0700\"}";
  }

  private static String line(String lineId, String item, int quantity, String price, String discounts) {
    return "{\"LineID\":\"" + lineId + "\",\"ItemID\":\"" + item + "\",\"ShipFromLocationID\":\"QC0001\",\"Quantity\":" + quantity
        + ",\"UnitPrice\":\"" + price + "\",\"TaxRate\":\"0.0700\",\"ShortDescription\":null,\"ImageURL\":null,\"Discounts\":" + discounts
        + ",\"InformationalTaxes\":[],\"BundleID\":null}";
  }

  private static String order(String orderId, String customerId, boolean force, String... lines) {
    return "{\"OrderID\":\"" + orderId + "\",\"ShipFromLocationID\":\"QC0001\",\"IsForceAllocation\":" + force
        + ",\"T1MembershipID\":\"1000000000000001\",\"T1Number\":null,\"CustRef\":\"SLK-1\",\"CustomerID\":\"" + customerId
        + "\",\"Currency\":\"THB\",\"PaymentMethod\":\"COD\",\"CreatedAt\":\"2026-11-21T09:14:00.000Z\","
        + "\"DeliveryAddress\":{\"Line1\":\" 12  Sukhumvit Rd \",\"District\":\"Khlong Toei\",\"Province\":\"Bangkok\","
        + "\"PostalCode\":\"10 110\",\"Phone\":\"+66 81 234 5678\"},\"Charges\":[{\"Type\":\"DeliveryFee\",\"Amount\":\"20.0000\"}],"
        + "\"OrderLines\":[" + String.join(",", lines) + "]}";
  }

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  private static List<Integer> toStatuses(List<TestRecord<String, String>> records) throws Exception {
    List<Integer> out = new java.util.ArrayList<>();
    for (TestRecord<String, String> r : records) out.add(json(r.value()).get("ToStatus").asInt());
    return out;
  }

  @Test
  void validCodOrderWithBundleIsPricedAllocatedPaidAndReleased() throws Exception {
    String value = order("QC0001-00000001", "C-1001", true,
        line("1", "SKU-100", 1, "35.5000", "[]"), line("2", "SKU-101", 1, "29.0000", "[]"),
        line("3", "SKU-102", 2, "7.0000", "[{\"Type\":\"Promo\",\"Amount\":\"2.0000\"}]"));
    orders.pipeInput("QC0001", value);

    List<TestRecord<String, String>> releases = release.readRecordsToList();
    assertEquals(1, releases.size());
    assertEquals("QC0001", releases.get(0).key());
    JsonNode r = json(releases.get(0).value());
    assertEquals("REL-QC0001-00000001", r.get("ReleaseID").asText());
    assertEquals("QC0001-00000001", r.get("OrderID").asText());
    // Breakfast bundle: list 64.5000, price 55.0000, discount 9.5000 prorated 35.5 : 29 → 5.2287 + 4.2713.
    JsonNode lines = r.get("ReleaseLines");
    assertEquals("5.2287", lines.get(0).get("LineDiscount").asText());
    assertEquals("4.2713", lines.get(1).get("LineDiscount").asText());
    assertEquals("2.0000", lines.get(2).get("LineDiscount").asText());
    assertEquals("2.1190", lines.get(0).get("LineTax").asText());
    assertEquals("1.7310", lines.get(1).get("LineTax").asText());
    assertEquals("0.8400", lines.get(2).get("LineTax").asText());
    assertEquals("B-BREAKFAST#1", lines.get(0).get("BundleGroupID").asText());
    assertEquals("B-BREAKFAST#1", lines.get(1).get("BundleGroupID").asText());
    assertTrue(lines.get(2).get("BundleGroupID").isNull());
    assertEquals("Iced coffee 250 ml", lines.get(0).get("ShortDescription").asText());
    assertEquals("78.5000", r.get("SubTotal").asText());
    assertEquals("11.5000", r.get("TotalDiscount").asText());
    assertEquals("4.6900", r.get("TotalTaxes").asText());
    assertEquals("20.0000", r.get("TotalCharges").asText());
    assertEquals("91.6900", r.get("OrderTotal").asText());
    assertEquals("91.6900", r.get("CodAmount").asText());
    assertEquals("2026-11-21T09:15:00.000Z", r.get("At").asText());

    assertEquals(List.of(1000, 2000, 3000), toStatuses(status.readRecordsToList()));
    List<TestRecord<String, String>> paid = payment.readRecordsToList();
    assertEquals(1, paid.size());
    assertEquals("5000", json(paid.get(0).value()).get("PaymentStatus").asText());
    assertEquals("91.6900", json(paid.get(0).value()).get("Amount").asText());
    List<TestRecord<String, String>> validated = validation.readRecordsToList();
    assertEquals(1, validated.size());
    assertTrue(json(validated.get(0).value()).get("Valid").asBoolean());
    assertTrue(dlq.isEmpty());

    var stored = driver.<String, Model.OrderState>getKeyValueStore(Stages.ORDERS).get("QC0001-00000001");
    assertEquals(3000, stored.Status);
    assertEquals("10110", stored.Order.DeliveryAddress.PostalCode);
    assertEquals("0812345678", stored.Order.DeliveryAddress.Phone);
    assertEquals("12 Sukhumvit Rd", stored.Order.DeliveryAddress.Line1);
    var counter = driver.<String, Model.InventoryCounter>getKeyValueStore(Stages.INVENTORY).get("QC0001|SKU-102");
    assertEquals(2, counter.Allocated);

    // A byte-identical resend is absorbed: nothing more is written.
    orders.pipeInput("QC0001", value);
    assertTrue(release.isEmpty());
    assertTrue(status.isEmpty());
    assertTrue(validation.isEmpty());
  }

  @Test
  void invalidOrderIsRejectedAndDeadLetteredWithoutStatusOrRelease() throws Exception {
    String value = order("QC0001-00000002", "C-1001", false, line("1", "SKU-100", 1, "35.5000", "[]"));
    orders.pipeInput("QC0001", value);

    List<TestRecord<String, String>> validated = validation.readRecordsToList();
    assertEquals(1, validated.size());
    JsonNode v = json(validated.get(0).value());
    assertFalse(v.get("Valid").asBoolean());
    assertEquals("C", v.get("Errors").get(0).get("Rule").asText());
    assertEquals("FORCE_ALLOCATION_REQUIRED", v.get("Errors").get(0).get("Code").asText());
    assertEquals("IsForceAllocation must be true, got false", v.get("Errors").get(0).get("Message").asText());
    var dead = dlq.readRecordsToList();
    assertEquals(1, dead.size());
    assertEquals(value, new String(dead.get(0).value(), StandardCharsets.UTF_8));
    assertEquals("FORCE_ALLOCATION_REQUIRED", new String(dead.get(0).headers().lastHeader("omnia.error.code").value(), StandardCharsets.UTF_8));
    assertNotNull(dead.get(0).headers().lastHeader("omnia.source.offset"));
    assertTrue(status.isEmpty());
    assertTrue(payment.isEmpty());
    assertTrue(release.isEmpty());

    // Its resend was answered once already.
    orders.pipeInput("QC0001", value);
    assertTrue(validation.isEmpty());
    assertTrue(dlq.isEmpty());
  }

  @Test
  void refusedCodCancelsTheOrderAndGivesItsAllocationBack() throws Exception {
    orders.pipeInput("QC0001", order("QC0001-00000003", "C-1025", true, line("1", "SKU-100", 2, "35.5000", "[]")));

    assertEquals(List.of(1000, 2000, 9000), toStatuses(status.readRecordsToList()));
    List<TestRecord<String, String>> validated = validation.readRecordsToList();
    assertEquals(2, validated.size());
    JsonNode refused = json(validated.get(1).value());
    assertFalse(refused.get("Valid").asBoolean());
    assertEquals("COD_CUSTOMER_INELIGIBLE", refused.get("Errors").get(0).get("Code").asText());
    List<TestRecord<String, String>> payments = payment.readRecordsToList();
    assertEquals(1, payments.size());
    assertEquals("Failed", json(payments.get(0).value()).get("PaymentStatus").asText());
    assertTrue(release.isEmpty());
    assertTrue(dlq.isEmpty());
    assertEquals(0, driver.<String, Model.InventoryCounter>getKeyValueStore(Stages.INVENTORY).get("QC0001|SKU-100").Allocated);
    assertEquals(9000, driver.<String, Model.OrderState>getKeyValueStore(Stages.ORDERS).get("QC0001-00000003").Status);
  }
}
