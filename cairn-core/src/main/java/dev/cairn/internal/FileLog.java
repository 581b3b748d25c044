package dev.cairn.internal;

import dev.cairn.InvalidLocationException;
import dev.cairn.StorageException;
import dev.cairn.StoreFormatException;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
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
 *   <li>{@code cairn.shm} — 4096 bytes mapped into every process; it holds hints, never data: it
 *       can be deleted while no process has the store open. Byte 0 is locked by the process that
 *       appends (the write lock), byte 1 by the process that fsyncs (the sync lock).
 * </ul>
 *
 * <p>An append writes all its records with one write while holding the write lock, then publishes
 * the new end of the log in {@code cairn.shm}; readers never read past the published end, so a
 * half-written append is never visible.
 *
 * <h2>Opening: a torn write or damage</h2>
 *
 * Opening reads the whole log. Where it stops reading (a record that is short, fails its checksum,
 * or belongs to an append that does not end) is a torn write only if nothing there was ever
 * acknowledged: the stop lies at or after the durable point (the log's durable mark, or the one in
 * {@code cairn.shm}), at or after the published end (if {@code cairn.shm} was written on this boot
 * of the operating system), and, if the operating system has not restarted since the durable mark
 * was written, no whole append follows it (a crashed process cannot leave one behind: every later
 * append starts where the torn one did, and the "begins an append" flag tells a left-over piece
 * from the start of one). Then what follows the stop is zeroed. Otherwise the log is damaged:
 * opening fails with a {@link StoreFormatException} naming the file and the offset, and nothing is
 * changed.
 *
 * <h2>Shared memory, {@code cairn.shm} (little-endian)</h2>
 *
 * <pre>
 *   0   8  magic "CAIRNSHM"
 *   8   4  version, 2
 *   16  8  published: generation &lt;&lt; 40 | end offset of the log
 *   24  8  durable:   generation &lt;&lt; 40 | offset up to which the log is fsynced
 *   32  8  counter of the last durable mark written to the log
 *   40  16 store id of the log these hints are about
 *   56  16 boot id of the operating system when the published end was last recovered
 *   72  8  how many processes watch for appends (they count themselves in and out)
 *   80  1  written after each publication while some process watches, to wake it through the
 *          kernel's file notifications
 *   4096   the slots of the {@link AppendQueue}
 * </pre>
 */
final class FileLog {
  static final String SHM = "cairn.shm";
  private static final int SHM_VERSION = 2;
  private static final int SHM_SIZE = 4096;
  private static final int SHM_PUBLISHED = 16;
  private static final int SHM_DURABLE = 24;
  private static final int SHM_MARK_COUNTER = 32;
  private static final int SHM_STORE_ID = 40;
  private static final int SHM_BOOT_ID = 56;
  private static final int SHM_WATCHING = 72;
  private static final int SHM_NOTIFY = 80;
  private static final byte[] SHM_MAGIC = "CAIRNSHM".getBytes(StandardCharsets.US_ASCII);
  private static final long END_BITS = 40;
  private static final long END_MASK = (1L << END_BITS) - 1;

  /**
   * The log grows in zero-filled steps of this size, so that an fsync after an append flushes data
   * only: appending past the end of a file would change its size and cost a journal commit each.
   */
  static final int PREALLOCATE = 4 << 20;

  private static final long LOCK_TIMEOUT_NANOS = 60_000_000_000L;
  private static final long COMPACT_LOCK = 2; // byte of cairn.shm held by the compacting process
  private static final String CRASH_AT = System.getProperty("cairn.test.crashAt", "");
  private static final long MARK_EVERY_NANOS = 200_000_000L;
  private static final long MARK_EVERY_BYTES = 1 << 20;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final Map<Path, FileLog> OPEN = new HashMap<>();

  private final Path dir;
  private final FileChannel shmChannel;
  private final MappedByteBuffer shm;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ReentrantLock syncLock = new ReentrantLock(); // one fsync at a time per process
  private final ReentrantLock compactLock = new ReentrantLock();
  private final AppendQueue queue;
  private final ReentrantLock indexLock = new ReentrantLock();
  private final List<FileChannel> retired = new ArrayList<>();
  private final dev.cairn.spi.Watchers watchers = new dev.cairn.spi.Watchers();
  private volatile Segment segment;
  private volatile Thread watchThread;
  private volatile java.nio.file.WatchService watchEvents;
  private int refs;
  // the durable mark this process last wrote or found, as a word: written under the sync lock,
  // or by recovery and compaction, which exclude every other writer of marks in this process
  private long marked;
  private long markedAt = System.nanoTime() - MARK_EVERY_NANOS;

  /** The log of one generation and this process's index of it. */
  private static final class Segment {
    final long generation;
    final FileChannel channel;
    LogFormat.Header header; // its durable mark changes when a compaction installs the file
    final Map<String, Refs> keys = new ConcurrentHashMap<>();
    final Refs bySeq = new Refs();
    volatile long end;
    long lastSeq;
    long allocated; // file size as last seen under the write lock

    Segment(FileChannel channel, LogFormat.Header header) {
      this.generation = header.generation();
      this.channel = channel;
      this.header = header;
      this.end = header.size();
    }

    String storeId() {
      return header.storeId();
    }
  }

