package dev.cairn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.document.Backup;
import dev.cairn.document.ChangeNotifier;
import dev.cairn.document.Replicator;
import dev.cairn.document.RevisionEntry;
import dev.cairn.document.RevisionTree;
import dev.cairn.document.RevisionTree.Leaf;
import dev.cairn.document.RevisionTree.Snapshot;
import dev.cairn.document.StoreCheck;
import dev.cairn.document.Writes;
import dev.cairn.engine.Compaction;
import dev.cairn.engine.Engine;
import dev.cairn.engine.Engine.Decision;
import dev.cairn.engine.LogKind;
import dev.cairn.engine.Retention;
import dev.cairn.file.DirectoryCheck;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import dev.cairn.oplog.Pruning;
import dev.cairn.oplog.StoredChannels;
import dev.cairn.shared.SharedLog;
import dev.cairn.shared.SharedReplica;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A store of JSON documents, each with an {@code _id} and a {@code _rev}, that any number of
 * threads and processes use at once. Open one with {@link Cairn#open(String)}.
 *
 * <h2>Revisions and conflicts</h2>
 *
 * Every write creates a revision {@code generation-hash}; the hash is taken over the parent
 * revision and the canonical JSON body, so the same edit made on two copies of the data gives the
 * same revision. A document's revisions form a tree; its leaves that are not deleted are its live
 * versions. One of them is the <em>winner</em>, chosen the same way on every copy (a live leaf
 * before a deleted one, then the higher generation, then the higher hash); {@link #get(String)}
 * returns it, and the others are its {@link #conflicts(String) conflicts}. Conflicts arise from
 * {@link WriteMode#KEEP_BOTH} updates and from replication of copies edited apart; a strict update
 * never makes one.
 *
 * <h2>Guarantees</h2>
 *
 * <ul>
 *   <li>Thread-safe; every process that opens the same location shares the same data.
 *   <li>No lost update: {@link #update(ObjectNode)} succeeds only if the caller's {@code _rev} is
 *       still the winner when the write takes effect, across threads and processes.
 *   <li>Reads see every write acknowledged, by any process, before the read began.
 *   <li>Each write is atomic: after a crash it is there whole or not at all. When a write method
 *       returns, the write is on stable storage with {@link Durability#SYNC} (the default) and in
 *       the operating system with {@link Durability#OS}.
 * </ul>
 *
 * <h2>Errors</h2>
 *
 * Bad input ({@link InvalidDocumentException}) and conflicts ({@link ConflictException}) are
 * detected before anything is written. Documents are limited to {@link
 * Cairn.Builder#maxDocumentBytes a size} (8 MiB of canonical JSON by default); ids to 512 UTF-8
 * bytes without control characters, {@code /} or {@code \}.
 *
 * <h2>This class</h2>
 *
 * It is the documents' API: one method per operation, with its contract. Each checks its input and
 * hands the engine a decision ({@code dev.cairn.document.Writes}); notification, replication,
 * backup and compaction are in {@code dev.cairn.document} and {@code dev.cairn.engine}.
 */
public final class DocumentStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(DocumentStore.class.getName());

  private static final String[] META = {"_id", "_rev"};

  private final Engine<RevisionTree> engine;
  private final Backend backend;
  private final WriteMode writeMode;
  private final int maxDocumentBytes;
  private final Clock clock;
  private final List<SharedObject> shared = new CopyOnWriteArrayList<>();
  private final ChangeNotifier notifier;
  private final dev.cairn.engine.Metrics metrics;
  private volatile boolean closed;
  private final int keepRevisions;
  private final long autoCompactBytes;
  private final Resolution autoResolve; // null: conflicts wait for someone to settle them
  private final java.util.concurrent.atomic.LongAdder forgotten =
      new java.util.concurrent.atomic.LongAdder(); // bytes of revisions trees forgot since then
  private final java.util.concurrent.atomic.AtomicReference<Thread> compactor =
      new java.util.concurrent.atomic.AtomicReference<>();

  DocumentStore(
      Backend backend,
      WriteMode writeMode,
      int maxDocumentBytes,
      long cacheBytes,
      Clock clock,
      int keepRevisions,
      long autoCompactBytes,
      Resolution autoResolve,
      dev.cairn.engine.Metrics metrics) {
    this.backend = backend;
    this.clock = clock;
    this.metrics = metrics;
    this.engine =
        new Engine<>(
            backend, () -> new RevisionTree(keepRevisions, forgotten::add), cacheBytes, metrics);
    this.writeMode = writeMode;
    this.maxDocumentBytes = maxDocumentBytes;
    this.keepRevisions = keepRevisions;
    this.autoCompactBytes = autoCompactBytes;
    this.autoResolve = autoResolve;
    this.notifier = new ChangeNotifier(backend, location());
    metrics.watch(backend, notifier::lag);
  }

  /** The location this store was opened at (passwords hidden). */
  public String location() {
    return backend.location();
  }

  // ---- writing ----

  /**
   * Creates a document; {@code doc} carries its {@code _id} and no {@code _rev}.
   *
   * @return the new revision
   * @throws ConflictException if a document with that id exists (a deleted one does not count)
   */
  public String create(ObjectNode doc) {
    String id = Validation.idOf(doc);
    if (Validation.revOf(doc) != null) {
      throw new InvalidDocumentException(
          "create makes a new document and takes no _rev; use update to change '" + id + "'");
    }
    return write(id, Writes.create(id, body(doc)));
  }

  /** Creates document {@code id} with {@code body} (a record, POJO, Map, node or JSON text). */
  public String create(String id, Object body) {
    return create(withId(id, body));
  }

  /**
   * Writes {@code doc} as the next revision of its document, whatever the current one is; creates
   * the document if it does not exist. Any {@code _rev} it carries is ignored. If the document
   * exists with exactly this content already, nothing is written (so importing the same documents
   * twice adds nothing).
   *
   * @return the new revision, or the current one if the content was unchanged
   */
  public String upsert(ObjectNode doc) {
    String id = Validation.idOf(doc);
    Validation.revOf(doc);
    return write(id, Writes.upsert(body(doc)));
  }

  /** Upserts document {@code id} with {@code body} (a record, POJO, Map, node or JSON text). */
  public String upsert(String id, Object body) {
    return upsert(withId(id, body));
  }

  /**
   * Writes {@code doc} as the child of the revision named by its {@code _rev}, with this store's
   * {@link WriteMode} ({@link WriteMode#STRICT} unless the builder chose otherwise).
   *
   * @return the new revision
   * @throws ConflictException if {@code _rev} is not the winning revision (strict mode), or is not
   *     a live revision of the document at all
   * @throws NotFoundException if the document does not exist or is deleted
   */
  public String update(ObjectNode doc) {
    return update(doc, writeMode);
  }

  /** {@link #update(ObjectNode)} with the write mode chosen for this call. */
  public String update(ObjectNode doc, WriteMode mode) {
    String id = Validation.idOf(doc);
    String rev = Validation.revOf(doc);
    if (rev == null) {
      throw new InvalidDocumentException(
          "update of '" + id + "' needs the _rev it is based on; use upsert to write without one");
    }
    return write(id, Writes.update(id, rev, mode, body(doc)));
  }

  /** Updates document {@code id}, based on revision {@code rev}, to {@code body}. */
  public String update(String id, String rev, Object body) {
    return update(id, rev, body, writeMode);
  }

  /**
   * Updates document {@code id}, based on revision {@code rev}, to {@code body}, in {@code mode}.
   */
  public String update(String id, String rev, Object body, WriteMode mode) {
    ObjectNode doc = withId(id, body);
    doc.put("_rev", Validation.rev(rev));
    return update(doc, mode);
  }

  /**
   * Deletes the document: writes a deletion (tombstone) revision over the winner, so that
   * replication carries the deletion to other copies.
   *
   * @return the tombstone's revision
   * @throws NotFoundException if there is no document, or it is already deleted
   */
  public String delete(String id) {
    Validation.id(id);
    return write(id, Writes.delete(id));
  }

  /**
   * Deletes the document if {@code rev} is still its winning revision.
   *
   * @throws ConflictException if it is not
   */
  public String delete(String id, String rev) {
    Validation.id(id);
    Validation.rev(rev);
    return write(id, Writes.delete(id, rev));
  }

  /**
   * Settles the document's conflicts by keeping revision {@code keepRev}: every other live leaf
   * gets a deletion revision, so {@code keepRev} becomes the winner, here and on every copy this
   * store replicates to.
   *
   * @return {@code keepRev}
   * @throws ConflictException if {@code keepRev} is not a live leaf of the document
   */
  public String resolve(String id, String keepRev) {
    Validation.id(id);
    Validation.rev(keepRev);
    return write(id, Writes.resolve(id, keepRev));
  }

  /**
   * Settles the document's conflicts by a rule, deleting the conflicting revisions it settles and
   * leaving the rest: with {@link Resolution#SUBSUMED}, every conflict whose data the winner
   * already holds. The deletions are ordinary revisions, written atomically, and replicate to every
   * copy.
   *
   * @return the conflicting revisions deleted, none if the rule settled none
   * @throws NotFoundException if the document does not exist
   */
  public List<String> resolve(String id, Resolution rule) {
    Validation.id(id);
    if (rule == null) {
      throw new IllegalArgumentException("resolve needs a rule, such as SUBSUMED");
    }
    return switch (rule) {
      case SUBSUMED -> write(id, Writes.resolveSubsumed(id));
    };
  }

  /**
   * Settles the document's conflicts with a merged version: {@code merged} is written as a child of
   * the live leaf its {@code _rev} names, and every other live leaf is deleted, in one atomic
   * write.
   *
   * @return the merged document's new revision
   */
  public String resolve(ObjectNode merged) {
    String id = Validation.idOf(merged);
    String base = Validation.revOf(merged);
    if (base == null) {
      throw new InvalidDocumentException(
          "a merged version of '" + id + "' needs the _rev of the leaf it extends");
    }
    return write(id, Writes.resolve(id, base, body(merged)));
  }

  // ---- patch ----

  /**
   * Applies MongoDB update operators ({@code $set}, {@code $inc}, {@code $push}, ...; see
   * docs/updates.md) to the document's winning revision and writes the result as its next revision,
   * atomically: if another writer changes the document first, the update is applied again to the
   * fresh revision, so concurrent patches are never lost. An update that changes nothing writes
   * nothing.
   *
   * @return the document as patched, with {@code _id} and {@code _rev}
   * @throws InvalidUpdateException if the update is malformed or cannot apply; nothing is written
   * @throws NotFoundException if the document does not exist
   */
  public ObjectNode patch(String id, JsonNode update) {
    Validation.id(id);
    return write(id, Writes.patch(id, update, clock, this::body));
  }

  /** {@link #patch(String, JsonNode)} with the update as JSON text. */
  public ObjectNode patch(String id, String update) {
    return patch(id, Json.parseObject(update));
  }

  /**
   * {@link #patch(String, JsonNode)}, creating the document if it does not exist (or is deleted),
   * as MongoDB's update with {@code upsert: true}: the update is applied to an empty document, and
   * {@code $setOnInsert} sets its fields only then. Racing creators do not both create: the loser's
   * update is applied to the winner's document.
   *
   * @return the document as patched or created, with {@code _id} and {@code _rev}
   * @throws InvalidUpdateException if the update is malformed or cannot apply; nothing is written
   */
  public ObjectNode patchOrCreate(String id, JsonNode update) {
    Validation.id(id);
    return write(id, Writes.patch(id, update, true, clock, this::body));
  }

  /** {@link #patch(String, JsonNode)} with the update built by {@link Update}. */
  public ObjectNode patch(String id, Update update) {
    return patch(id, update.toJson());
  }

  /** {@link #patchOrCreate(String, JsonNode)} with the update built by {@link Update}. */
  public ObjectNode patchOrCreate(String id, Update update) {
    return patchOrCreate(id, update.toJson());
  }

  /** {@link #patchOrCreate(String, JsonNode)} with the update as JSON text. */
  public ObjectNode patchOrCreate(String id, String update) {
    return patchOrCreate(id, Json.parseObject(update));
  }

  // ---- scoped ----

  /**
   * Runs {@code fn} on a mutable copy of the named value (the document {@code name}; an empty
   * object if it does not exist) and persists the copy as the document's next revision, unless
   * another writer changed the value in between: then the copy is thrown away and {@code fn} runs
   * again on the fresh value. A function that changes nothing writes nothing. Changes anywhere in
   * the copy count, nested ones included.
   *
   * <p><b>{@code fn} may run more than once</b>, so it must not touch state outside the value it is
   * given (no I/O, no counters of its own); only what it returns after the run that got its changes
   * in reaches the caller. It must not keep the copy after it returns.
   *
   * <p>The first run is on this process's cached copy of the value, if it has one, without asking
   * the store whether it is current: a write whose copy is current then takes one round trip to a
   * server. If the copy was behind, the refused write brings the missing changes back and {@code
   * fn} runs again; that first run does not count as one of the retry policy's attempts, since the
   * change it missed may have come before the call. A run that changes nothing, or throws, on a
   * copy not known to be current is run again on a current one, so that what the caller gets
   * reflects every write acknowledged before the call.
   *
   * @return what {@code fn} returned on the run whose changes were persisted
   * @throws ContentionException when {@link Retry#DEFAULT}'s attempts or deadline run out
   */
  public <R> R scoped(String name, java.util.function.Function<ObjectNode, R> fn) {
    return scoped(name, Retry.DEFAULT, fn);
  }

  /** {@link #scoped(String, java.util.function.Function)} with the retry policy given. */
  public <R> R scoped(String name, Retry retry, java.util.function.Function<ObjectNode, R> fn) {
    Validation.id(name);
    if (retry == null || fn == null) {
      throw new IllegalArgumentException("retry and fn must not be null");
    }
    ensureOpen();
    long start = System.nanoTime();
    // the first run is on the cached value, if any, which may be behind: its append is conditional,
    // and a refusal brings the value up to date; only runs on a current value count as attempts
    RevisionTree tree = engine.cached(name);
    boolean current = tree == null;
    if (current) {
      tree = engine.state(name);
    }
    for (int attempt = 1; ; ) {
      Snapshot s = tree.snapshot();
      ObjectNode value = s.exists() ? s.winner().body() : Json.MAPPER.createObjectNode();
      ObjectNode copy = value.deepCopy();
      R result;
      try {
        result = fn.apply(copy);
      } catch (RuntimeException e) {
        if (current) {
          throw e;
        }
        tree = engine.state(name); // it may have thrown on a value that is no longer there
        current = true;
        continue;
      }
      byte[] before = Json.canonical(value);
      byte[] after = body(copy);
      if (java.util.Arrays.equals(before, after)) {
        if (current) {
          return result; // nothing changed: nothing to write, whatever happened meanwhile
        }
        tree = engine.state(name); // a read must see every write acknowledged before it
        current = true;
        continue;
      }
      RevisionEntry entry = RevisionEntry.create(s.winnerRev(), false, after);
      Engine.Attempt<RevisionTree> tried =
          engine.appendIf(name, tree, s.head(), List.of(entry.encode()));
      if (tried.appended()) {
        compactIfDue();
        return result;
      }
      tree = tried.state();
      metrics.retried(); // whatever the cause, the function runs again
      if (!current) {
        current = true; // the cached value was behind: no other writer has won against this one yet
        continue;
      }
      long elapsed = System.nanoTime() - start;
      if (attempt >= retry.maxAttempts() || elapsed >= retry.deadline().toNanos()) {
        metrics.contended();
        throw new ContentionException(name, attempt, java.time.Duration.ofNanos(elapsed));
      }
      long bound = retry.backoffBoundNanos(attempt);
      if (bound > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(
            java.util.concurrent.ThreadLocalRandom.current().nextLong(bound + 1));
        tree = engine.state(name); // what the refusal brought is as old as the pause now
      }
      attempt++;
    }
  }

  /**
   * The typed form of {@link #scoped(String, java.util.function.Function)}: {@code fn} gets the
   * named value as a {@code type} ({@code initial} if it does not exist yet) and returns the new
   * value, which may be the same object changed in place; records return a new one. Returns the new
   * value as persisted. The same rules hold: {@code fn} may run more than once and must not have
   * side effects.
   */
  public <T> T scoped(
      String name,
      Class<T> type,
      java.util.function.Supplier<T> initial,
      java.util.function.UnaryOperator<T> fn) {
    return scoped(name, Retry.DEFAULT, type, initial, fn);
  }

  /** The typed form with the retry policy given. */
  public <T> T scoped(
      String name,
      Retry retry,
      Class<T> type,
      java.util.function.Supplier<T> initial,
      java.util.function.UnaryOperator<T> fn) {
    if (type == null || initial == null || fn == null) {
      throw new IllegalArgumentException("type, initial and fn must not be null");
    }
    return scoped(
        name,
        retry,
        node -> {
          T value = node.isEmpty() && !exists(name) ? initial.get() : Json.convert(node, type);
          T updated = fn.apply(value);
          ObjectNode next = Json.toObjectNode(updated);
          if (next != node) {
            node.removeAll();
            node.setAll(next);
          }
          return updated;
        });
  }

  private boolean exists(String id) {
    return engine.state(id).snapshot().exists();
  }

  // ---- reading ----

  /** The winning revision of document {@code id}, with {@code _id} and {@code _rev}. */
  public Optional<ObjectNode> get(String id) {
    Validation.id(id);
    Snapshot s = engine.state(id).snapshot();
    return s.exists()
        ? Optional.of(Writes.document(id, s.winnerRev(), s.winner().body()))
        : Optional.empty();
  }

  /**
   * Revision {@code rev} of document {@code id}, if this store still holds it (compaction drops old
   * revisions). A deletion revision is returned as {@code {"_id", "_rev", "_deleted": true}}.
   */
  public Optional<ObjectNode> get(String id, String rev) {
    Validation.id(id);
    Validation.rev(rev);
    RevisionTree tree = engine.state(id);
    for (Leaf leaf : tree.snapshot().leaves()) {
      if (leaf.rev().equals(rev)) {
        return Optional.of(
            leaf.deleted() ? Writes.tombstone(id, rev) : Writes.document(id, rev, leaf.body()));
      }
    }
    long seq;
    synchronized (tree) {
      seq = tree.seqOf(rev);
    }
    if (seq == 0) {
      return Optional.empty();
    }
    // one entry, found by its sequence number: no reading of the rest of the document's log
    for (LogEntry e : backend.read(id, seq - 1, 1)) {
      RevisionEntry.Header h = RevisionEntry.header(e.payload());
      if (e.seq() == seq && h.rev().equals(rev)) {
        if (h.deleted()) {
          return Optional.of(Writes.tombstone(id, rev));
        }
        byte[] p = e.payload();
        return Optional.of(
            Writes.document(
                id, rev, Json.readStored(p, h.bodyOffset(), p.length - h.bodyOffset())));
      }
    }
    return Optional.empty(); // compacted away meanwhile
  }

  /** The winning revision of document {@code id}, converted to {@code type}. */
  public <T> Optional<Versioned<T>> get(String id, Class<T> type) {
    return get(id)
        .map(doc -> new Versioned<>(id, doc.get("_rev").asText(), Json.convert(doc, type)));
  }

  /** The ids of all documents that exist (not deleted), sorted. */
  public List<String> ids() {
    List<String> ids = new ArrayList<>();
    for (String key : backend.keys()) {
      if (!isInternal(key) && engine.state(key).snapshot().exists()) {
        ids.add(key);
      }
    }
    Collections.sort(ids);
    return ids;
  }

  /**
   * Every document that exists, in id order. The stream is lazy: documents are read as it is
   * consumed, each at its winning revision at that moment.
   */
  public Stream<ObjectNode> all() {
    List<String> keys = new ArrayList<>(backend.keys());
    keys.removeIf(DocumentStore::isInternal);
    Collections.sort(keys);
    return keys.stream().map(this::get).flatMap(Optional::stream);
  }

  /**
   * The live revisions of document {@code id} other than the winner, best first.
   *
   * @throws NotFoundException if the store has never had a document with that id
   */
  public List<String> conflicts(String id) {
    Validation.id(id);
    Snapshot s = engine.state(id).snapshot();
    if (s.winnerRev() == null) {
      throw new NotFoundException("document '" + id + "' does not exist");
    }
    List<String> out = new ArrayList<>();
    for (Leaf leaf : s.leaves()) {
      if (!leaf.deleted() && !leaf.rev().equals(s.winnerRev())) {
        out.add(leaf.rev());
      }
    }
    return out;
  }

  /**
   * The winning revision's line of ancestors, newest first, as far back as the store holds them.
   *
   * @throws NotFoundException if the store has never had a document with that id
   */
  public List<Revision> history(String id) {
    Validation.id(id);
    RevisionTree tree = engine.state(id);
    synchronized (tree) {
      if (tree.snapshot().winnerRev() == null) {
        throw new NotFoundException("document '" + id + "' does not exist");
      }
      return tree.history();
    }
  }

  // ---- backup ----

  /**
   * Everything the store holds, for a faithful backup that {@link #importAll} reads back: every
   * revision of every document, deleted and conflicting ones included, with its revision id, one
   * object each ({@code {"_id", "_rev", "_parent", "_deleted", ...body}}, {@code _parent} absent
   * for a first revision and {@code _deleted} only on deletions), parents before children; then
   * every entry of the logs of shared objects and oplogs ({@code {"_log": key, "_entry": base64}}).
   * The stream is lazy, one log at a time.
   */
  public Stream<ObjectNode> exportAll() {
    ensureOpen();
    List<String> keys = new ArrayList<>(backend.keys());
    keys.removeIf(k -> isInternal(k) && !Backup.isBackedUp(k));
    keys.sort(java.util.Comparator.comparing((String k) -> isInternal(k)).thenComparing(k -> k));
    return keys.stream()
        .flatMap(
            key ->
                backend.read(key, 0).stream()
                    .map(e -> isInternal(key) ? Backup.entry(e) : Backup.revision(e)));
  }

  /**
   * Adds what {@link #exportAll} wrote: the revisions a document lacks (checked against their ids,
   * so a revision whose content was changed is refused), and the log entries a shared object or
   * oplog lacks. Importing twice, or into a store that already has some of it, adds only what is
   * missing; into an empty store, it makes a store with the same documents, revisions, winners and
   * conflicts. Every object is checked before anything is written.
   *
   * @throws InvalidDocumentException naming the first object (counting from 1) that is not valid
   */
  public ImportResult importAll(List<ObjectNode> objects) {
    ensureOpen();
    long before = lastSequence();
    Backup.Parsed parsed = Backup.parse(objects, maxDocumentBytes);
    long documents = 0;
    long revisions = 0;
    for (Map.Entry<String, List<byte[]>> e : parsed.revisions().entrySet()) {
      int added = Replicator.union(engine, e.getKey(), e.getValue());
      documents += added > 0 ? 1 : 0;
      revisions += added;
    }
    long entries = 0;
    for (Map.Entry<String, List<byte[]>> e : parsed.entries().entrySet()) {
      entries += Backup.addMissing(backend, e.getKey(), e.getValue());
    }
    engine.invalidate();
    settleChangedSince(before);
    return new ImportResult(documents, revisions, entries);
  }

  // ---- changes ----

  /** The sequence number of the latest write, 0 for an empty store. */
  public long lastSequence() {
    return backend.lastSequence();
  }

  /**
   * Every write with a sequence number above {@code since}, oldest first, at most {@code limit}.
   */
  public List<Change> changes(long since, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return ChangeNotifier.changes(backend, since, limit);
  }

  /** Every write with a sequence number above {@code since}, oldest first. */
  public List<Change> changes(long since) {
    return changes(since, Integer.MAX_VALUE);
  }

  /**
   * Tells {@code listener} of every write made from now on, by this process or any other that has
   * the store open, in sequence order, usually within a few milliseconds.
   */
  public Subscription listen(ChangeListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener must not be null");
    }
    ensureOpen();
    return notifier.add(listener);
  }

  // ---- shared objects ----

  /**
   * Opens the live object {@code name}, shared with every process that opens it on this store; the
   * first to open it creates it from {@code defaults} (a record, POJO, Map, node or JSON text), the
   * others get the object as it is. See {@link SharedObject} and docs/shared.md.
   *
   * @throws InvalidDocumentException if the name or the defaults are not valid
   */
  public SharedObject share(String name, Object defaults) {
    Validation.id(name);
    if (defaults == null) {
      throw new InvalidDocumentException("defaults must be a JSON object, got nothing");
    }
    ObjectNode initial = defaults instanceof ObjectNode own ? own : Json.toObjectNode(defaults);
    Validation.value(initial, "defaults"); // before deepCopy, which recurses
    if (initial == defaults) {
      initial = initial.deepCopy(); // the object keeps it: the caller's node must not change it
    }
    if (Json.canonical(initial).length > maxDocumentBytes) {
      throw new InvalidDocumentException(
          "defaults are more than the limit of %d bytes of JSON".formatted(maxDocumentBytes));
    }
    ensureOpen();
    SharedReplica replica = new SharedReplica(backend, name, initial, clock, maxDocumentBytes);
    SharedObject[] object = new SharedObject[1];
    object[0] = new SharedObject(name, replica, () -> shared.remove(object[0]));
    shared.add(object[0]);
    return object[0];
  }

  /** {@link #share(String, Object)} with an empty object as the defaults. */
  public SharedObject share(String name) {
    return share(name, Json.MAPPER.createObjectNode());
  }

  /** The names of the shared objects this store holds, sorted. */
  public List<String> sharedObjects() {
    ensureOpen();
    return backend.keys(LogKind.SHARED_OBJECT.prefix()).stream()
        .map(LogKind.SHARED_OBJECT::name)
        .sorted()
        .toList();
  }

  /**
   * What this store holds of oplog channels, read as it is: for tools that look at a store. Clients
   * of a channel use {@link dev.cairn.oplog.OplogClient}, which reconciles its stores.
   */
  public StoredChannels channels() {
    ensureOpen();
    return new StoredChannels(backend);
  }

  // ---- replication and compaction ----

  /**
   * Copies to {@code target} every revision this store has that it lacks, since the last
   * replication between the two. Afterwards both agree on the winner and the conflicts of every
   * document this store holds.
   */
  public ReplicationResult pushTo(DocumentStore target) {
    return pushTo(target, running -> {});
  }

  /**
   * {@link #pushTo(DocumentStore)}, telling {@code progress} the running totals after every page of
   * up to 1000 changes read from this store (its {@code sourceSequence} against this store's {@link
   * #lastSequence()} says how far it is), on the calling thread.
   */
  public ReplicationResult pushTo(
      DocumentStore target, java.util.function.Consumer<ReplicationResult> progress) {
    if (target == null || progress == null) {
      throw new IllegalArgumentException("target and progress must not be null");
    }
    long before = target.lastSequence();
    ReplicationResult result = Replicator.replicate(this.engine, target.engine, progress);
    target.settleChangedSince(before);
    return result;
  }

  /** Copies from {@code source} every revision it has that this store lacks. */
  public ReplicationResult pullFrom(DocumentStore source) {
    return source.pushTo(this);
  }

  /**
   * Replicates both ways: afterwards {@code a} and {@code b} hold the same revisions, so the same
   * documents, winners and conflicts.
   *
   * @return what was copied from {@code a} to {@code b} plus what was copied back
   */
  public static ReplicationResult sync(DocumentStore a, DocumentStore b) {
    ReplicationResult forth = a.pushTo(b);
    ReplicationResult back = b.pushTo(a);
    return new ReplicationResult(
        forth.documents() + back.documents(),
        forth.revisions() + back.revisions(),
        back.sourceSequence());
  }

  /**
   * Drops old revisions: of every branch of every document, the leaf and its {@code keepRevisions -
   * 1} nearest ancestors are kept. Winners, conflicts and deletions are unchanged. Runs while other
   * threads and processes go on reading; their writes wait until it is done.
   */
  public CompactionResult compact(int keepRevisions) {
    ensureOpen();
    long start = System.nanoTime();
    CompactionResult result = compaction(keepRevisions).run(backend);
    engine.invalidate();
    metrics.compacted(result.bytesBefore(), result.bytesAfter(), System.nanoTime() - start);
    return result;
  }

  /** {@link #compact(int)} with the store's {@linkplain Cairn.Builder#keepRevisions retention}. */
  public CompactionResult compact() {
    return compact(keepRevisions);
  }

  /**
   * How big the store is and what {@link #compact(int)} with this store's {@linkplain
   * Cairn.Builder#keepRevisions retention} would give back now. Reads every log once (as a
   * compaction does) and changes nothing.
   */
  public StoreUsage usage() {
    ensureOpen();
    Compaction.Estimate e = compaction(keepRevisions).estimate(backend);
    return new StoreUsage(
        backendName(),
        backend.sizeOnDisk(),
        e.logs(),
        e.entries(),
        e.bytes(),
        e.droppedEntries(),
        e.droppedBytes());
  }

  /**
   * Reads every record of this store and every revision of its documents, as {@link
   * Cairn#check(String)} does, while the store stays open here and in other processes; changes
   * nothing.
   */
  public CheckReport check() {
    ensureOpen();
    return backend
        .localDirectory()
        .map(dir -> DirectoryCheck.check(dir, StoreCheck.DOCUMENTS))
        .orElseGet(() -> StoreCheck.checkBackend(backend));
  }

  /** The location's scheme, or for JDBC its database: {@code postgresql}, {@code mariadb}. */
  private String backendName() {
    String scheme = dev.cairn.spi.Locations.scheme(location());
    if (!scheme.equals("jdbc")) {
      return scheme;
    }
    String rest = location().substring("jdbc:".length());
    return rest.contains(":") ? rest.substring(0, rest.indexOf(':')) : scheme;
  }

  private static Compaction compaction(int keepRevisions) {
    return new Compaction(
        Map.of(
            LogKind.DOCUMENT, RevisionTree.retention(keepRevisions),
            LogKind.SHARED_OBJECT, SharedLog.RETENTION,
            LogKind.OPLOG, Pruning.RETENTION,
            LogKind.REPLICATION, Retention.LAST,
            LogKind.RESERVED, Retention.LAST));
  }

  // ---- plumbing ----

  private <R> R write(String id, java.util.function.Function<RevisionTree, Decision<R>> decide) {
    ensureOpen();
    R result;
    try {
      result = engine.write(id, decide);
    } catch (ConflictException e) {
      metrics.conflict();
      throw e;
    }
    settle(id);
    compactIfDue();
    return result;
  }

  /** Applies the {@linkplain Cairn.Builder#autoResolve rule} to a document left in conflict. */
  private void settle(String id) {
    if (autoResolve == null) {
      return;
    }
    Snapshot s = engine.state(id).snapshot();
    if (s.exists() && s.leaves().stream().filter(l -> !l.deleted()).count() > 1) {
      engine.write(id, Writes.resolveSubsumed(id));
    }
  }

  /** {@link #settle} for every document changed since {@code since}. */
  private void settleChangedSince(long since) {
    if (autoResolve == null) {
      return;
    }
    for (List<Change> page = changes(since, 1000); !page.isEmpty(); page = changes(since, 1000)) {
      for (Change c : page) {
        settle(c.id());
      }
      since = page.get(page.size() - 1).seq();
    }
  }

  /**
   * Starts a compaction in the background once the log has reached the {@linkplain
   * Cairn.Builder#autoCompact size} for one and at least half of it is revisions this process's
   * trees have forgotten (beyond the retained ones): a compaction that would give little back is
   * not worth the pause. One at a time per store.
   */
  private void compactIfDue() {
    if (autoCompactBytes == 0 || forgotten.sum() * 2 < autoCompactBytes) {
      return; // nearly every write ends here, without asking the backend anything
    }
    long size = backend.sizeOnDisk();
    if (size < autoCompactBytes || forgotten.sum() * 2 < size || compactor.get() != null) {
      return;
    }
    Thread t =
        dev.cairn.engine.Threads.daemon(
            "cairn-compact",
            () -> {
              try {
                forgotten.reset(); // what is forgotten from now on counts toward the next one
                compact(keepRevisions);
              } catch (RuntimeException e) {
                if (!closed) {
                  LOG.log(System.Logger.Level.WARNING, "automatic compaction failed", e);
                }
              } finally {
                compactor.set(null);
              }
            });
    if (compactor.compareAndSet(null, t)) {
      t.start();
    }
  }

  private byte[] body(ObjectNode doc) {
    Validation.body(doc);
    byte[] body = Json.canonical(doc, META);
    if (body.length > maxDocumentBytes) {
      throw new InvalidDocumentException(
          "document is %d bytes of JSON; the limit is %d bytes"
              .formatted(body.length, maxDocumentBytes));
    }
    return body;
  }

  private static ObjectNode withId(String id, Object body) {
    Validation.id(id);
    if (body == null) {
      throw new InvalidDocumentException("document body must be a JSON object, got nothing");
    }
    // a node the caller owns is not changed: _id goes on a copy of its top level (what is below is
    // only read, and body() checks it whole); other inputs were converted into a new one
    ObjectNode node =
        body instanceof ObjectNode own
            ? Json.MAPPER.createObjectNode().setAll(own)
            : Json.toObjectNode(body);
    if (node.has("_id") && !id.equals(node.get("_id").asText())) {
      throw new InvalidDocumentException(
          "body has _id '" + node.get("_id").asText() + "' but the id given is '" + id + "'");
    }
    node.put("_id", id);
    return node;
  }

  static boolean isInternal(String key) {
    return !LogKind.DOCUMENT.holds(key);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("store " + location() + " is closed");
    }
  }

  /** Stops notifications and releases the store; its data stays. Closing twice does nothing. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    notifier.close();
    metrics.close();
    shared.forEach(SharedObject::close);
    Thread running = compactor.get();
    if (running != null) {
      try {
        running.join(); // a compaction that was started finishes before the files close
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    engine.close();
  }
}
