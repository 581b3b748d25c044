package dev.cairn.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The index of a log file up to some point, written beside it ({@code data-NNNNNNNN.idx}) at clean
 * close and after compaction, so that a process opening the store reads the log only from there. It
 * is mapped, not loaded: the index of a large store costs its readers page cache, shared by every
 * process, rather than heap.
 *
 * <p>Derived data: a missing, damaged or stale index is ignored (the log is read whole instead),
 * never trusted. An index is used only if its checksums hold, it names the log's generation and
 * store, it covers no more than the log's durable point, and the last record it covers is in the
 * log where it says, with the same checksum. Entries it covers are checked against their record's
 * checksum, key and sequence number whenever they are read.
 *
 * <p>Layout, version 1, all numbers little-endian:
 *
 * <pre>
 * header, 128 bytes
 *   0   8  magic "CAIRNIDX"
 *   8   4  format version, 1
 *   16  8  generation of the log
 *   24  16 store id (UUID, most then least significant half)
 *   40  8  covered: the end of the last append indexed, an offset in the log
 *   48  8  the sequence number of the last record covered, 0 if none
 *   56  8  where that record begins in the log
 *   64  4  that record's checksum, as the log holds it
 *   68  4  entries e
 *   72  4  keys k
 *   76  4  table slots t, a power of two above k
 *   80  8  bytes of the key section
 *   88  4  CRC-32C of the entry section
 *   92  4  CRC-32C of the table
 *   96  4  CRC-32C of the key section
 *   124 4  CRC-32C of bytes 0..124
 * entries, e × 16, in sequence order: sequence number (8), where its record begins in the log (8)
 * table, t × 16, open addressing with linear probing from hash mod t:
 *   hash of the key (8; 0 for an empty slot), where the key's record begins in the key section (8)
 * keys, one record per key:
 *   key length n (2), key (n bytes, UTF-8), entry count c (4), c entry numbers (4 each), ascending
 * </pre>
 *
 * The hash is 64-bit FNV-1a of the key's UTF-8 bytes, finished with MurmurHash3's fmix64; 1 where
 * that gives 0. Each section is at most 2 GiB; a larger index is not written.
 */
final class LogIndexFile {
  static final int VERSION = 1;
  static final int HEADER_SIZE = 128;
  private static final byte[] MAGIC = "CAIRNIDX".getBytes(StandardCharsets.US_ASCII);
  private static final int ENTRY = 16;
  private static final int SLOT = 16;

  final long covered;
  final long lastSeq;
  final int entryCount;
  final int keyCount;
  private final int mask;
  private final long lastRecordAt;
  private final int lastRecordCrc;
  private final ByteBuffer entries;
  private final ByteBuffer table;
  private final ByteBuffer keys;

  /** Why an index file cannot be used: it is then ignored and the log read whole. */
  static final class Unusable extends Exception {
    Unusable(String why) {
      super(why, null, false, false);
    }
  }

  private LogIndexFile(ByteBuffer header, ByteBuffer entries, ByteBuffer table, ByteBuffer keys) {
    this.covered = header.getLong(40);
    this.lastSeq = header.getLong(48);
    this.lastRecordAt = header.getLong(56);
    this.lastRecordCrc = header.getInt(64);
    this.entryCount = header.getInt(68);
    this.keyCount = header.getInt(72);
    this.mask = header.getInt(76) - 1;
    this.entries = entries;
    this.table = table;
    this.keys = keys;
  }

  static Path file(Path dir, long generation) {
    return dir.resolve("data-%08d.idx".formatted(generation));
  }

  /** Where an index file is written before it is renamed into place. */
  static Path tmpFile(Path dir, long generation) {
    return dir.resolve("data-%08d.idx.tmp".formatted(generation));
  }

  /** What an index file is written from: the entries of a log up to a point, and its keys. */
  interface Source {
    /** The end of the last append indexed. */
    long covered();

    long entryCount();

    int keyCount();

    /** The last record covered. */
    LogSegment.Last last() throws IOException;

    /** Each entry, in sequence order. */
    void forEachEntry(LogSegment.EntryVisitor visit) throws IOException;

    /** Each key once, with the numbers of its entries, ascending. */
    void forEachKey(LogSegment.KeyVisitor visit) throws IOException;
  }

  /** Whether {@code name} is an index file's, finished or being written. */
  static boolean isIndexName(String name) {
    return name.startsWith("data-") && (name.endsWith(".idx") || name.contains(".idx."));
  }

