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
                : value != null && ValueOrder.equal(value, c, false);
        if (!ok) {
          return false;
        }
      }
      return true;
    }
    return ValueOrder.equal(element, condition, false);
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
            case "$eq" -> value != null && ValueOrder.equal(value, arg, false);
            case "$ne" -> value == null || !ValueOrder.equal(value, arg, false);
            case "$gt" ->
                value != null && sameKind(value, arg) && ValueOrder.compare(value, arg) > 0;
            case "$gte" ->
                value != null && sameKind(value, arg) && ValueOrder.compare(value, arg) >= 0;
            case "$lt" ->
                value != null && sameKind(value, arg) && ValueOrder.compare(value, arg) < 0;
            case "$lte" ->
                value != null && sameKind(value, arg) && ValueOrder.compare(value, arg) <= 0;
            case "$in", "$nin" -> {
              if (!arg.isArray()) {
                throw new InvalidUpdateException(
                    op.getKey() + " in $pull of '" + path + "' needs an array");
              }
              boolean in = false;
              for (JsonNode candidate : arg) {
                in |= value != null && ValueOrder.equal(value, candidate, false);
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

  /** Range comparisons in queries match values of the same kind only, as in MongoDB. */
  static boolean sameKind(JsonNode a, JsonNode b) {
    return ValueOrder.rank(a) == ValueOrder.rank(b);
  }
}
