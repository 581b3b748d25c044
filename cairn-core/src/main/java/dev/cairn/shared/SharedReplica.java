package dev.cairn.shared;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.CairnException;
import dev.cairn.InvalidUpdateException;
import dev.cairn.Patched;
import dev.cairn.PathListener;
import dev.cairn.StalePatchException;
import dev.cairn.Subscription;
import dev.cairn.engine.ConditionalAppend;
import dev.cairn.engine.LogKind;
import dev.cairn.engine.Threads;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import dev.cairn.update.UpdateOperators;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One process's replica of a shared object: the state reduced from the object's log, the patches
 * this process sent that have no place in the log yet, and the view the caller reads (the reduced
 * state with those patches applied on top). A {@link SharedChannel} orders patches and streams the
 * log's entries here.
 */
public final class SharedReplica implements SharedChannel.Sink, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SharedReplica.class.getName());

  private final Backend backend;
  private final String key;
  private final Clock clock;
  private final int maxPatchBytes;
  private final String writer = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  private final SharedLog.State confirmed = new SharedLog.State();
  private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private final SharedChannel channel;
  private long counter;
  private int completing; // futures taken out of pending and not yet completed
  private volatile ObjectNode view;
  private volatile long version;
  private ExecutorService notifier;
  private volatile boolean closed;

  private record Pending(JsonNode update, long at, long base, byte[] payload, Future future) {}

  private static final class Future extends CompletableFuture<Patched> {}

  private record Observer(String path, PathListener listener) {}

  private record Transition(ObjectNode before, ObjectNode after, long version) {}

  /**
   * Opens the replica of shared object {@code name}, creating the object from {@code defaults} if
   * its log is empty (the first process to get its defaults in wins; the others' are ignored).
   */
  public SharedReplica(
      Backend backend, String name, ObjectNode defaults, Clock clock, int maxPatchBytes) {
    this.backend = backend;
    this.key = LogKind.SHARED_OBJECT.key(name);
    this.clock = clock;
    this.maxPatchBytes = maxPatchBytes;
    this.view = confirmed.value();
    if (backend.head(key) == 0) {
      backend.append(key, 0, List.of(SharedLog.init(defaults))); // loses a race harmlessly
    }
    catchUp();
    this.channel =
        backend
            .localDirectory()
            .<SharedChannel>map(dir -> new HostChannel(dir, name, this))
            .orElseGet(() -> new FeedChannel(backend, name, this));
  }

  // ---- the caller's side ----

  /** The current view; never modified once published. */
  public ObjectNode view() {
    return view;
  }

  /** The version of the state reduced from the log (patches of this process in flight excluded). */
  public long version() {
    return version;
  }

  public boolean isHost() {
    return channel.isHost();
  }

  /**
   * Applies {@code update} to the view at once and sends it to be ordered.
   *
   * @param base the version the sender saw, making the patch conditional; -1 for none
   * @throws InvalidUpdateException if the update is malformed or does not apply to the view
   */
  public CompletableFuture<Patched> patch(JsonNode update, long base) {
    ensureOpen();
    if (update == null) {
      throw new InvalidUpdateException("an update must be a JSON object of update operators");
    }
    if (base > version) {
      catchUp(); // another process may have seen a version this one has not read yet
      if (base > version) {
        throw new IllegalArgumentException(
            "the patch is based on version %d, but the object's version is %d"
                .formatted(base, version));
      }
    }
    JsonNode own = update.deepCopy(); // checked when it is applied to the view below
    long at = clock.millis();
    Future future = new Future();
    channel.submit(
        () -> {
          synchronized (this) {
            ensureOpen();
            ObjectNode next = UpdateOperators.apply(view, own, fixed(at));
            String id = writer + ":" + (counter + 1);
            byte[] payload = SharedLog.patch(id, at, base, own);
            if (payload.length > maxPatchBytes) {
              throw new InvalidUpdateException(
                  "the patch is %d bytes of JSON; the limit is %d bytes"
                      .formatted(payload.length, maxPatchBytes));
            }
            counter++;
            pending.put(id, new Pending(own, at, base, payload, future));
            view = next;
            return payload;
          }
        });
    return future;
  }

  /** Tells {@code listener} of every accepted change to the value at {@code path}. */
  public Subscription observe(String path, PathListener listener) {
    ensureOpen();
    Observer o = new Observer(path, listener);
    synchronized (this) {
      if (notifier == null) {
        notifier = Threads.serial("cairn-share-observe " + key);
      }
      observers.add(o);
    }
    return () -> observers.remove(o);
  }

  /**
   * Waits until every patch of this process has its place, or {@code timeout} passes.
   *
   * @return whether none is left in flight
   */
  public synchronized boolean flush(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!pending.isEmpty() || completing > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  // ---- the channel's side ----

  @Override
  public List<LogEntry> catchUp() {
    List<Runnable> after = new ArrayList<>();
    List<LogEntry> applied;
    synchronized (this) {
      applied = applyLocked(backend.read(key, confirmed.head()), after);
    }
    after.forEach(Runnable::run);
    return applied;
  }

  @Override
  public void deliver(List<LogEntry> entries) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      applyLocked(entries, after);
    }
    after.forEach(Runnable::run);
  }

  @Override
  public List<LogEntry> appendOrdered(List<byte[]> payloads) {
    List<LogEntry> applied = new ArrayList<>();
    boolean[] retry = {false};
    ConditionalAppend.run(
        backend,
        key,
        () -> {
          if (retry[0]) {
            applied.addAll(catchUp()); // someone else appended: take it in, then go after it
          }
          retry[0] = true;
          long head;
          synchronized (this) {
            head = confirmed.head();
          }
          return new ConditionalAppend.Attempt<>(
              head,
              payloads,
              null,
              last -> {
                List<Runnable> after = new ArrayList<>();
                synchronized (this) {
                  List<LogEntry> entries =
                      confirmed.head() == head
                          ? numbered(payloads, last)
                          : backend.read(key, confirmed.head());
                  applied.addAll(applyLocked(entries, after));
                }
                after.forEach(Runnable::run);
              });
        });
    return applied;
  }

  @Override
  public void appendAnywhere(List<byte[]> payloads) {
    backend.append(key, Backend.ANY_HEAD, payloads);
    catchUp();
  }

  @Override
  public synchronized List<byte[]> unconfirmed() {
    List<byte[]> out = new ArrayList<>(pending.size());
    pending.values().forEach(p -> out.add(p.payload()));
    return out;
  }

  @Override
  public void failed(List<byte[]> payloads, RuntimeException e) {
    List<Future> failed = new ArrayList<>();
    synchronized (this) {
      for (byte[] p : payloads) {
        Pending gone = pending.remove(SharedLog.patchId(p));
        if (gone != null) {
          failed.add(gone.future());
        }
      }
      rebuildView();
      notifyAll();
    }
    failed.forEach(f -> f.completeExceptionally(e));
  }

  private List<LogEntry> numbered(List<byte[]> payloads, long last) {
    List<LogEntry> entries = new ArrayList<>(payloads.size());
    long seq = last - payloads.size() + 1;
    for (byte[] p : payloads) {
      entries.add(new LogEntry(key, seq++, p));
    }
    return entries;
  }

  /** Applies entries beyond the head; what must run outside the lock goes to {@code after}. */
  private List<LogEntry> applyLocked(List<LogEntry> entries, List<Runnable> after) {
    List<LogEntry> applied = new ArrayList<>(entries.size());
    List<Transition> transitions = observers.isEmpty() ? null : new ArrayList<>();
    for (LogEntry e : entries) {
      if (e.seq() <= confirmed.head()) {
        continue;
      }
      ObjectNode before = confirmed.value();
      SharedLog.Outcome o = confirmed.apply(e);
      applied.add(e);
      if (transitions != null && confirmed.value() != before) {
        transitions.add(new Transition(before, confirmed.value(), confirmed.version()));
      }
      if (o != null) {
        Pending p = pending.remove(o.id());
        if (p != null) {
          completing++;
          after.add(() -> complete(p, o));
        }
      }
    }
    if (!applied.isEmpty()) {
      version = confirmed.version();
      rebuildView();
    }
    if (transitions != null && !transitions.isEmpty()) {
      notifier.execute(() -> tell(transitions));
    }
    return applied;
  }

  private void rebuildView() {
    ObjectNode v = confirmed.value();
    for (Pending p : pending.values()) {
      try {
        v = UpdateOperators.apply(v, p.update(), fixed(p.at()));
      } catch (InvalidUpdateException e) {
        // no longer applies after what came first; its own verdict will come from the log
      }
    }
    view = v;
  }

  private void complete(Pending p, SharedLog.Outcome o) {
    try {
      settle(p, o);
    } finally {
      synchronized (this) {
        completing--;
        notifyAll();
      }
    }
  }

  private static void settle(Pending p, SharedLog.Outcome o) {
    if (o.accepted()) {
      p.future().complete(new Patched(o.version(), o.state().deepCopy()));
    } else if (o.stale()) {
      p.future()
          .completeExceptionally(
              new StalePatchException(p.base(), o.version(), o.state().deepCopy()));
    } else {
      p.future().completeExceptionally(new InvalidUpdateException(o.invalid()));
    }
  }

  private void tell(List<Transition> transitions) {
    for (Transition t : transitions) {
      for (Observer o : observers) {
        JsonNode was = UpdateOperators.valueAt(t.before(), o.path());
        JsonNode now = UpdateOperators.valueAt(t.after(), o.path());
        if (!Objects.equals(was, now)) {
          try {
            o.listener().onChange(o.path(), now == null ? null : now.deepCopy(), t.version());
          } catch (RuntimeException e) {
            warn("a shared object's observer failed", e);
          }
        }
      }
    }
  }

  private static Clock fixed(long millis) {
    return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(
          "shared object " + LogKind.SHARED_OBJECT.name(key) + " is closed");
    }
  }

  static void warn(String message, Exception e) {
    LOG.log(System.Logger.Level.WARNING, message, e);
  }

  /**
   * Waits up to {@code grace} for this process's patches to get their place, then leaves: another
   * process takes over as host. Patches still in flight then fail.
   */
  public void close(Duration grace) {
    if (closed) {
      return;
    }
    try {
      flush(grace);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Future> abandoned = new ArrayList<>();
    synchronized (this) {
      closed = true;
      pending.values().forEach(p -> abandoned.add(p.future()));
      pending.clear();
      if (notifier != null) {
        notifier.shutdown();
      }
    }
    channel.close();
    CairnException gone =
        new CairnException("the shared object was closed before the patch had its place");
    abandoned.forEach(f -> f.completeExceptionally(gone));
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
