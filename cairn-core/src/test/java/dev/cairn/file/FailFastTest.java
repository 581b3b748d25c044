package dev.cairn.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.Jvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conditional append whose condition already fails against the published log is refused at once:
 * it does not queue for the write lock, even while another process holds it.
 */
class FailFastTest {
  @TempDir Path dir;

  @Test
  void aConflictIsReportedWhileAnotherProcessHoldsTheWriteLock() throws Exception {
    FileLog log = FileLog.acquire(dir, true);
    try {
      long head = log.append("k", 0, List.of(bytes("first")), false);
      try (Jvm holder = Jvm.start(LockHolder.class, dir.toString())) {
        holder.await("holding"::equals, Duration.ofSeconds(60));
        // a writer that read the log before "first" was appended
        long stale =
            CompletableFuture.supplyAsync(() -> log.append("k", 0, List.of(bytes("x")), false))
                .get(30, TimeUnit.SECONDS);
        assertThat(stale).isZero();
        // an append that can succeed waits for the lock, and is made once it is free
        CompletableFuture<Long> fresh =
            CompletableFuture.supplyAsync(
                () -> log.append("k", head, List.of(bytes("second")), false));
        holder.send("release");
        assertThat(fresh.get(30, TimeUnit.SECONDS)).isEqualTo(head + 1);
        assertThat(holder.waitFor(Duration.ofSeconds(60))).isZero();
      }
      assertThat(log.read("k", 0, 10))
          .extracting(e -> new String(e.payload(), StandardCharsets.UTF_8))
          .containsExactly("first", "second");
    } finally {
      log.release();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
