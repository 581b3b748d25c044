package dev.cairn.jdbc;

import dev.cairn.AccessDeniedException;
import dev.cairn.Cairn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The document contract on MariaDB (and so MySQL's protocol). */
class MariaDbDocumentStoreTest extends SqlDocumentStoreContract {
  @BeforeAll
  static void requireServer() {
    SqlServer.MARIADB.require();
  }

  @Override
  SqlServer server() {
    return SqlServer.MARIADB;
  }

  @Test
  void aWrongPasswordIsRefusedAccessNotUnavailable() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Cairn.open(server().url + "&password=hunter2"))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("refused the login")
        .hasMessageNotContaining("hunter2");
  }
}
