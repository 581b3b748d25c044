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
  private static final byte[] SHM_MAGIC = "CAIRNSHM".getBytes(StandardCharsets.US_ASCII);
  private static final long END_BITS = 40;
  private static final long END_MASK = (1L << END_BITS) - 1;

  /**
   * The log grows in zero-filled steps of this size, so that an fsync after an append flushes data
   * only: appending past the end of a file would change its size and cost a journal commit each.
   */
  static final int PREALLOCATE = 4 << 20;

  private static final long LOCK_TIMEOUT_NANOS = 60_000_000_000L;
  private static final long MARK_EVERY_NANOS = 200_000_000L;
  private static final long MARK_EVERY_BYTES = 1 << 20;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final Map<Path, FileLog> OPEN = new HashMap<>();

  private final Path dir;
  private final FileChannel shmChannel;
  private final MappedByteBuffer shm;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ReentrantLock queueLock = new ReentrantLock();
  private final List<Request> queue = new ArrayList<>(); // guarded by queueLock
  private final java.util.concurrent.locks.Condition syncDone = queueLock.newCondition();
  private boolean leading; // guarded by queueLock
  private boolean syncing; // guarded by queueLock
  private final ReentrantLock indexLock = new ReentrantLock();
  private final List<FileChannel> retired = new ArrayList<>();
  private final dev.cairn.spi.Watchers watchers = new dev.cairn.spi.Watchers();
  private volatile Segment segment;
  private volatile Thread watchThread;
  private int refs;
  // the durable mark this process last wrote or found, as a word: written under the sync lock,
  // or by recovery and compaction, which exclude every other writer of marks in this process
  private long marked;
  private long markedAt = System.nanoTime() - MARK_EVERY_NANOS;

  /** The log of one generation and this process's index of it. */
  private static final class Segment {
    final long generation;
    final FileChannel channel;
    final LogFormat.Header header;
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
      Thread t = watchThread;
      if (t != null) {
        LockSupport.unpark(t);
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
    queueLock.lock();
    try {
      while (syncing) {
        syncDone.awaitUninterruptibly();
      }
      syncing = true;
    } finally {
      queueLock.unlock();
    }
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
      queueLock.lock();
      syncing = false;
      syncDone.signalAll();
      queueLock.unlock();
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
      segment = recover();
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
        Segment upgraded = rewrite(s, (key, entries) -> entries);
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
    for (Path f : stale) {
      Files.deleteIfExists(f);
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
   * dev.cairn.spi.Backend#ANY_HEAD}). Returns the last sequence number appended, or 0.
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
      watchers.fire();
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
    try (FileLock lock = lock(0)) {
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
    Segment s = segment;
    Refs log = s.keys.get(r.key);
    long head = log == null ? 0 : log.lastSeq();
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
      index(s, new Ref(r.key, ++seq, at + fixed, p.length));
      at += fixed + p.length;
    }
    s.end = at;
    publish(s.generation, at);
    return s.lastSeq;
  }

  /**
   * Returns once the log is durable up to {@code end}. One thread per process fsyncs at a time,
   * covering everything published so far; the others wait for it and usually find their append
   * covered, so one fsync serves many writers, of this process and of others.
   */
  private void awaitDurable(long generation, long end) {
    queueLock.lock();
    try {
      while (!covered(generation, end)) {
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
    try (FileLock lock = lock(1)) {
      if (!covered(generation, segment.end)) {
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
   * Rewrites the log with the entries {@code keep} selects into the next generation. Holds the
   * write lock throughout: appends wait, reads go on.
   */
  long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    writeLock.lock();
    try (FileLock lock = lock(0)) {
      indexLock.lock();
      try {
        catchUp();
        Segment s = segment;
        long removed = s.bySeq.size;
        Segment next = rewrite(s, keep);
        removed -= next.bySeq.size;
        publish(next.generation, next.end);
        shm.putLong(SHM_MARK_COUNTER, next.header.mark().counter());
        marked = word(next.generation, next.end); // the new file's mark covers all of it
        LONGS.setVolatile(shm, SHM_DURABLE, word(next.generation, next.end));
        retired.add(s.channel);
        segment = next;
        return removed;
      } finally {
        indexLock.unlock();
      }
    } catch (IOException e) {
      throw new StorageException(
          "compaction of " + dir + " failed; the store is unchanged: " + e, e);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Under the write lock: writes the entries {@code keep} selects from {@code s} as the next
   * generation, in the current format, durably, renames it into place and deletes {@code s}'s file.
   * Returns the new generation, indexed. Its durable mark covers all of it.
   */
  private Segment rewrite(Segment s, BiFunction<String, List<LogEntry>, List<LogEntry>> keep)
      throws IOException {
    long next = s.generation + 1;
    Path tmp = dir.resolve(logName(next) + ".tmp");
    Files.deleteIfExists(tmp);
    List<Ref> kept = new ArrayList<>();
    long size = HEADER_END;
    for (Map.Entry<String, Refs> e : s.keys.entrySet()) {
      Refs log = e.getValue();
      List<LogEntry> entries = new ArrayList<>(log.size);
      Map<Long, Ref> bySeq = new HashMap<>();
      for (int i = 0; i < log.size; i++) {
        entries.add(load(s, log.items[i]));
        bySeq.put(log.items[i].seq, log.items[i]);
      }
      for (LogEntry c : keep.apply(e.getKey(), List.copyOf(entries))) {
        Ref r = bySeq.get(c.seq());
        kept.add(r);
        size +=
            LogFormat.RECORD_PREFIX
                + LogFormat.RECORD_FIXED
                + r.key.getBytes(StandardCharsets.UTF_8).length
                + r.length;
      }
    }
    kept.sort((a, b) -> Long.compare(a.seq, b.seq));
    Segment out = createLog(tmp, next, s.storeId(), size);
    try {
      long pos = HEADER_END;
      for (Ref r : kept) {
        byte[] key = r.key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer rec = LogFormat.encode(key, List.of(load(s, r).payload()), r.seq);
        writeFully(out.channel, rec, pos);
        index(out, new Ref(r.key, r.seq, pos + rec.capacity() - r.length, r.length));
        pos += rec.capacity();
      }
      out.end = pos;
      out.channel.force(true);
      Files.move(tmp, dir.resolve(logName(next)), StandardCopyOption.ATOMIC_MOVE);
      syncDirectory();
    } catch (IOException | RuntimeException e) {
      closeQuietly(out.channel);
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.deleteIfExists(dir.resolve(logName(s.generation)));
    return out;
  }

  // ---- change notification ----

  AutoCloseable watch(Runnable onAppend) {
    AutoCloseable registration = watchers.add(onAppend);
    synchronized (this) {
      if (watchThread == null) {
        watchThread = new Thread(this::followTail, "cairn-watch " + dir.getFileName());
        watchThread.setDaemon(true);
        watchThread.start();
      }
    }
    return registration;
  }

  /** Watches the published end for appends by other processes; about a millisecond of latency. */
  private void followTail() {
    long seen = publishedWord();
    while (!watchers.isEmpty()) {
      long now = publishedWord();
      if (now != seen) {
        seen = now;
        watchers.fire();
      }
      LockSupport.parkNanos(1_000_000);
    }
    synchronized (this) {
      watchThread = null;
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

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing a channel we only read or already forced: nothing to recover
    }
  }
}
