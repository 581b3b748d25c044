package dev.cairn.file;

import dev.cairn.StoreFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The byte layout of a log file ({@code data-NNNNNNNN.log}), version 2. All numbers are
 * little-endian.
 *
 * <pre>
 * header, one page of 4096 bytes
 *   0     8  magic "CAIRNLOG"
 *   8     4  format version, 2; a higher version is refused
 *   12    4  header size, 4096
 *   16    8  generation
 *   24    16 store id (UUID, most then least significant half)
 *   40    4  CRC-32C of bytes 0..40
 *   512   durable mark, slot 0 (each slot in its own 512-byte sector)
 *   1024  durable mark, slot 1
 *         0   8  end: every byte of the log before it has been fsynced
 *         8   8  counter: the slot with the higher counter is the newer; counter % 2 is its slot
 *         16  16 boot id of the operating system that wrote the mark (zero if unknown)
 *         32  4  CRC-32C of bytes 0..32 of the slot
 * then records, back to back, then zeros to the end of the file (the log grows in zero-filled
 * steps; a record length of 0 marks the end)
 *   0   4  n, the length of what follows the checksum (at least 11)
 *   4   4  CRC-32C of those n bytes
 *   8   1  flags: bit 0 = the next record belongs to the same append;
 *                bit 1 = this record begins an append
 *   9   8  sequence number; the records of one append are numbered consecutively
 *   17  2  key length k
 *   19  k  key, UTF-8
 *   19+k   payload (n - 11 - k bytes)
 * </pre>
 *
 * <p>The durable mark is what lets a reader tell a torn write from damage without any other file:
 * it is written after fsyncs, at least every 200 ms or 1 MiB of log while writes go on (a mark
 * claims only what an fsync already made durable, and the next fsync makes the mark durable in
 * turn), and exactly when a store is opened and closed. A bad record before it is damage; after it,
 * the records of an append a crash cut short, unless the rules of {@link FileLog} say more.
 *
 * <p>Version 1 had a 64-byte header without checksum or marks, and records without the "begins an
 * append" flag; Cairn reads it and rewrites it as version 2 when it opens the store.
 */
final class LogFormat {
  static final int VERSION = 2;
  static final int HEADER_SIZE = 4096;
  static final int V1_HEADER_SIZE = 64;
  static final int RECORD_PREFIX = 8; // length and checksum
  static final int RECORD_FIXED = 11; // flags, sequence number, key length
  static final int FLAG_CONTINUED = 1;
  static final int FLAG_FIRST = 2;

  /** The largest record: a payload, its key and framing. */
  static final int MAX_RECORD = 64 * 1024 * 1024;

  /** Ends every message about damage: what was done, and what to do. */
  static final String DAMAGE_ADVICE =
      " Nothing was changed. `cairn check` lists every damaged range; `cairn recover --to DIR`"
          + " copies every record that still reads to a new store.";

  private static final byte[] MAGIC = "CAIRNLOG".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_CRC_AT = 40;
  private static final int MARK_AT = 512;
  private static final int MARK_SLOT = 512;
  private static final int MARK_SIZE = 36;
  private static final byte[] NO_BOOT = new byte[16];
  private static final byte[] BOOT_ID = readBootId();

  private LogFormat() {}

  /**
   * Where the log is known to be durable up to, and on which boot of the operating system that was
   * recorded.
   */
  record Mark(long end, long counter, byte[] bootId) {
    static final Mark NONE = new Mark(0, 0, NO_BOOT);

    /** Whether this mark was written since the operating system last started. */
    boolean thisBoot() {
      return isThisBoot(bootId);
    }
  }

  /**
   * A log file's header.
   *
   * @param mark the newer of the two durable marks that are intact, {@link Mark#NONE} if neither is
   */
  record Header(int version, int size, long generation, String storeId, Mark mark) {
    Header withMark(Mark newMark) {
      return new Header(version, size, generation, storeId, newMark);
    }
  }

  /** Whether {@code id} is this boot's (never, where the system does not tell its boot). */
  static boolean isThisBoot(byte[] id) {
    return Arrays.equals(id, BOOT_ID) && !Arrays.equals(id, NO_BOOT);
  }

  /** This operating system boot's id, or zeros where the system does not tell. */
  static byte[] bootId() {
    return BOOT_ID.clone();
  }

  private static byte[] readBootId() {
    try {
      String text = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
      byte[] id = HexFormat.of().parseHex(text.replace("-", ""));
      return id.length == 16 ? id : NO_BOOT;
    } catch (IOException | RuntimeException e) {
      return NO_BOOT; // not Linux: no boot may be taken for this one
    }
  }

  /** A new header with no durable mark yet. */
  static ByteBuffer header(long generation, String storeId) {
    UUID id = UUID.fromString(storeId);
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    h.put(MAGIC).putInt(VERSION).putInt(HEADER_SIZE).putLong(generation);
    h.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    h.putInt(HEADER_CRC_AT, crc(h.array(), 0, HEADER_CRC_AT));
    return h.clear();
  }

