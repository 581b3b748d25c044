package dev.cairn.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
    int threads = 4;
    int each = 500;
    ConcurrentLinkedQueue<Long> results = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    int terminated = 0;
    List<Integer> progressAtFault = new ArrayList<>();
    try (DocumentStore store = Cairn.open(location)) {
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    results.add(
                        store.scoped(
                            "n",
                            doc -> {
                              long next = doc.path("n").asLong() + 1;
                              doc.put("n", next);
                              return next;
                            }));
                  }
                  return null;
                }));
      }
      for (int threshold = 100; threshold <= 1100; threshold += 200) {
        int at = threshold;
        await().atMost(Duration.ofMinutes(2)).until(() -> results.size() >= at);
        terminated += terminate();
        progressAtFault.add(results.size());
      }
      for (Future<?> f : done) {
        f.get(3, TimeUnit.MINUTES);
      }
      pool.shutdown();

      long total = (long) threads * each;
      assertThat(terminated).as("connections terminated").isGreaterThanOrEqualTo(6);
      // the faults came while increments were still running
      assertThat(progressAtFault).allSatisfy(p -> assertThat(p).isLessThan((int) total));
      assertThat(store.get("n").orElseThrow().get("n").asLong()).isEqualTo(total);
      assertThat(results)
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
    }
  }
}
