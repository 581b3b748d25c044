package dev.cairn.document;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Revision;
import dev.cairn.engine.Engine;
import dev.cairn.engine.Retention;
import dev.cairn.json.Json;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reducer of a document's log: the tree of its revisions, its leaves and its winner.
 *
 * <p>The winner is chosen the same way on every replica, from the revisions alone: a leaf that is
 * not deleted beats a deleted one, then the higher generation wins, then the higher hash. Other
 * leaves that are not deleted are the document's conflicts.
 *
 * <p>The tree keeps, of every branch, the leaf and its {@code keep - 1} nearest ancestors; older
 * revisions are forgotten once the tree has grown to twice that (so the cost is amortised), and the
 * revision just before the oldest kept one is remembered as the branch's stem, so that if a
 * forgotten revision arrives again (replication from a copy that has it), it joins its branch
 * instead of standing as a leaf of its own.
 *
 * <p>Mutated only by {@link Engine} under the tree's monitor; readers use the immutable {@link
 * #snapshot()}.
 */
public final class RevisionTree implements Engine.Reduction {
  /** How many revisions of each branch a tree keeps unless told otherwise. */
  public static final int DEFAULT_KEEP = 1000;

  /** About what a log record adds to its entry: framing, sequence number, key. */
  private static final int RECORD_OVERHEAD = 32;

  private static final int NODE_BYTES = 160; // a node, its revision ids and its map entry
  private static final int BODY_FACTOR = 12; // the stored bytes, and the decoded tree

  /** Orders leaves best first. */
  static final Comparator<Node> PRIORITY =
      Comparator.comparing((Node n) -> !n.deleted)
          .thenComparingInt(n -> RevisionEntry.generation(n.rev))
          .thenComparing(n -> n.rev.substring(n.rev.indexOf('-') + 1))
          .reversed();

  private final int keep;
  private final java.util.function.LongConsumer forgotten;
  private final Map<String, Node> nodes = new HashMap<>();
  private final Set<String> leaves = new HashSet<>();
  private Set<String> parentsNotSeen = Set.of(); // children that arrived before their parent
  private boolean forgot; // whether revisions were forgotten: the log may hold ones the tree lacks
  private long head;
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  /** A tree that keeps {@link #DEFAULT_KEEP} revisions of each branch. */
  public RevisionTree() {
    this(DEFAULT_KEEP, bytes -> {});
  }

  /**
   * A tree that keeps {@code keep} revisions of each branch.
   *
   * @param forgotten told the bytes of the log entries of the revisions it forgets: what a
   *     compaction would give back
   */
  public RevisionTree(int keep, java.util.function.LongConsumer forgotten) {
    if (keep < 1) {
      throw new IllegalArgumentException("a tree keeps at least 1 revision a branch, got " + keep);
    }
    this.keep = keep;
    this.forgotten = forgotten;
  }

  /** One revision in the tree. */
  static final class Node {
    final String rev;
    final String parent;
    final boolean deleted;
    final long seq;
    final int size; // the bytes of its log entry
    boolean hasChild;
    LazyBody body; // kept for leaves only; other bodies are read again from the log when asked for

    Node(String rev, String parent, boolean deleted, long seq, int size, LazyBody body) {
      this.rev = rev;
      this.parent = parent;
      this.deleted = deleted;
      this.seq = seq;
      this.size = size;
      this.body = body;
    }
  }

  /** A body in its log entry, parsed when first asked for; shared by the snapshots that hold it. */
  static final class LazyBody {
    private final byte[] payload;
    private final int offset;
    private volatile ObjectNode parsed;

    LazyBody(byte[] payload, int offset) {
      this.payload = payload;
      this.offset = offset;
    }

    ObjectNode get() {
      ObjectNode b = parsed;
      if (b == null) {
        b = Json.readStored(payload, offset, payload.length - offset);
        parsed = b;
      }
      return b;
    }

    /** Whether this body's stored bytes (canonical JSON) are {@code canonical}, without parsing. */
    boolean is(byte[] canonical) {
      return java.util.Arrays.equals(
          payload, offset, payload.length, canonical, 0, canonical.length);
    }
  }

