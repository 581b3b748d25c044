package dev.cairn.redis;

import dev.cairn.AccessDeniedException;
import dev.cairn.InvalidLocationException;
import dev.cairn.StorageException;
import dev.cairn.StoreFormatException;
import dev.cairn.Subscription;
import dev.cairn.UnavailableException;
import dev.cairn.spi.Backend;
import dev.cairn.spi.LogEntry;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The {@code redis://host:port/db?namespace=name} backend: keyed logs in a Redis server, shared by
 * every process on every machine that opens the same location. Appends are Lua scripts, which Redis
 * runs one at a time, so a conditional append is atomic and sequence numbers follow the order
 * appends take effect.
 *
 * <p>Data, under the prefix {@code cairn:NAMESPACE:} (two namespaces never meet):
 *
 * <pre>
 * meta        hash: version (1; a higher one is refused), store id, epoch (bumped by compaction);
 *             made again, with a new store id, by the first append after the data was lost
 * seq         string: the last sequence number assigned
 * heads       hash: key -&gt; the sequence number of the last entry of its log
 * log:KEY     sorted set: score = sequence number, member = 20 decimal digits of it + payload
 * feed        sorted set: score = sequence number, member = 20 decimal digits of it + key
 * appended    pub/sub channel: the last sequence number of each append
 * w:WRITE-ID  string, for an hour: the last sequence number of the append with that id
 * </pre>
 *
 * <p>A conditional append whose log has moved answers, in the same call, with the entries after the
 * head it expected and the epoch, so that a writer behind decides again without reading.
 *
 * <p>A lost connection is retried for up to 30 seconds. Every append carries a random write id that
 * the script records, so an append retried after its reply was lost returns the first attempt's
 * result instead of appending twice.
 *
 * <p>Durability is the server's: with {@code appendonly yes} and {@code appendfsync always} an
 * acknowledged append survives a crash of the server; without persistence it lives as long as the
 * server process. On a cluster ({@code redis+cluster://}) the prefix is {@code cairn:{NAMESPACE}:}:
 * the namespace is every key's hash tag, so a store's keys share one slot and every script, which
 * touches keys of its namespace only, runs on one node.
 *
 * <p>One class, as one backend: the scripts, the key layout above and the retry rule are read
 * together.
 */
public final class RedisBackend implements Backend {
  private static final int VERSION = 1;
  private static final int SEQ_DIGITS = 20;
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final long RETRY_NANOS = 30_000_000_000L;
  static final String CLUSTER_SCHEME = "redis+cluster://";

  private static final byte[] APPEND =
      bytes(
          """
          local done = redis.call('GET', KEYS[6])
          if done then return tonumber(done) end
          if redis.call('EXISTS', KEYS[7]) == 0 then
            redis.call('HSET', KEYS[7], 'version', '1', 'store-id', ARGV[#ARGV], 'epoch', '0')
          end
          local head = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
          local expected = tonumber(ARGV[2])
          if expected >= 0 and head ~= expected then
            if ARGV[#ARGV - 1] ~= '1' then return 0 end
            local meta = redis.call('HMGET', KEYS[7], 'epoch', 'store-id')
            local out = {0, meta[1] or '0', meta[2] or ''}
            for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[2], '+inf')) do
              out[#out + 1] = m
            end
            return out
          end
          local n = #ARGV - 4
          local last = redis.call('INCRBY', KEYS[2], n)
          for i = 1, n do
            local seq = last - n + i
            local digits = string.format('%020d', seq)
            redis.call('ZADD', KEYS[3], seq, digits .. ARGV[2 + i])
            redis.call('ZADD', KEYS[4], seq, digits .. ARGV[1])
          end
          redis.call('HSET', KEYS[1], ARGV[1], last)
          redis.call('SET', KEYS[6], last, 'EX', 3600)
          redis.call('PUBLISH', KEYS[5], last)
          return last
          """);

  private static final byte[] CHANGES =
      bytes(
          """
          local out = {}
          local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'LIMIT', 0, ARGV[2])
          for _, m in ipairs(members) do
            local seq = tonumber(string.sub(m, 1, 20))
            local entry = redis.call('ZRANGEBYSCORE', ARGV[3] .. string.sub(m, 21), seq, seq)
            if entry[1] then
              out[#out + 1] = m
              out[#out + 1] = entry[1]
            end
          end
          return out
          """);

  private static final byte[] POSITION =
      bytes(
          """
          local meta = redis.call('HMGET', KEYS[2], 'epoch', 'store-id')
          return {redis.call('HGET', KEYS[1], ARGV[1]) or '0', meta[1] or '0', meta[2] or ''}
          """);

  private static final byte[] REMOVE =
      bytes(
          """
          local head = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
          if head ~= tonumber(ARGV[2]) then return 0 end
          local n = (#ARGV - 3) / 2
          for i = 1, n do
            redis.call('ZREM', KEYS[2], ARGV[3 + i])
            redis.call('ZREM', KEYS[3], ARGV[3 + n + i])
          end
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
          return 1
          """);

  private final String location;
  private final String prefix;
  private final UnifiedJedis redis;
  private final String storeId;
  private final dev.cairn.spi.Watchers watchers = new dev.cairn.spi.Watchers();
  private final byte[] metaKey;
  private final byte[] seqKey;
  private final byte[] headsKey;
  private final byte[] feedKey;
  private final String channel;
  private volatile Watcher watcher;
  private volatile boolean closed;

  RedisBackend(String location, boolean create) {
    this.location = redact(location);
    boolean cluster = location.startsWith(CLUSTER_SCHEME);
    List<String> hosts = List.of();
    String single = location;
    if (cluster) { // the URI of the first node, with the others set aside
      String rest = location.substring(CLUSTER_SCHEME.length());
      int end = rest.length();
      for (char c : new char[] {'/', '?'}) {
        end = rest.indexOf(c) < 0 ? end : Math.min(end, rest.indexOf(c));
      }
      String authority = rest.substring(0, end);
      int at = authority.lastIndexOf('@');
      hosts = List.of(authority.substring(at + 1).split(",", -1));
      single = "redis://" + authority.substring(0, at + 1) + hosts.get(0) + rest.substring(end);
    }
    URI uri;
    try {
      uri = new URI(single);
    } catch (URISyntaxException e) {
      throw new InvalidLocationException("cannot parse Redis location '" + this.location + "'", e);
    }
    if (uri.getHost() == null) {
      throw new InvalidLocationException(
          "Redis location '"
              + this.location
              + "' names no host; expected redis://host:port/db or"
              + " redis+cluster://host:port,host:port");
    }
    int db = database(uri);
    if (cluster && db != 0) {
      throw new InvalidLocationException(
          "a Redis cluster has database 0 only; got " + db + " in '" + this.location + "'");
    }
    String namespace = query(uri, "namespace", "cairn");
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new InvalidLocationException(
          "namespace must be 1 to 64 of A-Z a-z 0-9 _ . -; got '" + namespace + "'");
    }
    // on a cluster, every key of the store carries the namespace as its hash tag: one slot, so that
    // each script's keys are on one node
    prefix = cluster ? "cairn:{" + namespace + "}:" : "cairn:" + namespace + ":";
    metaKey = bytes(prefix + "meta");
    seqKey = bytes(prefix + "seq");
    headsKey = bytes(prefix + "heads");
    feedKey = bytes(prefix + "feed");
    channel = prefix + "appended";
    DefaultJedisClientConfig.Builder builder =
        DefaultJedisClientConfig.builder().database(db).timeoutMillis(10_000);
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? null : decode(userInfo.substring(0, colon));
      String password = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
      builder.user(user == null || user.isEmpty() ? null : user).password(password);
    }
    DefaultJedisClientConfig config = builder.build();
    try {
      redis = cluster ? clusterClient(hosts, config) : standalone(uri, config);
    } catch (JedisException e) {
      throw new UnavailableException(
          "cannot reach Redis at " + this.location + ": " + e.getMessage(), e);
    }
    try {
      storeId = open(create);
    } catch (JedisConnectionException e) {
      redis.close();
      throw new UnavailableException(
          "cannot reach Redis at " + this.location + ": " + e.getMessage(), e);
    } catch (JedisDataException e) {
      redis.close();
      throw refused(e);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  private static UnifiedJedis standalone(URI uri, DefaultJedisClientConfig config) {
    HostAndPort address = new HostAndPort(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
    return RedisClient.builder().hostAndPort(address).clientConfig(config).build();
  }

  private UnifiedJedis clusterClient(List<String> hosts, DefaultJedisClientConfig config) {
    Set<HostAndPort> nodes = new java.util.LinkedHashSet<>();
    for (String host : hosts) {
      URI node;
      try {
        node = new URI("redis://" + host);
      } catch (URISyntaxException e) {
        throw new InvalidLocationException(
            "cannot parse the node '" + host + "' in '" + location + "'", e);
      }
      if (node.getHost() == null) {
        throw new InvalidLocationException(
            "the node '" + host + "' in '" + location + "' is not host:port");
      }
      nodes.add(new HostAndPort(node.getHost(), node.getPort() < 0 ? 6379 : node.getPort()));
    }
    return RedisClusterClient.builder().nodes(nodes).clientConfig(config).build();
  }

  /** What Redis's refusal to open a connection means for the location. */
  private InvalidLocationException refused(JedisDataException e) {
    String message = String.valueOf(e.getMessage());
    if (e instanceof JedisAccessControlException
        || message.startsWith("WRONGPASS")
        || message.startsWith("NOAUTH")
        || message.contains("AUTH")) {
      return new AccessDeniedException(
          "Redis at " + location + " refused the login: " + message, e);
    }
    if (message.contains("DB index")) {
      return new InvalidLocationException(
          "Redis at " + location + " has no such database: " + message, e);
    }
    return new InvalidLocationException("Redis at " + location + " refused: " + message, e);
  }

  /**
   * Creates the namespace's meta data on first use (if {@code create}), refuses a newer version,
   * returns the id.
   */
  private String open(boolean create) {
    if (!create && !redis.exists(prefix + "meta")) {
      throw new InvalidLocationException(
          "no store at " + location + " (nothing was created: only writes create a store)");
    }
    redis.hsetnx(prefix + "meta", "version", Integer.toString(VERSION));
    redis.hsetnx(prefix + "meta", "store-id", UUID.randomUUID().toString());
    redis.hsetnx(prefix + "meta", "epoch", "0");
    int version = Integer.parseInt(redis.hget(prefix + "meta", "version"));
    if (version != VERSION) {
      throw new StoreFormatException(
          "the Cairn data in %s was written in version %d; this Cairn reads version %d%s"
              .formatted(
                  location,
                  version,
                  VERSION,
                  version > VERSION ? " (upgrade Cairn to open it)" : ""));
    }
    return redis.hget(prefix + "meta", "store-id");
  }

  private static int database(URI uri) {
    String path = uri.getPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return 0;
    }
    try {
      int db = Integer.parseInt(path.substring(1));
      if (db < 0) {
        throw new NumberFormatException();
      }
      return db;
    } catch (NumberFormatException e) {
      throw new InvalidLocationException(
          "Redis database must be a number, as in redis://host:6379/0; got '" + path + "'");
    }
  }

  private static String query(URI uri, String name, String fallback) {
    String q = uri.getRawQuery();
    if (q == null) {
      return fallback;
    }
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return decode(pair.substring(eq + 1));
      }
    }
    return fallback;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  static String redact(String location) {
    return location
        .replaceAll("(//[^/@]*:)[^@/]*@", "$1***@")
        .replaceAll("(//)([^:/@]+)@", "$1***@");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] logKey(String key) {
    return bytes(prefix + "log:" + key);
  }

  /**
   * Runs an idempotent Redis call, again after a lost connection for up to 30 seconds, turning
   * client failures into Cairn's exceptions.
   */
  private <T> T call(String what, Supplier<T> action) {
    long deadline = System.nanoTime() + RETRY_NANOS;
    long backoff = 5;
    while (true) {
      try {
        return action.get();
      } catch (JedisDataException e) {
        if (!String.valueOf(e.getMessage()).startsWith("LOADING") || System.nanoTime() > deadline) {
          throw new StorageException(
              "Redis refused to " + what + " at " + location + ": " + e.getMessage(), e);
        }
      } catch (JedisException e) {
        if (closed || System.nanoTime() > deadline) {
          throw new UnavailableException(
              "Redis at %s failed to %s: %s (retried for %d s)"
                  .formatted(location, what, e.getMessage(), RETRY_NANOS / 1_000_000_000L),
              e);
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(backoff * 1_000_000);
      backoff = Math.min(backoff * 2, 500);
    }
  }

  /**
   * Runs a script by its SHA-1, which spares the single-threaded server from reading and hashing
   * its text on every call; sends the text once when the server does not know it (first use, after
   * a restart).
   */
  private Object script(byte[] script, List<byte[]> keys, List<byte[]> args) {
    byte[] sha = SHAS.computeIfAbsent(script, RedisBackend::sha1);
    try {
      return redis.evalsha(sha, keys, args);
    } catch (redis.clients.jedis.exceptions.JedisNoScriptException e) {
      return redis.eval(script, keys, args);
    }
  }

  private static final java.util.Map<byte[], byte[]> SHAS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static byte[] sha1(byte[] script) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(script);
      return bytes(java.util.HexFormat.of().formatHex(digest));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError("every JVM has SHA-1", e);
    }
  }

  @Override
  public String location() {
    return location;
  }

  /**
   * The store id as the server has it now: a server that lost its data (restarted without
   * persistence) has a new one from the first append after.
   */
  @Override
  public String storeId() {
    byte[] id = call("read the store id", () -> redis.hget(metaKey, bytes("store-id")));
    return id == null ? storeId : new String(id, StandardCharsets.UTF_8);
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq) {
    List<byte[]> members =
        call(
            "read", () -> redis.zrangeByScore(logKey(key), afterSeq + 1, Double.POSITIVE_INFINITY));
    List<LogEntry> out = new ArrayList<>(members.size());
    for (byte[] m : members) {
      out.add(new LogEntry(key, seqOf(m), Arrays.copyOfRange(m, SEQ_DIGITS, m.length)));
    }
    return out;
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq, int limit) {
    List<byte[]> members =
        call(
            "read",
            () ->
                redis.zrangeByScore(logKey(key), afterSeq + 1, Double.POSITIVE_INFINITY, 0, limit));
    List<LogEntry> out = new ArrayList<>(members.size());
    for (byte[] m : members) {
      out.add(new LogEntry(key, seqOf(m), Arrays.copyOfRange(m, SEQ_DIGITS, m.length)));
    }
    return out;
  }

  private static long seqOf(byte[] member) {
    return Long.parseLong(new String(member, 0, SEQ_DIGITS, StandardCharsets.US_ASCII));
  }

  @Override
  public long head(String key) {
    byte[] head = call("read a head", () -> redis.hget(headsKey, bytes(key)));
    return head == null ? 0 : Long.parseLong(new String(head, StandardCharsets.US_ASCII));
  }

  @Override
  @SuppressWarnings("unchecked")
  public Position position(String key) {
    List<byte[]> both =
        (List<byte[]>)
            call(
                "read a head",
                () -> script(POSITION, List.of(headsKey, metaKey), List.of(bytes(key))));
    return new Position(
        Long.parseLong(new String(both.get(0), StandardCharsets.US_ASCII)),
        epochOf(both.get(1), both.get(2)));
  }

  @Override
  public long append(String key, long expectedHead, List<byte[]> payloads) {
    return append(key, expectedHead, payloads, UUID.randomUUID().toString());
  }

  /** An append under a given write id: repeated with the same id, it returns the first result. */
  long append(String key, long expectedHead, List<byte[]> payloads, String id) {
    return (Long) appendScript(key, expectedHead, payloads, id, false);
  }

  /** One script call: the append, or the entries after the expected head and the epoch. */
  @Override
  @SuppressWarnings("unchecked")
  public AppendResult appendOrRead(String key, long expectedHead, List<byte[]> payloads) {
    Object answer = appendScript(key, expectedHead, payloads, UUID.randomUUID().toString(), true);
    if (answer instanceof Long last) {
      return AppendResult.appended(last);
    }
    List<Object> refusal = (List<Object>) answer;
    List<LogEntry> missing = new ArrayList<>(refusal.size() - 3);
    for (Object o : refusal.subList(3, refusal.size())) {
      byte[] m = (byte[]) o;
      missing.add(new LogEntry(key, seqOf(m), Arrays.copyOfRange(m, SEQ_DIGITS, m.length)));
    }
    return AppendResult.refused(missing, epochOf((byte[]) refusal.get(1), (byte[]) refusal.get(2)));
  }

  private Object appendScript(
      String key, long expectedHead, List<byte[]> payloads, String id, boolean readIfMoved) {
    byte[] writeId = bytes(prefix + "w:" + id);
    List<byte[]> keys =
        List.of(headsKey, seqKey, logKey(key), feedKey, bytes(channel), writeId, metaKey);
    List<byte[]> args = new ArrayList<>(payloads.size() + 4);
    args.add(bytes(key));
    args.add(bytes(Long.toString(expectedHead)));
    args.addAll(payloads);
    args.add(bytes(readIfMoved ? "1" : "0"));
    args.add(bytes(UUID.randomUUID().toString())); // the store id, should the data have been lost
    return call("append", () -> script(APPEND, keys, args));
  }

  @Override
  public List<String> keys() {
    Set<byte[]> keys = call("list keys", () -> redis.hkeys(headsKey));
    List<String> out = new ArrayList<>(keys.size());
    for (byte[] k : keys) {
      out.add(new String(k, StandardCharsets.UTF_8));
    }
    return out;
  }

  @Override
  public long lastSequence() {
    byte[] seq = call("read the sequence", () -> redis.get(seqKey));
    return seq == null ? 0 : Long.parseLong(new String(seq, StandardCharsets.US_ASCII));
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<LogEntry> changes(long since, int limit) {
    List<byte[]> args =
        List.of(
            bytes(Long.toString(since + 1)),
            bytes(Integer.toString(limit)),
            bytes(prefix + "log:"));
    List<byte[]> flat =
        (List<byte[]>) call("read changes", () -> script(CHANGES, List.of(feedKey), args));
    List<LogEntry> out = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i < flat.size(); i += 2) {
      byte[] feed = flat.get(i);
      byte[] entry = flat.get(i + 1);
      String key = new String(feed, SEQ_DIGITS, feed.length - SEQ_DIGITS, StandardCharsets.UTF_8);
      out.add(new LogEntry(key, seqOf(feed), Arrays.copyOfRange(entry, SEQ_DIGITS, entry.length)));
    }
    return out;
  }

  @Override
  public long epoch() {
    List<byte[]> meta =
        call("read the epoch", () -> redis.hmget(metaKey, bytes("epoch"), bytes("store-id")));
    return epochOf(meta.get(0), meta.get(1));
  }

  /**
   * The compaction counter together with the store id: a server that lost its data has another
   * store id (or none yet), so readers drop what they reduced from the old data, as after a
   * compaction.
   */
  private static long epochOf(byte[] counter, byte[] storeId) {
    long n =
        counter == null || counter.length == 0
            ? 0
            : Long.parseLong(new String(counter, StandardCharsets.US_ASCII));
    int id = storeId == null || storeId.length == 0 ? 0 : Arrays.hashCode(storeId);
    return (long) id << 32 | (n & 0xffffffffL);
  }

  @Override
  public Subscription watch(Runnable onAppend) {
    return watch(onAppend, dev.cairn.spi.FeedStatus.NONE);
  }

  @Override
  public Subscription watch(Runnable onAppend, dev.cairn.spi.FeedStatus status) {
    Subscription registration = watchers.add(onAppend, status);
    synchronized (this) {
      if (watcher == null) {
        watcher = new Watcher();
        watcher.start();
      }
    }
    return registration;
  }

  /** Subscribes to the append channel, and again after a lost connection, until closed. */
  private final class Watcher extends Thread {
    private final JedisPubSub subscription =
        new JedisPubSub() {
          @Override
          public void onMessage(String channel, String message) {
            watchers.fire();
          }

          @Override
          public void onSubscribe(String channel, int count) {
            watchers.restored();
            watchers.fire(); // appends may have happened while not subscribed
          }
        };
    private volatile boolean stopped;

    Watcher() {
      super("cairn-redis-watch");
      setDaemon(true);
    }

    @Override
    public void run() {
      long backoff = 10;
      while (!stopped) {
        try {
          redis.subscribe(subscription, channel);
          backoff = 10;
        } catch (JedisException e) {
          if (stopped) {
            return;
          }
          watchers.lost(
              new UnavailableException(
                  "lost the change feed of Redis at " + location + ": " + e.getMessage(), e));
          java.util.concurrent.locks.LockSupport.parkNanos(backoff * 1_000_000);
          backoff = Math.min(backoff * 2, 1_000);
        }
      }
    }

    void shutdown() {
      stopped = true;
      try {
        if (subscription.isSubscribed()) {
          subscription.unsubscribe();
        }
      } catch (JedisException e) {
        // the connection is gone already: the thread ends with it
      }
    }
  }

  @Override
  public long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    long removed =
        dev.cairn.spi.KeyByKeyCompaction.run(
            this,
            keep,
            (key, head, newHead, dropped) -> {
              List<byte[]> args = new ArrayList<>();
              args.add(bytes(key));
              args.add(bytes(Long.toString(head)));
              args.add(bytes(Long.toString(newHead)));
              for (LogEntry e : dropped) {
                args.add(concat(bytes(String.format("%020d", e.seq())), e.payload()));
              }
              for (LogEntry e : dropped) {
                args.add(concat(bytes(String.format("%020d", e.seq())), bytes(key)));
              }
              Object done =
                  call(
                      "compact",
                      () -> script(REMOVE, List.of(headsKey, logKey(key), feedKey), args));
              return (Long) done == 1;
            });
    call("compact", () -> redis.hincrBy(metaKey, bytes("epoch"), 1));
    return removed;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public void close() {
    closed = true;
    Watcher w = watcher;
    if (w != null) {
      w.shutdown();
    }
    watchers.clear();
    redis.close();
  }
}
