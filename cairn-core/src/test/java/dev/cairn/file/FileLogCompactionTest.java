package dev.cairn.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction rewrites the log while writers go on appending. */
class FileLogCompactionTest {
  @TempDir Path dir;
  private final ExecutorService writer = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopWriter() {
    writer.shutdownNow();
  }

  @Test
  void appendsMadeWhileTheLogIsRewrittenAreAcknowledgedAndKept() throws Exception {
    FileLog log = FileLog.acquire(dir, true);
    try {
      for (int i = 0; i < 100; i++) {
        log.append("k" + i % 10, Backend.ANY_HEAD, List.of(bytes("v" + i)), false);
      }
      AtomicLong appendedDuring = new AtomicLong();
      long removed =
          log.compact(
              (key, entries) -> {
                if (appendedDuring.get() == 0) {
                  // a writer of this process appends, and is answered, while compaction runs
                  appendedDuring.set(appendDuring(log, "during", 0, "x"));
                  appendedDuring.set(appendDuring(log, "k1", 92, "k1 again"));
                }
                return entries.subList(entries.size() - 1, entries.size()); // the newest
              });
      assertThat(appendedDuring.get()).isEqualTo(102);
      assertThat(removed).isEqualTo(90);
      assertKept(log);
    } finally {
      log.release();
    }
    assertThat(logFiles()).containsExactly(LogFiles.logName(2)); // renamed into place, old removed
    FileLog reopened = FileLog.acquire(dir, false);
    try {
      assertKept(reopened);
    } finally {
      reopened.release();
    }
  }

  @Test
  void openingLeavesTheFileOfACompactionThatIsRunningAndRemovesOneThatDied() throws Exception {
    FileLog log = FileLog.acquire(dir, true);
    log.append("k", 0, List.of(bytes("v")), true);
    log.release();
    Path tmp = dir.resolve(LogFiles.logName(2) + ".tmp");
    try (dev.cairn.testkit.Jvm compacting =
        dev.cairn.testkit.Jvm.start(LockHolder.class, dir.toString(), "compact")) {
      compacting.await("holding"::equals, java.time.Duration.ofSeconds(60));
      Files.write(tmp, bytes("the next generation, being written"));
      FileLog opened = FileLog.acquire(dir, false);
      opened.release();
      assertThat(tmp).exists(); // another process is still writing it
      compacting.send("done");
      assertThat(compacting.waitFor(java.time.Duration.ofSeconds(60))).isZero();
    }
    FileLog reopened = FileLog.acquire(dir, false); // its writer is gone: a left-over
    try {
      assertThat(tmp).doesNotExist();
      assertThat(reopened.read("k", 0, 10)).extracting(e -> text(e.payload())).containsExactly("v");
    } finally {
      reopened.release();
    }
  }

  /** Every key's newest entry before compaction, and both appends made during it. */
  private static void assertKept(FileLog log) {
    for (int k = 0; k < 10; k++) {
      List<LogEntry> entries = log.read("k" + k, 0, 100);
      List<String> payloads = entries.stream().map(e -> text(e.payload())).toList();
      assertThat(payloads)
          .as("k" + k)
          .isEqualTo(k == 1 ? List.of("v91", "k1 again") : List.of("v" + (90 + k)));
    }
    assertThat(log.read("during", 0, 10)).extracting(e -> text(e.payload())).containsExactly("x");
    assertThat(log.lastSequence()).isEqualTo(102);
  }

  private long appendDuring(FileLog log, String key, long head, String value) {
    try {
      return writer
          .submit(() -> log.append(key, head, List.of(bytes(value)), true))
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("an append waited for compaction to end", e);
    }
  }

  private List<String> logFiles() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith("data-") && n.contains(".log"))
          .toList();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
