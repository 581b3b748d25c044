package dev.cairn.update;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** MongoDB's order over JSON values, and its equality, for $min, $max, $sort and queries. */
final class ValueOrder {
  private ValueOrder() {}

  // ---- comparison, MongoDB's order over JSON types ----

  static int rank(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return 1;
    }
    if (n.isNumber()) {
      return 2;
    }
    if (n.isTextual()) {
      return 3;
    }
    if (n.isObject()) {
      return 4;
    }
    if (n.isArray()) {
      return 5;
    }
    return 8; // boolean
  }

  /**
   * MongoDB's order (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/):
   * null, numbers, strings, objects, arrays, booleans; then by value, objects pair by pair.
   */
  static int compare(JsonNode a, JsonNode b) {
    int ra = rank(a);
    int rb = rank(b);
    if (ra != rb) {
      return Integer.compare(ra, rb);
    }
    switch (ra) {
      case 2:
        return a.decimalValue().compareTo(b.decimalValue());
      case 3:
        return compareCodePoints(a.asText(), b.asText());
      case 4:
        {
          Iterator<Map.Entry<String, JsonNode>> x = a.fields();
          Iterator<Map.Entry<String, JsonNode>> y = b.fields();
          while (x.hasNext() && y.hasNext()) {
            // BSON's order, pair by pair: the value's type, then the name, then the value
            Map.Entry<String, JsonNode> ex = x.next();
            Map.Entry<String, JsonNode> ey = y.next();
            int c = Integer.compare(rank(ex.getValue()), rank(ey.getValue()));
            if (c == 0) {
              c = compareCodePoints(ex.getKey(), ey.getKey());
            }
            if (c == 0) {
              c = compare(ex.getValue(), ey.getValue());
            }
            if (c != 0) {
              return c;
            }
          }
          return Boolean.compare(x.hasNext(), y.hasNext());
        }
      case 5:
        {
          for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compare(a.get(i), b.get(i));
            if (c != 0) {
              return c;
            }
          }
          return Integer.compare(a.size(), b.size());
        }
      case 8:
        return Boolean.compare(a.asBoolean(), b.asBoolean());
      default:
        return 0;
    }
  }

  /**
   * Strings as MongoDB orders them (its simple collation: UTF-8 bytes), which is code point order;
   * Java's {@code compareTo} orders UTF-16 units and puts U+10000 and above before U+E000..U+FFFF.
   */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /**
   * Value equality: numbers by value (1 equals 1.0); objects member by member, in the same order
   * when {@code ordered} (as $addToSet requires) or in any order (as $pull allows).
   */
  static boolean equal(JsonNode a, JsonNode b, boolean ordered) {
    if (rank(a) != rank(b)) {
      return false;
    }
    if (a.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      if (ordered) {
        Iterator<Map.Entry<String, JsonNode>> x = a.fields();
        Iterator<Map.Entry<String, JsonNode>> y = b.fields();
        while (x.hasNext()) {
          Map.Entry<String, JsonNode> ex = x.next();
          Map.Entry<String, JsonNode> ey = y.next();
          if (!ex.getKey().equals(ey.getKey()) || !equal(ex.getValue(), ey.getValue(), true)) {
            return false;
          }
        }
        return true;
      }
      Map<String, JsonNode> bm = new TreeMap<>();
      b.fields().forEachRemaining(e -> bm.put(e.getKey(), e.getValue()));
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode other = bm.get(e.getKey());
        if (other == null || !equal(e.getValue(), other, false)) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!equal(a.get(i), b.get(i), ordered)) {
          return false;
        }
      }
      return true;
    }
    return compare(a, b) == 0;
  }
}
