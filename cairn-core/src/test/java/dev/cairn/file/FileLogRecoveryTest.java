package dev.cairn.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.Durability;
import dev.cairn.StoreFormatException;
import dev.cairn.spi.Backend;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules by which opening a log tells a torn write (cleared) from damage (refused), each on a
 * log built byte for byte as a crash, or damage, would leave it.
 */
class FileLogRecoveryTest {
  @TempDir Path dir;
  private Path log;
  private byte[] cleanLog;
  private byte[] cleanShm;
  private long cleanEnd;

  /** Three appends to "k", closed cleanly: durable to the end. */
  @BeforeEach
  void threeAppends() throws IOException {
    append(b -> List.of("one", "two", "three").forEach(v -> b.append("k", Backend.ANY_HEAD, p(v))));
    log = dir.resolve(LogFiles.logName(1));
    cleanLog = Files.readAllBytes(log);
    cleanShm = Files.readAllBytes(dir.resolve(FileLog.SHM));
    cleanEnd = dataEnd(cleanLog);
  }

  private void append(Consumer<FileBackend> appends) {
    try (FileBackend b = new FileBackend(dir, Durability.OS, true)) {
      appends.accept(b);
    }
  }

  /** Appends "d" and then "e", one entry each. */
  private static void twoAppends(FileBackend b) {
    b.append("d", Backend.ANY_HEAD, p("dddddddd"));
    b.append("e", Backend.ANY_HEAD, p("eeeeeeee"));
  }

  private static List<byte[]> p(String... payloads) {
    return Arrays.stream(payloads).map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
  }

  private static long dataEnd(byte[] bytes) {
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    return end;
  }

  /** The bytes {@code appends} adds after the clean log, and the files put back as they were. */
  private byte[] appended(Consumer<FileBackend> appends) throws IOException {
    append(appends);
    byte[] after = Files.readAllBytes(log);
    restoreClean();
    return Arrays.copyOfRange(after, (int) cleanEnd, (int) dataEnd(after));
  }

  private void restoreClean() throws IOException {
    Files.write(log, cleanLog);
    Files.write(dir.resolve(FileLog.SHM), cleanShm);
  }

