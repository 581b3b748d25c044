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
import java.util.zip.CRC32C;

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
 *   <li>{@code data-NNNNNNNN.log} — the log. {@code N} is the generation; compaction writes
 *       generation {@code N+1} to a {@code .tmp} file, fsyncs it, renames it into place and deletes
 *       the older one, so the highest-numbered {@code .log} file is always complete.
 *   <li>{@code cairn.shm} — 4096 bytes mapped into every process; it holds hints, never data: it
 *       can be deleted while no process has the store open. Byte 0 is locked by the process that
 *       appends (the write lock), byte 1 by the process that fsyncs (the sync lock).
 * </ul>
 *
 * <h2>Log format, version 1 (little-endian)</h2>
 *
 * <pre>
 * header, 64 bytes
 *   0   8  magic "CAIRNLOG"
 *   8   4  format version, 1; a higher version is refused
 *   12  4  header size, 64
 *   16  8  generation
 *   24  16 store id (UUID, most then least significant half)
 *   40  24 zero
 * then records, back to back, then zeros to the end of the file (the log grows in zero-filled
 * steps of PREALLOCATE bytes; a record length of 0 marks the end)
 *   0   4  n, the length of what follows the checksum (at least 11)
 *   4   4  CRC-32C of those n bytes
 *   8   1  flags: bit 0 = the next record belongs to the same append
 *   9   8  sequence number
 *   17  2  key length k
 *   19  k  key, UTF-8
 *   19+k   payload (n - 11 - k bytes)
 * </pre>
 *
 * <p>An append writes all its records with one write while holding the write lock, then publishes
 * the new end of the log in {@code cairn.shm}; readers never read past the published end, so a
 * half-written append is never visible. The records of one append become visible together: a reader
 * that scans the file after a crash stops at the first record that is torn (short, or with a bad
 * checksum) or whose append is incomplete, and the next process to open the store zeroes the file
 * from there on.
 *
 * <h2>Shared memory, {@code cairn.shm} (little-endian)</h2>
 *
 * <pre>
 *   0   8  magic "CAIRNSHM"
 *   8   4  version, 1
 *   16  8  published: generation &lt;&lt; 40 | end offset of the log
 *   24  8  durable:   generation &lt;&lt; 40 | offset up to which the log is fsynced
 * </pre>
 */
final class FileLog {
  static final String SHM = "cairn.shm";
  static final int FORMAT_VERSION = 1;
  static final int HEADER_SIZE = 64;
  private static final int SHM_VERSION = 1;
  private static final int SHM_SIZE = 4096;
  private static final long SHM_PUBLISHED = 16;
  private static final long SHM_DURABLE = 24;
  private static final byte[] LOG_MAGIC = "CAIRNLOG".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SHM_MAGIC = "CAIRNSHM".getBytes(StandardCharsets.US_ASCII);
  private static final int RECORD_PREFIX = 8;
  private static final int RECORD_FIXED = 11; // flags, seq, key length
  private static final int FLAG_CONTINUED = 1;
  private static final long END_BITS = 40;
  private static final long END_MASK = (1L << END_BITS) - 1;

  /**
   * The log grows in zero-filled steps of this size, so that an fsync after an append flushes data
   * only: appending past the end of a file would change its size and cost a journal commit each.
   */
  static final int PREALLOCATE = 4 << 20;

  private static final long LOCK_TIMEOUT_NANOS = 60_000_000_000L;

  /** The largest record: a payload, its key and framing. */
  static final int MAX_RECORD = 64 * 1024 * 1024;

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

  /** The log of one generation and this process's index of it. */
  private static final class Segment {
    final long generation;
    final FileChannel channel;
    final String storeId;
    final Map<String, Refs> keys = new ConcurrentHashMap<>();
    final Refs bySeq = new Refs();
    volatile long end;
    long lastSeq;
    long allocated; // file size as last seen under the write lock

