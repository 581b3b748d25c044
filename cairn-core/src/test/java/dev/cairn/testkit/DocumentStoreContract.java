package dev.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.Change;
import dev.cairn.CompactionResult;
import dev.cairn.ConflictException;
import dev.cairn.ContentionException;
import dev.cairn.DocumentStore;
import dev.cairn.ImportResult;
import dev.cairn.InvalidDocumentException;
import dev.cairn.InvalidUpdateException;
import dev.cairn.NotFoundException;
import dev.cairn.ReplicationResult;
import dev.cairn.Resolution;
import dev.cairn.Retry;
import dev.cairn.Revision;
import dev.cairn.SharedObject;
import dev.cairn.Subscription;
import dev.cairn.Update;
import dev.cairn.Versioned;
import dev.cairn.WriteMode;
import dev.cairn.json.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every backend owes the document API. A backend's test extends this class and says
 * how to open a fresh store and a second, independent one.
 */
public abstract class DocumentStoreContract {
  protected DocumentStore store;

  /** A new, empty store. Called once per test; may be called again for a second store. */
  protected abstract DocumentStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected static ObjectNode json(String text) {
    return Json.parseObject(text);
  }

  // ---- create, get, upsert ----

  @Test
  void createThenGetReturnsTheBodyWithIdAndRev() {
    String rev = store.create(json("{\"_id\":\"alice\",\"email\":\"alice@example.com\"}"));

    ObjectNode doc = store.get("alice").orElseThrow();
    assertThat(doc.get("_id").asText()).isEqualTo("alice");
    assertThat(doc.get("_rev").asText()).isEqualTo(rev).startsWith("1-");
    assertThat(doc.get("email").asText()).isEqualTo("alice@example.com");
  }

  @Test
  void createFailsWhenTheIdExistsAndChangesNothing() {
    String rev = store.create("alice", Map.of("n", 1));

    assertThatThrownBy(() -> store.create("alice", Map.of("n", 2)))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("already exists");
    assertThat(store.get("alice").orElseThrow().get("_rev").asText()).isEqualTo(rev);
    assertThat(store.history("alice")).hasSize(1);
  }

  @Test
  void getOfAMissingDocumentIsEmpty() {
    assertThat(store.get("nobody")).isEmpty();
  }

  @Test
  void upsertCreatesAndThenReplaces() {
    String first = store.upsert("hello", Map.of("text", "Hello Object Store!"));
    String second = store.upsert("hello", Map.of("text", "Cats are little people!"));

    assertThat(first).startsWith("1-");
    assertThat(second).startsWith("2-");
    assertThat(store.get("hello").orElseThrow().get("text").asText())
        .isEqualTo("Cats are little people!");
  }

  @Test
  void anUpsertOfTheSameContentWritesNothing() {
    String first = store.upsert("doc", json("{\"a\":1,\"b\":[1,2]}"));
    long seq = store.lastSequence();

    assertThat(store.upsert("doc", json("{\"b\":[1,2],\"a\":1}"))).isEqualTo(first);
    assertThat(store.lastSequence()).isEqualTo(seq);
    assertThat(store.history("doc")).hasSize(1);
    assertThat(store.upsert("doc", json("{\"a\":2}"))).startsWith("2-");
  }

  @Test
  void returnedDocumentsAreCopies() {
    store.upsert("a", Map.of("n", 1));
    ObjectNode doc = store.get("a").orElseThrow();
    doc.put("n", 99);

    assertThat(store.get("a").orElseThrow().get("n").asInt()).isEqualTo(1);
  }

  // ---- update ----

  @Test
  void updateWithTheCurrentRevSucceeds() {
    store.upsert("hello", Map.of("text", "Hello"));
    ObjectNode doc = store.get("hello").orElseThrow();
    doc.put("secret", "Cats are little people!");

    String rev = store.update(doc);

    ObjectNode now = store.get("hello").orElseThrow();
    assertThat(now.get("_rev").asText()).isEqualTo(rev).startsWith("2-");
    assertThat(now.get("secret").asText()).isEqualTo("Cats are little people!");
  }

  @Test
  void strictUpdateWithAStaleRevFailsAndChangesNothing() {
    store.upsert("doc", Map.of("v", 1));
    ObjectNode stale = store.get("doc").orElseThrow();
    ObjectNode fresh = store.get("doc").orElseThrow();
    fresh.put("v", 2);
    String winner = store.update(fresh);
    stale.put("v", 3);

    assertThatThrownBy(() -> store.update(stale))
        .isInstanceOfSatisfying(
            ConflictException.class,
            e -> {
              assertThat(e.id()).isEqualTo("doc");
              assertThat(e.currentRev()).isEqualTo(winner);
            });
    assertThat(store.get("doc").orElseThrow().get("v").asInt()).isEqualTo(2);
    assertThat(store.conflicts("doc")).isEmpty();
  }

