package dev.cairn.file;

import static dev.cairn.file.LogFormat.FLAG_CONTINUED;
import static dev.cairn.file.LogFormat.FLAG_FIRST;
import static dev.cairn.file.LogFormat.MAX_RECORD;
import static dev.cairn.file.LogFormat.RECORD_FIXED;
import static dev.cairn.file.LogFormat.RECORD_PREFIX;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the records of a log file ({@link LogFormat}) in order, whole appends at a time, without
 * locks and without changing anything. It stops at the first record that does not read, and can
 * look past it for the next append that reads whole: records are framed and checksummed, so a bad
 * record is found, and the scan can go on after it.
 */
final class LogScanner {
  /**
   * One record.
   *
   * @param offset where the record begins
   * @param size its length on disk, framing included
   */
  record Record(
      long offset, int flags, long seq, String key, long payloadAt, int payloadLength, int size) {
    long end() {
      return offset + size;
    }
  }

  /** Takes the records of one whole append. */
  @FunctionalInterface
  interface Sink {
    void append(List<Record> records) throws IOException;
  }

  /**
   * Where reading stopped.
   *
   * @param end the end of the last whole append read
   * @param lastSeq the sequence number of its last record (or the one given to start from)
   * @param badAt where the record that did not read begins, or -1 if reading ended cleanly (at a
   *     length of zero or at the limit)
   * @param what what is wrong with it, or null
   */
  record Stop(long end, long lastSeq, long badAt, String what) {
    boolean clean() {
      return badAt < 0;
    }
  }

  private final FileChannel channel;
  private final int version;
  private final long limit;
  private ByteBuffer buffer = ByteBuffer.allocate(0);
  private long bufferAt;

  /** Reads {@code channel}, written in format {@code version}, up to {@code limit}. */
  LogScanner(FileChannel channel, int version, long limit) {
    this.channel = channel;
    this.version = version;
    this.limit = limit;
  }

  long limit() {
    return limit;
  }

  /**
   * Reads whole appends from {@code from} on, handing each to {@code sink}, until the limit, a
   * length of zero (the end of the data) or a record that does not read.
   *
   * @param lastSeq the sequence number of the record before {@code from}
   */
  Stop readAppends(long from, long lastSeq, Sink sink) throws IOException {
    long pos = from;
    long seq = lastSeq;
    while (true) {
      Append a = append(pos, seq);
      if (a.records() == null) {
        return new Stop(pos, seq, a.what() == null ? -1 : a.badAt(), a.what());
      }
      sink.append(a.records());
      Record last = a.records().get(a.records().size() - 1);
      seq = last.seq();
      pos = last.end();
    }
  }

  /**
   * One append read at a position: its records, or where and why it does not read.
   *
   * @param records the whole append, or null
   * @param what why not; null too for the end of the data (the limit, or a length of zero)
   */
  private record Append(List<Record> records, long badAt, String what) {}

  /** The append that begins at {@code pos}, after sequence number {@code lastSeq}. */
  private Append append(long pos, long lastSeq) throws IOException {
    String[] why = new String[1];
    List<Record> records = new ArrayList<>();
    Record previous = null;
    long at = pos;
    while (true) {
      Record r = at >= limit ? null : record(at, why);
      if (r == null) {
        String what =
            why[0] != null || previous == null
                ? why[0]
                : "an append ends before its last record (a torn write)";
        return new Append(null, at, what);
      }
      String wrong = misplaced(r, lastSeq, previous);
      if (wrong != null) {
        return new Append(null, at, wrong);
      }
      records.add(r);
      if ((r.flags() & FLAG_CONTINUED) == 0) {
        return new Append(List.copyOf(records), -1, null);
      }
      previous = r;
      at = r.end();
    }
  }

  /**
   * The first offset in [{@code from}, limit) where an append begins that reads whole, with
   * sequence numbers above {@code afterSeq}; -1 if there is none.
   */
  long resync(long from, long afterSeq) throws IOException {
    for (long q = from; q + RECORD_PREFIX + RECORD_FIXED <= limit; q++) {
      ByteBuffer head = at(q, RECORD_PREFIX + RECORD_FIXED);
      int n = head.getInt(0);
      int flags = head.get(RECORD_PREFIX) & 0xff;
      // cheap tests first: most offsets fail one, and only the rest are checksummed
      if (n >= RECORD_FIXED
          && n <= MAX_RECORD
          && head.getLong(RECORD_PREFIX + 1) > afterSeq
          && knownFlags(flags)
          && (version < 2 || (flags & FLAG_FIRST) != 0)
          && append(q, afterSeq).records() != null) {
        return q;
      }
    }
    return -1;
  }

  /** The end of the last byte that is not zero in [{@code from}, limit). */
  long dataEnd(long from) throws IOException {
    long end = from;
    for (long pos = from; pos < limit; ) {
      int n = (int) Math.min(1 << 20, limit - pos);
      ByteBuffer b = at(pos, n);
      for (int i = n - 1; i >= 0; i--) {
        if (b.get(i) != 0) {
          end = pos + i + 1;
          break;
        }
      }
      pos += n;
    }
    return end;
  }

