package dev.cairn.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.StoreFormatException;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store opened through its index file reads exactly what reading the whole log gives, and an
 * index file that cannot be trusted is ignored, never believed.
 */
class LogIndexFileTest {
  @TempDir Path dir;
  @TempDir Path other;
  private final Random random = new Random(42);

  /** What every key holds, as appended: the model each opening is checked against. */
  private final Map<String, List<LogEntry>> model = new HashMap<>();

  @Test
  void aStoreOpenedThroughItsIndexFileReadsWhatItsLogHolds() throws Exception {
    FileLog log = FileLog.acquire(dir, true);
    appendRandomly(log, 3000);
    assertThat(log.indexedByFile()).isFalse();
    log.release(); // over a MiB not in an index file: a clean close writes one
    assertThat(LogIndexFile.file(dir, 1)).exists();

    FileLog reopened = FileLog.acquire(dir, false);
    try {
      assertThat(reopened.indexedByFile()).isTrue();
      assertMatchesModel(reopened);
      appendRandomly(reopened, 3000); // then more than a MiB after what the index file covers
      assertMatchesModel(reopened);
    } finally {
      reopened.release(); // a new index file, of the old one and what follows it
    }
    FileLog again = FileLog.acquire(dir, false);
    try {
      assertThat(again.indexedByFile()).isTrue();
      assertMatchesModel(again);
      appendRandomly(again, 100);
    } finally {
      again.release(); // too little for a new index file
    }
    assertOpens(true); // the index file, and the log after it
  }

  @Test
  void compactionWritesAnIndexFileAndReadsThroughIt() throws Exception {
    FileLog log = FileLog.acquire(dir, true);
    try {
      appendRandomly(log, 2000);
      long removed =
          log.compact(
              (key, entries) -> {
                List<LogEntry> newest = entries.subList(entries.size() - 1, entries.size());
                model.put(key, new ArrayList<>(newest));
                return newest;
              });
      assertThat(removed).isPositive();
      assertThat(LogIndexFile.file(dir, 2)).exists();
      assertThat(log.indexedByFile()).isTrue(); // its index on the heap was let go
      assertMatchesModel(log);
      appendRandomly(log, 100);
      assertMatchesModel(log);
    } finally {
      log.release();
    }
    assertOpens(true);
  }

  @Test
  void aDamagedIndexFileIsIgnoredAndWrittenAnewAtClose() throws Exception {
    writeStoreWithIndexFile();
    Path index = LogIndexFile.file(dir, 1);
    long size = Files.size(index);
    flipByte(index, size / 2);

    assertOpens(false); // the log is read whole instead
    assertOpens(true);
  }

  @Test
  void anIndexFileCutShortIsIgnored() throws Exception {
    writeStoreWithIndexFile();
    Path index = LogIndexFile.file(dir, 1);
    try (RandomAccessFile f = new RandomAccessFile(index.toFile(), "rw")) {
      f.setLength(f.length() - 100);
    }
    assertOpens(false);
  }

  @Test
  void anotherStoresIndexFileIsIgnored() throws Exception {
    writeStoreWithIndexFile();
    FileLog log = FileLog.acquire(other, true);
    appendRandomly(log, 3000, new HashMap<>());
    log.release();
    Files.copy(
        LogIndexFile.file(other, 1),
        LogIndexFile.file(dir, 1),
        StandardCopyOption.REPLACE_EXISTING);
    assertOpens(false);
  }

  @Test
  void theIndexFileOfACopyOfTheStoreThatWentAnotherWayIsIgnored() throws Exception {
    writeStoreWithIndexFile();
    Path copy = other.resolve("copy");
    Files.createDirectories(copy);
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    FileLog theCopy = FileLog.acquire(copy, false);
    Map<String, List<LogEntry>> copied = new HashMap<>();
    model.forEach((key, entries) -> copied.put(key, new ArrayList<>(entries)));
    appendRandomly(theCopy, 3000, copied); // the same store id, other records
    theCopy.release();
    FileLog log = FileLog.acquire(dir, false);
    appendRandomly(log, 4000);
    log.release();
    Files.copy(
        LogIndexFile.file(copy, 1), LogIndexFile.file(dir, 1), StandardCopyOption.REPLACE_EXISTING);
    assertOpens(false);
  }

