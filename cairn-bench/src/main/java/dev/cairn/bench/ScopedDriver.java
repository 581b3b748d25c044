package dev.cairn.bench;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

/**
 * Scoped increments per second on every backend, on one hot name and on 100 names, from 1 and 4
 * processes (one thread each), beside the increment a user would write by hand for the same server:
 * SQLite {@code BEGIN IMMEDIATE} for the directory, a Redis {@code WATCH/MULTI} loop, {@code UPDATE
 * ... SET n = n + 1} on PostgreSQL and MariaDB. Every run checks its final counts against the
 * increments acknowledged.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.ScopedDriver [--seconds 3]
 * </pre>
 */
public final class ScopedDriver {
  private static final String REDIS = "redis://127.0.0.1:6379/0";
  private static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  private static final String MARIADB = "jdbc:mariadb://127.0.0.1:3306/test?user=root";

  private static final long WARMUP_NANOS = 2_000_000_000L;

  private ScopedDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int seconds = args.length > 1 && args[0].equals("--seconds") ? Integer.parseInt(args[1]) : 3;
    System.out.printf(
        "%d s per run, one thread per process, %s, %d cores%n%n",
        seconds, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| backend | names | processes | Cairn scoped ops/s | peer | peer ops/s | Cairn / peer |");
    System.out.println("|---|---:|---:|---:|---|---:|---:|");
    for (String backend : List.of("file", "redis", "postgresql", "mariadb")) {
      for (int names : new int[] {1, 100}) {
        for (int processes : new int[] {1, 4}) {
          double cairn = run(backend, "cairn", names, processes, seconds);
          double peer = run(backend, "peer", names, processes, seconds);
          System.out.printf(
              Locale.ROOT,
              "| %s | %d | %d | %,.0f | %s | %,.0f | %.2f |%n",
              backend,
              names,
              processes,
              cairn,
              peerName(backend),
              peer,
              cairn / peer);
        }
      }
    }
  }

  private static String peerName(String backend) {
    return switch (backend) {
      case "file" -> "SQLite BEGIN IMMEDIATE";
      case "redis" -> "WATCH/MULTI";
      default -> "UPDATE n = n + 1";
    };
  }

  /** One run: fresh data, {@code processes} children started together, their counts summed. */
  private static double run(String backend, String who, int names, int processes, int seconds)
      throws Exception {
    Path dir = Files.createTempDirectory("cairn-scoped-");
    String ns = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try {
      List<Process> children = new ArrayList<>();
      for (int p = 0; p < processes; p++) {
        children.add(
            Children.start(
                ScopedDriver.class,
                "child",
                backend,
                who,
                "" + names,
                "" + seconds,
                dir.toString(),
                ns));
      }
      List<BufferedReader> outs = Children.awaitReady(children);
      for (Process c : children) {
        OutputStream in = c.getOutputStream();
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
      long ops = 0;
      long warmups = 0;
      double elapsed = 0;
      for (int i = 0; i < children.size(); i++) {
        warmups += Long.parseLong(outs.get(i).readLine().split(" ")[1]);
        String[] done = outs.get(i).readLine().split(" ");
        ops += Long.parseLong(done[1]);
        elapsed = Math.max(elapsed, Double.parseDouble(done[2]));
        children.get(i).waitFor(60, TimeUnit.SECONDS);
      }
      long counted = total(backend, who, names, dir, ns);
      if (counted != ops + warmups) {
        throw new IllegalStateException(
            backend + " " + who + " counted " + counted + " of " + (ops + warmups) + " increments");
      }
      return ops / elapsed;
    } finally {
      cleanUp(backend, who, dir, ns);
    }
  }

  /** The increments a backend holds, summed over the names. */
  private static long total(String backend, String who, int names, Path dir, String ns)
      throws Exception {
    try (Counter c = counter(backend, who, dir, ns)) {
      long sum = 0;
      for (int i = 0; i < names; i++) {
        sum += c.read("name" + i);
      }
      return sum;
    }
  }

  private static void child(String[] args) throws Exception {
    String backend = args[1];
    String who = args[2];
    int names = Integer.parseInt(args[3]);
    long nanos = TimeUnit.SECONDS.toNanos(Integer.parseInt(args[4]));
    try (Counter counter = counter(backend, who, Path.of(args[5]), args[6])) {
      System.out.println("ready");
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      java.util.Random random = new java.util.Random();
      long warm = System.nanoTime();
      long warmups = 0;
      while (System.nanoTime() - warm < WARMUP_NANOS) { // the JIT compiles; not counted
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        warmups++;
      }
      System.out.println("warm " + warmups);
      long start = System.nanoTime();
      long n = 0;
      while (System.nanoTime() - start < nanos) {
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        n++;
      }
      System.out.println("done " + n + " " + (System.nanoTime() - start) / 1e9);
    }
  }

  /** An increment, by Cairn or by the peer. */
  private interface Counter extends AutoCloseable {
    void increment(String name) throws Exception;

    long read(String name) throws Exception;
  }

  private static String location(String backend, Path dir, String ns) {
    return switch (backend) {
      case "file" -> dir.resolve("cairn").toString();
      case "redis" -> REDIS + "?namespace=" + ns;
      case "postgresql" -> POSTGRES + "&cairn.namespace=" + ns;
      case "mariadb" -> MARIADB + "&cairn.namespace=" + ns;
      default -> throw new IllegalArgumentException(backend);
    };
  }

  private static Counter counter(String backend, String who, Path dir, String ns) throws Exception {
    if (who.equals("cairn")) {
      DocumentStore store = Cairn.open(location(backend, dir, ns));
      return new Counter() {
        @Override
        public void increment(String name) {
          store.scoped(name, doc -> doc.put("n", doc.path("n").asLong() + 1));
        }

        @Override
        public long read(String name) {
          return store.get(name).map(d -> d.path("n").asLong()).orElse(0L);
        }

        @Override
        public void close() {
          store.close();
        }
      };
    }
    return switch (backend) {
      case "file" -> sqlite(dir);
      case "redis" -> redis(ns);
      default -> sql(backend.equals("postgresql") ? POSTGRES : MARIADB, ns);
    };
  }

  private static Counter sqlite(Path dir) throws Exception {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("peer.db"));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 60000");
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA synchronous = FULL");
      s.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    }
    PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO counters (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1");
    PreparedStatement select = c.prepareStatement("SELECT n FROM counters WHERE name = ?");
    return new Counter() {
      @Override
      public void increment(String name) throws Exception {
        try (Statement s = c.createStatement()) {
          s.execute("BEGIN IMMEDIATE");
          insert.setString(1, name);
          insert.executeUpdate();
          s.execute("COMMIT");
        }
      }

      @Override
      public long read(String name) throws Exception {
        select.setString(1, name);
        try (var rs = select.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0;
        }
      }

      @Override
      public void close() throws Exception {
        c.close();
      }
    };
  }

