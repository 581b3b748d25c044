package dev.cairn.shared;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import dev.cairn.StoreFormatException;
import dev.cairn.engine.ConditionalAppend;
import dev.cairn.engine.LogKind;
import dev.cairn.engine.Retention;
import dev.cairn.json.Json;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import dev.cairn.update.UpdateOperators;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The log of a shared object and its reduction. The log under key {@code _shared/<name>} holds
 * three kinds of entry, each a JSON object:
 *
 * <ul>
 *   <li>{@code {"k":"init","state":{..}}}: the defaults; only the first one counts.
 *   <li>{@code {"k":"patch","id":"<writer>:<n>","at":millis,"base":v,"u":{..}}}: MongoDB update
 *       operators. {@code at} fixes {@code $currentDate} so that every replica computes the same
 *       value; {@code base}, if present, makes the patch conditional on the version its sender saw.
 *       A writer numbers its patches 1, 2, ...; a number already applied is a resend and ignored.
 *   <li>{@code {"k":"snap","v":..,"state":..,"writers":{..},"recent":[..]}}: the whole reduction at
 *       that point, written by compaction so that it can drop what precedes it.
 * </ul>
 *
 * The reduction is deterministic: every process that applies the same log gets the same state,
 * version and verdicts, which is what lets a patch be rejected "in every process alike".
 */
public final class SharedLog {
  /**
   * The retention of shared objects' logs: before compaction every log that does not end with a
   * snapshot of its reduction gets one, and compaction keeps each log from its last snapshot on.
   */
  public static final Retention RETENTION =
      new Retention() {
        @Override
        public List<LogEntry> kept(List<LogEntry> log) {
          for (int i = log.size() - 1; i > 0; i--) {
            if (isSnapshot(log.get(i).payload())) {
              return log.subList(i, log.size()); // what precedes it is in the snapshot
            }
          }
          return log;
        }

        @Override
        public void prepare(Backend backend) {
          for (String key : backend.keys(LogKind.SHARED_OBJECT.prefix())) {
            ConditionalAppend.run(
                backend,
                key,
                () -> {
                  List<LogEntry> entries = backend.read(key, 0);
                  if (entries.isEmpty() || isSnapshot(entries.get(entries.size() - 1).payload())) {
                    return ConditionalAppend.Attempt.done(null);
                  }
                  State state = new State();
                  entries.forEach(state::apply);
                  return ConditionalAppend.Attempt.append(
                      state.head(), List.of(state.snapshot()), null);
                });
          }
        }
      };

  /** How many accepted patches a conditional patch may lag behind and still be judged. */
  static final int RECENT = 1000;

  private SharedLog() {}

  public static byte[] init(ObjectNode defaults) {
    ObjectNode e = Json.MAPPER.createObjectNode();
    e.put("k", "init");
    e.set("state", defaults);
    return bytes(e);
  }

  public static byte[] patch(String id, long at, long base, JsonNode update) {
    ObjectNode e = Json.MAPPER.createObjectNode();
    e.put("k", "patch");
    e.put("id", id);
    e.put("at", at);
    if (base >= 0) {
      e.put("base", base);
    }
    e.set("u", update);
    return bytes(e);
  }

  /** The id of a patch entry, or null for other kinds. */
  public static String patchId(byte[] payload) {
    JsonNode id = Json.readStored(payload, 0, payload.length).get("id");
    return id == null ? null : id.asText();
  }

  /** Whether a log's entry is a snapshot (compaction keeps a log from its last one on). */
  public static boolean isSnapshot(byte[] payload) {
    return "snap".equals(Json.readStored(payload, 0, payload.length).path("k").asText());
  }

