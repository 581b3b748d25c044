package dev.cairn.document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.ConflictException;
import dev.cairn.NotFoundException;
import dev.cairn.WriteMode;
import dev.cairn.document.RevisionTree.Leaf;
import dev.cairn.document.RevisionTree.Snapshot;
import dev.cairn.engine.Engine.Decision;
import dev.cairn.json.Json;
import dev.cairn.update.UpdateOperators;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What each write of a document decides on its revision tree: which revisions to append, or why not
 * (a {@link ConflictException} when the caller's revision is not the one the rules allow, a {@link
 * NotFoundException} when there is no document). {@code DocumentStore} validates the input and
 * hands these to the engine's write loop; each may run more than once, on a fresher tree.
 */
public final class Writes {
  private Writes() {}

  /** A new document; a conflict if one exists (a deleted one does not count). */
  public static Function<RevisionTree, Decision<String>> create(String id, byte[] body) {
    return tree -> {
      Snapshot s = tree.snapshot();
      if (s.exists()) {
        throw new ConflictException(
            id, s.winnerRev(), "document '" + id + "' already exists (rev " + s.winnerRev() + ")");
      }
      return append(RevisionEntry.create(s.winnerRev(), false, body));
    };
  }

  /** The next revision over the winner, whatever it is; nothing if the content is the same. */
  public static Function<RevisionTree, Decision<String>> upsert(byte[] body) {
    return tree -> {
      Snapshot s = tree.snapshot();
      if (s.exists() && s.winner().hasBody(body)) {
        return Decision.none(s.winnerRev());
      }
      return append(RevisionEntry.create(s.winnerRev(), false, body));
    };
  }

  /** A child of {@code rev}, if the write mode allows it (the winner; any live leaf too). */
  public static Function<RevisionTree, Decision<String>> update(
      String id, String rev, WriteMode mode, byte[] body) {
    return tree -> append(RevisionEntry.create(parentFor(id, rev, mode, tree), false, body));
  }

  /** A tombstone over the winner. */
  public static Function<RevisionTree, Decision<String>> delete(String id) {
    return tree -> append(RevisionEntry.tombstone(existing(id, tree).winnerRev()));
  }

  /** A tombstone over {@code rev}, if it is the winner. */
  public static Function<RevisionTree, Decision<String>> delete(String id, String rev) {
    return tree -> append(RevisionEntry.tombstone(parentFor(id, rev, WriteMode.STRICT, tree)));
  }

  /** Tombstones over every live leaf but {@code keep}. */
  public static Function<RevisionTree, Decision<String>> resolve(String id, String keep) {
    return tree -> new Decision<>(discardOthers(id, keep, tree), keep);
  }

  /** A merged child of the live leaf {@code base}, and tombstones over every other. */
  public static Function<RevisionTree, Decision<String>> resolve(
      String id, String base, byte[] body) {
    return tree -> {
      List<byte[]> payloads = new ArrayList<>(discardOthers(id, base, tree));
      RevisionEntry entry = RevisionEntry.create(base, false, body);
      payloads.add(entry.encode());
      return new Decision<>(payloads, entry.rev());
    };
  }

  /**
   * The winner with {@code update}'s operators applied, as its next revision; nothing if that
   * changes nothing.
   *
   * @param body the canonical body of a patched document, checked as every written body is
   */
  public static Function<RevisionTree, Decision<ObjectNode>> patch(
      String id, JsonNode update, Clock clock, Function<ObjectNode, byte[]> body) {
    return patch(id, update, false, clock, body);
  }

  /**
   * {@link #patch(String, JsonNode, Clock, Function)}, or, if {@code upsert} and the document does
   * not exist (or is deleted), a new one: the update applied to an empty document, {@code
   * $setOnInsert} included.
   */
  public static Function<RevisionTree, Decision<ObjectNode>> patch(
      String id, JsonNode update, boolean upsert, Clock clock, Function<ObjectNode, byte[]> body) {
    return tree -> {
      if (upsert && !tree.snapshot().exists()) {
        ObjectNode created = UpdateOperators.applyInserting(update, clock);
        RevisionEntry entry =
            RevisionEntry.create(tree.snapshot().winnerRev(), false, body.apply(created));
        return new Decision<>(List.of(entry.encode()), document(id, entry.rev(), created));
      }
      Snapshot s = existing(id, tree);
      ObjectNode patched = UpdateOperators.apply(s.winner().body(), update, clock);
      byte[] after = body.apply(patched);
      if (s.winner().hasBody(after)) {
        return Decision.none(document(id, s.winnerRev(), s.winner().body()));
      }
      RevisionEntry entry = RevisionEntry.create(s.winnerRev(), false, after);
      return new Decision<>(List.of(entry.encode()), document(id, entry.rev(), patched));
    };
  }

