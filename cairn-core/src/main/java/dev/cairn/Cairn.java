package dev.cairn;

import dev.cairn.document.StoreCheck;
import dev.cairn.engine.Backends;
import dev.cairn.file.DirectoryCheck;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.Locations;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens Cairn stores.
 *
 * <p>A location is a directory path ({@code ./data}, {@code ~/stores/app}; {@code ~} is the home
 * directory) or a URI whose scheme names a backend: {@code file:/var/lib/app}, {@code mem:} (a new
 * store in this process's memory), and those of backend modules on the class path. {@link
 * #open(String)} creates the store if there is none; {@link #openExisting(String)} only opens one.
 *
 * <pre>{@code
 * try (DocumentStore store = Cairn.open("~/my-objects")) {
 *   store.upsert("hello", Map.of("text", "Cats are little people!"));
 * }
 * }</pre>
 */
public final class Cairn {
  private Cairn() {}

  /** Opens the store at {@code location} with the default settings. */
  public static DocumentStore open(String location) {
    return builder(location).open();
  }

  /** Opens the store in directory {@code dir} with the default settings. */
  public static DocumentStore open(Path dir) {
    return builder(dir.toString()).open();
  }

  /**
   * Opens the store at {@code location}, which must exist: a reader that mistypes a path gets an
   * error, not a new empty store.
   *
   * @throws InvalidLocationException if there is no store there; nothing is created
   */
  public static DocumentStore openExisting(String location) {
    return builder(location).create(false).open();
  }

  /**
   * Reads every record of the store at {@code location} and every revision of its documents, and
   * says what is damaged; the store is neither locked nor changed, so a directory store that
   * refuses to open can still be checked. See docs/storage.md.
   *
   * @throws InvalidLocationException if there is no store there
   */
  public static CheckReport check(String location) {
    if (Locations.scheme(location).equals("file")) {
      Path dir = Locations.path(location);
      if (!Files.isDirectory(dir)) {
        throw new InvalidLocationException("no store at " + location);
      }
      return DirectoryCheck.check(dir, StoreCheck.DOCUMENTS);
    }
    try (Backend backend = backend(location, new BackendOptions(Durability.SYNC, false))) {
      return StoreCheck.checkBackend(backend);
    }
  }

  /**
   * Writes a new directory store at {@code target} holding every append of the directory store at
   * {@code location} that still reads whole, skipping damaged ones, and reports what was lost. The
   * damaged store is only read. The new store has a store id of its own, so replication with a copy
   * of the old one starts afresh and brings back what that copy holds.
   *
   * @throws InvalidLocationException if {@code location} is not a directory store, or {@code
   *     target} exists and is not an empty directory
   */
  public static RecoveryReport recover(String location, Path target) {
    if (!Locations.scheme(location).equals("file")) {
      throw new InvalidLocationException(
          "recover copies directory stores; "
              + Locations.redact(location)
              + " is not one (its"
              + " server keeps its own data safe)");
    }
    if (target == null) {
      throw new InvalidLocationException("recover needs a directory to write the new store to");
    }
    Path dir = Locations.path(location);
    if (!Files.isDirectory(dir)) {
      throw new InvalidLocationException("no store at " + location);
    }
    return DirectoryCheck.recover(dir, target);
  }

  /** Settings for opening the store at {@code location}. */
  public static Builder builder(String location) {
    return new Builder(location);
  }

  /** Settings of a store, checked as they are set. */
  public static final class Builder {
    /** The default limit of a document's canonical JSON, 8 MiB. */
    public static final int DEFAULT_MAX_DOCUMENT_BYTES = 8 << 20;

    /** The largest limit a store accepts, 32 MiB. */
    public static final int MAX_DOCUMENT_BYTES = 32 << 20;

    /** How many revisions of each branch of a document a store keeps by default. */
    public static final int DEFAULT_KEEP_REVISIONS = 1000;

    /** The size of log at which a directory store starts compacting itself, by default. */
    public static final long DEFAULT_AUTO_COMPACT_BYTES = 64L << 20;

    /**
     * The default bound of the memory that decoded documents take: 128 MiB, or a quarter of the
     * largest heap the JVM may use if that is less.
     */
    public static final long DEFAULT_CACHE_BYTES = 128L << 20;

    private final String location;
    private Durability durability = Durability.SYNC;
    private WriteMode writeMode = WriteMode.STRICT;
    private int maxDocumentBytes = DEFAULT_MAX_DOCUMENT_BYTES;
    private long cacheBytes = Math.min(DEFAULT_CACHE_BYTES, Runtime.getRuntime().maxMemory() / 4);
    private int keepRevisions = DEFAULT_KEEP_REVISIONS;
    private long autoCompactBytes = DEFAULT_AUTO_COMPACT_BYTES;
    private Resolution autoResolve;
    private java.time.Clock clock = java.time.Clock.systemUTC();
    private boolean create = true;
    private dev.cairn.engine.Metrics metrics = dev.cairn.engine.Metrics.NONE;

    private Builder(String location) {
      if (location == null || location.isBlank()) {
        throw new InvalidLocationException("store location must not be empty");
      }
      this.location = location.strip();
    }

    /** What a write has survived when it returns; {@link Durability#SYNC} by default. */
    public Builder durability(Durability durability) {
      if (durability == null) {
        throw new IllegalArgumentException("durability must not be null");
      }
      this.durability = durability;
      return this;
    }

    /** What {@code update} does with a stale {@code _rev}; {@link WriteMode#STRICT} by default. */
    public Builder writeMode(WriteMode writeMode) {
      if (writeMode == null) {
        throw new IllegalArgumentException("writeMode must not be null");
      }
      this.writeMode = writeMode;
      return this;
    }

    /** The largest document, in bytes of canonical JSON; 8 MiB by default, at most 32 MiB. */
    public Builder maxDocumentBytes(int bytes) {
      if (bytes < 2 || bytes > MAX_DOCUMENT_BYTES) {
        throw new IllegalArgumentException(
            "maxDocumentBytes must be between 2 and " + MAX_DOCUMENT_BYTES + ", got " + bytes);
      }
      this.maxDocumentBytes = bytes;
      return this;
    }

    /**
     * How much memory the documents kept decoded may take, in bytes; by default 128 MiB, or a
     * quarter of the JVM's largest heap if that is less; 0 to keep none. A document's weight is an
     * estimate: its revisions held in memory and its current body decoded (about 12 times its
     * JSON). The least used documents leave first, and are read from the store again when needed.
     */
    public Builder cacheBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("cacheBytes must not be negative, got " + bytes);
      }
      this.cacheBytes = bytes;
      return this;
    }

    /**
     * The retention policy: of every branch of every document, the leaf and its {@code revisions -
     * 1} nearest ancestors are kept (1000 by default). Older revisions are forgotten at once (a
     * document's history, {@code get(id, rev)} and its memory stop at them) and leave the disk at
     * the next compaction.
     */
    public Builder keepRevisions(int revisions) {
      if (revisions < 1) {
        throw new IllegalArgumentException("keepRevisions must be at least 1, got " + revisions);
      }
      this.keepRevisions = revisions;
      return this;
    }

    /**
     * When a directory store compacts itself, in the background, to the {@linkplain #keepRevisions
     * retained revisions}: once its log is at least {@code bytes} and at least half of it is
     * revisions beyond those kept (as this process has seen them). 64 MiB by default; 0 never.
     * While it runs, writes of every process wait (see docs/storage.md). Other backends compact
     * only when asked ({@code DocumentStore.compact}).
     */
    public Builder autoCompact(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("autoCompact must not be negative, got " + bytes);
      }
      this.autoCompactBytes = bytes;
      return this;
    }

    /**
     * A rule that settles conflicts as soon as this store handle sees them: after each of its
     * writes that leaves the document in conflict, and after each replication or import into it,
     * for every document that changed. Only {@link Resolution#SUBSUMED} exists; none by default.
     * What it deletes is written as ordinary deletion revisions, which replicate to every copy.
     */
    public Builder autoResolve(Resolution rule) {
      if (rule == null) {
        throw new IllegalArgumentException("autoResolve needs a rule, such as SUBSUMED");
      }
      this.autoResolve = rule;
      return this;
    }

    /** The clock of {@code $currentDate} in patches; the system clock by default. */
    public Builder clock(java.time.Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Meters the store into {@code registry} (Micrometer), every meter tagged {@code store=name}:
     * appends and their round trip, refusals and conflicts, {@code scoped} retries, the document
     * cache's hits and misses, fsyncs and how many appends each served, compactions and the change
     * feed's lag. Off unless called; Micrometer is then needed on the class path, and only then.
     * docs/metrics.md lists the meters.
     *
     * @param name tells this store's meters from other stores' in the same registry; 1 to 64
     *     characters, not blank
     */
    public Builder metrics(io.micrometer.core.instrument.MeterRegistry registry, String name) {
      if (registry == null) {
        throw new IllegalArgumentException("registry must not be null");
      }
      if (name == null || name.isBlank() || name.length() > 64) {
        throw new IllegalArgumentException("a store's metrics name is 1 to 64 characters");
      }
      this.metrics = dev.cairn.engine.MicrometerMetrics.of(registry, name);
      return this;
    }

    /**
     * Whether {@link #open()} creates the store if there is none (the default), or fails with
     * {@link InvalidLocationException} and creates nothing.
     */
    public Builder create(boolean create) {
      this.create = create;
      return this;
    }

    /**
     * Opens the store, creating it if needed and allowed.
     *
     * @throws InvalidLocationException if the location's backend holds oplog channels only
     */
    public DocumentStore open() {
      Backend backend = backend(location, new BackendOptions(durability, create));
      if (!backend.exactlyOnceAppends()) {
        backend.close();
        throw new InvalidLocationException(
            "%s holds oplog channels only: a retry after a lost connection may append twice,"
                    .formatted(Locations.redact(location))
                + " which documents cannot take; open it with OplogClient (cairn oplog)");
      }
      return new DocumentStore(
          backend,
          writeMode,
          maxDocumentBytes,
          cacheBytes,
          clock,
          keepRevisions,
          autoCompactBytes,
          autoResolve,
          metrics);
    }
  }

  /** Finds the backend for a location among the providers on the class path. */
  static Backend backend(String location, BackendOptions options) {
    return Backends.open(location, options);
  }
}
