package dev.cairn.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.json.Json;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The bytes every write hashes and stores: RFC 8785 (what Cairn writes now) beside the form it
 * wrote before (Jackson's generator, members sorted), on a small document and on one of a thousand
 * decimal numbers, where RFC 8785's shortest-digits rule costs the most.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -jar cairn-bench/target/benchmarks.jar CanonicalJsonBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CanonicalJsonBenchmark {
  @Param({"small", "decimals"})
  public String document;

  private ObjectNode node;

  @Setup
  public void build() {
    if (document.equals("small")) {
      node =
          Json.parseObject(
              "{\"name\":\"alice\",\"email\":\"alice@example.com\",\"visits\":42,"
                  + "\"tags\":[\"a\",\"b\"],\"address\":{\"city\":\"Zürich\",\"zip\":\"8001\"}}");
    } else {
      StringBuilder json = new StringBuilder("{\"readings\":[");
      java.util.Random random = new java.util.Random(1);
      for (int i = 0; i < 1000; i++) {
        json.append(i == 0 ? "" : ",").append(random.nextDouble() * 1000);
      }
      node = Json.parseObject(json.append("]}").toString());
    }
  }

  @Benchmark
  public byte[] rfc8785() {
    return Json.canonical(node);
  }

  @Benchmark
  public byte[] before() {
    return Json.legacyCanonical(node);
  }
}
