package dev.cairn.redis;

import dev.cairn.Durability;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import org.junit.jupiter.api.BeforeAll;

/** The backend contract on Redis, in a namespace of its own, dropped after each test. */
class RedisBackendContractTest extends BackendContract {
  private final String location = RedisServer.freshLocation();

  @BeforeAll
  static void server() {
    RedisServer.require();
  }

  @Override
  protected Backend open() {
    return new RedisBackendProvider().open(location, new BackendOptions(Durability.SYNC));
  }

  @Override
  protected void drop() {
    RedisServer.drop(location);
  }
}
