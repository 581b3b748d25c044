package dev.cairn.oplog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.json.Json;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import dev.cairn.testkit.OplogPushWorker;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Oplog clients over store directories: reconciliation, pruning, offline work, late clocks. */
class OplogClientTest {
  @TempDir Path a;
  @TempDir Path b;
  @TempDir Path local;
  private final List<OplogClient> clients = new ArrayList<>();

  private OplogClient client(Clock clock, int pruneAfter, Path... stores) {
    OplogClient.Builder builder =
        OplogClient.builder()
            .clock(clock)
            .pruneAfter(pruneAfter)
            .syncInterval(Duration.ofMillis(50));
    builder.channel(
        "core", java.util.Arrays.stream(stores).map(Path::toString).toArray(String[]::new));
    OplogClient c = builder.open();
    clients.add(c);
    return c;
  }

  private OplogClient client(Path... stores) {
    return client(Clock.systemUTC(), 0, stores);
  }

  @AfterEach
  void closeClients() {
    clients.forEach(OplogClient::close);
  }

  private static JsonNode json(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static List<Object> kinds(Path store, String key) {
    try (var backend =
        dev.cairn.engine.Backends.open(
            store.toString(), new BackendOptions(dev.cairn.Durability.OS))) {
      List<Object> out = new ArrayList<>();
      for (LogEntry e : backend.read(key, 0)) {
        out.add(Entries.decode(e.payload()));
      }
      return out;
    }
  }

  @Test
  void pushReturnsTheNewValueAndEveryClientOfTheChannelConverges() {
    OplogClient one = client(a, b);
    OplogClient two = client(a, b);
    assertThat(one.push("core", "counter", "/visits", 2).asLong()).isEqualTo(2);
    assertThat(two.push("core", "counter", "visits", 3).asLong()).isEqualTo(5);
    one.sync();
    assertThat(one.get("core", "counter", "/visits/").asLong()).isEqualTo(5);
    // equal payloads in one millisecond are two operations
    Clock frozen = Clock.fixed(java.time.Instant.ofEpochMilli(1_000), java.time.ZoneOffset.UTC);
    OplogClient three = client(frozen, 0, a, b);
    three.push("core", "counter", "visits", 1);
    assertThat(three.push("core", "counter", "visits", 1).asLong()).isEqualTo(7);
  }

  /** The counter "n" of channel "core" as the store at {@code store} alone holds it. */
  private static long counterIn(Path store) {
    try (StoredChannels channels = StoredChannels.open(store.toString())) {
      return channels
          .read("core", "counter", "n")
          .value(Reducers.builtIn("counter").orElseThrow())
          .asLong();
    }
  }

  @Test
  void storesAddedWhileAClientRunsAreBroughtUpToDateAndRemovedOnesAreDrainedThenLeft()
      throws Exception {
    OplogClient client = client(a);
    client.push("core", "counter", "n", 1);
    client.push("core", "counter", "n", 2);

    client.stores("core", a.toString(), b.toString());
    await().atMost(Duration.ofSeconds(20)).until(() -> counterIn(b) == 3); // with no push

    // an operation only store a holds (another client's), then a leaves the channel
    try (OplogClient other = OplogClient.builder().channel("core", a.toString()).open()) {
      other.push("core", "counter", "n", 10);
    }
    client.stores("core", b.toString());
    assertThat(client.get("core", "counter", "n").asLong())
        .as("what only a held is kept")
        .isEqualTo(13);
    await().atMost(Duration.ofSeconds(20)).until(() -> counterIn(b) == 13);

    client.push("core", "counter", "n", 100);
    assertThat(client.flush(Duration.ofSeconds(20))).isTrue();
    assertThat(counterIn(b)).isEqualTo(113);
    assertThat(counterIn(a)).as("nothing more is sent to a store that left").isEqualTo(13);
    assertThat(client.failingStores("core")).isEmpty();

    // a channel the client did not have
    client.stores("extra", local.toString());
    assertThat(client.push("extra", "counter", "m", 7).asLong()).isEqualTo(7);
    assertThatThrownBy(() -> client.stores("core")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.stores("bad/name", a.toString()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(counterIn(b)).isEqualTo(113); // refused calls changed nothing
  }

  @Test
  void aLocalTableInAFileAddsItsStoresAfterTheOnesTheBuilderNames() throws Exception {
    Path file = local.resolve("table.json");
    java.nio.file.Files.writeString(
        file, "{\"core\": [\"" + a.toString().replace("\\", "\\\\") + "\"]}");
    try (OplogClient client =
        OplogClient.builder().channel("core", b.toString()).localTable(file).pruneAfter(0).open()) {
      assertThat(client.storesOf("core")).hasSize(2);
      assertThat(client.storesOf("core").get(1)).contains(a.getFileName().toString());
      client.push("core", "counter", "n", 4);
      assertThat(client.flush(Duration.ofSeconds(20))).isTrue();
    }
    assertThat(counterIn(a)).isEqualTo(4);
    assertThat(counterIn(b)).isEqualTo(4);
    for (String bad : List.of("not json", "[1]", "{\"core\": []}", "{\"core\": [1]}")) {
      java.nio.file.Files.writeString(file, bad);
      assertThatThrownBy(() -> OplogClient.builder().localTable(file))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("local table");
    }
  }

  @Test
  void storesAreReconciledByClientsThatSeeSeveralOfThem() {
    OplogClient onlyB = client(b);
    onlyB.push("core", "set", "tags", Map.of("add", "from-b"));
    OplogClient both = client(a, b);
    both.push("core", "set", "tags", Map.of("add", "from-both"));
    both.sync();
    OplogClient onlyA = client(a);
    assertThat(onlyA.get("core", "set", "tags")).isEqualTo(json("[\"from-b\", \"from-both\"]"));
    // a remove without "observed" takes away the adds this client has seen
    assertThat(onlyA.push("core", "set", "tags", Map.of("remove", "from-b")))
        .isEqualTo(json("[\"from-both\"]"));
  }

  @Test
  void aCheckpointPrunesAndALateOperationFromAnOfflineClientIsStillApplied() {
    OplogClient online = client(Clock.systemUTC(), 10, a, b);
    // offline: only its own local store, and a clock an hour behind
    Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));
    OplogClient offline = client(behind, 10, local);
    long sum = 0;
    for (int i = 1; i <= 25; i++) {
      online.push("core", "counter", "n", i);
      sum += i;
    }
    for (int i = 0; i < 3; i++) {
      offline.push("core", "counter", "n", 1000);
      sum += 1000;
    }
    online.sync();
    List<Object> inA = kinds(a, "_oplog/core/counter/n");
    assertThat(inA).hasAtLeastOneElementOfType(Checkpoint.class);
    Checkpoint cp =
        (Checkpoint)
            inA.stream().filter(Checkpoint.class::isInstance).reduce((x, y) -> y).orElseThrow();
    assertThat(cp.size()).isBetween(10L, 25L); // the background rounds prune as they go
    assertThat(online.get("core", "counter", "n").asLong()).isEqualTo(sum - 3000);

    // it comes back online: the same local store, now with the channel's stores
    offline.close();
    OplogClient back = client(behind, 10, local, a, b);
    back.sync();
    online.sync();
    assertThat(back.get("core", "counter", "n").asLong()).isEqualTo(sum);
    assertThat(online.get("core", "counter", "n").asLong()).isEqualTo(sum);
    assertThat(client(a).get("core", "counter", "n").asLong()).isEqualTo(sum);
  }

  @Test
  void compactionDropsWhatTheBestCheckpointCoversAndNothingElse() {
    OplogClient c = client(Clock.systemUTC(), 0, a);
    for (int i = 0; i < 30; i++) {
      c.push("core", "counter", "n", 1);
    }
    OplogClient pruner = client(Clock.systemUTC(), 20, a);
    pruner.sync();
    c.push("core", "counter", "n", 1); // not covered
    c.close();
    pruner.close();
    try (dev.cairn.DocumentStore store = dev.cairn.Cairn.open(a)) {
      assertThat(store.compact(1).revisionsRemoved()).isEqualTo(30);
    }
    List<Object> left = kinds(a, "_oplog/core/counter/n");
    assertThat(left).hasSize(2).hasAtLeastOneElementOfType(Checkpoint.class);
    assertThat(left).hasAtLeastOneElementOfType(Operation.class);
    assertThat(client(a).get("core", "counter", "n").asLong()).isEqualTo(31);
  }

  @Test
  void aPushThatReturnedIsInTheLocalStoreWhenTheProcessIsKilled() throws Exception {
    dev.cairn.testkit.Jvm writer = dev.cairn.testkit.Jvm.start(OplogPushWorker.class, a.toString());
    try {
      writer.await(l -> l.equals("pushed 50"), Duration.ofSeconds(60));
      writer.kill9();
      long acknowledged = 0;
      for (String line : writer.allLines(Duration.ofSeconds(60))) {
        acknowledged = Math.max(acknowledged, Long.parseLong(line.substring("pushed ".length())));
      }
      // kill -9 comes between pushes or inside one: what returned is there, at most one more
      long stored = client(a).get("core", "counter", "n").asLong();
      assertThat(stored).isBetween(acknowledged, acknowledged + 1);
    } finally {
      writer.close();
    }
  }

  @Test
  void falsyValuesAreValuesLikeAnyOther() {
    OplogClient c = client(new Ticking(), 1, a); // each push a millisecond after the last
    for (String falsy : List.of("0", "false", "\"\"", "null")) {
      assertThat(c.push("core", "register", "r", json(falsy))).isEqualTo(json(falsy));
      c.sync(); // a checkpoint holding the falsy value
      assertThat(client(a).get("core", "register", "r")).isEqualTo(json(falsy));
    }
  }

  @Test
  void listenersHearPushesMadeByOtherClients() {
    OplogClient one = client(a);
    OplogClient two = client(a);
    List<JsonNode> heard = new CopyOnWriteArrayList<>();
    one.on("core", "document", "cfg", (ch, type, path, value) -> heard.add(value));
    two.push("core", "document", "cfg", json("{\"$set\": {\"x\": 1}}"));
    await().atMost(Duration.ofSeconds(20)).until(() -> heard.contains(json("{\"x\": 1}")));
  }

  @Test
  void badNamesPathsAndTypesAreRefusedWithAClearMessage() {
    OplogClient c = client(a);
    assertThatThrownBy(() -> c.push("nope", "counter", "p", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no channel nope");
    assertThatThrownBy(() -> c.push("core", "mystery", "p", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no reducer for type mystery");
    assertThatThrownBy(() -> c.get("core", "counter", "a/../b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'..'");
    assertThatThrownBy(() -> c.get("core", "counter", "a//b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.get("core", "counter", "/"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OplogClient.builder().channel("_x", a.toString()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A clock one millisecond further on at every reading. */
  private static final class Ticking extends Clock {
    private final java.util.concurrent.atomic.AtomicLong millis =
        new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis.incrementAndGet());
    }
  }
}
