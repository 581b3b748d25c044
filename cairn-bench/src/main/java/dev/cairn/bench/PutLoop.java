package dev.cairn.bench;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Upserts in a loop, one thread, timed as a whole: a steadier figure than JMH's iterations for
 * comparing two builds of the write path, run alternately.
 *
 * <pre>
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.PutLoop [--durability OS] [--puts N]
 * </pre>
 *
 * Prints the upserts per second, after 100,000 (or as many as timed, if fewer) not timed.
 */
public final class PutLoop {
  private PutLoop() {}

  public static void main(String[] args) throws Exception {
    Durability durability = Durability.valueOf(arg(args, "--durability", "SYNC"));
    int puts = Integer.parseInt(arg(args, "--puts", "3000"));
    Path dir = Files.createTempDirectory("cairn-putloop-");
    try (DocumentStore s = Cairn.builder(dir.toString()).durability(durability).open()) {
      for (int i = 0; i < Math.min(puts, 100_000); i++) {
        s.upsert("warm" + (i % 1000), Map.of("i", i));
      }
      long start = System.nanoTime();
      for (int i = 0; i < puts; i++) {
        s.upsert("doc" + (i % 1000), Map.of("i", i));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "%.0f upserts/s (%s, %d)%n", puts / seconds, durability, puts);
    } finally {
      TempDirs.delete(dir);
    }
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
