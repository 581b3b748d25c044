package dev.cairn.cli;

import static dev.cairn.testkit.Servers.MARIADB;
import static dev.cairn.testkit.Servers.POSTGRES;
import static dev.cairn.testkit.Servers.REDIS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/**
 * Cairn as a modular application runs it: every module on the module path, resolved from its {@code
 * module-info}, each backend found as a service, picocli and Jackson reaching what they reflect on.
 */
class ModulesIT extends PackagedJarIT {

  private final String ns = "m" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  /** {@code cairn} from the module path: the module classes and every runtime dependency. */
  @Override
  List<String> launcher() throws IOException {
    Path target = Path.of(System.getProperty("cairn.jar")).getParent();
    String modulePath =
        target.resolve("classes")
            + java.io.File.pathSeparator
            + Files.readString(target.resolve("runtime-classpath.txt")).strip();
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--module-path",
        modulePath,
        "-m",
        "dev.cairn.cli/dev.cairn.cli.Main");
  }

  @AfterEach
  void dropAll() {
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(REDIS))) {
      var keys = redis.keys("cairn:" + ns + ":*");
      if (!keys.isEmpty()) {
        redis.del(keys.toArray(String[]::new));
      }
    }
    dev.cairn.jdbc.JdbcBackend.drop(POSTGRES + "&cairn.namespace=" + ns);
    dev.cairn.jdbc.JdbcBackend.drop(MARIADB + "&cairn.namespace=" + ns);
  }

  @Test
  void theCommandRunsOnTheModulePathOnEveryBackend() throws Exception {
    for (String store :
        List.of(
            dir.resolve("store").toString(),
            REDIS + "?namespace=" + ns,
            POSTGRES + "&cairn.namespace=" + ns,
            MARIADB + "&cairn.namespace=" + ns)) {
      Run put = cairn("--store", store, "put", "a", "{\"v\":1}");
      assertThat(put.code()).as(store + ": " + put.out()).isZero();
      Run get = cairn("--store", store, "get", "a");
      assertThat(get.code()).as(store + ": " + get.out()).isZero();
      assertThat(get.out()).contains("\"v\":1");
    }
  }

  @Test
  void everyBackendIsFoundAsAService() throws Exception {
    Run unknown = cairn("--store", "nope:x", "ls");
    assertThat(unknown.code()).as(unknown.out()).isNotZero();
    assertThat(unknown.out())
        .contains("no backend for scheme 'nope'")
        .contains("file", "mem", "redis", "jdbc", "cairn+http", "cairn+https");
  }
}
