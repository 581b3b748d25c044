package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.Durability;
import dev.cairn.InvalidDocumentException;
import dev.cairn.Subscription;
import dev.cairn.internal.Backends;
import dev.cairn.internal.Json;
import dev.cairn.internal.LogKind;
import dev.cairn.internal.Threads;
import dev.cairn.internal.Validation;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A client of oplog channels (see docs/oplog.md): each log, named by channel, type and path, is a
 * set of {@link Operation operations} reduced by the type's {@link Reducer}, kept in every store of
 * its channel. Reads come from this client's copy; pushes are applied to it at once, written to the
 * channel's local stores (directories, memory) before {@code push} returns and to the others in the
 * background; stores are reconciled by sending each the operations it lacks, and pruned by a {@link
 * Checkpoint} once they all hold the same ones. Unreachable stores are retried until they answer,
 * so a client works offline and delivers on reconnect.
 */
public final class OplogClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(OplogClient.class.getName());

  private static final String PREFIX = LogKind.OPLOG.prefix();
  private static final int MAX_NAME_BYTES = 64;
  private static final int MAX_PATH_BYTES = 400;

  private final Map<String, List<Store>> channels;
  private final Map<String, Reducer> reducers;
  private final Clock clock;
  private final int pruneAfter;
  private final Duration syncInterval;
  private final Duration pushTimeout;
  private final Durability durability;
  private final boolean createStores;
  private final Map<String, Log> logs = new ConcurrentHashMap<>();
  private final Map<String, List<OplogListener>> channelListeners = new ConcurrentHashMap<>();
  private final ExecutorService notifier;
  private final ExecutorService loader = Threads.pool("cairn-oplog-load");
  private volatile boolean closed;

  private OplogClient(Builder b) {
    this.reducers = Map.copyOf(b.reducers);
    this.clock = b.clock;
    this.pruneAfter = b.pruneAfter;
    this.syncInterval = b.syncInterval;
    this.pushTimeout = b.pushTimeout;
    this.durability = b.durability;
    this.createStores = b.createStores;
    Map<String, List<Store>> byChannel = new LinkedHashMap<>();
    b.channels.forEach(
        (channel, locations) ->
            byChannel.put(channel, locations.stream().map(l -> new Store(channel, l)).toList()));
    this.channels = Map.copyOf(byChannel);
    this.notifier = Threads.serial("cairn-oplog-notify");
    this.channels.values().forEach(stores -> stores.forEach(Store::start));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Sets up a client: its channels and their stores, and the reducers of its types. */
  public static final class Builder {
    private final Map<String, List<String>> channels = new LinkedHashMap<>();
    private final Map<String, Reducer> reducers = new HashMap<>();
    private Clock clock = Clock.systemUTC();
    private int pruneAfter = 100;
    private Duration syncInterval = Duration.ofSeconds(1);
    private Duration pushTimeout = Duration.ofSeconds(10);
    private Durability durability = Durability.SYNC;
    private String outbox;
    private boolean createStores = true;

    private Builder() {
      reducers.put("counter", Reducers.counter());
      reducers.put("register", Reducers.register());
      reducers.put("set", Reducers.addWinsSet());
      reducers.put("document", Reducers.document());
    }

    /** A channel and the locations of its stores (directories, {@code mem:}, Redis, SQL). */
    public Builder channel(String channel, String... locations) {
      name("channel", channel);
      if (locations.length == 0) {
        throw new IllegalArgumentException("channel " + channel + " needs at least one store");
      }
      for (String l : locations) {
        Objects.requireNonNull(l, "a store location must not be null");
      }
      channels.put(channel, List.of(locations));
      return this;
    }

    /** The reducer of {@code type}; counter, register, set and document are built in. */
    public Builder register(String type, Reducer reducer) {
      name("type", type);
      reducers.put(type, Objects.requireNonNull(reducer, "reducer"));
      return this;
    }

    /** The clock that dates operations (for tests of skew); the system's by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Writes a checkpoint once a log has this many operations not yet folded into one and every
     * store holds them; 0 never prunes. Default 100.
     */
    public Builder pruneAfter(int operations) {
      if (operations < 0) {
        throw new IllegalArgumentException("pruneAfter must be at least 0, got " + operations);
      }
      this.pruneAfter = operations;
      return this;
    }

    /**
     * How the channel's store directories keep what is pushed: {@link Durability#SYNC} (the
     * default) on disk before {@code push} returns, {@link Durability#OS} in the operating system.
     */
    public Builder durability(Durability durability) {
      this.durability = Objects.requireNonNull(durability, "durability");
      return this;
    }

    /** How often stores are reconciled when nothing wakes the client sooner. Default 1 s. */
    public Builder syncInterval(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("syncInterval must be positive");
      }
      this.syncInterval = interval;
      return this;
    }

    /**
     * A store directory that every channel of the client keeps a copy of its logs in, besides its
     * own stores: a push is on disk there before it returns, even when no other store answers, and
     * reaches the channel's stores when they do, from this client or the next one that opens the
     * outbox. Reads work from it offline. This is GiG.fs's local table.
     */
    public Builder outbox(String directory) {
      Objects.requireNonNull(directory, "outbox");
      if (dev.cairn.spi.Locations.hasScheme(directory)
          && !dev.cairn.spi.Locations.scheme(directory).equals("file")) {
        throw new IllegalArgumentException("the outbox is a directory; got " + directory);
      }
      this.outbox = directory;
      return this;
    }

    /**
     * How long {@code push} waits for a store to hold an operation when the channel has no local
     * store (a directory or the outbox) to hold it at once; then it fails. Default 10 s.
     */
    public Builder pushTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("pushTimeout must be positive");
      }
      this.pushTimeout = timeout;
      return this;
    }

    /**
     * Whether a store directory that does not exist is created (the default); a client that only
     * reads says false, so that a mistyped path is an error, not a new empty store.
     */
    public Builder createStores(boolean create) {
      this.createStores = create;
      return this;
    }

    public OplogClient open() {
      if (channels.isEmpty()) {
        throw new IllegalArgumentException("a client needs at least one channel");
      }
      if (outbox != null) {
        channels.replaceAll(
            (channel, locations) ->
                locations.contains(outbox)
                    ? locations
                    : java.util.stream.Stream.concat(
                            locations.stream(), java.util.stream.Stream.of(outbox))
                        .toList());
      }
      return new OplogClient(this);
    }
  }

  // ---- the API ----

  /** The value of a log, from this client's copy. */
  public JsonNode get(String channel, String type, String path) {
    Log log = log(channel, type, path);
    synchronized (log) {
      return log.value.deepCopy();
    }
  }

  /**
   * Pushes an operation and returns the log's value with it applied. When this returns, the
   * operation is held by at least one store of the channel: by every local store (a directory, the
   * {@linkplain Builder#outbox outbox}), on disk with {@link Durability#SYNC}; or, if the channel
   * has none, by the first shared store to acknowledge it. The other stores get it in the
   * background, as soon as they answer.
   *
   * @param payload the operation's data (a node, a record, a Map, a number, a string, null)
   * @throws dev.cairn.UnavailableException if no store took the operation within the {@linkplain
   *     Builder#pushTimeout push timeout}; the message names each store and why. The operation is
   *     dropped from this client, so it will not be sent later; a store that was slow to answer may
   *     still have taken it.
   * @throws dev.cairn.InvalidLocationException if every store was refused for its location or
   *     credentials
   */
  public JsonNode push(String channel, String type, String path, Object payload) {
    Log log = log(channel, type, path);
    JsonNode data = payload instanceof JsonNode node ? node : toJson(payload);
    checkPayload(data); // before deepCopy, which recurses
    if (data == payload) {
      data = data.deepCopy(); // the log keeps it: the caller's node must not change it
    }
    JsonNode value;
    Operation op;
    synchronized (log) {
      if (log.reducer instanceof Reducers.AddWinsSet set) {
        data = set.withObserved(state(log), data); // a remove takes away the adds seen here
      }
      op = Operation.create(log.writer, ++log.counter, clock.millis(), type, log.path, data);
      log.ops.put(op.sha(), op);
      log.views.values().forEach(v -> v.lacks.add(op.sha()));
      value = appended(log, op);
    }
    for (Store store : channels.get(channel)) {
      if (store.local) {
        deliver(log, store);
      }
    }
    channels.get(channel).forEach(Store::wake);
    if (!awaitHeld(log, op)) {
      retract(log, op);
      throw unavailable(
          channel,
          "the operation was not stored: no store of channel "
              + channel
              + " took it within "
              + pushTimeout.toMillis()
              + " ms");
    }
    return value.deepCopy();
  }

  /** Waits until some store holds {@code op}, up to the push timeout. */
  private boolean awaitHeld(Log log, Operation op) {
    long deadline = System.nanoTime() + pushTimeout.toNanos();
    boolean interrupted = false;
    try {
      synchronized (log) {
        while (log.views.values().stream().noneMatch(v -> v.has(op))) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || closed) {
            return false;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(log, left);
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        return true;
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Takes back an operation no store acknowledged: it leaves this client's copy and is never sent.
   * Its number is not given again (a store may yet hold it): the log's next operations are numbered
   * under a new writer id.
   */
  private void retract(Log log, Operation op) {
    synchronized (log) {
      log.ops.remove(op.sha());
      log.views.values().forEach(v -> v.lacks.remove(op.sha()));
      log.writer = newWriter();
      log.counter = 0;
      changed(log);
    }
  }

  private static String newWriter() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  /**
   * The stores of {@code channel} that failed at their last try, with why: a location whose store
   * did not answer, or refused. Empty when every store answers.
   */
  public Map<String, String> failingStores(String channel) {
    List<Store> stores = channels.get(channel);
    if (stores == null) {
      throw new IllegalArgumentException("no channel " + channel + " in this client");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Store store : stores) {
      RuntimeException failure = store.failure;
      if (failure != null) {
        out.put(dev.cairn.spi.Locations.redact(store.location), failure.getMessage());
      }
    }
    return out;
  }

  /**
   * The error for an operation that no store of {@code channel} could serve: {@link
   * dev.cairn.InvalidLocationException} if every store was refused for its location or credentials,
   * else {@link dev.cairn.UnavailableException}; the message names each store.
   */
  private dev.cairn.CairnException unavailable(String channel, String what) {
    StringBuilder why = new StringBuilder(what).append(". Stores:");
    boolean allInvalid = true;
    boolean allDenied = true;
    for (Store store : channels.get(channel)) {
      RuntimeException failure = store.failure;
      allInvalid &= failure instanceof dev.cairn.InvalidLocationException;
      allDenied &= failure instanceof dev.cairn.AccessDeniedException;
      why.append(" ")
          .append(dev.cairn.spi.Locations.redact(store.location))
          .append(": ")
          .append(failure == null ? "did not answer in time" : failure.getMessage())
          .append(";");
    }
    why.setLength(why.length() - 1);
    if (allDenied) {
      return new dev.cairn.AccessDeniedException(why.toString());
    }
    return allInvalid
        ? new dev.cairn.InvalidLocationException(why.toString())
        : new dev.cairn.UnavailableException(why.toString());
  }

  /** Tells {@code listener} of every new value of a log, after pushes here or anywhere else. */
  public Subscription on(String channel, String type, String path, OplogListener listener) {
    Objects.requireNonNull(listener, "listener");
    Log log = log(channel, type, path);
    log.listeners.add(listener);
    return () -> log.listeners.remove(listener);
  }

  /**
   * Tells {@code listener} of every new value of every log of a channel, those no one has read here
   * yet included, from now on: each store's change feed is followed for the channel's logs.
   */
  public Subscription onChannel(String channel, OplogListener listener) {
    Objects.requireNonNull(listener, "listener");
    List<Store> stores = channels.get(name("channel", channel));
    if (stores == null) {
      throw new IllegalArgumentException("no channel " + channel + " in this client");
    }
    boolean any = false;
    for (Store store : stores) {
      any |= store.followChanges();
    }
    if (!any) {
      throw unavailable(channel, "no store of channel " + channel + " could be opened");
    }
    channelListeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
    stores.forEach(Store::wake);
    return () -> channelListeners.get(channel).remove(listener);
  }

  /**
   * Reconciles now and waits until every store holds every operation this client holds, or {@code
   * timeout} passes.
   *
   * @return whether every store has them all
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      sync();
      if (everywhere()) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
    }
  }

  private boolean everywhere() {
    for (Log log : logs.values()) {
      synchronized (log) {
        for (View view : log.views.values()) {
          if (!log.ops.values().stream().allMatch(view::has)
              || (log.best != null && !Objects.equals(view.best, log.best))) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * Reconciles with every store now, instead of at the next tick, every log this client holds and
   * every log its local stores hold (so that what was pushed offline is delivered on reconnect).
   */
  public void sync() {
    discoverLocalLogs();
    for (Log log : logs.values()) {
      reconcile(log);
    }
  }

  private void discoverLocalLogs() {
    channels.forEach(
        (channel, stores) -> {
          String prefix = PREFIX + channel + "/";
          for (Store store : stores) {
            Backend backend = store.local ? store.backend() : null;
            if (backend == null) {
              continue;
            }
            for (String key : backend.keys()) {
              if (!key.startsWith(prefix)) {
                continue;
              }
              String rest = key.substring(prefix.length());
              int slash = rest.indexOf('/');
              String type = slash < 0 ? null : rest.substring(0, slash);
              if (type != null && reducers.containsKey(type)) {
                log(channel, type, rest.substring(slash + 1));
              }
            }
          }
        });
  }

  // ---- logs and stores ----

  /**
   * One store of a channel, as this client sees it, with a thread of its own that keeps it
   * reconciled: a store that does not answer holds up nothing but itself.
   */
  private final class Store {
    final String channel;
    final String location;
    final boolean local;
    private final Semaphore wakeups = new Semaphore(0);
    private Backend backend;
    private long changesSeen = -1; // where the change feed was read to; -1 while not followed
    volatile RuntimeException failure; // why the last try failed, null after a success

    Store(String channel, String location) {
      this.channel = channel;
      this.location = location;
      String scheme = dev.cairn.spi.Locations.scheme(location);
      this.local = scheme.equals("file") || scheme.equals("mem");
    }

    void start() {
      Threads.daemon("cairn-oplog-sync " + dev.cairn.spi.Locations.redact(location), this::loop)
          .start();
    }

    void wake() {
      wakeups.release();
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
          unreachable(this, e);
          changesSeen = 0;
          return false;
        }
      }
      return b != null;
    }

    /** Loads the channel's logs that appear in the change feed. */
    private void readChanges() {
      Backend b;
      long since;
      synchronized (this) {
        since = changesSeen;
        b = since < 0 ? null : backend(); // opens it again if it could not be opened before
      }
      if (since < 0 || b == null) {
        return;
      }
      String prefix = PREFIX + channel + "/";
      while (true) {
        List<LogEntry> page = b.changes(since, 1000);
        if (page.isEmpty()) {
          break;
        }
        for (LogEntry e : page) {
          String rest = e.key().startsWith(prefix) ? e.key().substring(prefix.length()) : null;
          int slash = rest == null ? -1 : rest.indexOf('/');
          if (slash > 0 && reducers.containsKey(rest.substring(0, slash))) {
            log(channel, rest.substring(0, slash), rest.substring(slash + 1));
          }
        }
        since = page.get(page.size() - 1).seq();
      }
      synchronized (this) {
        changesSeen = since;
      }
    }

    private void loop() {
      discoverLocalLogs();
      while (!closed) {
        try {
          wakeups.tryAcquire(syncInterval.toMillis(), TimeUnit.MILLISECONDS);
          wakeups.drainPermits();
        } catch (InterruptedException e) {
          return;
        }
        try {
          readChanges();
        } catch (RuntimeException e) {
          // unreachable: the next round tries again
        }
        for (Log log : logs.values()) {
          if (closed) {
            return;
          }
          if (log.channel.equals(channel)) {
            try {
              deliver(log, this);
              checkpointIfDue(log);
            } catch (RuntimeException e) {
              LOG.log(System.Logger.Level.WARNING, "reconciling " + log.key + " failed", e);
            }
          }
        }
      }
    }

    /** The open backend, or null while it cannot be reached. */
    synchronized Backend backend() {
      if (backend == null && !closed) {
        try {
          backend = Backends.open(location, new BackendOptions(durability, createStores));
          backend.watch(this::wake);
        } catch (RuntimeException e) {
          unreachable(this, e);
          return null;
        }
      }
      return backend;
    }

    synchronized void close() {
      if (backend != null) {
        backend.close();
      }
    }
  }

  /** What one store holds of a log, as far as this client knows. */
  private static final class View {
    long head;
    final Set<String> held = new HashSet<>();
    final Set<String> lacks = new java.util.LinkedHashSet<>(); // known here, not sent there yet
    Checkpoint best;

    void holds(String sha) {
      held.add(sha);
      lacks.remove(sha);
    }

    boolean has(Operation op) {
      return held.contains(op.sha()) || (best != null && best.covers(op));
    }
  }

  /** This client's copy of one log. */
  private final class Log {
    final String channel;
    final String type;
    final String path;
    final String key;
    final Reducer reducer;
    final Map<String, Operation> ops = new HashMap<>(); // those the best checkpoint does not cover
    final Map<Store, View> views = new HashMap<>();
    final List<OplogListener> listeners = new CopyOnWriteArrayList<>();
    Checkpoint best;
    String writer = newWriter(); // this client, as the writer of this log's operations
    long counter;
    JsonNode value;
    boolean loaded; // the first read of every store is done (guarded by the log's monitor)
    boolean failed; // and no store could be read: the log was dropped
    JsonNode state; // the reducer's state for value, null when it must be computed afresh
    // the state before the operations of the latest millisecond, and those operations in order:
    // a new operation of that millisecond is folded in from there, not from the beginning
    JsonNode base;
    long lastDate = Long.MIN_VALUE;
    final List<Operation> tail = new ArrayList<>();

    Log(String channel, String type, String path, Reducer reducer) {
      this.channel = channel;
      this.type = type;
      this.path = path;
      this.key = PREFIX + channel + "/" + type + "/" + path;
      this.reducer = reducer;
      channels.get(channel).forEach(s -> views.put(s, new View()));
      this.value = reducer.view(reducer.initial());
    }
  }

  private Log log(String channel, String type, String path) {
    ensureOpen();
    name("channel", channel);
    name("type", type);
    if (!channels.containsKey(channel)) {
      throw new IllegalArgumentException("no channel " + channel + " in this client");
    }
    Reducer reducer = reducers.get(type);
    if (reducer == null) {
      throw new IllegalArgumentException(
          "no reducer for type " + type + "; register one (built in: " + reducers.keySet() + ")");
    }
    String normal = path(path);
    String id = channel + "/" + type + "/" + normal;
    boolean[] fresh = {false};
    Log log =
        logs.computeIfAbsent(
            id,
            k -> {
              fresh[0] = true;
              return new Log(channel, type, normal, reducer);
            });
    if (fresh[0]) {
      boolean any = false;
      try {
        any = firstRead(log);
        if (!any) {
          logs.remove(id, log);
          throw unavailable(channel, "no store of channel " + channel + " could be read");
        }
      } finally {
        synchronized (log) {
          log.loaded = true;
          log.failed = !any;
          log.notifyAll();
        }
      }
    } else {
      awaitLoaded(log);
      if (log.failed) {
        return log(channel, type, path); // the first load failed: try again
      }
    }
    return log;
  }

  /**
   * Reads a new log from every store of its channel at once, and waits until every store answered
   * or the push timeout passed: a store that does not answer holds up the first read only so long.
   *
   * @return whether at least one store was read
   */
  private boolean firstRead(Log log) {
    List<java.util.concurrent.CompletableFuture<Boolean>> reads = new ArrayList<>();
    for (Store store : channels.get(log.channel)) {
      reads.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> read(log, store), loader));
    }
    long deadline = System.nanoTime() + pushTimeout.toNanos();
    boolean any = false;
    for (var read : reads) {
      try {
        any |= read.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // still reading: what it finds is merged when it comes
      } catch (java.util.concurrent.ExecutionException e) {
        // read() reports its own failures; nothing is thrown out of it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return any;
  }

  /** Waits for the thread that created a log to have read it from every store. */
  private static void awaitLoaded(Log log) {
    boolean interrupted = false;
    synchronized (log) {
      while (!log.loaded) {
        try {
          log.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads what a store appended since the last read; false if it cannot be reached. */
  private boolean read(Log log, Store store) {
    Backend backend = store.backend();
    if (backend == null) {
      return false;
    }
    View view = log.views.get(store);
    List<LogEntry> entries;
    try {
      long head;
      synchronized (log) {
        head = view.head;
      }
      entries = backend.read(log.key, head);
    } catch (RuntimeException e) {
      unreachable(store, e);
      return false;
    }
    store.failure = null;
    if (!entries.isEmpty()) {
      synchronized (log) {
        log.notifyAll(); // a push may wait for a store to hold its operation
        boolean any = false;
        for (LogEntry e : entries) {
          if (e.seq() <= view.head) {
            continue;
          }
          view.head = e.seq();
          Object decoded = Entries.decode(e.payload());
          if (decoded instanceof Operation op) {
            view.holds(op.sha());
            if ((log.best == null || !log.best.covers(op))
                && log.ops.putIfAbsent(op.sha(), op) == null) {
              any = true;
              for (View other : log.views.values()) {
                if (!other.has(op)) {
                  other.lacks.add(op.sha());
                }
              }
            }
          } else {
            Checkpoint cp = (Checkpoint) decoded;
            if (view.best == null || Reduction.BEST.compare(cp, view.best) > 0) {
              view.best = cp;
            }
            any |= adopt(log, cp);
          }
        }
        if (any) {
          changed(log);
          channels.get(log.channel).forEach(Store::wake); // the others may lack it
        }
      }
    }
    return true;
  }

  /** Makes {@code cp} the log's starting point if it covers more; drops what it covers. */
  private static boolean adopt(Log log, Checkpoint cp) {
    if (log.best != null && Reduction.BEST.compare(cp, log.best) <= 0) {
      return false;
    }
    log.best = cp;
    for (Operation op : log.ops.values()) {
      if (cp.covers(op)) {
        log.views.values().forEach(v -> v.lacks.remove(op.sha()));
      }
    }
    log.ops.values().removeIf(cp::covers);
    return true;
  }

  private static JsonNode state(Log log) {
    return Reduction.state(
        log.reducer, log.best == null ? List.of() : List.of(log.best), log.ops.values());
  }

  /** Recomputes the value under the log's lock and tells listeners if it changed. */
  /**
   * The value after {@code op} was added. Operations are ordered by date, then sha, so one of the
   * latest millisecond may fall anywhere among the others of that millisecond: the reducer runs
   * again from the state before them, not from the beginning. A later date is one step; an earlier
   * one (a late operation) a full reduction.
   */
  private JsonNode appended(Log log, Operation op) {
    if (log.state == null || op.date() < log.lastDate) {
      return changed(log);
    }
    if (op.date() > log.lastDate) {
      log.base = log.state;
      log.lastDate = op.date();
      log.tail.clear();
    }
    int at = java.util.Collections.binarySearch(log.tail, op, Operation.ORDER);
    log.tail.add(at < 0 ? -at - 1 : at, op);
    return publish(log, log.reducer.view(foldTail(log)));
  }

  /** Reduces everything afresh, keeping the state before the latest millisecond. */
  private JsonNode changed(Log log) {
    List<Operation> ordered = new ArrayList<>(log.ops.values());
    ordered.sort(Operation.ORDER);
    JsonNode state = log.best == null ? log.reducer.initial() : log.best.state();
    log.lastDate = ordered.isEmpty() ? Long.MIN_VALUE : ordered.get(ordered.size() - 1).date();
    log.tail.clear();
    for (Operation op : ordered) {
      if (op.date() < log.lastDate) {
        state = log.reducer.apply(state, op);
      } else {
        log.tail.add(op);
      }
    }
    log.base = state;
    return publish(log, log.reducer.view(foldTail(log)));
  }

  private static JsonNode foldTail(Log log) {
    JsonNode state = log.base;
    for (Operation op : log.tail) {
      state = log.reducer.apply(state, op);
    }
    log.state = state;
    return state;
  }

  /** Makes {@code value} the log's value and tells listeners if it changed. */
  private JsonNode publish(Log log, JsonNode value) {
    if (!value.equals(log.value)) {
      log.value = value;
      JsonNode copy = value.deepCopy();
      for (OplogListener l : log.listeners) {
        notifier.execute(() -> l.onChange(log.channel, log.type, log.path, copy.deepCopy()));
      }
      for (OplogListener l : channelListeners.getOrDefault(log.channel, List.of())) {
        notifier.execute(() -> l.onChange(log.channel, log.type, log.path, copy.deepCopy()));
      }
    }
    return value;
  }

  /**
   * Brings one store up to date with this client's copy: reads what it has, then sends it the best
   * checkpoint and the operations it lacks, each writer's in its order.
   *
   * @return whether the store now holds everything this client holds
   */
  private boolean deliver(Log log, Store store) {
    View view = log.views.get(store);
    synchronized (view) {
      if (!read(log, store)) {
        return false;
      }
      List<byte[]> payloads = new ArrayList<>();
      List<Operation> missing = new ArrayList<>();
      Checkpoint checkpoint;
      synchronized (log) {
        checkpoint = log.best != null && !Objects.equals(view.best, log.best) ? log.best : null;
        for (String sha : view.lacks) {
          Operation op = log.ops.get(sha);
          if (op != null && !view.has(op)) {
            missing.add(op);
          }
        }
      }
      if (checkpoint == null && missing.isEmpty()) {
        return true;
      }
      missing.sort(Comparator.comparing(Operation::writer).thenComparingLong(Operation::number));
      if (checkpoint != null) {
        payloads.add(Entries.encode(checkpoint));
      }
      missing.forEach(op -> payloads.add(Entries.encode(op)));
      Backend backend = store.backend();
      try {
        backend.append(log.key, Backend.ANY_HEAD, payloads);
      } catch (RuntimeException e) {
        unreachable(store, e); // the next round tries again
        return false;
      }
      store.failure = null;
      synchronized (log) {
        missing.forEach(op -> view.holds(op.sha()));
        if (checkpoint != null) {
          view.best = checkpoint;
        }
        log.notifyAll(); // a push may wait for a store to hold its operation
      }
      return true;
    }
  }

  /** Delivers to every store in turn, then writes a checkpoint if one is due. */
  private void reconcile(Log log) {
    for (Store store : channels.get(log.channel)) {
      deliver(log, store);
    }
    if (checkpointIfDue(log)) {
      for (Store store : channels.get(log.channel)) {
        deliver(log, store);
      }
    }
  }

  /**
   * Folds into a checkpoint the operations every store of the channel is known to hold, once there
   * are {@code pruneAfter} of them. The checkpoint is written first to the channel's primary store
   * (its first shared one) with a conditional append, right after what this client has read of it
   * and based on the checkpoint that store holds: so checkpoints form one chain, each covering its
   * predecessor, however many clients prune at once. The stores' threads then deliver it to the
   * others.
   */
  private boolean checkpointIfDue(Log log) {
    if (pruneAfter == 0) {
      return false;
    }
    Store primary = primary(log.channel);
    View view = log.views.get(primary);
    Checkpoint cp;
    synchronized (view) {
      if (!read(log, primary)) {
        return false;
      }
      long head;
      synchronized (log) {
        if (!Objects.equals(view.best, log.best)) {
          return false; // the primary does not hold this client's base yet
        }
        List<Operation> everywhere = new ArrayList<>();
        for (Operation op : log.ops.values()) {
          if (log.views.values().stream().allMatch(v -> v.has(op))) {
            everywhere.add(op);
          }
        }
        if (everywhere.size() < pruneAfter) {
          return false;
        }
        cp =
            Reduction.checkpoint(
                log.reducer,
                log.best == null ? List.of() : List.of(log.best),
                everywhere,
                clock.millis());
        head = view.head;
      }
      Backend backend = primary.backend();
      try {
        if (backend == null || backend.append(log.key, head, List.of(Entries.encode(cp))) == 0) {
          return false; // another entry came first: decide again on it next round
        }
      } catch (RuntimeException e) {
        unreachable(primary, e);
        return false;
      }
      synchronized (log) {
        view.best = cp;
        adopt(log, cp);
        changed(log);
      }
    }
    channels.get(log.channel).forEach(Store::wake);
    return true;
  }

  /** The store checkpoints are decided in: the channel's first shared store, else its first. */
  private Store primary(String channel) {
    List<Store> stores = channels.get(channel);
    return stores.stream().filter(s -> !s.local).findFirst().orElse(stores.get(0));
  }

  private static void unreachable(Store store, RuntimeException e) {
    store.failure = e;
    LOG.log(
        System.Logger.Level.DEBUG,
        "store " + dev.cairn.spi.Locations.redact(store.location) + " did not answer",
        e);
  }

  // ---- validation ----

  private static String name(String what, String name) {
    try {
      Validation.id(name);
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage());
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          what + " names are at most " + MAX_NAME_BYTES + " bytes; got " + name);
    }
    return name;
  }

  /** A path of segments separated by '/', each a valid name; leading and trailing '/' dropped. */
  static String path(String path) {
    if (path == null) {
      throw new IllegalArgumentException("path must not be null");
    }
    String trimmed = path.replaceAll("^/+|/+$", "");
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("path must name at least one segment, got '" + path + "'");
    }
    if (trimmed.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("paths are at most " + MAX_PATH_BYTES + " bytes");
    }
    for (String segment : trimmed.split("/", -1)) {
      try {
        Validation.id(segment);
      } catch (InvalidDocumentException e) {
        throw new IllegalArgumentException("path '" + path + "': " + e.getMessage());
      }
    }
    return trimmed;
  }

  private static void checkPayload(JsonNode payload) {
    try {
      Validation.value(payload, "payload");
    } catch (InvalidDocumentException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static JsonNode toJson(Object payload) {
    try {
      return Json.MAPPER.valueToTree(payload);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "payload cannot be converted to JSON: " + Json.describe(e), e);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the oplog client is closed");
    }
  }

  /**
   * Leaves: tries for up to five seconds to get every operation this client holds into every store
   * (see {@link #flush}), then stops reconciling and closes the stores. What did not reach a store
   * is in the others, and in this client's local stores for its next start.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      flush(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // leaving anyway
    }
    closed = true;
    channels.values().forEach(stores -> stores.forEach(Store::wake));
    notifier.shutdown();
    loader.shutdown();
    channels.values().forEach(stores -> stores.forEach(Store::close));
  }
}