  private void writeAt(long at, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes), at);
    }
  }

  private List<String> keys() {
    try (FileBackend b = new FileBackend(dir, Durability.OS, false)) {
      return b.keys().stream().sorted().toList();
    }
  }

  @Test
  void aLeftOverPieceOfATornAppendAfterAShorterOneIsNotTakenForDamage() throws IOException {
    // a process writes a long append of three records and dies before publishing it; the next
    // writer appends a short one at the same place: what remains of the first follows it
    byte[] torn = appended(b -> b.append("a", Backend.ANY_HEAD, p("x".repeat(300), "y", "z")));
    byte[] shorter = appended(b -> b.append("b", Backend.ANY_HEAD, p("short")));
    assertThat(shorter.length).isLessThan(torn.length / 3);
    writeAt(cleanEnd, torn);
    writeAt(cleanEnd, shorter);
    Files.delete(dir.resolve(FileLog.SHM)); // only the log tells

    assertThat(keys()).containsExactly("b", "k"); // the short append is whole: it counts
    assertThat(dataEnd(Files.readAllBytes(log))).isEqualTo(cleanEnd + shorter.length);

    // and when the short append was published and fsynced, the same
    restoreClean();
    append(b -> b.append("b", Backend.ANY_HEAD, p("short")));
    long shortEnd = dataEnd(Files.readAllBytes(log));
    writeAt(shortEnd, Arrays.copyOfRange(torn, shorter.length, torn.length));

    assertThat(keys()).containsExactly("b", "k");
    assertThat(dataEnd(Files.readAllBytes(log))).isEqualTo(shortEnd);
  }

  @Test
  void aBadRecordFollowedByWholeAppendsIsDamageEvenPastTheDurablePoint() throws IOException {
    byte[] two = appended(FileLogRecoveryTest::twoAppends);
    two[25] ^= 0x10; // inside d's record
    writeAt(cleanEnd, two);
    byte[] before = Files.readAllBytes(log);

    assertThatThrownBy(this::keys)
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("damaged at byte " + cleanEnd)
        .hasMessageContaining("whole appends follow");
    assertThat(Files.readAllBytes(log)).isEqualTo(before);
  }

  @Test
  void afterAnOperatingSystemCrashWhatFollowsTheDurablePointIsNotTrusted() throws IOException {
    byte[] two = appended(FileLogRecoveryTest::twoAppends);
    Arrays.fill(two, 0, 20, (byte) 0); // a page of d that never reached the disk
    writeAt(cleanEnd, two);
    markFromAnotherBoot(cleanEnd);
    Files.delete(dir.resolve(FileLog.SHM));

    assertThat(keys()).containsExactly("k"); // e was never durable: lost with the crash, as stated
    assertThat(dataEnd(Files.readAllBytes(log))).isEqualTo(cleanEnd);
  }

  @Test
  void aStopBeforeThePublishedEndOfThisBootIsDamage() throws IOException {
    byte[] two = appended(FileLogRecoveryTest::twoAppends);
    byte[] publishedNotSynced;
    try (FileBackend b = new FileBackend(dir, Durability.OS, true)) {
      twoAppends(b);
      publishedNotSynced = Files.readAllBytes(dir.resolve(FileLog.SHM));
    }
    byte[] damaged = two.clone();
    damaged[two.length - 3] ^= 1; // the last record: no whole append follows it
    writeAt(cleanEnd, damaged);
    markFromAnotherBoot(cleanEnd); // the log's own mark says nothing of it
    Files.write(dir.resolve(FileLog.SHM), publishedNotSynced);

    assertThatThrownBy(this::keys)
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("where every process was told it ends");
  }

  @Test
  void theDurableMarkFollowsFsyncsWhileTheStoreIsOpen() throws IOException {
    try (FileBackend b = new FileBackend(dir, Durability.SYNC, true)) {
      byte[] big = new byte[64 << 10];
      Arrays.fill(big, (byte) 'x');
      for (int i = 0; i < 40; i++) { // 2.5 MiB, each fsynced before it returns
        b.append("big", Backend.ANY_HEAD, List.of(big));
      }
      try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
        // without a close: the log itself records most of what is durable
        assertThat(LogFormat.readHeader(ch, log, 1).mark().end()).isGreaterThan(1 << 20);
      }
    }
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
      // and after a clean close, all of it
      assertThat(LogFormat.readHeader(ch, log, 1).mark().end())
          .isEqualTo(dataEnd(Files.readAllBytes(log)));
    }
  }

  @Test
  void aLogCutShortOfItsDurableMarkIsDamage() throws IOException {
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(cleanEnd - 1);
    }
    Files.delete(dir.resolve(FileLog.SHM));

    assertThatThrownBy(this::keys)
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("cut short");
  }

  @Test
  void aTornDurableMarkFallsBackToTheOtherSlot() throws IOException {
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
      LogFormat.Header h = LogFormat.readHeader(ch, log, 1);
      long slot = 512 + (h.mark().counter() % 2) * 512;
      writeAt(slot + 3, new byte[] {0x55}); // the newest mark no longer reads
    }
    Files.delete(dir.resolve(FileLog.SHM));

    assertThat(keys()).containsExactly("k");
  }

  /** Writes a durable mark at {@code end} as if an earlier boot of the system had written it. */
  private void markFromAnotherBoot(long end) throws IOException {
    try (FileChannel ch =
        FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      LogFormat.Header h = LogFormat.readHeader(ch, log, 1);
      byte[] otherBoot = LogFormat.bootId();
      otherBoot[0] ^= 1;
      LogFormat.writeMark(ch, new LogFormat.Mark(end, h.mark().counter() + 1, otherBoot));
    }
  }
}
