package dev.cairn.jdbc;

import org.junit.jupiter.api.BeforeAll;

/** The shared-object contract on MariaDB. */
class MariaDbSharedObjectTest extends SqlSharedObjectContract {
  @BeforeAll
  static void requireServer() {
    SqlServer.MARIADB.require();
  }

  @Override
  SqlServer server() {
    return SqlServer.MARIADB;
  }
}
