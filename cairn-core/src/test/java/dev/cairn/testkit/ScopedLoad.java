package dev.cairn.testkit;

import dev.cairn.DocumentStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Scoped increments of one document, as the multi-process and fault tests of every backend run
 * them.
 */
public final class ScopedLoad {
  private ScopedLoad() {}

  /**
   * Starts {@code processes} JVMs on {@code location} that, all at once, add 1 to document {@code
   * name} {@code each} times through {@code scoped}, and returns when they are done.
   */
  public static void inProcesses(String location, String name, int processes, int each)
      throws Exception {
    List<Jvm> workers = new ArrayList<>();
    try {
      for (int p = 0; p < processes; p++) {
        workers.add(Jvm.start(Worker.class, "scoped-increment", location, name, "" + each));
      }
      for (Jvm w : workers) {
        w.await(line -> line.equals("ready"), Duration.ofSeconds(60));
      }
      for (Jvm w : workers) {
        w.send("go");
      }
      for (Jvm w : workers) {
        w.await(line -> line.startsWith("done"), Duration.ofSeconds(300));
      }
    } finally {
      workers.forEach(Jvm::close);
    }
  }

  /** Threads of this JVM adding 1 to document "n" through {@code scoped}, each result kept. */
  public static final class InThreads {
    private final ConcurrentLinkedQueue<Long> results = new ConcurrentLinkedQueue<>();
    private final ExecutorService pool;
    private final List<Future<?>> done = new ArrayList<>();

    public InThreads(DocumentStore store, int threads, int each) {
      pool = Executors.newFixedThreadPool(threads);
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    results.add(
                        store.scoped(
                            "n",
                            doc -> {
                              long next = doc.path("n").asLong() + 1;
                              doc.put("n", next);
                              return next;
                            }));
                  }
                  return null;
                }));
      }
    }

    /** The values the increments returned so far. */
    public ConcurrentLinkedQueue<Long> results() {
      return results;
    }

    /** Waits for every thread; rethrows what failed. */
    public void await() throws Exception {
      for (Future<?> f : done) {
        f.get(3, TimeUnit.MINUTES);
      }
      pool.shutdown();
    }
  }
}
