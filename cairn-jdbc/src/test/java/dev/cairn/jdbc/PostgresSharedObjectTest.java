package dev.cairn.jdbc;

import org.junit.jupiter.api.BeforeAll;

/** The shared-object contract on PostgreSQL. */
class PostgresSharedObjectTest extends SqlSharedObjectContract {
  @BeforeAll
  static void requireServer() {
    SqlServer.POSTGRESQL.require();
  }

  @Override
  SqlServer server() {
    return SqlServer.POSTGRESQL;
  }
}