  /** The generation in an index file's name, 0 if it is not one. */
  static long generationOf(String name) {
    if (!isIndexName(name)) {
      return 0;
    }
    try {
      return Long.parseLong(name.substring(5, name.indexOf(".idx")));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  // ---- reading ----

  /**
   * Maps and checks {@code path} as the index of {@code log}, if there is such a file.
   *
   * @param durable where the log is known to be durable up to: an index may cover no more
   * @return null if there is none
   * @throws Unusable if there is one that may not be used
   */
  static LogIndexFile open(Path path, LogSegment log, long durable) throws Unusable {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER_SIZE) {
        throw new Unusable("it is cut short");
      }
      ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      LogFiles.readFully(ch, h, 0);
      if (!Arrays.equals(Arrays.copyOf(h.array(), 8), MAGIC)
          || h.getInt(124) != LogFormat.crc(h.array(), 0, 124)) {
        throw new Unusable("its header is not an index header");
      }
      if (h.getInt(8) != VERSION) {
        throw new Unusable("it is of format version " + h.getInt(8));
      }
      UUID store = new UUID(h.getLong(24), h.getLong(32));
      if (h.getLong(16) != log.generation || !store.toString().equals(log.storeId())) {
        throw new Unusable("it indexes another log");
      }
      long covered = h.getLong(40);
      if (covered > durable || covered < log.header.size()) {
        throw new Unusable(
            "it covers the log up to byte %d, which is not known to be durable (up to %d)"
                .formatted(covered, durable));
      }
      long entryBytes = (long) h.getInt(68) * ENTRY;
      int slots = h.getInt(76);
      long tableBytes = (long) slots * SLOT;
      long keyBytes = h.getLong(80);
      if (h.getInt(68) < 0
          || slots <= h.getInt(72)
          || Integer.bitCount(slots) != 1
          || HEADER_SIZE + entryBytes + tableBytes + keyBytes != size) {
        throw new Unusable("its sizes do not add up");
      }
      ByteBuffer entries = map(ch, HEADER_SIZE, entryBytes);
      ByteBuffer table = map(ch, HEADER_SIZE + entryBytes, tableBytes);
      ByteBuffer keys = map(ch, HEADER_SIZE + entryBytes + tableBytes, keyBytes);
      if (crc(entries) != h.getInt(88) || crc(table) != h.getInt(92) || crc(keys) != h.getInt(96)) {
        throw new Unusable("it fails its checksum");
      }
      LogIndexFile index = new LogIndexFile(h, entries, table, keys);
      index.checkAgainst(log);
      return index;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new Unusable("it cannot be read: " + e);
    }
  }

