package dev.cairn.redis;

import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.spi.BackendProvider;
import java.util.List;

/** Opens {@code redis://} locations, and {@code redis+cluster://} ones for a Redis Cluster. */
public final class RedisBackendProvider implements BackendProvider {
  @Override
  public List<String> schemes() {
    return List.of("redis", "redis+cluster");
  }

  @Override
  public Backend open(String location, BackendOptions options) {
    return new RedisBackend(location, options.create());
  }
}
