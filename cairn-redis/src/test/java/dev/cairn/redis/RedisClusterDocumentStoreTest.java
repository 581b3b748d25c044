package dev.cairn.redis;

import dev.cairn.Cairn;
import dev.cairn.DocumentStore;
import dev.cairn.testkit.DocumentStoreContract;

/** The document contract on a Redis Cluster of three primaries started by the test. */
class RedisClusterDocumentStoreTest extends DocumentStoreContract {
  @Override
  protected DocumentStore newStore() {
    return Cairn.open(OwnRedisCluster.get().freshLocation());
  }
}
