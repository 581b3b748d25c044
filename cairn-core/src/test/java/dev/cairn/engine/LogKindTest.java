package dev.cairn.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Every key belongs to exactly one kind of log, told by its prefix. */
class LogKindTest {
  @Test
  void aKeyWithoutUnderscoreIsADocumentsAndReservedPrefixesNameTheirKinds() {
    assertThat(LogKind.of("order-17")).isEqualTo(LogKind.DOCUMENT);
    assertThat(LogKind.of("shared/x")).isEqualTo(LogKind.DOCUMENT); // no underscore: a document
    assertThat(LogKind.of("_shared/settings")).isEqualTo(LogKind.SHARED_OBJECT);
    assertThat(LogKind.of("_oplog/chan/type/path")).isEqualTo(LogKind.OPLOG);
    assertThat(LogKind.of("_replication/1234")).isEqualTo(LogKind.REPLICATION);
    assertThat(LogKind.of("_future/thing")).isEqualTo(LogKind.RESERVED);
    assertThat(LogKind.of("_shared")).isEqualTo(LogKind.RESERVED); // the prefix needs its slash
  }

  @Test
  void namesAndKeysGoBothWays() {
    String key = LogKind.SHARED_OBJECT.key("settings");
    assertThat(key).isEqualTo("_shared/settings");
    assertThat(LogKind.SHARED_OBJECT.name(key)).isEqualTo("settings");
    assertThat(LogKind.DOCUMENT.name("order-17")).isEqualTo("order-17");
    assertThatThrownBy(() -> LogKind.OPLOG.name("_shared/settings"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("_shared/settings");
  }

  @Test
  void aBackupCarriesSharedObjectsAndOplogsEntryByEntryAndNotReplicationCheckpoints() {
    assertThat(LogKind.SHARED_OBJECT.backedUpAsEntries()).isTrue();
    assertThat(LogKind.OPLOG.backedUpAsEntries()).isTrue();
    assertThat(LogKind.REPLICATION.backedUpAsEntries()).isFalse();
    assertThat(LogKind.DOCUMENT.backedUpAsEntries()).isFalse(); // carried as revisions
    assertThat(LogKind.SHARED_OBJECT.entryTypes())
        .containsExactlyInAnyOrder("init", "patch", "snap");
    assertThat(LogKind.OPLOG.entryTypes()).containsExactlyInAnyOrder("op", "cp");
  }
}
