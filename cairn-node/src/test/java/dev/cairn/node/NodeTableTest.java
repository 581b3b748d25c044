package dev.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.AccessDeniedException;
import dev.cairn.Cairn;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.InvalidDocumentException;
import dev.cairn.engine.Backends;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users, sessions and mounts of a node's table. */
class NodeTableTest {
  @TempDir Path dir;
  private final MovableClock clock = new MovableClock();
  private DocumentStore store;
  private Backend sessions;
  private NodeTable table;

  /** A clock the test moves on. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @BeforeEach
  void open() {
    store = Cairn.open(dir.resolve("table"));
    sessions = openSessions();
    table = new NodeTable(store, sessions, clock, 1000); // a cheap hash: the cost is not under test
    table.createUser("alice", "correct horse battery".toCharArray());
  }

  private Backend openSessions() {
    return Backends.open(
        dir.resolve("sessions").toString(), new BackendOptions(dev.cairn.Durability.OS));
  }

  @AfterEach
  void close() {
    store.close();
    sessions.close();
  }

  @Test
  void expiredSessionsAreSweptAwayForGoodAndLiveOnesStay() {
    NodeTable.Session shortOne =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofMinutes(1));
    NodeTable.Session revoked =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofMinutes(1));
    table.revoke(revoked.token());
    NodeTable.Session longOne =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    assertThat(table.sweep()).isZero(); // nothing has expired yet
    clock.now = clock.now.plus(Duration.ofMinutes(2));

    assertThat(table.sweep()).isEqualTo(2);
    assertThat(sessions.keys()).hasSize(1);
    assertThatThrownBy(() -> table.authenticate(shortOne.token()))
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.authenticate(revoked.token()))
        .isInstanceOf(AccessDeniedException.class);
    assertThat(table.authenticate(longOne.token())).isEqualTo("alice");
  }

  @Test
  void aStoreTokenIsForOneStoreAndLivesAndDiesWithItsSession() {
    NodeTable.Session s =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    NodeTable.StoreToken a = table.storeToken(s.token(), "http://Store-A.example:80/");
    assertThat(a.expires()).isEqualTo(s.expires());
    assertThat(a.toString()).doesNotContain(a.token());
    // the same store however its URL is written
    assertThat(table.authenticateStore(a.token(), "http://store-a.example")).isEqualTo("alice");
    assertThatThrownBy(() -> table.authenticateStore(a.token(), "http://store-b.example"))
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.authenticateStore(a.token(), "https://store-a.example:80"))
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.authenticateStore(s.token(), "http://store-a.example"))
        .as("a session token is no store token")
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.authenticate(a.token()))
        .as("a store token is no session token")
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.storeToken(a.token(), "http://store-b.example"))
        .isInstanceOf(AccessDeniedException.class);
    for (String bad : new String[] {"ftp://x", "http://u:p@x", "http://x/path", "http://x?q", ""}) {
      assertThatThrownBy(() -> table.storeToken(s.token(), bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }

    // a new table over the same data accepts it: the key is kept with the users
    NodeTable again = new NodeTable(store, sessions, clock, 1000);
    assertThat(again.authenticateStore(a.token(), "http://store-a.example:80")).isEqualTo("alice");

    clock.now = clock.now.plus(Duration.ofHours(2));
    assertThatThrownBy(() -> table.authenticateStore(a.token(), "http://store-a.example"))
        .hasMessageContaining("expired");
    NodeTable.Session t =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    NodeTable.StoreToken b = table.storeToken(t.token(), "http://store-a.example");
    table.revoke(t.token());
    assertThatThrownBy(() -> table.authenticateStore(b.token(), "http://store-a.example"))
        .hasMessageContaining("revoked");
  }

  @Test
  void theRightSecretOpensASessionWhoseTokenNamesItsUser() {
    NodeTable.Session s =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    assertThat(table.authenticate(s.token())).isEqualTo("alice");
    assertThat(s.expires()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(s.toString()).doesNotContain(s.token());
  }

  @Test
  void aWrongSecretAndAnUnknownUserAreRefusedAlike() {
    assertThatThrownBy(
            () -> table.login("alice", "wrong secret here".toCharArray(), Duration.ofHours(1)))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessage("unknown user or wrong secret");
    assertThatThrownBy(
            () -> table.login("bob", "correct horse battery".toCharArray(), Duration.ofHours(1)))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessage("unknown user or wrong secret");
  }

  @Test
  void expiredAndRevokedSessionsAreRefused() {
    NodeTable.Session short1 =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofMinutes(5));
    NodeTable.Session other =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    clock.now = clock.now.plus(Duration.ofMinutes(5));
    assertThatThrownBy(() -> table.authenticate(short1.token()))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("expired");
    assertThat(table.authenticate(other.token())).isEqualTo("alice");
    table.revoke(other.token());
    table.revoke(other.token());
    assertThatThrownBy(() -> table.authenticate(other.token()))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("revoked");
    assertThatThrownBy(() -> table.authenticate("made-up"))
        .isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> table.authenticate(null)).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void neitherSecretsNorTokensAreStored() throws Exception {
    NodeTable.Session s =
        table.login("alice", "correct horse battery".toCharArray(), Duration.ofHours(1));
    store.close();
    sessions.close();
    byte[] all;
    try (var files = Files.walk(dir)) {
      all =
          files
              .filter(Files::isRegularFile)
              .map(
                  f -> {
                    try {
                      return Files.readAllBytes(f);
                    } catch (java.io.IOException e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .reduce(
                  new byte[0],
                  (x, y) -> {
                    byte[] z = java.util.Arrays.copyOf(x, x.length + y.length);
                    System.arraycopy(y, 0, z, x.length, y.length);
                    return z;
                  });
    }
    String text = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(text)
        .contains("user:alice")
        .doesNotContain("correct horse battery")
        .doesNotContain(s.token());
    // the table survives the node's restart
    store = Cairn.open(dir.resolve("table"));
    sessions.close();
    sessions = openSessions();
    NodeTable again = new NodeTable(store, sessions, clock, 1000);
    assertThat(again.authenticate(s.token())).isEqualTo("alice");
  }

  @Test
  void usersHaveMountTablesOfTheirOwn() {
    table.createUser("bob", "another long secret".toCharArray());
    table.mount("alice", "core", List.of("/data/a", "redis://cache:6379/0"));
    table.mount("alice", "photos", List.of("/data/p"));
    table.mount("bob", "core", List.of("/data/b"));
    table.mount("alice", "core", List.of("/data/a2"));
    assertThat(table.mounts("alice"))
        .isEqualTo(Map.of("core", List.of("/data/a2"), "photos", List.of("/data/p")));
    assertThat(table.mounts("bob")).isEqualTo(Map.of("core", List.of("/data/b")));
    assertThat(table.mounts("carol")).isEmpty();
  }

  @Test
  void badInputIsRefusedAndChangesNothing() {
    assertThatThrownBy(() -> table.createUser("alice", "yet another secret".toCharArray()))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> table.createUser("carol", "short".toCharArray()))
        .isInstanceOf(InvalidDocumentException.class)
        .hasMessageContaining("at least 12");
    assertThatThrownBy(() -> table.createUser("../etc", "long enough secret".toCharArray()))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> table.createUser("a:b", "long enough secret".toCharArray()))
        .isInstanceOf(InvalidDocumentException.class);
    assertThatThrownBy(() -> table.mount("alice", "core", List.of()))
        .isInstanceOf(InvalidDocumentException.class);
    assertThat(store.ids()).containsExactlyInAnyOrder("user:alice");
  }
}
