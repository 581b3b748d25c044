package dev.cairn.file;

import dev.cairn.CheckReport;
import dev.cairn.DamagedRange;
import dev.cairn.Durability;
import dev.cairn.InvalidLocationException;
import dev.cairn.RecoveryReport;
import dev.cairn.StoreFormatException;
import dev.cairn.spi.Backend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code check} and {@code recover} of a directory store: its log read byte by byte, without
 * trusting it and without changing it, past damaged records to the next append that reads whole.
 */
public final class DirectoryCheck {
  private DirectoryCheck() {}

  /** What a check asks of the logs' contents, which a directory does not know. */
  public interface Contents {
    /** Whether {@code key}'s log is a document's, counted and checked as one. */
    boolean isDocument(String key);

    /** What is wrong with an entry of the document {@code key}, or null if nothing is. */
    String fault(String key, byte[] payload);
  }

  /**
   * Checks the directory store in {@code dir}, and each entry of its documents as {@code contents}
   * says; nothing is locked or changed.
   */
  public static CheckReport check(Path dir, Contents contents) {
    Survey survey = survey(dir);
    List<String> problems = new ArrayList<>(survey.problems);
    long documents = 0;
    try (FileChannel ch = survey.open()) {
      Map<String, List<LogScanner.Record>> byKey = new LinkedHashMap<>();
      for (List<LogScanner.Record> append : survey.appends) {
        for (LogScanner.Record r : append) {
          byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
        }
      }
      for (Map.Entry<String, List<LogScanner.Record>> e : byKey.entrySet()) {
        if (!contents.isDocument(e.getKey())) {
          continue; // Cairn's own logs: their records read, which is all there is to check
        }
        documents++;
        for (LogScanner.Record r : e.getValue()) {
          String fault = contents.fault(e.getKey(), payload(ch, r));
          if (fault != null) {
            problems.add("document '%s', byte %d: %s".formatted(e.getKey(), r.offset(), fault));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + survey.file, e);
    }
    return new CheckReport(
        dir.toString(),
        survey.records(),
        documents,
        survey.bytes,
        survey.damaged,
        problems,
        survey.notes);
  }

  /**
   * Copies every whole append that still reads in the directory store {@code from} to a new store
   * in {@code to}, in order; {@code from} is only read.
   *
   * @throws InvalidLocationException if {@code to} exists and is not an empty directory, or is
   *     {@code from}
   */
  public static RecoveryReport recover(Path from, Path to) {
    Path source = FileLog.realPath(from);
    Path target = FileLog.realPath(to);
    if (source.equals(target) || target.startsWith(source)) {
      throw new InvalidLocationException(
          "recover writes a new store; " + to + " is the damaged store or inside it");
    }
    if (Files.exists(target) && !isEmptyDirectory(target)) {
      throw new InvalidLocationException(
          "recover writes a new store; " + to + " exists and is not an empty directory");
    }
    Survey survey = survey(source);
    long records = 0;
    try (FileChannel ch = survey.open();
        FileBackend out = new FileBackend(target, Durability.OS, true)) {
      for (List<LogScanner.Record> append : survey.appends) {
        List<byte[]> payloads = new ArrayList<>(append.size());
        for (LogScanner.Record r : append) {
          payloads.add(payload(ch, r));
        }
        out.append(append.get(0).key(), Backend.ANY_HEAD, payloads);
        records += payloads.size();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + survey.file, e);
    }
    Set<String> ids = new TreeSet<>();
    survey.damaged.forEach(d -> ids.addAll(d.ids()));
    return new RecoveryReport(
        source.toString(),
        target.toString(),
        records,
        survey.appends.size(),
        survey.damaged,
        List.copyOf(ids));
  }

  private static boolean isEmptyDirectory(Path dir) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      return !files.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }

  private static byte[] payload(FileChannel ch, LogScanner.Record r) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(r.payloadLength());
    while (buf.hasRemaining()) {
      if (ch.read(buf, r.payloadAt() + buf.position()) < 0) {
        throw new IOException("unexpected end of file at " + (r.payloadAt() + buf.position()));
      }
    }
    return buf.array();
  }

  /** Everything read from a directory store's log. */
  private static final class Survey {
    final Path file;
    final List<List<LogScanner.Record>> appends = new ArrayList<>();
    final List<DamagedRange> damaged = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    long bytes;

