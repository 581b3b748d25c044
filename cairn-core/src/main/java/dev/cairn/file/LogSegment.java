package dev.cairn.file;

import dev.cairn.StorageException;
import dev.cairn.StoreFormatException;
import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The log file of one generation and this process's index of it: where each key's entries lie, in
 * sequence order, and every entry in sequence order (the change feed). The index has two parts: the
 * log's {@link LogIndexFile}, mapped, for the entries it covers, and on the heap the entries read
 * or appended after it (all of them if there is no index file). Appended to under {@link FileLog}'s
 * index lock, read without locks.
 */
final class LogSegment {
  /** A record is read with one read of this size when it fits. */
  private static final int READ_AHEAD = 1024;

  final Path file;
  final long generation;
  final FileChannel channel;
  LogFormat.Header header; // its durable mark changes when a compaction installs the file
  private final LogIndexFile base; // null if none
  private final Map<String, Refs> keys = new ConcurrentHashMap<>();
  private final Refs bySeq = new Refs();
  volatile long end;
  volatile long lastSeq;
  long allocated; // file size as last seen under the write lock

  LogSegment(Path file, FileChannel channel, LogFormat.Header header) {
    this(file, channel, header, null);
  }

  private LogSegment(Path file, FileChannel channel, LogFormat.Header header, LogIndexFile base) {
    this.file = file;
    this.generation = header.generation();
    this.channel = channel;
    this.header = header;
    this.base = base;
    this.end = base == null ? header.size() : base.covered;
    this.lastSeq = base == null ? 0 : base.lastSeq;
  }

  /** This log, indexed up to where {@code index} covers it; nothing after is indexed yet. */
  LogSegment withIndex(LogIndexFile index) {
    return new LogSegment(file, channel, header, index);
  }

  boolean hasIndexFile() {
    return base != null;
  }

  /** Where the index file covers the log up to; the header's end if there is none. */
  long indexFileCovers() {
    return base == null ? header.size() : base.covered;
  }

  String storeId() {
    return header.storeId();
  }

  /** Where one entry lies: its record, and the payload within it. */
  record Ref(String key, long seq, long recordAt, long payloadAt, int length) {}

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

  // ---- indexing, under the index lock ----

  void index(List<LogScanner.Record> records) {
    for (LogScanner.Record r : records) {
      index(new Ref(r.key(), r.seq(), r.offset(), r.payloadAt(), r.payloadLength()));
    }
  }

  void index(Ref ref) {
    Refs log = keys.get(ref.key);
    Ref r = ref;
    if (log == null) {
      log = new Refs();
      keys.put(r.key, log);
    } else {
      r = new Ref(log.items[0].key, r.seq, r.recordAt, r.payloadAt, r.length); // one key string
    }
    log.add(r);
    bySeq.add(r);
    lastSeq = r.seq;
  }

  // ---- reading, without locks ----

  /** The sequence number of {@code key}'s last entry, 0 if it has none. */
  long head(String key) {
    Refs log = keys.get(key);
    if (log != null) {
      return log.lastSeq();
    }
    if (base == null) {
      return 0;
    }
    int at = base.find(key.getBytes(StandardCharsets.UTF_8));
    return at < 0 ? 0 : base.headOf(at);
  }

  /** At most {@code limit} entries of {@code key}'s log numbered above {@code afterSeq}. */
  List<LogEntry> read(String key, long afterSeq, int limit) {
    List<LogEntry> out = new ArrayList<>();
    if (base != null && afterSeq < base.lastSeq) {
      int at = base.find(key.getBytes(StandardCharsets.UTF_8));
      if (at >= 0) {
        for (int entry : base.entriesOf(at)) {
          if (out.size() == limit) {
            return out;
          }
          if (base.seqAt(entry) > afterSeq) {
            out.add(loadIndexed(entry, key));
          }
        }
      }
    }
    Refs log = keys.get(key);
    if (log != null) {
      int n = log.size;
      Ref[] items = log.items;
      for (int i = firstAfter(items, n, afterSeq); i < n && out.size() < limit; i++) {
        out.add(load(items[i]));
      }
    }
    return out;
  }

  /** The keys that have entries, in no particular order. */
  List<String> keys() {
    List<String> out = new ArrayList<>();
    if (base != null) {
      base.forEachKey(at -> out.add(base.keyAt(at)));
      for (String key : keys.keySet()) {
        if (base.find(key.getBytes(StandardCharsets.UTF_8)) < 0) {
          out.add(key);
        }
      }
    } else {
      out.addAll(keys.keySet());
    }
    return out;
  }

