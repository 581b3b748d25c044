package dev.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import dev.cairn.SharedObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The processes {@code cairn demo} starts (hidden commands): each prints {@code ready}, waits for a
 * line on stdin so that all start their work together, and reports on stdout.
 */
final class DemoWorkers {
  private DemoWorkers() {}

  private static final BufferedReader IN =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  /**
   * Documents, then {@code scoped}: strict read-modify-write increments of the counters, retried on
   * conflict ({@code done CONFLICTS}); then, on a second line, {@code scoped} increments of one
   * named value ({@code scoped RERUNS}).
   */
  @Command(name = "demo-worker", hidden = true)
  static final class Worker implements Callable<Integer> {
    @ParentCommand Main main;

    @Option(names = "--counters", required = true)
    int counters;

    @Option(names = "--updates", required = true)
    int updates;

    @Override
    public Integer call() throws IOException {
      try (DocumentStore store = main.open()) {
        say("ready");
        IN.readLine();
        long conflicts = 0;
        for (int i = 0; i < updates; i++) {
          for (int c = 0; c < counters; c++) {
            while (true) {
              ObjectNode doc = store.get("counter-" + c).orElseThrow();
              doc.put("n", doc.get("n").asLong() + 1);
              try {
                store.update(doc);
                break;
              } catch (ConflictException e) {
                conflicts++;
              }
            }
          }
        }
        say("done " + conflicts);
        IN.readLine();
        long[] runs = {0};
        for (int i = 0; i < updates; i++) {
          store.scoped(
              "visits",
              v -> {
                runs[0]++;
                return v.put("n", v.path("n").asLong() + 1);
              });
        }
        say("scoped " + (runs[0] - updates));
      }
      return Main.OK;
    }
  }

  /**
   * A shared object's patcher: opens "board", says whether it is the host ({@code ready HOST}),
   * then patches {@code $inc n} one at a time, waiting for each to be accepted and saying so
   * ({@code acked I}), and ends with {@code done}.
   */
  @Command(name = "demo-sharer", hidden = true)
  static final class Sharer implements Callable<Integer> {
    @ParentCommand Main main;

    @Option(names = "--patches", required = true)
    int patches;

    @Option(names = "--await-host")
    boolean awaitHost;

    @Override
    public Integer call() throws Exception {
      try (DocumentStore store = main.open();
          SharedObject board = store.share("board", Map.of("n", 0))) {
        // the first to open the object becomes its host, within moments
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (awaitHost && !board.isHost() && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        say("ready " + board.isHost());
        IN.readLine();
        for (int i = 1; i <= patches; i++) {
          board.patch("{\"$inc\": {\"n\": 1}}").get(60, TimeUnit.SECONDS);
          say("acked " + i);
        }
        say("done " + board.isHost());
      }
      return Main.OK;
    }
  }
}