  @Test
  void anIndexFileOfAnEarlierStateOfTheLogIsUsed() throws Exception {
    writeStoreWithIndexFile();
    Path saved = other.resolve("index");
    Files.copy(LogIndexFile.file(dir, 1), saved);
    FileLog log = FileLog.acquire(dir, false);
    appendRandomly(log, 3000); // enough for a new index file at close
    log.release();
    // its records are still in the log, where it says: it is used, and the log read after it
    Files.copy(saved, LogIndexFile.file(dir, 1), StandardCopyOption.REPLACE_EXISTING);
    assertOpens(true);
  }

  @Test
  void damageInsideWhatTheIndexFileCoversIsReportedWhenTheEntryIsRead() throws Exception {
    writeStoreWithIndexFile();
    String victim = model.keySet().iterator().next();
    long recordAt = firstRecordOf(dir.resolve(LogFiles.logName(1)), victim);
    flipByte(dir.resolve(LogFiles.logName(1)), recordAt + 30);

    FileLog damaged = FileLog.acquire(dir, false); // opening reads only what follows the index
    try {
      assertThatThrownBy(() -> damaged.read(victim, 0, Integer.MAX_VALUE))
          .isInstanceOf(StoreFormatException.class)
          .hasMessageContaining(LogFiles.logName(1) + " is damaged at byte " + recordAt)
          .hasMessageContaining("checksum mismatch");
      for (String key : model.keySet()) {
        if (!key.equals(victim)) {
          assertThat(payloads(damaged.read(key, 0, Integer.MAX_VALUE)))
              .isEqualTo(payloads(model.get(key)));
        }
      }
    } finally {
      damaged.release();
    }
    Files.delete(LogIndexFile.file(dir, 1)); // without it, opening reads the damage and refuses
    assertThatThrownBy(() -> FileLog.acquire(dir, false))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("is damaged at byte " + recordAt);
  }

  @Test
  void compactionOfALogDamagedWhereTheIndexFileCoversItFailsAndChangesNothing() throws Exception {
    writeStoreWithIndexFile();
    String victim = model.keySet().iterator().next();
    long recordAt = firstRecordOf(dir.resolve(LogFiles.logName(1)), victim);
    flipByte(dir.resolve(LogFiles.logName(1)), recordAt + 30);
    byte[] before = Files.readAllBytes(dir.resolve(LogFiles.logName(1)));

    FileLog log = FileLog.acquire(dir, false);
    try {
      assertThatThrownBy(() -> log.compact((key, entries) -> entries))
          .isInstanceOf(dev.cairn.CairnException.class)
          .hasMessageContaining("damaged at byte " + recordAt);
    } finally {
      log.release();
    }
    assertThat(Files.readAllBytes(dir.resolve(LogFiles.logName(1)))).isEqualTo(before);
    assertThat(dir.resolve(LogFiles.logName(2))).doesNotExist();
    assertThat(dir.resolve(LogFiles.logName(2) + ".tmp")).doesNotExist();
  }

  @Test
  void indexFilesOfEarlierGenerationsAreRemovedWhenTheStoreIsOpened() throws Exception {
    writeStoreWithIndexFile();
    Files.copy(LogIndexFile.file(dir, 1), dir.resolve("saved"));
    FileLog log = FileLog.acquire(dir, false);
    try {
      log.compact((key, entries) -> entries);
    } finally {
      log.release();
    }
    assertThat(LogIndexFile.file(dir, 1)).doesNotExist();
    Files.move(dir.resolve("saved"), LogIndexFile.file(dir, 1));
    FileLog.acquire(dir, false).release();
    assertThat(LogIndexFile.file(dir, 1)).doesNotExist();
    assertThat(LogIndexFile.file(dir, 2)).exists();
  }

  // ---- helpers ----

