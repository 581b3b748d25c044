package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.oplog.OplogClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three stores of one channel (a directory, the shared Redis, and a Redis of the test's own that is
 * killed and later restarted) and several clients pushing at once: every client ends with the same
 * value, the reduction of every operation pushed, and so does every store.
 */
class OplogConvergenceTest {
  @TempDir Path dir;

  @BeforeAll
  static void server() {
    RedisServer.require();
  }

  @Test
  void clientsConvergeWhileAStoreIsDownAndAfterItIsBack() throws Exception {
    Path redisDir = Files.createDirectories(dir.resolve("own-redis"));
    String directory = dir.resolve("store").toString();
    String shared = RedisServer.freshLocation();
    try (OwnRedisServer own = new OwnRedisServer(redisDir)) {
      String stopped = own.location("oplog");
      String[] stores = {directory, shared, stopped};
      List<OplogClient> clients = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        clients.add(
            OplogClient.builder()
                .channel("core", stores)
                .pruneAfter(50)
                .syncInterval(Duration.ofMillis(50))
                .clock(
                    i == 2
                        ? Clock.offset(Clock.systemUTC(), Duration.ofHours(1))
                        : Clock.systemUTC())
                .open());
      }
      AtomicLong pushed = new AtomicLong();
      AtomicLong expected = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (OplogClient c : clients) {
          runs.add(
              pool.submit(
                  () -> {
                    for (int n = 1; n <= 300; n++) {
                      c.push("core", "counter", "hits", n % 7);
                      expected.addAndGet(n % 7);
                      pushed.incrementAndGet();
                    }
                    return null;
                  }));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> pushed.get() >= 300);
        own.kill(); // a third of the way in
        long pushedWhileDown = pushed.get();
        for (Future<?> r : runs) {
          r.get();
        }
        assertThat(pushedWhileDown).isLessThan(900);
        own.start();

        long total = expected.get();
        for (OplogClient c : clients) {
          await()
              .atMost(Duration.ofSeconds(90))
              .until(() -> c.get("core", "counter", "hits").asLong() == total);
        }
        // every store comes to hold it all: a client of each store alone reads the total
        for (String store : stores) {
          await()
              .atMost(Duration.ofSeconds(90))
              .untilAsserted(
                  () -> {
                    try (OplogClient reader =
                        OplogClient.builder().channel("core", store).pruneAfter(0).open()) {
                      assertThat(reader.get("core", "counter", "hits").asLong())
                          .as("the value read from " + store)
                          .isEqualTo(total);
                    }
                  });
        }
      } finally {
        pool.shutdownNow();
        clients.forEach(OplogClient::close);
        RedisServer.drop(shared);
      }
    }
  }

  @Test
  void threeProcessesPushingToADirectoryAndRedisConverge() throws Exception {
    String directory = dir.resolve("shared-dir").toString();
    String redis = RedisServer.freshLocation();
    List<dev.cairn.testkit.Jvm> jvms = new ArrayList<>();
    int count = 150;
    try {
      for (int i = 0; i < 3; i++) {
        jvms.add(
            dev.cairn.testkit.Jvm.start(
                dev.cairn.testkit.OplogWorker.class, "" + count, "" + i, directory, redis));
      }
      for (dev.cairn.testkit.Jvm j : jvms) {
        j.await("ready"::equals, Duration.ofSeconds(60));
      }
      for (dev.cairn.testkit.Jvm j : jvms) {
        j.send("go");
      }
      for (dev.cairn.testkit.Jvm j : jvms) {
        j.await("pushed"::equals, Duration.ofSeconds(60));
      }
      long total = count * (1 + 2 + 3);
      for (dev.cairn.testkit.Jvm j : jvms) {
        j.send("await " + total + " " + 3 * count);
      }
      for (dev.cairn.testkit.Jvm j : jvms) {
        assertThat(j.await(l -> l.startsWith("value "), Duration.ofSeconds(90)))
            .isEqualTo("value " + total + " " + 3 * count);
        assertThat(j.waitFor(Duration.ofSeconds(30))).isZero();
      }
      for (String store : List.of(directory, redis)) {
        try (OplogClient reader =
            OplogClient.builder().channel("core", store).pruneAfter(0).open()) {
          assertThat(reader.get("core", "counter", "hits").asLong()).isEqualTo(total);
          assertThat(reader.get("core", "set", "seen")).hasSize(3 * count);
        }
      }
    } finally {
      jvms.forEach(dev.cairn.testkit.Jvm::close);
      RedisServer.drop(redis);
    }
  }
}
