package dev.cairn.jdbc;

import dev.cairn.Durability;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import org.junit.jupiter.api.BeforeAll;

/** The backend contract on MariaDB, in a namespace of its own, dropped after each test. */
class MariaDbBackendContractTest extends BackendContract {
  private final String namespace = SqlServer.freshNamespace();

  @BeforeAll
  static void server() {
    SqlServer.MARIADB.require();
  }

  @Override
  protected Backend open() {
    return new JdbcBackendProvider()
        .open(SqlServer.MARIADB.location(namespace), new BackendOptions(Durability.SYNC));
  }

  @Override
  protected void drop() {
    SqlServer.MARIADB.drop(namespace);
  }
}
