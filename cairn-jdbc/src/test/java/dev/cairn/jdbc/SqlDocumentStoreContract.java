package dev.cairn.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidLocationException;
import dev.cairn.StoreFormatException;
import dev.cairn.UnavailableException;
import dev.cairn.testkit.DocumentStoreContract;
import dev.cairn.testkit.ScopedLoad;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The document contract on a SQL server, and what is particular to SQL stores. */
abstract class SqlDocumentStoreContract extends DocumentStoreContract {
  private final List<String> namespaces = new ArrayList<>();

  abstract SqlServer server();

  String freshLocation() {
    String namespace = SqlServer.freshNamespace();
    namespaces.add(namespace);
    return server().location(namespace);
  }

  @Override
  protected DocumentStore newStore() {
    return Cairn.open(freshLocation());
  }

  @AfterEach
  void dropTables() {
    store.close();
    namespaces.forEach(server()::drop);
  }

  @Test
  void anAppendRetriedAfterALostConnectionIsAppliedOnce() {
    try (JdbcBackend backend = new JdbcBackend(freshLocation(), true)) {
      byte[] entry = {1, 2, 3};
      long first =
          backend
              .append("k", 0, List.of(entry), "00000000-0000-0000-0000-000000000001", false, false)
              .last();
      // the connection broke around the commit, so the retry is in doubt: the write id is found
      long again =
          backend
              .append("k", 0, List.of(entry), "00000000-0000-0000-0000-000000000001", true, false)
              .last();
      // an in-doubt retry whose first attempt never committed does append
      long other =
          backend
              .append(
                  "k", first, List.of(entry), "00000000-0000-0000-0000-000000000002", true, false)
              .last();

      assertThat(again).isEqualTo(first);
      assertThat(other).isGreaterThan(first);
      assertThat(backend.read("k", 0)).extracting(e -> e.seq()).containsExactly(first, other);
    }
  }

  @Test
  void twoNamespacesInOneDatabaseNeverMeet() {
    try (DocumentStore second = newStore()) {
      store.upsert("a", Map.of("in", "first"));
      second.upsert("a", Map.of("in", "second"));

      assertThat(store.get("a").orElseThrow().get("in").asText()).isEqualTo("first");
      assertThat(second.ids()).containsExactly("a");
    }
  }

  @Test
  void tablesOfANewerVersionAreRefused() throws Exception {
    String location = freshLocation();
    Cairn.open(location).close();
    String namespace = namespaces.get(namespaces.size() - 1);
    try (Connection c = DriverManager.getConnection(server().url);
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE cairn_" + namespace + "_meta SET value = '3' WHERE name = 'version'");
    }

    assertThatThrownBy(() -> Cairn.open(location))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("version 3")
        .hasMessageContaining("upgrade Cairn");
  }

  /**
   * Version 1 numbered entries from a column of {@code _seq} that every append locked, and had no
   * sequence: tables put back in that shape are brought up to date on open, their documents kept
   * and numbers going on after theirs.
   */
  @Test
  void tablesOfVersion1AreUpgradedKeepingEveryDocument() throws Exception {
    String location = freshLocation();
    String t = "cairn_" + namespaces.get(namespaces.size() - 1) + "_";
    long last;
    try (DocumentStore old = Cairn.open(location)) {
      old.upsert("a", Map.of("n", 1));
      old.upsert("a", Map.of("n", 2));
      old.upsert("b", Map.of("n", 3));
      last = old.lastSequence();
    }
    try (Connection c = DriverManager.getConnection(server().url);
        Statement s = c.createStatement()) {
      for (String drop : server().dialect().dropRoutines(t)) {
        s.execute(drop);
      }
      s.execute(server().dialect().dropSequence(t));
      s.execute("ALTER TABLE " + t + "seq ADD COLUMN seq BIGINT NOT NULL DEFAULT 0");
      s.execute("UPDATE " + t + "seq SET seq = " + (last + 10));
      s.execute("UPDATE " + t + "meta SET value = '1' WHERE name = 'version'");
    }

    try (DocumentStore upgraded = Cairn.open(location)) {
      assertThat(upgraded.get("a").orElseThrow().get("n").asInt()).isEqualTo(2);
      assertThat(upgraded.history("a")).hasSize(2);
      assertThat(upgraded.get("b").orElseThrow().get("n").asInt()).isEqualTo(3);
      upgraded.upsert("c", Map.of("n", 4));
      assertThat(upgraded.changes(last).get(0).seq()).isEqualTo(last + 11);
    }
    try (Connection c = DriverManager.getConnection(server().url);
        Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery("SELECT value FROM " + t + "meta WHERE name = 'version'")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("2");
    }
  }

  @Test
  void badLocationsGiveClearErrorsWithoutThePassword() {
    assertThatThrownBy(() -> Cairn.open(server().url + "&password=hunter2&cairn.namespace=Bad!"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("cairn.namespace")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> Cairn.open(server().url + "&cairn.colour=blue"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("unknown parameter 'cairn.colour'");
    String unreachable =
        server().url.replaceFirst("127\\.0\\.0\\.1:\\d+", "127.0.0.1:1") + "&password=hunter2";
    assertThatThrownBy(() -> Cairn.open(unreachable))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("cannot connect")
        .hasMessageNotContaining("hunter2");
    String noDatabase = server().url.replaceFirst("/test\\?", "/cairn_no_such_db?");
    assertThatThrownBy(() -> Cairn.open(noDatabase))
        .isInstanceOf(InvalidLocationException.class)
        .isNotInstanceOf(UnavailableException.class)
        .hasMessageContaining("cannot connect");
  }

  @Test
  void openingToReadCreatesNothing() throws Exception {
    String namespace = SqlServer.freshNamespace();
    namespaces.add(namespace);
    String location = server().location(namespace);
    assertThatThrownBy(() -> Cairn.openExisting(location))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("no store at");
    try (Connection c = DriverManager.getConnection(server().url);
        java.sql.ResultSet rs =
            c.getMetaData().getTables(null, null, "cairn_" + namespace + "%", null)) {
      assertThat(rs.next()).isFalse();
    }
    Cairn.open(location).close();
    Cairn.openExisting(location).close();
  }

  @Test
  void fourProcessesOfScopedIncrementsEndAtTheExactCount() throws Exception {
    String location = freshLocation();
    ScopedLoad.inProcesses(location, "n", 4, 500);
    try (DocumentStore s = Cairn.open(location)) {
      assertThat(s.get("n").orElseThrow().get("n").asLong()).isEqualTo(2000);
    }
  }
}
