package dev.cairn.file;

import static dev.cairn.file.LogFiles.closeQuietly;
import static dev.cairn.file.LogFiles.damaged;
import static dev.cairn.file.LogFiles.openLog;
import static dev.cairn.file.LogFiles.writeFully;
import static dev.cairn.file.LogFiles.zero;
import static dev.cairn.file.SharedMemory.COMPACT_LOCK;
import static dev.cairn.file.SharedMemory.SYNC_LOCK;
import static dev.cairn.file.SharedMemory.WRITE_LOCK;
import static dev.cairn.file.SharedMemory.end;
import static dev.cairn.file.SharedMemory.generation;
import static dev.cairn.file.SharedMemory.word;

import dev.cairn.InvalidLocationException;
import dev.cairn.StorageException;
import dev.cairn.StoreFormatException;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;

/**
 * One store directory, shared by every process that opens it: a single append-only log of
 * checksummed entries, an in-memory index in each process that follows the log's tail, and a small
 * memory-mapped file through which the processes tell each other where the log ends. One instance
 * per directory per JVM (POSIX file locks belong to the process, so two instances would release
 * each other's locks); {@link FileBackend} handles share it.
 *
 * <h2>Files</h2>
 *
 * <ul>
 *   <li>{@code data-NNNNNNNN.log} — the log, laid out as {@link LogFormat} says. {@code N} is the
 *       generation; compaction writes generation {@code N+1} to a {@code .tmp} file, fsyncs it,
 *       renames it into place and deletes the older one, so the highest-numbered {@code .log} file
 *       is always complete.
 *   <li>{@code data-NNNNNNNN.idx} — the log's index up to some point ({@link LogIndexFile}),
 *       written after compaction and at a clean close, so that opening reads only the log after it.
 *       Derived data: ignored when it cannot be trusted.
 *   <li>{@code cairn.shm} — hints and locks shared by the processes ({@link SharedMemory}).
 * </ul>
 *
 * <p>An append writes all its records with one write while holding the write lock, then publishes
 * the new end of the log in {@code cairn.shm}; readers never read past the published end, so a
 * half-written append is never visible.
 *
 * <h2>Opening: a torn write or damage</h2>
 *
 * Opening reads the log after what its index file covers. Where it stops reading (a record that is
 * short, fails its checksum, or belongs to an append that does not end) is a torn write only if
 * nothing there was ever acknowledged: the stop lies at or after the durable point (the log's
 * durable mark, or the one in {@code cairn.shm}), at or after the published end (if {@code
 * cairn.shm} was written on this boot of the operating system), and, if the operating system has
 * not restarted since the durable mark was written, no whole append follows it (a crashed process
 * cannot leave one behind: every later append starts where the torn one did, and the "begins an
 * append" flag tells a left-over piece from the start of one). Then what follows the stop is
 * zeroed. Otherwise the log is damaged: opening fails with a {@link StoreFormatException} naming
 * the file and the offset, and nothing is changed. {@link LogRecovery} applies this rule.
 *
 * <h2>Why one class</h2>
 *
 * Appends with group commit, fsyncs shared across processes, following other processes' appends and
 * compaction's switch to a new generation all take the same locks (the write, sync and compact
 * locks in {@code cairn.shm}, and this process's) and move the same current segment and durable
 * mark: they are kept together so that the locking protocol reads in one place. Opening ({@link
 * LogRecovery}), the files ({@link LogFiles}), the watch thread ({@link TailWatcher}) and writing a
 * new generation ({@link LogRewrite}) are apart.
 */
final class FileLog {
  private static final System.Logger LOG = System.getLogger(FileLog.class.getName());

  static final String SHM = SharedMemory.FILE;

  /**
   * The log grows in zero-filled steps of this size, so that an fsync after an append flushes data
   * only: appending past the end of a file would change its size and cost a journal commit each.
   */
  static final int PREALLOCATE = 4 << 20;

  private static final long MARK_EVERY_NANOS = 200_000_000L;
  private static final long MARK_EVERY_BYTES = 1 << 20;

