package dev.cairn.testkit;

import dev.cairn.oplog.OplogClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;

/**
 * What the multi-process oplog tests run in other JVMs: {@code COUNT INDEX STORE...}. It pushes
 * COUNT operations to the counter {@code core/counter/hits} (each adding INDEX + 1) and adds {@code
 * p<INDEX>-<n>} to the set {@code core/set/seen}, prints {@code pushed}, then on {@code await TOTAL
 * SIZE} waits until the counter reads TOTAL and the set has SIZE elements, and prints {@code value
 * COUNTER SETSIZE}.
 */
public final class OplogWorker {
  private OplogWorker() {}

  public static void main(String[] args) throws Exception {
    int count = Integer.parseInt(args[0]);
    int index = Integer.parseInt(args[1]);
    String[] stores = java.util.Arrays.copyOfRange(args, 2, args.length);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    try (OplogClient client =
        OplogClient.builder()
            .channel("core", stores)
            .pruneAfter(40)
            .syncInterval(Duration.ofMillis(50))
            .open()) {
      System.out.println("ready");
      System.out.flush();
      in.readLine(); // "go"
      for (int n = 0; n < count; n++) {
        client.push("core", "counter", "hits", index + 1);
        client.push("core", "set", "seen", java.util.Map.of("add", "p" + index + "-" + n));
      }
      System.out.println("pushed");
      System.out.flush();
      String[] await = in.readLine().split(" ");
      long target = Long.parseLong(await[1]);
      int size = Integer.parseInt(await[2]);
      Object changed = new Object();
      client.onChannel(
          "core",
          (c, t, p, v) -> {
            synchronized (changed) {
              changed.notifyAll();
            }
          });
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      synchronized (changed) {
        while ((client.get("core", "counter", "hits").asLong() != target
                || client.get("core", "set", "seen").size() != size)
            && System.nanoTime() < deadline) {
          changed.wait(100);
        }
      }
      System.out.println(
          "value "
              + client.get("core", "counter", "hits").asLong()
              + " "
              + client.get("core", "set", "seen").size());
      System.out.flush();
    }
  }
}
