package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.testkit.DocumentStoreContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store opened with {@code autoResolve(SUBSUMED)} settles, on its own, every conflict whose data
 * the winner holds: after its writes, replication into it and imports; the deletions replicate, so
 * every copy converges on them.
 */
class AutoResolveTest {
  @TempDir Path dir;

  private DocumentStore resolving(String name) {
    return Cairn.builder(dir.resolve(name).toString()).autoResolve(Resolution.SUBSUMED).open();
  }

  /** "doc" with a winner holding {email, name}, and a conflict of each kind on its first rev. */
  private static List<String> conflicted(DocumentStore s) {
    String base = s.create("doc", Map.of("email", "a@example.com"));
    winnerOverTwoRevisions(s, base);
    String subsumed = s.update("doc", base, Map.of("name", "Ann"), WriteMode.KEEP_BOTH);
    String kept = s.update("doc", base, Map.of("email", "b@example.com"), WriteMode.KEEP_BOTH);
    return List.of(base, subsumed, kept);
  }

  /** Writes {email, name} two revisions over {@code base}: stale writes on base lose to it. */
  private static void winnerOverTwoRevisions(DocumentStore s, String base) {
    String next = s.update("doc", base, Map.of("email", "a@example.com"));
    s.update("doc", next, Map.of("email", "a@example.com", "name", "Ann"));
  }

  @Test
  void aWriteThatLeavesASubsumedConflictIsSettledBeforeItReturns() {
    try (DocumentStore s = resolving("store")) {
      String base = s.create("doc", Map.of("email", "a@example.com"));
      winnerOverTwoRevisions(s, base);

      String stale = s.update("doc", base, Map.of("email", "a@example.com"), WriteMode.KEEP_BOTH);

      assertThat(s.conflicts("doc")).isEmpty();
      assertThat(s.history("doc").get(0).rev()).isNotEqualTo(stale);
      String different =
          s.update("doc", base, Map.of("email", "b@example.com"), WriteMode.KEEP_BOTH);
      assertThat(s.conflicts("doc")).containsExactly(different); // a human settles this one
    }
  }

  @Test
  void replicationIntoTheStoreSettlesAndTheOtherCopyConvergesOnIt() {
    try (DocumentStore plain = Cairn.open(dir.resolve("plain"));
        DocumentStore settling = resolving("settling")) {
      List<String> revs = conflicted(plain);
      plain.upsert("other", Map.of("n", 1));
      assertThat(plain.conflicts("doc")).hasSize(2);

      settling.pullFrom(plain);

      assertThat(settling.conflicts("doc")).containsExactly(revs.get(2));
      assertThat(plain.conflicts("doc")).hasSize(2); // the source is not changed by a pull
      DocumentStore.sync(plain, settling);
      assertThat(plain.conflicts("doc")).containsExactly(revs.get(2));
      assertThat(DocumentStoreContract.snapshot(plain))
          .isEqualTo(DocumentStoreContract.snapshot(settling));
    }
  }

  @Test
  void anImportIsSettledToo() {
    List<com.fasterxml.jackson.databind.node.ObjectNode> backup;
    List<String> revs;
    try (DocumentStore plain = Cairn.open(dir.resolve("plain"))) {
      revs = conflicted(plain);
      backup = plain.exportAll().toList();
    }
    try (DocumentStore settling = resolving("settling")) {
      settling.importAll(backup);
      assertThat(settling.conflicts("doc")).containsExactly(revs.get(2));
    }
  }

  @Test
  void withoutTheRuleConflictsWaitForSomeone() {
    try (DocumentStore plain = Cairn.open(dir.resolve("plain"))) {
      conflicted(plain);
      assertThat(plain.conflicts("doc")).hasSize(2);
    }
    assertThatThrownBy(() -> Cairn.builder(dir.toString()).autoResolve(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
