package dev.cairn.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidDocumentException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks of everything a user hands to a store, before anything is written. */
public final class Validation {
  /** The longest id, in UTF-8 bytes. */
  public static final int MAX_ID_BYTES = 512;

  /** How deep objects and arrays may nest in a value, as in MongoDB. */
  public static final int MAX_DEPTH = 100;

  private static final Pattern REV = Pattern.compile("[1-9][0-9]{0,8}-[0-9a-f]{32}");

  private Validation() {}

  /**
   * Checks a document id: 1 to {@value #MAX_ID_BYTES} UTF-8 bytes, no control characters (NUL
   * included), no {@code /} or {@code \}, not {@code .} or {@code ..}, and not starting with {@code
   * _}, which is reserved for Cairn's own records.
   */
  public static String id(String id) {
    if (id == null || id.isEmpty()) {
      throw new InvalidDocumentException("id must not be empty");
    }
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ID_BYTES) {
      throw new InvalidDocumentException(
          "id is " + bytes + " bytes long; the limit is " + MAX_ID_BYTES + " bytes (UTF-8)");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new InvalidDocumentException(
            "id must not contain control characters; found U+%04X at index %d in %s"
                .formatted((int) c, i, quote(id)));
      }
      if (c == '/' || c == '\\') {
        throw new InvalidDocumentException(
            "id must not contain '/' or '\\'; got " + quote(id) + " (index " + i + ")");
      }
      if (Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c)
              && i + 1 < id.length()
              && Character.isLowSurrogate(id.charAt(++i)))) {
        throw new InvalidDocumentException("id is not valid Unicode: lone surrogate at index " + i);
      }
    }
    if (id.equals(".") || id.equals("..")) {
      throw new InvalidDocumentException("id must not be '.' or '..'");
    }
    if (id.charAt(0) == '_') {
      throw new InvalidDocumentException(
          "ids starting with '_' are reserved for Cairn; got " + quote(id));
    }
    return id;
  }

  /** Checks a revision id: {@code generation-hash}, with 32 lower-case hex digits of hash. */
  public static String rev(String rev) {
    if (rev == null || !REV.matcher(rev).matches()) {
      throw new InvalidDocumentException(
          "_rev must look like '3-' followed by 32 hex digits; got "
              + (rev == null ? "nothing" : quote(rev)));
    }
    return rev;
  }

  /**
   * Checks a document body and returns its id: {@code _id} (if present) is a valid id, {@code _rev}
   * (if present) a valid revision, and no other member name starts with {@code _}.
   */
  public static void body(ObjectNode doc) {
    value(doc, "document");
    for (Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (name.startsWith("_") && !name.equals("_id") && !name.equals("_rev")) {
        throw new InvalidDocumentException(
            "member names starting with '_' are reserved (only _id and _rev are allowed); got "
                + quote(name));
      }
    }
    JsonNode rev = doc.get("_rev");
    if (rev != null && !rev.isNull()) {
      if (!rev.isTextual()) {
        throw new InvalidDocumentException("_rev must be a string; got " + Json.kind(rev));
      }
      rev(rev.asText());
    }
  }

  /**
   * Checks that a value is one Cairn can keep exactly: nested at most {@link #MAX_DEPTH} levels,
   * every number a finite double (a number too large or too small for one is refused, never rounded
   * to infinity or zero), every string and name valid Unicode (no lone surrogate). Walks without
   * recursion, so that any depth is refused rather than overflowing the stack.
   *
   * @param what what the value is, for the message
   */
  public static void value(JsonNode root, String what) {
    java.util.ArrayDeque<JsonNode> nodes = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<Integer> depths = new java.util.ArrayDeque<>();
    nodes.push(root);
    depths.push(root.isContainerNode() ? 1 : 0);
    while (!nodes.isEmpty()) {
      JsonNode node = nodes.pop();
      int depth = depths.pop();
      if (depth > MAX_DEPTH) {
        throw new InvalidDocumentException(
            what + " is nested more than " + MAX_DEPTH + " levels deep");
      }
      if (node.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          unicode(f.getKey(), what);
          nodes.push(f.getValue());
          depths.push(f.getValue().isContainerNode() ? depth + 1 : depth);
        }
      } else if (node.isArray()) {
        for (JsonNode element : node) {
          nodes.push(element);
          depths.push(element.isContainerNode() ? depth + 1 : depth);
        }
      } else if (node.isTextual()) {
        unicode(node.textValue(), what);
      } else if (node.isNumber() && !node.isIntegralNumber()) {
        double d = node.doubleValue();
        if (!Double.isFinite(d)) {
          throw new InvalidDocumentException(
              what + " has a number beyond what a double holds: " + shown(node));
        }
        if (d == 0 && node.isBigDecimal() && node.decimalValue().signum() != 0) {
          throw new InvalidDocumentException(
              what + " has a number too small for a double, which would become 0: " + shown(node));
        }
      }
    }
  }

  private static String shown(JsonNode number) {
    String text = number.isBigDecimal() ? number.decimalValue().toString() : number.asText();
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }

  private static void unicode(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < s.length()
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          throw new InvalidDocumentException(
              what + " is not valid Unicode: a lone surrogate at index " + i + " of a string");
        }
      }
    }
  }

  /** The {@code _id} of {@code doc}, validated; fails if it has none. */
  public static String idOf(ObjectNode doc) {
    JsonNode id = doc.get("_id");
    if (id == null || id.isNull()) {
      throw new InvalidDocumentException("document has no _id");
    }
    if (!id.isTextual()) {
      throw new InvalidDocumentException("_id must be a string; got " + Json.kind(id));
    }
    return id(id.asText());
  }

  /** The {@code _rev} of {@code doc}, validated, or null if it has none. */
  public static String revOf(ObjectNode doc) {
    JsonNode rev = doc.get("_rev");
    if (rev == null || rev.isNull()) {
      return null;
    }
    if (!rev.isTextual()) {
      throw new InvalidDocumentException("_rev must be a string; got " + Json.kind(rev));
    }
    return rev(rev.asText());
  }

  public static String quote(String s) {
    String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    StringBuilder b = new StringBuilder("'");
    for (char c : shown.toCharArray()) {
      if (c < 0x20 || c == 0x7f) {
        b.append("\\u%04x".formatted((int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('\'').toString();
  }
}
