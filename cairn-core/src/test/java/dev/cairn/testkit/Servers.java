package dev.cairn.testkit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test does when a server it needs (Redis, PostgreSQL, MariaDB) cannot be reached. Under
 * {@code CI=true} it fails: CI machines run every server, so a missing one is a broken build, never
 * a silent pass. On a developer's machine without the server it is skipped with a message that
 * names the server and the variable that points the tests elsewhere (docs/backends.md).
 */
public final class Servers {
  /** The Redis server of the tests: {@code CAIRN_TEST_REDIS}, else this machine's. */
  public static final String REDIS =
      System.getenv().getOrDefault("CAIRN_TEST_REDIS", "redis://127.0.0.1:6379/0");

  /** The PostgreSQL database of the tests: {@code CAIRN_TEST_POSTGRES}, else this machine's. */
  public static final String POSTGRES =
      System.getenv()
          .getOrDefault(
              "CAIRN_TEST_POSTGRES", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  /** The MariaDB database of the tests: {@code CAIRN_TEST_MARIADB}, else this machine's. */
  public static final String MARIADB =
      System.getenv()
          .getOrDefault("CAIRN_TEST_MARIADB", "jdbc:mariadb://127.0.0.1:3306/test?user=root");

  private Servers() {}

  /** Fails under CI, skips elsewhere; never returns normally. */
  public static RuntimeException missing(String message, Throwable cause) {
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail(message, cause);
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }
}
