package dev.cairn.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.Durability;
import dev.cairn.SharedObject;
import dev.cairn.Update;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Latency of a shared object's patch on one machine, with three processes: one that shared the
 * object first (Cairn: the host; Hazelcast: a member), one that patches, one that observes. Cairn
 * and Hazelcast (embedded members, an {@code EntryProcessor} on an {@code IMap} and an entry
 * listener) are measured in the same run.
 *
 * <pre>
 * ./mvnw -q -pl cairn-bench -am package -DskipTests
 * java -cp cairn-bench/target/benchmarks.jar dev.cairn.bench.SharedDriver [--patches 20000]
 * </pre>
 *
 * The patcher sends one patch at a time, {@code $set} of its send time, and measures until it is
 * accepted; the observer measures from that send time until the change reaches it ({@link
 * System#nanoTime()} is one clock for every process of a Linux machine). Patches sent in the first
 * 5 seconds warm up and are not counted (they carry {@code i = -1}).
 */
public final class SharedDriver {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WARMUP_NANOS = 5_000_000_000L;

  private SharedDriver() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args[1], args[2], args[3], Integer.parseInt(args[4]));
      return;
    }
    int patches =
        args.length > 1 && args[0].equals("--patches") ? Integer.parseInt(args[1]) : 20000;
    System.out.printf(
        "%d patches, one at a time; %s, %d cores%n%n",
        patches, System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| system | accepted p50 | accepted p99 | arrived elsewhere p50 | arrived elsewhere p99 |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (String system : List.of("cairn-OS", "cairn-SYNC", "hazelcast")) {
      long[] r = run(system, patches);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.1f µs | %.1f µs | %.1f µs | %.1f µs |%n",
          system,
          r[0] / 1e3,
          r[1] / 1e3,
          r[2] / 1e3,
          r[3] / 1e3);
    }
  }

  private static long[] run(String system, int patches) throws Exception {
    Path dir = Files.createTempDirectory("cairn-shared-");
    List<Process> children = new ArrayList<>();
    try {
      for (String role : List.of("first", "observer", "patcher")) {
        Process p = start(system, role, dir, patches);
        children.add(p);
        expect(p, "ready");
      }
      send(children.get(1), "go");
      expect(children.get(1), "listening");
      send(children.get(2), "go");
      long[] accepted = parse(expect(children.get(2), "accepted"));
      long[] arrived = parse(expect(children.get(1), "arrived"));
      for (Process p : children) {
        send(p, "exit");
      }
      for (Process p : children) {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException(system + " child did not exit");
        }
      }
      return new long[] {accepted[0], accepted[1], arrived[0], arrived[1]};
    } finally {
      children.forEach(Process::destroyForcibly);
      TempDirs.delete(dir);
    }
  }

  private static Process start(String system, String role, Path dir, int patches)
      throws IOException {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            // what Hazelcast asks for to run at its best
            "--add-modules=java.se",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.management/sun.management=ALL-UNNAMED",
            "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            SharedDriver.class.getName(),
            "child",
            system,
            role,
            dir.toString(),
            String.valueOf(patches));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static final Map<Process, BufferedReader> OUT = new java.util.HashMap<>();

  private static String expect(Process p, String prefix) throws IOException {
    BufferedReader r = OUT.computeIfAbsent(p, k -> Children.output(k));
    for (String line; (line = r.readLine()) != null; ) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new IllegalStateException("child ended before '" + prefix + "'");
  }

  private static void send(Process p, String line) throws IOException {
    OutputStream in = p.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private static long[] parse(String line) {
    String[] parts = line.split(" ");
    return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])};
  }

  // ---- in the child processes ----

  /** What a peer must offer: a patch that waits until accepted, and an observer of "t". */
  private interface Shared extends AutoCloseable {
    void setTime(long t, long i) throws Exception;

    /** Calls {@code arrivals} with the send time and number of every patch that arrives. */
    void onTime(Arrivals arrivals);
  }

  private interface Arrivals {
    void arrived(long t, long i);
  }

  private static void child(String system, String role, String dir, int patches) throws Exception {
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in));
    try (Shared shared = system.equals("hazelcast") ? new Hz() : new CairnShared(dir, system)) {
      System.out.println("ready");
      System.out.flush();
      switch (role) {
        case "observer" -> {
          stdin.readLine();
          long[] latencies = new long[patches];
          int[] seen = {0};
          CountDownLatch all = new CountDownLatch(1);
          shared.onTime(
              (t, i) -> {
                long now = System.nanoTime();
                if (i >= 0 && seen[0] < patches) {
                  latencies[seen[0]++] = now - t;
                  if (seen[0] == patches) {
                    all.countDown();
                  }
                }
              });
          System.out.println("listening");
          System.out.flush();
          all.await();
          print("arrived", latencies);
        }
        case "patcher" -> {
          stdin.readLine();
          long warm = System.nanoTime() + WARMUP_NANOS;
          while (System.nanoTime() < warm) {
            shared.setTime(System.nanoTime(), -1);
          }
          long[] latencies = new long[patches];
          for (int i = 0; i < patches; i++) {
            long t = System.nanoTime();
            shared.setTime(t, i);
            latencies[i] = System.nanoTime() - t;
          }
          print("accepted", latencies);
        }
        default -> {}
      }
      stdin.readLine(); // "exit"
    }
    System.exit(0);
  }

  private static void print(String what, long[] latencies) {
    Arrays.sort(latencies);
    System.out.println(
        what
            + " "
            + latencies[latencies.length / 2]
            + " "
            + latencies[(int) (latencies.length * 0.99)]);
    System.out.flush();
  }

  private static final class CairnShared implements Shared {
    private final DocumentStore store;
    private final SharedObject obj;

    CairnShared(String dir, String system) {
      Durability durability = system.endsWith("SYNC") ? Durability.SYNC : Durability.OS;
      store = Cairn.builder(dir).durability(durability).open();
      obj = store.share("bench", "{\"t\":0,\"i\":0}");
    }

    @Override
    public void setTime(long t, long i) throws Exception {
      obj.patch(Update.of().set("t", t).set("i", i)).get();
    }

    @Override
    public void onTime(Arrivals arrivals) {
      obj.observe(
          "",
          (path, value, version) ->
              arrivals.arrived(value.get("t").asLong(), value.get("i").asLong()));
    }

    @Override
    public void close() {
      store.close();
    }
  }

  private static final class Hz implements Shared {
    private final HazelcastInstance member;
    private final IMap<String, String> map;

    Hz() throws InterruptedException {
      Config config = new Config();
      config.setClusterName(
          "cairn-bench-" + ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L));
      config.setProperty("hazelcast.logging.type", "none");
      config.setProperty("hazelcast.phone.home.enabled", "false");
      config.getNetworkConfig().setPort(5801).setPortAutoIncrement(true);
      JoinConfig join = config.getNetworkConfig().getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig()
          .setEnabled(true)
          .addMember("127.0.0.1:5801")
          .addMember("127.0.0.1:5802")
          .addMember("127.0.0.1:5803");
      config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
      member = Hazelcast.newHazelcastInstance(config);
      map = member.getMap("bench");
      map.putIfAbsent("obj", "{\"t\":0,\"i\":0}");
    }

    @Override
    public void setTime(long t, long i) {
      map.executeOnKey("obj", new SetTime(t, i));
    }

    @Override
    public void onTime(Arrivals arrivals) {
      map.addEntryListener(
          (EntryUpdatedListener<String, String>)
              e -> {
                try {
                  JsonNode value = JSON.readTree(e.getValue());
                  arrivals.arrived(value.get("t").asLong(), value.get("i").asLong());
                } catch (IOException ex) {
                  throw new IllegalStateException(ex);
                }
              },
          "obj",
          true);
    }

    @Override
    public void close() {
      member.shutdown();
    }
  }

  /** Applies {@code $set} of t and i to the JSON value where it lives, as a patch would. */
  private record SetTime(long t, long i) implements EntryProcessor<String, String, Long> {
    @Override
    public Long process(Map.Entry<String, String> entry) {
      try {
        ObjectNode value = (ObjectNode) JSON.readTree(entry.getValue());
        value.put("t", t).put("i", i);
        entry.setValue(JSON.writeValueAsString(value));
        return i;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