  private void writeStoreWithIndexFile() {
    FileLog log = FileLog.acquire(dir, true);
    appendRandomly(log, 3000);
    log.release();
    assertThat(LogIndexFile.file(dir, 1)).exists();
  }

  /** Appends of one to three entries of about 500 bytes to 300 keys, some with a condition. */
  private void appendRandomly(FileLog log, int appends) {
    appendRandomly(log, appends, model);
  }

  private void appendRandomly(FileLog log, int appends, Map<String, List<LogEntry>> model) {
    for (int i = 0; i < appends; i++) {
      String key = "key/" + random.nextInt(300) + (random.nextInt(10) == 0 ? "/ü" : "");
      List<byte[]> payloads = new ArrayList<>();
      for (int p = 1 + random.nextInt(3); p > 0; p--) {
        byte[] b = new byte[random.nextInt(1000)];
        random.nextBytes(b);
        payloads.add(b);
      }
      List<LogEntry> entries = model.computeIfAbsent(key, k -> new ArrayList<>());
      long head = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).seq();
      long last = log.append(key, random.nextBoolean() ? head : Backend.ANY_HEAD, payloads, false);
      assertThat(last).isPositive();
      for (int p = 0; p < payloads.size(); p++) {
        entries.add(new LogEntry(key, last - payloads.size() + 1 + p, payloads.get(p)));
      }
    }
  }

  /** Opens the store, through its index file or reading the log whole, and checks it. */
  private void assertOpens(boolean throughIndexFile) {
    FileLog log = FileLog.acquire(dir, false);
    try {
      assertThat(log.indexedByFile()).isEqualTo(throughIndexFile);
      assertMatchesModel(log);
    } finally {
      log.release();
    }
  }

  private void assertMatchesModel(FileLog log) {
    assertThat(log.keys()).containsExactlyInAnyOrderElementsOf(model.keySet());
    List<LogEntry> all = new ArrayList<>();
    for (Map.Entry<String, List<LogEntry>> e : model.entrySet()) {
      List<LogEntry> entries = e.getValue();
      all.addAll(entries);
      assertThat(log.head(e.getKey())).isEqualTo(entries.get(entries.size() - 1).seq());
      assertThat(described(log.read(e.getKey(), 0, Integer.MAX_VALUE)))
          .isEqualTo(described(entries));
      long after = entries.get(random.nextInt(entries.size())).seq();
      List<LogEntry> later = entries.stream().filter(x -> x.seq() > after).limit(2).toList();
      assertThat(described(log.read(e.getKey(), after, 2))).isEqualTo(described(later));
    }
    assertThat(log.head("no such key")).isZero();
    assertThat(log.read("no such key", 0, 10)).isEmpty();
    all.sort(Comparator.comparingLong(LogEntry::seq));
    assertThat(described(log.changes(0, Integer.MAX_VALUE))).isEqualTo(described(all));
    long since = all.get(all.size() / 2).seq();
    assertThat(described(log.changes(since, 7)))
        .isEqualTo(described(all.stream().filter(x -> x.seq() > since).limit(7).toList()));
    assertThat(log.lastSequence()).isEqualTo(all.get(all.size() - 1).seq());
  }

  private static List<String> described(List<LogEntry> entries) {
    return entries.stream()
        .map(e -> e.key() + "@" + e.seq() + ":" + java.util.HexFormat.of().formatHex(e.payload()))
        .toList();
  }

  private static List<String> payloads(List<LogEntry> entries) {
    return entries.stream().map(e -> new String(e.payload(), StandardCharsets.ISO_8859_1)).toList();
  }

  /** Where the record of {@code key}'s first entry begins. */
  private static long firstRecordOf(Path log, String key) throws Exception {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log)) {
      long[] found = {-1};
      new LogScanner(ch, LogFormat.VERSION, ch.size())
          .readAppends(
              LogFormat.HEADER_SIZE,
              0,
              records ->
                  records.stream()
                      .filter(r -> r.key().equals(key) && found[0] < 0)
                      .forEach(r -> found[0] = r.offset()));
      return found[0];
    }
  }

  private static void flipByte(Path file, long at) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
  }
}
