package dev.cairn.jdbc;

import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import java.util.List;

/** Opens {@code jdbc:postgresql:}, {@code jdbc:mariadb:} and {@code jdbc:mysql:} locations. */
public final class JdbcBackendProvider implements BackendProvider {
  @Override
  public List<String> schemes() {
    return List.of("jdbc");
  }

  @Override
  public Backend open(String location, BackendOptions options) {
    return new JdbcBackend(location, options.create());
  }
}
