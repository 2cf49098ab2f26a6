package com.omnia.bench.kstreams;

import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** Jackson set up for the PascalCase public fields of {@link Model}, serdes over it, and JavaScript's views of values. */
final class Json {
  private Json() {}

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .visibility(PropertyAccessor.ALL, Visibility.NONE)
      .visibility(PropertyAccessor.FIELD, Visibility.PUBLIC_ONLY)
      .visibility(PropertyAccessor.CREATOR, Visibility.ANY)
      // Undeclared fields are dropped, as Omnia's schema-driven decoder does.
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new SerializationException("cannot decode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Any record as JSON: the sinks take every record type the stages emit. */
  static final Serializer<Object> ANY_SERIALIZER = (topic, value) -> value == null ? null : write(value);

  static <T> Serde<T> serde(Class<T> type) {
    Serializer<T> serializer = (topic, value) -> value == null ? null : write(value);
    Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : read(bytes, type);
    return Serdes.serdeFrom(serializer, deserializer);
  }

  // ------------------------------------------------------------------ JavaScript's views, for identical messages

  /** JSON.stringify of a string. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          boolean lone = Character.isHighSurrogate(c)
              ? !(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
              : Character.isLowSurrogate(c) && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
          if (c < 0x20 || lone) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  /** String(n) of a JavaScript number. */
  static String number(JsonNode node) {
    double d = node.doubleValue();
    if (Double.isNaN(d)) return "NaN";
    if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0) return "0";
    BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    double abs = Math.abs(d);
    if (abs >= 1e-6 && abs < 1e21) return shortest.toPlainString();
    String digits = shortest.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - shortest.scale();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (d < 0 ? "-" : "") + mantissa + "e" + (exponent >= 0 ? "+" : "-") + Math.abs(exponent);
  }

  /** How a value reads in a message, as validation-rules.ts `describeValue` writes it. */
  static String describe(JsonNode value) {
    if (value == null || value.isMissingNode()) return "missing";
    if (value.isNull()) return "null";
    if (value.isTextual()) {
      String s = value.textValue();
      return quote(s.length() > 60 ? s.substring(0, 57) + "..." : s);
    }
    if (value.isNumber()) return number(value);
    if (value.isBoolean()) return String.valueOf(value.booleanValue());
    return value.isArray() ? "an array" : "a object";
  }
}
