package com.omnia.bench.kstreams;

import com.omnia.bench.kstreams.Model.Address;
import java.text.Normalizer;
import java.util.regex.Pattern;

/** A DeliveryAddress in canonical form, as processors/domain/address.ts. */
final class Addresses {
  private Addresses() {}

  /** JavaScript's `\s`: Java's plus the Unicode spaces and line separators JavaScript counts. */
  private static final Pattern WHITESPACE =
      Pattern.compile("[\\t\\n\\u000B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]+");
  private static final Pattern NOT_DIGIT = Pattern.compile("[^0-9]");

  /** Thai digits ๐–๙ as ASCII 0–9. */
  static String asciiDigits(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '\u0E50' && c <= '\u0E59') {
        if (out == null) out = new StringBuilder(text);
        out.setCharAt(i, (char) ('0' + (c - '\u0E50')));
      }
    }
    return out == null ? text : out.toString();
  }

  /** String.prototype.trim: drops JavaScript whitespace at both ends. */
  static String jsTrim(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isJsSpace(text.charAt(start))) start++;
    while (end > start && isJsSpace(text.charAt(end - 1))) end--;
    return text.substring(start, end);
  }

  private static boolean isJsSpace(char c) {
    return c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r' || c == ' ' || c == '\u00A0' || c == '\u1680'
        || (c >= '\u2000' && c <= '\u200A') || c == '\u2028' || c == '\u2029' || c == '\u202F' || c == '\u205F'
        || c == '\u3000' || c == '\uFEFF';
  }

  /** NFC, whitespace runs collapsed to one space, trimmed. */
  static String normaliseText(String text) {
    String collapsed = WHITESPACE.matcher(Normalizer.normalize(text, Normalizer.Form.NFC)).replaceAll(" ");
    // After the collapse the only whitespace left is single spaces.
    int start = collapsed.startsWith(" ") ? 1 : 0;
    int end = collapsed.length() > start && collapsed.endsWith(" ") ? collapsed.length() - 1 : collapsed.length();
    return collapsed.substring(start, end);
  }

  static String normalisePostalCode(String postalCode) {
    return NOT_DIGIT.matcher(asciiDigits(postalCode)).replaceAll("");
  }

  /** Thai numbers in the local 0… form; other international numbers as "+" and digits. */
  static String normalisePhone(String phone) {
    String text = jsTrim(asciiDigits(phone));
    boolean international = text.startsWith("+") || text.startsWith("00");
    String digits = NOT_DIGIT.matcher(text).replaceAll("");
    if (!international) return digits;
    String number = text.startsWith("+") ? digits : digits.substring(Math.min(2, digits.length()));
    if (!number.startsWith("66")) return "+" + number;
    String national = number.substring(2);
    return national.startsWith("0") ? national : "0" + national;
  }

  /** The address in canonical form, changed in place (it belongs to the order being processed). */
  static void normalise(Address address) {
    if (address.Line1 != null) address.Line1 = normaliseText(address.Line1);
    if (address.District != null) address.District = normaliseText(address.District);
    if (address.Province != null) address.Province = normaliseText(address.Province);
    address.PostalCode = normalisePostalCode(address.PostalCode);
    if (address.Phone != null) address.Phone = normalisePhone(address.Phone);
  }
}
