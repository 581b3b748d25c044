package dev.cairn.jdbc;

import org.junit.jupiter.api.BeforeAll;

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
}