  @Test
  void keepBothUpdateStoresAStaleWriteAsAConflict() {
    store.upsert("doc", Map.of("v", 1));
    ObjectNode stale = store.get("doc").orElseThrow();
    ObjectNode fresh = store.get("doc").orElseThrow();
    fresh.put("v", 2);
    String first = store.update(fresh);
    stale.put("v", 3);

    String second = store.update(stale, WriteMode.KEEP_BOTH);

    String winner = store.get("doc").orElseThrow().get("_rev").asText();
    List<String> conflicts = store.conflicts("doc");
    assertThat(Set.of(first, second)).contains(winner);
    assertThat(conflicts).containsExactly(winner.equals(first) ? second : first);
    assertThat(store.get("doc", first).orElseThrow().get("v").asInt()).isEqualTo(2);
    assertThat(store.get("doc", second).orElseThrow().get("v").asInt()).isEqualTo(3);
  }

  @Test
  void updateWithoutRevIsRejected() {
    store.upsert("doc", Map.of("v", 1));

    assertThatThrownBy(() -> store.update(json("{\"_id\":\"doc\",\"v\":2}")))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("_rev");
  }

  @Test
  void updateOfAMissingDocumentIsNotFound() {
    assertThatThrownBy(() -> store.update("ghost", "1-" + "0".repeat(32), Map.of()))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void updateWithAnUnknownRevIsAConflictInEveryMode() {
    store.upsert("doc", Map.of("v", 1));
    String unknown = "1-" + "a".repeat(32);

    assertThatThrownBy(() -> store.update("doc", unknown, Map.of("v", 2), WriteMode.KEEP_BOTH))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("not a live revision");
  }

  @Test
  void typedDocumentsRoundTrip() {
    record Account(String owner, long balance) {}
    String rev = store.create("acct", new Account("alice", 10));

    Versioned<Account> read = store.get("acct", Account.class).orElseThrow();
    assertThat(read.value()).isEqualTo(new Account("alice", 10));
    assertThat(read.rev()).isEqualTo(rev);

    store.update("acct", read.rev(), new Account("alice", 15));
    assertThat(store.get("acct", Account.class).orElseThrow().value().balance()).isEqualTo(15);
    assertThatThrownBy(() -> store.update("acct", read.rev(), new Account("alice", 20)))
        .isInstanceOf(ConflictException.class);
    // a document that does not fit the type: a clear error, in Cairn's words
    store.upsert("odd", Map.of("owner", "bob", "balance", "lots"));
    assertThatThrownBy(() -> store.get("odd", Account.class))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("cannot be read as")
        .hasMessageNotContaining("com.fasterxml")
        .hasMessageNotContaining("Source:");
  }

  // ---- delete ----

  @Test
  void deleteLeavesATombstoneThatHistoryAndChangesShow() {
    store.upsert("doc", Map.of("v", 1));
    String tombstone = store.delete("doc");

    assertThat(store.get("doc")).isEmpty();
    assertThat(store.ids()).doesNotContain("doc");
    assertThat(store.history("doc").get(0)).isEqualTo(new Revision(tombstone, true, true));
    assertThat(store.get("doc", tombstone).orElseThrow().get("_deleted").asBoolean()).isTrue();
    assertThat(store.changes(0))
        .last()
        .isEqualTo(new Change(store.lastSequence(), "doc", tombstone, true));
  }

  @Test
  void deleteOfAMissingDocumentIsNotFound() {
    assertThatThrownBy(() -> store.delete("ghost")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void deleteWithAStaleRevIsAConflict() {
    String first = store.upsert("doc", Map.of("v", 1));
    store.upsert("doc", Map.of("v", 2));

    assertThatThrownBy(() -> store.delete("doc", first)).isInstanceOf(ConflictException.class);
    assertThat(store.get("doc")).isPresent();
  }

  @Test
  void aDeletedDocumentCanBeCreatedAgain() {
    store.create("doc", Map.of("v", 1));
    store.delete("doc");

    String rev = store.create("doc", Map.of("v", 2));

    assertThat(rev).startsWith("3-");
    assertThat(store.get("doc").orElseThrow().get("v").asInt()).isEqualTo(2);
  }

  // ---- listing ----

  @Test
  void allStreamsEveryLiveDocumentInIdOrder() {
    store.upsert("carol", Map.of("password", "hunter2"));
    store.upsert("alice", Map.of("password", "x"));
    store.upsert("bob", Map.of("password", "123"));
    store.upsert("dave", Map.of("password", "y"));
    store.delete("dave");

    assertThat(store.all().map(d -> d.get("_id").asText()))
        .containsExactly("alice", "bob", "carol");
    assertThat(store.ids()).containsExactly("alice", "bob", "carol");
  }

  // ---- conflicts and their resolution ----

  /** Makes two live leaves on "doc" and returns them. */
  private List<String> twoLeaves() {
    store.upsert("doc", Map.of("email", "a@example.com"));
    ObjectNode base = store.get("doc").orElseThrow();
    String one = store.update("doc", base.get("_rev").asText(), Map.of("email", "b@example.com"));
    String two =
        store.update(
            "doc",
            base.get("_rev").asText(),
            Map.of("email", "c@example.com"),
            WriteMode.KEEP_BOTH);
    return List.of(one, two);
  }

  @Test
  void resolveKeepsOneRevisionAndDeletesTheOthers() {
    List<String> leaves = twoLeaves();
    String loser = store.conflicts("doc").get(0);
    assertThat(leaves).contains(loser);

    store.resolve("doc", loser);

    assertThat(store.conflicts("doc")).isEmpty();
    assertThat(store.get("doc").orElseThrow().get("_rev").asText()).isEqualTo(loser);
  }

  @Test
  void resolveWithAMergedVersion() {
    twoLeaves();
    ObjectNode merged = store.get("doc").orElseThrow();
    merged.put("email", "merged@example.com");

    String rev = store.resolve(merged);

    assertThat(store.conflicts("doc")).isEmpty();
    ObjectNode now = store.get("doc").orElseThrow();
    assertThat(now.get("_rev").asText()).isEqualTo(rev);
    assertThat(now.get("email").asText()).isEqualTo("merged@example.com");
  }

  @Test
  void resolveWithARevisionThatIsNotALeafFails() {
    String first = store.upsert("doc", Map.of("v", 1));
    store.upsert("doc", Map.of("v", 2));

    assertThatThrownBy(() -> store.resolve("doc", first))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("not a live leaf");
  }

  @Test
  void resolvingSubsumedDeletesOnlyTheConflictsWhoseDataTheWinnerHolds() {
    String base = store.create("doc", Map.of("email", "a@example.com"));
    String w2 = store.update("doc", base, Map.of("email", "a@example.com", "name", "Ann"));
    String winner =
        store.update("doc", w2, Map.of("email", "a@example.com", "name", "Ann", "age", 30));
    String same = stale("doc", base, Map.of("email", "a@example.com"));
    String byValue = stale("doc", base, Map.of("email", "a@example.com", "age", 30.0));
    String other = stale("doc", base, Map.of("email", "b@example.com"));
    String more = stale("doc", base, Map.of("email", "a@example.com", "phone", "555"));
    String nested = stale("doc", base, Map.of("name", Map.of("first", "Ann")));
    long before = store.lastSequence();

    List<String> removed = store.resolve("doc", Resolution.SUBSUMED);

    assertThat(removed).containsExactlyInAnyOrder(same, byValue);
    assertThat(store.conflicts("doc")).containsExactlyInAnyOrder(other, more, nested);
    assertThat(store.get("doc").orElseThrow().get("_rev").asText()).isEqualTo(winner);
    // the deletions are ordinary revisions in the change feed
    assertThat(store.changes(before)).extracting(Change::deleted).containsExactly(true, true);
    long after = store.lastSequence();
    assertThat(store.resolve("doc", Resolution.SUBSUMED)).isEmpty();
    assertThat(store.lastSequence()).as("nothing more to settle: nothing written").isEqualTo(after);
    assertThatThrownBy(() -> store.resolve("ghost", Resolution.SUBSUMED))
        .isInstanceOf(NotFoundException.class);
  }

  /** A write based on {@code rev}, kept beside the winner as a conflict. */
  private String stale(String id, String rev, Map<String, Object> body) {
    return store.update(id, rev, body, WriteMode.KEEP_BOTH);
  }

  @Test
  void conflictsOfAnUnknownIdIsNotFound() {
    assertThatThrownBy(() -> store.conflicts("ghost")).isInstanceOf(NotFoundException.class);
  }

  // ---- history ----

  @Test
  void historyListsTheWinnersAncestorsNewestFirst() {
    String r1 = store.upsert("doc", Map.of("v", 1));
    String r2 = store.upsert("doc", Map.of("v", 2));
    String r3 = store.upsert("doc", Map.of("v", 3));

    assertThat(store.history("doc")).extracting(Revision::rev).containsExactly(r3, r2, r1);
    assertThat(store.history("doc")).extracting(Revision::generation).containsExactly(3, 2, 1);
    assertThat(store.get("doc", r1).orElseThrow().get("v").asInt()).isEqualTo(1);
  }

  // ---- the change feed ----

  @Test
  void changesListEveryWriteInSequenceOrder() {
    String a = store.upsert("a", Map.of());
    String b = store.upsert("b", Map.of());
    String a2 = store.upsert("a", Map.of("v", 2));

    List<Change> all = store.changes(0);
    assertThat(all).extracting(Change::id).containsExactly("a", "b", "a");
    assertThat(all).extracting(Change::rev).containsExactly(a, b, a2);
    assertThat(all).extracting(Change::seq).isSorted().doesNotHaveDuplicates();
    assertThat(store.changes(all.get(0).seq())).extracting(Change::rev).containsExactly(b, a2);
    assertThat(store.changes(0, 2)).hasSize(2);
    assertThat(store.lastSequence()).isEqualTo(all.get(2).seq());
  }

  @Test
  void listenersHearEveryWriteInOrder() {
    List<Change> heard = new CopyOnWriteArrayList<>();
    store.upsert("before", Map.of());
    try (Subscription s = store.listen(heard::add)) {
      for (int i = 0; i < 50; i++) {
        store.upsert("doc" + (i % 5), Map.of("i", i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 50);
      assertThat(heard).extracting(Change::seq).isSorted();
      assertThat(heard).extracting(Change::id).doesNotContain("before");
    }
  }

  @Test
  void aThrowingListenerDoesNotStopTheOthers() {
    List<Change> heard = new CopyOnWriteArrayList<>();
    try (Subscription bad =
            store.listen(
                c -> {
                  throw new IllegalStateException("listener bug");
                });
        Subscription good = store.listen(heard::add)) {
      store.upsert("a", Map.of());
      store.upsert("b", Map.of());
      await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 2);
    }
  }

  // ---- concurrency within one process ----

  /**
   * The results of every task, in order. Whatever happens, the pool's threads are stopped before
   * this returns or throws, so that a failing test leaves nothing writing after it.
   */
  private static <T> List<T> allOf(ExecutorService pool, List<Future<T>> tasks, int seconds)
      throws Exception {
    try {
      List<T> out = new ArrayList<>();
      for (Future<T> task : tasks) {
        out.add(task.get(seconds, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void concurrentStrictReadModifyWriteLosesNoUpdate() throws Exception {
    store.upsert("counter", Map.of("n", 0));
    int threads = 4;
    int perThread = 100;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                int conflicts = 0;
                for (int i = 0; i < perThread; i++) {
                  while (true) {
                    ObjectNode doc = store.get("counter").orElseThrow();
                    doc.put("n", doc.get("n").asInt() + 1);
                    try {
                      store.update(doc);
                      break;
                    } catch (ConflictException e) {
                      conflicts++;
                    }
                  }
                }
                return conflicts;
              }));
    }
    start.countDown();
    allOf(pool, results, 60);

    assertThat(store.get("counter").orElseThrow().get("n").asInt()).isEqualTo(threads * perThread);
    assertThat(store.conflicts("counter")).isEmpty();
    assertThat(store.history("counter")).hasSize(threads * perThread + 1);
  }

  @Test
  void concurrentCreatesOfOneIdHaveExactlyOneWinner() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      results.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  store.create("only", Map.of("by", me));
                  return true;
                } catch (ConflictException e) {
                  return false;
                }
              }));
    }
    start.countDown();
    long winners = allOf(pool, results, 30).stream().filter(won -> won).count();

