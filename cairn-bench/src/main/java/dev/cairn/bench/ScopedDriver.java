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

/**
 * Scoped increments per second on every backend, on one hot name and on 100 names, from 1, 4 and 8
 * processes (one thread each), beside what a user would write by hand for the same server, in the
 * same run and interleaved, each measured once its JIT is quiet: SQLite {@code BEGIN IMMEDIATE} for
 * the directory; on Redis a Lua script doing the JSON read-modify-write in one round trip, and
 * {@code INCR}; on PostgreSQL and MariaDB a JSON read-modify-write in a transaction ({@code SELECT
 * ... FOR UPDATE}, then {@code UPDATE}), and {@code UPDATE ... SET n = n + 1}. Every run checks its
 * final counts against the increments acknowledged.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.ScopedDriver \
 *     [--seconds 3] [--repeat 2] [--processes 1,4,8] [--backends file,redis,postgresql,mariadb]
 * </pre>
 */
public final class ScopedDriver {
  private static final String REDIS = "redis://127.0.0.1:6379/0";
  private static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  private static final String MARIADB = "jdbc:mariadb://127.0.0.1:3306/test?user=root";

  // Warm-up runs until the JIT spent at most QUIET_COMPILE_MILLIS compiling in each of
  // QUIET_WINDOWS windows in a row: with several JVMs on two cores, C2 is still busy 20 s in,
  // and a fixed warm-up of 2 s measured the compiler more than the store.
  private static final long WARMUP_MIN_NANOS = 2_000_000_000L;
  private static final long WARMUP_MAX_NANOS = 60_000_000_000L;
  private static final long WARMUP_WINDOW_NANOS = 1_000_000_000L;
  private static final long QUIET_COMPILE_MILLIS = 10;
  private static final int QUIET_WINDOWS = 2;

