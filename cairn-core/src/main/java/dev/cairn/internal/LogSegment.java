package dev.cairn.internal;

import dev.cairn.StorageException;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The log file of one generation and this process's index of it: where each key's entries lie, in
 * sequence order, and every entry in sequence order (the change feed). Appended to under {@link
 * FileLog}'s index lock, read without locks.
 */
final class LogSegment {
  final Path file;
  final long generation;
  final FileChannel channel;
  LogFormat.Header header; // its durable mark changes when a compaction installs the file
  final Map<String, Refs> keys = new ConcurrentHashMap<>();
  final Refs bySeq = new Refs();
  volatile long end;
  long lastSeq;
  long allocated; // file size as last seen under the write lock

  LogSegment(Path file, FileChannel channel, LogFormat.Header header) {
    this.file = file;
    this.generation = header.generation();
    this.channel = channel;
    this.header = header;
    this.end = header.size();
  }

  String storeId() {
    return header.storeId();
  }

  /** Where one entry's payload lies. */
  record Ref(String key, long seq, long offset, int length) {}

  /**
   * A growable array of refs: appended to under the index lock, read without locks (the array is
   * replaced before the size grows, so a reader that reads the size first sees every element).
   */
  static final class Refs {
    volatile Ref[] items = new Ref[2];
    volatile int size;

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

  void index(List<LogScanner.Record> records) {
    for (LogScanner.Record r : records) {
      index(new Ref(r.key(), r.seq(), r.payloadAt(), r.payloadLength()));
    }
  }

  void index(Ref ref) {
    Refs log = keys.get(ref.key);
    Ref r = ref;
    if (log == null) {
      log = new Refs();
      keys.put(r.key, log);
    } else {
      r = new Ref(log.items[0].key, r.seq, r.offset, r.length); // share one key string
    }
    log.add(r);
    bySeq.add(r);
    lastSeq = r.seq;
  }

  /** The sequence number of {@code key}'s last entry, 0 if it has none. */
  long head(String key) {
    Refs log = keys.get(key);
    return log == null ? 0 : log.lastSeq();
  }

  /** The index of the first of {@code n} refs, in sequence order, numbered above {@code seq}. */
  static int firstAfter(Ref[] items, int n, long seq) {
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

  /** Reads an entry's payload from the file. */
  LogEntry load(Ref r) {
    ByteBuffer buf = ByteBuffer.allocate(r.length);
    try {
      while (buf.hasRemaining()) {
        if (channel.read(buf, r.offset + buf.position()) < 0) {
          throw new IOException("unexpected end of file at " + (r.offset + buf.position()));
        }
      }
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
    return new LogEntry(r.key, r.seq, buf.array());
  }
}
