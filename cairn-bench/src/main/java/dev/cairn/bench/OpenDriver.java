package dev.cairn.bench;

import dev.cairn.Durability;
import java.io.BufferedReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How a store's size costs a process that opens it: for each size, the store is filled by one
 * process, then a fresh JVM (its classes loaded by opening an empty store first) opens it and reads
 * one document (the time from the open call to that read), measures what the open added to its heap
 * after a full collection (per document), makes 200,000 gets of random documents (their rate, and
 * the resident memory and the live heap after them), beside SQLite (WAL, one table of JSON text)
 * doing the same. Disk bytes per document are those of the directory or database file. With {@code
 * --overwrite}, instead: disk use after every document is overwritten once, and then what
 * compaction costs and leaves.
 *
 * <pre>
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.OpenDriver [--docs 10000,100000,1000000]
 *     [--overwrite]
 * </pre>
 */
public final class OpenDriver {
  private static final int GETS = 200_000;

  private OpenDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("fill")) {
      fill(args[1], Path.of(args[2]), Integer.parseInt(args[3]));
      return;
    }
    if (args.length > 0 && args[0].equals("open")) {
      open(args[1], Path.of(args[2]), Integer.parseInt(args[3]));
      return;
    }
    if (args.length > 0 && args[0].equals("overwrite")) {
      overwrite(args[1], Path.of(args[2]), Integer.parseInt(args[3]));
      return;
    }
    if (args.length > 0 && args[0].equals("compact")) {
      try (Peer peer = Peer.open(args[1], Path.of(args[2]), Durability.OS)) {
        long start = System.nanoTime();
        peer.compact();
        System.out.printf(Locale.ROOT, "%.1f%n", (System.nanoTime() - start) / 1e6);
      }
      return;
    }
    int[] sizes = {10_000, 100_000, 1_000_000};
    boolean overwrites = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--docs") && i + 1 < args.length) {
        sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
      } else if (args[i].equals("--overwrite")) {
        overwrites = true;
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (overwrites) {
      overwriteTable(sizes);
      return;
    }
    System.out.printf(
        "%s, %d cores, default heap settings%n%n",
        System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| documents | system | open to first get, ms | heap after open, B/doc |"
            + " random gets/s | resident after gets, MB | live heap after gets, MB | disk, B/doc |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|");
    for (int n : sizes) {
      for (String who : List.of("cairn", "sqlite")) {
        Path dir = Files.createTempDirectory("cairn-open-");
        try {
          child("fill", who, dir, n).waitFor(60, TimeUnit.MINUTES);
          long disk = diskBytes(dir);
          Process open = child("open", who, dir, n);
          String line;
          try (BufferedReader out = Children.output(open)) {
            line = out.readLine();
          }
          open.waitFor(10, TimeUnit.MINUTES);
          String[] f = line.split(" ");
          System.out.printf(
              Locale.ROOT,
              "| %,d | %s | %.1f | %.0f | %,.0f | %.0f | %.0f | %.0f |%n",
              n,
              who.equals("cairn") ? "Cairn" : "SQLite",
              Double.parseDouble(f[0]),
              Double.parseDouble(f[1]),
              Double.parseDouble(f[2]),
              Double.parseDouble(f[3]),
              Double.parseDouble(f[4]),
              (double) disk / n);
        } finally {
          TempDirs.delete(dir);
        }
      }
    }
  }

  /**
   * Disk use before and after every document is overwritten once, and what compaction then costs
   * and leaves: Cairn keeping each document's newest revision, SQLite running VACUUM.
   */
  private static void overwriteTable(int[] sizes) throws Exception {
    System.out.println(
        "| documents | system | disk, B/doc | after overwriting each once, B/doc |"
            + " compaction, ms | after compaction, B/doc |");
    System.out.println("|---:|---|---:|---:|---:|---:|");
    for (int n : sizes) {
      for (String who : List.of("cairn", "sqlite")) {
        Path dir = Files.createTempDirectory("cairn-open-");
        try {
          child("fill", who, dir, n).waitFor(60, TimeUnit.MINUTES);
          long before = diskBytes(dir);
          child("overwrite", who, dir, n).waitFor(60, TimeUnit.MINUTES);
          long overwritten = diskBytes(dir);
          Process compact = child("compact", who, dir, n);
          String millis;
          try (BufferedReader out = Children.output(compact)) {
            millis = out.readLine();
          }
          compact.waitFor(60, TimeUnit.MINUTES);
          System.out.printf(
              Locale.ROOT,
              "| %,d | %s | %.0f | %.0f | %.0f | %.0f |%n",
              n,
              who.equals("cairn") ? "Cairn" : "SQLite",
              (double) before / n,
              (double) overwritten / n,
              Double.parseDouble(millis),
              (double) diskBytes(dir) / n);
        } finally {
          TempDirs.delete(dir);
        }
      }
    }
  }

  private static void overwrite(String who, Path dir, int n) throws Exception {
    try (Peer peer = Peer.open(who, dir, Durability.OS)) {
      for (int i = 0; i < n; i++) {
        peer.put("doc" + i, doc(i).replace("document", "overwritten document"));
      }
    }
  }

  private static Process child(String role, String who, Path dir, int n) throws Exception {
    return Children.start(OpenDriver.class, role, who, dir.toString(), "" + n);
  }

  private static String doc(int i) {
    return "{\"n\":" + i + ",\"name\":\"document number " + i + "\",\"tags\":[\"a\",\"b\"]}";
  }

  private static void fill(String who, Path dir, int n) throws Exception {
    try (Peer peer = Peer.open(who, dir, Durability.OS)) {
      for (int i = 0; i < n; i++) {
        peer.put("doc" + i, doc(i));
      }
    }
  }

  private static void open(String who, Path dir, int n) throws Exception {
    Path empty = Files.createTempDirectory("cairn-open-warm-");
    try (Peer warm = Peer.open(who, empty, Durability.OS)) { // loads the classes, not timed
      warm.put("doc0", doc(0));
      warm.get("doc0");
    } finally {
      TempDirs.delete(empty);
    }
    System.gc();
    System.gc();
    long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long start = System.nanoTime();
    try (Peer peer = Peer.open(who, dir, Durability.OS)) {
      if (peer.get("doc0") == null) {
        throw new IllegalStateException("doc0 is missing");
      }
      double openMillis = (System.nanoTime() - start) / 1e6;
      System.gc();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() - before;
      Random random = new Random(1);
      long t = System.nanoTime();
      for (int i = 0; i < GETS; i++) {
        if (peer.get("doc" + random.nextInt(n)) == null) {
          throw new IllegalStateException("a document is missing");
        }
      }
      double getsPerSecond = GETS / ((System.nanoTime() - t) / 1e9);
      double resident = residentBytes() / 1e6;
      System.gc();
      long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      System.out.printf(
          Locale.ROOT,
          "%.3f %.1f %.0f %.1f %.1f%n",
          openMillis,
          (double) heap / n,
          getsPerSecond,
          resident,
          live / 1e6);
    }
  }

  private static long residentBytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static long diskBytes(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().endsWith(".shm"))
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (java.io.IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }
}
