package dev.cairn.file;

import dev.cairn.StoreFormatException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code cairn.shm}: the file every process that opens a store maps into memory, through which the
 * processes coordinate. It holds hints, never data: it can be deleted while no process has the
 * store open. Its bytes are also the locks: byte 0 is locked by the process that appends (the write
 * lock), byte 1 by the process that fsyncs (the sync lock), byte 2 by the process that compacts.
 *
 * <h2>Layout (little-endian)</h2>
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
 * </pre>
 *
 * <p>The published and durable words only grow within a generation; a word of a later generation is
 * greater than any of an earlier one.
 */
final class SharedMemory implements java.io.Closeable {
  static final String FILE = "cairn.shm";
  static final long WRITE_LOCK = 0;
  static final long SYNC_LOCK = 1;
  static final long COMPACT_LOCK = 2;

  private static final int VERSION = 2;
  private static final int PAGE = 4096;
  private static final int PUBLISHED = 16;
  private static final int DURABLE = 24;
  private static final int MARK_COUNTER = 32;
  private static final int STORE_ID = 40;
  private static final int BOOT_ID = 56;
  private static final int WATCHING = 72;
  private static final int NOTIFY = 80;
  private static final byte[] MAGIC = "CAIRNSHM".getBytes(StandardCharsets.US_ASCII);
  private static final long END_BITS = 40;
  private static final long END_MASK = (1L << END_BITS) - 1;
  private static final long LOCK_TIMEOUT_NANOS = 60_000_000_000L;

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final Path file;
  private final FileChannel channel;
  private MappedByteBuffer page; // mapped by map(), under the write lock

  /** Opens (creates) the file; {@link #map} it under the write lock before any other use. */
  SharedMemory(Path dir) throws IOException {
    this.file = dir.resolve(FILE);
    this.channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /**
   * Under the write lock: maps the first page, starting it afresh if it is new or was left by an
   * older Cairn.
   *
   * @throws StoreFormatException if the file is not Cairn's, or of a newer version
   */
  void map() throws IOException {
    boolean fresh = channel.size() < PAGE;
    MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, PAGE);
    map.order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[8];
    map.get(0, magic);
    int version = map.getInt(8);
    if (!fresh && !Arrays.equals(magic, new byte[8]) && !Arrays.equals(magic, MAGIC)) {
      throw new StoreFormatException(file + " is not a Cairn file (bad magic)");
    }
    if (Arrays.equals(magic, MAGIC) && version > VERSION) {
      throw new StoreFormatException(
          "%s has version %d; this Cairn reads version %d (a newer Cairn has the store open?)"
              .formatted(file, version, VERSION));
    }
    if (fresh || !Arrays.equals(magic, MAGIC) || version < VERSION) {
      // new, or left by an older Cairn: hints only, so start afresh
      map.put(0, new byte[PAGE]);
      map.put(0, MAGIC).putInt(8, VERSION);
    }
    page = map;
  }

  // ---- words ----

  static long word(long generation, long end) {
    return generation << END_BITS | end;
  }

  static long generation(long word) {
    return word >>> END_BITS;
  }

  static long end(long word) {
    return word & END_MASK;
  }

  long published() {
    return (long) LONGS.getVolatile(page, PUBLISHED);
  }

  void publish(long generation, long end) {
    LONGS.setVolatile(page, PUBLISHED, word(generation, end));
  }

  long durable() {
    return (long) LONGS.getVolatile(page, DURABLE);
  }

  void durable(long word) {
    LONGS.setVolatile(page, DURABLE, word);
  }

  /** Whether the log is durable up to {@code end} of {@code generation}, or a later generation. */
  boolean covered(long generation, long end) {
    long d = durable();
    return generation(d) > generation || (generation(d) == generation && end(d) >= end);
  }

  long markCounter() {
    return page.getLong(MARK_COUNTER);
  }

  void markCounter(long counter) {
    page.putLong(MARK_COUNTER, counter);
  }

  /** Under the write lock, after recovery: the hints are now about this log, on this boot. */
  void describe(String storeId) {
    page.put(STORE_ID, uuidBytes(storeId));
    page.put(BOOT_ID, LogFormat.bootId());
  }

  // ---- change notices ----

  void watching(long change) {
    LONGS.getAndAdd(page, WATCHING, change);
  }

  /**
   * A one-byte write that wakes the watching processes; nothing while none watches. A notice that
   * cannot be written is dropped: the watchers also check every 100 ms, and the write it follows
   * was made all the same.
   */
  void notifyWatchers() {
    if ((long) LONGS.getVolatile(page, WATCHING) > 0) {
      try {
        channel.write(ByteBuffer.wrap(new byte[] {1}), NOTIFY);
      } catch (IOException e) {
        // see above
      }
    }
  }

  // ---- locks ----

  /**
   * Takes the one-byte lock at {@code position}, waiting for it. POSIX locks belong to processes,
   * so the kernel can see a deadlock where there is none (this process appends on one thread and
   * waits for the sync lock on another, while another process does the opposite) and refuse with
   * EDEADLK; then the lock is polled instead, which never deadlocks.
   */
  FileLock lock(long position) throws IOException {
    try {
      return channel.lock(position, 1, false);
    } catch (IOException refused) {
      long deadline = System.nanoTime() + LOCK_TIMEOUT_NANOS;
      while (System.nanoTime() < deadline) {
        FileLock lock = channel.tryLock(position, 1, false);
        if (lock != null) {
          return lock;
        }
        LockSupport.parkNanos(50_000);
      }
      throw refused;
    }
  }

  /** The one-byte lock at {@code position} if it is free, else null. */
  FileLock tryLock(long position) throws IOException {
    return channel.tryLock(position, 1, false);
  }

  // ---- hints ----

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

  Hints hints(String storeId, long generation) {
    byte[] bytes = new byte[BOOT_ID + 16];
    page.get(0, bytes);
    return hints(bytes, storeId, generation);
  }

  /** Reads the hints in {@code dir}'s shared file without locking, mapping or creating it. */
  static Hints read(Path dir, String storeId, long generation) {
    try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(BOOT_ID + 16);
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
    if (!Arrays.equals(Arrays.copyOf(shm, 8), MAGIC)
        || b.getInt(8) != VERSION
        || !Arrays.equals(Arrays.copyOfRange(shm, STORE_ID, STORE_ID + 16), uuidBytes(storeId))) {
      return Hints.NONE;
    }
    boolean thisBoot = LogFormat.isThisBoot(Arrays.copyOfRange(shm, BOOT_ID, BOOT_ID + 16));
    long d = b.getLong(DURABLE);
    long p = b.getLong(PUBLISHED);
    return new Hints(
        generation(d) == generation ? end(d) : 0,
        thisBoot && generation(p) == generation ? end(p) : -1,
        b.getLong(MARK_COUNTER));
  }

  private static byte[] uuidBytes(String storeId) {
    UUID id = UUID.fromString(storeId);
    return ByteBuffer.allocate(16)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