  /** A leaf revision as a snapshot saw it. */
  public record Leaf(String rev, boolean deleted, LazyBody lazyBody) {
    /** The body without _id and _rev, never to be mutated; null for a deletion. */
    public ObjectNode body() {
      return lazyBody == null ? null : lazyBody.get();
    }

    /** Whether this leaf is live and its body's canonical JSON is {@code canonical}. */
    public boolean hasBody(byte[] canonical) {
      return lazyBody != null && lazyBody.is(canonical);
    }
  }

  /**
   * What readers see: the winner and the leaves, as of the log's {@code head}.
   *
   * @param winner the winning leaf, or null if the log is empty
   * @param leaves every leaf, best first (the winner is the first)
   */
  public record Snapshot(long head, Leaf winner, List<Leaf> leaves) {
    static final Snapshot EMPTY = new Snapshot(0, null, List.of());

    /** Whether there is a document that is not deleted. */
    public boolean exists() {
      return winner != null && !winner.deleted();
    }

    /** The winning revision's id, or null. */
    public String winnerRev() {
      return winner == null ? null : winner.rev();
    }
  }

  @Override
  public long head() {
    return snapshot.head(); // what readers see: apply moves it only when the snapshot is whole
  }

  @Override
  public void apply(List<LogEntry> entries) {
    for (LogEntry e : entries) {
      RevisionEntry.Header h = RevisionEntry.header(e.payload());
      head = Math.max(head, e.seq());
      if (nodes.containsKey(h.rev())) {
        continue; // the same revision, arrived twice (replication): same content by its hash
      }
      Node parent = h.parent() == null ? null : nodes.get(h.parent());
      Node node =
          new Node(
              h.rev(),
              parent != null ? parent.rev : h.parent(), // one string for the parent's id
              h.deleted(),
              e.seq(),
              e.payload().length,
              h.deleted() ? null : new LazyBody(e.payload(), h.bodyOffset()));
      nodes.put(h.rev(), node);
      if (h.parent() != null) {
        if (parent != null) {
          parent.hasChild = true;
          parent.body = null;
          leaves.remove(h.parent());
        } else {
          if (parentsNotSeen.isEmpty()) {
            parentsNotSeen = new HashSet<>();
          }
          parentsNotSeen.add(h.parent());
        }
      }
      if (!parentsNotSeen.isEmpty() && parentsNotSeen.remove(h.rev())) {
        node.hasChild = true; // its parent was pruned on the copy the child came from
        node.body = null;
      } else {
        leaves.add(h.rev());
      }
    }
    if (nodes.size() > 2L * keep * leaves.size() + 16) {
      forgetOldRevisions();
    }
    if (leaves.size() == 1) {
      Node only = nodes.get(leaves.iterator().next());
      Leaf leaf = new Leaf(only.rev, only.deleted, only.body);
      snapshot = new Snapshot(head, leaf, List.of(leaf));
      return;
    }
    List<Node> sorted = new ArrayList<>(leaves.size());
    for (String rev : leaves) {
      sorted.add(nodes.get(rev));
    }
    sorted.sort(PRIORITY);
    List<Leaf> views = new ArrayList<>(sorted.size());
    for (Node n : sorted) {
      views.add(new Leaf(n.rev, n.deleted, n.body));
    }
    snapshot =
        views.isEmpty()
            ? new Snapshot(head, null, List.of())
            : new Snapshot(head, views.get(0), List.copyOf(views));
  }

