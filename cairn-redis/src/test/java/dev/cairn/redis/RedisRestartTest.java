package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.ScopedLoad;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * A Redis server of this test's own, with an append-only file fsynced at every write, killed with
 * SIGKILL and restarted while scoped increments run: the count is exact and no increment is applied
 * twice.
 */
class RedisRestartTest {
  @TempDir Path dir;
  private int port;
  private Process server;

  @BeforeEach
  void start() throws IOException {
    String binary = "/usr/bin/redis-server";
    if (!Files.isExecutable(Path.of(binary))) {
      throw dev.cairn.Servers.missing(
          "no " + binary + " to start a Redis server of the test's own", null);
    }
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    startServer();
  }

  private void startServer() throws IOException {
    server =
        new ProcessBuilder(
                "/usr/bin/redis-server",
                "--port",
                "" + port,
                "--bind",
                "127.0.0.1",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--dir",
                dir.toString())
            .redirectOutput(dir.resolve("redis.log").toFile())
            .redirectErrorStream(true)
            .start();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptions()
        .until(
            () -> {
              try (JedisPooled redis = new JedisPooled("127.0.0.1", port)) {
                return redis.ping().equals("PONG") && redis.dbSize() >= 0;
              }
            });
  }

  private void killAndRestart() throws Exception {
    server.destroyForcibly();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    startServer();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void scopedIncrementsSurviveServerCrashesExactlyOnce() throws Exception {
    String location = "redis://127.0.0.1:" + port + "/0?namespace=fault";
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
