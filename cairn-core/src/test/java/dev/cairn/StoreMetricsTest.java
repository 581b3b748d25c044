package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;
import dev.cairn.testkit.Jvm;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store given a Micrometer registry meters what it does, under its name; one given none works
 * without Micrometer on the class path at all.
 */
class StoreMetricsTest {
  @TempDir Path dir;

  private final MeterRegistry registry = new SimpleMeterRegistry();

  private double count(String name) {
    var found = registry.find(name).tag("store", "orders");
    if (found.timer() != null) {
      return found.timer().count();
    }
    if (found.functionTimer() != null) {
      return found.functionTimer().count();
    }
    if (found.counter() != null) {
      return found.counter().count();
    }
    if (found.functionCounter() != null) {
      return found.functionCounter().count();
    }
    if (found.summary() != null) {
      return found.summary().count();
    }
    throw new AssertionError("no meter " + name);
  }

  private double gauge(String name) {
    return registry.find(name).tag("store", "orders").gauge().value();
  }

  @Test
  void appendsConflictsRetriesFsyncsCacheAndCompactionAreMetered() {
    String location = dir.resolve("store").toString();
    try (DocumentStore store = Cairn.builder(location).metrics(registry, "orders").open();
        DocumentStore other = Cairn.open(location)) {
      String rev = store.create("a", Map.of("n", 1));
      store.update("a", rev, Map.of("n", 2));
      assertThatThrownBy(() -> store.update("a", rev, Map.of("n", 3)))
          .isInstanceOf(ConflictException.class);
      assertThat(count("cairn.conflicts")).isEqualTo(1);
      assertThat(count("cairn.appends")).isEqualTo(2);
      assertThat(count("cairn.appended.entries")).isEqualTo(2);

      // another writer gets in during the first run: its append is refused, and the run repeated
      int[] runs = {0};
      store.scoped(
          "a",
          doc -> {
            if (runs[0]++ == 0) {
              other.scoped("a", d -> d.put("n", d.path("n").asInt() + 10));
            }
            return doc.put("n", doc.path("n").asInt() + 1);
          });
      assertThat(runs[0]).isEqualTo(2);
      assertThat(store.get("a").orElseThrow().get("n").asInt()).isEqualTo(13);
      assertThat(count("cairn.appends.refused")).isEqualTo(1);
      assertThat(count("cairn.scoped.retries")).isEqualTo(1);
      assertThat(count("cairn.appends")).isEqualTo(3);

      // every append to the directory from this process waited for an fsync (SYNC): the three of
      // this store and the one of the other store open on it; no fsync served nothing
      double fsyncs = count("cairn.fsyncs");
      assertThat(fsyncs).isGreaterThanOrEqualTo(1);
      assertThat(count("cairn.fsync.appends")).isEqualTo(4).isGreaterThanOrEqualTo(fsyncs);

      store.get("a");
      store.get("a");
      assertThat(registry.find("cache.gets").tag("store", "orders").tag("result", "hit"))
          .satisfies(s -> assertThat(s.functionCounter().count()).isGreaterThanOrEqualTo(2));

      CompactionResult compacted = store.compact(1);
      assertThat(count("cairn.compactions")).isEqualTo(1);
      assertThat(registry.find("cairn.compaction.reclaimed").summary().totalAmount())
          .isEqualTo(compacted.bytesBefore() - compacted.bytesAfter())
          .isPositive();
    }
    assertThat(registry.getMeters()).as("a closed store's meters leave the registry").isEmpty();
  }

  @Test
  void theFeedLagCountsWhatListenersHaveNotBeenGiven() throws Exception {
    try (DocumentStore store =
            Cairn.builder(dir.resolve("store").toString()).metrics(registry, "orders").open();
        DocumentStore writer = Cairn.open(dir.resolve("store").toString())) {
      assertThat(gauge("cairn.feed.lag")).isZero(); // no listener: nothing to be behind on
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch first = new CountDownLatch(1);
      Subscription s =
          store.listen(
              c -> {
                first.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      for (int i = 0; i < 3; i++) {
        writer.create("d" + i, Map.of("i", i));
      }
      first.await();
      assertThat(gauge("cairn.feed.lag")).isEqualTo(3); // the listener holds the first change
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> gauge("cairn.feed.lag") == 0);
      s.close();
    }
  }

  @Test
  void nameAndRegistryAreChecked() {
    Cairn.Builder b = Cairn.builder(dir.resolve("store").toString());
    assertThatThrownBy(() -> b.metrics(null, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.metrics(registry, " ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.metrics(registry, "x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void aStoreWithoutMetricsNeedsNoMicrometer() throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !entry.contains("micrometer"))
            .collect(Collectors.joining(File.pathSeparator));
    try (Jvm child =
        Jvm.start(
            List.of("-Xmx128m"),
            Map.of(),
            classPath,
            WithoutMicrometer.class,
            dir.resolve("plain").toString())) {
      assertThat(child.await(l -> l.startsWith("n="), Duration.ofSeconds(60))).isEqualTo("n=2");
    }
  }

  /** A child JVM: writes and reads a store with no Micrometer to be found. */
  public static final class WithoutMicrometer {
    public static void main(String[] args) throws Exception {
      try {
        Class.forName("io.micrometer.core.instrument.MeterRegistry");
        System.out.println("micrometer is on the class path");
        return;
      } catch (ClassNotFoundException expected) {
        // as wanted
      }
      try (DocumentStore store = Cairn.builder(args[0]).open()) {
        store.create("a", Map.of("n", 1));
        store.scoped("a", d -> d.put("n", d.path("n").asInt() + 1));
        ObjectNode a = store.get("a").orElseThrow();
        System.out.println("n=" + Json.MAPPER.writeValueAsString(a.get("n")));
      }
    }
  }
}
