package dev.cairn.file;

import static dev.cairn.file.LogFiles.logName;

import dev.cairn.spi.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One rewrite of a log as the next generation, for compaction and for the upgrade of an old format:
 * the new file is written as {@code .tmp} with what is kept ({@link #writeKept}, while appends go
 * on), the appends made meanwhile are copied ({@link #copyFrom}, under the write lock), and it is
 * renamed into place ({@link #install}); or, on a failure, removed ({@link #abandon}). The caller
 * holds the compaction lock and does the locking; this class writes files.
 */
final class LogRewrite {
  private final Path dir;
  private final LogSegment from;
  private LogSegment out;
  private boolean installed;

  private LogRewrite(Path dir, LogSegment from, LogSegment out) {
    this.dir = dir;
    this.from = from;
    this.out = out;
  }

  /** Creates the next generation's file as {@code .tmp}. */
  static LogRewrite start(Path dir, LogSegment from) throws IOException {
    Path tmp = dir.resolve(logName(from.generation + 1) + ".tmp");
    Files.deleteIfExists(tmp); // left by a compaction that died: the caller holds the lock
    return new LogRewrite(
        dir,
        from,
        LogFiles.createLog(dir, tmp, from.generation + 1, from.storeId(), LogFiles.HEADER_END));
  }

  /**
   * Writes to the new log, in sequence order, the entries {@code keep} selects among those of the
   * old one numbered up to {@code toSeq}, which end at byte {@code to}; fsyncs them and writes
   * their index file, to be renamed into place with the log. Holds two numbers per entry kept, and
   * reads the log front to back to copy them, checking every record.
   *
   * @return the new log, indexed by that index file (or on the heap if it could not be written)
   */
  LogSegment writeKept(long toSeq, long to, BiFunction<String, List<LogEntry>, List<LogEntry>> keep)
      throws IOException {
    LogSegment s = from;
    Path keysFile = dir.resolve(logName(out.generation) + ".keys.tmp");
    try (CompactionIndex index = new CompactionIndex(keysFile, out.channel)) {
      s.forEachKey(
          key -> {
            List<LogEntry> entries = s.read(key, 0, Integer.MAX_VALUE);
            int upTo = entries.size();
            while (upTo > 0 && entries.get(upTo - 1).seq() > toSeq) {
              upTo--;
            }
            if (upTo > 0) {
              index.keep(key, keep.apply(key, List.copyOf(entries.subList(0, upTo))));
            }
          });
      index.sort();
      Copier copier = new Copier(out, index);
      LogScanner scanner = new LogScanner(s.channel, s.header.version(), to);
      LogScanner.Stop stop =
          scanner.readAppends(
              s.header.size(),
              0,
              records -> {
                for (LogScanner.Record r : records) {
                  if (r.seq() <= toSeq && index.isKept(r.seq())) {
                    byte[] payload = new byte[r.payloadLength()];
                    scanner.at(r.payloadAt(), r.payloadLength()).get(payload);
                    copier.copy(new LogEntry(r.key(), r.seq(), payload));
                  }
                }
              });
      if (stop.end() != to) {
        throw new IOException(
            "%s does not read whole up to byte %d (%s at byte %d); `cairn check` tells more"
                .formatted(s.file, to, stop.what(), stop.badAt()));
      }
      copier.flush();
      index.finish(out.end);
      out.channel.force(false); // most of the fsync, before writers wait
      out = indexedBy(out, index);
      return out;
    }
  }

  /**
   * {@code out}, written and forced up to its end, read through the index file written from {@code
   * index}; if that cannot be, read from the log onto the heap.
   */
  private LogSegment indexedBy(LogSegment out, CompactionIndex index) throws IOException {
    Path tmp = LogIndexFile.tmpFile(dir, out.generation);
    try {
      if (LogIndexFile.write(tmp, out, index)) {
        LogIndexFile file = LogIndexFile.open(tmp, out, out.end);
        if (file != null) {
          return out.withIndex(file);
        }
      }
    } catch (IOException | LogIndexFile.Unusable | RuntimeException e) {
      FileLog.warn(
          "cannot write the index file of " + out.file + "; it is read onto the heap: " + e, e);
      Files.deleteIfExists(tmp);
    }
    LogSegment whole = new LogSegment(out.file, out.channel, out.header);
    FileLog.scan(whole, out.end);
    return whole;
  }

  /**
   * Under the write lock: copies to the new log every entry of the old one numbered above {@code
   * fromSeq}, as it is.
   */
  void copyFrom(long fromSeq) throws IOException {
    LogSegment s = from;
    Copier copier = new Copier(out, null);
    long since = fromSeq;
    for (List<LogEntry> batch = s.changes(since, 4096);
        !batch.isEmpty();
        batch = s.changes(since, 4096)) {
      for (LogEntry e : batch) {
        copier.copy(e);
        since = e.seq();
      }
    }
    copier.flush();
  }

  /**
   * Writes records to the end of a log being built, in large writes, indexing each: in {@code
   * index} if given (for the index file), else on the heap.
   */
  private static final class Copier {
    private final LogSegment out;
    private final CompactionIndex index;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);

    Copier(LogSegment out, CompactionIndex index) {
      this.out = out;
      this.index = index;
    }

    void copy(LogEntry e) throws IOException {
      byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
      ByteBuffer rec = LogFormat.encode(key, List.of(e.payload()), e.seq());
      int length = rec.remaining();
      if (length > buffer.remaining()) {
        flush();
      }
      long at = out.end;
      if (length > buffer.capacity()) {
        LogFiles.writeFully(out.channel, rec, at);
      } else {
        buffer.put(rec);
      }
      int payload = e.payload().length;
      if (index != null) {
        index.copied(e.seq(), at);
      } else {
        out.index(new LogSegment.Ref(e.key(), e.seq(), at, at + length - payload, payload));
      }
      out.end += length;
    }

    /** Writes what is buffered: every record copied is then in the file. */
    void flush() throws IOException {
      long at = out.end - buffer.position();
      buffer.flip();
      LogFiles.writeFully(out.channel, buffer, at);
      buffer.clear();
    }
  }

  /**
   * Marks the new log durable to its end, fsyncs it, renames it and then its index file into place
   * and deletes the old log's files. A crash before the rename leaves the old log whole; after it,
   * the new one.
   */
  LogSegment install() throws IOException {
    LogSegment s = from;
    LogFormat.Mark mark = LogFormat.nextMark(out.end, out.header.mark().counter());
    LogFormat.writeMark(out.channel, mark);
    out.channel.force(true);
    out.header = out.header.withMark(mark);
    Files.move(
        dir.resolve(logName(out.generation) + ".tmp"),
        dir.resolve(logName(out.generation)),
        StandardCopyOption.ATOMIC_MOVE);
    Path index = LogIndexFile.tmpFile(dir, out.generation);
    if (Files.exists(index)) { // after the log: never an index file without its log
      Files.move(index, LogIndexFile.file(dir, out.generation), StandardCopyOption.ATOMIC_MOVE);
    }
    LogFiles.syncDirectory(dir);
    Files.deleteIfExists(dir.resolve(logName(s.generation)));
    Files.deleteIfExists(LogIndexFile.file(dir, s.generation));
    installed = true;
    return out;
  }

  /** After a failure: the new log's files are removed, unless it was installed. */
  void abandon() {
    if (installed) {
      return; // the new log is the store's now
    }
    LogFiles.closeQuietly(out.channel);
    try {
      Files.deleteIfExists(dir.resolve(logName(out.generation) + ".tmp"));
      Files.deleteIfExists(LogIndexFile.tmpFile(dir, out.generation));
    } catch (IOException ignored) {
      // the next compaction or open removes it
    }
  }
}
