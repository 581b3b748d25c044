package dev.cairn.bench;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.Subscription;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How long after a write in one process a listener in another is told of it: a writer process
 * inserts documents whose id carries its send time ({@link System#nanoTime()} is one clock for
 * every process of a Linux machine), one every 2 ms, and a listener process records when each
 * change reaches it. The first 1,000 writes warm up and are not counted.
 *
 * <pre>
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.NotifyDriver [--writes 6000] [--runs 3]
 * </pre>
 */
public final class NotifyDriver {
  private static final int WARMUP = 1000;

  private NotifyDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("listener")) {
      listener(Path.of(args[1]), Integer.parseInt(args[2]));
      return;
    }
    if (args.length > 0 && args[0].equals("writer")) {
      writer(Path.of(args[1]), Integer.parseInt(args[2]));
      return;
    }
    int writes = 6000;
    int runs = 3;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--writes" -> writes = Integer.parseInt(args[i + 1]);
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf(
        "%d writes per run, one every 2 ms, %s, %d cores%n%n",
        writes, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
    System.out.println("| run | p50 µs | p90 µs | p99 µs | max µs |");
    System.out.println("|---:|---:|---:|---:|---:|");
    for (int run = 1; run <= runs; run++) {
      Path dir = Files.createTempDirectory("cairn-notify-");
      try {
        Process listener = child("listener", dir, writes);
        BufferedReader out = Children.output(listener);
        if (!"ready".equals(out.readLine())) {
          throw new IllegalStateException("the listener did not start");
        }
        Process writer = child("writer", dir, writes);
        writer.getInputStream().transferTo(System.out);
        writer.waitFor(5, TimeUnit.MINUTES);
        System.out.println("| " + run + " " + out.readLine());
        listener.waitFor(1, TimeUnit.MINUTES);
      } finally {
        TempDirs.delete(dir);
      }
    }
  }

  private static Process child(String role, Path dir, int writes) throws Exception {
    return Children.start(NotifyDriver.class, role, dir.toString(), "" + writes);
  }

  private static DocumentStore open(Path dir) {
    return Cairn.builder(dir.resolve("cairn").toString()).durability(Durability.OS).open();
  }

  private static void writer(Path dir, int writes) {
    try (DocumentStore store = open(dir)) {
      for (int i = 0; i < writes; i++) {
        store.create("w" + i + "-" + System.nanoTime(), "{}");
        long next = System.nanoTime() + 2_000_000;
        for (long left; (left = next - System.nanoTime()) > 0; ) {
          LockSupport.parkNanos(left);
        }
      }
    }
  }

  private static void listener(Path dir, int writes) throws Exception {
    long[] latencies = new long[writes - WARMUP];
    CountDownLatch last = new CountDownLatch(1);
    try (DocumentStore store = open(dir);
        Subscription s =
            store.listen(
                change -> {
                  long now = System.nanoTime();
                  String id = change.id();
                  int dash = id.indexOf('-');
                  int i = Integer.parseInt(id.substring(1, dash));
                  if (i >= WARMUP) {
                    latencies[i - WARMUP] = now - Long.parseLong(id.substring(dash + 1));
                  }
                  if (i == writes - 1) {
                    last.countDown();
                  }
                })) {
      System.out.println("ready");
      System.out.flush();
      if (!last.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("not every write arrived");
      }
    }
    Arrays.sort(latencies);
    System.out.printf(
        Locale.ROOT,
        "| %.0f | %.0f | %.0f | %.0f |%n",
        latencies[latencies.length / 2] / 1e3,
        latencies[latencies.length * 9 / 10] / 1e3,
        latencies[latencies.length * 99 / 100] / 1e3,
        latencies[latencies.length - 1] / 1e3);
  }
}