  /** The last record the index covers must be in the log, where and as the index says. */
  private void checkAgainst(LogSegment log) throws IOException, Unusable {
    if (entryCount == 0) {
      if (covered != log.header.size() || lastSeq != 0) {
        throw new Unusable("it is empty but says it covers data");
      }
      return;
    }
    ByteBuffer prefix = ByteBuffer.allocate(LogFormat.RECORD_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
    LogFiles.readFully(log.channel, prefix, lastRecordAt);
    if (prefix.getInt(4) != lastRecordCrc
        || lastRecordAt + LogFormat.RECORD_PREFIX + prefix.getInt(0) != covered
        || seqAt(entryCount - 1) != lastSeq
        || offsetAt(entryCount - 1) != lastRecordAt) {
      throw new Unusable("its last record is not in the log");
    }
  }

  long seqAt(int entry) {
    return entries.getLong(entry * ENTRY); // the section is at most 2 GiB
  }

  long offsetAt(int entry) {
    return entries.getLong(entry * ENTRY + 8);
  }

  /** The first entry numbered above {@code seq}, {@link #entryCount} if none. */
  int firstAfter(long seq) {
    int lo = 0;
    int hi = entryCount;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (seqAt(mid) <= seq) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Where {@code key}'s record begins in the key section, -1 if the index does not hold it. */
  int find(byte[] key) {
    long hash = hash(key);
    for (int slot = (int) hash & mask; ; slot = (slot + 1) & mask) {
      long h = table.getLong(slot * SLOT);
      if (h == 0) {
        return -1;
      }
      if (h == hash) {
        int at = (int) table.getLong(slot * SLOT + 8);
        if (keyEquals(at, key)) {
          return at;
        }
      }
    }
  }

  private boolean keyEquals(int at, byte[] key) {
    if (Short.toUnsignedInt(keys.getShort(at)) != key.length) {
      return false;
    }
    for (int i = 0; i < key.length; i++) {
      if (keys.get(at + 2 + i) != key[i]) {
        return false;
      }
    }
    return true;
  }

  /** The entry numbers of the key whose record begins at {@code at}, oldest first. */
  int[] entriesOf(int at) {
    int countAt = at + 2 + Short.toUnsignedInt(keys.getShort(at));
    int[] out = new int[keys.getInt(countAt)];
    for (int i = 0; i < out.length; i++) {
      out[i] = keys.getInt(countAt + 4 + 4 * i);
    }
    return out;
  }

  /** The sequence number of the last entry of the key whose record begins at {@code at}. */
  long headOf(int at) {
    int countAt = at + 2 + Short.toUnsignedInt(keys.getShort(at));
    int c = keys.getInt(countAt);
    return seqAt(keys.getInt(countAt + 4 * c));
  }

  /** Calls {@code visit} with where each key's record begins, in the order of the key section. */
  void forEachKey(java.util.function.IntConsumer visit) {
    int at = 0;
    int end = keys.capacity();
    while (at < end) {
      visit.accept(at);
      int countAt = at + 2 + Short.toUnsignedInt(keys.getShort(at));
      at = countAt + 4 + 4 * keys.getInt(countAt);
    }
  }

  String keyAt(int at) {
    byte[] k = new byte[Short.toUnsignedInt(keys.getShort(at))];
    keys.get(at + 2, k);
    return new String(k, StandardCharsets.UTF_8);
  }

  // ---- writing ----

  /**
   * Writes to {@code tmp} the index file of {@code log} as {@code view} has it; the caller renames
   * it into place. The caller holds the compaction lock, so no other index of this store is being
   * written, and what the view covers is durable.
   *
   * @return false if it is too large to write (a section over 2 GiB); then nothing is left
   */
  static boolean write(Path tmp, LogSegment log, Source view) throws IOException {
    long entryCount = view.entryCount();
    int keyCount = view.keyCount();
    int slots = Integer.highestOneBit(Math.max(16, keyCount + keyCount / 2)) << 1;
    long entryBytes = entryCount * ENTRY;
    long tableBytes = (long) slots * SLOT;
    if (entryBytes > Integer.MAX_VALUE || tableBytes > Integer.MAX_VALUE) {
      return false;
    }
    Files.deleteIfExists(tmp);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      Output out = new Output(ch, HEADER_SIZE);
      CRC32C entryCrc = new CRC32C();
      out.crc = entryCrc;
      view.forEachEntry(
          (seq, at) -> {
            out.putLong(seq);
            out.putLong(at);
          });
      out.flush();
      long tableAt = HEADER_SIZE + entryBytes;
      MappedByteBuffer table = ch.map(FileChannel.MapMode.READ_WRITE, tableAt, tableBytes);
      table.order(ByteOrder.LITTLE_ENDIAN);
      CRC32C keyCrc = new CRC32C();
      out.position = tableAt + tableBytes;
      out.crc = keyCrc;
      long keysAt = out.position;
      int mask = slots - 1;
      int[] written = new int[1];
      view.forEachKey(
          (key, numbers) -> {
            if (++written[0] > keyCount) {
              throw new IOException("more keys than counted");
            }
            long at = out.position + out.buffer.position() - keysAt;
            if (at > Integer.MAX_VALUE) {
              throw new IOException("the key section is over 2 GiB");
            }
            long hash = hash(key);
            int slot = (int) hash & mask;
            while (table.getLong(slot * SLOT) != 0) {
              slot = (slot + 1) & mask;
            }
            table.putLong(slot * SLOT, hash).putLong(slot * SLOT + 8, at);
            out.putShort(key.length);
            out.put(key);
            out.putInt(numbers.length);
            for (int n : numbers) {
              out.putInt(n);
            }
          });
      out.flush();
      if (written[0] != keyCount) {
        throw new IOException("fewer keys than counted");
      }
      long keyBytes = out.position - keysAt;
      LogSegment.Last last = view.last();
      ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      UUID store = UUID.fromString(log.storeId());
      h.put(MAGIC).putInt(VERSION).putInt(0).putLong(log.generation);
      h.putLong(store.getMostSignificantBits()).putLong(store.getLeastSignificantBits());
      h.putLong(view.covered()).putLong(last.seq()).putLong(last.recordAt()).putInt(last.crc());
      h.putInt((int) entryCount).putInt(keyCount).putInt(slots).putLong(keyBytes);
      h.putInt((int) entryCrc.getValue()).putInt(crc(table)).putInt((int) keyCrc.getValue());
      h.putInt(124, LogFormat.crc(h.array(), 0, 124));
      h.clear();
      LogFiles.writeFully(ch, h, 0);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return true;
  }

  /** A buffered, checksummed sequential writer of one section. */
  static final class Output {
    final FileChannel channel;
    final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    long position;
    CRC32C crc;

    Output(FileChannel channel, long position) {
      this.channel = channel;
      this.position = position;
    }

    void room(int bytes) throws IOException {
      if (buffer.remaining() < bytes) {
        flush();
      }
    }

    void putLong(long v) throws IOException {
      room(8);
      buffer.putLong(v);
    }

    void putInt(int v) throws IOException {
      room(4);
      buffer.putInt(v);
    }

    void putShort(int v) throws IOException {
      room(2);
      buffer.putShort((short) v);
    }

    void put(byte[] bytes) throws IOException {
      room(bytes.length); // keys are at most 65535 bytes, the buffer 64 KiB
      buffer.put(bytes);
    }

    void flush() throws IOException {
      buffer.flip();
      if (crc != null) {
        crc.update(buffer.duplicate());
      }
      int n = buffer.remaining();
      LogFiles.writeFully(channel, buffer, position);
      position += n;
      buffer.clear();
    }
  }

  // ---- helpers ----

  /** The key hash of the format: FNV-1a 64 finished with fmix64, never 0. */
  static long hash(byte[] key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }

  private static ByteBuffer map(FileChannel ch, long at, long bytes) throws IOException {
    return ch.map(FileChannel.MapMode.READ_ONLY, at, bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static int crc(ByteBuffer b) {
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate().clear());
    return (int) crc.getValue();
  }
}
