package dev.cairn.bench;

import dev.cairn.Durability;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Several processes, each with several threads, working on one store at once; Cairn and SQLite
 * measured in the same run, and the ratio printed as a Markdown table.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.MultiProcessDriver \
 *     [--processes 2] [--threads 4] [--seconds 5] [--workloads put,rmw,scoped]
 * </pre>
 *
 * Workloads: {@code put}, upserts of distinct documents; {@code rmw}, read-modify-write increments
 * of one hot document (Cairn: get and strict update, retried on conflict; SQLite: a {@code BEGIN
 * IMMEDIATE} transaction); {@code scoped}, the same increments as Cairn's users write them, with
 * {@code scoped} (SQLite: the same transaction). After each {@code rmw} and {@code scoped} run the
 * hot document's count is checked against the increments the processes reported, so a lost update
 * would fail the run. Each thread works for 2 seconds before it starts counting, so that the
 * figures are of compiled code.
 */
public final class MultiProcessDriver {
  private static final long WARMUP_NANOS = 2_000_000_000L;

  private MultiProcessDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int processes = intArg(args, "--processes", 2);
    int threads = intArg(args, "--threads", 4);
    int seconds = intArg(args, "--seconds", 5);
    List<String> workloads = List.of("put", "rmw", "scoped");
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--workloads")) {
        workloads = List.of(args[i + 1].split(","));
      }
    }
    System.out.printf(
        "%d processes x %d threads, %d s per run, %s, %d cores%n%n",
        processes,
        threads,
        seconds,
        System.getProperty("java.vm.version"),
        Runtime.getRuntime().availableProcessors());
    System.out.println("| workload | durability | Cairn ops/s | SQLite ops/s | Cairn / SQLite |");
    System.out.println("|---|---|---:|---:|---:|");
    for (String workload : workloads) {
      for (Durability durability : Durability.values()) {
        double cairn = run("cairn", workload, durability, processes, threads, seconds);
        double sqlite = run("sqlite", workload, durability, processes, threads, seconds);
        System.out.printf(
            Locale.ROOT,
            "| %s | %s | %,.0f | %,.0f | %.2f |%n",
            workload,
            durability == Durability.SYNC ? "SYNC / FULL" : "OS / NORMAL",
            cairn,
            sqlite,
            cairn / sqlite);
      }
    }
  }

  private static double run(
      String peer, String workload, Durability durability, int processes, int threads, int seconds)
      throws Exception {
    Path dir = Files.createTempDirectory("cairn-mp-");
    try {
      try (Peer setup = Peer.open(peer, dir, durability)) {
        setup.put("hot", "{\"n\":0}");
      }
      List<Process> children = new ArrayList<>();
      for (int p = 0; p < processes; p++) {
        children.add(
            Children.start(
                MultiProcessDriver.class,
                "child",
                peer,
                workload,
                durability.name(),
                dir.toString(),
                "" + threads,
                "" + seconds,
                "p" + p));
      }
      List<BufferedReader> outputs = new ArrayList<>();
      for (Process c : children) {
        BufferedReader out = Children.output(c);
        expect(out, "ready");
        outputs.add(out);
      }
      for (Process c : children) {
        OutputStream in = c.getOutputStream();
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
      long ops = 0;
      long warmups = 0;
      double elapsed = 0;
      for (int i = 0; i < children.size(); i++) {
        String[] done = expect(outputs.get(i), "done").split(" ");
        ops += Long.parseLong(done[1]);
        warmups += Long.parseLong(done[3]);
        elapsed = Math.max(elapsed, Double.parseDouble(done[2]));
        if (!children.get(i).waitFor(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("child did not exit");
        }
      }
      if (!workload.equals("put")) {
        try (Peer check = Peer.open(peer, dir, durability)) {
          long n = check.get("hot").get("n").asLong();
          if (n != ops + warmups) {
            throw new IllegalStateException(
                peer
                    + " lost updates: "
                    + (ops + warmups)
                    + " increments acknowledged, count is "
                    + n);
          }
        }
      }
      return ops / elapsed;
    } finally {
      TempDirs.delete(dir);
    }
  }

  private static String expect(BufferedReader out, String prefix) throws IOException {
    String line = out.readLine();
    if (line == null || !line.startsWith(prefix)) {
      throw new IllegalStateException("child said " + line + ", expected " + prefix);
    }
    return line;
  }

  /** One process: {@code threads} threads doing the workload for {@code seconds} after "go". */
  private static void child(String[] args) throws Exception {
    String peer = args[1];
    String workload = args[2];
    Durability durability = Durability.valueOf(args[3]);
    Path dir = Path.of(args[4]);
    int threads = Integer.parseInt(args[5]);
    long nanos = TimeUnit.SECONDS.toNanos(Integer.parseInt(args[6]));
    String name = args[7];
    List<Peer> peers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      peers.add(Peer.open(peer, dir, durability));
    }
    AtomicLong ops = new AtomicLong();
    AtomicLong warm = new AtomicLong();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    long[] start = new long[1];
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Peer p = peers.get(t);
      String prefix = name + "-t" + t + "-";
      Thread w =
          new Thread(
              () -> {
                try {
                  go.await();
                  long n = 0;
                  long warmups = 0;
                  while (System.nanoTime() - start[0] < WARMUP_NANOS + nanos) {
                    if (workload.equals("put")) {
                      p.put(prefix + (n % 10_000), "{\"n\":" + n + ",\"by\":\"" + prefix + "\"}");
                    } else if (workload.equals("scoped")) {
                      p.scopedIncrement("hot");
                    } else {
                      p.increment("hot");
                    }
                    if (System.nanoTime() - start[0] < WARMUP_NANOS) {
                      warmups++; // the JIT compiles; not counted as throughput
                    } else {
                      n++;
                    }
                  }
                  ops.addAndGet(n);
                  warm.addAndGet(warmups);
                } catch (Exception e) {
                  failures.add(e);
                }
              });
      w.start();
      workers.add(w);
    }
    System.out.println("ready");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    start[0] = System.nanoTime();
    go.countDown();
    for (Thread w : workers) {
      w.join();
    }
    double elapsed = (System.nanoTime() - start[0] - WARMUP_NANOS) / 1e9;
    if (!failures.isEmpty()) {
      failures.get(0).printStackTrace();
      System.out.println("failed " + failures.size() + " threads: " + failures.get(0));
      System.exit(1);
    }
    for (Peer p : peers) {
      p.close();
    }
    System.out.println("done " + ops.get() + " " + elapsed + " " + warm.get());
  }

  private static int intArg(String[] args, String name, int fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }
}