  /**
   * Keeps of every branch the leaf and its {@code keep - 1} nearest ancestors, and remembers the
   * parent of each oldest kept revision as a stem.
   */
  private void forgetOldRevisions() {
    Set<String> kept = new HashSet<>();
    for (String leaf : leaves) {
      String rev = leaf;
      for (int i = 0; i < keep && rev != null; i++) {
        Node n = nodes.get(rev);
        if (n == null || !kept.add(rev)) {
          break;
        }
        rev = n.parent;
      }
    }
    Set<String> stems = new HashSet<>();
    for (String rev : kept) {
      String parent = nodes.get(rev).parent;
      if (parent != null && !kept.contains(parent)) {
        stems.add(parent);
      }
    }
    parentsNotSeen = stems; // the stems of what is kept: older ones are no one's parent now
    long bytes = 0;
    for (Node n : nodes.values()) {
      if (!kept.contains(n.rev)) {
        bytes += n.size + RECORD_OVERHEAD;
      }
    }
    nodes.keySet().retainAll(kept);
    forgot = true;
    forgotten.accept(bytes);
  }

  /**
   * Whether the tree has forgotten revisions, so that one it does not hold may still be in the log.
   * Call under the tree's monitor.
   */
  public boolean hasForgotten() {
    return forgot;
  }

  /**
   * An estimate of the memory the tree holds: each revision's node, and each live leaf's body as
   * stored and as decoded (a Jackson tree takes about ten times its JSON). Call under the tree's
   * monitor.
   */
  @Override
  public long weight() {
    long weight = (long) (1 + nodes.size()) * NODE_BYTES; // never 0: Caffeine keeps those
    for (String rev : leaves) {
      Node n = nodes.get(rev);
      if (n != null && n.body != null) {
        weight += (long) n.size * BODY_FACTOR;
      }
    }
    return weight;
  }

  /** How many revisions the tree holds now. */
  int size() {
    return nodes.size();
  }

  /**
   * The sequence number of the entry that holds revision {@code rev}, or 0 if the tree does not
   * hold it (never written, or older than the revisions kept). Call under the tree's monitor.
   */
  public long seqOf(String rev) {
    Node n = nodes.get(rev);
    return n == null ? 0 : n.seq;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** Whether {@code rev} is known. Call under the tree's monitor. */
  public boolean contains(String rev) {
    return nodes.containsKey(rev);
  }

  /** Whether {@code rev} is known and not a deletion. Call under the tree's monitor. */
  public boolean isLive(String rev) {
    Node n = nodes.get(rev);
    return n != null && !n.deleted;
  }

  /** The winner's line back to its first known revision, newest first. */
  public List<Revision> history() {
    List<Revision> out = new ArrayList<>();
    String rev = snapshot.winnerRev();
    while (rev != null) {
      Node n = nodes.get(rev);
      if (n == null) {
        break; // older revisions were pruned
      }
      out.add(new Revision(n.rev, n.deleted, leaves.contains(n.rev)));
      rev = n.parent;
    }
    return out;
  }

  /**
   * The retention of documents' logs: of every branch, the leaf and its {@code keep - 1} nearest
   * ancestors, each revision once.
   */
  public static Retention retention(int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keepRevisions must be at least 1, got " + keep);
    }
    return entries -> {
      Map<String, RevisionEntry.Header> byRev = new HashMap<>();
      for (LogEntry e : entries) {
        RevisionEntry.Header h = RevisionEntry.header(e.payload());
        byRev.putIfAbsent(h.rev(), h);
      }
      Set<String> kept = retained(byRev, keep);
      List<LogEntry> out = new ArrayList<>();
      for (LogEntry e : entries) {
        if (kept.remove(RevisionEntry.header(e.payload()).rev())) {
          out.add(e);
        }
      }
      return out;
    };
  }

  /** The leaves and their ancestors up to {@code keep - 1} generations back. */
  private static Set<String> retained(Map<String, RevisionEntry.Header> byRev, int keep) {
    Set<String> parents = new HashSet<>();
    for (RevisionEntry.Header h : byRev.values()) {
      if (h.parent() != null) {
        parents.add(h.parent());
      }
    }
    Set<String> kept = new HashSet<>();
    for (RevisionEntry.Header h : byRev.values()) {
      if (parents.contains(h.rev())) {
        continue;
      }
      String rev = h.rev();
      for (int i = 0; i < keep && rev != null; i++) {
        kept.add(rev);
        RevisionEntry.Header at = byRev.get(rev);
        rev = at == null ? null : at.parent();
      }
    }
    return kept;
  }
}
