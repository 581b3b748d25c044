package dev.cairn.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.json.Json;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The same document operations on Cairn and on the peer a user would otherwise pick: SQLite in WAL
 * mode with a JSON column. {@code SYNC} is compared with SQLite's {@code synchronous=FULL} and
 * {@code OS} with {@code NORMAL}. One instance per thread.
 */
public interface Peer extends AutoCloseable {

  /** The document, parsed as the application would use it; null if there is none. */
  ObjectNode get(String id) throws Exception;

  void put(String id, String json) throws Exception;

  /** Adds 1 to the number {@code n} of document {@code id}, with no lost update. */
  void increment(String id) throws Exception;

  /**
   * The same increment, written as each system's users write a read-modify-write of one value:
   * Cairn's {@code scoped}, SQLite's transaction.
   */
  default void scopedIncrement(String id) throws Exception {
    increment(id);
  }

  /** Gives back the space of overwritten documents: Cairn keeps each one's newest revision. */
  void compact() throws Exception;

  @Override
  void close() throws Exception;

  static Peer open(String name, Path dir, Durability durability) throws SQLException {
    return switch (name) {
      case "cairn" -> new CairnPeer(dir, durability);
      case "sqlite" -> new SqlitePeer(dir, durability);
      default -> throw new IllegalArgumentException("unknown peer " + name);
    };
  }

  /**
   * A Cairn file store: the threads of one process share one store handle, as an application's
   * threads do (SQLite's peers each have their own connection, as SQLite's users do).
   */
  final class CairnPeer implements Peer {
    private static final java.util.Map<String, DocumentStore> OPEN = new java.util.HashMap<>();
    private static final java.util.Map<String, Integer> USERS = new java.util.HashMap<>();
    private final String key;
    private final DocumentStore store;

    CairnPeer(Path dir, Durability durability) {
      key = dir.toAbsolutePath() + " " + durability;
      synchronized (OPEN) {
        store =
            OPEN.computeIfAbsent(
                key,
                k -> Cairn.builder(dir.resolve("cairn").toString()).durability(durability).open());
        USERS.merge(key, 1, Integer::sum);
      }
    }

    @Override
    public void scopedIncrement(String id) {
      store.scoped(id, doc -> doc.put("n", doc.path("n").asLong() + 1));
    }

    @Override
    public ObjectNode get(String id) {
      return store.get(id).orElse(null);
    }

    @Override
    public void put(String id, String json) {
      store.upsert(id, json);
    }

    @Override
    public void increment(String id) {
      while (true) {
        ObjectNode doc = store.get(id).orElseThrow();
        doc.put("n", doc.get("n").asLong() + 1);
        try {
          store.update(doc);
          return;
        } catch (ConflictException e) {
          // another writer won: read again and retry
        }
      }
    }

    @Override
    public void compact() {
      store.compact(1);
    }

    @Override
    public void close() {
      synchronized (OPEN) {
        if (USERS.merge(key, -1, Integer::sum) == 0) {
          USERS.remove(key);
          OPEN.remove(key).close();
        }
      }
    }
  }

  /** SQLite in WAL mode, one connection per instance; writes in BEGIN IMMEDIATE transactions. */
  final class SqlitePeer implements Peer {
    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement upsert;
    private final PreparedStatement update;

    SqlitePeer(Path dir, Durability durability) throws SQLException {
      connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("sqlite.db"));
      try (Statement s = connection.createStatement()) {
        s.execute("PRAGMA busy_timeout = 60000");
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = " + (durability == Durability.SYNC ? "FULL" : "NORMAL"));
        s.execute("CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
      }
      select = connection.prepareStatement("SELECT body FROM docs WHERE id = ?");
      upsert =
          connection.prepareStatement(
              "INSERT INTO docs (id, body) VALUES (?, ?)"
                  + " ON CONFLICT (id) DO UPDATE SET body = excluded.body");
      update = connection.prepareStatement("UPDATE docs SET body = ? WHERE id = ?");
    }

    @Override
    public ObjectNode get(String id) throws SQLException {
      select.setString(1, id);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? Json.parseObject(rs.getString(1)) : null;
      }
    }

    @Override
    public void put(String id, String json) throws SQLException {
      upsert.setString(1, id);
      upsert.setString(2, json);
      upsert.executeUpdate();
    }

    @Override
    public void increment(String id) throws Exception {
      try (Statement s = connection.createStatement()) {
        s.execute("BEGIN IMMEDIATE");
        try {
          ObjectNode doc = get(id);
          doc.put("n", doc.get("n").asLong() + 1);
          update.setString(1, doc.toString());
          update.setString(2, id);
          update.executeUpdate();
          s.execute("COMMIT");
        } catch (Exception e) {
          s.execute("ROLLBACK");
          throw e;
        }
      }
    }

    @Override
    public void compact() throws SQLException {
      try (Statement s = connection.createStatement()) {
        s.execute("VACUUM");
      }
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }
}
