/** The {@code redis://} backend. Nothing is exported: Cairn finds it by the location's scheme. */
@SuppressWarnings("requires-automatic") // Jedis is an automatic module
module dev.cairn.redis {
  requires dev.cairn.core;
  requires redis.clients.jedis;
  // Jedis, an automatic module, declares no dependencies: its pool's module must be resolved here
  requires org.apache.commons.pool2;

  provides dev.cairn.spi.BackendProvider with
      dev.cairn.redis.RedisBackendProvider;
}