  /** Where one entry's payload lies. */
  private record Ref(String key, long seq, long offset, int length) {}

  /**
   * A growable array of refs: appended to under the index lock, read without locks (the array is
   * replaced before the size grows, so a reader that reads the size first sees every element).
   */
  private static final class Refs {
    private volatile Ref[] items = new Ref[2];
    private volatile int size;

    void add(Ref ref) {
      Ref[] a = items;
      if (size == a.length) {
        a = Arrays.copyOf(a, a.length * 2);
        items = a;
      }
      a[size] = ref;
      size = size + 1;
    }

    long lastSeq() {
      int n = size;
      return n == 0 ? 0 : items[n - 1].seq;
    }
  }

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
      watchers.clear();
      java.nio.file.WatchService events = watchEvents;
      if (events != null) {
        closeQuietly(events); // wakes the watch thread, which ends
      }
      try {
        seal();
      } finally {
        closeQuietly(shmChannel);
        closeQuietly(segment.channel);
        retired.forEach(FileLog::closeQuietly);
      }
    }
  }

  /**
   * Makes everything published durable and writes the exact durable mark, itself durable: after a
   * clean close the log alone tells a torn write from damage, to the last byte.
   */
  private void seal() {
    syncLock.lock();
    try (FileLock lock = lock(1)) {
      long target = publishedWord();
      Segment s = segment;
      if (generation(target) == s.generation && target != marked) {
        s.channel.force(false);
        LogFormat.Mark mark = LogFormat.nextMark(end(target), shm.getLong(SHM_MARK_COUNTER));
        LogFormat.writeMark(s.channel, mark);
        s.channel.force(false);
        shm.putLong(SHM_MARK_COUNTER, mark.counter());
        marked = target;
        if (!covered(generation(target), end(target))) {
          LONGS.setVolatile(shm, SHM_DURABLE, target);
        }
      }
    } catch (IOException e) {
      throw new StorageException("fsync of " + dir + " when closing it failed: " + e, e);
    } finally {
      syncLock.unlock();
    }
  }

  private FileLog(Path dir, boolean create) {
    this.dir = dir;
    if (!checkDirectory(dir) && !create) {
      throw new InvalidLocationException(
          "no store at " + dir + " (nothing was created: only writes create a store)");
    }
    try {
      Files.createDirectories(dir);
      shmChannel =
          FileChannel.open(
              dir.resolve(SHM),
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new InvalidLocationException("cannot open store directory " + dir + ": " + e, e);
    }
    try (FileLock lock = lock(0)) {
      shm = mapShm();
      queue = new AppendQueue(shmChannel);
      segment = recover();
      queue.settle(publishedWord());
    } catch (IOException e) {
      closeQuietly(shmChannel);
      throw new StorageException("cannot open store " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(shmChannel);
      throw e;
    }
  }

  /**
   * Refuses, before creating anything, a path that is a file or a directory of something else.
   *
   * @return whether a store is there
   */
  private static boolean checkDirectory(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new InvalidLocationException("store location " + dir + " is a file, not a directory");
    }
    if (!Files.isDirectory(dir)) {
      return false;
    }
    boolean cairn = false;
    boolean log = false;
    List<String> others = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (generationOf(name) > 0) {
          cairn = true;
          log |= !name.endsWith(".tmp");
        } else if (name.equals(SHM) || name.equals(HostChannel.DIRECTORY)) {
          cairn = true;
        } else {
          others.add(name);
        }
      }
    } catch (IOException e) {
      throw new InvalidLocationException("cannot read store directory " + dir + ": " + e, e);
    }
    if (!cairn && !others.isEmpty()) {
      throw new StoreFormatException(
          "%s is not a Cairn store: it holds other files (%s) and no %s"
              .formatted(
                  dir, String.join(", ", others.subList(0, Math.min(3, others.size()))), SHM));
    }
    return log;
  }

  private MappedByteBuffer mapShm() throws IOException {
    boolean fresh = shmChannel.size() < SHM_SIZE;
    MappedByteBuffer map = shmChannel.map(FileChannel.MapMode.READ_WRITE, 0, SHM_SIZE);
    map.order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    map.get(0, magic);
    int version = map.getInt(8);
    if (!fresh && !Arrays.equals(magic, new byte[8]) && !Arrays.equals(magic, SHM_MAGIC)) {
      throw new StoreFormatException(dir.resolve(SHM) + " is not a Cairn file (bad magic)");
    }
    if (Arrays.equals(magic, SHM_MAGIC) && version > SHM_VERSION) {
      throw new StoreFormatException(
          "%s has version %d; this Cairn reads version %d (a newer Cairn has the store open?)"
              .formatted(dir.resolve(SHM), version, SHM_VERSION));
    }
    if (fresh || !Arrays.equals(magic, SHM_MAGIC) || version < SHM_VERSION) {
      // new, or left by an older Cairn: hints only, so start afresh
      map.put(0, new byte[SHM_SIZE]);
      map.put(0, SHM_MAGIC).putInt(8, SHM_VERSION);
    }
    return map;
  }

  /**
   * What {@code cairn.shm} says about a log, where it is about that log.
   *
   * @param durable where the log is fsynced up to, 0 if unknown
   * @param published where every process was told the log ends, if that was on this boot; else -1
   * @param markCounter the counter of the last durable mark written
   */
  record Hints(long durable, long published, long markCounter) {
    static final Hints NONE = new Hints(0, -1, 0);
  }

  private Hints hints(String storeId, long generation) {
    byte[] bytes = new byte[SHM_BOOT_ID + 16];
    shm.get(0, bytes);
    return hints(bytes, storeId, generation);
  }

  /** Reads the hints in {@code dir}'s shared file without locking, mapping or creating it. */
  static Hints readHints(Path dir, String storeId, long generation) {
    try (FileChannel ch = FileChannel.open(dir.resolve(SHM), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(SHM_BOOT_ID + 16);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // read what there is
      }
      return hints(b.array(), storeId, generation);
    } catch (IOException e) {
      return Hints.NONE; // no shared file: nothing but the log is known
    }
  }

  private static Hints hints(byte[] shm, String storeId, long generation) {
    ByteBuffer b = ByteBuffer.wrap(shm).order(ByteOrder.LITTLE_ENDIAN);
    if (!Arrays.equals(Arrays.copyOf(shm, 8), SHM_MAGIC)
        || b.getInt(8) != SHM_VERSION
        || !Arrays.equals(
            Arrays.copyOfRange(shm, SHM_STORE_ID, SHM_STORE_ID + 16), uuidBytes(storeId))) {
      return Hints.NONE;
    }
    boolean thisBoot = LogFormat.isThisBoot(Arrays.copyOfRange(shm, SHM_BOOT_ID, SHM_BOOT_ID + 16));
    long d = b.getLong(SHM_DURABLE);
    long p = b.getLong(SHM_PUBLISHED);
    return new Hints(
        generation(d) == generation ? end(d) : 0,
        thisBoot && generation(p) == generation ? end(p) : -1,
        b.getLong(SHM_MARK_COUNTER));
  }

  private static byte[] uuidBytes(String storeId) {
    UUID id = UUID.fromString(storeId);
    return ByteBuffer.allocate(16)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  /**
   * Under the write lock: finds the current generation, builds the index by reading the log, tells
   * a torn write (cleared) from damage (refused), and publishes the end. A log of format version 1
   * is rewritten as the current version. Leftovers of an interrupted compaction are removed.
   */
  private Segment recover() throws IOException {
    List<Long> generations = new ArrayList<>();
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".tmp")) {
          stale.add(f); // a compaction that did not finish
        } else if (generationOf(name) > 0) {
          generations.add(generationOf(name));
        }
      }
    }
    long generation = generations.stream().mapToLong(Long::longValue).max().orElse(0);
    for (long g : generations) {
      if (g < generation) {
        stale.add(dir.resolve(logName(g))); // a compaction that finished but for the delete
      }
    }
    Segment s =
        generation == 0
            ? createLog(dir.resolve(logName(1)), 1, UUID.randomUUID().toString(), HEADER_END)
            : openLog(generation);
    try {
      Hints hints = hints(s.storeId(), s.generation);
      long durable = Math.max(s.header.mark().end(), hints.durable());
      readAll(s, durable, hints.published());
      long counter = Math.max(s.header.mark().counter(), hints.markCounter());
      if (s.header.version() < LogFormat.VERSION) {
        Segment upgraded = rewrite(s);
        closeQuietly(s.channel);
        s = upgraded;
        counter = upgraded.header.mark().counter();
      } else if (s.header.mark().end() != s.end || !s.header.mark().thisBoot()) {
        // the recovered end becomes the durable point, recorded for this boot
        try (FileLock sync = lock(1)) {
          s.channel.force(false);
          counter = Math.max(counter, shm.getLong(SHM_MARK_COUNTER));
          LogFormat.Mark mark = LogFormat.nextMark(s.end, counter);
          LogFormat.writeMark(s.channel, mark);
          s.channel.force(false);
          counter = mark.counter();
        }
      }
      marked = word(s.generation, s.end);
      shm.put(SHM_STORE_ID, uuidBytes(s.storeId()));
      shm.put(SHM_BOOT_ID, LogFormat.bootId());
      shm.putLong(SHM_MARK_COUNTER, counter);
      publish(s.generation, s.end);
      LONGS.setVolatile(shm, SHM_DURABLE, word(s.generation, s.end));
    } catch (IOException | RuntimeException e) {
      closeQuietly(s.channel);
      throw e;
    }
    try (FileLock compacting = tryLock(COMPACT_LOCK)) {
      for (Path f : stale) {
        if (compacting != null || !f.toString().endsWith(".tmp")) {
          Files.deleteIfExists(f); // not the file of a compaction that runs now
        }
      }
    }
    return s;
  }

  /** Where a new log's records begin: its header is a whole page. */
  private static final long HEADER_END = LogFormat.HEADER_SIZE;

  /**
   * Indexes every whole append of the log, then decides what the rest is: zeros; a torn write,
   * zeroed here; or damage, refused with nothing changed.
   *
   * @param durable where the log is known to have been fsynced up to
   * @param published where every process was told the log ends, if that was on this boot; else -1
   */
  private void readAll(Segment s, long durable, long published) throws IOException {
    long size = s.channel.size();
    if (size < Math.max(durable, published)) {
      throw damaged(
          s,
          size,
          "the file ends at byte %d, but its first %d bytes had been written and fsynced: it was cut short"
              .formatted(size, Math.max(durable, published)));
    }
    LogScanner scanner = new LogScanner(s.channel, s.header.version(), size);
    LogScanner.Stop stop = scanner.readAppends(s.header.size(), 0, records -> index(s, records));
    s.end = stop.end();
    if (stop.clean() && scanner.zeroFrom(stop.end())) {
      return; // nothing but zeros follows the data
    }
    long at = stop.clean() ? stop.end() : stop.badAt();
    String what =
        stop.clean() ? "bytes that are not a record follow the end of the data" : stop.what();
    long next = scanner.resync(stop.end() + 1, stop.lastSeq());
    if (isDamage(s.header, stop.end(), durable, published, next >= 0)) {
      throw damaged(
          s,
          at,
          what
              + (stop.end() < durable
                  ? ", before byte %d, up to which the log was fsynced".formatted(durable)
                  : published > stop.end()
                      ? ", before byte %d, where every process was told it ends"
                          .formatted(published)
                      : "; whole appends follow at byte " + next));
    }
    // a torn write: bytes past the durable point that no process was told of
    zero(s.channel, stop.end(), size);
    s.channel.force(false);
  }

  /**
   * Whether reading that stopped at {@code stop} (the end of the last whole append) stopped at
   * damage rather than at a torn write: the stop lies before what was fsynced, or before what was
   * published on this boot, or whole appends follow it and no operating-system crash can have lost
   * pages in between (the durable mark is of this boot; a version-1 log has none, so there the rule
   * holds always).
   */
  static boolean isDamage(
      LogFormat.Header header, long stop, long durable, long published, boolean appendsFollow) {
    return stop < durable
        || stop < published
        || appendsFollow && (header.version() < LogFormat.VERSION || header.mark().thisBoot());
  }

  private StoreFormatException damaged(Segment s, long at, String what) {
    return new StoreFormatException(
        "%s is damaged at byte %d: %s.%s"
            .formatted(dir.resolve(logName(s.generation)), at, what, LogFormat.DAMAGE_ADVICE));
  }

  private static void zero(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
    for (long pos = from; pos < to; pos += zeros.capacity()) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
      writeFully(ch, zeros, pos);
    }
  }

  /** Under the write lock: makes sure the file has room for {@code bytes} more after the end. */
  private static void reserve(Segment s, int bytes) throws IOException {
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

  /**
   * Creates a log file of the current format whose first {@code end} bytes will be durable once
   * forced (its durable mark says so).
   */
  private Segment createLog(Path file, long generation, String storeId, long end)
      throws IOException {
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      writeFully(ch, LogFormat.header(generation, storeId), 0);
      LogFormat.Mark mark = LogFormat.nextMark(end, 0);
      LogFormat.writeMark(ch, mark);
      if (end == HEADER_END) {
        ch.force(true);
        syncDirectory();
      }
      return new Segment(
          ch,
          new LogFormat.Header(
              LogFormat.VERSION, LogFormat.HEADER_SIZE, generation, storeId, mark));
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private Segment openLog(long generation) throws IOException {
    Path file = dir.resolve(logName(generation));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      return new Segment(ch, LogFormat.readHeader(ch, file, generation));
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /** The generation of the newest log file in {@code dir}, 0 if there is none. */
  static long newestGeneration(Path dir) {
    long newest = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".tmp")) {
          newest = Math.max(newest, generationOf(name));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return newest;
  }

  static String logName(long generation) {
    return "data-%08d.log".formatted(generation);
  }

  /** The generation in a log file's name ({@code data-N.log} or {@code data-N.log.tmp}), else 0. */
  static long generationOf(String name) {
    if (!name.startsWith("data-")) {
      return 0;
    }
    int end = name.indexOf(".log");
    try {
      return end < 0 ? 0 : Long.parseLong(name.substring(5, end));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  // ---- shared memory ----

  private static long word(long generation, long end) {
    return generation << END_BITS | end;
  }

  private static long generation(long word) {
    return word >>> END_BITS;
  }

  private static long end(long word) {
    return word & END_MASK;
  }

  private long publishedWord() {
    return (long) LONGS.getVolatile(shm, SHM_PUBLISHED);
  }

  private long durableWord() {
    return (long) LONGS.getVolatile(shm, SHM_DURABLE);
  }

  private void publish(long generation, long end) {
    LONGS.setVolatile(shm, SHM_PUBLISHED, word(generation, end));
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
    long w = publishedWord();
    Segment s = segment;
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
    long w = publishedWord();
    Segment s = segment;
    try {
      if (generation(w) != s.generation) {
        Segment next = openLog(generation(w));
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
  private void scan(Segment s, long to) throws IOException {
    long size = s.channel.size();
    if (size < to) {
      throw damaged(s, size, "the file ends before byte " + to + ", where the log was published");
    }
    LogScanner scanner = new LogScanner(s.channel, s.header.version(), to);
    LogScanner.Stop stop = scanner.readAppends(s.end, s.lastSeq, records -> index(s, records));
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

  private void index(Segment s, List<LogScanner.Record> records) {
    for (LogScanner.Record r : records) {
      index(s, new Ref(r.key(), r.seq(), r.payloadAt(), r.payloadLength()));
    }
  }

  private void index(Segment s, Ref ref) {
    Refs log = s.keys.get(ref.key);
    Ref r = ref;
    if (log == null) {
      log = new Refs();
      s.keys.put(r.key, log);
    } else {
      r = new Ref(log.items[0].key, r.seq, r.offset, r.length); // share one key string
    }
    log.add(r);
    s.bySeq.add(r);
    s.lastSeq = r.seq;
  }

  long head(String key) {
    refresh();
    Refs log = segment.keys.get(key);
    return log == null ? 0 : log.lastSeq();
  }

  List<LogEntry> read(String key, long afterSeq, int limit) {
    refresh();
    Segment s = segment;
    Refs log = s.keys.get(key);
    if (log == null) {
      return List.of();
    }
    int n = log.size;
    Ref[] items = log.items;
    int from = firstAfter(items, n, afterSeq);
    int to = (int) Math.min(n, (long) from + limit);
    List<LogEntry> out = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      out.add(load(s, items[i]));
    }
    return out;
  }

  /** The index of the first of {@code n} refs, in sequence order, numbered above {@code seq}. */
  private static int firstAfter(Ref[] items, int n, long seq) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (items[mid].seq <= seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  List<String> keys() {
    refresh();
    return new ArrayList<>(segment.keys.keySet());
  }

  long lastSequence() {
    refresh();
    return segment.bySeq.lastSeq();
  }

  List<LogEntry> changes(long since, int limit) {
    refresh();
    Segment s = segment;
    int n = s.bySeq.size;
    Ref[] items = s.bySeq.items;
    List<LogEntry> out = new ArrayList<>();
    for (int i = firstAfter(items, n, since); i < n && out.size() < limit; i++) {
      out.add(load(s, items[i]));
    }
    return out;
  }

  private LogEntry load(Segment s, Ref r) {
    ByteBuffer buf = ByteBuffer.allocate(r.length);
    try {
      readFully(s.channel, buf, r.offset);
    } catch (IOException e) {
      throw new StorageException("cannot read the log of " + dir + ": " + e, e);
    }
    return new LogEntry(r.key, r.seq, buf.array());
  }

  long sizeOnDisk() {
    refresh();
    return segment.end;
  }

  // ---- writing ----

  /**
   * Appends atomically if {@code key}'s head is {@code expectedHead} (or any head for {@link
   * dev.cairn.spi.Backend#ANY_HEAD}). Returns the last sequence number appended, or 0.
   *
   * <p>A conditional append whose condition already fails against the published log fails at once,
   * before any lock. Otherwise the append joins a group through the {@link AppendQueue}: whichever
   * writer of any process finds the write lock free appends every posted append in one write, and
   * one fsync then covers the whole group. An append too large for a slot, or made while every slot
   * is busy, is appended by its writer under the lock, with the posted ones.
   */
  long append(String key, long expectedHead, List<byte[]> payloads, boolean sync) {
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    if (keyBytes.length > 0xffff) {
      throw new IllegalArgumentException("key longer than 65535 bytes");
    }
    if (expectedHead != dev.cairn.spi.Backend.ANY_HEAD && head(key) != expectedHead) {
      return 0;
    }
    AppendQueue.Request request =
        new AppendQueue.Request(key, keyBytes, expectedHead, payloads, sync);
    boolean interrupted = Thread.interrupted(); // an interrupt would close the shared channels
    try {
      AppendQueue.Outcome outcome = null;
      if (AppendQueue.fits(request)) {
        int slot = queue.post(request);
        if (slot >= 0) {
          outcome = awaitSlot(slot);
        }
      }
      if (outcome == null) {
        outcome = appendUnderLock(request);
      }
      if (outcome.error() != null) {
        throw new StorageException(outcome.error(), null);
      }
      if (outcome.seq() != 0) {
        if (sync) {
          awaitDurable(generation(outcome.word()), end(outcome.word()));
        }
        watchers.fire();
      }
      return outcome.seq();
    } catch (IOException e) {
      throw new StorageException("append to " + dir + " failed; nothing was published: " + e, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits for the slot's append, appending the posted group itself whenever the lock is free. */
  private AppendQueue.Outcome awaitSlot(int slot) throws IOException {
    for (int round = 0; ; round++) {
      int phase = queue.phase(slot);
      if (phase == AppendQueue.DONE || phase == AppendQueue.FAILED) {
        return queue.take(slot);
      }
      if (writeLock.tryLock()) {
        try (FileLock lock = tryLock(0)) {
          if (lock != null) {
            appendGroup(null);
            continue;
          }
        } finally {
          writeLock.unlock();
        }
      }
      pause(round);
    }
  }

  /** Takes the write lock, waiting for it, and appends {@code own} with the posted group. */
  private AppendQueue.Outcome appendUnderLock(AppendQueue.Request own) throws IOException {
    writeLock.lock();
    try (FileLock lock = lock(0)) {
      return appendGroup(own);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Under the write lock: appends every posted request, and {@code own} if not null, in one write,
   * and publishes the new end once. Each slot's result is recorded before the write and the slot
   * marked done after the publication, so that a crash in between is settled by the next holder of
   * the lock ({@link AppendQueue#settle}).
   *
   * @return the outcome of {@code own}, or null
   */
  private AppendQueue.Outcome appendGroup(AppendQueue.Request own) {
    indexLock.lock();
    List<Integer> slots = List.of();
    try {
      catchUp();
      queue.settle(publishedWord());
      slots = queue.posted();
      List<AppendQueue.Request> requests = new ArrayList<>(slots.size() + 1);
      for (int slot : slots) {
        requests.add(queue.request(slot));
      }
      if (own != null) {
        requests.add(own);
      }
      Segment s = segment;
      long[] results = new long[requests.size()];
      List<ByteBuffer> records = new ArrayList<>(requests.size());
      Map<String, Long> heads = new HashMap<>();
      long seq = s.lastSeq;
      int bytes = 0;
      for (int i = 0; i < requests.size(); i++) {
        AppendQueue.Request r = requests.get(i);
        long head = heads.computeIfAbsent(r.key(), k -> headOf(s, k));
        if (r.expectedHead() != dev.cairn.spi.Backend.ANY_HEAD && head != r.expectedHead()) {
          continue; // results[i] stays 0
        }
        ByteBuffer batch = LogFormat.encode(r.keyBytes(), r.payloads(), seq + 1);
        records.add(batch);
        bytes += batch.remaining();
        seq += r.payloads().size();
        heads.put(r.key(), seq);
        results[i] = seq;
      }
      long groupEnd = word(s.generation, s.end + bytes);
      for (int i = 0; i < slots.size(); i++) {
        queue.taken(slots.get(i), results[i], groupEnd);
      }
      crashPoint("taken");
      if (bytes > 0) {
        ByteBuffer all = ByteBuffer.allocate(bytes);
        records.forEach(all::put);
        all.flip();
        reserve(s, bytes);
        writeFully(s.channel, all, s.end);
        long at = s.end;
        for (int i = 0; i < requests.size(); i++) {
          if (results[i] == 0) {
            continue;
          }
          AppendQueue.Request r = requests.get(i);
          long first = results[i] - r.payloads().size() + 1;
          int fixed = LogFormat.RECORD_PREFIX + LogFormat.RECORD_FIXED + r.keyBytes().length;
          for (int k = 0; k < r.payloads().size(); k++) {
            int length = r.payloads().get(k).length;
            index(s, new Ref(r.key(), first + k, at + fixed, length));
            at += fixed + length;
          }
        }
        s.end = at;
        crashPoint("written");
        publish(s.generation, at);
        notifyWatchers();
      }
      crashPoint("published");
      slots.forEach(queue::done);
      return own == null
          ? null
          : new AppendQueue.Outcome(results[results.length - 1], groupEnd, null);
    } catch (IOException | RuntimeException e) {
      // nothing was published; a log that could not be read up to its end is damaged
      String message =
          e instanceof IOException
              ? "append to " + dir + " failed; nothing was published: " + e
              : String.valueOf(e.getMessage());
      slots.forEach(slot -> queue.failed(slot, message));
      if (own == null) {
        return null;
      }
      if (e instanceof RuntimeException re && !(e instanceof StorageException)) {
        throw re;
      }
      return new AppendQueue.Outcome(0, 0, message);
    } finally {
      indexLock.unlock();
    }
  }

  /**
   * For crash tests only: the process halts at the named point of a group append when the system
   * property {@code cairn.test.crashAt} names it ({@code AppendQueueCrashTest}).
   */
  private static void crashPoint(String point) {
    if (point.equals(CRASH_AT)) {
      Runtime.getRuntime().halt(99);
    }
  }

  /**
   * For crash tests only: takes the write lock, says so, waits until another writer has posted an
   * append, and appends the posted group.
   */
  void appendPostedGroup(Runnable locked) throws IOException, InterruptedException {
    writeLock.lock();
    try (FileLock lock = lock(0)) {
      locked.run();
      long deadline = System.nanoTime() + LOCK_TIMEOUT_NANOS;
      while (queue.posted().isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no append was posted");
        }
        Thread.sleep(1);
      }
      appendGroup(null);
    } finally {
      writeLock.unlock();
    }
  }

  private static long headOf(Segment s, String key) {
    Refs log = s.keys.get(key);
    return log == null ? 0 : log.lastSeq();
  }

  /**
   * Waits without queueing in the kernel: a few spins, then parks that grow to a fraction of an
   * fsync (spinning longer would take the CPU from the writer being waited for, on a busy machine).
   * Writers of this process are also woken when their slot is done.
   */
  private static void pause(int round) {
    if (round < 4) {
      Thread.onSpinWait();
    } else {
      LockSupport.parkNanos(Math.min(10_000L << Math.min(round - 4, 4), 100_000L));
    }
  }

  /**
   * Returns once the log is durable up to {@code end}. Whoever finds the sync lock free fsyncs
   * everything published so far, by any process; the others watch the durable point in shared
   * memory, so one fsync serves every writer waiting at the time.
   */
  private void awaitDurable(long generation, long end) {
    for (int round = 0; !covered(generation, end); round++) {
      boolean synced = false;
      if (syncLock.tryLock()) {
        try (FileLock lock = tryLock(1)) {
          if (lock != null) {
            synced = true;
            if (!covered(generation, end)) {
              forceUpTo(generation);
            }
          }
        } catch (IOException e) {
          throw new StorageException("fsync of " + dir + " failed: " + e, e);
        } finally {
          syncLock.unlock();
        }
      }
      if (!synced) {
        pause(round);
      }
    }
  }

  /** The one-byte lock at {@code position} of the shared file if it is free, else null. */
  private FileLock tryLock(long position) throws IOException {
    return shmChannel.tryLock(position, 1, false);
  }

  /**
   * Takes the one-byte lock at {@code position} of the shared file. POSIX locks belong to
   * processes, so the kernel can see a deadlock where there is none (this process appends on one
   * thread and waits for the sync lock on another, while another process does the opposite) and
   * refuse with EDEADLK; then the lock is polled instead, which never deadlocks.
   */
  private FileLock lock(long position) throws IOException {
    try {
      return shmChannel.lock(position, 1, false);
    } catch (IOException refused) {
      long deadline = System.nanoTime() + LOCK_TIMEOUT_NANOS;
      while (System.nanoTime() < deadline) {
        FileLock lock = shmChannel.tryLock(position, 1, false);
        if (lock != null) {
          return lock;
        }
        LockSupport.parkNanos(50_000);
      }
      throw refused;
    }
  }

  /**
   * Under the sync lock: fsyncs the log, records how far it is durable in shared memory, and writes
   * that as the log's durable mark, which the next fsync makes durable in turn.
   */
  private void forceUpTo(long generation) throws IOException {
    long target = publishedWord();
    if (generation(target) != generation) {
      return; // compaction rewrote and fsynced the log after this append
    }
    Segment s = segment;
    if (s.generation != generation) {
      refresh();
      s = segment;
    }
    s.channel.force(false);
    if (covered(generation(target), end(target))) {
      return; // someone recorded more meanwhile; never move the durable mark back
    }
    long now = System.nanoTime();
    if (generation(target) != generation(marked)
        || end(target) - end(marked) >= MARK_EVERY_BYTES
        || now - markedAt >= MARK_EVERY_NANOS) {
      LogFormat.Mark mark = LogFormat.nextMark(end(target), shm.getLong(SHM_MARK_COUNTER));
      LogFormat.writeMark(s.channel, mark);
      shm.putLong(SHM_MARK_COUNTER, mark.counter());
      marked = target;
      markedAt = now;
    }
    LONGS.setVolatile(shm, SHM_DURABLE, target);
  }

  private boolean covered(long generation, long end) {
    long d = durableWord();
    return generation(d) > generation || (generation(d) == generation && end(d) >= end);
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
    try (FileLock compacting = lock(COMPACT_LOCK)) {
      refresh();
      Segment s = segment;
      long from = s.end;
      Segment out = startRewrite(s);
      try {
        writeKept(s, from, keep, out);
        out.channel.force(false); // most of the fsync, before writers wait
        writeLock.lock();
        try (FileLock lock = lock(0)) {
          indexLock.lock();
          try {
            catchUp();
            queue.settle(publishedWord());
            if (segment != s) {
              throw new IOException("another process compacted the store meanwhile");
            }
            copyFrom(s, from, out);
            install(s, out);
            publish(out.generation, out.end);
            shm.putLong(SHM_MARK_COUNTER, out.header.mark().counter());
            marked = word(out.generation, out.end); // the new file's mark covers all of it
            LONGS.setVolatile(shm, SHM_DURABLE, word(out.generation, out.end));
            notifyWatchers();
            retired.add(s.channel);
            segment = out;
            return s.bySeq.size - out.bySeq.size;
          } finally {
            indexLock.unlock();
          }
        } finally {
          writeLock.unlock();
        }
      } catch (IOException | RuntimeException e) {
        abandon(out);
        throw e;
      }
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

  /**
   * Under the write lock, with nothing else appending: rewrites {@code s} whole in the current
   * format as the next generation (a version-1 log, when opened).
   */
  private Segment rewrite(Segment s) throws IOException {
    Segment out = startRewrite(s);
    try {
      writeKept(s, s.end, (key, entries) -> entries, out);
      install(s, out);
      return out;
    } catch (IOException | RuntimeException e) {
      abandon(out);
      throw e;
    }
  }

  /** Creates the next generation's file as {@code .tmp}. */
  private Segment startRewrite(Segment s) throws IOException {
    Path tmp = dir.resolve(logName(s.generation + 1) + ".tmp");
    Files.deleteIfExists(tmp); // left by a compaction that died: this process holds the lock
    return createLog(tmp, s.generation + 1, s.storeId(), HEADER_END);
  }

  /**
   * Writes to {@code out} the entries {@code keep} selects among those of {@code s} before {@code
   * to}.
   */
  private void writeKept(
      Segment s, long to, BiFunction<String, List<LogEntry>, List<LogEntry>> keep, Segment out)
      throws IOException {
    List<Ref> kept = new ArrayList<>();
    for (Map.Entry<String, Refs> e : s.keys.entrySet()) {
      Refs log = e.getValue();
      int n = log.size;
      Ref[] items = log.items;
      List<LogEntry> entries = new ArrayList<>(n);
      Map<Long, Ref> bySeq = new HashMap<>();
      for (int i = 0; i < n && items[i].offset < to; i++) {
        entries.add(load(s, items[i]));
        bySeq.put(items[i].seq, items[i]);
      }
      if (entries.isEmpty()) {
        continue;
      }
      for (LogEntry c : keep.apply(e.getKey(), List.copyOf(entries))) {
        kept.add(bySeq.get(c.seq()));
      }
    }
    kept.sort((a, b) -> Long.compare(a.seq, b.seq));
    for (Ref r : kept) {
      copy(s, r, out);
    }
  }

  /** Under the write lock: copies to {@code out} every entry of {@code s} from {@code from} on. */
  private void copyFrom(Segment s, long from, Segment out) throws IOException {
    int n = s.bySeq.size;
    Ref[] items = s.bySeq.items;
    int i = n;
    while (i > 0 && items[i - 1].offset >= from) {
      i--;
    }
    for (; i < n; i++) {
      copy(s, items[i], out);
    }
  }

  private void copy(Segment s, Ref r, Segment out) throws IOException {
    byte[] key = r.key.getBytes(StandardCharsets.UTF_8);
    ByteBuffer rec = LogFormat.encode(key, List.of(load(s, r).payload()), r.seq);
    int length = rec.remaining();
    writeFully(out.channel, rec, out.end);
    index(out, new Ref(r.key, r.seq, out.end + length - r.length, r.length));
    out.end += length;
  }

  /**
   * Marks {@code out} durable to its end, fsyncs it, renames it into place and deletes {@code s}'s
   * file. A crash before the rename leaves {@code s} whole; after it, {@code out}.
   */
  private void install(Segment s, Segment out) throws IOException {
    LogFormat.Mark mark = LogFormat.nextMark(out.end, out.header.mark().counter());
    LogFormat.writeMark(out.channel, mark);
    out.channel.force(true);
    out.header = out.header.withMark(mark);
    Files.move(
        dir.resolve(logName(out.generation) + ".tmp"),
        dir.resolve(logName(out.generation)),
        StandardCopyOption.ATOMIC_MOVE);
    syncDirectory();
    Files.deleteIfExists(dir.resolve(logName(s.generation)));
  }

  private void abandon(Segment out) {
    closeQuietly(out.channel);
    try {
      Files.deleteIfExists(dir.resolve(logName(out.generation) + ".tmp"));
    } catch (IOException ignored) {
      // the next compaction or open removes it
    }
  }

  // ---- change notification ----

  AutoCloseable watch(Runnable onAppend) {
    synchronized (this) {
      AutoCloseable registration = watchers.add(onAppend);
      if (watchThread == null) {
        watchThread = new Thread(this::followTail, "cairn-watch " + dir.getFileName());
        watchThread.setDaemon(true);
        watchThread.start();
      }
      return registration;
    }
  }

  /** Whether the watch thread goes on; if not, it is gone as far as {@link #watch} knows. */
  private synchronized boolean stillWatched() {
    if (watchers.isEmpty()) {
      watchThread = null;
      return false;
    }
    return true;
  }

  /**
   * Tells the processes that watch the store that the published end moved: a one-byte write to
   * {@code cairn.shm}, which the kernel reports to their {@link java.nio.file.WatchService}. Costs
   * nothing while no process watches.
   */
  private void notifyWatchers() throws IOException {
    if ((long) LONGS.getVolatile(shm, SHM_WATCHING) > 0) {
      writeFully(shmChannel, ByteBuffer.wrap(new byte[] {1}), SHM_NOTIFY);
    }
  }

  /**
   * Watches the published end for appends by other processes: woken by the kernel when a file of
   * the directory is written (a notice after each publication), and checking at least every 100 ms
   * in case a notice was lost.
   */
  private void followTail() {
    LONGS.getAndAdd(shm, SHM_WATCHING, 1L);
    try (java.nio.file.WatchService events = dir.getFileSystem().newWatchService()) {
      watchEvents = events;
      dir.register(events, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
      long seen = publishedWord();
      while (stillWatched()) {
        java.nio.file.WatchKey key = events.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
        long now = publishedWord();
        if (now != seen) {
          seen = now;
          watchers.fire();
        }
      }
    } catch (IOException e) {
      pollTail(); // no kernel notices here: poll
    } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
      // the store was closed
    } finally {
      watchEvents = null;
      LONGS.getAndAdd(shm, SHM_WATCHING, -1L);
      synchronized (this) {
        if (watchThread == Thread.currentThread()) {
          watchThread = null;
        }
      }
    }
  }

  /** Watches the published end every millisecond. */
  private void pollTail() {
    long seen = publishedWord();
    while (stillWatched()) {
      long now = publishedWord();
      if (now != seen) {
        seen = now;
        watchers.fire();
      }
      LockSupport.parkNanos(1_000_000);
    }
  }

  // ---- I/O helpers ----

  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        throw new IOException("unexpected end of file at " + (pos + buf.position()));
      }
    }
    buf.flip();
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long at = pos;
    while (buf.hasRemaining()) {
      at += ch.write(buf, at);
    }
  }

  private static void closeQuietly(java.io.Closeable ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing a channel we only read or already forced: nothing to recover
    }
  }
}
