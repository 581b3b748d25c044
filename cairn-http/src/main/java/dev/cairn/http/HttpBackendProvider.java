package dev.cairn.http;

import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import java.util.List;

/** Opens {@code cairn+http://token:TOKEN@host:port} locations: a Cairn node's store. */
public final class HttpBackendProvider implements BackendProvider {
  @Override
  public List<String> schemes() {
    return List.of("cairn+http", "cairn+https");
  }

  @Override
  public Backend open(String location, BackendOptions options) {
    return new HttpBackend(location);
  }
}