    assertThat(winners).isEqualTo(1);
    assertThat(store.history("only")).hasSize(1);
  }

  // ---- replication ----

  @Test
  void storesEditedApartConvergeAfterSync() {
    try (DocumentStore other = newStore()) {
      store.upsert("shared", Map.of("v", 0));
      DocumentStore.sync(store, other);
      String base = store.get("shared").orElseThrow().get("_rev").asText();

      store.update("shared", base, Map.of("v", "here"));
      other.update("shared", base, Map.of("v", "there"));
      store.upsert("only-here", Map.of());
      other.upsert("only-there", Map.of());
      other.delete("shared", other.get("shared").orElseThrow().get("_rev").asText());

      ReplicationResult result = DocumentStore.sync(store, other);

      assertThat(result.revisions()).isEqualTo(5); // here, only-here; there, tombstone, only-there
      assertThat(snapshot(store)).isEqualTo(snapshot(other));
      assertThat(store.ids()).containsExactly("only-here", "only-there", "shared");
      assertThat(store.get("shared").orElseThrow().get("v").asText()).isEqualTo("here");
      assertThat(DocumentStore.sync(store, other).revisions()).isZero();
    }
  }

  @Test
  void equalEditsOnTwoCopiesGiveEqualRevisions() {
    try (DocumentStore other = newStore()) {
      String a = store.upsert("doc", Map.of("x", 1, "y", List.of(1, 2)));
      String b = other.upsert("doc", json("{\"y\":[1,2],\"x\":1.0}"));

      assertThat(a).isEqualTo(b);
      DocumentStore.sync(store, other);
      assertThat(store.conflicts("doc")).isEmpty();
    }
  }

  @Test
  void conflictingEditsPickTheSameWinnerOnBothCopies() {
    try (DocumentStore other = newStore()) {
      store.upsert("doc", Map.of("v", "mine"));
      other.upsert("doc", Map.of("v", "yours"));

      DocumentStore.sync(store, other);

      assertThat(store.get("doc")).isEqualTo(other.get("doc"));
      assertThat(store.conflicts("doc")).hasSize(1).isEqualTo(other.conflicts("doc"));
      store.resolve("doc", store.conflicts("doc").get(0));
      DocumentStore.sync(store, other);
      assertThat(other.conflicts("doc")).isEmpty();
      assertThat(store.get("doc")).isEqualTo(other.get("doc"));
    }
  }

  /** Every document's winner and conflicts, for comparing two stores. */
  public static Map<String, String> snapshot(DocumentStore s) {
    return s.ids().stream()
        .collect(
            Collectors.toMap(
                id -> id,
                id -> s.get(id).orElseThrow().toString() + " conflicts " + s.conflicts(id)));
  }

  // ---- backup ----

  @Test
  void aFullExportImportedIntoAnEmptyStoreGivesTheSameStore() {
    store.upsert("plain", Map.of("n", 1));
    store.upsert("plain", Map.of("n", 2));
    twoLeavesOn("pair");
    store.upsert("gone", Map.of());
    store.delete("gone");
    try (SharedObject counter = store.share("counter", Map.of("n", 0))) {
      counter.patch("{\"$inc\":{\"n\":5}}").join();
    }
    List<ObjectNode> backup = store.exportAll().toList();

    try (DocumentStore copy = newStore()) {
      ImportResult imported = copy.importAll(backup);
      assertThat(imported.revisions()).isEqualTo(7); // plain 2, pair 3, gone 2
      assertThat(snapshot(copy)).isEqualTo(snapshot(store));
      for (String id : List.of("plain", "pair")) {
        assertThat(copy.history(id)).isEqualTo(store.history(id));
      }
      assertThat(copy.changes(0))
          .extracting(Change::rev)
          .containsExactlyInAnyOrderElementsOf(store.changes(0).stream().map(Change::rev).toList());
      try (SharedObject counter = copy.share("counter")) {
        assertThat(counter.get().get("n").asInt()).isEqualTo(5);
      }
      // again: nothing is missing, so nothing is added
      long seq = copy.lastSequence();
      assertThat(copy.importAll(backup)).isEqualTo(new ImportResult(0, 0, 0));
      assertThat(copy.lastSequence()).isEqualTo(seq);
      assertThat(copy.exportAll().toList()).containsExactlyInAnyOrderElementsOf(backup);
    }
  }

  @Test
  void aBackupWithAChangedRevisionImportsNothing() {
    store.upsert("a", Map.of("n", 1));
    store.upsert("b", Map.of("n", 2));
    List<ObjectNode> backup = store.exportAll().toList();
    backup.get(1).put("n", 3); // b's content, no longer what its revision id says

    try (DocumentStore copy = newStore()) {
      assertThatThrownBy(() -> copy.importAll(backup))
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("object 2")
          .hasMessageContaining("does not match its content");
      assertThat(copy.ids()).isEmpty();
      assertThatThrownBy(
              () ->
                  copy.importAll(
                      List.of(json("{\"_log\":\"_replication/x\",\"_entry\":\"AA==\"}"))))
          .isInstanceOf(InvalidDocumentException.class);
      assertThat(copy.lastSequence()).isZero();
    }
  }

  // ---- compaction ----

  @Test
  void compactionKeepsTheLastRevisionsAndEverythingUsersSee() {
    for (int i = 0; i < 20; i++) {
      store.upsert("doc", Map.of("v", i));
    }
    store.upsert("other", Map.of());
    twoLeavesOn("pair");
    store.upsert("gone", Map.of());
    store.delete("gone");
    Map<String, String> before = snapshot(store);

    CompactionResult result = store.compact(3);

    assertThat(result.revisionsRemoved()).isEqualTo(17);
    assertThat(snapshot(store)).isEqualTo(before);
    assertThat(store.history("doc")).hasSize(3);
    assertThat(store.get("gone")).isEmpty();
    assertThat(store.history("gone").get(0).deleted()).isTrue();
    String rev = store.upsert("doc", Map.of("v", 20));
    assertThat(rev).startsWith("21-");
  }

  private void twoLeavesOn(String id) {
    String base = store.upsert(id, Map.of("v", 0));
    store.update(id, base, Map.of("v", 1));
    store.update(id, base, Map.of("v", 2), WriteMode.KEEP_BOTH);
  }

  // ---- patch ----

  @Test
  void patchAppliesUpdateOperatorsAsTheNextRevision() {
    String first = store.create("cart", Map.of("items", List.of("apple"), "total", 3));

    ObjectNode patched =
        store.patch("cart", "{\"$push\":{\"items\":\"pear\"},\"$inc\":{\"total\":2}}");

    assertThat(patched.get("items").toString()).isEqualTo("[\"apple\",\"pear\"]");
    assertThat(patched.get("total").asInt()).isEqualTo(5);
    assertThat(patched.get("_rev").asText()).startsWith("2-");
    assertThat(store.get("cart")).contains(patched);
    assertThat(store.history("cart")).extracting(Revision::rev).endsWith(first);
  }

  @Test
  void aPatchThatFailsOrChangesNothingWritesNothing() {
    store.create("cart", Map.of("total", 3, "note", "x"));
    long before = store.lastSequence();

    assertThatThrownBy(() -> store.patch("cart", "{\"$inc\":{\"note\":1}}"))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("not a number");
    assertThat(store.patch("cart", "{\"$max\":{\"total\":1}}").get("total").asInt()).isEqualTo(3);
    assertThatThrownBy(() -> store.patch("ghost", "{\"$set\":{\"a\":1}}"))
        .isInstanceOf(NotFoundException.class);
    assertThat(store.lastSequence()).isEqualTo(before);
  }

  /** A write one thread repeats; {@code thread} says which thread it is. */
  @FunctionalInterface
  private interface Repeated {
    void run(int thread) throws Exception;
  }

  /** Runs {@code write} {@code each} times in each of {@code threads} threads, all at once. */
  private static void inThreads(int threads, int each, Repeated write) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Object>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      done.add(
          pool.submit(
              () -> {
                for (int i = 0; i < each; i++) {
                  write.run(me);
                }
                return null;
              }));
    }
    allOf(pool, done, 60);
  }

  @Test
  void concurrentPatchesAreNeverLost() throws Exception {
    store.create("tally", Map.of("n", 0, "seen", List.of()));
    int threads = 4;
    int each = 50;
    inThreads(
        threads,
        each,
        me ->
            store.patch("tally", "{\"$inc\":{\"n\":1},\"$addToSet\":{\"seen\":\"t" + me + "\"}}"));

    ObjectNode tally = store.get("tally").orElseThrow();
    assertThat(tally.get("n").asInt()).isEqualTo(threads * each);
    assertThat(tally.get("seen")).hasSize(threads);
  }

  @Test
  void patchOrCreateCreatesOnceWithSetOnInsertThenPatches() throws Exception {
    String update = "{\"$inc\":{\"n\":1},\"$setOnInsert\":{\"by\":\"first\"}}";
    int threads = 4;
    int each = 25;
    inThreads(threads, each, me -> store.patchOrCreate("visits", update));

    ObjectNode visits = store.get("visits").orElseThrow();
    assertThat(visits.get("n").asInt()).isEqualTo(threads * each); // one creation, no lost $inc
    assertThat(visits.get("by").asText()).isEqualTo("first");
    assertThat(store.history("visits")).hasSize(threads * each);
    assertThat(store.conflicts("visits")).isEmpty();

    store.delete("visits");
    ObjectNode reborn = store.patchOrCreate("visits", Update.of().inc("n", 1).setOnInsert("by", 2));
    assertThat(reborn.get("n").asInt()).isEqualTo(1); // a deleted document starts empty again
    assertThat(reborn.get("by").asInt()).isEqualTo(2);
    long before = store.lastSequence();
    assertThatThrownBy(() -> store.patchOrCreate("bad", "{\"$inc\":{\"n\":\"x\"}}"))
        .isInstanceOf(InvalidUpdateException.class);
    assertThat(store.get("bad")).isEmpty();
    assertThat(store.lastSequence()).isEqualTo(before);
  }

  // ---- scoped ----

  @Test
  void scopedStartsFromAnEmptyObjectAndPersistsTheChanges() {
    String greeting =
        store.scoped(
            "settings",
            doc -> {
              assertThat(doc.isEmpty()).isTrue();
              doc.put("theme", "dark");
              return "saved";
            });

    assertThat(greeting).isEqualTo("saved");
    assertThat(store.get("settings").orElseThrow().get("theme").asText()).isEqualTo("dark");
  }

  @Test
  void scopedThatChangesNothingWritesNothing() {
    store.upsert("settings", Map.of("theme", "dark", "nested", Map.of("a", 1)));
    long before = store.lastSequence();

    int size = store.scoped("settings", doc -> doc.size());

    assertThat(size).isEqualTo(2);
    assertThat(store.lastSequence()).isEqualTo(before);
  }

  @Test
  void scopedSeesNestedChanges() {
    store.upsert("settings", json("{\"nested\":{\"list\":[1,2],\"deep\":{\"x\":1}}}"));

    store.scoped(
        "settings",
        doc -> {
          ((ObjectNode) doc.get("nested").get("deep")).put("x", 2);
          return null;
        });
    store.scoped(
        "settings",
        doc -> {
          ((com.fasterxml.jackson.databind.node.ArrayNode) doc.get("nested").get("list")).add(3);
          return null;
        });

    ObjectNode now = store.get("settings").orElseThrow();
    assertThat(now.at("/nested/deep/x").asInt()).isEqualTo(2);
    assertThat(now.at("/nested/list").toString()).isEqualTo("[1,2,3]");
    assertThat(store.history("settings")).hasSize(3);
  }

  @Test
  void concurrentScopedIncrementsLoseNothing() throws Exception {
    int threads = 4;
    int each = 200;
    inThreads(
        threads,
        each,
        me -> store.scoped("counter", doc -> doc.put("n", doc.path("n").asLong() + 1)));

    assertThat(store.get("counter").orElseThrow().get("n").asLong()).isEqualTo(threads * each);
  }

  @Test
  void scopedGivesUpWithContentionWhenAnotherWriterAlwaysWins() {
    store.upsert("hot", Map.of("n", 0));
    java.util.concurrent.atomic.AtomicInteger runs =
        new java.util.concurrent.atomic.AtomicInteger();
    Retry three = Retry.DEFAULT.withMaxAttempts(3);

    assertThatThrownBy(
            () ->
                store.scoped(
                    "hot",
                    three,
                    doc -> {
                      runs.incrementAndGet();
                      // another writer gets in between every read and write of this function
                      store.upsert("hot", Map.of("n", -runs.get()));
                      return doc.put("n", 100);
                    }))
        .isInstanceOfSatisfying(
            ContentionException.class,
            e -> {
              assertThat(e.attempts()).isEqualTo(3);
              assertThat(e.name()).isEqualTo("hot");
              assertThat(e.getMessage()).contains("3 attempts");
            });
    // the first run is on this process's cached copy, which its refused write proves behind: not an
    // attempt, since the other write may have come before the call; then three attempts
    assertThat(runs.get()).isEqualTo(4);
    assertThat(store.get("hot").orElseThrow().get("n").asInt()).isEqualTo(-4); // none of its writes
  }

  @Test
  void aScopedFunctionThatThrowsWritesNothing() {
    store.upsert("doc", Map.of("n", 1));
    long before = store.lastSequence();

    assertThatThrownBy(
            () ->
                store.scoped(
                    "doc",
                    doc -> {
                      doc.put("n", 2);
                      throw new IllegalStateException("changed my mind");
                    }))
        .hasMessage("changed my mind");
    assertThat(store.lastSequence()).isEqualTo(before);
    assertThat(store.get("doc").orElseThrow().get("n").asInt()).isEqualTo(1);
  }

  @Test
  void typedScopedUsesTheDefaultThenTheStoredValue() {
    record Counter(long n, String label) {}

    Counter first =
        store.scoped(
            "typed",
            Counter.class,
            () -> new Counter(10, "c"),
            c -> new Counter(c.n() + 1, c.label()));
    Counter second =
        store.scoped(
            "typed",
            Counter.class,
            () -> new Counter(10, "c"),
            c -> new Counter(c.n() + 1, c.label()));

    assertThat(first).isEqualTo(new Counter(11, "c"));
    assertThat(second).isEqualTo(new Counter(12, "c"));
    assertThat(store.get("typed", Counter.class).orElseThrow().value()).isEqualTo(second);
  }

  @Test
  void scopedNamesAreValidatedLikeIds() {
    assertThatThrownBy(() -> store.scoped("../etc", doc -> null))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> new Retry(0, Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxAttempts");
  }

  // ---- bad input ----

  @Test
  void badIdsAreRejectedAndNothingIsWritten() {
    List<String> bad =
        List.of(
            "",
            "../x",
            "a/b",
            "a\\b",
            ".",
            "..",
            "nul\u0000",
            "tab\t",
            "_reserved",
            "x".repeat(513));
    for (String id : bad) {
      assertThatThrownBy(() -> store.upsert(id, Map.of("v", 1)))
          .as("id %s", id)
          .isInstanceOf(InvalidDocumentException.class);
    }
    assertThat(store.lastSequence()).isZero();
  }

  @Test
  void badBodiesAreRejectedAndNothingIsWritten() {
    assertThatThrownBy(() -> store.upsert("a", "[1,2]"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("an array");
    assertThatThrownBy(() -> store.upsert("a", "{not json"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> store.upsert("a", "{\"k\":1,\"k\":2}"))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> store.upsert("a", "{\"_secret\":1}"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> store.upsert(json("{\"_id\":\"a\",\"_rev\":\"banana\"}")))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("_rev");
    assertThatThrownBy(() -> store.upsert(json("{\"_id\":7}")))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> store.upsert("a", json("{\"_id\":\"b\"}")))
        .isInstanceOf(InvalidDocumentException.class);
    assertThat(store.lastSequence()).isZero();
  }

  /** An object nested {@code depth} levels deep. */
  private static ObjectNode nested(int depth) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode at = root;
    for (int i = 1; i < depth; i++) {
      at = at.putObject("d");
    }
    return root;
  }

  @Test
  void inputThatCouldTakeAProcessDownIsRefusedAndChangesNothing() {
    store.upsert("doc", Map.of("arr", List.of(1, 2), "n", 1));
    String rev = store.get("doc").orElseThrow().get("_rev").asText();
    long seq = store.lastSequence();

    // padding an array up to a huge index: refused before a single null is added
    for (String index : List.of("999999999", "20000000", "1500003")) {
      assertThatThrownBy(() -> store.patch("doc", "{\"$set\":{\"arr." + index + "\":1}}"))
          .isInstanceOf(InvalidUpdateException.class)
          .hasMessageContaining("can't backfill more than 1500000 elements");
    }
    // nested deeper than any document may be, in every way in
    ObjectNode deep = nested(10_000);
    assertThatThrownBy(() -> store.create("deep", deep))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("nested more than 100 levels");
    assertThatThrownBy(() -> store.upsert("deep", deep))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> store.scoped("doc", d -> d.set("deep", nested(10_000))))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("nested more than 100 levels");
    ObjectNode deepUpdate = Json.MAPPER.createObjectNode();
    deepUpdate.putObject("$set").set("x", nested(10_000));
    assertThatThrownBy(() -> store.patch("doc", deepUpdate))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("nested more than 100 levels");
    assertThatThrownBy(() -> store.share("deep", deep))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> store.upsert("deep", "[".repeat(5000) + "]".repeat(5000)))
        .isInstanceOf(InvalidDocumentException.class);
    store.upsert("deep-enough", nested(100)); // the limit itself is fine

    // JSON that is not exactly one value, or a number no double holds, or broken Unicode
    assertThatThrownBy(() -> store.upsert("x", "{\"a\":1}garbage"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> store.upsert("x", "{\"a\":1}{\"b\":2}"))
        .isInstanceOf(InvalidDocumentException.class);
    for (String number : List.of("1e400", "-1e400", "1e-400", "NaN", "Infinity")) {
      assertThatThrownBy(() -> store.upsert("x", "{\"a\":" + number + "}"))
          .as(number)
          .isInstanceOf(InvalidDocumentException.class);
    }
    for (Object number :
        List.of(
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            new java.math.BigDecimal("1e400"))) {
      assertThatThrownBy(() -> store.upsert("x", Map.of("a", number)))
          .as(String.valueOf(number))
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("double");
    }
    assertThatThrownBy(() -> store.upsert("x", "{\"a\":\"\\ud800\"}"))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("lone surrogate");
    assertThatThrownBy(() -> store.upsert("x", Map.of("a", "bad \uDC00 text")))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("lone surrogate");
    assertThatThrownBy(() -> store.upsert("x", Map.of("\uD800", 1)))
        .isInstanceOf(InvalidDocumentException.class);

    assertThat(store.lastSequence()).isEqualTo(seq + 1); // only deep-enough was written
    assertThat(store.get("doc").orElseThrow().get("_rev").asText()).isEqualTo(rev);
    assertThat(store.get("x")).isEmpty();
    // numbers a double holds are stored as that double
    store.upsert("num", "{\"a\":1e300,\"b\":0.1,\"c\":123456789012345678901234567890}");
    ObjectNode num = store.get("num").orElseThrow();
    assertThat(num.get("a").doubleValue()).isEqualTo(1e300);
    assertThat(num.get("b").doubleValue()).isEqualTo(0.1);
    assertThat(num.get("c").bigIntegerValue())
        .isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
  }

  @Test
  void oversizedDocumentsAreRejected() {
    try (DocumentStore small = Cairn.builder("mem:").maxDocumentBytes(100).open()) {
      assertThatThrownBy(() -> small.upsert("big", Map.of("s", "x".repeat(200))))
          .isInstanceOf(InvalidDocumentException.class)
          .hasMessageContaining("limit is 100 bytes");
      assertThat(small.lastSequence()).isZero();
    }
  }

  @Test
  void unicodeIdsAndBodiesRoundTrip() {
    String id = "caf\u00e9-\ud83d\ude00";
    store.upsert(id, Map.of("text", "\u65e5\u672c\u8a9e"));

    assertThat(store.get(id).orElseThrow().get("text").asText()).isEqualTo("\u65e5\u672c\u8a9e");
    assertThat(new HashSet<>(store.ids())).containsExactly(id);
  }

  @Test
  void aClosedStoreRefusesWrites() {
    DocumentStore s = newStore();
    s.close();
    s.close();

    assertThatThrownBy(() -> s.upsert("a", Map.of())).isInstanceOf(IllegalStateException.class);
  }
}
