package dev.cairn.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.Durability;
import dev.cairn.spi.Backend;
import dev.cairn.spi.BackendOptions;
import dev.cairn.testkit.BackendContract;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The backend contract on a Redis Cluster of three primaries started by the test, in a namespace of
 * its own per test.
 */
class RedisClusterBackendContractTest extends BackendContract {
  private final OwnRedisCluster cluster = OwnRedisCluster.get();
  private final String location = cluster.freshLocation();

  @Override
  protected Backend open() {
    return new RedisBackendProvider().open(location, new BackendOptions(Durability.SYNC));
  }

  /** Nothing to drop: the cluster is the test's own and goes with the JVM. */
  @Override
  protected void drop() {}

  /**
   * Every key of a store is in one slot, so that every script runs on one node; stores of other
   * namespaces land on other nodes.
   */
  @Test
  void aStoreKeepsAllItsKeysInOneSlotAndStoresSpreadOverTheNodes() {
    first.append("a", 0, List.of(new byte[] {1}));
    second.append("b", 0, List.of(new byte[] {2}));
    Set<Long> slots = new HashSet<>();
    int holding = 0;
    for (int port : cluster.ports()) {
      try (Jedis node = new Jedis("127.0.0.1", port)) {
        String namespace = location.substring(location.indexOf("namespace=") + 10);
        Set<String> keys = node.keys("cairn:{" + namespace + "}:*");
        for (String key : keys) {
          slots.add(node.clusterKeySlot(key));
        }
        holding += keys.isEmpty() ? 0 : 1;
      }
    }
    assertThat(slots).hasSize(1);
    assertThat(holding).as("one node holds the store").isEqualTo(1);

    Set<Long> storeSlots = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      try (Jedis node = new Jedis("127.0.0.1", cluster.ports().get(0))) {
        storeSlots.add(node.clusterKeySlot("cairn:{test-" + i + "}:meta") * 3 / 16384);
      }
    }
    assertThat(storeSlots).as("namespaces fall in the slots of every node").hasSize(3);
  }
}
