package com.omnia.bench.kstreams;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.regex.Pattern;

/** Decimal money at 4 fraction digits, half to even, as processors/domain/money.ts. */
final class Money {
  private Money() {}

  static final BigDecimal ZERO = BigDecimal.ZERO;

  /** Up to 14 integer and 4 fraction digits, optional leading minus: what DECIMAL(18,4) holds. */
  private static final Pattern MONEY = Pattern.compile("-?[0-9]{1,14}(?:\\.[0-9]{1,4})?");

  static boolean isMoney(String value) {
    return value != null && MONEY.matcher(value).matches();
  }

  static boolean isMoney(JsonNode value) {
    return value != null && value.isTextual() && isMoney(value.textValue());
  }

  /** bignumber.js keeps the sign of "-0", so a money string is negative exactly when it starts with a minus. */
  static boolean isNegative(String money) {
    return money.startsWith("-");
  }

  static BigDecimal parse(String value) {
    if (!isMoney(value)) throw new IllegalArgumentException("not a money amount (at most 4 decimals, no exponent): " + Json.quote(String.valueOf(value)));
    return new BigDecimal(value);
  }

  static BigDecimal round4(BigDecimal value) {
    return value.setScale(4, RoundingMode.HALF_EVEN);
  }

  /** Exactly 4 fraction digits, rounded half to even; never "-0.0000". */
  static String format(BigDecimal value) {
    BigDecimal rounded = round4(value);
    return rounded.signum() == 0 ? "0.0000" : rounded.toPlainString();
  }
}
