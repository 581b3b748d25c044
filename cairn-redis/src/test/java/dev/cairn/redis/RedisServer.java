package dev.cairn.redis;

import java.util.UUID;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The Redis server the tests use: {@code $CAIRN_TEST_REDIS} or redis://127.0.0.1:6379/0. When it
 * cannot be reached, the tests fail under {@code CI=true} and are skipped, with a message,
 * elsewhere.
 */
final class RedisServer {
  static final String URL = dev.cairn.testkit.Servers.REDIS;

  private RedisServer() {}

  /** Checks that the server answers. */
  static void require() {
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(URL))) {
      redis.ping();
    } catch (RuntimeException e) {
      String message = "no Redis server at " + URL + " (set CAIRN_TEST_REDIS): " + e.getMessage();
      throw dev.cairn.testkit.Servers.missing(message, e);
    }
  }

  /** A location in a namespace of its own. */
  static String freshLocation() {
    return URL + "?namespace=test-" + UUID.randomUUID();
  }

  /** Deletes every key of a location's namespace. */
  static void drop(String location) {
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(URL))) {
      for (String key : keysOf(location)) {
        redis.del(key);
      }
    }
  }

  /** The keys of a location's namespace. */
  static java.util.List<String> keysOf(String location) {
    String namespace = location.substring(location.indexOf("namespace=") + 10);
    java.util.List<String> keys = new java.util.ArrayList<>();
    try (JedisPooled redis = new JedisPooled(java.net.URI.create(URL))) {
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page =
            redis.scan(cursor, new ScanParams().match("cairn:" + namespace + ":*").count(1000));
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return keys;
  }
}
