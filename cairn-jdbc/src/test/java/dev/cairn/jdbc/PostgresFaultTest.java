package dev.cairn.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.testkit.ScopedLoad;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store's PostgreSQL connections are terminated by the server ({@code pg_terminate_backend})
 * again and again while scoped increments run: the count is exact and no increment is applied
 * twice.
 */
class PostgresFaultTest {
  private final String namespace = SqlServer.freshNamespace();

  @BeforeAll
  static void requireServer() {
    SqlServer.POSTGRESQL.require();
  }

  @AfterEach
  void drop() {
    SqlServer.POSTGRESQL.drop(namespace);
  }

  private static int terminate() throws Exception {
    try (Connection c = DriverManager.getConnection(SqlServer.POSTGRESQL.url);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = 'cairn-fault-test'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void scopedIncrementsSurviveDroppedConnectionsExactlyOnce() throws Exception {
    String location =
        SqlServer.POSTGRESQL.location(namespace) + "&ApplicationName=cairn-fault-test";
    long total = 4 * 500;
    int terminated = 0;
    List<Integer> progressAtFault = new ArrayList<>();
    try (DocumentStore store = Cairn.open(location)) {
      ScopedLoad.InThreads load = new ScopedLoad.InThreads(store, 4, 500);
      for (int threshold = 100; threshold <= 1100; threshold += 200) {
        int at = threshold;
        await().atMost(Duration.ofMinutes(2)).until(() -> load.results().size() >= at);
        terminated += terminate();
        progressAtFault.add(load.results().size());
      }
      load.await();

      assertThat(terminated).as("connections terminated").isGreaterThanOrEqualTo(6);
      // the faults came while increments were still running
      assertThat(progressAtFault).allSatisfy(p -> assertThat(p).isLessThan((int) total));
      assertThat(store.get("n").orElseThrow().get("n").asLong()).isEqualTo(total);
      assertThat(load.results())
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
    }
  }
}