    Segment(long generation, FileChannel channel, String storeId) {
      this.generation = generation;
      this.channel = channel;
      this.storeId = storeId;
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

  static FileLog acquire(Path dir) {
    synchronized (OPEN) {
      Path key = realPath(dir);
      FileLog log = OPEN.get(key);
      if (log == null) {
        log = new FileLog(key);
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
  private static Path realPath(Path dir) {
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
      closeQuietly(shmChannel);
      closeQuietly(segment.channel);
      retired.forEach(FileLog::closeQuietly);
    }
  }

  private FileLog(Path dir) {
    this.dir = dir;
    checkDirectory(dir);
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

  /** Refuses, before creating anything, a path that is a file or a directory of something else. */
  private static void checkDirectory(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new InvalidLocationException("store location " + dir + " is a file, not a directory");
    }
    if (!Files.isDirectory(dir)) {
      return;
    }
    boolean cairn = false;
    List<String> others = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.equals(SHM) || generationOf(name) > 0) {
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
  }

  private MappedByteBuffer mapShm() throws IOException {
    boolean fresh = shmChannel.size() < SHM_SIZE;
    MappedByteBuffer map = shmChannel.map(FileChannel.MapMode.READ_WRITE, 0, SHM_SIZE);
    map.order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    map.get(0, magic);
    if (fresh || Arrays.equals(magic, new byte[8])) {
      map.put(0, SHM_MAGIC).putInt(8, SHM_VERSION);
      LONGS.setVolatile(map, (int) SHM_PUBLISHED, 0L);
      LONGS.setVolatile(map, (int) SHM_DURABLE, 0L);
    } else if (!Arrays.equals(magic, SHM_MAGIC)) {
      throw new StoreFormatException(dir.resolve(SHM) + " is not a Cairn file (bad magic)");
    } else if (map.getInt(8) != SHM_VERSION) {
      throw new StoreFormatException(
          "%s has version %d; this Cairn reads version %d (a newer Cairn wrote it?)"
              .formatted(dir.resolve(SHM), map.getInt(8), SHM_VERSION));
    }
    return map;
  }

  /**
   * Under the write lock: finds the current generation, builds the index by scanning the log, cuts
   * a torn tail, and publishes the valid end. Leftovers of an interrupted compaction are removed.
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
    Segment s;
    if (generation == 0) {
      generation = 1;
      s = createLog(dir.resolve(logName(1)), 1, UUID.randomUUID().toString());
    } else {
      s = openLog(generation);
    }
    scan(s, HEADER_SIZE, Long.MAX_VALUE, true);
    clearTail(s);
    publish(generation, s.end);
    if (generation(durableWord()) != generation) {
      LONGS.setVolatile(shm, (int) SHM_DURABLE, word(generation, HEADER_SIZE));
    }
    for (Path f : stale) {
      Files.deleteIfExists(f);
    }
    return s;
  }

  /**
   * Zeroes whatever follows the last whole append (a torn write, or nothing but preallocated
   * zeros), so that no remnant of it can ever be read as a record.
   */
  private static void clearTail(Segment s) throws IOException {
    long size = s.channel.size();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    boolean dirty = false;
    for (long pos = s.end; pos < size && !dirty; pos += buf.capacity()) {
      buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
      readFully(s.channel, buf, pos);
      while (buf.hasRemaining()) {
        if (buf.get() != 0) {
          dirty = true;
          break;
        }
      }
    }
    if (dirty) {
      zero(s.channel, s.end, size);
      s.channel.force(false);
    }
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

  private Segment createLog(Path file, long generation, String storeId) throws IOException {
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    UUID id = UUID.fromString(storeId);
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    h.put(LOG_MAGIC).putInt(FORMAT_VERSION).putInt(HEADER_SIZE).putLong(generation);
    h.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    h.clear();
    writeFully(ch, h, 0);
    ch.force(true);
    syncDirectory();
    Segment s = new Segment(generation, ch, storeId);
    s.end = HEADER_SIZE;
    return s;
  }

  private Segment openLog(long generation) throws IOException {
    Path file = dir.resolve(logName(generation));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    int read = 0;
    while (h.hasRemaining() && read >= 0) {
      read = ch.read(h, h.position());
    }
    h.flip();
    byte[] magic = new byte[8];
    if (h.remaining() < HEADER_SIZE || !Arrays.equals(magic(h, magic), LOG_MAGIC)) {
      ch.close();
      throw new StoreFormatException(file + " is not a Cairn log (bad header)");
    }
    int version = h.getInt(8);
    if (version != FORMAT_VERSION) {
      ch.close();
      throw new StoreFormatException(
          "%s was written in format version %d; this Cairn reads version %d%s"
              .formatted(
                  file,
                  version,
                  FORMAT_VERSION,
                  version > FORMAT_VERSION ? " (upgrade Cairn to open it)" : ""));
    }
    if (h.getLong(16) != generation) {
      ch.close();
      throw new StoreFormatException(
          file + " holds generation " + h.getLong(16) + ", not " + generation);
    }
    String storeId = new UUID(h.getLong(24), h.getLong(32)).toString();
    Segment s = new Segment(generation, ch, storeId);
    s.end = HEADER_SIZE;
    return s;
  }

  private static byte[] magic(ByteBuffer h, byte[] into) {
    h.get(0, into);
    return into;
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
    return (long) LONGS.getVolatile(shm, (int) SHM_PUBLISHED);
  }

  private long durableWord() {
    return (long) LONGS.getVolatile(shm, (int) SHM_DURABLE);
  }

  private void publish(long generation, long end) {
    LONGS.setVolatile(shm, (int) SHM_PUBLISHED, word(generation, end));
  }

  // ---- reading ----

  String storeId() {
    return segment.storeId;
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
        scan(next, HEADER_SIZE, end(w), false);
        retired.add(s.channel);
        segment = next;
      } else if (end(w) > s.end) {
        scan(s, s.end, end(w), false);
      }
    } catch (NoSuchFileException e) {
      // a compaction replaced that generation after we read the word: the next word names it
      catchUp();
    } catch (IOException e) {
      throw new StorageException("cannot read the log of " + dir + ": " + e, e);
    }
  }

  /**
   * Indexes the records in [from, to) (to the end of the file if {@code recovering}). When
   * recovering, stops at the first torn record or incomplete append; otherwise a bad record is
   * corruption.
   */
  private void scan(Segment s, long from, long to, boolean recovering) throws IOException {
    long limit = Math.min(to, s.channel.size());
    if (!recovering && limit < to) {
      throw new StoreFormatException(
          "log %s ends at %d, before its published end %d".formatted(s.generation, limit, to));
    }
    Reader in = new Reader(s.channel, limit);
    List<Ref> pending = new ArrayList<>();
    long pos = from;
    long committed = from;
    long seq = s.lastSeq;
    while (pos < limit) {
      ByteBuffer prefix = in.at(pos, RECORD_PREFIX);
      if (prefix == null) {
        break;
      }
      int n = prefix.getInt();
      int crc = prefix.getInt();
      if (n < RECORD_FIXED || n > MAX_RECORD) {
        if (recovering) {
          break;
        }
        throw corrupt(s, pos, "bad record length " + n);
      }
      ByteBuffer body = in.at(pos + RECORD_PREFIX, n);
      if (body == null || crc32c(body) != crc) {
        if (recovering) {
          break;
        }
        throw corrupt(s, pos, body == null ? "short record" : "checksum mismatch");
      }
      int flags = body.get();
      long recordSeq = body.getLong();
      int k = Short.toUnsignedInt(body.getShort());
      if (recordSeq <= seq || k > n - RECORD_FIXED) {
        if (recovering) {
          break;
        }
        throw corrupt(s, pos, "sequence " + recordSeq + " after " + seq);
      }
      byte[] key = new byte[k];
      body.get(key);
      seq = recordSeq;
      long payloadAt = pos + RECORD_PREFIX + RECORD_FIXED + k;
      pending.add(
          new Ref(
              new String(key, StandardCharsets.UTF_8), recordSeq, payloadAt, n - RECORD_FIXED - k));
      pos += RECORD_PREFIX + n;
      if ((flags & FLAG_CONTINUED) == 0) {
        index(s, pending);
        pending.clear();
        committed = pos;
      }
    }
    s.end = committed;
  }

  private void index(Segment s, List<Ref> refs) {
    for (Ref r : refs) {
      Refs log = s.keys.get(r.key);
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
  }

  private StoreFormatException corrupt(Segment s, long pos, String what) {
    return new StoreFormatException(
        "log %s of %s is damaged at offset %d: %s"
            .formatted(logName(s.generation), dir, pos, what));
  }

  private static int crc32c(ByteBuffer body) {
    CRC32C crc = new CRC32C();
    crc.update(body.duplicate());
    return (int) crc.getValue();
  }

  /** Sequential reads through a buffer. */
  private static final class Reader {
    private final FileChannel channel;
    private final long limit;
    private ByteBuffer buffer = ByteBuffer.allocate(0);
    private long bufferAt;

    Reader(FileChannel channel, long limit) {
      this.channel = channel;
      this.limit = limit;
    }

    /** {@code n} bytes at {@code pos}, or null if the file ends before them. */
    ByteBuffer at(long pos, int n) throws IOException {
      if (pos + n > limit) {
        return null;
      }
      if (pos < bufferAt || pos + n > bufferAt + buffer.limit()) {
        int size = (int) Math.min(Math.max(n, 1 << 20), limit - pos);
        if (buffer.capacity() < size) {
          buffer = ByteBuffer.allocate(size);
        }
        buffer.clear().limit(size);
        readFully(channel, buffer, pos);
        bufferAt = pos;
      }
      ByteBuffer view = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      view.position((int) (pos - bufferAt)).limit((int) (pos - bufferAt) + n);
      return view.slice().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  long head(String key) {
    refresh();
    Refs log = segment.keys.get(key);
    return log == null ? 0 : log.lastSeq();
  }

  List<LogEntry> read(String key, long afterSeq) {
    refresh();
    Segment s = segment;
    Refs log = s.keys.get(key);
    if (log == null) {
      return List.of();
    }
    int n = log.size;
    Ref[] items = log.items;
    int from = n;
    while (from > 0 && items[from - 1].seq > afterSeq) {
      from--;
    }
    List<LogEntry> out = new ArrayList<>(n - from);
    for (int i = from; i < n; i++) {
      out.add(load(s, items[i]));
    }
    return out;
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
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (items[mid].seq <= since) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    List<LogEntry> out = new ArrayList<>();
    for (int i = lo; i < n && out.size() < limit; i++) {
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
    ByteBuffer batch = encode(r.keyBytes, r.payloads, s.lastSeq + 1);
    reserve(s, batch.remaining());
    writeFully(s.channel, batch, s.end);
    List<Ref> refs = new ArrayList<>(r.payloads.size());
    long at = s.end;
    long seq = s.lastSeq;
    for (byte[] p : r.payloads) {
      refs.add(
          new Ref(r.key, ++seq, at + RECORD_PREFIX + RECORD_FIXED + r.keyBytes.length, p.length));
      at += RECORD_PREFIX + RECORD_FIXED + r.keyBytes.length + p.length;
    }
    index(s, refs);
    s.end = at;
    publish(s.generation, at);
    return s.lastSeq;
  }

  private static ByteBuffer encode(byte[] key, List<byte[]> payloads, long firstSeq) {
    int total = 0;
    for (byte[] p : payloads) {
      int n = RECORD_FIXED + key.length + p.length;
      if (n > MAX_RECORD) {
        throw new IllegalArgumentException(
            "entry of " + p.length + " bytes is over the limit of " + MAX_RECORD + " bytes");
      }
      total += RECORD_PREFIX + n;
    }
    ByteBuffer buf = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    long seq = firstSeq;
    for (int i = 0; i < payloads.size(); i++) {
      byte[] p = payloads.get(i);
      int start = buf.position();
      int n = RECORD_FIXED + key.length + p.length;
      buf.putInt(n).putInt(0);
      buf.put((byte) (i < payloads.size() - 1 ? FLAG_CONTINUED : 0));
      buf.putLong(seq++).putShort((short) key.length).put(key).put(p);
      CRC32C crc = new CRC32C();
      crc.update(buf.array(), start + RECORD_PREFIX, n);
      buf.putInt(start + 4, (int) crc.getValue());
    }
    buf.flip();
    return buf;
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

  /** Under the sync lock: fsyncs the log and records how far it is durable. */
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
    LONGS.setVolatile(shm, (int) SHM_DURABLE, target);
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
        long next = s.generation + 1;
        Path tmp = dir.resolve(logName(next) + ".tmp");
        Files.deleteIfExists(tmp);
        Segment out = createLog(tmp, next, s.storeId);
        List<Ref> kept = new ArrayList<>();
        long removed = 0;
        for (Map.Entry<String, Refs> e : s.keys.entrySet()) {
          Refs log = e.getValue();
          List<LogEntry> entries = new ArrayList<>(log.size);
          Map<Long, Ref> bySeq = new HashMap<>();
          for (int i = 0; i < log.size; i++) {
            entries.add(load(s, log.items[i]));
            bySeq.put(log.items[i].seq, log.items[i]);
          }
          List<LogEntry> chosen = keep.apply(e.getKey(), List.copyOf(entries));
          removed += entries.size() - chosen.size();
          for (LogEntry c : chosen) {
            kept.add(bySeq.get(c.seq()));
          }
        }
        kept.sort((a, b) -> Long.compare(a.seq, b.seq));
        long pos = HEADER_SIZE;
        for (Ref r : kept) {
          byte[] key = r.key.getBytes(StandardCharsets.UTF_8);
          ByteBuffer rec = encode(key, List.of(load(s, r).payload()), r.seq);
          writeFully(out.channel, rec, pos);
          pos += rec.capacity();
        }
        out.channel.force(true);
        out.channel.close();
        Path file = dir.resolve(logName(next));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory();
        publish(next, pos);
        LONGS.setVolatile(shm, (int) SHM_DURABLE, word(next, pos));
        catchUp();
        Files.deleteIfExists(dir.resolve(logName(s.generation)));
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
