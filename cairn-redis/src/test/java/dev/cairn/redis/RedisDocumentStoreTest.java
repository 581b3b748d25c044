package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.AccessDeniedException;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidLocationException;
import dev.cairn.UnavailableException;
import dev.cairn.testkit.DocumentStoreContract;
import dev.cairn.testkit.ScopedLoad;
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
  void anAppendRetriedWithItsWriteIdIsAppliedOnce() {
    String location = RedisServer.freshLocation();
    locations.add(location);
    try (RedisBackend backend = new RedisBackend(location, true)) {
      byte[] entry = {1, 2, 3};
      long first = backend.append("k", 0, List.of(entry), "write-1");
      // the reply was lost and the client tries again: same id, so the same result, no new entry
      long again = backend.append("k", 0, List.of(entry), "write-1");

      assertThat(again).isEqualTo(first);
      assertThat(backend.read("k", 0)).hasSize(1);
      assertThat(backend.lastSequence()).isEqualTo(first);
    }
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
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("cannot reach Redis")
        .hasMessageNotContaining("Jedis");
    assertThatThrownBy(() -> Cairn.open("redis://user:hunter2@127.0.0.1:6379/0?namespace=x"))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("refused the login")
        .hasMessageNotContaining("hunter2")
        .hasMessageNotContaining("Jedis");
    assertThatThrownBy(() -> Cairn.open("redis://:hunter2@127.0.0.1:6379/0?namespace=x"))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:6379/4000?namespace=x"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("no such database")
        .hasMessageNotContaining("Jedis");
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:6379/zero"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("database must be a number");
    assertThatThrownBy(() -> Cairn.open("redis://127.0.0.1:6379/0?namespace=a:b"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("namespace");
  }

  @Test
  void openingToReadCreatesNothing() {
    String location = RedisServer.freshLocation();
    locations.add(location);
    assertThatThrownBy(() -> Cairn.openExisting(location))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("no store at");
    assertThat(RedisServer.keysOf(location)).isEmpty();
    try (DocumentStore s = Cairn.open(location)) {
      s.upsert("a", Map.of());
    }
    try (DocumentStore s = Cairn.openExisting(location)) {
      assertThat(s.ids()).containsExactly("a");
    }
  }

  @Test
  void fourProcessesOfScopedIncrementsEndAtTheExactCount() throws Exception {
    String location = RedisServer.freshLocation();
    locations.add(location);
    ScopedLoad.inProcesses(location, "n", 4, 500);
    try (DocumentStore s = Cairn.open(location)) {
      assertThat(s.get("n").orElseThrow().get("n").asLong()).isEqualTo(2000);
    }
  }
}
