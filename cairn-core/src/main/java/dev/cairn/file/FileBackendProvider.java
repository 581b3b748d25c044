package dev.cairn.file;

import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import dev.cairn.spi.Locations;
import java.util.List;

/** Opens {@code file:} locations and plain paths. */
public final class FileBackendProvider implements BackendProvider {
  @Override
  public List<String> schemes() {
    return List.of("file");
  }

  @Override
  public Backend open(String location, BackendOptions options) {
    return new FileBackend(Locations.path(location), options.durability(), options.create());
  }
}
