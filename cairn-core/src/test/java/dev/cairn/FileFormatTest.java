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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void aTornTailIsCutOnOpenAndEarlierWritesSurvive() throws IOException {
    writeThree();
    long size = dataEnd();
    // a crash in the middle of the last write: keep only part of its record
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.truncate(size - 7);
    }
    Files.delete(dir.resolve("cairn.shm")); // as after a reboot: nothing but the log is trusted

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b");
      s.upsert("d", Map.of("v", 4));
    }
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b", "d");
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
  void aCorruptRecordEndsTheLogThere() throws IOException {
    writeThree();
    long size = dataEnd();
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff}), size - 3); // flip bytes of the last body
    }
    Files.delete(dir.resolve("cairn.shm"));

    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.ids()).containsExactly("a", "b");
    }
  }

  @Test
  void anAppendOfSeveralEntriesIsWholeOrAbsentAfterACrash() throws IOException {
    String base;
    try (DocumentStore s = Cairn.open(dir)) {
      base = s.upsert("doc", Map.of("v", 0));
      s.update("doc", base, Map.of("v", 1));
      s.update("doc", base, Map.of("v", 2), WriteMode.KEEP_BOTH);
    }
    long beforeResolve = dataEnd();
    try (DocumentStore s = Cairn.open(dir)) {
      assertThat(s.conflicts("doc")).hasSize(1);
      var merged = s.get("doc").orElseThrow();
      merged.put("v", 3);
      s.resolve(merged); // one append: a tombstone and the merged revision
    }
    long afterResolve = dataEnd();
    // cut inside the second record of that append: the first one alone must not show
    try (FileChannel ch = FileChannel.open(log(), StandardOpenOption.WRITE)) {
      ch.truncate(afterResolve - 5);
    }
    Files.delete(dir.resolve("cairn.shm"));

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
      ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 2), 8);
    }
    byte[] before = Files.readAllBytes(log());

    assertThatThrownBy(() -> Cairn.open(dir))
        .isInstanceOf(StoreFormatException.class)
        .hasMessageContaining("format version 2")
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
    assertThat(dev.cairn.internal.Locations.path("~/stores/x"))
        .isEqualTo(Path.of(System.getProperty("user.home"), "stores", "x"));
    assertThat(dev.cairn.internal.Locations.path("file:~/y"))
        .isEqualTo(Path.of(System.getProperty("user.home"), "y"));
  }

  /** A store written by format version 1, kept so that every later Cairn is proved to read it. */
  @Test
  void readsTheSavedVersion1Store() throws IOException {
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
  }
}