  /**
   * Reads and checks a log file's header.
   *
   * @throws StoreFormatException if it is not a Cairn log, is damaged, or is of another version
   */
  static Header readHeader(FileChannel ch, Path file, long expectedGeneration) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
      // read what there is
    }
    int read = h.position();
    byte[] magic = Arrays.copyOf(h.array(), 8);
    if (read < V1_HEADER_SIZE || !Arrays.equals(magic, MAGIC)) {
      throw new StoreFormatException(file + " is not a Cairn log (bad header)." + DAMAGE_ADVICE);
    }
    int version = h.getInt(8);
    if (version != VERSION && version != 1) {
      throw new StoreFormatException(
          "%s was written in format version %d; this Cairn reads versions 1 and %d%s"
              .formatted(
                  file,
                  version,
                  VERSION,
                  version > VERSION
                      ? " (upgrade Cairn to open it). Nothing was changed."
                      : "." + DAMAGE_ADVICE));
    }
    if (version == VERSION) {
      if (read < HEADER_SIZE || h.getInt(12) != HEADER_SIZE) {
        throw new StoreFormatException(
            file + " is damaged: its header is cut short." + DAMAGE_ADVICE);
      }
      if (h.getInt(HEADER_CRC_AT) != crc(h.array(), 0, HEADER_CRC_AT)) {
        throw new StoreFormatException(
            file + " is damaged: its header (bytes 0 to 44) fails its checksum." + DAMAGE_ADVICE);
      }
    }
    long generation = h.getLong(16);
    if (generation != expectedGeneration) {
      throw new StoreFormatException(
          "%s is damaged: its header says generation %d, its name %d.%s"
              .formatted(file, generation, expectedGeneration, DAMAGE_ADVICE));
    }
    String storeId = new UUID(h.getLong(24), h.getLong(32)).toString();
    if (version == 1) {
      return new Header(1, V1_HEADER_SIZE, generation, storeId, Mark.NONE);
    }
    Mark best = Mark.NONE;
    for (int slot = 0; slot < 2; slot++) {
      Mark m = readMark(h, MARK_AT + slot * MARK_SLOT);
      if (m != null && m.counter() > best.counter()) {
        best = m;
      }
    }
    return new Header(VERSION, HEADER_SIZE, generation, storeId, best);
  }

  /**
   * The layout a log whose header does not read most likely has, for reading its records anyway:
   * version 1 if its version field says so, else the current version.
   */
  static Header guessHeader(FileChannel ch, long generation) throws IOException {
    ByteBuffer v = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    ch.read(v, 8);
    boolean v1 = v.position() == 4 && v.getInt(0) == 1;
    return new Header(
        v1 ? 1 : VERSION,
        v1 ? V1_HEADER_SIZE : HEADER_SIZE,
        generation,
        new UUID(0, 0).toString(),
        Mark.NONE);
  }

  private static Mark readMark(ByteBuffer h, int at) {
    if (h.getInt(at + 32) != crc(h.array(), at, 32)) {
      return null; // never written, or torn while it was: the other slot holds the older mark
    }
    byte[] boot = Arrays.copyOfRange(h.array(), at + 16, at + 32);
    return new Mark(h.getLong(at), h.getLong(at + 8), boot);
  }

  /** Writes {@code mark} to its slot of the header (not forced). */
  static void writeMark(FileChannel ch, Mark mark) throws IOException {
    ByteBuffer m = ByteBuffer.allocate(MARK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    m.putLong(mark.end()).putLong(mark.counter()).put(mark.bootId());
    m.putInt(32, crc(m.array(), 0, 32));
    m.clear();
    long at = MARK_AT + (mark.counter() % 2) * MARK_SLOT;
    while (m.hasRemaining()) {
      ch.write(m, at + m.position());
    }
  }

  /** A mark for {@code end}, following {@code previous}, on this boot. */
  static Mark nextMark(long end, long previousCounter) {
    return new Mark(end, previousCounter + 1, BOOT_ID);
  }

  /**
   * The records of one append, numbered from {@code firstSeq}, framed and checksummed.
   *
   * @throws IllegalArgumentException if an entry is over {@link #MAX_RECORD}
   */
  static ByteBuffer encode(byte[] key, List<byte[]> payloads, long firstSeq) {
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
      int flags = (i == 0 ? FLAG_FIRST : 0) | (i < payloads.size() - 1 ? FLAG_CONTINUED : 0);
      buf.putInt(n).putInt(0);
      buf.put((byte) flags);
      buf.putLong(seq++).putShort((short) key.length).put(key).put(p);
      buf.putInt(start + 4, crc(buf.array(), start + RECORD_PREFIX, n));
    }
    return buf.flip();
  }

  static int crc(byte[] bytes, int from, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, length);
    return (int) crc.getValue();
  }

  static int crc(ByteBuffer body) {
    CRC32C crc = new CRC32C();
    crc.update(body.duplicate());
    return (int) crc.getValue();
  }
}
