package dev.cairn.oplog;

import dev.cairn.engine.Backends;
import dev.cairn.engine.Threads;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.Locations;
import dev.cairn.spi.LogEntry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One store of a channel, as a client sees it: opened when first needed and again after it failed,
 * with a thread of its own that keeps it reconciled, so that a store that does not answer holds up
 * nothing but itself.
 */
final class ChannelStore {
  private static final System.Logger LOG = System.getLogger(ChannelStore.class.getName());

  final String channel;
  final String location;

  /** Whether it is on this machine (a directory, memory): written before a push returns. */
  final boolean local;

  private final BackendOptions options;
  private final Semaphore wakeups = new Semaphore(0);
  private Backend backend;
  private long changesSeen = -1; // where the change feed was read to; -1 while not followed
  private volatile RuntimeException failure; // why the last try failed, null after a success
  private volatile boolean closed;

  ChannelStore(String channel, String location, BackendOptions options) {
    this.channel = channel;
    this.location = location;
    this.options = options;
    String scheme = Locations.scheme(location);
    this.local = scheme.equals("file") || scheme.equals("mem");
  }

  /**
   * Starts the store's thread: {@code first} once, then {@code round} whenever the store is woken
   * or {@code interval} has passed, until it is closed.
   */
  void start(Duration interval, Runnable first, Runnable round) {
    Threads.daemon(
            "cairn-oplog-sync " + Locations.redact(location),
            () -> {
              first.run();
              while (!closed) {
                try {
                  wakeups.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
                  wakeups.drainPermits();
                } catch (InterruptedException e) {
                  return;
                }
                if (!closed) {
                  round.run();
                }
              }
            })
        .start();
  }

  /** Makes the store's thread run a round now. */
  void wake() {
    wakeups.release();
  }

  /** The open backend, or null while it cannot be reached (the failure is kept). */
  synchronized Backend backend() {
    if (backend == null && !closed) {
      try {
        backend = Backends.open(location, options);
        backend.watch(this::wake);
      } catch (RuntimeException e) {
        failed(e);
        return null;
      }
    }
    return backend;
  }

  /** Why the last try failed, or null if it succeeded. */
  RuntimeException failure() {
    return failure;
  }

  void answered() {
    failure = null;
  }

  void failed(RuntimeException e) {
    failure = e;
    LOG.log(
        System.Logger.Level.DEBUG, "store " + Locations.redact(location) + " did not answer", e);
  }

  /**
   * Starts reading this store's change feed for new logs of the channel, from now on.
   *
   * @return whether the store could be opened
   */
  synchronized boolean followChanges() {
    Backend b = backend();
    if (changesSeen < 0) {
      try {
        changesSeen = b == null ? 0 : b.lastSequence();
      } catch (RuntimeException e) {
        failed(e);
        changesSeen = 0;
        return false;
      }
    }
    return b != null;
  }

  /**
   * Gives {@code found} the channel's logs that appeared in the change feed since the last call.
   */
  void readChanges(Consumer<OplogKey> found) {
    Backend b;
    long since;
    synchronized (this) {
      since = changesSeen;
      b = since < 0 ? null : backend(); // opens it again if it could not be opened before
    }
    if (since < 0 || b == null) {
      return;
    }
    while (true) {
      List<LogEntry> page = b.changes(since, 1000);
      if (page.isEmpty()) {
        break;
      }
      for (LogEntry e : page) {
        OplogKey.parse(e.key(), channel).ifPresent(found);
      }
      since = page.get(page.size() - 1).seq();
    }
    synchronized (this) {
      changesSeen = since;
    }
  }

  /** Stops the thread and closes the backend; it is not opened again. */
  synchronized void close() {
    closed = true;
    wake();
    if (backend != null) {
      backend.close();
    }
  }
}
