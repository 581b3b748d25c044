package dev.cairn.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;

/**
 * A SQL server the tests use, from an environment variable or the machine's default. When it cannot
 * be reached, the tests fail under {@code CI=true} and are skipped, with a message, elsewhere.
 */
enum SqlServer {
  POSTGRESQL("CAIRN_TEST_POSTGRES", dev.cairn.testkit.Servers.POSTGRES),
  MARIADB("CAIRN_TEST_MARIADB", dev.cairn.testkit.Servers.MARIADB);

  final String url;
  private final String variable;

  SqlServer(String variable, String url) {
    this.variable = variable;
    this.url = url;
  }

  void require() {
    try (Connection c = DriverManager.getConnection(url)) {
      c.isValid(5);
    } catch (SQLException e) {
      String message =
          "no " + name() + " server at " + url + " (set " + variable + "): " + e.getMessage();
      throw dev.cairn.testkit.Servers.missing(message, e);
    }
  }

  /** A namespace of its own. */
  static String freshNamespace() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  String location(String namespace) {
    return url + (url.contains("?") ? "&" : "?") + "cairn.namespace=" + namespace;
  }

  Dialect dialect() {
    return Dialect.of(this == POSTGRESQL ? "postgresql" : "mariadb");
  }

  /** Drops a namespace's tables and routines. */
  void drop(String namespace) {
    JdbcBackend.drop(location(namespace));
  }
}
