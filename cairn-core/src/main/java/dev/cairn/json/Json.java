package dev.cairn.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidDocumentException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The one JSON configuration of Cairn, and the canonical form that revision hashes are taken over.
 */
public final class Json {
  /**
   * Strict reading (duplicate keys, trailing content refused), lenient conversion to user types.
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private static final JsonFactory FACTORY = MAPPER.getFactory();
  private static final ObjectReader TREE_READER = MAPPER.readerFor(JsonNode.class);

  /**
   * How user input is read: one JSON value and nothing after it, duplicate names refused, nesting
   * bounded, and numbers read exactly so that one a double cannot hold is refused, not rounded to
   * infinity or zero.
   */
  private static final ObjectReader INPUT_READER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(Validation.MAX_DEPTH).build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build()
          .readerFor(JsonNode.class);

  private Json() {}

  /** Parses JSON text that must be one object. */
  public static ObjectNode parseObject(String text) {
    JsonNode node = parse(text);
    if (node == null || !node.isObject()) {
      throw new InvalidDocumentException(
          "document must be a JSON object, got " + (node == null ? "nothing" : kind(node)));
    }
    return (ObjectNode) node;
  }

  /**
   * Parses JSON text from a user: exactly one value (trailing content is refused), checked as
   * {@link Validation#value} says, with its numbers as doubles.
   *
   * @throws InvalidDocumentException if it is not valid JSON or not a value Cairn keeps
   */
  public static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidDocumentException("expected JSON, got nothing");
    }
    JsonNode node;
    try {
      node = INPUT_READER.readTree(text);
    } catch (StreamConstraintsException e) {
      throw new InvalidDocumentException(
          "JSON nested more than " + Validation.MAX_DEPTH + " levels deep, or too long", e);
    } catch (JsonProcessingException e) {
      throw new InvalidDocumentException("not valid JSON: " + e.getOriginalMessage(), e);
    }
    Validation.value(node, "JSON");
    return doubles(node);
  }

  /** The same value with every decimal number as a double (checked before to fit one). */
  private static JsonNode doubles(JsonNode node) {
    if (node.isBigDecimal()) {
      return MAPPER.getNodeFactory().numberNode(node.doubleValue());
    }
    if (node.isContainerNode()) {
      java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>(List.of(node));
      while (!todo.isEmpty()) {
        JsonNode container = todo.pop();
        if (container instanceof ObjectNode o) {
          for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getValue().isBigDecimal()) {
              f.setValue(MAPPER.getNodeFactory().numberNode(f.getValue().doubleValue()));
            } else if (f.getValue().isContainerNode()) {
              todo.push(f.getValue());
            }
          }
        } else {
          com.fasterxml.jackson.databind.node.ArrayNode a =
              (com.fasterxml.jackson.databind.node.ArrayNode) container;
          for (int i = 0; i < a.size(); i++) {
            if (a.get(i).isBigDecimal()) {
              a.set(i, MAPPER.getNodeFactory().numberNode(a.get(i).doubleValue()));
            } else if (a.get(i).isContainerNode()) {
              todo.push(a.get(i));
            }
          }
        }
      }
    }
    return node;
  }

  /** Parses bytes Cairn wrote itself. */
  public static ObjectNode readStored(byte[] bytes, int offset, int length) {
    try {
      return (ObjectNode) TREE_READER.readTree(bytes, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException("stored document is not valid JSON", e);
    }
  }

  public static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /**
   * The canonical bytes of {@code node}, RFC 8785 (see {@link CanonicalJson}), with the members
   * named in {@code skipTopLevel} left out at the top level. Every replica computes the same bytes
   * for the same value, so revision hashes agree.
   */
  public static byte[] canonical(ObjectNode node, String... skipTopLevel) {
    return CanonicalJson.write(node, skipTopLevel);
  }

  /**
   * The canonical bytes of revision entries of format 1, before RFC 8785: members sorted by name,
   * Jackson's escapes, integers exact, other doubles as Java writes them ({@code 1.0E15}). Kept to
   * check the revisions of older stores in backups; nothing is written in it any more.
   */
  public static byte[] legacyCanonical(ObjectNode node, String... skipTopLevel) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      writeCanonical(gen, node, skipTopLevel);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeCanonical(JsonGenerator gen, JsonNode node, String[] skip)
      throws IOException {
    if (node.isObject()) {
      List<String> names = new ArrayList<>(node.size());
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!contains(skip, name)) {
          names.add(name);
        }
      }
      Collections.sort(names);
      gen.writeStartObject();
      for (String name : names) {
        gen.writeFieldName(name);
        writeCanonical(gen, node.get(name), NONE);
      }
      gen.writeEndObject();
    } else if (node.isArray()) {
      gen.writeStartArray();
      for (JsonNode element : node) {
        writeCanonical(gen, element, NONE);
      }
      gen.writeEndArray();
    } else if (node.isIntegralNumber()) {
      gen.writeNumber(node.bigIntegerValue());
    } else if (node.isNumber()) {
      double d = node.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        gen.writeNumber((long) d); // 1.0 and 1 are the same JSON number
      } else {
        gen.writeNumber(d);
      }
    } else {
      gen.writeTree(node);
    }
  }

  private static final String[] NONE = {};

  private static boolean contains(String[] names, String name) {
    for (String n : names) {
      if (n.equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** Converts a user value (a record, a POJO, a Map, a node) to an object node. */
  public static ObjectNode toObjectNode(Object value) {
    if (value instanceof ObjectNode node) {
      return node;
    }
    if (value instanceof String text) {
      return parseObject(text);
    }
    JsonNode node;
    try {
      node = MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidDocumentException("value cannot be converted to JSON: " + describe(e), e);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidDocumentException(
          "document must be a JSON object, got "
              + (node == null ? "nothing" : kind(node))
              + " from "
              + value.getClass().getName());
    }
    return (ObjectNode) node;
  }

  /** Converts a stored document to the caller's type. */
  public static <T> T convert(ObjectNode node, Class<T> type) {
    if (type == ObjectNode.class || type == JsonNode.class) {
      return type.cast(node);
    }
    if (type == Map.class) {
      return type.cast(MAPPER.convertValue(node, Map.class));
    }
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new InvalidDocumentException(
          "document cannot be read as " + type.getName() + ": " + describe(e), e);
    }
  }

  /**
   * What went wrong in Jackson, for a message: its own words, without its class names or the
   * location it appends.
   */
  public static String describe(Exception e) {
    Throwable t = e;
    while (t.getCause() != null && !(t instanceof JsonProcessingException)) {
      t = t.getCause();
    }
    String message =
        t instanceof JsonProcessingException j
            ? j.getOriginalMessage()
            : String.valueOf(t.getMessage());
    return message.replaceAll("`?(com\\.fasterxml|java\\.lang)\\.[\\w.$]*\\.(\\w+)`?", "$2");
  }

  /**
   * Compact JSON text of a node, members in their order, numbers and strings as RFC 8785 writes
   * them.
   */
  public static String write(JsonNode node) {
    return CanonicalJson.text(node);
  }

  static JsonParser parser(byte[] bytes) throws IOException {
    return FACTORY.createParser(bytes);
  }
}
