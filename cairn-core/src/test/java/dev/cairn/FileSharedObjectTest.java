package dev.cairn;

import dev.cairn.testkit.SharedObjectContract;
import java.nio.file.Path;
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
}
