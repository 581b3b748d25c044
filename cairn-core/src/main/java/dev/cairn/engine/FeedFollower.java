package dev.cairn.engine;

import dev.cairn.spi.Backend;
import dev.cairn.spi.FeedStatus;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A thread that runs {@code onChange} after the backend reports appends (and once at the start, for
 * what was appended before the watch began). Reports that come while it runs are coalesced into one
 * more run; a failing run is logged and tried again, after a pause, without waiting for a report.
 */
public final class FeedFollower implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FeedFollower.class.getName());

  private final Semaphore wakeups = new Semaphore(0);
  private final dev.cairn.Subscription watch;
  private final Runnable onChange;
  private final String failure;
  private volatile boolean closed;

  /**
   * @param failure what to log when a run fails
   */
  public FeedFollower(Backend backend, String threadName, Runnable onChange, String failure) {
    this(backend, threadName, onChange, failure, FeedStatus.NONE);
  }

  /**
   * @param failure what to log when a run fails
   * @param status told when the backend's feed loses its server and has it again
   */
  public FeedFollower(
      Backend backend, String threadName, Runnable onChange, String failure, FeedStatus status) {
    this.onChange = onChange;
    this.failure = failure;
    this.watch = backend.watch(wakeups::release, status);
    wakeups.release();
    Threads.daemon(threadName, this::run).start();
  }

  /** Runs on every report; after a failed run, again after a growing pause (up to 5 s). */
  private void run() {
    long retryMillis = 0;
    while (!closed) {
      try {
        if (retryMillis == 0) {
          wakeups.acquire();
        } else {
          wakeups.tryAcquire(retryMillis, TimeUnit.MILLISECONDS);
        }
        wakeups.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      try {
        onChange.run();
        retryMillis = 0;
      } catch (RuntimeException e) {
        if (!closed) {
          warn(failure, e);
        }
        retryMillis = Math.min(5_000, Math.max(50, retryMillis * 2));
      }
    }
  }

  /** Stops following; a run under way finishes. */
  @Override
  public void close() {
    closed = true;
    try {
      watch.close();
    } catch (RuntimeException e) {
      warn("closing a change feed failed", e);
    }
    wakeups.release();
  }

  private static void warn(String message, Exception e) {
    LOG.log(System.Logger.Level.WARNING, message, e);
  }
}
