package dev.cairn.json;

import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidDocumentException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * JSON in the form of RFC 8785, the JSON Canonicalization Scheme: no white space, object members
 * sorted by the UTF-16 code units of their names, strings with only the escapes JSON requires
 * (other control characters as a backslash, u and four lowercase hex digits), and numbers as
 * ECMAScript writes a double (the shortest digits that read back to the same double: {@code 1e+21},
 * {@code 0.002}, {@code 1000000000000000} for {@code 1e15}). Equal JSON values give equal bytes,
 * here and in any language with an RFC 8785 implementation.
 *
 * <p>One extension: RFC 8785 covers numbers a double holds (I-JSON). An integer beyond ±2^53 is
 * kept exact and written as its digits, so a 64-bit id or a nanosecond timestamp is never rounded.
 */
public final class CanonicalJson {
  private static final double EXACT_INTEGERS = 0x1p53;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private CanonicalJson() {}

  /**
   * The RFC 8785 bytes of {@code node}, without the top-level members named in {@code skip}.
   *
   * @throws InvalidDocumentException if a string holds a lone surrogate or a number is not finite
   */
  public static byte[] write(ObjectNode node, String... skip) {
    StringBuilder out = new StringBuilder(256);
    object(out, node, skip, true);
    try {
      ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(out));
      return Arrays.copyOf(bytes.array(), bytes.limit());
    } catch (CharacterCodingException e) {
      throw new InvalidDocumentException("the JSON is not valid Unicode (a lone surrogate)", e);
    }
  }

  /**
   * {@code node} as JSON text written as RFC 8785 writes it, but with members in their order: how
   * Cairn prints JSON, so that a number reads the same wherever it is shown.
   */
  public static String text(JsonNode node) {
    StringBuilder out = new StringBuilder(256);
    value(out, node, false);
    return out.toString();
  }

  private static void value(StringBuilder out, JsonNode node, boolean sorted) {
    switch (node.getNodeType()) {
      case OBJECT -> object(out, node, NONE, sorted);
      case ARRAY -> {
        out.append('[');
        boolean first = true;
        for (JsonNode element : node) {
          if (!first) {
            out.append(',');
          }
          first = false;
          value(out, element, sorted);
        }
        out.append(']');
      }
      case STRING -> string(out, node.textValue());
      case NUMBER ->
          out.append(node.isIntegralNumber() ? integer(node) : number(node.doubleValue()));
      case BOOLEAN -> out.append(node.booleanValue());
      case NULL -> out.append("null");
      default ->
          throw new InvalidDocumentException(
              "JSON has no " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static final String[] NONE = {};

  private static void object(StringBuilder out, JsonNode node, String[] skip, boolean sorted) {
    List<String> names = new ArrayList<>(node.size());
    node.fieldNames().forEachRemaining(names::add);
    for (String name : skip) { // at most a couple, at the top level only
      names.remove(name);
    }
    if (sorted) {
      names.sort(null); // String.compareTo compares UTF-16 code units, as RFC 8785 sorts
    }
    out.append('{');
    for (int i = 0; i < names.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      string(out, names.get(i));
      out.append(':');
      value(out, node.get(names.get(i)), sorted);
    }
    out.append('}');
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
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
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** An integer: as the double it is if a double holds it exactly, else its exact digits. */
  private static String integer(JsonNode node) {
    if (node.canConvertToLong()) {
      long v = node.longValue();
      if (Math.abs((double) v) <= EXACT_INTEGERS) {
        return Long.toString(v);
      }
    }
    BigInteger v = node.bigIntegerValue();
    return v.toString(); // beyond I-JSON: kept exact
  }

  /**
   * A double as ECMAScript's Number.prototype.toString writes it (RFC 8785, section 3.2.2.3).
   *
   * @throws InvalidDocumentException for NaN and the infinities, which JSON cannot hold
   */
  public static String number(double d) {
    if (!Double.isFinite(d)) {
      throw new InvalidDocumentException("JSON has no number " + d);
    }
    if (d == 0) {
      return "0"; // -0 too
    }
    if (d == Math.rint(d) && Math.abs(d) < EXACT_INTEGERS) {
      return Long.toString((long) d);
    }
    BigDecimal digits = shortest(Math.abs(d));
    String s = digits.unscaledValue().toString(); // no trailing zeros: digits is stripped
    int k = s.length();
    int n = k - digits.scale(); // the value is 0.s times 10^n
    StringBuilder out = new StringBuilder(26);
    if (d < 0) {
      out.append('-');
    }
    if (k <= n && n <= 21) {
      out.append(s).append("0".repeat(n - k));
    } else if (0 < n && n <= 21) {
      out.append(s, 0, n).append('.').append(s, n, k);
    } else if (-6 < n && n <= 0) {
      out.append("0.").append("0".repeat(-n)).append(s);
    } else {
      out.append(s.charAt(0));
      if (k > 1) {
        out.append('.').append(s, 1, k);
      }
      int e = n - 1;
      out.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
    }
    return out.toString();
  }

  /**
   * The decimal with the fewest significant digits that reads back as {@code a} (positive, finite);
   * of two such, the one nearer {@code a}'s exact value, then the one with an even last digit.
   * Jackson's Schubfach writer finds it (as Java 19's Double.toString does; Java 17's is not always
   * the shortest), except that where one digit would do it may give the nearest of one or two
   * digits, which ECMAScript does not: 5e-324, not 4.9e-324.
   */
  private static BigDecimal shortest(double a) {
    BigDecimal found = new BigDecimal(NumberOutput.toString(a, true)).stripTrailingZeros();
    if (found.precision() == 2) {
      BigDecimal one = nearestWith(new BigDecimal(a), 1, a);
      if (one != null) {
        return one.stripTrailingZeros();
      }
    }
    return found;
  }

  /** The decimal of {@code p} significant digits nearest {@code exact} that reads back as a. */
  private static BigDecimal nearestWith(BigDecimal exact, int p, double a) {
    BigDecimal down = exact.round(new MathContext(p, RoundingMode.FLOOR));
    BigDecimal up = exact.round(new MathContext(p, RoundingMode.CEILING));
    boolean downReads = down.doubleValue() == a;
    boolean upReads = up.doubleValue() == a;
    if (downReads && upReads) {
      int nearer = exact.subtract(down).compareTo(up.subtract(exact));
      if (nearer != 0) {
        return nearer < 0 ? down : up;
      }
      return exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
    }
    return downReads ? down : upReads ? up : null;
  }
}
