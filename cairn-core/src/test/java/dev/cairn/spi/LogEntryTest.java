package dev.cairn.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Entries compare by content, as the values they are. */
class LogEntryTest {
  @Test
  void entriesWithTheSameKeySequenceAndBytesAreEqual() {
    LogEntry a = new LogEntry("k", 7, new byte[] {1, 2, 3});
    LogEntry b = new LogEntry("k", 7, new byte[] {1, 2, 3});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(Set.of(a)).contains(b);
    assertThat(a).isNotEqualTo(new LogEntry("k", 7, new byte[] {1, 2, 4}));
    assertThat(a).isNotEqualTo(new LogEntry("k", 8, new byte[] {1, 2, 3}));
    assertThat(a).isNotEqualTo(new LogEntry("j", 7, new byte[] {1, 2, 3}));
    assertThat(a.toString()).isEqualTo("LogEntry[key=k, seq=7, 3 bytes]");
  }
}
