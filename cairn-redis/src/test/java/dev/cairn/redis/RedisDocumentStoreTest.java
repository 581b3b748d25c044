package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.DocumentStoreContract;
import dev.cairn.InvalidLocationException;
import dev.cairn.Jvm;
import dev.cairn.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The document contract on Redis, and what is particular to it. */
class RedisDocumentStoreTest extends DocumentStoreContract {
  private final List<String> locations = new ArrayList<>();

  @BeforeAll
  static void server() {
    RedisServer.require();
  }

  @Override
  protected DocumentStore newStore() {
    String location = RedisServer.freshLocation();
    locations.add(location);
    return Cairn.open(location);
  }

  @AfterEach
  void dropNamespaces() {
    locations.forEach(RedisServer::drop);
  }

  @Test
  void twoNamespacesOnOneServerNeverMeet() {
    String other = RedisServer.freshLocation();
    locations.add(other);
    try (DocumentStore second = Cairn.open(other)) {
      store.upsert("a", Map.of("in", "first"));
      second.upsert("a", Map.of("in", "second"));

      assertThat(store.get("a").orElseThrow().get("in").asText()).isEqualTo("first");
      assertThat(second.ids()).containsExactly("a");
    }
  }

  @Test
  void badLocationsGiveClearErrorsWithoutThePassword() {
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:1/0?namespace=x"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("cannot reach Redis");
    assertThatThrownBy(() -> Cairn.open("redis://user:hunter2@127.0.0.1:6379/0?namespace=x"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("refused the login")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:6379/zero"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("database must be a number");
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:6379/0?namespace=a:b"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("namespace");
  }

  @Test
  void fourProcessesOfScopedIncrementsEndAtTheExactCount() throws Exception {
    String location = RedisServer.freshLocation();
    locations.add(location);
    int processes = 4;
    int each = 500;
    List<Jvm> workers = new ArrayList<>();
    try {
      for (int p = 0; p < processes; p++) {
        workers.add(Jvm.start(Worker.class, "scoped-increment", location, "n", "" + each));
      }
      for (Jvm w : workers) {
        w.await(line -> line.equals("ready"), Duration.ofSeconds(60));
      }
      for (Jvm w : workers) {
        w.send("go");
      }
      for (Jvm w : workers) {
        w.await(line -> line.startsWith("done"), Duration.ofSeconds(120));
      }
    } finally {
      workers.forEach(Jvm::close);
    }
    try (DocumentStore s = Cairn.open(location)) {
      assertThat(s.get("n").orElseThrow().get("n").asLong()).isEqualTo(processes * each);
    }
  }
}
