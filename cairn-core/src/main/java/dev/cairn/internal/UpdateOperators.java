package dev.cairn.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * MongoDB update operators applied to a JSON document: {@code $set}, {@code $unset}, {@code $inc},
 * {@code $mul}, {@code $min}, {@code $max}, {@code $rename}, {@code $currentDate}, {@code $push}
 * (with {@code $each}, {@code $position}, {@code $sort}, {@code $slice}), {@code $addToSet} (with
 * {@code $each}), {@code $pop}, {@code $pull} (values and query conditions), {@code $pullAll} and
 * {@code $bit}, with dot paths, array indexes and the all-positional {@code $[]}.
 *
 * <p>An update is applied to a copy and returned; if any part of it fails, the whole update is
 * rejected with an {@link InvalidUpdateException} and the document is untouched. As in MongoDB, the
 * fields of one operator are applied in lexicographic order (numeric names in numeric order), an
 * operator with an empty argument does nothing, and no two paths of one update may be the same or
 * one a prefix of the other. JSON has no dates: {@code $currentDate} writes an ISO-8601 UTC string
 * for {@code "date"} (and {@code true}) and epoch milliseconds for {@code "timestamp"}. The members
 * {@code _id} and {@code _rev} cannot be changed.
 */
public final class UpdateOperators {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> OPERATORS =
      Set.of(
          "$set",
          "$unset",
          "$inc",
          "$mul",
          "$min",
          "$max",
          "$rename",
          "$currentDate",
          "$push",
          "$addToSet",
          "$pop",
          "$pull",
          "$pullAll",
          "$bit");
  private static final String ALL = "$[]";

  private UpdateOperators() {}

  /** Applies {@code update} to a copy of {@code doc} and returns the copy. */
  public static ObjectNode apply(ObjectNode doc, JsonNode update, Clock clock) {
    validate(update);
    return applyValidated(doc, update, clock);
  }

