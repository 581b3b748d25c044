package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cairn.oplog.OplogClient;
import dev.cairn.oplog.OplogKey;
import dev.cairn.oplog.Reducers;
import dev.cairn.oplog.StoredLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a tool reads of an open store: its usage, its check, its shared objects and channels. */
class StoreInspectionTest {
  @TempDir Path dir;

  @Test
  void usageCountsWhatACompactionWouldDropAndTheCompactionDropsExactlyThat() {
    try (DocumentStore s = Cairn.builder(dir.toString()).keepRevisions(3).open()) {
      for (int i = 0; i < 20; i++) {
        s.upsert("hot", Map.of("n", i));
      }
      s.upsert("cold", Map.of("n", 0));
      StoreUsage before = s.usage();
      assertThat(before.backend()).isEqualTo("file");
      assertThat(before.logs()).isEqualTo(2);
      assertThat(before.entries()).isEqualTo(21);
      assertThat(before.reclaimableEntries()).isEqualTo(17); // "hot" keeps its leaf and 2 more
      assertThat(before.reclaimableBytes()).isPositive().isLessThan(before.bytes());
      assertThat(before.bytesOnDisk()).isGreaterThanOrEqualTo(before.bytes());

      CompactionResult compacted = s.compact(3);

      StoreUsage after = s.usage();
      assertThat(compacted.revisionsRemoved()).isEqualTo(before.reclaimableEntries());
      assertThat(after.entries()).isEqualTo(4);
      assertThat(after.bytes()).isEqualTo(before.bytes() - before.reclaimableBytes());
      assertThat(after.reclaimableEntries()).isZero();
      assertThat(after.bytesOnDisk()).isLessThan(before.bytesOnDisk());
      assertThat(s.get("hot").orElseThrow().get("n").asInt()).isEqualTo(19);
    }
  }

  @Test
  void anOpenStoreChecksAsTheLocationDoes() {
    try (DocumentStore s = Cairn.open(dir)) {
      s.upsert("a", Map.of("n", 1));
      s.upsert("b", Map.of("n", 2));
      s.delete("b");
      CheckReport open = s.check();
      assertThat(open.sound()).isTrue();
      assertThat(open.documents()).isEqualTo(2);
      assertThat(open.records()).isEqualTo(3);
      CheckReport byLocation = Cairn.check(dir.toString());
      assertThat(open.records()).isEqualTo(byLocation.records());
      assertThat(open.bytes()).isEqualTo(byLocation.bytes());
      assertThat(s.get("a")).isPresent(); // checking changed nothing
    }
  }

  @Test
  void sharedObjectsAreListedByName() {
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.sharedObjects()).isEmpty();
      s.share("zeta", Map.of("n", 1)).close();
      s.share("alpha").close();
      s.upsert("a-document", Map.of());
      assertThat(s.sharedObjects()).containsExactly("alpha", "zeta");
    }
  }

  @Test
  void aStoresChannelsReadAsAClientHoldingOnlyThatStoreWould() throws Exception {
    try (OplogClient client =
        OplogClient.builder()
            .channel("team", dir.toString())
            .pruneAfter(3)
            .syncInterval(Duration.ofMillis(50))
            .open()) {
      for (int i = 1; i <= 5; i++) {
        client.push("team", "counter", "stats/visits", i);
      }
      client.push("team", "register", "motto", "hello");
      // the client's rounds fold what every store holds into a checkpoint
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                try (DocumentStore s = Cairn.openExisting(dir.toString())) {
                  return s.channels().read("team", "counter", "stats/visits").start().isPresent();
                }
              });
    }
    try (DocumentStore s = Cairn.openExisting(dir.toString())) {
      assertThat(s.channels().channels()).containsExactly("team");
      assertThat(s.channels().logs("team"))
          .containsExactly(
              new OplogKey("team", "counter", "stats/visits"),
              new OplogKey("team", "register", "motto"));
      StoredLog visits = s.channels().read("team", "counter", "/stats/visits/");
      assertThat(visits.value(Reducers.builtIn("counter").orElseThrow()).asInt()).isEqualTo(15);
      assertThat(visits.pending().size()).isLessThan(5);
      assertThat(visits.start().orElseThrow().size() + visits.pending().size()).isEqualTo(5);
      StoredLog motto = s.channels().read("team", "register", "motto");
      assertThat(motto.value(Reducers.builtIn("register").orElseThrow()).asText())
          .isEqualTo("hello");
      assertThat(motto.operations()).hasSize(1);
      assertThat(s.channels().read("team", "counter", "absent").operations()).isEmpty();
      assertThat(Reducers.builtIn("tally")).isEmpty();
      assertThatThrownBy(() -> s.channels().read("team", "counter", "../x"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> s.channels().logs("bad/name"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(s.usage().logs()).isEqualTo(2);
    }
  }
}
