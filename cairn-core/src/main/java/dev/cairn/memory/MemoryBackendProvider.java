package dev.cairn.memory;

import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import java.util.List;

/** Opens {@code mem:} locations: a new, empty store in this process's memory each time. */
public final class MemoryBackendProvider implements BackendProvider {
  @Override
  public List<String> schemes() {
    return List.of("mem");
  }

  @Override
  public Backend open(String location, BackendOptions options) {
    return new MemoryBackend(location);
  }
}