  /** {@link #apply} for an update that has passed {@link #validate} already. */
  public static ObjectNode applyValidated(ObjectNode doc, JsonNode update, Clock clock) {
    ObjectNode copy = doc.deepCopy();
    for (Map.Entry<String, JsonNode> op : fields(update)) {
      for (Map.Entry<String, JsonNode> field : sortedFields(op.getValue())) {
        applyOne(copy, op.getKey(), field.getKey(), field.getValue(), clock);
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
    for (Map.Entry<String, JsonNode> op : fields(update)) {
      String name = op.getKey();
      if (!OPERATORS.contains(name)) {
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
      for (Map.Entry<String, JsonNode> field : fields(op.getValue())) {
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
      int all = path.indexOf(ALL);
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
    return path.isEmpty() ? node : atOrMissing(node, path);
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
      if (part.startsWith("$") && !part.equals(ALL)) {
        throw new InvalidUpdateException(
            op
                + ": the path '"
                + path
                + "' has '"
                + part
                + "'; only the positional $[] is supported");
      }
    }
    if (op.equals("$rename") && path.contains(ALL)) {
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

  private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    node.fields().forEachRemaining(out::add);
    return out;
  }

  /** Fields in MongoDB's order: numeric names numerically, then the others lexicographically. */
  private static List<Map.Entry<String, JsonNode>> sortedFields(JsonNode node) {
    List<Map.Entry<String, JsonNode>> out = fields(node);
    out.sort(
        Comparator.comparing(
            (Map.Entry<String, JsonNode> e) -> e.getKey(),
            (x, y) -> {
              boolean nx = isIndex(x);
              boolean ny = isIndex(y);
              if (nx && ny) {
                return new BigDecimal(x).compareTo(new BigDecimal(y));
              }
              return nx ? -1 : ny ? 1 : x.compareTo(y);
            }));
    return out;
  }

  /** MongoDB's bound on the nulls an update may pad an array with, checked before padding. */
  static final int MAX_PADDING = 1_500_000;

  private static boolean isIndex(String part) {
    if (part.isEmpty() || part.length() > 9) {
      return false;
    }
    for (int i = 0; i < part.length(); i++) {
      if (!Character.isDigit(part.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  // ---- navigation ----

  /** A place in the document: a member of an object or an element of an array. */
  private record Slot(JsonNode container, String key) {
    JsonNode get() {
      if (container instanceof ObjectNode o) {
        return o.get(key);
      }
      ArrayNode a = (ArrayNode) container;
      int i = Integer.parseInt(key);
      return i < a.size() ? a.get(i) : null;
    }

    void set(JsonNode value) {
      if (container instanceof ObjectNode o) {
        o.set(key, value);
        return;
      }
      ArrayNode a = (ArrayNode) container;
      int i = Integer.parseInt(key);
      if (i - a.size() > MAX_PADDING) {
        throw new InvalidUpdateException(
            "can't backfill more than %d elements: index %d of an array of %d"
                .formatted(MAX_PADDING, i, a.size()));
      }
      while (a.size() <= i) {
        a.addNull(); // MongoDB pads with null up to the index
      }
      a.set(i, value);
    }

    void remove() {
      if (container instanceof ObjectNode o) {
        o.remove(key);
      } else {
        int i = Integer.parseInt(key);
        ArrayNode a = (ArrayNode) container;
        if (i < a.size()) {
          a.set(i, NODES.nullNode()); // $unset of an element leaves null, as in MongoDB
        }
      }
    }
  }

  /**
   * The slots a path names. With {@code create}, missing objects on the way are created; without, a
   * path through something missing names no slot.
   */
  private static List<Slot> resolve(ObjectNode root, String op, String path, boolean create) {
    String[] parts = path.split("\\.");
    List<JsonNode> current = new ArrayList<>(List.of(root));
    for (int p = 0; p < parts.length - 1; p++) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : current) {
        next.addAll(step(node, parts, p, op, path, create));
      }
      current = next;
    }
    String last = parts[parts.length - 1];
    List<Slot> slots = new ArrayList<>();
    for (JsonNode node : current) {
      if (last.equals(ALL)) {
        if (!node.isArray()) {
          throw new InvalidUpdateException(op + ": $[] in '" + path + "' needs an array");
        }
        for (int i = 0; i < node.size(); i++) {
          slots.add(new Slot(node, Integer.toString(i)));
        }
      } else if (node.isObject()) {
        slots.add(new Slot(node, last));
      } else if (node.isArray() && isIndex(last)) {
        slots.add(new Slot(node, last));
      } else if (create) {
        throw cannotCreate(op, path, last, node);
      }
    }
    return slots;
  }

  private static List<JsonNode> step(
      JsonNode node, String[] parts, int p, String op, String path, boolean create) {
    String part = parts[p];
    if (part.equals(ALL)) {
      if (!node.isArray()) {
        if (!create) {
          return List.of();
        }
        throw new InvalidUpdateException(op + ": $[] in '" + path + "' needs an array");
      }
      List<JsonNode> all = new ArrayList<>();
      node.forEach(all::add);
      return all;
    }
    JsonNode child;
    if (node.isObject()) {
      child = node.get(part);
      if (child == null || (child.isNull() && create)) {
        if (!create) {
          return List.of();
        }
        child = NODES.objectNode();
        ((ObjectNode) node).set(part, child);
      }
    } else if (node.isArray() && isIndex(part)) {
      int i = Integer.parseInt(part);
      child = i < node.size() ? node.get(i) : null;
      if (child == null || (child.isNull() && create)) {
        if (!create) {
          return List.of();
        }
        child = NODES.objectNode();
        new Slot(node, part).set(child);
      }
    } else {
      if (!create) {
        return List.of();
      }
      throw cannotCreate(op, path, part, node);
    }
    return List.of(child);
  }

  private static InvalidUpdateException cannotCreate(
      String op, String path, String part, JsonNode in) {
    return new InvalidUpdateException(
        "%s: cannot create field '%s' of '%s' in element %s".formatted(op, part, path, in));
  }

  // ---- the operators ----

  private static void applyOne(ObjectNode doc, String op, String path, JsonNode arg, Clock clock) {
    switch (op) {
      case "$set" -> resolve(doc, op, path, true).forEach(s -> s.set(arg.deepCopy()));
      case "$unset" -> resolve(doc, op, path, false).forEach(Slot::remove);
      case "$inc", "$mul" -> {
        if (!arg.isNumber()) {
          throw new InvalidUpdateException(
              op + " needs a number for '" + path + "', got " + Json.kind(arg));
        }
        for (Slot s : resolve(doc, op, path, true)) {
          JsonNode now = s.get();
          if (now != null && !now.isNumber()) {
            throw new InvalidUpdateException(
                "cannot apply %s to '%s': it holds %s, not a number"
                    .formatted(op, path, Json.kind(now)));
          }
          JsonNode base =
              now == null ? (op.equals("$inc") ? NODES.numberNode(0) : zeroLike(arg)) : now;
          s.set(op.equals("$inc") ? add(base, arg, path) : multiply(base, arg, path));
        }
      }
      case "$min", "$max" -> {
        for (Slot s : resolve(doc, op, path, true)) {
          JsonNode now = s.get();
          int c = now == null ? 0 : compare(arg, now);
          if (now == null || (op.equals("$min") ? c < 0 : c > 0)) {
            s.set(arg.deepCopy());
          }
        }
      }
      case "$rename" -> {
        List<Slot> from = resolve(doc, op, path, false);
        if (from.isEmpty() || from.get(0).get() == null) {
          return; // a missing source renames nothing
        }
        Slot source = from.get(0);
        if (source.container().isArray()) {
          throw new InvalidUpdateException("$rename source '" + path + "' is an array element");
        }
        JsonNode value = source.get();
        List<Slot> to = resolve(doc, op, arg.asText(), true);
        if (to.get(0).container().isArray()) {
          throw new InvalidUpdateException(
              "$rename target '" + arg.asText() + "' is an array element");
        }
        source.remove();
        to.get(0).set(value);
      }
      case "$currentDate" -> {
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
            timestamp
                ? NODES.numberNode(clock.millis())
                : NODES.textNode(clock.instant().toString());
        resolve(doc, op, path, true).forEach(s -> s.set(now));
      }
      case "$push" -> {
        Push push = Push.parse(path, arg);
        for (Slot s : resolve(doc, op, path, true)) {
          s.set(push.apply(array(op, path, s.get())));
        }
      }
      case "$addToSet" -> {
        List<JsonNode> values = eachOrOne(op, path, arg);
        for (Slot s : resolve(doc, op, path, true)) {
          ArrayNode a = array(op, path, s.get());
          for (JsonNode v : values) {
            boolean present = false;
            for (JsonNode e : a) {
              present |= equal(e, v, true);
            }
            if (!present) {
              a.add(v.deepCopy());
            }
          }
          s.set(a);
        }
      }
      case "$pop" -> {
        if (!arg.isNumber() || (arg.asDouble() != 1 && arg.asDouble() != -1)) {
          throw new InvalidUpdateException("$pop expects 1 or -1 for '" + path + "', found " + arg);
        }
        for (Slot s : resolve(doc, op, path, false)) {
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
      case "$pull", "$pullAll" -> {
        if (op.equals("$pullAll") && !arg.isArray()) {
          throw new InvalidUpdateException(
              "$pullAll needs an array for '" + path + "', got " + Json.kind(arg));
        }
        for (Slot s : resolve(doc, op, path, false)) {
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
                remove |= equal(e, v, false);
              }
            } else {
              remove = pulls(arg, e, path);
            }
            if (remove) {
              it.remove();
            }
          }
        }
      }
      case "$bit" -> {
        if (!arg.isObject() || arg.isEmpty()) {
          throw new InvalidUpdateException(
              "$bit for '" + path + "' takes {\"and\"|\"or\"|\"xor\": integer}");
        }
        for (Slot s : resolve(doc, op, path, true)) {
          JsonNode now = s.get();
          if (now != null && !now.isIntegralNumber()) {
            throw new InvalidUpdateException(
                "cannot apply $bit to '"
                    + path
                    + "': it holds "
                    + Json.kind(now)
                    + ", not an integer");
          }
          long value = now == null ? 0 : now.asLong();
          for (Map.Entry<String, JsonNode> bit : fields(arg)) {
            if (!bit.getValue().isIntegralNumber()) {
              throw new InvalidUpdateException("$bit " + bit.getKey() + " needs an integer");
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
      default -> throw new IllegalStateException(op);
    }
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
      for (Map.Entry<String, JsonNode> m : fields(arg)) {
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
      Comparator<JsonNode> c = UpdateOperators::compare;
      return sort.asInt() == 1 ? c : c.reversed();
    }
    Comparator<JsonNode> order = (a, b) -> 0;
    for (Map.Entry<String, JsonNode> f : fields(sort)) {
      String field = f.getKey();
      Comparator<JsonNode> byField = (a, b) -> compare(at(a, field), at(b, field));
      order = order.thenComparing(f.getValue().asInt() == 1 ? byField : byField.reversed());
    }
    return order;
  }

  /** The value at a dot path of a node, or null (JSON null) where there is none. */
  private static JsonNode at(JsonNode node, String path) {
    JsonNode current = node;
    for (String part : path.split("\\.")) {
      if (current == null) {
        break;
      }
      current =
          current.isArray() && isIndex(part)
              ? current.get(Integer.parseInt(part))
              : current.get(part);
    }
    return current == null ? NODES.nullNode() : current;
  }

  // ---- $pull conditions ----

  private static boolean pulls(JsonNode condition, JsonNode element, String path) {
    if (condition.isObject() && !condition.isEmpty() && allOperators(condition)) {
      return matchesOperators(element, condition, path);
    }
    if (condition.isObject() && element.isObject()) {
      // a query applied to the element as if it were a document of its own
      for (Map.Entry<String, JsonNode> f : fields(condition)) {
        JsonNode value = element.isObject() ? atOrMissing(element, f.getKey()) : null;
        JsonNode c = f.getValue();
        boolean ok =
            c.isObject() && !c.isEmpty() && allOperators(c)
                ? matchesOperators(value, c, path)
                : value != null && equal(value, c, false);
        if (!ok) {
          return false;
        }
      }
      return true;
    }
    return equal(element, condition, false);
  }

  private static JsonNode atOrMissing(JsonNode node, String path) {
    JsonNode current = node;
    for (String part : path.split("\\.")) {
      if (current == null) {
        return null;
      }
      current =
          current.isArray() && isIndex(part)
              ? current.get(Integer.parseInt(part))
              : current.get(part);
    }
    return current;
  }

  private static boolean allOperators(JsonNode object) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      if (!it.next().startsWith("$")) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code value} (null when missing) meets every query operator of {@code ops}. */
  private static boolean matchesOperators(JsonNode value, JsonNode ops, String path) {
    for (Map.Entry<String, JsonNode> op : fields(ops)) {
      JsonNode arg = op.getValue();
      boolean ok =
          switch (op.getKey()) {
            case "$eq" -> value != null && equal(value, arg, false);
            case "$ne" -> value == null || !equal(value, arg, false);
            case "$gt" -> value != null && sameKind(value, arg) && compare(value, arg) > 0;
            case "$gte" -> value != null && sameKind(value, arg) && compare(value, arg) >= 0;
            case "$lt" -> value != null && sameKind(value, arg) && compare(value, arg) < 0;
            case "$lte" -> value != null && sameKind(value, arg) && compare(value, arg) <= 0;
            case "$in", "$nin" -> {
              if (!arg.isArray()) {
                throw new InvalidUpdateException(
                    op.getKey() + " in $pull of '" + path + "' needs an array");
              }
              boolean in = false;
              for (JsonNode candidate : arg) {
                in |= value != null && equal(value, candidate, false);
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
  private static boolean sameKind(JsonNode a, JsonNode b) {
    return rank(a) == rank(b);
  }

  // ---- comparison, MongoDB's order over JSON types ----

  private static int rank(JsonNode n) {
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

  /** MongoDB's order: null, numbers, strings, objects, arrays, booleans; then by value. */
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
        return a.asText().compareTo(b.asText());
      case 4:
        {
          Iterator<Map.Entry<String, JsonNode>> x = a.fields();
          Iterator<Map.Entry<String, JsonNode>> y = b.fields();
          while (x.hasNext() && y.hasNext()) {
            Map.Entry<String, JsonNode> ex = x.next();
            Map.Entry<String, JsonNode> ey = y.next();
            int c = compare(ex.getValue(), ey.getValue());
            if (c == 0) {
              c = ex.getKey().compareTo(ey.getKey());
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
