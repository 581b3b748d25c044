package dev.cairn.file;

import dev.cairn.Durability;
import dev.cairn.engine.Backends;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The backend contract on a directory. */
class FileBackendContractTest extends BackendContract {
  @TempDir Path dir;

  @Override
  protected Backend open() {
    return Backends.open(dir.toString(), new BackendOptions(Durability.OS));
  }
}
