package dev.cairn.jdbc;

import org.junit.jupiter.api.BeforeAll;

/** The document contract on PostgreSQL. */
class PostgresDocumentStoreTest extends SqlDocumentStoreContract {
  @BeforeAll
  static void requireServer() {
    SqlServer.POSTGRESQL.require();
  }

  @Override
  SqlServer server() {
    return SqlServer.POSTGRESQL;
  }
}
