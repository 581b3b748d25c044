package dev.cairn.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.SharedObject;
import dev.cairn.oplog.Reducers;
import dev.cairn.oplog.StoredChannels;
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
 * The first thing a new user runs: the four things Cairn does, each with real processes. Worker
 * processes update shared documents at once and no update is lost, then run {@code scoped}
 * increments; two replicas edited apart make a conflict, listed and resolved; processes patch a
 * shared object while its host is killed, and no accepted patch is lost; an oplog channel over two
 * stores is written while one of them is offline, and reconciled.
 */
@Command(
    name = "demo",
    description = {
      "Show Cairn at work, with real processes: documents updated by racing processes with no"
          + " update lost, scoped(name, fn) increments, a conflict between replicas resolved, a"
          + " shared object whose host is killed mid-stream, and an oplog channel with a store"
          + " offline, then reconciled. Prints the figures; about 15 s on two cores."
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

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || workers > 64 || updates < 1 || counters < 1 || counters > 100) {
      throw new IllegalArgumentException(
          "--workers must be 1..64, --updates at least 1, --counters 1..100");
    }
    out = spec.commandLine().getOut();
    Path base = prepare();
    out.printf("Cairn demo: stores under %s%n%n", base);
    long started = System.nanoTime();
    boolean exact = documents(base.resolve("shared"));
    conflict(base);
    exact &= sharedObject(base.resolve("objects"));
    exact &= oplog(base.resolve("server"), base.resolve("laptop"));
    out.printf(
        "%s in %.1f s.%n",
        exact ? "Every figure is exact" : "SOMETHING WAS LOST",
        (System.nanoTime() - started) / 1e9);
    return exact ? Main.OK : Main.UNEXPECTED;
  }

  /** Steps 1 and 2: documents, then {@code scoped}, by the same worker processes. */
  private boolean documents(Path shared) throws Exception {
    try (DocumentStore store = Cairn.open(shared)) {
      for (int c = 0; c < counters; c++) {
        store.create("counter-" + c, Map.of("n", 0));
      }
    }
    out.printf(
        "1. Documents. %d worker processes each add 1 to %d shared counters %d times, by strict%n"
            + "   read-modify-write (a stale write is refused and retried), all at once.%n",
        workers, counters, updates);
    out.flush();
    List<Child> children = new ArrayList<>();
    try {
      for (int w = 0; w < workers; w++) {
        children.add(
            Child.start(
                "demo-worker",
                "--store",
                shared.toString(),
                "--durability",
                main.durability.name(),
                "--counters",
                "" + counters,
                "--updates",
                "" + updates));
      }
      for (Child c : children) {
        c.expect("ready");
      }
      long started = System.nanoTime(); // all workers have started: time the work alone
      children.forEach(c -> c.send("go"));
      long retried = 0;
      for (int w = 0; w < workers; w++) {
        long conflicts = Long.parseLong(children.get(w).expect("done ").substring(5));
        retried += conflicts;
        out.printf(
            "   worker %d (pid %d): done, %d conflicts retried%n",
            w + 1, children.get(w).process.pid(), conflicts);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long expected = (long) workers * updates;
      boolean exact = true;
      try (DocumentStore store = Cairn.open(shared)) {
        StringBuilder values = new StringBuilder();
        for (int c = 0; c < counters; c++) {
          long n = store.get("counter-" + c).orElseThrow().get("n").asLong();
          exact &= n == expected;
          values.append(c == 0 ? "" : ", ").append(n);
        }
        out.printf(
            "   counters: [%s]; expected %d each: %s%n",
            values, expected, exact ? "no update lost." : "UPDATES LOST");
      }
      long total = expected * counters;
      out.printf(
          "   %d durable updates (%s) in %.2f s across %d processes: %.0f updates/s,"
              + " %d conflicts retried.%n%n",
          total, main.durability, seconds, workers, total / seconds, retried);

      out.printf(
          "2. scoped(name, fn). The same processes each add 1 to the named value \"visits\""
              + " %d times:%n   the function re-runs when another process wrote first.%n",
          updates);
      out.flush();
      started = System.nanoTime();
      children.forEach(c -> c.send("go"));
      long reruns = 0;
      for (Child c : children) {
        reruns += Long.parseLong(c.expect("scoped ").substring(7));
        c.exit();
      }
      seconds = (System.nanoTime() - started) / 1e9;
      try (DocumentStore store = Cairn.open(shared)) {
        long visits = store.get("visits").orElseThrow().get("n").asLong();
        boolean visitsExact = visits == expected;
        out.printf(
            "   visits: %d; expected %d: %s %d re-runs, %.2f s.%n%n",
            visits, expected, visitsExact ? "no update lost;" : "UPDATES LOST;", reruns, seconds);
        return exact && visitsExact;
      }
    } finally {
      children.forEach(Child::kill);
    }
  }

  /** Step 3: a conflict between two replicas, listed and resolved. */
  private void conflict(Path base) {
    out.println("3. Conflicts. Two replicas of one document, edited apart, then synchronised.");
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
          "   A resolves by keeping %s; after sync B reads %s, conflicts: %s%n%n",
          keep, b.get("profile").orElseThrow(), b.conflicts("profile"));
    }
  }

  /**
   * Step 4: processes patch one shared object; its host is killed with SIGKILL mid-stream; another
   * takes over and every accepted patch is there.
   */
  private boolean sharedObject(Path store) throws Exception {
    int sharers = Math.max(2, Math.min(workers, 3));
    int patches = 200;
    Cairn.open(store).close();
    out.printf(
        "4. Shared objects. %d processes each patch {\"$inc\": {\"n\": 1}} %d times into one"
            + " live object;%n   one of them is its host, ordering the patches: it is killed"
            + " (SIGKILL) mid-stream.%n",
        sharers, patches);
    out.flush();
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < sharers; i++) {
        List<String> args =
            new ArrayList<>(
                List.of(
                    "demo-sharer",
                    "--store",
                    store.toString(),
                    "--durability",
                    main.durability.name(),
                    "--patches",
                    "" + patches));
        if (i == 0) {
          args.add("--await-host"); // started first, it hosts the object: the others then join
        }
        children.add(Child.start(args.toArray(String[]::new)));
        if (i == 0 && !children.get(0).expect("ready ").equals("ready true")) {
          throw new IllegalStateException(
              "the first demo process did not become the shared object's host within 10 s");
        }
      }
      Child host = children.get(0);
      for (Child c : children.subList(1, sharers)) {
        c.expect("ready ");
      }
      children.forEach(c -> c.send("go"));
      host.expect("acked " + patches / 3);
      host.process.toHandle().destroyForcibly(); // SIGKILL; unlike Process's, keeps its output
      long hostAcked = host.lastCount("acked "); // what it printed before it died
      out.printf(
          "   host (pid %d) killed after %d of its patches were accepted%n",
          host.process.pid(), hostAcked);
      long expected = hostAcked;
      for (Child c : children) {
        if (c != host) {
          c.expect("done ");
          expected += patches;
          out.printf(
              "   process %d: all %d of its patches accepted, through the new host%n",
              c.process.pid(), patches);
          c.exit();
        }
      }
      try (DocumentStore s = Cairn.open(store);
          SharedObject board = s.share("board")) {
        long n = board.get("n").asLong();
        // the killed host's patch in flight when it died may have been written, or not
        boolean exact = n == expected || n == expected + 1;
        out.printf(
            "   n = %d; accepted patches: %d: %s%n%n",
            n,
            expected,
            exact
                ? "every accepted patch is there" + (n > expected ? " (and the one in flight)" : "")
                : "PATCHES LOST");
        return exact;
      }
    } finally {
      children.forEach(Child::kill);
    }
  }

  /**
   * Step 5: an oplog channel kept in two stores; while the laptop's store is offline, writers reach
   * only one store each; a client of both reconciles them.
   */
  private boolean oplog(Path server, Path laptop) throws Exception {
    out.println(
        "5. Oplog channels. A channel kept in two stores, a server's and a laptop's; each write"
            + " is a process:");
    List<String> offline =
        cairnAll(
            "oplog --in " + laptop + " push demo counter visits 2",
            "oplog --in " + server + " push demo counter visits 3");
    out.printf(
        "   the laptop is offline: a process there pushes 2 (the laptop's store reads %s), one on"
            + " the server pushes 3 (the server's reads %s)%n",
        offline.get(0), offline.get(1));
    String reconnected =
        cairn("oplog --in " + server + " --in " + laptop + " push demo counter visits 1");
    out.printf(
        "   back online, a process of both stores pushes 1 and reconciles them: visits = %s%n",
        reconnected);
    long[] alone = new long[2];
    int i = 0;
    for (Path store : List.of(server, laptop)) {
      try (StoredChannels channels = StoredChannels.open(store.toString())) {
        alone[i++] =
            channels
                .read("demo", "counter", "visits")
                .value(Reducers.builtIn("counter").orElseThrow())
                .asLong();
      }
    }
    boolean exact = alone[0] == 6 && alone[1] == 6 && reconnected.equals("6");
    out.printf(
        "   read alone, the server's store says %d, the laptop's %d: %s%n%n",
        alone[0], alone[1], exact ? "both hold every operation." : "OPERATIONS LOST");
    return exact;
  }

  /** Runs {@code cairn ARGS} (split on spaces) and returns what it printed, which must be 0. */
  private String cairn(String args) throws Exception {
    return cairnAll(args).get(0);
  }

  /** Runs several {@code cairn} commands at once and returns what each printed. */
  private List<String> cairnAll(String... commands) throws Exception {
    List<Child> children = new ArrayList<>();
    try {
      for (String c : commands) {
        children.add(Child.start(c.split(" ")));
      }
      List<String> printed = new ArrayList<>();
      for (Child c : children) {
        printed.add(c.exit().strip());
      }
      return printed;
    } finally {
      children.forEach(Child::kill);
    }
  }

  /** A process of this command line, run again, and what it prints. */
  private static final class Child {
    final Process process;
    private final BufferedReader lines;
    private final List<String> seen = new ArrayList<>();

    private Child(Process process) {
      this.process = process;
      this.lines =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static Child start(String... args) throws IOException {
      List<String> command = new ArrayList<>(mainCommand());
      command.addAll(List.of(args));
      return new Child(
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** Reads lines up to the first that starts with {@code prefix}, and returns it. */
    String expect(String prefix) throws IOException {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        seen.add(line);
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new IllegalStateException(
          "a demo process (pid " + process.pid() + ") ended without printing " + prefix.strip());
    }

    /** The highest number in lines {@code PREFIX N} it printed: reads to the end of its output. */
    long lastCount(String prefix) throws IOException {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        seen.add(line);
      }
      return seen.stream()
          .filter(l -> l.startsWith(prefix))
          .mapToLong(l -> Long.parseLong(l.substring(prefix.length())))
          .max()
          .orElse(0);
    }

    void send(String line) {
      try {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Waits for it to exit with 0, and returns the rest of what it printed. */
    String exit() throws Exception {
      String rest = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
        throw new IllegalStateException(
            "a demo process (pid "
                + process.pid()
                + ") failed: "
                + process.info().commandLine().orElse("?"));
      }
      return rest;
    }

    /** SIGKILL, if it still runs. */
    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
}