  /** A clean close writes an index file when at least this much of the log is not in one. */
  static final long INDEX_AFTER_BYTES = 1 << 20;

  private static final Map<Path, FileLog> OPEN = new HashMap<>();

  private final Path dir;
  private final SharedMemory shm;
  private final TailWatcher tail;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ReentrantLock queueLock = new ReentrantLock();
  private final List<Request> queue = new ArrayList<>(); // guarded by queueLock
  private final java.util.concurrent.locks.Condition syncDone = queueLock.newCondition();
  private boolean leading; // guarded by queueLock
  private boolean syncing; // guarded by queueLock
  private final java.util.concurrent.atomic.LongAdder syncs =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder syncNanos =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder appendsAwaitingSync =
      new java.util.concurrent.atomic.LongAdder();
  private final ReentrantLock compactLock = new ReentrantLock();
  private final ReentrantLock indexLock = new ReentrantLock();
  private final List<FileChannel> retired = new ArrayList<>();
  private volatile LogSegment segment;
  private int refs;
  // the durable mark this process last wrote or found, as a word: written under the sync lock,
  // or by recovery and compaction, which exclude every other writer of marks in this process
  private long marked;
  private long markedAt = System.nanoTime() - MARK_EVERY_NANOS;

  /**
   * The one instance for {@code dir} in this JVM, opened if needed.
   *
   * @param create whether to create the store if there is none; else {@link
   *     InvalidLocationException} ("no store at ...") and nothing is created
   */
  static FileLog acquire(Path dir, boolean create) {
    synchronized (OPEN) {
      Path key = realPath(dir);
      FileLog log = OPEN.get(key);
      if (log == null) {
        log = new FileLog(key, create);
        OPEN.put(key, log);
      }
      log.refs++;
      return log;
    }
  }

