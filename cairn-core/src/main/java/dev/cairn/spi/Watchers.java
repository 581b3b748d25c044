package dev.cairn.spi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The callbacks registered through {@link Backend#watch}, for backends to keep and call. A callback
 * that throws is logged and the others still run.
 */
public final class Watchers {
  private final List<Runnable> callbacks = new CopyOnWriteArrayList<>();

  /** Registers a callback; closing the result removes it. */
  public AutoCloseable add(Runnable callback) {
    callbacks.add(callback);
    return () -> callbacks.remove(callback);
  }

  public boolean isEmpty() {
    return callbacks.isEmpty();
  }

  public void clear() {
    callbacks.clear();
  }

  /** Calls every callback. */
  public void fire() {
    for (Runnable callback : callbacks) {
      try {
        callback.run();
      } catch (RuntimeException e) {
        System.getLogger(Watchers.class.getName())
            .log(System.Logger.Level.WARNING, "change watcher failed", e);
      }
    }
  }
}