  /** Takes one key. */
  interface KeyConsumer {
    void accept(String key) throws IOException;
  }

  /** Calls {@code visit} with each key that has entries, once, without collecting them all. */
  void forEachKey(KeyConsumer visit) throws IOException {
    if (base != null) {
      IOException[] failed = new IOException[1];
      base.forEachKey(
          at -> {
            if (failed[0] == null) {
              try {
                visit.accept(base.keyAt(at));
              } catch (IOException e) {
                failed[0] = e;
              }
            }
          });
      if (failed[0] != null) {
        throw failed[0];
      }
    }
    for (String key : keys.keySet()) {
      if (base == null || base.find(key.getBytes(StandardCharsets.UTF_8)) < 0) {
        visit.accept(key);
      }
    }
  }

  /** At most {@code limit} entries numbered above {@code since}, in sequence order. */
  List<LogEntry> changes(long since, int limit) {
    List<LogEntry> out = new ArrayList<>();
    if (base != null && since < base.lastSeq) {
      for (int i = base.firstAfter(since); i < base.entryCount && out.size() < limit; i++) {
        out.add(loadIndexed(i, null));
      }
    }
    int n = bySeq.size;
    Ref[] items = bySeq.items;
    for (int i = firstAfter(items, n, since); i < n && out.size() < limit; i++) {
      out.add(load(items[i]));
    }
    return out;
  }

