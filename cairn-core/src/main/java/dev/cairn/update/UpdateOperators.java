package dev.cairn.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MongoDB update operators applied to a JSON document: {@code $set}, {@code $setOnInsert} (only
 * when {@linkplain #applyInserting inserting}), {@code $unset}, {@code $inc}, {@code $mul}, {@code
 * $min}, {@code $max}, {@code $rename}, {@code $currentDate}, {@code $push} (with {@code $each},
 * {@code $position}, {@code $sort}, {@code $slice}), {@code $addToSet} (with {@code $each}), {@code
 * $pop}, {@code $pull} (values and query conditions), {@code $pullAll} and {@code $bit}, with dot
 * paths, array indexes and the all-positional {@code $[]}.
 *
 * <p>An update is applied to a copy and returned; if any part of it fails, the whole update is
 * rejected with an {@link InvalidUpdateException} and the document is untouched. As in MongoDB, the
 * fields of one operator are applied in lexicographic order (numeric names in numeric order), an
 * operator with an empty argument does nothing, and no two paths of one update may be the same or
 * one a prefix of the other. JSON has no dates: {@code $currentDate} writes an ISO-8601 UTC string
 * for {@code "date"} (and {@code true}) and epoch milliseconds for {@code "timestamp"}. The members
 * {@code _id} and {@code _rev} cannot be changed.
 *
 * <p>This class is the table of operators, each a method beside it, and the checks of an update's
 * form; paths are {@link DocumentPath}, {@code $pull} conditions {@link QueryMatcher}, comparison
 * {@link ValueOrder}.
 */
public final class UpdateOperators {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private UpdateOperators() {}

  /** Applies {@code update} to a copy of {@code doc} and returns the copy. */
  public static ObjectNode apply(ObjectNode doc, JsonNode update, Clock clock) {
    validate(update);
    return applyValidated(doc, update, clock);
  }

  /** {@link #apply} for an update that has passed {@link #validate} already. */
  public static ObjectNode applyValidated(ObjectNode doc, JsonNode update, Clock clock) {
    return applyValidated(doc, update, clock, false);
  }

  /**
   * Applies {@code update} to a new, empty document, as MongoDB's upsert does when nothing matches:
   * {@code $setOnInsert} acts as {@code $set}. Everywhere else {@code $setOnInsert} does nothing.
   */
  public static ObjectNode applyInserting(JsonNode update, Clock clock) {
    validate(update);
    return applyValidated(NODES.objectNode(), update, clock, true);
  }

  private static ObjectNode applyValidated(
      ObjectNode doc, JsonNode update, Clock clock, boolean inserting) {
    ObjectNode copy = doc.deepCopy();
    for (Map.Entry<String, JsonNode> op : DocumentPath.fields(update)) {
      String name = op.getKey();
      if (name.equals(SET_ON_INSERT)) {
        if (!inserting) {
          continue;
        }
        name = "$set";
      }
      for (Map.Entry<String, JsonNode> field : sortedFields(op.getValue())) {
        applyOne(copy, name, field.getKey(), field.getValue(), clock);
      }
    }
    return copy;
  }

  /**
   * Checks the form of {@code update} (operators, argument shapes, paths, conflicts) without a
   * document.
   *
   * @return the paths it touches, each cut before its first {@code $[]}: a source and a target for
   *     {@code $rename}
   */
  public static List<String> validate(JsonNode update) {
    if (update == null || !update.isObject()) {
      throw new InvalidUpdateException("an update must be a JSON object of update operators");
    }
    if (update.isEmpty()) {
      throw new InvalidUpdateException("an update must name at least one update operator");
    }
    try {
      Validation.value(update, "the update");
    } catch (dev.cairn.InvalidDocumentException e) {
      throw new InvalidUpdateException(e.getMessage());
    }
    List<String> paths = new ArrayList<>();
    for (Map.Entry<String, JsonNode> op : DocumentPath.fields(update)) {
      String name = op.getKey();
      if (!OPERATORS.containsKey(name)) {
        throw new InvalidUpdateException(
            name.startsWith("$")
                ? "unknown update operator " + name
                : "an update may contain only update operators; '"
                    + name
                    + "' is not one (replace documents with upsert)");
      }
      if (!op.getValue().isObject()) {
        throw new InvalidUpdateException(
            "the argument of " + name + " must be an object, got " + Json.kind(op.getValue()));
      }
      for (Map.Entry<String, JsonNode> field : DocumentPath.fields(op.getValue())) {
        paths.add(checkPath(name, field.getKey()));
        if (name.equals("$rename")) {
          if (!field.getValue().isTextual()) {
            throw new InvalidUpdateException(
                "$rename needs a string target for '" + field.getKey() + "'");
          }
          String target = checkPath(name, field.getValue().asText());
          if (target.equals(field.getKey())) {
            throw new InvalidUpdateException("$rename source and target are the same: " + target);
          }
          paths.add(target);
        }
      }
    }
    checkConflicts(paths);
    List<String> touched = new ArrayList<>(paths.size());
    for (String path : paths) {
      int all = path.indexOf(DocumentPath.ALL);
      touched.add(all < 0 ? path : path.substring(0, Math.max(0, all - 1)));
    }
    return touched;
  }

  /** Whether one dot path is the other or lies under it ("" is the root and overlaps all). */
  public static boolean overlap(String a, String b) {
    return a.isEmpty()
        || b.isEmpty()
        || a.equals(b)
        || a.startsWith(b + ".")
        || b.startsWith(a + ".");
  }

  /** The value at a dot path ("" for the root), or null where there is none. */
  public static JsonNode valueAt(JsonNode node, String path) {
    return path.isEmpty() ? node : DocumentPath.atOrMissing(node, path);
  }

  private static String checkPath(String op, String path) {
    if (path.isEmpty() || path.startsWith(".") || path.endsWith(".") || path.contains("..")) {
      throw new InvalidUpdateException(op + ": the path '" + path + "' has an empty part");
    }
    String[] parts = path.split("\\.");
    if (parts[0].equals("_id") || parts[0].equals("_rev")) {
      throw new InvalidUpdateException(
          op + ": the path '" + path + "' would modify the immutable member '" + parts[0] + "'");
    }
    for (String part : parts) {
      if (part.startsWith("$") && !part.equals(DocumentPath.ALL)) {
        throw new InvalidUpdateException(
            op
                + ": the path '"
                + path
                + "' has '"
                + part
                + "'; only the positional $[] is supported");
      }
    }
    if (op.equals("$rename") && path.contains(DocumentPath.ALL)) {
      throw new InvalidUpdateException("$rename cannot use $[] in '" + path + "'");
    }
    return path;
  }

  private static void checkConflicts(List<String> paths) {
    for (int i = 0; i < paths.size(); i++) {
      for (int j = i + 1; j < paths.size(); j++) {
        String a = paths.get(i);
        String b = paths.get(j);
        if (a.equals(b) || a.startsWith(b + ".") || b.startsWith(a + ".")) {
          String at = a.length() <= b.length() ? a : b;
          throw new InvalidUpdateException(
              "updating the path '" + b + "' would create a conflict at '" + at + "'");
        }
      }
    }
  }

  /** Fields in MongoDB's order: numeric names numerically, then the others lexicographically. */
  private static List<Map.Entry<String, JsonNode>> sortedFields(JsonNode node) {
    List<Map.Entry<String, JsonNode>> out = DocumentPath.fields(node);
    out.sort(
        Comparator.comparing(
            (Map.Entry<String, JsonNode> e) -> e.getKey(),
            (x, y) -> {
              boolean nx = DocumentPath.isIndex(x);
              boolean ny = DocumentPath.isIndex(y);
              if (nx && ny) {
                return new BigDecimal(x).compareTo(new BigDecimal(y));
              }
              return nx ? -1 : ny ? 1 : x.compareTo(y);
            }));
    return out;
  }

  // ---- the operators ----

  /** What an operator does to one path of a document copy; it throws to reject the update. */
  @FunctionalInterface
  private interface Operator {
    void apply(ObjectNode doc, String op, String path, JsonNode arg, Clock clock);
  }

  private static final String SET_ON_INSERT = "$setOnInsert";

  /** Every operator, by name: the one list of what an update may contain. */
  private static final Map<String, Operator> OPERATORS =
      Map.ofEntries(
          Map.entry("$set", UpdateOperators::set),
          Map.entry(SET_ON_INSERT, UpdateOperators::set), // applied only when inserting
          Map.entry("$unset", UpdateOperators::unset),
          Map.entry("$inc", UpdateOperators::incOrMul),
          Map.entry("$mul", UpdateOperators::incOrMul),
          Map.entry("$min", UpdateOperators::minOrMax),
          Map.entry("$max", UpdateOperators::minOrMax),
          Map.entry("$rename", UpdateOperators::rename),
          Map.entry("$currentDate", UpdateOperators::currentDate),
          Map.entry("$push", UpdateOperators::push),
          Map.entry("$addToSet", UpdateOperators::addToSet),
          Map.entry("$pop", UpdateOperators::pop),
          Map.entry("$pull", UpdateOperators::pull),
          Map.entry("$pullAll", UpdateOperators::pull),
          Map.entry("$bit", UpdateOperators::bit));

  private static void applyOne(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    OPERATORS.get(op).apply(doc, op, path, arg, clock);
  }

  private static void set(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    DocumentPath.resolve(doc, op, path, true).forEach(s -> s.set(arg.deepCopy()));
  }

  private static void unset(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    DocumentPath.resolve(doc, op, path, false).forEach(DocumentPath.Slot::remove);
  }

  private static void incOrMul(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    if (!arg.isNumber()) {
      throw new InvalidUpdateException(
          op + " needs a number for '" + path + "', got " + Json.kind(arg));
    }
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, true)) {
      JsonNode now = s.get();
      if (now != null && !now.isNumber()) {
        throw new InvalidUpdateException(
            "cannot apply %s to '%s': it holds %s, not a number"
                .formatted(op, path, Json.kind(now)));
      }
      JsonNode base = now == null ? (op.equals("$inc") ? NODES.numberNode(0) : zeroLike(arg)) : now;
      s.set(op.equals("$inc") ? add(base, arg, path) : multiply(base, arg, path));
    }
  }

  private static void minOrMax(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, true)) {
      JsonNode now = s.get();
      int c = now == null ? 0 : ValueOrder.compare(arg, now);
      if (now == null || (op.equals("$min") ? c < 0 : c > 0)) {
        s.set(arg.deepCopy());
      }
    }
  }

  private static void rename(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    for (String end : List.of(path, arg.asText())) {
      if (insideArray(doc, end)) {
        throw new InvalidUpdateException(
            "$rename cannot move a field into or out of an array: '" + end + "' is inside one");
      }
    }
    List<DocumentPath.Slot> from = DocumentPath.resolve(doc, op, path, false);
    if (from.isEmpty() || from.get(0).get() == null) {
      return; // a missing source renames nothing
    }
    DocumentPath.Slot source = from.get(0);
    if (source.container().isArray()) {
      throw new InvalidUpdateException("$rename source '" + path + "' is an array element");
    }
    JsonNode value = source.get();
    List<DocumentPath.Slot> to = DocumentPath.resolve(doc, op, arg.asText(), true);
    if (to.get(0).container().isArray()) {
      throw new InvalidUpdateException("$rename target '" + arg.asText() + "' is an array element");
    }
    source.remove();
    to.get(0).set(value);
  }

  /** Whether a dot path passes through an array of {@code doc} on its way to its last member. */
  private static boolean insideArray(JsonNode doc, String path) {
    JsonNode node = doc;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length; i++) {
      if (node == null || node.isArray()) {
        return node != null;
      }
      node = i < parts.length - 1 ? node.get(parts[i]) : null;
    }
    return false;
  }

  private static void currentDate(
      ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    boolean timestamp;
    if (arg.isBoolean() && arg.asBoolean()) {
      timestamp = false;
    } else if (arg.isObject()
        && arg.size() == 1
        && arg.path("$type").isTextual()
        && Set.of("date", "timestamp").contains(arg.get("$type").asText())) {
      timestamp = arg.get("$type").asText().equals("timestamp");
    } else {
      throw new InvalidUpdateException(
          "$currentDate for '" + path + "' takes true or {\"$type\": \"date\"|\"timestamp\"}");
    }
    JsonNode now =
        timestamp ? NODES.numberNode(clock.millis()) : NODES.textNode(clock.instant().toString());
    DocumentPath.resolve(doc, op, path, true).forEach(s -> s.set(now));
  }

  private static void push(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    Push push = Push.parse(path, arg);
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, true)) {
      s.set(push.apply(array(op, path, s.get())));
    }
  }

  private static void addToSet(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    List<JsonNode> values = eachOrOne(op, path, arg);
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, true)) {
      ArrayNode a = array(op, path, s.get());
      for (JsonNode v : values) {
        boolean present = false;
        for (JsonNode e : a) {
          present |= ValueOrder.equal(e, v, true);
        }
        if (!present) {
          a.add(v.deepCopy());
        }
      }
      s.set(a);
    }
  }

  private static void pop(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    if (!arg.isNumber() || (arg.asDouble() != 1 && arg.asDouble() != -1)) {
      throw new InvalidUpdateException("$pop expects 1 or -1 for '" + path + "', found " + arg);
    }
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, false)) {
      JsonNode now = s.get();
      if (now == null) {
        continue;
      }
      ArrayNode a = array(op, path, now);
      if (!a.isEmpty()) {
        a.remove(arg.asDouble() == 1 ? a.size() - 1 : 0);
      }
    }
  }

  private static void pull(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    if (op.equals("$pullAll") && !arg.isArray()) {
      throw new InvalidUpdateException(
          "$pullAll needs an array for '" + path + "', got " + Json.kind(arg));
    }
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, false)) {
      JsonNode now = s.get();
      if (now == null) {
        continue;
      }
      ArrayNode a = array(op, path, now);
      for (Iterator<JsonNode> it = a.iterator(); it.hasNext(); ) {
        JsonNode e = it.next();
        boolean remove = false;
        if (op.equals("$pullAll")) {
          for (JsonNode v : arg) {
            remove |= ValueOrder.equal(e, v, true); // exactly: members in the same order
          }
        } else {
          remove = QueryMatcher.pulls(arg, e, path);
        }
        if (remove) {
          it.remove();
        }
      }
    }
  }

  private static void bit(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    if (!arg.isObject() || arg.isEmpty()) {
      throw new InvalidUpdateException(
          "$bit for '" + path + "' takes {\"and\"|\"or\"|\"xor\": integer}");
    }
    for (DocumentPath.Slot s : DocumentPath.resolve(doc, op, path, true)) {
      JsonNode now = s.get();
      if (now != null && !isLong(now)) {
        throw new InvalidUpdateException(
            "cannot apply $bit to '%s': it holds %s, not a 64-bit integer"
                .formatted(path, now.isNumber() ? Json.write(now) : Json.kind(now)));
      }
      long value = now == null ? 0 : now.asLong();
      for (Map.Entry<String, JsonNode> bit : DocumentPath.fields(arg)) {
        if (!isLong(bit.getValue())) {
          throw new InvalidUpdateException("$bit " + bit.getKey() + " needs a 64-bit integer");
        }
        long with = bit.getValue().asLong();
        value =
            switch (bit.getKey()) {
              case "and" -> value & with;
              case "or" -> value | with;
              case "xor" -> value ^ with;
              default ->
                  throw new InvalidUpdateException(
                      "$bit takes and, or, xor; got '" + bit.getKey() + "'");
            };
      }
      s.set(NODES.numberNode(value));
    }
  }

  /** Whether a number is a 64-bit integer, however it is written: 5, 5.0 and 5e0 all are. */
  private static boolean isLong(JsonNode n) {
    if (n.isIntegralNumber()) {
      return n.canConvertToLong();
    }
    double d = n.isNumber() ? n.doubleValue() : Double.NaN;
    return d == Math.rint(d) && Math.abs(d) < 0x1p63;
  }

  private static ArrayNode array(String op, String path, JsonNode now) {
    if (now == null) {
      return NODES.arrayNode();
    }
    if (!now.isArray()) {
      throw new InvalidUpdateException(
          "cannot apply %s to '%s': it holds %s, not an array".formatted(op, path, Json.kind(now)));
    }
    return (ArrayNode) now;
  }

  private static List<JsonNode> eachOrOne(String op, String path, JsonNode arg) {
    if (arg.isObject() && arg.has("$each")) {
      if (arg.size() != 1) {
        throw new InvalidUpdateException(op + " for '" + path + "' takes only $each as a modifier");
      }
      if (!arg.get("$each").isArray()) {
        throw new InvalidUpdateException("$each for '" + path + "' needs an array");
      }
      List<JsonNode> out = new ArrayList<>();
      arg.get("$each").forEach(out::add);
      return out;
    }
    return List.of(arg);
  }

  /** A $push argument: what to insert, where, and the sort and slice after. */
  private record Push(List<JsonNode> values, Integer position, JsonNode sort, Integer slice) {
    static Push parse(String path, JsonNode arg) {
      if (!(arg.isObject() && arg.has("$each"))) {
        if (arg.isObject()) {
          arg.fieldNames()
              .forEachRemaining(
                  f -> {
                    if (f.startsWith("$")) {
                      throw new InvalidUpdateException(
                          "$push modifier " + f + " for '" + path + "' needs $each");
                    }
                  });
        }
        return new Push(List.of(arg), null, null, null);
      }
      Integer position = null;
      JsonNode sort = null;
      Integer slice = null;
      for (Map.Entry<String, JsonNode> m : DocumentPath.fields(arg)) {
        JsonNode v = m.getValue();
        switch (m.getKey()) {
          case "$each" -> {
            if (!v.isArray()) {
              throw new InvalidUpdateException("$each for '" + path + "' needs an array");
            }
          }
          case "$position" -> {
            if (!v.isIntegralNumber()) {
              throw new InvalidUpdateException("$position for '" + path + "' needs an integer");
            }
            position = v.asInt();
          }
          case "$slice" -> {
            if (!v.isIntegralNumber()) {
              throw new InvalidUpdateException("$slice for '" + path + "' needs an integer");
            }
            slice = v.asInt();
          }
          case "$sort" -> {
            boolean direction = v.isIntegralNumber() && Math.abs(v.asInt()) == 1;
            boolean byFields = v.isObject() && !v.isEmpty();
            if (byFields) {
              for (JsonNode d : v) {
                byFields &= d.isIntegralNumber() && Math.abs(d.asInt()) == 1;
              }
            }
            if (!direction && !byFields) {
              throw new InvalidUpdateException(
                  "$sort for '" + path + "' takes 1, -1 or {field: 1|-1, ...}");
            }
            sort = v;
          }
          default ->
              throw new InvalidUpdateException(
                  "unknown $push modifier " + m.getKey() + " for '" + path + "'");
        }
      }
      List<JsonNode> values = new ArrayList<>();
      arg.get("$each").forEach(values::add);
      return new Push(values, position, sort, slice);
    }

    ArrayNode apply(ArrayNode target) {
      List<JsonNode> items = new ArrayList<>();
      target.forEach(items::add);
      int at = items.size();
      if (position != null) {
        at =
            position >= 0 ? Math.min(position, items.size()) : Math.max(0, items.size() + position);
      }
      List<JsonNode> copies = new ArrayList<>();
      values.forEach(v -> copies.add(v.deepCopy()));
      items.addAll(at, copies);
      if (sort != null) {
        items.sort(sortOrder(sort));
      }
      if (slice != null) {
        int n = items.size();
        items =
            slice >= 0
                ? new ArrayList<>(items.subList(0, Math.min(slice, n)))
                : new ArrayList<>(items.subList(Math.max(0, n + slice), n));
      }
      ArrayNode out = NODES.arrayNode();
      items.forEach(out::add);
      return out;
    }
  }

  private static Comparator<JsonNode> sortOrder(JsonNode sort) {
    if (sort.isNumber()) {
      Comparator<JsonNode> c = ValueOrder::compare;
      return sort.asInt() == 1 ? c : c.reversed();
    }
    Comparator<JsonNode> order = (a, b) -> 0;
    for (Map.Entry<String, JsonNode> f : DocumentPath.fields(sort)) {
      String field = f.getKey();
      Comparator<JsonNode> byField =
          (a, b) -> ValueOrder.compare(DocumentPath.at(a, field), DocumentPath.at(b, field));
      order = order.thenComparing(f.getValue().asInt() == 1 ? byField : byField.reversed());
    }
    return order;
  }

  // ---- arithmetic ----

  private static JsonNode zeroLike(JsonNode n) {
    return n.isIntegralNumber() ? NODES.numberNode(0) : NODES.numberNode(0.0);
  }

  private static JsonNode add(JsonNode a, JsonNode b, String path) {
    if (a.isIntegralNumber()
        && b.isIntegralNumber()
        && a.canConvertToLong()
        && b.canConvertToLong()) {
      try {
        return integral(Math.addExact(a.longValue(), b.longValue()));
      } catch (ArithmeticException e) {
        throw new InvalidUpdateException("$inc of '" + path + "' overflows a 64-bit integer");
      }
    }
    return NODES.numberNode(a.doubleValue() + b.doubleValue());
  }

  private static JsonNode multiply(JsonNode a, JsonNode b, String path) {
    if (a.isIntegralNumber()
        && b.isIntegralNumber()
        && a.canConvertToLong()
        && b.canConvertToLong()) {
      try {
        return integral(Math.multiplyExact(a.longValue(), b.longValue()));
      } catch (ArithmeticException e) {
        throw new InvalidUpdateException("$mul of '" + path + "' overflows a 64-bit integer");
      }
    }
    return NODES.numberNode(a.doubleValue() * b.doubleValue());
  }

  private static JsonNode integral(long v) {
    return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
  }
}
