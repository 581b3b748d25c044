package dev.cairn.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.oplog.OplogClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Oplog clients on a store directory ({@code OS} durability): pushes and reads per second, and what
 * a first read costs as a log grows, with and without pruning.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -jar cairn-bench/target/benchmarks.jar OplogBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s
 * </pre>
 */
public class OplogBenchmark {

  private static OplogClient client(Path dir, int pruneAfter) {
    return OplogClient.builder()
        .channel("core", dir.toString())
        .durability(Durability.OS)
        .pruneAfter(pruneAfter)
        .syncInterval(Duration.ofMillis(100))
        .open();
  }

  /** A client pushing to and reading one counter. */
  @State(Scope.Thread)
  public static class Pushing {
    @Param({"0", "100"})
    int pruneAfter;

    Path dir;
    OplogClient client;

    @Setup(Level.Trial)
    public void open() throws Exception {
      dir = Files.createTempDirectory("cairn-oplog-bench-");
      client = client(dir, pruneAfter);
      client.push("core", "counter", "n", 1);
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
      client.close();
      TempDirs.delete(dir);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public JsonNode push(Pushing s) {
    return s.client.push("core", "counter", "n", 1);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public JsonNode get(Pushing s) {
    return s.client.get("core", "counter", "n");
  }

  /** A log of {@code operations} counter operations, pruned and compacted or not. */
  @State(Scope.Thread)
  public static class History {
    @Param({"1000", "10000"})
    int operations;

    @Param({"false", "true"})
    boolean pruned;

    Path dir;

    @Setup(Level.Trial)
    public void fill() throws Exception {
      dir = Files.createTempDirectory("cairn-oplog-history-");
      try (OplogClient writer = client(dir, 0)) {
        for (int i = 0; i < operations; i++) {
          writer.push("core", "counter", "n", 1);
        }
      }
      if (pruned) {
        try (OplogClient pruner = client(dir, 1)) {
          pruner.sync();
        }
        try (DocumentStore store = Cairn.open(dir)) {
          store.compact(1);
        }
      }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
      TempDirs.delete(dir);
    }
  }

  /** A new client's first read: the store's log read and reduced. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public JsonNode firstGet(History h) {
    try (OplogClient reader = client(h.dir, 0)) {
      JsonNode value = reader.get("core", "counter", "n");
      if (value.asLong() != h.operations) {
        throw new IllegalStateException("read " + value + ", expected " + h.operations);
      }
      return value;
    }
  }
}