    Survey(Path file) {
      this.file = file;
    }

    FileChannel open() throws IOException {
      return FileChannel.open(file, StandardOpenOption.READ);
    }

    long records() {
      return appends.stream().mapToLong(List::size).sum();
    }
  }

  /**
   * Reads the newest log of {@code dir} whole: every append that reads, every range that does not,
   * and what follows the data. The rules are those of opening the store (see {@link FileLog}), but
   * the reading goes on past damage.
   */
  private static Survey survey(Path dir) {
    long generation = LogFiles.newestGeneration(dir);
    if (generation == 0) {
      throw new InvalidLocationException("no store at " + dir);
    }
    Path file = dir.resolve(LogFiles.logName(generation));
    Survey survey = new Survey(file);
    try (FileChannel ch = survey.open()) {
      LogFormat.Header header;
      SharedMemory.Hints hints;
      try {
        header = LogFormat.readHeader(ch, file, generation);
        hints = SharedMemory.read(dir, header.storeId(), generation);
      } catch (StoreFormatException e) {
        header = LogFormat.guessHeader(ch, generation);
        hints = SharedMemory.Hints.NONE;
        survey.damaged.add(
            new DamagedRange(file.toString(), 0, header.size(), e.getMessage(), List.of()));
      }
      long size = ch.size();
      long durable = Math.max(header.mark().end(), hints.durable());
      long written = Math.max(durable, hints.published());
      if (size < written) {
        survey.damaged.add(
            new DamagedRange(
                file.toString(),
                size,
                written,
                "the file is cut short: it ends at byte %d, but bytes up to %d had been written"
                    .formatted(size, written),
                List.of()));
      }
      // a live store: what lies past the published end is an append in progress, not ours to judge
      long limit = hints.published() >= 0 ? Math.min(size, hints.published()) : size;
      LogScanner scanner = new LogScanner(ch, header.version(), limit);
      long pos = header.size();
      long lastSeq = 0;
      while (true) {
        LogScanner.Stop stop = scanner.readAppends(pos, lastSeq, survey.appends::add);
        survey.bytes = stop.end();
        if (stop.clean() && (stop.end() >= limit || scanner.zeroFrom(stop.end()))) {
          break;
        }
        String what =
            stop.clean() ? "bytes that are not a record follow the end of the data" : stop.what();
        long next = scanner.resync(stop.end() + 1, stop.lastSeq());
        long end = next >= 0 ? next : scanner.dataEnd(stop.end());
        if (!LogRecovery.isDamage(header, stop.end(), durable, hints.published(), next >= 0)) {
          survey.notes.add(
              ("bytes %d to %d are a torn write (%s): appends that a crash cut short, never"
                      + " acknowledged; the next open clears them")
                  .formatted(stop.end(), scanner.dataEnd(stop.end()), what));
          break;
        }
        survey.damaged.add(range(survey, scanner, stop.end(), end, what));
        if (next < 0) {
          break;
        }
        pos = next;
        lastSeq = stop.lastSeq();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return survey;
  }

  private static DamagedRange range(
      Survey survey, LogScanner scanner, long from, long to, String what) throws IOException {
    return new DamagedRange(survey.file.toString(), from, to, what, keysIn(scanner, from, to));
  }

  /**
   * The keys that records in [from, to) name: those whose checksum holds, and, while the framing
   * still reads, those of records whose checksum fails.
   */
  private static List<String> keysIn(LogScanner scanner, long from, long to) throws IOException {
    Set<String> keys = new LinkedHashSet<>();
    String[] why = new String[1];
    boolean framed = true;
    for (long q = from; q < to; ) {
      LogScanner.Record r = scanner.record(q, why);
      if (r != null && r.end() <= to) {
        keys.add(r.key());
        q = r.end();
        framed = true;
        continue;
      }
      if (framed) {
        String guess = scanner.keyUnchecked(q);
        if (guess != null) {
          keys.add(guess);
        }
        int n = q + LogFormat.RECORD_PREFIX <= to ? scanner.at(q, 4).getInt(0) : 0;
        if (n >= LogFormat.RECORD_FIXED && q + LogFormat.RECORD_PREFIX + n <= to) {
          q += LogFormat.RECORD_PREFIX + n;
          continue;
        }
      }
      framed = false;
      q++;
    }
    return List.copyOf(keys);
  }
}
