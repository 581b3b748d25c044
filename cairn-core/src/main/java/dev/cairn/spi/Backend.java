package dev.cairn.spi;

import dev.cairn.Subscription;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Storage of keyed logs: the one thing a backend provides. A key names a log; a log is a sequence
 * of opaque entries, each with a store-wide sequence number. The engine reduces logs to values.
 *
 * <p>Contract, for every implementation:
 *
 * <ul>
 *   <li>Thread-safe, and safe for every process that opens the same location at once.
 *   <li>Reads reflect every append acknowledged, in any process, before the read began.
 *   <li>{@link #append} is atomic: all of its entries are in the log, or none, also after a crash.
 *   <li>Sequence numbers are unique and increase in the order appends take effect.
 * </ul>
 */
public interface Backend extends AutoCloseable {

  /** {@link #append}'s {@code expectedHead} for an append that does not care where the log ends. */
  long ANY_HEAD = -1;

  /** The location this backend was opened with, with any password hidden. */
  String location();

  /** An id of this store's data, the same in every process, kept across restarts. */
  String storeId();

  /**
   * The entries of {@code key}'s log with a sequence number above {@code afterSeq}, oldest first.
   */
  List<LogEntry> read(String key, long afterSeq);

  /**
   * At most {@code limit} entries of {@code key}'s log with a sequence number above {@code
   * afterSeq}, oldest first: for reading one old entry without the rest. Backends that can find the
   * first one without a scan (an index by key and sequence number) override this.
   */
  default List<LogEntry> read(String key, long afterSeq, int limit) {
    List<LogEntry> all = read(key, afterSeq);
    return all.size() <= limit ? all : List.copyOf(all.subList(0, limit));
  }

  /** The sequence number of the last entry of {@code key}'s log, 0 if it has none. */
  long head(String key);

  /**
   * Where {@code key}'s log ends and the store's {@link #epoch()}, read together; backends that can
   * do it in one round trip override this.
   */
  default Position position(String key) {
    return new Position(head(key), epoch());
  }

  /**
   * A log's head and the store's epoch at one moment.
   *
   * @param head the sequence number of the log's last entry, 0 if none
   * @param epoch the store's compaction counter
   */
  record Position(long head, long epoch) {}

  /**
   * Appends entries to {@code key}'s log, atomically, if its head is still {@code expectedHead} (or
   * unconditionally with {@link #ANY_HEAD}).
   *
   * @return the sequence number of the last entry appended, or 0 if the head had moved and nothing
   *     was appended
   */
  long append(String key, long expectedHead, List<byte[]> payloads);

  /**
   * {@link #append}, and if the log has moved past {@code expectedHead}, what the caller is
   * missing, so that it can decide again without another read: a write whose view is current takes
   * one call, one that was behind takes two. Backends that can do both in one round trip (a
   * server-side script or routine) override this.
   */
  default AppendResult appendOrRead(String key, long expectedHead, List<byte[]> payloads) {
    long last = append(key, expectedHead, payloads);
    if (last != 0) {
      return AppendResult.appended(last);
    }
    List<LogEntry> missing = read(key, expectedHead);
    return AppendResult.refused(missing, epoch()); // after the read: a rewrite between shows
  }

  /**
   * What {@link #appendOrRead} did.
   *
   * @param last the sequence number of the last entry appended; 0 if the log had moved and nothing
   *     was appended
   * @param missing when nothing was appended: the log's entries after the expected head, oldest
   *     first (none if the log was rewritten meanwhile: then the caller reads it again)
   * @param epoch when nothing was appended: the store's {@link #epoch()}, read with the missing
   *     entries or after them, so that a rewrite of the log before they were read shows as a new
   *     epoch
   */
  record AppendResult(long last, List<LogEntry> missing, long epoch) {
    public static AppendResult appended(long last) {
      return new AppendResult(last, List.of(), 0);
    }

    public static AppendResult refused(List<LogEntry> missing, long epoch) {
      return new AppendResult(0, List.copyOf(missing), epoch);
    }

    public boolean isAppended() {
      return last != 0;
    }
  }

  /** The keys that have at least one entry, in no particular order. */
  List<String> keys();

  /**
   * The keys beginning with {@code prefix} that have at least one entry, in no particular order.
   * Backends that can find them without listing every key override this.
   */
  default List<String> keys(String prefix) {
    return keys().stream().filter(k -> k.startsWith(prefix)).toList();
  }

  /** The highest sequence number assigned so far, 0 for an empty store. */
  long lastSequence();

  /**
   * Entries with a sequence number above {@code since}, in sequence order, at most {@code limit}.
   */
  List<LogEntry> changes(long since, int limit);

  /**
   * A value that changes whenever logs were rewritten (compaction) or lost (a server that came back
   * without its data), so that a reader holding values reduced from older entries knows to drop
   * them. Only compared for equality.
   */
  long epoch();

  /**
   * Calls {@code onAppend} soon after entries are appended by this process or another one. Calls
   * may be coalesced; the callback runs on a backend thread and must return quickly.
   */
  Subscription watch(Runnable onAppend);

  /**
   * {@link #watch(Runnable)}, telling {@code status} when the feed loses the server it follows and
   * when it has it again. Backends whose feed needs no connection (a directory, memory) never call
   * it.
   */
  default Subscription watch(Runnable onAppend, FeedStatus status) {
    return watch(onAppend);
  }

  /**
   * Rewrites every log, keeping the entries {@code keep} returns for it (a subset, in order, with
   * their sequence numbers). Readers and other processes keep working; appends wait.
   *
   * @return the number of entries removed
   */
  long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep);

  /**
   * The directory holding the data, if the store lives on this machine's file system; shared
   * objects then elect a host among the processes that have it open.
   */
  default java.util.Optional<java.nio.file.Path> localDirectory() {
    return java.util.Optional.empty();
  }

  /**
   * Whether an append is applied exactly once even when the caller could not learn its outcome (a
   * lost connection): documents need it, since a revision applied twice is a conflict with itself.
   * A backend without it (a retry may append twice) holds oplogs only, whose operations are
   * identified by their sha; {@code Cairn.open} refuses it.
   */
  default boolean exactlyOnceAppends() {
    return true;
  }

  /**
   * This process's fsyncs of the store, counted since it opened the store: for metrics. Null if the
   * backend does no fsyncs of its own (a server's durability is the server's).
   */
  default SyncCounts syncCounts() {
    return null;
  }

  /**
   * Cumulative counts of fsyncs.
   *
   * @param syncs the fsyncs done
   * @param syncNanos the time they took
   * @param appends the appends that waited for one: over {@code syncs}, how many one fsync served
   */
  record SyncCounts(long syncs, long syncNanos, long appends) {}

  /** Bytes used on storage, or -1 if the backend cannot tell. */
  default long sizeOnDisk() {
    return -1;
  }

  /** Releases this handle; the data stays. */
  @Override
  void close();
}
