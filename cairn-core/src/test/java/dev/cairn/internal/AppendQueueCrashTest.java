package dev.cairn.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.Jvm;
import dev.cairn.spi.LogEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A process that appends a group for other processes is killed at each point of its work: before it
 * writes, after it writes but before it publishes, after it publishes but before it tells the
 * writers. Each time the writer whose append was in the group gets one answer, and the log holds
 * its append exactly once.
 */
class AppendQueueCrashTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @ParameterizedTest(name = "appender halts at \"{0}\"")
  @ValueSource(strings = {"taken", "written", "published", "nowhere"})
  void aWriterWhoseAppenderDiesGetsItsAppendExactlyOnce(String point) throws Exception {
    try (Jvm writer = Jvm.start(GroupWorker.class, "writer", dir.toString(), "k")) {
      writer.await("open"::equals, TIMEOUT);
      try (Jvm appender =
          Jvm.start(
              List.of("-Xmx256m", "-Dcairn.test.crashAt=" + point),
              Map.of(),
              GroupWorker.class,
              "appender",
              dir.toString())) {
        appender.await("holding"::equals, TIMEOUT);
        writer.send("go"); // its append is posted, and the appender takes it
        assertThat(writer.await(l -> l.startsWith("seq "), TIMEOUT)).isEqualTo("seq 1");
        assertThat(writer.waitFor(TIMEOUT)).isZero();
        assertThat(appender.waitFor(TIMEOUT)).isEqualTo(point.equals("nowhere") ? 0 : 99);
      }
    }
    FileLog log = FileLog.acquire(dir, false);
    try {
      List<LogEntry> entries = log.read("k", 0, 10);
      assertThat(entries).hasSize(1);
      assertThat(new String(entries.get(0).payload(), StandardCharsets.UTF_8)).isEqualTo("k");
      assertThat(log.lastSequence()).isEqualTo(1);
    } finally {
      log.release();
    }
  }
}
