package dev.cairn.file;

import dev.cairn.StoreFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The log files of a store directory: their names, creating and opening them, and plain I/O. */
final class LogFiles {
  private LogFiles() {}

  /** Where a new log's records begin: its header is a whole page. */
  static final long HEADER_END = LogFormat.HEADER_SIZE;

  static StoreFormatException damaged(LogSegment s, long at, String what) {
    return new StoreFormatException(
        "%s is damaged at byte %d: %s.%s".formatted(s.file, at, what, LogFormat.DAMAGE_ADVICE));
  }

  /** Writes zeros over {@code [from, to)}. */
  static void zero(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
    for (long pos = from; pos < to; pos += zeros.capacity()) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
      writeFully(ch, zeros, pos);
    }
  }

  /**
   * Creates a log file of the current format whose first {@code end} bytes will be durable once
   * forced (its durable mark says so).
   */
  static LogSegment createLog(Path dir, Path file, long generation, String storeId, long end)
      throws IOException {
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      writeFully(ch, LogFormat.header(generation, storeId), 0);
      LogFormat.Mark mark = LogFormat.nextMark(end, 0);
      LogFormat.writeMark(ch, mark);
      if (end == HEADER_END) {
        ch.force(true);
        syncDirectory(dir);
      }
      return new LogSegment(
          dir.resolve(logName(generation)), // its name once in place
          ch,
          new LogFormat.Header(
              LogFormat.VERSION, LogFormat.HEADER_SIZE, generation, storeId, mark));
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  static LogSegment openLog(Path dir, long generation) throws IOException {
    Path file = dir.resolve(logName(generation));
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      return new LogSegment(file, ch, LogFormat.readHeader(ch, file, generation));
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /** The generation of the newest log file in {@code dir}, 0 if there is none. */
  static long newestGeneration(Path dir) {
    long newest = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".tmp")) {
          newest = Math.max(newest, generationOf(name));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return newest;
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

  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** Reads {@code buf} full from {@code at}; the end of the file before that is an error. */
  static void readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf, at + buf.position()) < 0) {
        throw new IOException("unexpected end of file at " + (at + buf.position()));
      }
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long at = pos;
    while (buf.hasRemaining()) {
      at += ch.write(buf, at);
    }
  }

  static void closeQuietly(java.io.Closeable ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing a channel we only read or already forced: nothing to recover
    }
  }
}
