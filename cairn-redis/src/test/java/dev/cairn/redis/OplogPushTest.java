package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.Durability;
import dev.cairn.UnavailableException;
import dev.cairn.engine.Backends;
import dev.cairn.oplog.OplogClient;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Success means stored: a push returns only once a store holds the operation (a shared store that
 * acknowledged it, or the client's outbox), and fails, naming the store, when none does.
 */
class OplogPushTest {
  private static final String KEY = "_oplog/c/counter/n";
  @TempDir Path dir;
  @TempDir Path outbox;
  private OwnRedisServer server;
  private String location;

  @BeforeEach
  void start() throws Exception {
    server = new OwnRedisServer(dir);
    location = server.location("oplog");
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.close();
  }

  private OplogClient client(boolean withOutbox) {
    OplogClient.Builder b =
        OplogClient.builder()
            .channel("c", location)
            .pushTimeout(Duration.ofMillis(500))
            .syncInterval(Duration.ofMillis(50));
    if (withOutbox) {
      b.outbox(outbox.toString());
    }
    return b.open();
  }

  private long opsInRedis() {
    try (Backend redis = Backends.open(location, new BackendOptions(Durability.OS))) {
      return redis.read(KEY, 0).size();
    }
  }

  @Test
  void aPushThatNoStoreTookFailsAndNamesTheStore() throws Exception {
    try (OplogClient c = client(false)) {
      assertThat(c.push("c", "counter", "n", 1).asLong()).isEqualTo(1);
      server.kill();

      assertThatThrownBy(() -> c.push("c", "counter", "n", 1))
          .isInstanceOf(UnavailableException.class)
          .hasMessageContaining("not stored")
          .hasMessageContaining("redis://127.0.0.1:");
      server.start();
      // the failed push was taken back: it is neither counted nor sent later
      assertThat(c.push("c", "counter", "n", 1).asLong()).isEqualTo(2);
      assertThat(c.flush(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(opsInRedis()).isEqualTo(2);
  }

  @Test
  void aNewClientFailsToReadWhenNoStoreAnswers() throws Exception {
    server.kill();
    try (OplogClient c = client(false)) {
      assertThatThrownBy(() -> c.get("c", "counter", "n"))
          .isInstanceOf(UnavailableException.class)
          .hasMessageContaining("could be read")
          .hasMessageContaining("redis://127.0.0.1:");
      assertThat(c.failingStores("c")).containsOnlyKeys(server.location("oplog"));
    }
  }

  @Test
  void theOutboxHoldsPushesWhileNoStoreAnswersAndDeliversThemLaterEvenAfterARestart()
      throws Exception {
    server.kill();
    try (OplogClient c = client(true)) {
      assertThat(c.push("c", "counter", "n", 5).asLong()).isEqualTo(5);
      assertThat(c.push("c", "counter", "n", 2).asLong()).isEqualTo(7);
      assertThat(c.failingStores("c")).containsOnlyKeys(location);
    }
    // a later run with the same outbox delivers what the first could not
    server.start();
    try (OplogClient c = client(true)) {
      assertThat(c.get("c", "counter", "n").asLong()).isEqualTo(7);
      assertThat(c.flush(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(opsInRedis()).isEqualTo(2);
    try (Backend box =
        Backends.open(outbox.toString(), new BackendOptions(Durability.SYNC, false))) {
      assertThat(box.read(KEY, 0)).hasSize(2);
    }
  }
}
