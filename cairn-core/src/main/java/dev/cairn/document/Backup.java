package dev.cairn.document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidDocumentException;
import dev.cairn.engine.ConditionalAppend;
import dev.cairn.engine.LogKind;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The faithful backup's format: a store's logs as JSON objects, one per entry. A document's
 * revision is the document with its revision id, parent and deletion flag ({@code {"_id", "_rev",
 * "_parent", "_deleted", ...body}}); an entry of a shared object's or an oplog's log is {@code
 * {"_log": key, "_entry": base64}}. Replication checkpoints are not backed up: they describe this
 * store's dealings with others, and a store without them simply replicates from the start.
 */
public final class Backup {
  private static final Set<String> REVISION_FIELDS = Set.of("_id", "_rev", "_parent", "_deleted");

  private Backup() {}

  /** Whether a log of Cairn's own is part of a backup. */
  public static boolean isBackedUp(String key) {
    return LogKind.of(key).backedUpAsEntries();
  }

  /** A document's revision as a backup object. */
  public static ObjectNode revision(LogEntry e) {
    byte[] p = e.payload();
    RevisionEntry.Header h = RevisionEntry.header(p);
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("_id", e.key());
    out.put("_rev", h.rev());
    if (h.parent() != null) {
      out.put("_parent", h.parent());
    }
    if (h.deleted()) {
      out.put("_deleted", true);
    }
    out.setAll(Json.readStored(p, h.bodyOffset(), p.length - h.bodyOffset()));
    return out;
  }

  /** An entry of a shared object's or an oplog's log as a backup object. */
  public static ObjectNode entry(LogEntry e) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("_log", e.key());
    out.put("_entry", Base64.getEncoder().encodeToString(e.payload()));
    return out;
  }

  /**
   * What a backup holds, checked and encoded.
   *
   * @param revisions per document id, its revision entries in the order given
   * @param entries per log key, its entries in the order given
   */
  public record Parsed(Map<String, List<byte[]>> revisions, Map<String, List<byte[]>> entries) {}

  /**
   * Checks every object of a backup and encodes it.
   *
   * @throws InvalidDocumentException naming the first object (from 1) that is not valid
   */
  public static Parsed parse(List<ObjectNode> objects, int maxDocumentBytes) {
    Map<String, List<byte[]>> revisions = new LinkedHashMap<>();
    Map<String, List<byte[]>> entries = new LinkedHashMap<>();
    int n = 0;
    for (ObjectNode o : objects) {
      n++;
      try {
        if (o.has("_log")) {
          String key = o.path("_log").asText();
          entries.computeIfAbsent(key, k -> new ArrayList<>()).add(logEntry(o, key));
        } else {
          RevisionEntry r = revision(o, maxDocumentBytes);
          revisions.computeIfAbsent(o.get("_id").asText(), k -> new ArrayList<>()).add(r.encode());
        }
      } catch (InvalidDocumentException | IllegalArgumentException e) {
        throw new InvalidDocumentException("object " + n + ": " + e.getMessage(), e);
      }
    }
    return new Parsed(revisions, entries);
  }

  private static RevisionEntry revision(ObjectNode o, int maxDocumentBytes) {
    String id = Validation.idOf(o);
    JsonNode rev = o.get("_rev");
    if (rev == null || !rev.isTextual()) {
      throw new InvalidDocumentException("revision of '" + id + "' has no _rev");
    }
    JsonNode parent = o.get("_parent");
    if (parent != null && !parent.isTextual()) {
      throw new InvalidDocumentException("_parent of '" + id + "' must be a revision id");
    }
    JsonNode deleted = o.get("_deleted");
    if (deleted != null && !deleted.isBoolean()) {
      throw new InvalidDocumentException("_deleted of '" + id + "' must be true or false");
    }
    ObjectNode body = Json.MAPPER.createObjectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!REVISION_FIELDS.contains(f.getKey())) {
        body.set(f.getKey(), f.getValue());
      }
    }
    Validation.body(body);
    byte[] canonical = Json.canonical(body);
    if (canonical.length > maxDocumentBytes) {
      throw new InvalidDocumentException(
          "revision %s of '%s' is %d bytes of JSON; the limit is %d bytes"
              .formatted(rev.asText(), id, canonical.length, maxDocumentBytes));
    }
    String parentRev = parent == null ? null : Validation.rev(parent.asText());
    boolean isDeleted = deleted != null && deleted.asBoolean();
    RevisionEntry made = RevisionEntry.create(parentRev, isDeleted, canonical);
    if (!made.rev().equals(Validation.rev(rev.asText()))) {
      // a revision written before RFC 8785 keeps its id, with its body in the old form
      made =
          RevisionEntry.create(
              parentRev, isDeleted, Json.legacyCanonical(body), RevisionEntry.LEGACY_FORMAT);
    }
    if (!made.rev().equals(Validation.rev(rev.asText()))) {
      throw new InvalidDocumentException(
          "revision %s of '%s' does not match its content (it was changed after export?)"
              .formatted(rev.asText(), id));
    }
    return made;
  }

  private static byte[] logEntry(ObjectNode o, String key) {
    if (!isBackedUp(key) || key.length() > 1024) {
      throw new InvalidDocumentException(
          "_log must name a log of a shared object or an oplog; got " + Validation.quote(key));
    }
    byte[] payload;
    try {
      payload = Base64.getDecoder().decode(o.path("_entry").asText(""));
    } catch (IllegalArgumentException e) {
      throw new InvalidDocumentException("_entry of " + key + " is not base64");
    }
    ObjectNode entry;
    try {
      entry = Json.readStored(payload, 0, payload.length);
    } catch (RuntimeException e) {
      throw new InvalidDocumentException("_entry of " + key + " is not a log entry");
    }
    if (entry == null || !LogKind.of(key).entryTypes().contains(entry.path("k").asText())) {
      throw new InvalidDocumentException("_entry of " + key + " is not a log entry of its kind");
    }
    return payload;
  }

  /**
   * Appends to {@code key}'s log the entries it does not hold already (the same bytes), in order,
   * in one append.
   *
   * @return how many were appended
   */
  public static long addMissing(Backend backend, String key, List<byte[]> payloads) {
    return ConditionalAppend.run(
        backend,
        key,
        () -> {
          long head = backend.head(key);
          Set<ByteBuffer> held = new HashSet<>();
          for (LogEntry e : backend.read(key, 0)) {
            held.add(ByteBuffer.wrap(e.payload()));
          }
          List<byte[]> missing = new ArrayList<>();
          for (byte[] p : payloads) {
            if (held.add(ByteBuffer.wrap(p))) {
              missing.add(p);
            }
          }
          return ConditionalAppend.Attempt.append(head, missing, (long) missing.size());
        });
  }
}
