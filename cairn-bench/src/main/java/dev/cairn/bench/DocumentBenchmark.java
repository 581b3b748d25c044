package dev.cairn.bench;

import dev.cairn.Durability;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Single-process figures, Cairn beside SQLite in the same run: get of one document (from Cairn's
 * cache; from SQLite's page cache), and put (upsert) at both durability levels.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -jar cairn-bench/target/benchmarks.jar DocumentBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DocumentBenchmark {
  private static final int KEYS = 1000;

  /** Bodies differ from one put to the next: a store may skip writing bytes that do not change. */
  private static final String[] BODIES = new String[KEYS + 1];

  static {
    for (int i = 0; i < BODIES.length; i++) {
      BODIES[i] =
          "{\"name\":\"alice\",\"email\":\"alice@example.com\",\"visits\":"
              + i
              + ",\"tags\":[\"a\",\"b\"]}";
    }
  }

  @Param({"cairn", "sqlite"})
  public String peer;

  @Param({"SYNC", "OS"})
  public Durability durability;

  private Path dir;
  private Peer store;
  private final String[] keys = new String[KEYS];
  private int next;

  @Setup(Level.Trial)
  public void open() throws Exception {
    dir = Files.createTempDirectory("cairn-bench-");
    store = Peer.open(peer, dir, durability);
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "doc" + i;
      store.put(keys[i], BODIES[i]);
    }
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    store.close();
    TempDirs.delete(dir);
  }

  @Benchmark
  public Object get() throws Exception {
    return store.get(keys[next++ % KEYS]);
  }

  @Benchmark
  public void put() throws Exception {
    int i = next++;
    store.put(keys[i % KEYS], BODIES[i % BODIES.length]);
  }
}
