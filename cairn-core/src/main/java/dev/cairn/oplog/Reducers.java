package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import dev.cairn.json.Json;
import dev.cairn.update.UpdateOperators;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** Reducers that need no code. */
public final class Reducers {
  private Reducers() {}

  /**
   * The reducer a type names without code: {@code counter}, {@code register}, {@code set} (an
   * {@linkplain #addWinsSet add-wins set}) and {@code document}; empty for any other type.
   */
  public static java.util.Optional<Reducer> builtIn(String type) {
    return java.util.Optional.ofNullable(
        switch (type) {
          case "counter" -> counter();
          case "register" -> register();
          case "set" -> addWinsSet();
          case "document" -> document();
          default -> null;
        });
  }

  /** A number; each payload is a number added to it (others are ignored). */
  public static Reducer counter() {
    return new Reducer() {
      @Override
      public JsonNode initial() {
        return Json.MAPPER.getNodeFactory().numberNode(0L);
      }

      @Override
      public JsonNode apply(JsonNode state, Operation op) {
        JsonNode by = op.payloadOrNull();
        if (!by.isNumber()) {
          return state;
        }
        if (state.isIntegralNumber() && by.isIntegralNumber()) {
          return Json.MAPPER
              .getNodeFactory()
              .numberNode(state.bigIntegerValue().add(by.bigIntegerValue()));
        }
        return Json.MAPPER.getNodeFactory().numberNode(state.decimalValue().add(by.decimalValue()));
      }
    };
  }

  /**
   * A last-writer-wins register: the payload of the operation last in the order (date, then sha) is
   * the value, whatever order operations arrive in; null until the first.
   */
  public static Reducer register() {
    return new Reducer() {
      @Override
      public JsonNode initial() {
        return Json.MAPPER.createObjectNode().put("date", Long.MIN_VALUE).put("sha", "");
      }

      @Override
      public JsonNode apply(JsonNode state, Operation op) {
        long date = state.get("date").asLong();
        String sha = state.get("sha").asText();
        if (op.date() < date || (op.date() == date && op.sha().compareTo(sha) <= 0)) {
          return state;
        }
        ObjectNode next =
            Json.MAPPER.createObjectNode().put("date", op.date()).put("sha", op.sha());
        next.set("value", op.payloadOrNull());
        return next;
      }

      @Override
      public JsonNode view(JsonNode state) {
        return state.has("value") ? state.get("value") : Json.MAPPER.nullNode();
      }
    };
  }

  /**
   * An add-wins set. A payload {@code {"add": x}} adds x, tagged with the operation's sha; {@code
   * {"remove": x, "observed": [sha, ...]}} removes the tags its writer had seen, so an add it had
   * not seen (made concurrently, or arriving late) keeps x in the set. {@link OplogClient} fills in
   * {@code observed} for a remove that has none. The value is the array of elements, in the order
   * of their canonical JSON.
   */
  public static Reducer addWinsSet() {
    return new AddWinsSet();
  }

  static final class AddWinsSet implements Reducer {
    @Override
    public JsonNode initial() {
      return Json.MAPPER.createObjectNode();
    }

    /** {@code payload} with the tags of x in {@code state} as observed, if it is a bare remove. */
    @Override
    public JsonNode payloadFor(JsonNode state, JsonNode payload) {
      if (payload == null || !payload.has("remove") || payload.has("observed")) {
        return payload;
      }
      ObjectNode filled = ((ObjectNode) payload).deepCopy();
      JsonNode entry = state.get(key(payload.get("remove")));
      filled.set("observed", entry == null ? Json.MAPPER.createArrayNode() : entry.get("tags"));
      return filled;
    }

    @Override
    public JsonNode apply(JsonNode state, Operation op) {
      JsonNode p = op.payloadOrNull();
      if (p.has("add")) {
        String key = key(p.get("add"));
        ObjectNode next = ((ObjectNode) state).deepCopy();
        ObjectNode entry = next.has(key) ? (ObjectNode) next.get(key) : next.putObject(key);
        entry.set("value", p.get("add"));
        (entry.has("tags") ? (ArrayNode) entry.get("tags") : entry.putArray("tags")).add(op.sha());
        return next;
      }
      if (p.has("remove") && p.path("observed").isArray()) {
        String key = key(p.get("remove"));
        if (!state.has(key)) {
          return state;
        }
        ObjectNode next = ((ObjectNode) state).deepCopy();
        ArrayNode tags = (ArrayNode) next.get(key).get("tags");
        for (Iterator<JsonNode> it = tags.elements(); it.hasNext(); ) {
          String tag = it.next().asText();
          for (JsonNode seen : p.get("observed")) {
            if (seen.asText().equals(tag)) {
              it.remove();
              break;
            }
          }
        }
        if (tags.isEmpty()) {
          next.remove(key);
        }
        return next;
      }
      return state;
    }

    @Override
    public JsonNode view(JsonNode state) {
      Map<String, JsonNode> sorted = new TreeMap<>();
      state.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue().get("value")));
      ArrayNode out = Json.MAPPER.createArrayNode();
      sorted.values().forEach(out::add);
      return out;
    }

    private String key(JsonNode element) {
      ObjectNode wrapper = Json.MAPPER.createObjectNode();
      wrapper.set("e", element);
      return new String(Json.canonical(wrapper), StandardCharsets.UTF_8);
    }
  }

  /**
   * A JSON document changed by MongoDB update operators (see docs/updates.md); an update that
   * cannot apply where it falls in the order changes nothing. {@code $currentDate} takes the
   * operation's date.
   */
  public static Reducer document() {
    return new Reducer() {
      @Override
      public JsonNode initial() {
        return Json.MAPPER.createObjectNode();
      }

      @Override
      public JsonNode apply(JsonNode state, Operation op) {
        try {
          return UpdateOperators.apply(
              (ObjectNode) state,
              op.payloadOrNull(),
              Clock.fixed(Instant.ofEpochMilli(op.date()), ZoneOffset.UTC));
        } catch (InvalidUpdateException e) {
          return state;
        }
      }
    };
  }
}
