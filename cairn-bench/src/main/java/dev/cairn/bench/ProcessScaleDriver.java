package dev.cairn.bench;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Many processes of one thread each incrementing JSON counters in one directory: Cairn's {@code
 * scoped} against what a user would write with SQLite (WAL, prepared statements, a {@code BEGIN
 * IMMEDIATE} transaction that reads the JSON document, changes it and writes it back). {@code SYNC}
 * is compared with {@code synchronous=FULL}, {@code OS} with {@code NORMAL}. The two run one after
 * the other, in alternating order, for each setting and each repetition; every run checks its final
 * counts against the increments acknowledged.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.ProcessScaleDriver \
 *     [--processes 1,2,4,8] [--names 1,100] [--durability SYNC,OS] [--seconds 3] [--repeat 3] \
 *     [--warmup MAX_SECONDS, 60]
 * </pre>
 */
public final class ProcessScaleDriver {
  private ProcessScaleDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int[] processes = {1, 2, 4, 8};
    int[] names = {1, 100};
    List<Durability> durabilities = List.of(Durability.SYNC, Durability.OS);
    int seconds = 3;
    int repeat = 3;
    int warmup = -1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--processes" -> processes = ints(args[i + 1]);
        case "--names" -> names = ints(args[i + 1]);
        case "--durability" ->
            durabilities = Arrays.stream(args[i + 1].split(",")).map(Durability::valueOf).toList();
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--repeat" -> repeat = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf(
        "%d s per run, %d runs each, one thread per process, %s, %d cores%n%n",
        seconds,
        repeat,
        System.getProperty("java.vm.version"),
        Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| names | processes | durability | Cairn ops/s, median (min–max) |"
            + " SQLite ops/s, median (min–max) | Cairn / SQLite, median (min–max) |");
    System.out.println("|---:|---:|---|---:|---:|---:|");
    for (int n : names) {
      for (Durability durability : durabilities) {
        for (int p : processes) {
          double[] cairn = new double[repeat];
          double[] sqlite = new double[repeat];
          double[] ratio = new double[repeat];
          for (int r = 0; r < repeat; r++) {
            boolean cairnFirst = r % 2 == 0;
            int warm = warmup >= 0 ? warmup : 60;
            double first = run(cairnFirst ? "cairn" : "sqlite", n, p, durability, warm, seconds);
            double second = run(cairnFirst ? "sqlite" : "cairn", n, p, durability, warm, seconds);
            cairn[r] = cairnFirst ? first : second;
            sqlite[r] = cairnFirst ? second : first;
            ratio[r] = cairn[r] / sqlite[r];
          }
          System.out.printf(
              Locale.ROOT,
              "| %d | %d | %s / %s | %s | %s | %s |%n",
              n,
              p,
              durability,
              durability == Durability.SYNC ? "FULL" : "NORMAL",
              spread(cairn, "%,.0f"),
              spread(sqlite, "%,.0f"),
              spread(ratio, "%.2f"));
        }
      }
    }
  }

  private static int[] ints(String list) {
    return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  static String spread(double[] values, String format) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double median =
        sorted.length % 2 == 1
            ? sorted[sorted.length / 2]
            : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format(Locale.ROOT, format, median)
        + " ("
        + String.format(Locale.ROOT, format, sorted[0])
        + "–"
        + String.format(Locale.ROOT, format, sorted[sorted.length - 1])
        + ")";
  }

  /** One run: fresh data, {@code processes} children started together, their counts summed. */
  private static double run(
      String who, int names, int processes, Durability durability, int warmup, int seconds)
      throws Exception {
    Path dir = Files.createTempDirectory("cairn-scale-");
    try {
      try (Peer setup = Peer.open(who, dir, durability)) {
        for (int i = 0; i < names; i++) {
          setup.put("name" + i, "{\"n\":0}");
        }
      }
      List<Process> children = new ArrayList<>();
      for (int p = 0; p < processes; p++) {
        children.add(
            Children.start(
                ProcessScaleDriver.class,
                "child",
                who,
                "" + names,
                "" + warmup,
                "" + seconds,
                dir.toString(),
                durability.name()));
      }
      List<BufferedReader> outs = Children.awaitReady(children);
      send(children, "go");
      for (BufferedReader out : outs) { // each child warms up until its JIT compiler is done
        expect(out, "settled");
      }
      send(children, "measure"); // all at once, while every child keeps writing
      long ops = 0;
      long unmeasured = 0;
      double elapsed = 0;
      for (int i = 0; i < children.size(); i++) {
        String[] done = outs.get(i).readLine().split(" ");
        ops += Long.parseLong(done[1]);
        elapsed = Math.max(elapsed, Double.parseDouble(done[2]));
        unmeasured += Long.parseLong(done[3]);
        children.get(i).waitFor(60, TimeUnit.SECONDS);
      }
      long counted = 0;
      try (Peer check = Peer.open(who, dir, durability)) {
        for (int i = 0; i < names; i++) {
          counted += check.get("name" + i).path("n").asLong();
        }
      }
      if (counted != ops + unmeasured) {
        throw new IllegalStateException(
            who + " counted " + counted + " of " + (ops + unmeasured) + " increments");
      }
      return ops / elapsed;
    } finally {
      TempDirs.delete(dir);
    }
  }

  private static void child(String[] args) throws Exception {
    String who = args[1];
    int names = Integer.parseInt(args[2]);
    long warmupNanos = TimeUnit.SECONDS.toNanos(Integer.parseInt(args[3]));
    long nanos = TimeUnit.SECONDS.toNanos(Integer.parseInt(args[4]));
    Path dir = Path.of(args[5]);
    Durability durability = Durability.valueOf(args[6]);
    try (Increment counter = increment(who, dir, durability)) {
      System.out.println("ready");
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      expect(in, "go");
      java.util.concurrent.CountDownLatch measure = new java.util.concurrent.CountDownLatch(1);
      Thread listener =
          new Thread(
              () -> {
                try {
                  expect(in, "measure");
                  measure.countDown();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      listener.setDaemon(true);
      listener.start();
      Random random = new Random();
      long start = System.nanoTime();
      long lastCheck = start;
      long lastBackground = backgroundCpuNanos();
      long unmeasured = 0;
      int quiet = 0;
      while (measure.getCount() > 0) { // the JIT compiles: not measured
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        unmeasured++;
        long now = System.nanoTime();
        if (quiet < 2 && now - lastCheck >= 1_000_000_000L) {
          long background = backgroundCpuNanos();
          // settled: the compiler and collector threads used under 5% of a core, twice running
          quiet = background - lastBackground < 50_000_000L ? quiet + 1 : 0;
          lastBackground = background;
          lastCheck = now;
          if (quiet == 2 || now - start >= warmupNanos) {
            quiet = 2;
            System.out.println("settled");
            System.out.flush();
          }
        }
      }
      start = System.nanoTime();
      long n = 0;
      while (System.nanoTime() - start < nanos) {
        counter.increment("name" + (names == 1 ? 0 : random.nextInt(names)));
        n++;
      }
      System.out.println("done " + n + " " + (System.nanoTime() - start) / 1e9 + " " + unmeasured);
    }
  }

  /** CPU time of this process not spent by its Java threads: the JIT compiler and the GC. */
  private static long backgroundCpuNanos() {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long javaThreads = 0;
    for (long id : threads.getAllThreadIds()) {
      javaThreads += Math.max(0, threads.getThreadCpuTime(id));
    }
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os.getProcessCpuTime() - javaThreads;
  }

  private static void send(List<Process> children, String line) throws java.io.IOException {
    for (Process c : children) {
      OutputStream in = c.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }
  }

  private static void expect(BufferedReader in, String line) throws java.io.IOException {
    String got = in.readLine();
    if (!line.equals(got)) {
      throw new IllegalStateException("expected " + line + ", got " + got);
    }
  }

  /** Cairn's {@code scoped}, or the SQLite transaction. */
  private interface Increment extends AutoCloseable {
    void increment(String name) throws Exception;
  }

  private static Increment increment(String who, Path dir, Durability durability) throws Exception {
    if (who.equals("cairn")) {
      DocumentStore store =
          Cairn.builder(dir.resolve("cairn").toString()).durability(durability).open();
      return new Increment() {
        @Override
        public void increment(String name) {
          store.scoped(name, doc -> doc.put("n", doc.path("n").asLong() + 1));
        }

        @Override
        public void close() {
          store.close();
        }
      };
    }
    Peer sqlite = Peer.open("sqlite", dir, durability);
    return new Increment() {
      @Override
      public void increment(String name) throws Exception {
        sqlite.increment(name);
      }

      @Override
      public void close() throws Exception {
        sqlite.close();
      }
    };
  }
}
