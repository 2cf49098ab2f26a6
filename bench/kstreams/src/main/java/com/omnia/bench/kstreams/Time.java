package com.omnia.bench.kstreams;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Timestamps as JavaScript reads and writes them: `Date.parse` of ISO-8601 text, `toISOString` of epoch ms. */
final class Time {
  private Time() {}

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** `new Date(ms).toISOString()`: always three fraction digits. */
  static String iso(long epochMs) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(epochMs));
  }

  private static final Pattern ISO = Pattern.compile(
      "([+-][0-9]{6}|[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?"
          + "(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?");

  /**
   * `Date.parse` for ISO-8601 text (V8's rules: day 1–31 rolls over past the month's end, hour 24 only at
   * 24:00:00.000, fractions cut to milliseconds, date-only is UTC and date-time without offset local time), or
   * null where it gives NaN.
   */
  static Long parse(String text) {
    if (text == null) return null;
    Matcher m = ISO.matcher(text);
    if (!m.matches()) return null;
    int year = Integer.parseInt(m.group(1));
    int month = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
    int day = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
    if (month < 1 || month > 12 || day < 1 || day > 31) return null;
    int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
    int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
    int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
    String fraction = m.group(7);
    int millis = fraction == null ? 0 : Integer.parseInt((fraction + "00").substring(0, 3));
    if (minute > 59 || second > 59 || hour > 24 || (hour == 24 && (minute > 0 || second > 0 || millis > 0))) return null;
    long days = LocalDate.of(year, month, 1).toEpochDay() + day - 1;
    long ms = days * 86_400_000L + hour * 3_600_000L + minute * 60_000L + second * 1000L + millis;
    String offset = m.group(8);
    if (offset != null && !offset.equals("Z")) {
      String digits = offset.replace(":", "");
      int minutes = Integer.parseInt(digits.substring(1, 3)) * 60 + Integer.parseInt(digits.substring(3, 5));
      ms -= (offset.charAt(0) == '-' ? -1L : 1L) * minutes * 60_000L;
    } else if (offset == null && m.group(4) != null) {
      ms -= ZoneId.systemDefault().getRules().getOffset(Instant.ofEpochMilli(ms)).getTotalSeconds() * 1000L;
    }
    return ms;
  }
}
