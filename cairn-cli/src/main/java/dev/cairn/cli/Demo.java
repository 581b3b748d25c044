package dev.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.ConflictException;
import dev.cairn.DocumentStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The first thing a new user runs: several processes update shared documents at once, and the
 * result shows that no update was lost; then two replicas edited apart make a conflict, which is
 * listed and resolved.
 */
@Command(
    name = "demo",
    description = {
      "Show Cairn at work: processes racing on shared documents, then a conflict resolved.",
      "Worker processes update shared counters at once on one store and the result is checked",
      "for lost updates; then two replicas edited apart make a conflict, listed and resolved."
    })
final class Demo implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--workers", defaultValue = "4", description = "Worker processes (default 4).")
  int workers;

  @Option(
      names = "--updates",
      defaultValue = "100",
      description = "Updates each worker makes to each counter (default 100).")
  int updates;

  @Option(names = "--counters", defaultValue = "4", description = "Shared counters (default 4).")
  int counters;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "A new or empty directory for the demo's stores (default: a temporary one).")
  Path dir;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || workers > 64 || updates < 1 || counters < 1 || counters > 100) {
      throw new IllegalArgumentException(
          "--workers must be 1..64, --updates at least 1, --counters 1..100");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path base = prepare();
    Path shared = base.resolve("shared");
    out.printf("Cairn demo: stores under %s%n%n", base);

    try (DocumentStore store = Cairn.open(shared)) {
      for (int c = 0; c < counters; c++) {
        store.create("counter-" + c, Map.of("n", 0));
      }
    }
    out.printf(
        "1. %d worker processes each add 1 to %d shared counters %d times, by strict%n"
            + "   read-modify-write (a stale write is refused and retried), all at once.%n",
        workers, counters, updates);
    out.flush();
    List<Process> processes = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      List<String> command = new ArrayList<>(mainCommand());
      command.addAll(
          List.of(
              "demo-worker",
              "--store",
              shared.toString(),
              "--durability",
              main.durability.name(),
              "--counters",
              "" + counters,
              "--updates",
              "" + updates));
      processes.add(
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }
    List<BufferedReader> outputs = new ArrayList<>();
    for (Process p : processes) {
      BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      if (!"ready".equals(r.readLine())) {
        processes.forEach(Process::destroyForcibly);
        throw new IllegalStateException("a worker failed to start");
      }
      outputs.add(r);
    }
    long started = System.nanoTime(); // all workers have started: time the work alone
    for (Process p : processes) {
      p.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().flush();
    }
    long retried = 0;
    for (int w = 0; w < workers; w++) {
      Process p = processes.get(w);
      String line;
      try (BufferedReader r = outputs.get(w)) {
        line = r.readLine();
      }
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || line == null) {
        processes.forEach(Process::destroyForcibly);
        throw new IllegalStateException("worker " + (w + 1) + " failed: " + line);
      }
      long conflicts = Long.parseLong(line.split(" ")[1]);
      retried += conflicts;
      out.printf("   worker %d (pid %d): done, %d conflicts retried%n", w + 1, p.pid(), conflicts);
    }
    double seconds = (System.nanoTime() - started) / 1e9;

    long expected = (long) workers * updates;
    boolean allExact = true;
    try (DocumentStore store = Cairn.open(shared)) {
      StringBuilder values = new StringBuilder();
      for (int c = 0; c < counters; c++) {
        long n = store.get("counter-" + c).orElseThrow().get("n").asLong();
        allExact &= n == expected;
        values.append(c == 0 ? "" : ", ").append(n);
      }
      out.printf(
          "   counters: [%s]; expected %d each: %s%n",
          values, expected, allExact ? "no update lost." : "UPDATES LOST");
    }
    long total = expected * counters;
    out.printf(
        "   %d durable updates (%s) in %.2f s across %d processes: %.0f updates/s,"
            + " %d conflicts retried.%n%n",
        total, main.durability, seconds, workers, total / seconds, retried);

    conflictDemo(out, base);
    return allExact ? Main.OK : Main.UNEXPECTED;
  }

  private void conflictDemo(PrintWriter out, Path base) {
    out.println("2. Two replicas of one document, edited apart, then synchronised.");
    try (DocumentStore a = Cairn.open(base.resolve("replica-a"));
        DocumentStore b = Cairn.open(base.resolve("replica-b"))) {
      String rev = a.create("profile", Map.of("colour", "green"));
      DocumentStore.sync(a, b);
      a.update("profile", rev, Map.of("colour", "red"));
      b.update("profile", rev, Map.of("colour", "blue"));
      out.println("   replica A sets colour=red, replica B sets colour=blue, both from " + rev);
      DocumentStore.sync(a, b);
      ObjectNode winnerA = a.get("profile").orElseThrow();
      ObjectNode winnerB = b.get("profile").orElseThrow();
      out.printf("   after sync, A reads %s%n", winnerA);
      out.printf("   after sync, B reads %s (the same winner, chosen alike)%n", winnerB);
      List<String> conflicts = a.conflicts("profile");
      out.printf("   the other edit is kept and listed as a conflict: %s%n", conflicts);
      String keep = conflicts.get(0);
      a.resolve("profile", keep);
      DocumentStore.sync(a, b);
      out.printf(
          "   A resolves by keeping %s; after sync B reads %s, conflicts: %s%n",
          keep, b.get("profile").orElseThrow(), b.conflicts("profile"));
    }
  }

  private Path prepare() throws IOException {
    if (dir == null) {
      return Files.createTempDirectory("cairn-demo-");
    }
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        if (files.findAny().isPresent()) {
          throw new IllegalArgumentException("--dir " + dir + " is not empty");
        }
      }
    }
    return Files.createDirectories(dir);
  }

  /** How to run {@link Main} again as this JVM runs it: from the module path, or the class path. */
  private static List<String> mainCommand() {
    Module module = Main.class.getModule();
    String modulePath = System.getProperty("jdk.module.path");
    if (module.isNamed() && modulePath != null) {
      return List.of(
          javaCommand(),
          "--module-path",
          modulePath,
          "-m",
          module.getName() + "/" + Main.class.getName());
    }
    return List.of(
        javaCommand(), "-cp", System.getProperty("java.class.path"), Main.class.getName());
  }

  private static String javaCommand() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** One demo worker process: strict read-modify-write increments with retry. */
  @Command(name = "demo-worker", hidden = true)
  static final class Worker implements Callable<Integer> {
    @ParentCommand Main main;

    @Option(names = "--counters", required = true)
    int counters;

    @Option(names = "--updates", required = true)
    int updates;

    @Override
    public Integer call() throws java.io.IOException {
      long conflicts = 0;
      try (DocumentStore store = main.open()) {
        System.out.println("ready");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
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
      }
      System.out.println("done " + conflicts);
      return Main.OK;
    }
  }
}
