package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.testkit.Jvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retention policy: a document keeps the last revisions of each branch, in memory and, after
 * compaction (automatic for a directory store), on disk; so a hot document costs bounded memory.
 */
class RetentionTest {
  @TempDir Path dir;

  /** Writes revisions of one document as fast as it can, in a JVM of a small heap. */
  public static final class HotWriter {
    public static void main(String[] args) {
      int revisions = Integer.parseInt(args[1]);
      try (DocumentStore s = Cairn.builder(args[0]).durability(Durability.OS).open()) {
        for (int i = 0; i < revisions; i++) {
          s.upsert("hot", Map.of("n", i, "pad", "x".repeat(40)));
        }
        System.out.println("done " + s.get("hot").orElseThrow().get("n").asInt());
      }
    }
  }

  @Test
  void aHotDocumentOf250kRevisionsFitsInASmallHeap() throws Exception {
    // without retention its revision tree alone took some 300 bytes a revision, 75 MB here
    try (Jvm writer =
        Jvm.start(
            List.of("-Xmx48m"),
            Map.of(),
            HotWriter.class,
            dir.resolve("hot").toString(),
            "250000")) {
      assertThat(writer.await(l -> l.startsWith("done"), Duration.ofMinutes(5)))
          .isEqualTo("done 249999");
      assertThat(writer.waitFor(Duration.ofMinutes(1))).isZero();
    }
    try (DocumentStore s = Cairn.open(dir.resolve("hot"))) {
      List<Revision> history = s.history("hot");
      assertThat(history.size()).isBetween(1000, 2 * 1000 + 16);
      assertThat(history.get(0).rev()).startsWith("250000-");
    }
  }

  @Test
  void oldRevisionsAreForgottenButAnyKeptOneIsReadDirectly() {
    try (DocumentStore s = Cairn.builder(dir.toString()).keepRevisions(10).open()) {
      List<String> revs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        revs.add(s.upsert("doc", Map.of("n", i)));
      }
      List<Revision> history = s.history("doc");
      assertThat(history.size()).isBetween(10, 2 * 10 + 16);
      for (Revision r : history) {
        int n = Integer.parseInt(r.rev().substring(0, r.rev().indexOf('-'))) - 1;
        assertThat(s.get("doc", r.rev()).orElseThrow().get("n").asInt()).isEqualTo(n);
      }
      assertThat(s.get("doc", revs.get(0))).isEmpty(); // forgotten, though still on disk
      assertThat(s.get("doc", revs.get(199)).orElseThrow().get("n").asInt()).isEqualTo(199);
    }
  }

  @Test
  void aDirectoryStoreCompactsItselfWhenItsLogHasDoubled() {
    try (DocumentStore s =
        Cairn.builder(dir.toString())
            .durability(Durability.OS)
            .keepRevisions(3)
            .autoCompact(256 << 10)
            .open()) {
      s.upsert("doc", Map.of("n", 0));
      long written = 1;
      while (written < 20_000) { // 5 MB of revisions through a log that compacts at 256 KiB
        s.upsert("doc", Map.of("n", written++, "pad", "y".repeat(200)));
      }
      // the store compacted itself in the background while the writes went on: the first
      // revision left the log, and as writes go on the log comes back under a bound (those kept,
      // and those written since the last compaction began: about 2 × 256 KiB of them; how many
      // a compaction lets in meanwhile depends on the machine's load, so writes continue)
      long[] next = {written};
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                s.upsert("doc", Map.of("n", next[0]++, "pad", "y".repeat(200)));
                return !s.changes(0, 1).get(0).rev().startsWith("1-")
                    && s.changes(0).size() < 2 * (256 << 10) / 200;
              });
      assertThat(s.get("doc").orElseThrow().get("n").asLong()).isEqualTo(next[0] - 1);
    }
  }

  @Test
  void aBackupOfALongHistoryImportsOnceEvenWhereItsOldRevisionsAreForgotten() {
    try (DocumentStore from = Cairn.open(dir.resolve("from"));
        DocumentStore to = Cairn.builder(dir.resolve("to").toString()).keepRevisions(5).open()) {
      for (int i = 0; i < 100; i++) {
        from.upsert("doc", Map.of("n", i));
      }
      List<com.fasterxml.jackson.databind.node.ObjectNode> backup = from.exportAll().toList();
      assertThat(to.importAll(backup).revisions()).isEqualTo(100);
      long seq = to.lastSequence();

      // the tree of "doc" keeps about 5 of them; the other 95 are still in the log
      assertThat(to.importAll(backup)).isEqualTo(new ImportResult(0, 0, 0));
      assertThat(to.lastSequence()).isEqualTo(seq);
      try (DocumentStore copy = Cairn.open(dir.resolve("copy"))) {
        copy.pullFrom(from);
        assertThat(to.pullFrom(copy).revisions()).isZero(); // nor by replication
      }
      assertThat(to.changes(0)).hasSize(100); // the log of "doc" (the replication checkpoint aside)
    }
  }

  @Test
  void aForgottenHistorySentAgainJoinsItsBranchAndMakesNoConflict() {
    try (DocumentStore full = Cairn.open(dir.resolve("full"));
        DocumentStore kept =
            Cairn.builder(dir.resolve("kept").toString()).keepRevisions(5).open()) {
      for (int i = 0; i < 100; i++) {
        full.upsert("doc", Map.of("n", i));
      }
      kept.pullFrom(full);
      kept.compact(5);
      assertThat(kept.conflicts("doc")).isEmpty();
      // a copy with the whole history, never replicated with: all of it arrives again
      try (DocumentStore other = Cairn.open(dir.resolve("other"))) {
        other.pullFrom(full);
        kept.pullFrom(other);
      }
      assertThat(kept.conflicts("doc")).isEmpty();
      assertThat(kept.get("doc").orElseThrow().get("n").asInt()).isEqualTo(99);
      full.upsert("doc", Map.of("n", 100));
      kept.pullFrom(full);
      assertThat(kept.conflicts("doc")).isEmpty();
      assertThat(kept.get("doc").orElseThrow().get("n").asInt()).isEqualTo(100);
    }
  }
}