  private ScopedDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int seconds = 3;
    int repeat = 2;
    List<Integer> processCounts = List.of(1, 4, 8);
    List<String> backends = List.of("file", "redis", "postgresql", "mariadb");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--repeat" -> repeat = Integer.parseInt(args[i + 1]);
        case "--processes" ->
            processCounts =
                java.util.Arrays.stream(args[i + 1].split(",")).map(Integer::valueOf).toList();
        case "--backends" -> backends = List.of(args[i + 1].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf(
        "%d s per run after a warm-up until the JIT is quiet, %d runs of each, interleaved; one thread per process,"
            + " %s, %d cores%n%n",
        seconds,
        repeat,
        System.getProperty("java.vm.version"),
        Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| backend | names | processes | Cairn scoped ops/s | peer | peer ops/s | Cairn / peer"
            + " (range) |");
    System.out.println("|---|---:|---:|---:|---|---:|---:|");
    for (String backend : backends) {
      List<String> peers = peers(backend);
      for (int names : new int[] {1, 100}) {
        for (int processes : processCounts) {
          double[] cairn = new double[repeat];
          double[][] peer = new double[peers.size()][repeat];
          for (int r = 0; r < repeat; r++) { // interleaved, so drift on the machine hits all alike
            cairn[r] = run(backend, "cairn", names, processes, seconds);
            for (int p = 0; p < peers.size(); p++) {
              peer[p][r] = run(backend, "" + p, names, processes, seconds);
            }
          }
          for (int p = 0; p < peers.size(); p++) {
            double[] ratios = new double[repeat];
            for (int r = 0; r < repeat; r++) {
              ratios[r] = cairn[r] / peer[p][r];
            }
            System.out.printf(
                Locale.ROOT,
                "| %s | %d | %d | %,.0f | %s | %,.0f | %.2f (%.2f–%.2f) |%n",
                backend,
                names,
                processes,
                median(cairn),
                peers.get(p),
                median(peer[p]),
                median(ratios),
                java.util.Arrays.stream(ratios).min().orElseThrow(),
                java.util.Arrays.stream(ratios).max().orElseThrow());
          }
          System.out.flush();
        }
      }
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** What a user would write by hand on each server, by index ("0", "1"). */
  private static List<String> peers(String backend) {
    return switch (backend) {
      case "file" -> List.of("SQLite BEGIN IMMEDIATE");
      case "redis" -> List.of("Lua JSON read-modify-write", "INCR");
      default -> List.of("JSON read-modify-write, SELECT FOR UPDATE", "UPDATE n = n + 1");
    };
  }

  /** One run: fresh data, {@code processes} children started together, their counts summed. */
  private static double run(String backend, String who, int names, int processes, int seconds)
      throws Exception {
    Path dir = Files.createTempDirectory("cairn-scoped-");
    String ns = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try {
      if (backend.equals("file") && !who.equals("cairn")) {
        sqlite(dir).close(); // WAL and the table, once: children switching to WAL at once collide
      }
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
      go(children);
      long ops = 0;
      long warmups = 0;
      double elapsed = 0;
      double warmSeconds = 0;
      long compileMillis = 0;
      for (int i = 0; i < children.size(); i++) {
        String[] warm = outs.get(i).readLine().split(" ");
        warmups += Long.parseLong(warm[1]);
        warmSeconds = Math.max(warmSeconds, Double.parseDouble(warm[2]));
      }
      go(children); // every child measures at once, none still warming up beside it
      for (int i = 0; i < children.size(); i++) {
        String[] done = outs.get(i).readLine().split(" ");
        ops += Long.parseLong(done[1]);
        elapsed = Math.max(elapsed, Double.parseDouble(done[2]));
        compileMillis += Long.parseLong(done[3]);
        children.get(i).waitFor(60, TimeUnit.SECONDS);
      }
      System.err.printf(
          Locale.ROOT,
          "%s %s names=%d processes=%d: warm-up %.1f s, JIT %d ms during the run, %,.0f ops/s%n",
          backend,
          who,
          names,
          processes,
          warmSeconds,
          compileMillis,
          ops / elapsed);
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

  private static void go(List<Process> children) throws java.io.IOException {
    for (Process c : children) {
      OutputStream in = c.getOutputStream();
      in.write("go\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
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
      BufferedReader parent =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      parent.readLine();
      java.util.Random random = new java.util.Random();
      var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
      long warm = System.nanoTime();
      long window = warm;
      long compiledAtWindow = jit.getTotalCompilationTime();
      long warmups = 0;
      int quietWindows = 0;
      while (true) { // not counted: until the JIT is quiet, so the run measures compiled code
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        warmups++;
        long now = System.nanoTime();
        if (now - window >= WARMUP_WINDOW_NANOS) {
          long compiled = jit.getTotalCompilationTime();
          quietWindows = compiled - compiledAtWindow <= QUIET_COMPILE_MILLIS ? quietWindows + 1 : 0;
          if (now - warm >= WARMUP_MAX_NANOS
              || (quietWindows >= QUIET_WINDOWS && now - warm >= WARMUP_MIN_NANOS)) {
            break;
          }
          window = now;
          compiledAtWindow = compiled;
        }
      }
      System.out.println("warm " + warmups + " " + (System.nanoTime() - warm) / 1e9);
      System.out.flush();
      parent.readLine();
      long compiledBefore = jit.getTotalCompilationTime();
      long start = System.nanoTime();
      long n = 0;
      while (System.nanoTime() - start < nanos) {
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        n++;
      }
      System.out.println(
          "done "
              + n
              + " "
              + (System.nanoTime() - start) / 1e9
              + " "
              + (jit.getTotalCompilationTime() - compiledBefore));
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
    boolean json = who.equals("0");
    return switch (backend) {
      case "file" -> sqlite(dir);
      case "redis" -> json ? redisLua(ns) : redisIncr(ns);
      default -> sql(backend.equals("postgresql") ? POSTGRES : MARIADB, ns, json);
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

  /** The read-modify-write of a JSON value in one round trip, as a Redis user would write it. */
  private static final String LUA_INCREMENT =
      "local v = redis.call('GET', KEYS[1])\n"
          + "local doc = v and cjson.decode(v) or {}\n"
          + "doc.n = (doc.n or 0) + 1\n"
          + "redis.call('SET', KEYS[1], cjson.encode(doc))\n"
          + "return doc.n";

  private static Counter redisLua(String ns) {
    Jedis jedis = new Jedis(java.net.URI.create(REDIS));
    String sha = jedis.scriptLoad(LUA_INCREMENT);
    return new Counter() {
      @Override
      public void increment(String name) {
        jedis.evalsha(sha, 1, "peer:" + ns + ":" + name);
      }

      @Override
      public long read(String name) throws Exception {
        String value = jedis.get("peer:" + ns + ":" + name);
        return value == null ? 0 : dev.cairn.json.Json.MAPPER.readTree(value).path("n").asLong();
      }

      @Override
      public void close() {
        jedis.close();
      }
    };
  }

  private static Counter redisIncr(String ns) {
    Jedis jedis = new Jedis(java.net.URI.create(REDIS));
    return new Counter() {
      @Override
      public void increment(String name) {
        jedis.incr("peer:" + ns + ":" + name);
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

  /**
   * A counter row per name, with {@code n} for {@code n = n + 1} and {@code doc} for the JSON
   * read-modify-write: read the row {@code FOR UPDATE}, change the JSON in Java, write it back,
   * commit.
   */
  private static Counter sql(String url, String ns, boolean json) throws Exception {
    Connection c = DriverManager.getConnection(url);
    boolean postgres = url.startsWith("jdbc:postgresql");
    String table = "peer_" + ns;
    try (Statement s = c.createStatement()) {
      String create =
          "CREATE TABLE IF NOT EXISTS %s (name VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL, doc %s NOT NULL)"
              .formatted(table, postgres ? "JSONB" : "LONGTEXT");
      try {
        s.execute(create);
      } catch (java.sql.SQLException e) {
        s.execute(create); // PostgreSQL: another child created it at the same moment
      }
      for (int i = 0; i < 100; i++) {
        s.execute(
            (postgres
                    ? "INSERT INTO %s VALUES ('name%d', 0, '{\"n\":0}') ON CONFLICT DO NOTHING"
                    : "INSERT IGNORE INTO %s VALUES ('name%d', 0, '{\"n\":0}')")
                .formatted(table, i));
      }
    }
    PreparedStatement add = c.prepareStatement("UPDATE " + table + " SET n = n + 1 WHERE name = ?");
    PreparedStatement lock =
        c.prepareStatement("SELECT doc FROM " + table + " WHERE name = ? FOR UPDATE");
    PreparedStatement write =
        c.prepareStatement(
            "UPDATE " + table + " SET doc = " + (postgres ? "?::jsonb" : "?") + " WHERE name = ?");
    PreparedStatement select =
        c.prepareStatement("SELECT " + (json ? "doc" : "n") + " FROM " + table + " WHERE name = ?");
    if (json) {
      c.setAutoCommit(false);
    }
    return new Counter() {
      @Override
      public void increment(String name) throws Exception {
        if (!json) {
          add.setString(1, name);
          add.executeUpdate();
          return;
        }
        lock.setString(1, name);
        com.fasterxml.jackson.databind.node.ObjectNode doc;
        try (var rs = lock.executeQuery()) {
          rs.next();
          doc = dev.cairn.json.Json.parseObject(rs.getString(1));
        }
        doc.put("n", doc.path("n").asLong() + 1);
        write.setString(1, dev.cairn.json.Json.write(doc));
        write.setString(2, name);
        write.executeUpdate();
        c.commit();
      }

      @Override
      public long read(String name) throws Exception {
        select.setString(1, name);
        try (var rs = select.executeQuery()) {
          if (!rs.next()) {
            return 0;
          }
          return json
              ? dev.cairn.json.Json.parseObject(rs.getString(1)).path("n").asLong()
              : rs.getLong(1);
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
