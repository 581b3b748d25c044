package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.Jvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store far larger than a small heap opens, reads, takes writes and compacts in a fresh process
 * with that heap.
 */
class LargeStoreTest {
  private static final int DOCUMENTS = 1_000_000;
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @TempDir Path dir;

  @Test
  void aStoreOfAMillionDocumentsOpensAndCompactsInAFreshProcessWithA64MiBHeap() throws Exception {
    ExecutorService writers = Executors.newFixedThreadPool(2);
    try (DocumentStore store = Cairn.builder(dir.toString()).durability(Durability.OS).open()) {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int first = t;
        done.add(
            writers.submit(
                () -> {
                  for (int i = first; i < DOCUMENTS; i += 2) {
                    store.create(id(i), Map.of("i", i, "name", "document number " + i));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      writers.shutdownNow();
    }
    assertThat(dir.resolve("data-00000001.idx")).exists(); // written at close

    try (Jvm reader =
        Jvm.start(
            List.of("-Xmx64m"),
            Map.of(),
            LargeStoreTest.class,
            dir.toString(),
            Integer.toString(DOCUMENTS))) {
      reader.await(line -> line.equals("read"), DEADLINE);
      assertThat(reader.waitFor(DEADLINE)).isZero();
    }
    assertThat(dir.resolve("data-00000002.log")).exists(); // compacted by the reader
    assertThat(dir.resolve("data-00000002.idx")).exists();
    try (DocumentStore store = Cairn.open(dir)) {
      assertThat(store.get("written-by-the-reader")).isPresent();
      assertThat(store.get(id(DOCUMENTS - 1)).orElseThrow().get("i").asInt())
          .isEqualTo(DOCUMENTS - 1);
    }
  }

  private static String id(int i) {
    return "doc-" + i;
  }

  /** The reader: opens the store, reads documents at random and checks them, writes, compacts. */
  public static void main(String[] args) throws Exception {
    int documents = Integer.parseInt(args[1]);
    Random random = new Random();
    try (DocumentStore store = Cairn.open(Path.of(args[0]))) {
      for (int n = 0; n < 20_000; n++) {
        int i = random.nextInt(documents);
        var doc = store.get(id(i)).orElseThrow(() -> new AssertionError("missing " + id(i)));
        if (doc.get("i").asInt() != i || !doc.get("_rev").asText().startsWith("1-")) {
          throw new AssertionError("wrong document " + doc);
        }
      }
      if (store.get("doc-" + documents).isPresent()) {
        throw new AssertionError("a document that was never written");
      }
      store.create("written-by-the-reader", Map.of("ok", true));
      store.compact(1); // and compacts it, within the same heap
      for (int n = 0; n < 1000; n++) {
        int i = random.nextInt(documents);
        if (store.get(id(i)).orElseThrow().get("i").asInt() != i) {
          throw new AssertionError("wrong document after compaction: " + id(i));
        }
      }
      System.gc();
      Runtime rt = Runtime.getRuntime();
      System.err.printf(
          "heap in use after reading: %d MiB%n", (rt.totalMemory() - rt.freeMemory()) >> 20);
      System.out.println("read");
    }
    if (!Files.exists(Path.of(args[0]))) {
      throw new AssertionError("the store went away");
    }
  }
}
