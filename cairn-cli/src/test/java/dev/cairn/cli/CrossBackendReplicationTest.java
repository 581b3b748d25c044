package dev.cairn.cli;

import static dev.cairn.testkit.Servers.MARIADB;
import static dev.cairn.testkit.Servers.POSTGRES;
import static dev.cairn.testkit.Servers.REDIS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.WriteMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * Replication between every kind of store: a directory, memory, Redis, PostgreSQL and MariaDB, each
 * edited apart, synchronised in a ring, end with the same documents, winners and conflicts.
 */
class CrossBackendReplicationTest {

  @TempDir Path dir;
  private final String ns = "x" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private final List<DocumentStore> stores = new ArrayList<>();

  private DocumentStore open(String location) {
    try {
      DocumentStore s = Cairn.open(location);
      stores.add(s);
      return s;
    } catch (dev.cairn.InvalidLocationException e) {
      throw dev.cairn.testkit.Servers.missing("server missing: " + e.getMessage(), e);
    }
  }

  @AfterEach
  void dropAll() throws Exception {
    stores.forEach(DocumentStore::close);
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(REDIS))) {
      var keys = redis.keys("cairn:" + ns + ":*");
      if (!keys.isEmpty()) {
        redis.del(keys.toArray(String[]::new));
      }
    } catch (RuntimeException e) {
      // no server: nothing was created there
    }
    for (String url : List.of(POSTGRES, MARIADB)) {
      try {
        dev.cairn.jdbc.JdbcBackend.drop(url + "&cairn.namespace=" + ns);
      } catch (dev.cairn.CairnException e) {
        // no server: nothing was created there
      }
    }
  }

  private static Map<String, String> snapshot(DocumentStore s) {
    Map<String, String> out = new TreeMap<>();
    for (String id : s.ids()) {
      out.put(id, s.get(id).orElseThrow() + " conflicts " + s.conflicts(id));
    }
    return out;
  }

  @Test
  void everyKindOfStoreConvergesWithEveryOther() {
    List<DocumentStore> ring =
        List.of(
            open(dir.resolve("disk").toString()),
            open("mem:"),
            open(REDIS + "?namespace=" + ns),
            open(POSTGRES + "&cairn.namespace=" + ns),
            open(MARIADB + "&cairn.namespace=" + ns));
    String base = ring.get(0).create("shared", Map.of("v", "base"));
    for (int i = 1; i < ring.size(); i++) {
      ring.get(i).pullFrom(ring.get(0));
    }
    for (int i = 0; i < ring.size(); i++) {
      DocumentStore s = ring.get(i);
      s.upsert("own-" + i, Map.of("by", i));
      s.update("shared", base, Map.of("v", "edit " + i), WriteMode.KEEP_BOTH);
    }

    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < ring.size(); i++) {
        DocumentStore.sync(ring.get(i), ring.get((i + 1) % ring.size()));
      }
    }

    Map<String, String> expected = snapshot(ring.get(0));
    assertThat(expected).hasSize(ring.size() + 1);
    assertThat(ring.get(0).conflicts("shared")).hasSize(ring.size() - 1);
    for (DocumentStore s : ring) {
      assertThat(snapshot(s)).as(s.location()).isEqualTo(expected);
    }
  }
}
