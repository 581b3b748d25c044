package dev.cairn.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.document.RevisionEntry;
import dev.cairn.document.RevisionTree;
import dev.cairn.memory.MemoryBackend;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's cache of reduced values is bounded by their estimated memory, not their number. */
class EngineCacheTest {
  private static final int BODY = 1000;

  @Test
  void theCacheHoldsWhatFitsItsBytesAndRebuildsWhatLeftIt() {
    try (Engine<RevisionTree> engine =
        new Engine<>(new MemoryBackend("mem:"), RevisionTree::new, 200_000, Metrics.NONE)) {
      byte[] body =
          ("{\"pad\":\"" + "x".repeat(BODY - 10) + "\"}").getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 1000; i++) {
        String key = "doc" + i;
        engine.backend().append(key, 0, List.of(RevisionEntry.create(null, false, body).encode()));
        assertThat(engine.state(key).snapshot().winner()).isNotNull();
      }
      // each document weighs about 12 KB (its body stored and decoded): 1000 of them would be
      // 12 MB; the cache keeps what fits in 200 KB
      long weight = engine.cachedWeight();
      assertThat(weight).isBetween(1L, 200_000L);
      assertThat(engine.state("doc0").snapshot().winner()).isNotNull(); // rebuilt from the log
    }
  }

  @Test
  void aTreeWeighsItsRevisionsAndItsLiveBody() {
    RevisionTree small = new RevisionTree();
    RevisionTree large = new RevisionTree();
    small.apply(
        List.of(
            new dev.cairn.spi.LogEntry(
                "a", 1, RevisionEntry.create(null, false, "{}".getBytes()).encode())));
    byte[] big = ("{\"pad\":\"" + "x".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    large.apply(
        List.of(
            new dev.cairn.spi.LogEntry("a", 1, RevisionEntry.create(null, false, big).encode())));
    assertThat(new RevisionTree().weight()).isPositive(); // never 0, which the cache never evicts
    assertThat(large.weight()).isGreaterThan(10 * 10_000).isGreaterThan(small.weight() * 50);
  }
}
