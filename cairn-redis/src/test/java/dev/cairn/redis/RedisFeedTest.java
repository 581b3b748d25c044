package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.Cairn;
import dev.cairn.Change;
import dev.cairn.ChangeListener;
import dev.cairn.DocumentStore;
import dev.cairn.FeedNotice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * A listener on Redis is told when the server goes away and when it is back, and misses no change
 * made meanwhile; when the server comes back without its data, it is told that too, and gets the
 * new store's changes.
 */
class RedisFeedTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path dir;
  private OwnRedisServer server;

  @BeforeEach
  void start() throws Exception {
    server = new OwnRedisServer(dir);
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.close();
  }

  /** Records what a listener is told. */
  private static final class Recorder implements ChangeListener {
    final List<String> ids = new CopyOnWriteArrayList<>();
    final List<FeedNotice> notices = new CopyOnWriteArrayList<>();

    @Override
    public void onChange(Change change) {
      ids.add(change.id());
    }

    @Override
    public void onFeedNotice(FeedNotice notice) {
      notices.add(notice);
    }

    List<FeedNotice.Kind> kinds() {
      return notices.stream().map(FeedNotice::kind).toList();
    }
  }

  @Test
  void aListenerIsToldOfAnOutageAndGetsWhatWasWrittenMeanwhile() throws Exception {
    String location = server.location("feed");
    Recorder seen = new Recorder();
    try (DocumentStore watcher = Cairn.open(location);
        var sub = watcher.listen(seen)) {
      try (DocumentStore writer = Cairn.open(location)) {
        writer.upsert("before", Map.of());
      }
      await().atMost(WAIT).until(() -> seen.ids.contains("before"));

      server.kill();
      await().atMost(WAIT).until(() -> seen.kinds().contains(FeedNotice.Kind.LOST));
      assertThat(seen.notices.get(0).message()).contains("127.0.0.1").doesNotContain("Jedis");

      server.start(); // with its data: the append-only file is fsynced at every write
      try (DocumentStore writer = Cairn.open(location)) {
        writer.upsert("after", Map.of());
      }
      await().atMost(WAIT).until(() -> seen.ids.contains("after"));
      await().atMost(WAIT).until(() -> seen.kinds().contains(FeedNotice.Kind.RESTORED));
      assertThat(seen.ids).containsExactly("before", "after");
      assertThat(seen.kinds()).containsExactly(FeedNotice.Kind.LOST, FeedNotice.Kind.RESTORED);
    }
  }

  @Test
  void aStoreThatLostItsDataIsReportedAndItsNewChangesAreDelivered() throws Exception {
    String location = server.location("reset");
    Recorder seen = new Recorder();
    try (DocumentStore watcher = Cairn.open(location);
        var sub = watcher.listen(seen)) {
      try (DocumentStore writer = Cairn.open(location)) {
        for (int i = 0; i < 5; i++) {
          writer.upsert("old-" + i, Map.of());
        }
      }
      await().atMost(WAIT).until(() -> seen.ids.size() == 5);

      // what a restart without persistence does: every key gone
      try (JedisPooled redis = new JedisPooled("127.0.0.1", port(location))) {
        redis.flushAll();
      }
      try (DocumentStore writer = Cairn.open(location)) {
        writer.upsert("new", Map.of());
      }

      await().atMost(WAIT).until(() -> seen.ids.contains("new"));
      assertThat(seen.kinds()).contains(FeedNotice.Kind.RESET);
      assertThat(seen.notices.get(0).message()).contains("reset");
    }
  }

  @Test
  void aProcessThatHeldDocumentsOfAStoreThatLostItsDataWorksOnTheNewOne() throws Exception {
    String location = server.location("lost");
    try (DocumentStore old = Cairn.open(location)) {
      for (int i = 0; i < 5; i++) {
        old.upsert("doc", Map.of("n", i)); // its reduction is at the fifth revision
      }
      try (JedisPooled redis = new JedisPooled("127.0.0.1", port(location))) {
        redis.flushAll(); // what a restart without persistence does
      }
      try (DocumentStore other = Cairn.open(location)) {
        other.upsert("doc", Map.of("n", 100));
      }
      // the old reduction is dropped: the new document is read, and written on, not fought over
      var update =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                var doc = old.get("doc").orElseThrow();
                doc.put("n", doc.get("n").asInt() + 1);
                return old.update(doc);
              });
      assertThat(update.get(30, java.util.concurrent.TimeUnit.SECONDS)).startsWith("2-");
      assertThat(old.get("doc").orElseThrow().get("n").asInt()).isEqualTo(101);
    }
  }

  private static int port(String location) {
    return java.net.URI.create(location).getPort();
  }
}
