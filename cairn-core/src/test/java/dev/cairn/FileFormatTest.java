package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The file backend's on-disk format: what a crash can leave, and what is refused. */
class FileFormatTest {
  @TempDir Path dir;

  private Path log() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".log"))
          .findFirst()
          .orElseThrow();
    }
  }

  /** Where the data ends: the log grows in zero-filled steps, and a record never ends in 0. */
  private long dataEnd() throws IOException {
    byte[] bytes = Files.readAllBytes(log());
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    return end;
  }

  private void writeThree() {
    try (DocumentStore s = Cairn.open(dir)) {
      s.upsert("a", Map.of("v", 1));
      s.upsert("b", Map.of("v", 2));
      s.upsert("c", Map.of("v", 3));
    }
  }

  /** The store's files, to put back as a crash would have left them. */
  private record Files2(byte[] log, byte[] shm) {}

  private Files2 files() throws IOException {
    Path shm = dir.resolve("cairn.shm");
    return new Files2(
        Files.readAllBytes(log()), Files.exists(shm) ? Files.readAllBytes(shm) : null);
  }

  /**
   * Runs {@code write} on the store, then puts its files back as a crash partway through that
   * write's append would have left them: the log as before, plus the first {@code keep} bytes (of
   * the {@code n} it appended) written, and cairn.shm as before, since the append was never
   * published. Returns where the log's data ended before the write.
   */
  private long crashDuring(Consumer<DocumentStore> write, IntUnaryOperator keep)
      throws IOException {
    Files2 before = files();
    long end = dataEnd();
    try (DocumentStore s = Cairn.open(dir)) {
      write.accept(s);
    }
    byte[] after = Files.readAllBytes(log());
    int n = (int) (dataEnd() - end);
    byte[] torn = before.log().clone();
    System.arraycopy(after, (int) end, torn, (int) end, keep.applyAsInt(n));
    Files.write(log(), torn);
    Files.write(dir.resolve("cairn.shm"), before.shm());
    return end;
  }

  @ParameterizedTest(name = "keeping {0} of the append")
  @ValueSource(strings = {"1", "8", "19", "half", "all but 1"})
  void aTornWriteIsClearedOnOpenAndEarlierWritesSurvive(String kept) throws IOException {
    writeThree();
    long end =
        crashDuring(
            s -> s.upsert("d", Map.of("v", 4)),
            n ->
                switch (kept) {
                  case "half" -> n / 2;
                  case "all but 1" -> n - 1;
                  default -> Integer.parseInt(kept);
                });

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c");
      assertThat(dataEnd()).isEqualTo(end); // the torn bytes are zeroed
      s.upsert("e", Map.of("v", 5));
    }
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c", "e");
    }
  }

  @Test
  void aTornWriteIsClearedAlsoWhenTheSharedFileIsGone() throws IOException {
    writeThree();
    crashDuring(s -> s.upsert("d", Map.of("v", 4)), n -> n - 3);
    Files.delete(dir.resolve("cairn.shm")); // as after a reboot that lost it: only the log is left

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c");
    }
  }

  @Test
  void garbageAfterTheLastRecordIsClearedAndNeverRead() throws IOException {
    writeThree();
    long end = dataEnd();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {40, 0, 0, 0, 1, 2, 3, 4, 5, 6}), end);
    }

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c");
      assertThat(dataEnd()).isEqualTo(end); // the garbage is zeroed
      s.upsert("d", Map.of());
    }
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c", "d");
    }
  }

  @Test
  void aDamagedDurableRecordRefusesToOpenAndNothingIsChanged() throws IOException {
    writeThree();
    long size = dataEnd();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff}), size - 3); // a byte of the last body
    }
    Files.delete(dir.resolve("cairn.shm")); // the log alone must tell
    byte[] before = Files.readAllBytes(log());

    assertThatThrownBy(() -> Cairn.open(dir))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining(log().toString())
        .hasMessageContaining("damaged at byte")
        .hasMessageContaining("checksum mismatch")
        .hasMessageContaining("Nothing was changed");
    assertThat(Files.readAllBytes(log())).isEqualTo(before);
  }

  @Test
  void anAppendOfSeveralEntriesIsWholeOrAbsentAfterACrash() throws IOException {
    String base;
    try (DocumentStore s = Cairn.open(dir)) {
      base = s.upsert("doc", Map.of("v", 0));
      s.update("doc", base, Map.of("v", 1));
      s.update("doc", base, Map.of("v", 2), WriteMode.KEEP_BOTH);
    }
    long beforeResolve =
        crashDuring(
            s -> {
              assertThat(s.conflicts("doc")).hasSize(1);
              var merged = s.get("doc").orElseThrow();
              merged.put("v", 3);
              s.resolve(merged); // one append: a tombstone and the merged revision
            },
            n -> n - 5); // cut inside the second record: the first one alone must not show

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.conflicts("doc")).hasSize(1);
      assertThat(s.get("doc").orElseThrow().get("v").asInt()).isIn(1, 2);
    }
    assertThat(dataEnd()).isEqualTo(beforeResolve);
  }

  @Test
  void aDirectoryOfOtherFilesIsRefusedAndLeftAlone() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "mine");

    assertThatThrownBy(() -> Cairn.open(dir))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("is not a Cairn store")
        .hasMessageContaining("notes.txt");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(dir.resolve("notes.txt"));
    }
  }

  @Test
  void aFileIsNotAStoreLocation() throws IOException {
    Path file = Files.writeString(dir.resolve("plain"), "x");

    assertThatThrownBy(() -> Cairn.open(file))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("is a file");
  }

  @Test
  void aLogOfANewerFormatIsRefused() throws IOException {
    writeThree();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 3), 8);
    }
    byte[] before = Files.readAllBytes(log());

    assertThatThrownBy(() -> Cairn.open(dir))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("format version 3")
        .hasMessageContaining("upgrade Cairn");
    assertThat(Files.readAllBytes(log())).isEqualTo(before);
  }

  @Test
  void aLogWithABadMagicIsRefused() throws IOException {
    writeThree();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("NOTCAIRN".getBytes()), 0);
    }

    assertThatThrownBy(() -> Cairn.open(dir))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("not a Cairn log");
  }

  @Test
  void anInterruptedCompactionLeavesTheStoreAsItWas() throws IOException {
    writeThree();
    Files.write(dir.resolve("data-00000002.log.tmp"), new byte[100]); // died while copying

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "c");
    }
    assertThat(dir.resolve("data-00000002.log.tmp")).doesNotExist();
  }

  @Test
  void unknownSchemesAndBadLocationsGiveClearErrors() {
    assertThatThrownBy(() -> Cairn.open("nosuch://user:secret@localhost:6379/0"))
        .isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("no backend for scheme 'nosuch'")
        .hasMessageContaining("file, mem")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> Cairn.open(" ")).isInstanceOf(InvalidLocationException.class);
    assertThatThrownBy(() -> Cairn.open("file:")).isInstanceOf(InvalidLocationException.class);
  }

  @Test
  void aTildeIsTheHomeDirectory() {
    assertThat(dev.cairn.spi.Locations.path("~/stores/x"))
        .isEqualTo(Path.of(System.getProperty("user.home"), "stores", "x"));
    assertThat(dev.cairn.spi.Locations.path("file:~/y"))
        .isEqualTo(Path.of(System.getProperty("user.home"), "y"));
  }

  /**
   * A store written by format version 1, kept so that every later Cairn is proved to read it; it is
   * rewritten in the current format when first opened.
   */
  @Test
  void readsTheSavedVersion1StoreAndUpgradesIt() throws IOException {
    for (String name : List.of("data-00000001.log")) {
      try (InputStream in = getClass().getResourceAsStream("/fixtures/v1-store/" + name)) {
        Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    }

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("alice", "bob");
      assertThat(s.get("alice").orElseThrow().get("email").asText()).isEqualTo("alice@example.com");
      assertThat(s.conflicts("bob")).hasSize(1);
      assertThat(s.history("alice")).hasSize(2);
      assertThat(s.get("carol")).isEmpty();
      assertThat(s.changes(0)).hasSize(7);
    }
    assertThat(dir.resolve("data-00000001.log")).doesNotExist();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.READ)) {
      assertThat(log().getFileName().toString()).isEqualTo("data-00000002.log");
      ByteBuffer version = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(version, 8);
      assertThat(version.getInt(0)).isEqualTo(2);
    }
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("alice", "bob");
      assertThat(s.conflicts("bob")).hasSize(1);
      assertThat(s.changes(0)).hasSize(7);
    }
  }
}
