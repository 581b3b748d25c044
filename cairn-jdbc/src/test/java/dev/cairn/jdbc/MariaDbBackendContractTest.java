package dev.cairn.jdbc;

import static org.awaitility.Awaitility.await;

import dev.cairn.Durability;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend contract on MariaDB, in a namespace of its own, dropped after each test. */
class MariaDbBackendContractTest extends BackendContract {
  private final String namespace = SqlServer.freshNamespace();

  @BeforeAll
  static void server() {
    SqlServer.MARIADB.require();
  }

  @Override
  protected Backend open() {
    return new JdbcBackendProvider()
        .open(SqlServer.MARIADB.location(namespace), new BackendOptions(Durability.SYNC));
  }

  @Override
  protected void drop() {
    SqlServer.MARIADB.drop(namespace);
  }

  /**
   * A listener woken while an append is in flight (its number drawn, its entry not committed) is
   * woken again once the entry commits: the poll follows the horizon, not the last number drawn, so
   * a reader of one log, as a shared object's replica is, never stops short of an entry. The append
   * in flight is the append procedure's steps, taken one by one on a connection of the test's.
   */
  @Test
  void aListenerIsWokenForAnEntryThatCommitsAfterItsNumberWasDrawn() throws Exception {
    String t = "cairn_" + namespace + "_";
    first.append("a", 0, List.of(new byte[] {0}));
    try (ReadingListener listener = new ReadingListener(second, "b")) {
      int before = listener.wakes.get();
      String token = UUID.randomUUID().toString();
      try (Connection c = DriverManager.getConnection(SqlServer.MARIADB.url);
          Statement s = c.createStatement()) {
        s.execute("DO GET_LOCK('cairn-w-" + token + "', 0)");
        s.execute("INSERT INTO " + t + "inflight (token) VALUES ('" + token + "')");
        long drawn;
        try (ResultSet rs = s.executeQuery("SELECT NEXTVAL(" + t + "entry_seq)")) {
          rs.next();
          drawn = rs.getLong(1);
        }
        // the listener looks while the entry is in flight: it waits, or (were it to follow the
        // numbers drawn) is woken too early
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> listener.wakes.get() > before || horizonIsWaiting());
        c.setAutoCommit(false);
        s.execute(
            "INSERT INTO "
                + t
                + "entries (seq, k, write_id, payload) VALUES ("
                + drawn
                + ", 'b', '"
                + token
                + "', x'01')");
        s.execute("INSERT INTO " + t + "heads (k, head) VALUES ('b', " + drawn + ")");
        c.commit();
        c.setAutoCommit(true);
        s.execute("DELETE FROM " + t + "inflight WHERE token = '" + token + "'");
        s.execute("DO RELEASE_LOCK('cairn-w-" + token + "')");
      }
      await().atMost(Duration.ofSeconds(30)).untilTrue(listener.sawEntry);
    }
  }

  /** Whether a horizon is waiting for an append in flight (the procedure's pause). */
  private static boolean horizonIsWaiting() throws Exception {
    try (Connection c = DriverManager.getConnection(SqlServer.MARIADB.url);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                    + " WHERE INFO LIKE ? AND ID <> CONNECTION_ID()")) {
      ps.setString(1, "%SLEEP(0.0002)%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }
}
