package dev.cairn.internal;

import dev.cairn.spi.Backend;
import java.util.concurrent.Semaphore;

/**
 * A thread that runs {@code onChange} after the backend reports appends (and once at the start, for
 * what was appended before the watch began). Reports that come while it runs are coalesced into one
 * more run; a failing run is logged and the next report tries again.
 */
public final class FeedFollower implements AutoCloseable {
  private final Semaphore wakeups = new Semaphore(0);
  private final AutoCloseable watch;
  private final Runnable onChange;
  private final String failure;
  private volatile boolean closed;

  /**
   * @param failure what to log when a run fails
   */
  public FeedFollower(Backend backend, String threadName, Runnable onChange, String failure) {
    this.onChange = onChange;
    this.failure = failure;
    this.watch = backend.watch(wakeups::release);
    wakeups.release();
    Threads.daemon(threadName, this::run).start();
  }

  private void run() {
    while (!closed) {
      try {
        wakeups.acquire();
        wakeups.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      try {
        onChange.run();
      } catch (RuntimeException e) {
        if (!closed) {
          warn(failure, e);
        }
      }
    }
  }

  /** Stops following; a run under way finishes. */
  @Override
  public void close() {
    closed = true;
    try {
      watch.close();
    } catch (Exception e) {
      warn("closing a change feed failed", e);
    }
    wakeups.release();
  }

  private static void warn(String message, Exception e) {
    System.getLogger(FeedFollower.class.getName()).log(System.Logger.Level.WARNING, message, e);
  }
}
