package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.testkit.Jvm;
import dev.cairn.testkit.ScopedLoad;
import dev.cairn.testkit.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several real JVMs on one store directory. */
class MultiProcessTest {
  private static final Duration DEADLINE = Duration.ofSeconds(120);
  @TempDir Path dir;

  @Test
  void fourProcessesIncrementingOneDocumentLoseNoUpdate() throws Exception {
    try (DocumentStore store = Cairn.open(dir)) {
      store.create("counter", Map.of("n", 0));
    }
    int processes = 4;
    int each = 250;
    List<Jvm> workers = new ArrayList<>();
    try {
      for (int p = 0; p < processes; p++) {
        workers.add(Jvm.start(Worker.class, "increment", dir.toString(), "counter", "" + each));
      }
      for (Jvm w : workers) {
        w.await(line -> line.equals("ready"), DEADLINE);
      }
      for (Jvm w : workers) {
        w.send("go");
      }
      long conflicts = 0;
      for (Jvm w : workers) {
        conflicts +=
            Long.parseLong(w.await(line -> line.startsWith("done"), DEADLINE).substring(5));
        assertThat(w.waitFor(DEADLINE)).isZero();
      }
      // the processes really raced: some of their updates were refused and retried
      assertThat(conflicts).isPositive();
    } finally {
      workers.forEach(Jvm::close);
    }

    try (DocumentStore store = Cairn.open(dir)) {
      assertThat(store.get("counter").orElseThrow().get("n").asLong()).isEqualTo(processes * each);
      assertThat(store.conflicts("counter")).isEmpty();
      assertThat(store.history("counter")).hasSize(processes * each + 1);
    }
  }

  @Test
  void fourProcessesOfScopedIncrementsEndAtTheExactCount() throws Exception {
    ScopedLoad.inProcesses(dir.toString(), "scoped", 4, 500);
    try (DocumentStore store = Cairn.open(dir)) {
      assertThat(store.get("scoped").orElseThrow().get("n").asLong()).isEqualTo(2000);
    }
  }

  @Test
  void killedWritersLoseNoAcknowledgedWrite() throws Exception {
    // two writers at once; the first is killed mid-stream while the second goes on, then the second
    Jvm first = Jvm.start(Worker.class, "stream", dir.toString(), "first", "SYNC");
    Jvm second = Jvm.start(Worker.class, "stream", dir.toString(), "second", "SYNC");
    try {
      first.await(line -> line.equals("ack 300"), DEADLINE);
      second.await(line -> line.equals("ack 300"), DEADLINE);
      first.kill9();
      int secondBefore = acked(second.await(line -> line.startsWith("ack "), DEADLINE));
      second.await(line -> line.equals("ack " + (secondBefore + 200)), DEADLINE);
      second.kill9();

      verifyAcknowledged(first.allLines(DEADLINE), second.allLines(DEADLINE));
    } finally {
      first.close();
      second.close();
    }
  }

  @Test
  void writersKilledInAStoreOpenedThroughItsIndexFileLoseNoAcknowledgedWrite() throws Exception {
    try (DocumentStore store = Cairn.open(dir)) {
      for (int i = 0; i < 3000; i++) {
        store.create("before-" + i, Map.of("i", i, "pad", "x".repeat(500)));
      }
    }
    assertThat(dir.resolve("data-00000001.idx")).exists(); // the next processes open through it
    Jvm first = Jvm.start(Worker.class, "stream", dir.toString(), "first", "SYNC");
    Jvm second = Jvm.start(Worker.class, "stream", dir.toString(), "second", "OS");
    try {
      first.await(line -> line.equals("ack 300"), DEADLINE);
      second.await(line -> line.equals("ack 300"), DEADLINE);
      first.kill9();
      second.kill9();
      verifyAcknowledged(first.allLines(DEADLINE), second.allLines(DEADLINE));
    } finally {
      first.close();
      second.close();
    }
    try (DocumentStore store = Cairn.open(dir)) {
      for (int i = 0; i < 3000; i++) {
        assertThat(store.get("before-" + i).orElseThrow().get("i").asInt()).isEqualTo(i);
      }
    }
  }

  @Test
  void writersKilledInOsModeLoseNoAcknowledgedWrite() throws Exception {
    Jvm writer = Jvm.start(Worker.class, "stream", dir.toString(), "first", "OS");
    try {
      writer.await(line -> line.equals("ack 2000"), DEADLINE);
      writer.kill9();
      verifyAcknowledged(writer.allLines(DEADLINE), List.of());
    } finally {
      writer.close();
    }
  }

  private void verifyAcknowledged(List<String> first, List<String> second) {
    try (DocumentStore store = Cairn.open(dir)) {
      for (String[] w : new String[][] {{"first"}, {"second"}}) {
        List<String> lines = w[0].equals("first") ? first : second;
        for (String line : lines) {
          long i = acked(line);
          assertThat(store.get(w[0] + "-" + i))
              .as("acknowledged write %s-%d", w[0], i)
              .hasValueSatisfying(d -> assertThat(d.get("i").asLong()).isEqualTo(i));
        }
      }
      // the store is usable after the crash: a new write goes through and is read back
      store.upsert("after", Map.of("ok", true));
      assertThat(store.get("after")).isPresent();
    }
    try (DocumentStore store = Cairn.open(dir)) {
      assertThat(store.get("after")).isPresent();
    }
  }

  private static int acked(String line) {
    return Integer.parseInt(line.substring("ack ".length()));
  }

  @Test
  void aWriteAcknowledgedInAnotherProcessIsReadAtOnce() throws Exception {
    try (DocumentStore store = Cairn.open(dir)) {
      store.upsert("x", Map.of("v", 1));
      assertThat(store.get("x").orElseThrow().get("v").asInt()).isEqualTo(1); // now cached
      try (Jvm other = Jvm.start(Worker.class, "write", dir.toString(), "x")) {
        assertThat(other.waitFor(DEADLINE)).isZero(); // its write was acknowledged
      }
      // no waiting: the read that follows the acknowledgement sees the write
      assertThat(store.get("x").orElseThrow().get("from").asText()).isEqualTo("another process");
      assertThat(store.history("x")).hasSize(2);
    }
  }

  @Test
  void listenersHearWritesMadeByAnotherProcess() throws Exception {
    List<Change> heard = new CopyOnWriteArrayList<>();
    try (DocumentStore store = Cairn.open(dir);
        Subscription s = store.listen(heard::add)) {
      try (Jvm other = Jvm.start(Worker.class, "write", dir.toString(), "from-afar")) {
        assertThat(other.waitFor(DEADLINE)).isZero();
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
      assertThat(heard).extracting(Change::id).containsExactly("from-afar");
      assertThat(store.get("from-afar").orElseThrow().get("from").asText())
          .isEqualTo("another process");
    }
  }
}
