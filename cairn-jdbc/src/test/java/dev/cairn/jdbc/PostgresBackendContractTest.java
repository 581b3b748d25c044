package dev.cairn.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Durability;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import dev.cairn.testkit.BackendContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend contract on PostgreSQL, in a namespace of its own, dropped after each test. */
class PostgresBackendContractTest extends BackendContract {
  private final String namespace = SqlServer.freshNamespace();

  @BeforeAll
  static void server() {
    SqlServer.POSTGRESQL.require();
  }

  @Override
  protected Backend open() {
    return new JdbcBackendProvider()
        .open(SqlServer.POSTGRESQL.location(namespace), new BackendOptions(Durability.SYNC));
  }

  @Override
  protected void drop() {
    SqlServer.POSTGRESQL.drop(namespace);
  }

  /**
   * An append to one log holds its number without committing (a transaction left open around the
   * routine): an append to another log goes through meanwhile, with a higher number, and the change
   * feed waits for the first instead of handing out the second alone and skipping it.
   */
  @Test
  void appendsToOtherLogsGoOnWhileOneIsInFlightAndTheFeedWaitsForIt() throws Exception {
    String t = "cairn_" + namespace + "_";
    first.append("a", 0, List.of(new byte[] {0}));
    long before = first.lastSequence();
    try (Connection open = DriverManager.getConnection(SqlServer.POSTGRESQL.url)) {
      open.setAutoCommit(false);
      long inFlight;
      try (PreparedStatement ps =
          open.prepareStatement(
              "SELECT r_last FROM "
                  + t
                  + "append('a', -1, ?, ARRAY['\\x01'::bytea], false, false)")) {
        ps.setString(1, UUID.randomUUID().toString());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          inFlight = rs.getLong(1);
        }
      }

      long other =
          CompletableFuture.supplyAsync(() -> second.append("b", 0, List.of(new byte[] {2})))
              .get(30, TimeUnit.SECONDS);
      assertThat(other).isGreaterThan(inFlight);

      CompletableFuture<List<LogEntry>> feed =
          CompletableFuture.supplyAsync(() -> first.changes(before, 10));
      await().atMost(Duration.ofSeconds(30)).until(() -> feed.isDone() || horizonIsWaiting(t));
      assertThat(feed).as("the feed waits for the append in flight").isNotDone();

      open.commit();
      assertThat(feed.get(30, TimeUnit.SECONDS))
          .extracting(LogEntry::seq)
          .containsExactly(inFlight, other);
    }
  }

  /**
   * A listener woken while an append is in flight (its number drawn, its entry not committed) is
   * woken again once the entry commits: listeners follow the horizon, not the last number drawn, so
   * a reader of one log, as a shared object's replica is, never stops short of an entry.
   */
  @Test
  void aListenerIsWokenForAnEntryThatCommitsAfterItsNumberWasDrawn() throws Exception {
    String t = "cairn_" + namespace + "_";
    first.append("a", 0, List.of(new byte[] {0}));
    try (ReadingListener listener = new ReadingListener(second, "b")) {
      int before = listener.wakes.get();
      try (Connection open = DriverManager.getConnection(SqlServer.POSTGRESQL.url)) {
        open.setAutoCommit(false);
        try (PreparedStatement ps =
            open.prepareStatement(
                "SELECT r_last FROM "
                    + t
                    + "append('b', -1, ?, ARRAY['\\x01'::bytea], false, false)")) {
          ps.setString(1, UUID.randomUUID().toString());
          ps.executeQuery().close();
        }
        // the listener looks while the entry is in flight: it waits, or (were it to follow the
        // numbers drawn) is woken too early
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> listener.wakes.get() > before || horizonIsWaiting(t));
        open.commit(); // no notice: only the listener's own look can find it
      }
      await().atMost(Duration.ofSeconds(30)).untilTrue(listener.sawEntry);
    }
  }

  private static boolean horizonIsWaiting(String prefix) throws Exception {
    try (Connection c = DriverManager.getConnection(SqlServer.POSTGRESQL.url);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE ?")) {
      ps.setString(1, "%" + prefix + "horizon()%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }
}
