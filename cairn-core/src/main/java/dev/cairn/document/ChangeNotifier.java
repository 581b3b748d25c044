package dev.cairn.document;

import dev.cairn.Change;
import dev.cairn.ChangeListener;
import dev.cairn.FeedNotice;
import dev.cairn.Subscription;
import dev.cairn.engine.FeedFollower;
import dev.cairn.engine.LogKind;
import dev.cairn.spi.Backend;
import dev.cairn.spi.FeedStatus;
import dev.cairn.spi.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A store's changes to documents, read from the backend's change feed and delivered to listeners on
 * one thread, in sequence order. The thread starts with the first listener.
 */
public final class ChangeNotifier implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ChangeNotifier.class.getName());
  private static final int PAGE = 1000;

  private final Backend backend;
  private final String location;
  private final List<Listening> listeners = new CopyOnWriteArrayList<>();
  private FeedFollower follower;
  private long delivered;
  private volatile long scanned; // every entry up to here was looked at by the last delivery
  private String storeId;
  private volatile boolean closed;

  /** A listener, and the sequence number after which its changes begin. */
  private static final class Listening {
    final ChangeListener listener;
    volatile long after;

    Listening(ChangeListener listener, long after) {
      this.listener = listener;
      this.after = after;
    }
  }

  /**
   * @param location the store's location as its users may see it (passwords hidden), for notices
   */
  public ChangeNotifier(Backend backend, String location) {
    this.backend = backend;
    this.location = location;
  }

  /**
   * Every change to a document with a sequence number above {@code since}, oldest first, at most
   * {@code limit}; other kinds of log are skipped.
   */
  public static List<Change> changes(Backend backend, long since, int limit) {
    List<Change> out = new ArrayList<>();
    long from = since;
    while (out.size() < limit) {
      List<LogEntry> page = backend.changes(from, Math.min(PAGE, limit - out.size()));
      if (page.isEmpty()) {
        break;
      }
      for (LogEntry e : page) {
        if (LogKind.DOCUMENT.holds(e.key())) {
          RevisionEntry.Header h = RevisionEntry.header(e.payload());
          out.add(new Change(e.seq(), e.key(), h.rev(), h.deleted()));
        }
      }
      from = page.get(page.size() - 1).seq();
    }
    return out;
  }

  /** Tells {@code listener} of every change from now on; the first listener starts the thread. */
  public synchronized Subscription add(ChangeListener listener) {
    if (closed) {
      throw new IllegalStateException("store " + location + " is closed");
    }
    long now = backend.lastSequence();
    if (follower == null) {
      delivered = now;
      scanned = now;
      storeId = backend.storeId();
      follower =
          new FeedFollower(
              backend, "cairn-notify", this::deliver, "delivering changes failed", status());
    }
    Listening l = new Listening(listener, now);
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  private FeedStatus status() {
    return new FeedStatus() {
      @Override
      public void lost(Exception cause) {
        notice(new FeedNotice(FeedNotice.Kind.LOST, cause.getMessage()));
      }

      @Override
      public void restored() {
        notice(
            new FeedNotice(
                FeedNotice.Kind.RESTORED,
                "the change feed of %s is back; delivering the changes after %d"
                    .formatted(location, delivered)));
      }
    };
  }

  private void notice(FeedNotice notice) {
    for (Listening l : listeners) {
      try {
        l.listener.onFeedNotice(notice);
      } catch (RuntimeException e) {
        log(e);
      }
    }
  }

  /**
   * The entries appended that listeners have not been given yet (0 without listeners): how far the
   * delivery is behind the store.
   */
  public long lag() {
    if (listeners.isEmpty()) {
      return 0;
    }
    return Math.max(0, backend.lastSequence() - scanned);
  }

  /** On the follower's thread: delivers every change after the last one delivered. */
  private void deliver() {
    long last = backend.lastSequence();
    String id = backend.storeId();
    if (last < delivered || !id.equals(storeId)) {
      storeId = id;
      notice(
          new FeedNotice(
              FeedNotice.Kind.RESET,
              ("the store at %s was reset or replaced (a server restarted without its data?):"
                      + " its store id is %s, its last change %d, after %d were delivered;"
                      + " delivering its changes from the start")
                  .formatted(location, id, last, delivered)));
      delivered = 0;
      scanned = 0;
      listeners.forEach(l -> l.after = 0); // every change of the new store is news
    }
    while (!closed) {
      List<Change> page = changes(backend, delivered, PAGE);
      if (page.isEmpty()) {
        scanned = Math.max(scanned, last); // everything up to where this delivery began
        return;
      }
      for (Change c : page) {
        for (Listening l : listeners) {
          if (c.seq() > l.after) {
            try {
              l.listener.onChange(c);
            } catch (RuntimeException e) {
              log(e);
            }
          }
        }
      }
      delivered = page.get(page.size() - 1).seq();
    }
  }

  private static void log(Exception e) {
    LOG.log(System.Logger.Level.WARNING, "change listener failed", e);
  }

  /** Stops delivering; a delivery under way ends after the change it is delivering. */
  @Override
  public synchronized void close() {
    closed = true;
    if (follower != null) {
      follower.close();
    }
  }
}