  private static Counter redis(String ns) {
    Jedis jedis = new Jedis(java.net.URI.create(REDIS));
    return new Counter() {
      @Override
      public void increment(String name) {
        String key = "peer:" + ns + ":" + name;
        while (true) {
          jedis.watch(key);
          String value = jedis.get(key);
          Transaction tx = jedis.multi();
          tx.set(key, Long.toString(value == null ? 1 : Long.parseLong(value) + 1));
          if (tx.exec() != null) {
            return;
          }
        }
      }

      @Override
      public long read(String name) {
        String value = jedis.get("peer:" + ns + ":" + name);
        return value == null ? 0 : Long.parseLong(value);
      }

      @Override
      public void close() {
        jedis.close();
      }
    };
  }

  private static Counter sql(String url, String ns) throws Exception {
    Connection c = DriverManager.getConnection(url);
    String table = "peer_" + ns;
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (name VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL)");
      for (int i = 0; i < 100; i++) {
        s.execute(
            (url.startsWith("jdbc:postgresql")
                    ? "INSERT INTO %s VALUES ('name%d', 0) ON CONFLICT DO NOTHING"
                    : "INSERT IGNORE INTO %s VALUES ('name%d', 0)")
                .formatted(table, i));
      }
    }
    PreparedStatement update =
        c.prepareStatement("UPDATE " + table + " SET n = n + 1 WHERE name = ?");
    PreparedStatement select = c.prepareStatement("SELECT n FROM " + table + " WHERE name = ?");
    return new Counter() {
      @Override
      public void increment(String name) throws Exception {
        update.setString(1, name);
        update.executeUpdate();
      }

      @Override
      public long read(String name) throws Exception {
        select.setString(1, name);
        try (var rs = select.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0;
        }
      }

      @Override
      public void close() throws Exception {
        c.close();
      }
    };
  }

  private static void cleanUp(String backend, String who, Path dir, String ns) throws Exception {
    TempDirs.delete(dir);
    switch (backend) {
      case "redis" -> {
        try (Jedis jedis = new Jedis(java.net.URI.create(REDIS))) {
          for (String pattern : List.of("cairn:" + ns + ":*", "peer:" + ns + ":*")) {
            var keys = jedis.keys(pattern);
            if (!keys.isEmpty()) {
              jedis.del(keys.toArray(String[]::new));
            }
          }
        }
      }
      case "postgresql", "mariadb" -> {
        try (Connection c =
                DriverManager.getConnection(backend.equals("postgresql") ? POSTGRES : MARIADB);
            Statement s = c.createStatement()) {
          s.execute("DROP TABLE IF EXISTS peer_" + ns);
        }
        dev.cairn.jdbc.JdbcBackend.drop(location(backend, dir, ns));
      }
      default -> {}
    }
  }
}
