package dev.cairn.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Cairn's background threads: named, and daemons, so that they never keep a JVM alive. */
public final class Threads {
  private Threads() {}

  /** A daemon thread, not started. */
  public static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  /** Daemon threads made as tasks need them and ended after a minute idle. */
  public static ExecutorService pool(String name) {
    return Executors.newCachedThreadPool(r -> daemon(name, r));
  }

  /** One daemon thread running tasks in the order they are given. */
  public static ExecutorService serial(String name) {
    return Executors.newSingleThreadExecutor(r -> daemon(name, r));
  }
}
