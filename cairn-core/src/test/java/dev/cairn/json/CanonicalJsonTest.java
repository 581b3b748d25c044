package dev.cairn.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidDocumentException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 8785, the JSON Canonicalization Scheme, checked against the RFC's own examples. */
class CanonicalJsonTest {
  private static String canonical(String json) {
    return new String(CanonicalJson.write(Json.parseObject(json)), StandardCharsets.UTF_8);
  }

  /** RFC 8785, Appendix B: IEEE 754 doubles (as hex) and how they are written. */
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "0000000000000000, 0",
    "8000000000000000, 0",
    "0000000000000001, 5e-324",
    "8000000000000001, -5e-324",
    "7fefffffffffffff, 1.7976931348623157e+308",
    "ffefffffffffffff, -1.7976931348623157e+308",
    "4340000000000000, 9007199254740992",
    "c340000000000000, -9007199254740992",
    "4430000000000000, 295147905179352830000",
    "44b52d02c7e14af5, 9.999999999999997e+22",
    "44b52d02c7e14af6, 1e+23",
    "44b52d02c7e14af7, 1.0000000000000001e+23",
    "444b1ae4d6e2ef4e, 999999999999999700000",
    "444b1ae4d6e2ef4f, 999999999999999900000",
    "444b1ae4d6e2ef50, 1e+21",
    "3eb0c6f7a0b5ed8c, 9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d, 0.000001",
    "41b3de4355555553, 333333333.3333332",
    "41b3de4355555554, 333333333.33333325",
    "41b3de4355555555, 333333333.3333333",
    "41b3de4355555556, 333333333.3333334",
    "41b3de4355555557, 333333333.33333343",
    "becbf647612f3696, -0.0000033333333333333333",
    "43143ff3c1cb0959, 1424953923781206.2"
  })
  void numbersAreWrittenAsTheRfcsAppendixBSays(String hex, String expected) {
    double d = Double.longBitsToDouble(Long.parseUnsignedLong(hex, 16));

    assertThat(CanonicalJson.number(d)).isEqualTo(expected);
    assertThat(Double.parseDouble(expected)).isEqualTo(d == 0 ? 0.0 : d); // it reads back
  }

  @Test
  void notANumberAndTheInfinitiesAreRefused() {
    for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThatThrownBy(() -> CanonicalJson.number(d))
          .isInstanceOf(InvalidDocumentException.class);
    }
  }

  /** RFC 8785, section 3.2.2: the example of the whole serialisation. */
  @Test
  void theRfcsExampleGivesTheRfcsBytes() {
    String input =
        "{\n"
            + "  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
            + "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
            + "  \"literals\": [null, true, false]\n"
            + "}";

    assertThat(canonical(input))
        .isEqualTo(
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                + "\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
  }

  /** RFC 8785, section 3.2.3: members sorted by their names' UTF-16 code units. */
  @Test
  void membersAreSortedByUtf16CodeUnits() {
    String input =
        "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet"
            + " With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
            + "\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";

    assertThat(canonical(input))
        .isEqualTo(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small"
                + " Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\","
                + "\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
  }

  @Test
  void equalValuesWrittenDifferentlyGiveTheSameBytes() {
    assertThat(canonical("{\"a\":1e15}")).isEqualTo(canonical("{\"a\":1000000000000000}"));
    assertThat(canonical("{\"a\":1.0}")).isEqualTo("{\"a\":1}");
    assertThat(canonical("{\"a\":-0.0}")).isEqualTo("{\"a\":0}");
    assertThat(canonical("{\"b\":[1E2,\"\\u0041\"],\"a\":{}}"))
        .isEqualTo("{\"a\":{},\"b\":[100,\"A\"]}");
  }

  @Test
  void integersADoubleCannotHoldAreKeptExact() {
    assertThat(canonical("{\"ns\":1764547200123456789}")).isEqualTo("{\"ns\":1764547200123456789}");
    assertThat(canonical("{\"big\":123456789012345678901234567890}"))
        .isEqualTo("{\"big\":123456789012345678901234567890}");
    assertThat(canonical("{\"edge\":9007199254740993}")).isEqualTo("{\"edge\":9007199254740993}");
  }

  @Test
  void aLoneSurrogateIsRefused() {
    ObjectNode node = Json.MAPPER.createObjectNode().put("s", "\ud800x");

    assertThatThrownBy(() -> CanonicalJson.write(node))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("lone surrogate");
  }

  /** Random doubles: the shortest digits that read back, as Java 19+ and ECMAScript find them. */
  @Test
  void randomDoublesReadBackFromTheFewestDigits() {
    Random random = new Random(8785);
    for (int i = 0; i < 20_000; i++) {
      double d = Double.longBitsToDouble(random.nextLong());
      if (!Double.isFinite(d)) {
        continue;
      }
      String written = CanonicalJson.number(d);
      assertThat(Double.parseDouble(written)).as(written).isEqualTo(d == 0 ? 0.0 : d);
      String digits = written.replaceFirst("^-", "").replaceFirst("e.*$", "").replace(".", "");
      digits = digits.replaceFirst("^0+", "").replaceFirst("0+$", "");
      java.math.BigDecimal exact = new java.math.BigDecimal(Math.abs(d));
      if (digits.length() > 1) {
        // one digit fewer, rounded either way, no longer reads back
        for (java.math.BigDecimal fewer : roundings(exact, digits.length() - 1)) {
          assertThat(fewer.doubleValue())
              .as("%s has a shorter form", written)
              .isNotEqualTo(Math.abs(d));
        }
      }
      // of the decimals with that many digits that read back, the one nearest the exact value
      java.math.BigDecimal chosen = new java.math.BigDecimal(written).abs();
      for (java.math.BigDecimal other : roundings(exact, digits.length())) {
        if (other.doubleValue() == Math.abs(d)) {
          assertThat(chosen.subtract(exact).abs())
              .as("%s is nearer than %s", other, written)
              .isLessThanOrEqualTo(other.subtract(exact).abs());
        }
      }
    }
  }

  private static java.util.List<java.math.BigDecimal> roundings(
      java.math.BigDecimal exact, int digits) {
    return java.util.List.of(
        exact.round(new java.math.MathContext(digits, java.math.RoundingMode.FLOOR)),
        exact.round(new java.math.MathContext(digits, java.math.RoundingMode.CEILING)));
  }
}