  /** A revision as the API gives it: {@code _id}, {@code _rev}, then the body. */
  public static ObjectNode document(String id, String rev, ObjectNode body) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("_id", id);
    doc.put("_rev", rev);
    doc.setAll(body.deepCopy());
    return doc;
  }

  /** A deletion revision as the API gives it. */
  public static ObjectNode tombstone(String id, String rev) {
    ObjectNode doc = Json.MAPPER.createObjectNode();
    doc.put("_id", id);
    doc.put("_rev", rev);
    doc.put("_deleted", true);
    return doc;
  }

  /** The tree's snapshot, if the document exists (is not deleted). */
  private static Snapshot existing(String id, RevisionTree tree) {
    Snapshot s = tree.snapshot();
    if (!s.exists()) {
      throw new NotFoundException("document '" + id + "' does not exist");
    }
    return s;
  }

  private static String parentFor(String id, String rev, WriteMode mode, RevisionTree tree) {
    Snapshot s = existing(id, tree);
    if (rev.equals(s.winnerRev())) {
      return rev;
    }
    if (mode == WriteMode.KEEP_BOTH && tree.isLive(rev)) {
      return rev;
    }
    throw new ConflictException(
        id,
        s.winnerRev(),
        "document '%s' is at rev %s; the write was based on %s%s"
            .formatted(
                id,
                s.winnerRev(),
                rev,
                tree.isLive(rev) ? "" : ", which is not a live revision of it"));
  }

  /**
   * Tombstones over every conflict whose data the winner holds ({@link
   * dev.cairn.Resolution#SUBSUMED}); the result is the revisions deleted, none if no conflict is.
   */
  public static Function<RevisionTree, Decision<List<String>>> resolveSubsumed(String id) {
    return tree -> {
      Snapshot s = existing(id, tree);
      ObjectNode winner = s.winner().body();
      List<byte[]> payloads = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      for (Leaf leaf : s.leaves()) {
        if (!leaf.deleted() && !leaf.rev().equals(s.winnerRev()) && subsumes(winner, leaf.body())) {
          payloads.add(RevisionEntry.tombstone(leaf.rev()).encode());
          removed.add(leaf.rev());
        }
      }
      return new Decision<>(payloads, List.copyOf(removed));
    };
  }

  /** Whether {@code winner} holds every field of {@code conflict} with an equal value. */
  static boolean subsumes(ObjectNode winner, ObjectNode conflict) {
    for (var field : conflict.properties()) {
      String name = field.getKey();
      if (name.equals("_id") || name.equals("_rev")) {
        continue;
      }
      JsonNode mine = winner.get(name);
      if (mine == null || !mine.equals(SAME_VALUE, field.getValue())) {
        return false;
      }
    }
    return true;
  }

  /** JSON equality with numbers compared by value. */
  private static final java.util.Comparator<JsonNode> SAME_VALUE =
      (a, b) -> {
        if (a.equals(b)) {
          return 0;
        }
        return a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0
            ? 0
            : 1;
      };

  private static List<byte[]> discardOthers(String id, String keep, RevisionTree tree) {
    Snapshot s = tree.snapshot();
    if (s.leaves().stream().noneMatch(l -> l.rev().equals(keep) && !l.deleted())) {
      throw new ConflictException(
          id, s.winnerRev(), "rev " + keep + " is not a live leaf of '" + id + "'");
    }
    List<byte[]> payloads = new ArrayList<>();
    for (Leaf leaf : s.leaves()) {
      if (!leaf.deleted() && !leaf.rev().equals(keep)) {
        payloads.add(RevisionEntry.tombstone(leaf.rev()).encode());
      }
    }
    return payloads;
  }

  private static Decision<String> append(RevisionEntry entry) {
    return new Decision<>(List.of(entry.encode()), entry.rev());
  }
}
