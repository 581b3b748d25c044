package dev.cairn.spi;

import dev.cairn.Subscription;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The callbacks registered through {@link Backend#watch}, for backends to keep and call. A callback
 * that throws is logged and the others still run.
 */
public final class Watchers {
  private static final System.Logger LOG = System.getLogger(Watchers.class.getName());

  private final List<Runnable> callbacks = new CopyOnWriteArrayList<>();
  private final List<FeedStatus> statuses = new CopyOnWriteArrayList<>();
  private volatile boolean lost;

  /** Registers a callback; closing the result removes it. */
  public Subscription add(Runnable callback) {
    return add(callback, FeedStatus.NONE);
  }

  /** Registers a callback and who to tell of the feed's connection; closing removes both. */
  public Subscription add(Runnable callback, FeedStatus status) {
    callbacks.add(callback);
    statuses.add(status);
    return () -> {
      callbacks.remove(callback);
      statuses.remove(status);
    };
  }

  public boolean isEmpty() {
    return callbacks.isEmpty();
  }

  public void clear() {
    callbacks.clear();
    statuses.clear();
  }

  /** Calls every callback. */
  public void fire() {
    for (Runnable callback : callbacks) {
      try {
        callback.run();
      } catch (RuntimeException e) {
        warn(e);
      }
    }
  }

  /** The feed lost its connection: tells every status listener, once per outage. */
  public void lost(Exception cause) {
    if (lost) {
      return;
    }
    lost = true;
    for (FeedStatus status : statuses) {
      try {
        status.lost(cause);
      } catch (RuntimeException e) {
        warn(e);
      }
    }
  }

  /** The feed is connected: after an outage, tells every status listener. */
  public void restored() {
    if (!lost) {
      return;
    }
    lost = false;
    for (FeedStatus status : statuses) {
      try {
        status.restored();
      } catch (RuntimeException e) {
        warn(e);
      }
    }
  }

  private static void warn(RuntimeException e) {
    LOG.log(System.Logger.Level.WARNING, "change watcher failed", e);
  }
}