  /** Whether every byte in [{@code from}, limit) is zero. */
  boolean zeroFrom(long from) throws IOException {
    for (long pos = from; pos < limit; ) {
      int n = (int) Math.min(1 << 20, limit - pos);
      ByteBuffer b = at(pos, n);
      for (int i = 0; i < n; i++) {
        if (b.get(i) != 0) {
          return false;
        }
      }
      pos += n;
    }
    return true;
  }

  /**
   * What is wrong with record {@code r} where it stands, or null: after a whole append, or after
   * {@code previous} of the same append.
   */
  private String misplaced(Record r, long lastSeq, Record previous) {
    boolean first = (r.flags() & FLAG_FIRST) != 0;
    if (!knownFlags(r.flags())) {
      return "unknown record flags " + r.flags();
    }
    if (previous == null) {
      if (version >= 2 && !first) {
        return "a record that continues an append stands where an append should begin";
      }
      return r.seq() <= lastSeq ? "sequence number %d after %d".formatted(r.seq(), lastSeq) : null;
    }
    if (version >= 2 && first) {
      return "an append begins before the one before it ended (a torn write)";
    }
    if (version >= 2 ? r.seq() != previous.seq() + 1 : r.seq() <= previous.seq()) {
      return "sequence number %d after %d in one append".formatted(r.seq(), previous.seq());
    }
    return null;
  }

  private boolean knownFlags(int flags) {
    return (flags & ~(version >= 2 ? FLAG_CONTINUED | FLAG_FIRST : FLAG_CONTINUED)) == 0;
  }

  /**
   * The record at {@code pos}, or null with the reason in {@code why[0]}; null with no reason for a
   * length of zero.
   */
  Record record(long pos, String[] why) throws IOException {
    why[0] = null;
    if (pos + RECORD_PREFIX > limit) {
      why[0] = "the file ends inside a record";
      return null;
    }
    ByteBuffer prefix = at(pos, RECORD_PREFIX);
    int n = prefix.getInt(0);
    int crc = prefix.getInt(4);
    if (n == 0 && crc == 0) {
      return null;
    }
    if (n < RECORD_FIXED || n > MAX_RECORD) {
      why[0] = "bad record length " + n;
      return null;
    }
    if (pos + RECORD_PREFIX + n > limit) {
      why[0] = "the file ends inside a record";
      return null;
    }
    ByteBuffer body = at(pos + RECORD_PREFIX, n);
    if (LogFormat.crc(body) != crc) {
      why[0] = "checksum mismatch";
      return null;
    }
    int flags = body.get(0) & 0xff;
    long seq = body.getLong(1);
    int k = Short.toUnsignedInt(body.getShort(9));
    if (k > n - RECORD_FIXED) {
      why[0] = "bad key length " + k;
      return null;
    }
    byte[] key = new byte[k];
    body.get(RECORD_FIXED, key);
    long payloadAt = pos + RECORD_PREFIX + RECORD_FIXED + k;
    return new Record(
        pos,
        flags,
        seq,
        new String(key, StandardCharsets.UTF_8),
        payloadAt,
        n - RECORD_FIXED - k,
        RECORD_PREFIX + n);
  }

  /**
   * The key a record at {@code pos} names, read without trusting its checksum (for reports of what
   * was lost); null if even its framing is unreadable.
   */
  String keyUnchecked(long pos) throws IOException {
    if (pos + RECORD_PREFIX + RECORD_FIXED > limit) {
      return null;
    }
    ByteBuffer head = at(pos, RECORD_PREFIX + RECORD_FIXED);
    int n = head.getInt(0);
    int k = Short.toUnsignedInt(head.getShort(RECORD_PREFIX + 9));
    if (n < RECORD_FIXED || n > MAX_RECORD || k == 0 || k > n - RECORD_FIXED || k > 1024) {
      return null;
    }
    if (pos + RECORD_PREFIX + RECORD_FIXED + k > limit) {
      return null;
    }
    ByteBuffer key = at(pos + RECORD_PREFIX + RECORD_FIXED, k);
    byte[] bytes = new byte[k];
    key.get(0, bytes);
    String s = new String(bytes, StandardCharsets.UTF_8);
    return s.chars().allMatch(c -> c >= 0x20 && c != 0x7f && c != 0xfffd) ? s : null;
  }

  /** {@code n} bytes at {@code pos}, which must lie before the limit. */
  ByteBuffer at(long pos, int n) throws IOException {
    if (pos < bufferAt || pos + n > bufferAt + buffer.limit()) {
      int size = (int) Math.min(Math.max(n, 1 << 20), limit - pos);
      if (buffer.capacity() < size) {
        buffer = ByteBuffer.allocate(size);
      }
      buffer.clear().limit(size);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer, pos + buffer.position()) < 0) {
          throw new IOException("unexpected end of file at " + (pos + buffer.position()));
        }
      }
      buffer.flip();
      bufferAt = pos;
    }
    ByteBuffer view = buffer.duplicate();
    view.position((int) (pos - bufferAt)).limit((int) (pos - bufferAt) + n);
    return view.slice().order(ByteOrder.LITTLE_ENDIAN);
  }
}
