package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.JedisPooled;

/**
 * A Redis server of a test's own, on a free port, with an append-only file fsynced at every write,
 * that the test can kill with SIGKILL, keep down, and start again on the same data.
 */
final class OwnRedisServer implements AutoCloseable {
  private static final String BINARY = "/usr/bin/redis-server";
  private final Path dir;
  private final int port;
  private Process server;

  OwnRedisServer(Path dir) throws IOException {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw dev.cairn.testkit.Servers.missing(
          "no " + BINARY + " to start a Redis server of the test's own", null);
    }
    this.dir = dir;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    start();
  }

  String location(String namespace) {
    return "redis://127.0.0.1:" + port + "/0?namespace=" + namespace;
  }

  void start() throws IOException {
    server =
        new ProcessBuilder(
                BINARY,
                "--port",
                "" + port,
                "--bind",
                "127.0.0.1",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--dir",
                dir.toString())
            .redirectOutput(dir.resolve("redis.log").toFile())
            .redirectErrorStream(true)
            .start();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptions()
        .until(
            () -> {
              try (JedisPooled redis = new JedisPooled("127.0.0.1", port)) {
                return redis.ping().equals("PONG") && redis.dbSize() >= 0;
              }
            });
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    server.destroyForcibly();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  public void close() throws InterruptedException {
    if (server != null) {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
