package dev.cairn.redis;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.testkit.SharedLoad;
import dev.cairn.testkit.SharedObjectContract;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared-object contract on Redis, which orders the patches itself: no host. */
class RedisSharedObjectTest extends SharedObjectContract {
  private String location;

  @BeforeAll
  static void server() {
    RedisServer.require();
  }

  @Override
  protected DocumentStore create() {
    location = RedisServer.freshLocation();
    return Cairn.open(location);
  }

  @Override
  protected DocumentStore reopen() {
    return Cairn.open(location);
  }

  @Override
  protected void dropData() {
    RedisServer.drop(location);
  }

  @Test
  void fourProcessesSendingRandomPatchesEndWithTheSameState() throws Exception {
    SharedLoad.randomPatchesConverge(location, 4, 200);
  }
}
