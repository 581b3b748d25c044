package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.DocumentStoreContract;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the {@code file:} backend, plus what only a directory can do. */
class FileDocumentStoreTest extends DocumentStoreContract {
  @TempDir Path root;
  private final AtomicInteger stores = new AtomicInteger();

  @Override
  protected DocumentStore newStore() {
    return Cairn.open(root.resolve("store" + stores.incrementAndGet()));
  }

  @Test
  void everythingIsThereAfterReopening() {
    Path dir = root.resolve("reopened");
    String rev;
    try (DocumentStore s = Cairn.open(dir)) {
      s.upsert("a", Map.of("v", 1));
      rev = s.upsert("a", Map.of("v", 2));
      s.upsert("b", Map.of("v", 3));
      s.delete("b");
    }
    try (DocumentStore s = Cairn.open("file:" + dir)) {
      assertThat(s.get("a").orElseThrow().get("_rev").asText()).isEqualTo(rev);
      assertThat(s.ids()).containsExactly("a");
      assertThat(s.history("a")).hasSize(2);
      assertThat(s.lastSequence()).isEqualTo(4);
    }
  }

  @Test
  void twoHandlesInOneProcessShareTheStore() {
    Path dir = root.resolve("shared");
    try (DocumentStore one = Cairn.open(dir);
        DocumentStore two =
            Cairn.builder(dir.toUri().toString()).durability(Durability.OS).open()) {
      one.upsert("a", Map.of("v", 1));
      assertThat(two.get("a")).isPresent();
      two.upsert("a", Map.of("v", 2));
      assertThat(one.get("a").orElseThrow().get("v").asInt()).isEqualTo(2);
      one.close();
      two.upsert("b", Map.of());
      assertThat(two.ids()).containsExactly("a", "b");
    }
  }

  @Test
  void aStoreOpenedThroughASymbolicLinkIsTheSameStore() throws Exception {
    Path real = java.nio.file.Files.createDirectories(root.resolve("real"));
    Path link = java.nio.file.Files.createSymbolicLink(root.resolve("link"), real);
    try (DocumentStore direct = Cairn.open(real.resolve("store"));
        DocumentStore linked = Cairn.open(link.resolve("store"))) {
      // concurrent writes through both names: two separate opens of one file in one process
      // would fight over its locks
      java.util.concurrent.CompletableFuture<Void> viaLink =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 300; i++) {
                  linked.upsert("l" + i, Map.of());
                }
              });
      for (int i = 0; i < 300; i++) {
        direct.upsert("d" + i, Map.of());
      }
      viaLink.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(direct.ids()).hasSize(600);
    }
    try (DocumentStore linked = Cairn.open(link.resolve("store"))) {
      assertThat(linked.ids()).hasSize(600);
    }
  }

  @Test
  void compactionShrinksTheLogAndSurvivesReopen() {
    Path dir = root.resolve("compacted");
    try (DocumentStore s = Cairn.open(dir)) {
      for (int i = 0; i < 200; i++) {
        s.upsert("doc", Map.of("v", i, "padding", "x".repeat(100)));
      }
      CompactionResult result = s.compact(1);
      assertThat(result.revisionsRemoved()).isEqualTo(199);
      assertThat(result.bytesAfter()).isLessThan(result.bytesBefore() / 5);
      s.upsert("doc", Map.of("v", 200));
    }
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.get("doc").orElseThrow().get("v").asInt()).isEqualTo(200);
      assertThat(s.history("doc")).hasSize(2);
    }
  }
}
