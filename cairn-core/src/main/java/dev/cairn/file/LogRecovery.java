package dev.cairn.file;

import static dev.cairn.file.LogFiles.HEADER_END;
import static dev.cairn.file.LogFiles.closeQuietly;
import static dev.cairn.file.LogFiles.createLog;
import static dev.cairn.file.LogFiles.damaged;
import static dev.cairn.file.LogFiles.generationOf;
import static dev.cairn.file.LogFiles.logName;
import static dev.cairn.file.LogFiles.openLog;
import static dev.cairn.file.LogFiles.zero;
import static dev.cairn.file.SharedMemory.COMPACT_LOCK;
import static dev.cairn.file.SharedMemory.SYNC_LOCK;
import static dev.cairn.file.SharedMemory.generation;
import static dev.cairn.file.SharedMemory.word;

import dev.cairn.InvalidLocationException;
import dev.cairn.StoreFormatException;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Opening a store directory, under the write lock: which generation is current, the log read after
 * what its index file covers, a torn write told from damage ({@link FileLog}'s header gives the
 * rule) and cleared, the durable point recorded, and leftovers of interrupted compactions removed.
 */
final class LogRecovery {
  private static final System.Logger LOG = System.getLogger(LogRecovery.class.getName());

  private LogRecovery() {}

  /**
   * Refuses, before creating anything, a path that is a file or a directory of something else.
   *
   * @return whether a store is there
   */
  static boolean checkDirectory(Path dir) {
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
        } else if (name.equals(SharedMemory.FILE)
            || name.equals(FileBackend.SHARED_DIRECTORY)
            || LogIndexFile.isIndexName(name)) {
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
                  dir,
                  String.join(", ", others.subList(0, Math.min(3, others.size()))),
                  SharedMemory.FILE));
    }
    return log;
  }

  /**
   * Under the write lock: finds the current generation, builds the index by reading the log, tells
   * a torn write (cleared) from damage (refused), and publishes the end. A log of format version 1
   * is rewritten as the current version. Leftovers of an interrupted compaction are removed.
   */
  static LogSegment recover(Path dir, SharedMemory shm) throws IOException {
    List<Long> generations = new ArrayList<>();
    List<Long> indexGenerations = new ArrayList<>();
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".tmp")) {
          stale.add(f); // a compaction, or an index, that did not finish
        } else if (generationOf(name) > 0) {
          generations.add(generationOf(name));
        } else if (LogIndexFile.generationOf(name) > 0) {
          indexGenerations.add(LogIndexFile.generationOf(name));
        }
      }
    }
    long generation = generations.stream().mapToLong(Long::longValue).max().orElse(0);
    for (long g : generations) {
      if (g < generation) {
        stale.add(dir.resolve(logName(g))); // a compaction that finished but for the delete
      }
    }
    for (long g : indexGenerations) {
      if (g < generation) {
        stale.add(LogIndexFile.file(dir, g));
      }
    }
    LogSegment s =
        generation == 0
            ? createLog(dir, dir.resolve(logName(1)), 1, UUID.randomUUID().toString(), HEADER_END)
            : openLog(dir, generation);
    try {
      SharedMemory.Hints hints = shm.hints(s.storeId(), s.generation);
      long durable = Math.max(s.header.mark().end(), hints.durable());
      s = withIndexFile(dir, s, durable);
      readAll(s, durable, hints.published());
      long counter = Math.max(s.header.mark().counter(), hints.markCounter());
      if (s.header.version() < LogFormat.VERSION) {
        LogSegment upgraded = rewrite(dir, s);
        closeQuietly(s.channel);
        s = upgraded;
        counter = upgraded.header.mark().counter();
      } else if (s.header.mark().end() != s.end || !s.header.mark().thisBoot()) {
        // the recovered end becomes the durable point, recorded for this boot
        try (FileLock sync = shm.lock(SYNC_LOCK)) {
          s.channel.force(false);
          counter = Math.max(counter, shm.markCounter());
          LogFormat.Mark mark = LogFormat.nextMark(s.end, counter);
          LogFormat.writeMark(s.channel, mark);
          s.channel.force(false);
          counter = mark.counter();
        }
      }
      shm.describe(s.storeId());
      shm.markCounter(counter);
      shm.publish(s.generation, s.end);
      shm.durable(word(s.generation, s.end));
    } catch (IOException | RuntimeException e) {
      closeQuietly(s.channel);
      throw e;
    }
    try (FileLock compacting = shm.tryLock(COMPACT_LOCK)) {
      for (Path f : stale) {
        if (compacting != null || !f.toString().endsWith(".tmp")) {
          Files.deleteIfExists(f); // not the file of a compaction that runs now
        }
      }
    }
    return s;
  }

  /**
   * {@code s} indexed by its {@link LogIndexFile} up to where that covers it, if it has a usable
   * one; else {@code s}. An index file that cannot be used is ignored: the log is read whole.
   */
  static LogSegment withIndexFile(Path dir, LogSegment s, long durable) {
    try {
      LogIndexFile index = LogIndexFile.open(LogIndexFile.file(dir, s.generation), s, durable);
      return index == null ? s : s.withIndex(index);
    } catch (LogIndexFile.Unusable e) {
      LOG.log(
          System.Logger.Level.INFO,
          "{0} is not used ({1}): the log is read instead",
          LogIndexFile.file(dir, s.generation),
          e.getMessage());
      return s;
    }
  }

  /**
   * Indexes every whole append of the log after what its index file covers, then decides what the
   * rest is: zeros; a torn write, zeroed here; or damage, refused with nothing changed.
   *
   * @param durable where the log is known to have been fsynced up to
   * @param published where every process was told the log ends, if that was on this boot; else -1
   */
  private static void readAll(LogSegment s, long durable, long published) throws IOException {
    long size = s.channel.size();
    if (size < Math.max(durable, published)) {
      throw damaged(
          s,
          size,
          "the file ends at byte %d, but its first %d bytes had been written and fsynced: it was cut short"
              .formatted(size, Math.max(durable, published)));
    }
    LogScanner scanner = new LogScanner(s.channel, s.header.version(), size);
    LogScanner.Stop stop = scanner.readAppends(s.end, s.lastSeq, records -> s.index(records));
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

  /** {@code s} written anew in the current format (a format upgrade). */
  private static LogSegment rewrite(Path dir, LogSegment s) throws IOException {
    LogRewrite rewrite = LogRewrite.start(dir, s);
    try {
      rewrite.writeKept(s.lastSeq, s.end, (key, entries) -> entries);
      return rewrite.install();
    } catch (IOException | RuntimeException e) {
      rewrite.abandon();
      throw e;
    }
  }
}