  /** How many entries the log holds, as far as it is indexed. */
  long entryCount() {
    return (base == null ? 0 : base.entryCount) + bySeq.size;
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

  /** Reads an entry's payload from the file: its record was checked when it was indexed. */
  LogEntry load(Ref r) {
    ByteBuffer buf = ByteBuffer.allocate(r.length);
    try {
      LogFiles.readFully(channel, buf, r.payloadAt);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
    return new LogEntry(r.key, r.seq, buf.array());
  }

  /**
   * Reads the entry the index file numbers {@code entry}, checking its record: its checksum, and
   * that it is the key's (if given) with the sequence number the index says.
   */
  private LogEntry loadIndexed(int entry, String expectedKey) {
    long at = base.offsetAt(entry);
    long seq = base.seqAt(entry);
    try {
      ByteBuffer rec = ByteBuffer.allocate(READ_AHEAD).order(ByteOrder.LITTLE_ENDIAN);
      while (rec.position() < LogFormat.RECORD_PREFIX + LogFormat.RECORD_FIXED) {
        if (channel.read(rec, at + rec.position()) < 0) { // most records: one read
          throw new IOException("unexpected end of file at " + (at + rec.position()));
        }
      }
      int n = rec.getInt(0);
      if (n < LogFormat.RECORD_FIXED || n > LogFormat.MAX_RECORD) {
        throw damaged(at, "bad record length " + n);
      }
      if (LogFormat.RECORD_PREFIX + n > rec.capacity()) {
        ByteBuffer whole = ByteBuffer.allocate(LogFormat.RECORD_PREFIX + n);
        whole.order(ByteOrder.LITTLE_ENDIAN).put(rec.flip());
        rec = whole;
      } else if (rec.position() > LogFormat.RECORD_PREFIX + n) {
        rec.position(LogFormat.RECORD_PREFIX + n); // read ahead past the record
      }
      rec.limit(LogFormat.RECORD_PREFIX + n);
      LogFiles.readFully(channel, rec, at);
      ByteBuffer body = rec.duplicate().position(LogFormat.RECORD_PREFIX);
      if (LogFormat.crc(body) != rec.getInt(4)) {
        throw damaged(at, "checksum mismatch");
      }
      int k = Short.toUnsignedInt(rec.getShort(LogFormat.RECORD_PREFIX + 9));
      if (k > n - LogFormat.RECORD_FIXED) {
        throw damaged(at, "bad key length " + k);
      }
      int keyAt = LogFormat.RECORD_PREFIX + LogFormat.RECORD_FIXED;
      String key = new String(rec.array(), keyAt, k, StandardCharsets.UTF_8);
      if (rec.getLong(LogFormat.RECORD_PREFIX + 1) != seq
          || expectedKey != null && !expectedKey.equals(key)) {
        throw new StoreFormatException(
            "%s does not match %s at byte %d: the index file is derived from the log; moved"
                    .formatted(LogIndexFile.file(file.getParent(), generation), file, at)
                + " away, it is rebuilt from the log when the store is next opened. Nothing was"
                + " changed.");
      }
      byte[] payload = Arrays.copyOfRange(rec.array(), keyAt + k, LogFormat.RECORD_PREFIX + n);
      return new LogEntry(key, seq, payload);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  private StoreFormatException damaged(long at, String what) {
    return new StoreFormatException(
        "%s is damaged at byte %d: %s.%s".formatted(file, at, what, LogFormat.DAMAGE_ADVICE));
  }

  // ---- a consistent view, for writing an index file ----

  /** The last record a view covers. */
  record Last(long seq, long recordAt, int crc) {}

  /** Visits one entry. */
  interface EntryVisitor {
    void visit(long seq, long recordAt) throws IOException;
  }

  /** Visits one key with the numbers of its entries. */
  interface KeyVisitor {
    void visit(byte[] key, int[] entryNumbers) throws IOException;
  }

  /** What is indexed now, fixed; taken under the index lock, read without it. */
  View view() {
    return new View(bySeq.items, bySeq.size, end, lastSeq);
  }

  /** Everything the segment indexes up to a moment; entries appended later are left out. */
  final class View implements LogIndexFile.Source {
    private final Ref[] items;
    private final int n;
    private final long covered;
    private final long last;

    private View(Ref[] items, int n, long covered, long last) {
      this.items = items;
      this.n = n;
      this.covered = covered;
      this.last = last;
    }

    @Override
    public long covered() {
      return covered;
    }

    @Override
    public long entryCount() {
      return (base == null ? 0 : base.entryCount) + (long) n;
    }

    @Override
    public Last last() throws IOException {
      if (n == 0 && base == null) {
        return new Last(0, 0, 0);
      }
      long at = n > 0 ? items[n - 1].recordAt : base.offsetAt(base.entryCount - 1);
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      LogFiles.readFully(channel, prefix, at);
      return new Last(last, at, prefix.getInt(4));
    }

    @Override
    public void forEachEntry(EntryVisitor visit) throws IOException {
      if (base != null) {
        for (int i = 0; i < base.entryCount; i++) {
          visit.visit(base.seqAt(i), base.offsetAt(i));
        }
      }
      for (int i = 0; i < n; i++) {
        visit.visit(items[i].seq, items[i].recordAt);
      }
    }

    private boolean seen(Refs log) {
      return log.size > 0 && log.items[0].seq <= last;
    }

    @Override
    public int keyCount() {
      long count = base == null ? 0 : base.keyCount;
      for (Map.Entry<String, Refs> e : keys.entrySet()) {
        if (seen(e.getValue()) && !inBase(e.getKey())) {
          count++;
        }
      }
      return Math.toIntExact(count);
    }

    private boolean inBase(String key) {
      return base != null && base.find(key.getBytes(StandardCharsets.UTF_8)) >= 0;
    }

    /** Each key once: those of the index file first, in its order, then the others. */
    @Override
    public void forEachKey(KeyVisitor visit) throws IOException {
      int baseCount = base == null ? 0 : base.entryCount;
      if (base != null) {
        IOException[] failed = new IOException[1];
        base.forEachKey(
            at -> {
              if (failed[0] != null) {
                return;
              }
              String key = base.keyAt(at);
              int[] numbers = concat(base.entriesOf(at), keys.get(key), baseCount);
              try {
                visit.visit(key.getBytes(StandardCharsets.UTF_8), numbers);
              } catch (IOException e) {
                failed[0] = e;
              }
            });
        if (failed[0] != null) {
          throw failed[0];
        }
      }
      for (Map.Entry<String, Refs> e : keys.entrySet()) {
        if (seen(e.getValue()) && !inBase(e.getKey())) {
          visit.visit(
              e.getKey().getBytes(StandardCharsets.UTF_8),
              concat(new int[0], e.getValue(), baseCount));
        }
      }
    }

    /** {@code numbers} followed by the entry numbers of {@code log}'s refs this view covers. */
    private int[] concat(int[] numbers, Refs log, int baseCount) {
      if (log == null) {
        return numbers;
      }
      int size = log.size;
      Ref[] refs = log.items;
      int[] out = Arrays.copyOf(numbers, numbers.length + size);
      int count = numbers.length;
      for (int i = 0; i < size && refs[i].seq <= last; i++) {
        out[count++] = baseCount + firstAfter(items, n, refs[i].seq - 1);
      }
      return Arrays.copyOf(out, count);
    }
  }
}
