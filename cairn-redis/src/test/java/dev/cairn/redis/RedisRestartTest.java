package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.testkit.ScopedLoad;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis server of this test's own, with an append-only file fsynced at every write, killed with
 * SIGKILL and restarted while scoped increments run: the count is exact and no increment is applied
 * twice.
 */
class RedisRestartTest {
  @TempDir Path dir;
  private OwnRedisServer server;

  @BeforeEach
  void start() throws IOException {
    server = new OwnRedisServer(dir);
  }

  private void killAndRestart() throws Exception {
    server.kill();
    server.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void scopedIncrementsSurviveServerCrashesExactlyOnce() throws Exception {
    String location = server.location("fault");
    long total = 4 * 1000;
    try (DocumentStore store = Cairn.open(location)) {
      ScopedLoad.InThreads load = new ScopedLoad.InThreads(store, 4, 1000);
      List<Integer> progressAtCrash = new ArrayList<>();
      for (int threshold : new int[] {500, 2000}) {
        await().atMost(Duration.ofMinutes(2)).until(() -> load.results().size() >= threshold);
        killAndRestart();
        progressAtCrash.add(load.results().size());
      }
      load.await();

      // the crashes came while increments were still running
      assertThat(progressAtCrash).allSatisfy(p -> assertThat(p).isLessThan((int) total));
      assertThat(store.get("n").orElseThrow().get("n").asLong()).isEqualTo(total);
      assertThat(load.results())
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
    }
  }
}
