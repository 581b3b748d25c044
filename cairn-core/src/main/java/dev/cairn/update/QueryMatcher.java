package dev.cairn.update;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.InvalidUpdateException;
import java.util.Iterator;
import java.util.Map;

/** The conditions of {@code $pull}, read as MongoDB reads a query on an array's elements. */
final class QueryMatcher {
  private QueryMatcher() {}

  // ---- $pull conditions ----

  static boolean pulls(JsonNode condition, JsonNode element, String path) {
    if (condition.isObject() && !condition.isEmpty() && allOperators(condition)) {
      return matchesOperators(element, condition, path);
    }
    if (condition.isObject() && element.isObject()) {
      // a query applied to the element as if it were a document of its own
      for (Map.Entry<String, JsonNode> f : DocumentPath.fields(condition)) {
        JsonNode value = element.isObject() ? DocumentPath.atOrMissing(element, f.getKey()) : null;
        JsonNode c = f.getValue();
        boolean ok =
            c.isObject() && !c.isEmpty() && allOperators(c)
                ? matchesOperators(value, c, path)
                : equalsOrHolds(value, c);
        if (!ok) {
          return false;
        }
      }
      return true;
    }
    return ValueOrder.equal(element, condition, true);
  }

  /**
   * A query's equality: the value equals {@code c} (an embedded document with the same members in
   * the same order), or is an array holding an element that does.
   */
  static boolean equalsOrHolds(JsonNode value, JsonNode c) {
    return value != null && anyOf(value, v -> ValueOrder.equal(v, c, true));
  }

  /** Whether the value, or, if it is an array, one of its elements, passes {@code test}. */
  private static boolean anyOf(JsonNode value, java.util.function.Predicate<JsonNode> test) {
    if (test.test(value)) {
      return true;
    }
    if (value.isArray()) {
      for (JsonNode e : value) {
        if (test.test(e)) {
          return true;
        }
      }
    }
    return false;
  }

  static boolean allOperators(JsonNode object) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      if (!it.next().startsWith("$")) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code value} (null when missing) meets every query operator of {@code ops}. */
  static boolean matchesOperators(JsonNode value, JsonNode ops, String path) {
    for (Map.Entry<String, JsonNode> op : DocumentPath.fields(ops)) {
      JsonNode arg = op.getValue();
      boolean ok =
          switch (op.getKey()) {
            // on an array, as in a MongoDB query, the array itself or any element may match
            case "$eq" -> equalsOrHolds(value, arg);
            case "$ne" -> !equalsOrHolds(value, arg);
            case "$gt" -> value != null && anyOf(value, v -> compares(v, arg, c -> c > 0));
            case "$gte" -> value != null && anyOf(value, v -> compares(v, arg, c -> c >= 0));
            case "$lt" -> value != null && anyOf(value, v -> compares(v, arg, c -> c < 0));
            case "$lte" -> value != null && anyOf(value, v -> compares(v, arg, c -> c <= 0));
            case "$in", "$nin" -> {
              if (!arg.isArray()) {
                throw new InvalidUpdateException(
                    op.getKey() + " in $pull of '" + path + "' needs an array");
              }
              boolean in = false;
              for (JsonNode candidate : arg) {
                in |= equalsOrHolds(value, candidate);
              }
              yield op.getKey().equals("$in") == in;
            }
            case "$exists" -> (value != null) == arg.asBoolean();
            case "$not" -> {
              if (!arg.isObject() || !allOperators(arg)) {
                throw new InvalidUpdateException("$not in $pull of '" + path + "' needs operators");
              }
              yield !matchesOperators(value, arg, path);
            }
            case "$elemMatch" -> {
              boolean any = false;
              if (value != null && value.isArray()) {
                for (JsonNode e : value) {
                  any |= pulls(arg, e, path);
                }
              }
              yield any;
            }
            default ->
                throw new InvalidUpdateException(
                    "unknown query operator " + op.getKey() + " in $pull of '" + path + "'");
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * A range comparison of a value with a query's argument: a value of another kind never matches
   * (MongoDB's type bracketing).
   */
  private static boolean compares(JsonNode v, JsonNode arg, java.util.function.IntPredicate test) {
    return ValueOrder.rank(v) == ValueOrder.rank(arg) && test.test(ValueOrder.compare(v, arg));
  }
}
