package dev.cairn.redis;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * A Redis Cluster of three primaries the tests start on free ports of 127.0.0.1 ({@code
 * redis-server --cluster-enabled yes}, joined by {@code redis-cli --cluster create}), once per test
 * JVM, and stop when it exits.
 */
final class OwnRedisCluster {
  private static final String SERVER = "/usr/bin/redis-server";
  private static final String CLI = "/usr/bin/redis-cli";
  private static OwnRedisCluster running;

  private final List<Integer> ports = new ArrayList<>();
  private Path dir;
  private final List<Process> nodes = new ArrayList<>();

  /** The cluster, started on first use. */
  static synchronized OwnRedisCluster get() {
    if (running == null) {
      if (!Files.isExecutable(Path.of(SERVER)) || !Files.isExecutable(Path.of(CLI))) {
        throw dev.cairn.testkit.Servers.missing(
            "no " + SERVER + " and " + CLI + " to start a Redis Cluster", null);
      }
      try {
        running = new OwnRedisCluster();
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("cannot start a Redis Cluster: " + e.getMessage(), e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(running::stop));
    }
    return running;
  }

  private OwnRedisCluster() throws IOException, InterruptedException {
    dir = Files.createTempDirectory("cairn-redis-cluster-");
    while (ports.size() < 3) {
      int port = freePort();
      if (port < 55_000 && canBind(port + 10_000)) { // the cluster bus listens at port + 10000
        ports.add(port);
      }
    }
    for (int port : ports) {
      Path nodeDir = Files.createDirectories(dir.resolve("" + port));
      nodes.add(
          new ProcessBuilder(
                  SERVER,
                  "--port",
                  "" + port,
                  "--bind",
                  "127.0.0.1",
                  "--cluster-enabled",
                  "yes",
                  "--cluster-config-file",
                  "nodes.conf",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  nodeDir.toString())
              .redirectOutput(nodeDir.resolve("redis.log").toFile())
              .redirectErrorStream(true)
              .start());
    }
    for (int port : ports) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .ignoreExceptions()
          .until(() -> ping(port));
    }
    List<String> create = new ArrayList<>(List.of(CLI, "--cluster", "create"));
    ports.forEach(p -> create.add("127.0.0.1:" + p));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Process join =
        new ProcessBuilder(create)
            .redirectOutput(dir.resolve("create.log").toFile())
            .redirectErrorStream(true)
            .start();
    if (!join.waitFor(60, TimeUnit.SECONDS) || join.exitValue() != 0) {
      throw new IOException(
          "redis-cli --cluster create failed: " + Files.readString(dir.resolve("create.log")));
    }
    for (int port : ports) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> clusterInfo(port).contains("cluster_state:ok"));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean ping(int port) {
    try (RedisClient redis =
        RedisClient.builder().hostAndPort(new HostAndPort("127.0.0.1", port)).build()) {
      return redis.ping().equals("PONG");
    }
  }

  static String clusterInfo(int port) {
    try (redis.clients.jedis.Jedis redis = new redis.clients.jedis.Jedis("127.0.0.1", port)) {
      return redis.clusterInfo();
    }
  }

  /** A location in a namespace of its own, naming every node. */
  String freshLocation() {
    return "redis+cluster://"
        + String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList())
        + "?namespace=test-"
        + UUID.randomUUID();
  }

  List<Integer> ports() {
    return ports;
  }

  private void stop() {
    for (Process node : nodes) {
      node.destroyForcibly();
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary directory: the system cleans it in the end
    }
  }
}
