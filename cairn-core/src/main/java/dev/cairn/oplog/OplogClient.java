package dev.cairn.oplog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.Durability;
import dev.cairn.InvalidDocumentException;
import dev.cairn.Subscription;
import dev.cairn.engine.Threads;
import dev.cairn.json.Json;
import dev.cairn.json.Validation;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.Locations;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A client of oplog channels (see docs/oplog.md): each log, named by channel, type and path, is a
 * set of {@link Operation operations} reduced by the type's {@link Reducer}, kept in every store of
 * its channel. Reads come from this client's copy; pushes are applied to it at once, written to the
 * channel's local stores (directories, memory) before {@code push} returns and to the others in the
 * background; stores are reconciled by sending each the operations it lacks, and pruned by a {@link
 * Checkpoint} once they all hold the same ones. Unreachable stores are retried until they answer,
 * so a client works offline and delivers on reconnect.
 *
 * <p>This class is the API and its builder; a log's copy and its incremental reduction are {@code
 * LogCopy}, a store and its thread {@code ChannelStore}, reading, sending and pruning {@code
 * Reconciler}.
 */
public final class OplogClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(OplogClient.class.getName());

  private final Map<String, List<ChannelStore>> channels; // each list replaced whole, never changed
  private final BackendOptions options;
  private final Duration syncInterval;
  private final String outbox;
  private final Map<String, List<String>> localTable; // the channels the builder named
  private final String tableUrl;
  private final String sessionToken;
  private final dev.cairn.spi.MountTableProvider mountTables; // null without a table
  private volatile RuntimeException tableFailure; // why the table could not be read last time
  private final Map<String, Reducer> reducers;
  private final Clock clock;
  private final Duration pushTimeout;
  private final Map<String, LogCopy> logs = new ConcurrentHashMap<>();
  private final Map<String, List<OplogListener>> channelListeners = new ConcurrentHashMap<>();
  private final ExecutorService notifier;
  private final ExecutorService loader = Threads.pool("cairn-oplog-load");
  private final Reconciler reconciler;
  private volatile boolean closed;

  private OplogClient(Builder b) {
    this.reducers = Map.copyOf(b.reducers);
    this.clock = b.clock;
    this.pushTimeout = b.pushTimeout;
    this.options = new BackendOptions(b.durability, b.createStores);
    this.syncInterval = b.syncInterval;
    this.outbox = b.outbox;
    this.localTable = Map.copyOf(b.channels);
    this.tableUrl = b.tableUrl;
    this.sessionToken = b.sessionToken;
    this.mountTables = b.tableUrl == null ? null : mountTables(b.tableUrl);
    this.channels = new ConcurrentHashMap<>();
    b.channels.forEach(
        (channel, locations) ->
            channels.put(
                channel,
                locations.stream().map(l -> new ChannelStore(channel, l, options)).toList()));
    this.notifier = Threads.serial("cairn-oplog-notify");
    this.reconciler = new Reconciler(channels, clock, b.pruneAfter, this::publish);
    this.channels
        .values()
        .forEach(
            stores ->
                stores.forEach(
                    s -> s.start(syncInterval, this::discoverLocalLogs, () -> round(s))));
    if (mountTables != null) {
      followTable();
      Threads.daemon(
              "cairn-oplog-table",
              () -> {
                while (!closed) {
                  try {
                    TimeUnit.MILLISECONDS.sleep(syncInterval.toMillis()); // the polling interval
                  } catch (InterruptedException e) {
                    return;
                  }
                  if (!closed) {
                    followTable();
                  }
                }
              })
          .start();
    }
  }

  /** The installed reader of tables at {@code url}'s scheme. */
  private static dev.cairn.spi.MountTableProvider mountTables(String url) {
    String scheme = url.contains("://") ? url.substring(0, url.indexOf("://")).toLowerCase() : "";
    for (dev.cairn.spi.MountTableProvider p :
        java.util.ServiceLoader.load(
            dev.cairn.spi.MountTableProvider.class, OplogClient.class.getClassLoader())) {
      if (p.schemes().contains(scheme)) {
        return p;
      }
    }
    throw new dev.cairn.InvalidLocationException(
        "no installed module reads tables at " + url + " (a Cairn node's needs cairn-http)");
  }

  /**
   * Reads the mount table and gives each channel its mount's stores, then the local table's: a
   * channel whose stores changed is set anew ({@link #stores}). A table that cannot be read changes
   * nothing: the client goes on with what it has.
   */
  private synchronized void followTable() {
    Map<String, List<String>> mounts;
    try {
      mounts = mountTables.mounts(tableUrl, sessionToken);
      tableFailure = null;
    } catch (RuntimeException e) {
      tableFailure = e;
      LOG.log(System.Logger.Level.DEBUG, "the table at " + tableUrl + " could not be read", e);
      return;
    }
    for (Map.Entry<String, List<String>> mount : mounts.entrySet()) {
      List<String> wanted = new ArrayList<>(mount.getValue());
      for (String local : localTable.getOrDefault(mount.getKey(), List.of())) {
        if (!wanted.contains(local)) {
          wanted.add(local);
        }
      }
      List<String> now =
          channels.getOrDefault(mount.getKey(), List.of()).stream()
              .map(store -> store.location)
              .filter(l -> !l.equals(outbox))
              .toList();
      if (!wanted.isEmpty() && !wanted.equals(now)) {
        try {
          stores(mount.getKey(), wanted.toArray(String[]::new));
        } catch (RuntimeException e) {
          LOG.log(
              System.Logger.Level.WARNING,
              "the mount of " + mount.getKey() + " was not applied",
              e);
        }
      }
    }
  }

  private IllegalArgumentException noChannel(String channel) {
    String why =
        tableUrl == null
            ? ""
            : tableFailure != null
                ? " (the table at "
                    + tableUrl
                    + " could not be read: "
                    + tableFailure.getMessage()
                    + ")"
                : " (the table at " + tableUrl + " does not mount it)";
    return new IllegalArgumentException("no channel " + channel + " in this client" + why);
  }

  /** Why the mount table could not be read the last time, or empty if it was. */
  public java.util.Optional<String> tableFailure() {
    RuntimeException e = tableFailure;
    return e == null ? java.util.Optional.empty() : java.util.Optional.of(e.getMessage());
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
    private String tableUrl;
    private String sessionToken;

    private Builder() {
      for (String type : List.of("counter", "register", "set", "document")) {
        reducers.put(type, Reducers.builtIn(type).orElseThrow());
      }
    }

    /** A channel and the locations of its stores (directories, {@code mem:}, Redis, SQL). */
    public Builder channel(String channel, String... locations) {
      OplogKey.name("channel", channel);
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
      OplogKey.name("type", type);
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

    /**
     * Finds the channels in the user's mount table at {@code tableUrl} (a Cairn node's, with the
     * {@code cairn-http} module), with the session's token: each mounted channel's stores are its
     * mount's, in the mount's order, followed by the stores {@link #channel} names for it (this
     * client's local table). The table is read again every {@link #syncInterval}: a store added to
     * a mount is brought up to date, one removed is left (see {@link OplogClient#stores}). While
     * the table cannot be read, the client works from its local table and tries again.
     */
    public Builder table(String tableUrl, String sessionToken) {
      if (tableUrl == null || sessionToken == null || sessionToken.isEmpty()) {
        throw new IllegalArgumentException("a table needs its URL and the session's token");
      }
      this.tableUrl = tableUrl;
      this.sessionToken = sessionToken;
      return this;
    }

    /**
     * Adds the channels of a local table kept in a file: a JSON object of channel names, each with
     * the locations of its stores, {@code {"core": ["/home/ann/.cairn/core"]}}. Read when the
     * client opens; a channel also named by {@link #channel} gets both lists, that one's first.
     *
     * @throws IllegalArgumentException if the file cannot be read or is not such an object
     */
    public Builder localTable(java.nio.file.Path file) {
      com.fasterxml.jackson.databind.JsonNode table;
      try {
        table = Json.MAPPER.readTree(java.nio.file.Files.readString(file));
      } catch (java.io.IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "the local table " + file + " cannot be read: " + e.getMessage());
      }
      if (table == null || !table.isObject()) {
        throw new IllegalArgumentException(
            "the local table " + file + " is a JSON object: {\"channel\": [location, ...]}");
      }
      Map<String, List<String>> read = new LinkedHashMap<>();
      for (var entry : table.properties()) {
        List<String> locations = new ArrayList<>();
        if (!entry.getValue().isArray() || entry.getValue().isEmpty()) {
          throw new IllegalArgumentException(
              "the local table "
                  + file
                  + ": channel "
                  + entry.getKey()
                  + " needs a list of stores");
        }
        for (com.fasterxml.jackson.databind.JsonNode l : entry.getValue()) {
          if (!l.isTextual()) {
            throw new IllegalArgumentException(
                "the local table "
                    + file
                    + ": a store of "
                    + entry.getKey()
                    + " is not a location");
          }
          locations.add(l.asText());
        }
        OplogKey.name("channel", entry.getKey());
        read.put(entry.getKey(), locations);
      }
      read.forEach(
          (channel, locations) -> {
            List<String> merged = new ArrayList<>(channels.getOrDefault(channel, List.of()));
            locations.stream().filter(l -> !merged.contains(l)).forEach(merged::add);
            channels.put(channel, List.copyOf(merged));
          });
      return this;
    }

    public OplogClient open() {
      if (channels.isEmpty() && tableUrl == null) {
        throw new IllegalArgumentException("a client needs at least one channel, or a table");
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
    LogCopy log = log(channel, type, path);
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
    LogCopy log = log(channel, type, path);
    JsonNode data = payload instanceof JsonNode node ? node : toJson(payload);
    checkPayload(data); // before deepCopy, which recurses
    if (data == payload) {
      data = data.deepCopy(); // the log keeps it: the caller's node must not change it
    }
    JsonNode value;
    Operation op;
    synchronized (log) {
      op = log.push(clock.millis(), data);
      value = publish(log, log.appended(op));
    }
    for (ChannelStore store : channels.get(channel)) {
      if (store.local) {
        reconciler.deliver(log, store);
      }
    }
    channels.get(channel).forEach(ChannelStore::wake);
    if (!awaitHeld(log, op)) {
      synchronized (log) {
        log.retract(op);
        publish(log, log.reduced());
      }
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
  private boolean awaitHeld(LogCopy log, Operation op) {
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
   * Sets the stores of {@code channel} while the client runs, in the order given (the first shared
   * store decides checkpoints, as at {@linkplain Builder#channel open}), with the {@linkplain
   * Builder#outbox outbox} after them if there is one; a channel the client lacked is added. A
   * store added is brought every operation the client holds, in the background; a store removed is
   * read once more first, so that an operation only it held is kept (and reaches the others), then
   * dropped: nothing more is sent to it.
   *
   * @throws IllegalArgumentException if the channel's name is not valid or no location is given
   */
  public synchronized void stores(String channel, String... locations) {
    ensureOpen();
    OplogKey.name("channel", channel);
    if (locations == null || locations.length == 0) {
      throw new IllegalArgumentException("channel " + channel + " needs at least one store");
    }
    List<String> wanted = new ArrayList<>();
    for (String l : locations) {
      wanted.add(Objects.requireNonNull(l, "a store location must not be null"));
    }
    if (outbox != null && !wanted.contains(outbox)) {
      wanted.add(outbox);
    }
    List<ChannelStore> before = channels.getOrDefault(channel, List.of());
    List<ChannelStore> after = new ArrayList<>();
    List<ChannelStore> added = new ArrayList<>();
    for (String location : wanted) {
      ChannelStore kept =
          before.stream().filter(s -> s.location.equals(location)).findFirst().orElse(null);
      if (kept == null) {
        kept = new ChannelStore(channel, location, options);
        added.add(kept);
      }
      after.add(kept);
    }
    List<ChannelStore> removed = before.stream().filter(s -> !after.contains(s)).toList();
    channels.put(channel, List.copyOf(after)); // logs made from now on have a view of each
    for (LogCopy log : logsOf(channel)) {
      for (ChannelStore store : added) {
        synchronized (log) {
          log.addView(store);
        }
      }
    }
    added.forEach(s -> s.start(syncInterval, this::discoverLocalLogs, () -> round(s)));
    for (ChannelStore store : removed) {
      for (LogCopy log : logsOf(channel)) {
        reconciler.read(log, store); // what only it holds is kept
        synchronized (log) {
          log.views.remove(store);
          log.notifyAll();
        }
      }
      store.close();
    }
    after.forEach(ChannelStore::wake);
  }

  /**
   * The stores of {@code channel} now, in order (passwords and tokens hidden); empty for a channel
   * the client does not have.
   */
  public List<String> storesOf(String channel) {
    return channels.getOrDefault(channel, List.of()).stream()
        .map(store -> Locations.redact(store.location))
        .toList();
  }

  private List<LogCopy> logsOf(String channel) {
    return logs.values().stream().filter(l -> l.name.channel().equals(channel)).toList();
  }

  /**
   * The stores of {@code channel} that failed at their last try, with why: a location whose store
   * did not answer, or refused. Empty when every store answers.
   */
  public Map<String, String> failingStores(String channel) {
    List<ChannelStore> stores = channels.get(channel);
    if (stores == null) {
      throw noChannel(channel);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (ChannelStore store : stores) {
      RuntimeException failure = store.failure();
      if (failure != null) {
        out.put(Locations.redact(store.location), failure.getMessage());
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
    for (ChannelStore store : channels.get(channel)) {
      RuntimeException failure = store.failure();
      allInvalid &= failure instanceof dev.cairn.InvalidLocationException;
      allDenied &= failure instanceof dev.cairn.AccessDeniedException;
      why.append(" ")
          .append(Locations.redact(store.location))
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
    LogCopy log = log(channel, type, path);
    log.listeners.add(listener);
    return () -> log.listeners.remove(listener);
  }

  /**
   * Tells {@code listener} of every new value of every log of a channel, those no one has read here
   * yet included, from now on: each store's change feed is followed for the channel's logs.
   */
  public Subscription onChannel(String channel, OplogListener listener) {
    Objects.requireNonNull(listener, "listener");
    List<ChannelStore> stores = channels.get(OplogKey.name("channel", channel));
    if (stores == null) {
      throw noChannel(channel);
    }
    boolean any = false;
    for (ChannelStore store : stores) {
      any |= store.followChanges();
    }
    if (!any) {
      throw unavailable(channel, "no store of channel " + channel + " could be opened");
    }
    channelListeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
    stores.forEach(ChannelStore::wake);
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
    for (LogCopy log : logs.values()) {
      synchronized (log) {
        if (!log.everywhere()) {
          return false;
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
    for (LogCopy log : logs.values()) {
      reconciler.reconcile(log);
    }
  }

  private void discoverLocalLogs() {
    channels.forEach(
        (channel, stores) -> {
          for (ChannelStore store : stores) {
            Backend backend = store.local ? store.backend() : null;
            if (backend != null) {
              backend.keys().forEach(key -> OplogKey.parse(key, channel).ifPresent(this::found));
            }
          }
        });
  }

  /** Loads a log found in a store, if this client knows its type. */
  private void found(OplogKey name) {
    if (reducers.containsKey(name.type())) {
      log(name.channel(), name.type(), name.path());
    }
  }

  /** One round of a store's thread: new logs from its change feed, then each log reconciled. */
  private void round(ChannelStore store) {
    try {
      store.readChanges(this::found);
    } catch (RuntimeException e) {
      // unreachable: the next round tries again
    }
    for (LogCopy log : logs.values()) {
      if (closed) {
        return;
      }
      if (log.name.channel().equals(store.channel)) {
        try {
          reconciler.deliver(log, store);
          reconciler.checkpointIfDue(log);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "reconciling " + log.key + " failed", e);
        }
      }
    }
  }

  // ---- logs and stores ----

  private LogCopy log(String channel, String type, String path) {
    ensureOpen();
    OplogKey.name("channel", channel);
    OplogKey.name("type", type);
    if (!channels.containsKey(channel)) {
      throw noChannel(channel);
    }
    Reducer reducer = reducers.get(type);
    if (reducer == null) {
      throw new IllegalArgumentException(
          "no reducer for type " + type + "; register one (built in: " + reducers.keySet() + ")");
    }
    OplogKey name = new OplogKey(channel, type, OplogKey.path(path));
    boolean[] fresh = {false};
    LogCopy log =
        logs.computeIfAbsent(
            name.key(),
            k -> {
              fresh[0] = true;
              return new LogCopy(name, reducer, channels.get(channel));
            });
    if (fresh[0]) {
      boolean any = false;
      try {
        any = firstRead(log);
        if (!any) {
          logs.remove(name.key(), log);
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
  private boolean firstRead(LogCopy log) {
    List<CompletableFuture<Boolean>> reads = new ArrayList<>();
    for (ChannelStore store : channels.get(log.name.channel())) {
      reads.add(CompletableFuture.supplyAsync(() -> reconciler.read(log, store), loader));
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
  private static void awaitLoaded(LogCopy log) {
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

  /** Makes {@code value} the log's value and tells listeners if it changed. */
  private JsonNode publish(LogCopy log, JsonNode value) {
    if (!value.equals(log.value)) {
      log.value = value;
      JsonNode copy = value.deepCopy();
      OplogKey n = log.name;
      for (OplogListener l : log.listeners) {
        notifier.execute(() -> l.onChange(n.channel(), n.type(), n.path(), copy.deepCopy()));
      }
      for (OplogListener l : channelListeners.getOrDefault(n.channel(), List.of())) {
        notifier.execute(() -> l.onChange(n.channel(), n.type(), n.path(), copy.deepCopy()));
      }
    }
    return value;
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
    notifier.shutdown();
    loader.shutdown();
    channels.values().forEach(stores -> stores.forEach(ChannelStore::close));
  }
}