  /**
   * The directory's real path, through symbolic links, also for one that does not exist yet (its
   * nearest existing ancestor is resolved): two names for one store must share one instance.
   */
  static Path realPath(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute));
    } catch (IOException e) {
      throw new InvalidLocationException("cannot resolve store location " + dir + ": " + e, e);
    }
  }

  /**
   * Releases one reference; the last one makes everything appended so far durable (so that a store
   * closed cleanly is durable to its end, whatever its writers' durability) and closes the files.
   *
   * @throws StorageException if that last fsync failed; the files are closed all the same
   */
  void release() {
    synchronized (OPEN) {
      if (--refs > 0) {
        return;
      }
      OPEN.remove(dir);
      tail.close();
      try {
        seal();
        writeIndexFileAtClose();
      } finally {
        closeQuietly(shm);
        closeQuietly(segment.channel);
        retired.forEach(LogFiles::closeQuietly);
      }
    }
  }

  /**
   * Makes everything published durable and writes the exact durable mark, itself durable: after a
   * clean close the log alone tells a torn write from damage, to the last byte.
   */
  private void seal() {
    queueLock.lock();
    try {
      while (syncing) {
        syncDone.awaitUninterruptibly();
      }
      syncing = true;
    } finally {
      queueLock.unlock();
    }
    try (FileLock lock = shm.lock(SYNC_LOCK)) {
      long target = shm.published();
      LogSegment s = segment;
      if (generation(target) == s.generation && target != marked) {
        s.channel.force(false);
        LogFormat.Mark mark = LogFormat.nextMark(end(target), shm.markCounter());
        LogFormat.writeMark(s.channel, mark);
        s.channel.force(false);
        shm.markCounter(mark.counter());
        marked = target;
        if (!shm.covered(generation(target), end(target))) {
          shm.durable(target);
        }
      }
    } catch (IOException e) {
      throw new StorageException("fsync of " + dir + " when closing it failed: " + e, e);
    } finally {
      queueLock.lock();
      syncing = false;
      syncDone.signalAll();
      queueLock.unlock();
    }
  }

  private FileLog(Path dir, boolean create) {
    this.dir = dir;
    if (!LogRecovery.checkDirectory(dir) && !create) {
      throw new InvalidLocationException(
          "no store at " + dir + " (nothing was created: only writes create a store)");
    }
    try {
      Files.createDirectories(dir);
      shm = new SharedMemory(dir);
      tail = new TailWatcher(dir, shm);
    } catch (IOException e) {
      throw new InvalidLocationException("cannot open store directory " + dir + ": " + e, e);
    }
    try (FileLock lock = shm.lock(WRITE_LOCK)) {
      shm.map();
      segment = LogRecovery.recover(dir, shm);
      marked = word(segment.generation, segment.end);
    } catch (IOException e) {
      closeQuietly(shm);
      throw new StorageException("cannot open store " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(shm);
      throw e;
    }
  }

  /** Under the write lock: makes sure the file has room for {@code bytes} more after the end. */
  private static void reserve(LogSegment s, int bytes) throws IOException {
    long needed = s.end + bytes;
    if (needed <= s.allocated) {
      return;
    }
    s.allocated = s.channel.size(); // another process may have grown it
    if (needed <= s.allocated) {
      return;
    }
    long target = (needed / PREALLOCATE + 1) * PREALLOCATE;
    zero(s.channel, s.allocated, target);
    s.allocated = target;
  }

  // ---- reading ----

  String storeId() {
    return segment.storeId();
  }

  long epoch() {
    refresh();
    return segment.generation;
  }

  /** Brings this process's index up to the published end of the log. */
  void refresh() {
    long w = shm.published();
    LogSegment s = segment;
    if (generation(w) == s.generation && end(w) == s.end) {
      return;
    }
    indexLock.lock();
    try {
      catchUp();
    } finally {
      indexLock.unlock();
    }
  }

  /** Under the index lock. */
  private void catchUp() {
    long w = shm.published();
    LogSegment s = segment;
    try {
      if (generation(w) != s.generation) {
        LogSegment next = openLog(dir, generation(w));
        next = LogRecovery.withIndexFile(dir, next, next.header.mark().end());
        scan(next, end(w));
        retired.add(s.channel);
        segment = next;
      } else if (end(w) > s.end) {
        scan(s, end(w));
      }
    } catch (NoSuchFileException e) {
      // a compaction replaced that generation after we read the word: the next word names it
      catchUp();
    } catch (IOException e) {
      throw new StorageException("cannot read the log of " + dir + ": " + e, e);
    }
  }

  /** Indexes the records from the segment's end up to {@code to}; a bad record there is damage. */
  static void scan(LogSegment s, long to) throws IOException {
    long size = s.channel.size();
    if (size < to) {
      throw damaged(s, size, "the file ends before byte " + to + ", where the log was published");
    }
    LogScanner scanner = new LogScanner(s.channel, s.header.version(), to);
    LogScanner.Stop stop = scanner.readAppends(s.end, s.lastSeq, records -> s.index(records));
    s.end = stop.end();
    if (stop.end() != to) {
      throw damaged(
          s,
          stop.clean() ? stop.end() : stop.badAt(),
          (stop.clean() ? "the data ends" : stop.what())
              + " before byte "
              + to
              + ", where the"
              + " log was published");
    }
  }

  long head(String key) {
    refresh();
    return segment.head(key);
  }

  List<LogEntry> read(String key, long afterSeq, int limit) {
    refresh();
    return segment.read(key, afterSeq, limit);
  }

  List<String> keys() {
    refresh();
    return segment.keys();
  }

  List<String> keys(String prefix) {
    refresh();
    List<String> out = new ArrayList<>();
    try {
      segment.forEachKey(
          key -> {
            if (key.startsWith(prefix)) {
              out.add(key);
            }
          });
    } catch (IOException e) {
      throw new AssertionError("listing keys reads no file", e);
    }
    return out;
  }

  long lastSequence() {
    refresh();
    return segment.lastSeq;
  }

  List<LogEntry> changes(long since, int limit) {
    refresh();
    return segment.changes(since, limit);
  }

  /** Whether this process reads the log through an index file (for tests). */
  boolean indexedByFile() {
    refresh();
    return segment.hasIndexFile();
  }

  Backend.SyncCounts syncCounts() {
    return new Backend.SyncCounts(syncs.sum(), syncNanos.sum(), appendsAwaitingSync.sum());
  }

  long sizeOnDisk() {
    refresh();
    return segment.end;
  }

  // ---- writing ----

  /** One append waiting for the leader of its group. Guarded by {@link #queueLock}. */
  private final class Request {
    final String key;
    final byte[] keyBytes;
    final long expectedHead;
    final List<byte[]> payloads;
    final boolean sync;
    final java.util.concurrent.locks.Condition wake = queueLock.newCondition();
    long result;
    long generation;
    long end;
    RuntimeException error;
    boolean taken;
    boolean done;

    Request(String key, byte[] keyBytes, long expectedHead, List<byte[]> payloads, boolean sync) {
      this.key = key;
      this.keyBytes = keyBytes;
      this.expectedHead = expectedHead;
      this.payloads = payloads;
      this.sync = sync;
    }

    boolean awaitsFsync() {
      return sync && error == null && result != 0;
    }
  }

  /**
   * Appends atomically if {@code key}'s head is {@code expectedHead} (or any head for {@link
   * dev.cairn.spi.Backend#ANY_HEAD}). Returns the last sequence number appended, or 0. A condition
   * that already fails against the published log fails at once, before any lock.
   *
   * <p>Group commit: appends queue up, and one thread at a time, the leader, takes the whole queue
   * and appends it under one acquisition of the write lock. It then hands the lead to the next
   * queued thread, so that the next group appends while this one waits for its fsync, and wakes
   * each thread of its group once, when its append is durable.
   */
  long append(String key, long expectedHead, List<byte[]> payloads, boolean sync) {
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    if (keyBytes.length > 0xffff) {
      throw new IllegalArgumentException("key longer than 65535 bytes");
    }
    if (expectedHead != dev.cairn.spi.Backend.ANY_HEAD && head(key) != expectedHead) {
      return 0; // another writer got there first: no need to queue for the lock to learn it
    }
    Request request = new Request(key, keyBytes, expectedHead, payloads, sync);
    List<Request> group = null;
    queueLock.lock();
    try {
      queue.add(request);
      while (!request.done) {
        if (!request.taken && !leading) {
          leading = true;
          group = new ArrayList<>(queue);
          queue.clear();
          group.forEach(r -> r.taken = true);
          break;
        }
        request.wake.awaitUninterruptibly();
      }
    } finally {
      queueLock.unlock();
    }
    if (group != null) {
      lead(group);
    }
    if (request.error != null) {
      throw request.error;
    }
    if (request.result != 0) {
      tail.fire();
    }
    return request.result;
  }

  private void lead(List<Request> group) {
    commit(group);
    Request last = null;
    queueLock.lock();
    try {
      leading = false;
      if (!queue.isEmpty()) {
        queue.get(0).wake.signal(); // the next group's leader
      }
      for (Request r : group) {
        if (r.awaitsFsync()) {
          last = r;
          appendsAwaitingSync.increment();
        } else {
          r.done = true;
          r.wake.signal();
        }
      }
    } finally {
      queueLock.unlock();
    }
    if (last == null) {
      return;
    }
    RuntimeException failure = null;
    try {
      awaitDurable(last.generation, last.end);
    } catch (RuntimeException e) {
      failure = e; // appended but perhaps not durable: no caller may take it as done
    }
    queueLock.lock();
    try {
      for (Request r : group) {
        if (r.awaitsFsync()) {
          r.error = failure;
          r.done = true;
          r.wake.signal();
        }
      }
    } finally {
      queueLock.unlock();
    }
  }

  /**
   * The leader's work: append a group under one acquisition of the write lock. The fsync comes
   * after, outside the group, so that the next group appends while this one waits for the disk.
   */
  private void commit(List<Request> group) {
    boolean interrupted = Thread.interrupted(); // an interrupt would close the shared channels
    writeLock.lock();
    try (FileLock lock = shm.lock(WRITE_LOCK)) {
      indexLock.lock();
      try {
        catchUp();
        for (Request r : group) {
          try {
            r.result = appendLocked(r);
            r.generation = segment.generation;
            r.end = segment.end;
          } catch (IOException e) {
            r.error =
                new StorageException(
                    "append to " + dir + " failed; nothing was published: " + e, e);
          } catch (RuntimeException e) {
            r.error = e;
          }
        }
      } finally {
        indexLock.unlock();
      }
    } catch (IOException e) {
      StorageException failure = new StorageException("cannot lock " + dir + ": " + e, e);
      group.forEach(r -> r.error = failure);
    } catch (RuntimeException e) {
      group.forEach(r -> r.error = e); // the log could not be read up to its end: damaged
    } finally {
      writeLock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Under the write and index locks: checks the condition, writes, indexes and publishes. */
  private long appendLocked(Request r) throws IOException {
    LogSegment s = segment;
    long head = s.head(r.key);
    if (r.expectedHead != dev.cairn.spi.Backend.ANY_HEAD && head != r.expectedHead) {
      return 0;
    }
    ByteBuffer batch = LogFormat.encode(r.keyBytes, r.payloads, s.lastSeq + 1);
    reserve(s, batch.remaining());
    writeFully(s.channel, batch, s.end);
    long at = s.end;
    long seq = s.lastSeq;
    int fixed = LogFormat.RECORD_PREFIX + LogFormat.RECORD_FIXED + r.keyBytes.length;
    for (byte[] p : r.payloads) {
      s.index(new LogSegment.Ref(r.key, ++seq, at, at + fixed, p.length));
      at += fixed + p.length;
    }
    s.end = at;
    shm.publish(s.generation, at);
    shm.notifyWatchers();
    return s.lastSeq;
  }

  /**
   * For tests: runs {@code whileHeld} holding the write lock, as an appending process does, or the
   * compaction lock, as a compacting process does while it writes the next generation.
   */
  void holdLock(boolean compaction, Runnable whileHeld) throws IOException {
    ReentrantLock local = compaction ? compactLock : writeLock;
    local.lock();
    try (FileLock lock = shm.lock(compaction ? COMPACT_LOCK : WRITE_LOCK)) {
      whileHeld.run();
    } finally {
      local.unlock();
    }
  }

  /**
   * Returns once the log is durable up to {@code end}. One thread per process fsyncs at a time,
   * covering everything published so far; the others wait for it and usually find their append
   * covered, so one fsync serves many writers, of this process and of others.
   */
  private void awaitDurable(long generation, long end) {
    queueLock.lock();
    try {
      while (!shm.covered(generation, end)) {
        if (syncing) {
          syncDone.awaitUninterruptibly();
          continue;
        }
        syncing = true;
        queueLock.unlock();
        try {
          syncOnce(generation);
        } finally {
          queueLock.lock();
          syncing = false;
          syncDone.signalAll();
        }
      }
    } finally {
      queueLock.unlock();
    }
  }

  /** Takes the sync lock, waiting for another process's fsync, and fsyncs. */
  private void syncOnce(long generation) {
    boolean interrupted = Thread.interrupted();
    try (FileLock lock = shm.lock(SYNC_LOCK)) {
      if (!shm.covered(generation, segment.end)) {
        forceUpTo(generation);
      }
    } catch (IOException e) {
      throw new StorageException("fsync of " + dir + " failed: " + e, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Under the sync lock: fsyncs the log, records how far it is durable in shared memory, and writes
   * that as the log's durable mark, which the next fsync makes durable in turn.
   */
  private void forceUpTo(long generation) throws IOException {
    long target = shm.published();
    if (generation(target) != generation) {
      return; // compaction rewrote and fsynced the log after this append
    }
    LogSegment s = segment;
    if (s.generation != generation) {
      refresh();
      s = segment;
    }
    long forcing = System.nanoTime();
    s.channel.force(false);
    syncNanos.add(System.nanoTime() - forcing);
    syncs.increment();
    if (shm.covered(generation(target), end(target))) {
      return; // someone recorded more meanwhile; never move the durable mark back
    }
    long now = System.nanoTime();
    if (generation(target) != generation(marked)
        || end(target) - end(marked) >= MARK_EVERY_BYTES
        || now - markedAt >= MARK_EVERY_NANOS) {
      LogFormat.Mark mark = LogFormat.nextMark(end(target), shm.markCounter());
      LogFormat.writeMark(s.channel, mark);
      shm.markCounter(mark.counter());
      marked = target;
      markedAt = now;
    }
    shm.durable(target);
  }

  /**
   * Rewrites the log with the entries {@code keep} selects into the next generation, in the
   * background: the log as it is when compaction starts is filtered and written out while appends
   * go on; then, under the write lock, the appends made meanwhile are copied as they are and the
   * new file takes the old one's place. Writers wait only for that last step. One compaction at a
   * time per store, across processes.
   */
  long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    compactLock.lock();
    boolean interrupted = Thread.interrupted(); // an interrupt would close the shared channels
    try (FileLock compacting = shm.lock(COMPACT_LOCK)) {
      LogSegment s;
      long fromSeq;
      long from;
      indexLock.lock();
      try {
        catchUp();
        s = segment;
        fromSeq = s.lastSeq; // read together: both move only under the index lock
        from = s.end;
      } finally {
        indexLock.unlock();
      }
      LogRewrite rewrite = LogRewrite.start(dir, s);
      long removed;
      try {
        LogSegment out = rewrite.writeKept(fromSeq, from, keep);
        writeLock.lock();
        try (FileLock lock = shm.lock(WRITE_LOCK)) {
          indexLock.lock();
          try {
            catchUp();
            if (segment != s) {
              throw new IOException("another process compacted the store meanwhile");
            }
            rewrite.copyFrom(fromSeq);
            rewrite.install();
            shm.publish(out.generation, out.end);
            shm.markCounter(out.header.mark().counter());
            marked = word(out.generation, out.end); // the new file's mark covers all of it
            shm.durable(word(out.generation, out.end));
            shm.notifyWatchers();
            retired.add(s.channel);
            segment = out;
            removed = s.entryCount() - out.entryCount();
          } finally {
            indexLock.unlock();
          }
        } finally {
          writeLock.unlock();
        }
      } catch (IOException | RuntimeException e) {
        rewrite.abandon();
        throw e;
      }
      return removed;
    } catch (IOException e) {
      throw new StorageException(
          "compaction of " + dir + " failed; the store is unchanged: " + e, e);
    } finally {
      compactLock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static void warn(String message, Exception e) {
    LOG.log(System.Logger.Level.WARNING, message, e);
  }

  /**
   * At a clean close, when the log has grown enough since its index file: writes a new one, unless
   * a compaction runs (it writes one).
   */
  private void writeIndexFileAtClose() {
    LogSegment s = segment;
    long unindexed = s.end - s.indexFileCovers();
    if (unindexed < Math.max(INDEX_AFTER_BYTES, s.indexFileCovers() / 16)
        || s.header.version() < LogFormat.VERSION
        || !compactLock.tryLock()) {
      return;
    }
    try (FileLock compacting = shm.tryLock(COMPACT_LOCK)) {
      if (compacting != null && generation(shm.published()) == s.generation) {
        LogSegment.View view;
        indexLock.lock();
        try {
          view = s.view();
        } finally {
          indexLock.unlock();
        }
        Path tmp = LogIndexFile.tmpFile(dir, s.generation);
        if (LogIndexFile.write(tmp, s, view)) { // sealed: durable up to its end
          Files.move(tmp, LogIndexFile.file(dir, s.generation), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException | RuntimeException e) {
      warn("cannot write the index file of " + s.file + "; the log is read when opened: " + e, e);
    } finally {
      compactLock.unlock();
    }
  }

  /**
   * Under the write lock, with nothing else appending: rewrites {@code s} whole in the current
   * format as the next generation (a version-1 log, when opened).
   */
  // ---- change notification ----

  dev.cairn.Subscription watch(Runnable onAppend) {
    return tail.watch(onAppend);
  }
}
