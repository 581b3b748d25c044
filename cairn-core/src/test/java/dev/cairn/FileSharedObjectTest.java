package dev.cairn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.testkit.SharedObjectContract;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared-object contract on a store directory: a host elected among the replicas. */
class FileSharedObjectTest extends SharedObjectContract {
  @TempDir Path dir;

  @Override
  protected DocumentStore create() {
    return Cairn.open(dir);
  }

  @Override
  protected DocumentStore reopen() {
    return Cairn.open(dir);
  }

  @Test
  void anObjectOpenedAndClosedOverAndOverInOneProcessAlwaysGetsAHostAgain() throws Exception {
    // closing while the host election waited for this process's turn once kept the turn for
    // good: every later object of that name here waited for a host that never came
    try (DocumentStore store = Cairn.open(dir)) {
      for (int i = 0; i < 1000; i++) {
        store.share("cfg", Map.of("n", 0)).close();
      }
      try (SharedObject cfg = store.share("cfg")) {
        assertThat(
                cfg.patch("{\"$inc\":{\"n\":1}}")
                    .get(30, TimeUnit.SECONDS)
                    .state()
                    .get("n")
                    .asInt())
            .isEqualTo(1);
      }
    }
  }
}