  private static byte[] bytes(ObjectNode e) {
    try {
      return Json.MAPPER.writeValueAsBytes(e);
    } catch (JsonProcessingException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /**
   * What became of one patch entry.
   *
   * @param id the patch's id
   * @param version the object's version after it (unchanged if it was rejected)
   * @param state the object's state after it; never modified
   * @param invalid why it could not apply, or null
   * @param stale whether it was conditional and the paths it touches changed since its base
   */
  public record Outcome(String id, long version, ObjectNode state, String invalid, boolean stale) {
    public boolean accepted() {
      return invalid == null && !stale;
    }
  }

  private record Touched(long version, List<String> paths) {}

  /** A shared object reduced from its log. Not thread-safe. */
  public static final class State {
    private long head;
    private long version;
    private ObjectNode value = Json.MAPPER.createObjectNode();
    private boolean initialized;
    private final Map<String, Long> writers = new HashMap<>();
    private final ArrayDeque<Touched> recent = new ArrayDeque<>();

    /** The sequence number of the last entry applied. */
    public long head() {
      return head;
    }

    public long version() {
      return version;
    }

    /** The current state; callers must not modify it. */
    public ObjectNode value() {
      return value;
    }

    /**
     * Applies one entry that follows the head.
     *
     * @return the outcome if it was a patch applied for the first time, else null
     */
    public Outcome apply(LogEntry entry) {
      head = entry.seq();
      ObjectNode e = Json.readStored(entry.payload(), 0, entry.payload().length);
      switch (e.path("k").asText()) {
        case "init" -> {
          if (!initialized) {
            value = (ObjectNode) e.get("state");
            initialized = true;
          }
          return null;
        }
        case "snap" -> {
          load(e);
          return null;
        }
        case "patch" -> {
          return patch(e);
        }
        default ->
            throw new StoreFormatException("unknown shared-object entry at seq " + entry.seq());
      }
    }

    private Outcome patch(ObjectNode e) {
      initialized = true;
      String id = e.get("id").asText();
      int colon = id.lastIndexOf(':');
      String writer = id.substring(0, colon);
      long n = Long.parseLong(id.substring(colon + 1));
      Long last = writers.get(writer);
      if (last != null && n <= last) {
        return null;
      }
      writers.put(writer, n);
      JsonNode update = e.get("u");
      long base = e.has("base") ? e.get("base").asLong() : -1;
      try {
        List<String> paths = UpdateOperators.validate(update);
        if (base >= 0 && changedSince(base, paths)) {
          return new Outcome(id, version, value, null, true);
        }
        Clock at = Clock.fixed(Instant.ofEpochMilli(e.get("at").asLong()), ZoneOffset.UTC);
        value = UpdateOperators.applyValidated(value, update, at);
        version++;
        recent.addLast(new Touched(version, paths));
        if (recent.size() > RECENT) {
          recent.removeFirst();
        }
        return new Outcome(id, version, value, null, false);
      } catch (InvalidUpdateException ex) {
        return new Outcome(id, version, value, ex.getMessage(), false);
      }
    }

    /** Whether a patch of {@code paths} based on {@code base} would overwrite a newer change. */
    private boolean changedSince(long base, List<String> paths) {
      if (base >= version) {
        return false;
      }
      if (version - base > recent.size()) {
        return true; // too old to judge: treated as stale, the safe side
      }
      for (Iterator<Touched> it = recent.descendingIterator(); it.hasNext(); ) {
        Touched t = it.next();
        if (t.version() <= base) {
          break;
        }
        for (String a : t.paths()) {
          for (String b : paths) {
            if (UpdateOperators.overlap(a, b)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    /** The whole reduction as a snapshot entry. */
    public byte[] snapshot() {
      ObjectNode e = Json.MAPPER.createObjectNode();
      e.put("k", "snap");
      e.put("v", version);
      e.set("state", value);
      ObjectNode w = e.putObject("writers");
      writers.forEach(w::put);
      ArrayNode r = e.putArray("recent");
      for (Touched t : recent) {
        ArrayNode one = r.addArray();
        one.add(t.version());
        ArrayNode paths = one.addArray();
        t.paths().forEach(paths::add);
      }
      return bytes(e);
    }

    private void load(ObjectNode e) {
      version = e.get("v").asLong();
      value = (ObjectNode) e.get("state");
      initialized = true;
      writers.clear();
      e.get("writers")
          .fields()
          .forEachRemaining(f -> writers.put(f.getKey(), f.getValue().asLong()));
      recent.clear();
      for (JsonNode t : e.get("recent")) {
        List<String> paths = new java.util.ArrayList<>();
        t.get(1).forEach(p -> paths.add(p.asText()));
        recent.addLast(new Touched(t.get(0).asLong(), paths));
      }
    }
  }
}
