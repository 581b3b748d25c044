package dev.cairn.file;

import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * The index of the log a compaction writes, built as it is written, for its {@link LogIndexFile}:
 * so that neither the compacting process nor any other builds an index of the new log on its heap.
 * What it holds in memory is two numbers per entry kept; the keys, with the sequence numbers each
 * keeps, go to a temporary file beside the log ({@code data-NNNNNNNN.idx.keys.tmp}).
 *
 * <p>Use: {@link #keep} for each key, then {@link #sort}, then {@link #copied} for each entry kept,
 * in sequence order, as it is written, then {@link #finish}; then it is a {@link
 * LogIndexFile.Source}. {@link #close} removes the temporary file.
 */
final class CompactionIndex implements LogIndexFile.Source, AutoCloseable {
  private final Path keysFile;
  private final FileChannel keys;
  private final FileChannel log;
  private final LogIndexFile.Output keysOut;
  private int keyCount;
  private long[] seqs = new long[1024];
  private long[] recordAt;
  private int count;
  private int copied;
  private long covered;

  CompactionIndex(Path keysFile, FileChannel log) throws IOException {
    Files.deleteIfExists(keysFile); // left by a compaction that died: the caller holds the lock
    this.keysFile = keysFile;
    this.keys =
        FileChannel.open(
            keysFile,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    this.log = log;
    this.keysOut = new LogIndexFile.Output(keys, 0);
  }

  /** The entries kept of one key, in sequence order. */
  void keep(String key, List<LogEntry> kept) throws IOException {
    if (kept.isEmpty()) {
      return;
    }
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    keysOut.putShort(k.length);
    keysOut.put(k);
    keysOut.putInt(kept.size());
    for (LogEntry e : kept) {
      keysOut.putLong(e.seq());
      if (count == seqs.length) {
        seqs = Arrays.copyOf(seqs, count * 2);
      }
      seqs[count++] = e.seq();
    }
    keyCount++;
  }

  /** After the last {@link #keep}: the entries kept, in sequence order, are ready to be copied. */
  void sort() throws IOException {
    keysOut.flush();
    Arrays.sort(seqs, 0, count);
    recordAt = new long[count];
  }

  boolean isKept(long seq) {
    return Arrays.binarySearch(seqs, 0, count, seq) >= 0;
  }

  /** The next entry kept was written, its record beginning at {@code at}. */
  void copied(long seq, long at) throws IOException {
    if (copied == count || seqs[copied] != seq) {
      throw new IOException("entry " + seq + " copied out of order");
    }
    recordAt[copied++] = at;
  }

  /** Every entry kept was copied; the log ends at {@code end}. */
  void finish(long end) throws IOException {
    if (copied != count) {
      throw new IOException(
          "%d entries were kept but %d copied: the log moved under the compaction"
              .formatted(count, copied));
    }
    covered = end;
  }

  @Override
  public long covered() {
    return covered;
  }

  @Override
  public long entryCount() {
    return count;
  }

  @Override
  public int keyCount() {
    return keyCount;
  }

  @Override
  public LogSegment.Last last() throws IOException {
    if (count == 0) {
      return new LogSegment.Last(0, 0, 0);
    }
    ByteBuffer prefix = ByteBuffer.allocate(LogFormat.RECORD_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
    long at = recordAt[count - 1];
    LogFiles.readFully(log, prefix, at);
    return new LogSegment.Last(seqs[count - 1], at, prefix.getInt(4));
  }

  @Override
  public void forEachEntry(LogSegment.EntryVisitor visit) throws IOException {
    for (int i = 0; i < count; i++) {
      visit.visit(seqs[i], recordAt[i]);
    }
  }

  @Override
  public void forEachKey(LogSegment.KeyVisitor visit) throws IOException {
    Reader in = new Reader();
    for (int k = 0; k < keyCount; k++) {
      byte[] key = new byte[Short.toUnsignedInt(in.next(2).getShort())];
      in.next(key.length).get(key);
      int[] numbers = new int[in.next(4).getInt()];
      for (int i = 0; i < numbers.length; i++) {
        numbers[i] = Arrays.binarySearch(seqs, 0, count, in.next(8).getLong());
      }
      Arrays.sort(numbers);
      visit.visit(key, numbers);
    }
  }

  /** Reads the key file front to back. */
  private final class Reader {
    private final ByteBuffer in = ByteBuffer.allocate(1 << 17).order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    Reader() {
      in.limit(0);
    }

    /** A buffer whose next {@code n} bytes are the file's next {@code n}. */
    ByteBuffer next(int n) throws IOException {
      if (in.remaining() < n) {
        in.compact();
        while (in.position() < n) {
          int read = keys.read(in, position);
          if (read < 0) {
            throw new IOException("unexpected end of " + keysFile);
          }
          position += read;
        }
        in.flip();
      }
      return in;
    }
  }

  @Override
  public void close() throws IOException {
    keys.close();
    Files.deleteIfExists(keysFile);
  }
}
