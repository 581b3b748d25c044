package dev.cairn.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Dot paths in a document, as MongoDB's update operators walk them: names of object members,
 * indexes of array elements, and {@code $[]} for every element; slots to read, set and remove.
 */
final class DocumentPath {
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final String ALL = "$[]";

  private DocumentPath() {}

  /** MongoDB's bound on the nulls an update may pad an array with, checked before padding. */
  static final int MAX_PADDING = 1_500_000;

  static boolean isIndex(String part) {
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
  record Slot(JsonNode container, String key) {
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
  static List<Slot> resolve(ObjectNode root, String op, String path, boolean create) {
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

  static List<JsonNode> step(
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
      if (child == null) {
        if (!create) {
          return List.of();
        }
        child = NODES.objectNode();
        ((ObjectNode) node).set(part, child);
      }
    } else if (node.isArray() && isIndex(part)) {
      int i = Integer.parseInt(part);
      child = i < node.size() ? node.get(i) : null;
      if (child == null) {
        if (!create) {
          return List.of();
        }
        child = NODES.objectNode(); // past the end: padded with nulls up to it, as MongoDB does
        new Slot(node, part).set(child);
      }
    } else {
      if (!create) {
        return List.of();
      }
      throw cannotCreate(op, path, part, node);
    }
    if (child.isNull() && create) {
      // MongoDB never writes through a null: a field cannot be created in it (PathNotViable)
      throw new InvalidUpdateException(
          "%s: Cannot create field '%s' in element {%s: null}".formatted(op, parts[p + 1], part));
    }
    return List.of(child);
  }

  static InvalidUpdateException cannotCreate(String op, String path, String part, JsonNode in) {
    return new InvalidUpdateException(
        "%s: cannot create field '%s' of '%s' in element %s"
            .formatted(op, part, path, dev.cairn.json.Json.write(in)));
  }

  /** The value at a dot path of a node, or null (JSON null) where there is none. */
  static JsonNode at(JsonNode node, String path) {
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

  static JsonNode atOrMissing(JsonNode node, String path) {
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

  /** The members of an object, in order. */
  static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    node.fields().forEachRemaining(out::add);
    return out;
  }
}
