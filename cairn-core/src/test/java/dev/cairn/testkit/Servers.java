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
