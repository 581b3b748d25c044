package dev.cairn.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.cairn.InvalidLocationException;
import dev.cairn.StorageException;
import dev.cairn.StoreFormatException;
import dev.cairn.Subscription;
import dev.cairn.spi.Backend;
import dev.cairn.spi.Locations;
import dev.cairn.spi.LogEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keyed logs in PostgreSQL ({@code jdbc:postgresql:}) or MariaDB/MySQL ({@code jdbc:mariadb:},
 * {@code jdbc:mysql:}), through a HikariCP pool. Any number of processes on any number of machines
 * share a store by opening the same location.
 *
 * <p>Tables, named {@code cairn_NAMESPACE_*} so that stores can share a database (namespace from
 * the location's {@code cairn.namespace} parameter, default {@code cairn}):
 *
 * <pre>
 * _meta       name, value: version (2; a higher one is refused, 1 is upgraded) and the store id
 * _seq        one row: the epoch (bumped by compaction)
 * _heads      key, head: the sequence number of the last entry of each log
 * _entries    seq, key, write id, payload; indexed by (key, seq) and by write id
 * _entry_seq  the sequence entry numbers are drawn from
 * _inflight   MariaDB/MySQL only, a MEMORY table: the appends in flight
 * </pre>
 *
 * <p>An append is one call of a server-side routine ({@code _append}: a PL/pgSQL function, a
 * MariaDB procedure) whose transaction locks only its log's row of {@code _heads}: appends to
 * different logs run in parallel. The change feed reads up to a horizon ({@code _horizon}, see
 * {@link Dialect}) so that it never skips an entry that commits after one with a higher number.
 * Every append carries a random write id. If the connection fails while an append is in flight, its
 * outcome is unknown; the backend reconnects, looks for the write id, and appends again only if it
 * is not there, so a write is never lost to a dropped connection nor applied twice. Reads are
 * retried the same way, for up to {@link #RETRY_NANOS} in all.
 *
 * <p>Changes are announced with {@code NOTIFY} on PostgreSQL, after the appends committed (see
 * {@link #announce}), and the sequence is also looked at every 250 ms; on MariaDB/MySQL the
 * sequence is polled every {@code cairn.poll} milliseconds (default 50).
 *
 * <p>One class, as one backend: the pool, the retry rule for lost connections and the change feed
 * share the connection state above; what PostgreSQL and MariaDB do differently is their {@link
 * Dialect}.
 */
public final class JdbcBackend implements Backend {
  private static final System.Logger LOG = System.getLogger(JdbcBackend.class.getName());
  private static final int VERSION = 2;
  private static final long ANNOUNCE_MILLIS = 5;
  private static final long RETRY_NANOS = 30_000_000_000L;
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9_]{1,32}");

  private final String location;
  private final String jdbcUrl;
  private final Dialect dialect;
  private final String t; // table prefix
  private final long pollMillis;
  private final HikariDataSource pool;
  private final String storeId;
  private final dev.cairn.spi.Watchers watchers = new dev.cairn.spi.Watchers();
  private volatile Thread watcher;
  private final java.util.concurrent.Semaphore toAnnounce = new java.util.concurrent.Semaphore(0);
  private volatile Thread announcer;
  private volatile boolean closed;

  /** What a location names: the server, its dialect, the table prefix and how often to poll. */
  private record Parsed(String jdbcUrl, Dialect dialect, String prefix, long pollMillis) {}

  private static Parsed parse(String location, String shown) {
    Matcher m = Pattern.compile("^jdbc:(postgresql|mariadb|mysql):").matcher(location);
    if (!m.find()) {
      throw new InvalidLocationException(
          "unsupported JDBC location '"
              + shown
              + "'; expected jdbc:postgresql://, jdbc:mariadb:// or jdbc:mysql://");
    }
    Dialect dialect = Dialect.of(m.group(1));
    String namespace = "cairn";
    long poll = 50;
    int q = location.indexOf('?');
    List<String> driverParams = new ArrayList<>();
    if (q >= 0) {
      for (String param : location.substring(q + 1).split("&")) {
        if (param.startsWith("cairn.namespace=")) {
          namespace = param.substring("cairn.namespace=".length());
        } else if (param.startsWith("cairn.poll=")) {
          poll = parsePoll(param.substring("cairn.poll=".length()));
        } else if (param.startsWith("cairn.")) {
          throw new InvalidLocationException(
              "unknown parameter '" + param.split("=")[0] + "' in '" + shown + "'");
        } else if (!param.isEmpty()) {
          driverParams.add(param);
        }
      }
    }
    String cleaned =
        (q < 0 ? location : location.substring(0, q))
            + (driverParams.isEmpty() ? "" : "?" + String.join("&", driverParams));
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new InvalidLocationException(
          "cairn.namespace must be 1 to 32 of a-z 0-9 _; got '" + namespace + "'");
    }
    // Connector/J for MariaDB takes jdbc:mysql: only with an option; the protocol is the same
    return new Parsed(
        cleaned.replaceFirst("^jdbc:mysql:", "jdbc:mariadb:"),
        dialect,
        "cairn_" + namespace + "_",
        poll);
  }

  JdbcBackend(String location, boolean create) {
    this.location = Locations.redact(location);
    Parsed parsed = parse(location, this.location);
    jdbcUrl = parsed.jdbcUrl();
    dialect = parsed.dialect();
    t = parsed.prefix();
    pollMillis = parsed.pollMillis();
    pool = pool();
    try {
      if (!create && !exists()) {
        throw new InvalidLocationException(
            "no store at %s: no tables %s* (nothing was created: only writes create a store)"
                .formatted(this.location, t));
      }
      storeId = createSchema();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  private static long parsePoll(String value) {
    try {
      long v = Long.parseLong(value);
      if (v < 1 || v > 60_000) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InvalidLocationException(
          "cairn.poll must be 1 to 60000 milliseconds; got '" + value + "'");
    }
  }

  private HikariDataSource pool() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setPoolName("cairn " + location);
    config.setMaximumPoolSize(8);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(10_000);
    try {
      return new HikariDataSource(config);
    } catch (HikariPool.PoolInitializationException | IllegalArgumentException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      String why = Locations.redact(String.valueOf(cause.getMessage()));
      String state = cause instanceof SQLException sql ? String.valueOf(sql.getSQLState()) : "";
      if (state.startsWith("28") || why.contains("Access denied")) {
        throw new dev.cairn.AccessDeniedException(
            "the server at " + location + " refused the login: " + why, e);
      }
      if (state.startsWith("08") || cause instanceof java.net.ConnectException) {
        throw new dev.cairn.UnavailableException("cannot connect to " + location + ": " + why, e);
      }
      throw new InvalidLocationException("cannot connect to " + location + ": " + why, e);
    }
  }

  /** Whether this namespace's tables are there. */
  private boolean exists() {
    return withRetry(
        "look for the tables",
        c -> {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + t + "meta")) {
            return true;
          } catch (SQLException e) {
            if (retryable(e)) {
              throw e;
            }
            return false; // no such table
          }
        });
  }

  /**
   * Drops every table and routine of the store at {@code location}, if there are any: for tests and
   * benchmarks, which leave a server as they found it. Its data is gone for good.
   */
  public static void drop(String location) {
    Parsed p = parse(location, Locations.redact(location));
    try (Connection c = DriverManager.getConnection(p.jdbcUrl());
        Statement s = c.createStatement()) {
      for (String routine : p.dialect().dropRoutines(p.prefix())) {
        s.execute(routine);
      }
      for (String table : new String[] {"entries", "heads", "seq", "meta"}) {
        s.execute("DROP TABLE IF EXISTS " + p.prefix() + table);
      }
      s.execute(p.dialect().dropSequence(p.prefix()));
    } catch (SQLException e) {
      throw new StorageException(
          "cannot drop the store at " + Locations.redact(location) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the tables on first use, or brings version 1's up to this one, under a server-side
   * lock; (re)creates the routines; checks the version.
   */
  private String createSchema() {
    return withRetry(
        "create the tables",
        c -> {
          String lockName = t + "schema";
          lock(c, lockName);
          try (Statement s = c.createStatement()) {
            s.execute(
                "CREATE TABLE IF NOT EXISTS %smeta (name VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL)%s"
                    .formatted(t, dialect.tableOptions));
            String found = metaOrNull(c, "version");
            if (found == null) {
              createTables(s);
            } else if (Integer.parseInt(found) == 1) {
              upgradeFromVersion1(c, s);
            } else if (Integer.parseInt(found) != VERSION) {
              int version = Integer.parseInt(found);
              throw new StoreFormatException(
                  "the Cairn tables %s* in %s were written in version %d; this Cairn reads version %d%s"
                      .formatted(
                          t,
                          location,
                          version,
                          VERSION,
                          version > VERSION ? " (upgrade Cairn to open them)" : ""));
            }
            for (String statement : dialect.openStatements(t)) {
              s.execute(statement);
            }
            long lastEntry = count(c, "SELECT COALESCE(MAX(seq), 0) FROM " + t + "entries");
            for (String statement : dialect.sequenceAtLeast(t, lastEntry)) {
              s.execute(statement);
            }
          } finally {
            unlock(c, lockName);
          }
          return meta(c, "store-id");
        });
  }

  private void createTables(Statement s) throws SQLException {
    s.execute(
        "CREATE TABLE IF NOT EXISTS %sseq (id INT PRIMARY KEY, epoch BIGINT NOT NULL)%s"
            .formatted(t, dialect.tableOptions));
    s.execute(
        "CREATE TABLE IF NOT EXISTS %sheads (k %s PRIMARY KEY, head BIGINT NOT NULL)%s"
            .formatted(t, dialect.keyType, dialect.tableOptions));
    s.execute(
        "CREATE TABLE IF NOT EXISTS %sentries (seq BIGINT PRIMARY KEY, k %s NOT NULL, write_id CHAR(36) NOT NULL, payload %s NOT NULL)%s"
            .formatted(t, dialect.keyType, dialect.blobType, dialect.tableOptions));
    s.execute("CREATE INDEX IF NOT EXISTS %sentries_k ON %sentries (k, seq)".formatted(t, t));
    s.execute("CREATE INDEX IF NOT EXISTS %sentries_w ON %sentries (write_id)".formatted(t, t));
    s.execute(dialect.createSequence(t, 1));
    s.execute("INSERT INTO " + t + "seq (id, epoch) VALUES (1, 0)");
    s.execute(
        "INSERT INTO %smeta (name, value) VALUES ('version', '%d'), ('store-id', '%s')"
            .formatted(t, VERSION, UUID.randomUUID()));
  }

  /**
   * Version 1 numbered entries from a counter row that every append locked; version 2 draws them
   * from a sequence that starts after it. Processes of version 1 still running fail on their next
   * append (their routine is gone), loudly, instead of numbering beside the sequence.
   */
  private void upgradeFromVersion1(Connection c, Statement s) throws SQLException {
    long last = count(c, "SELECT seq FROM " + t + "seq WHERE id = 1");
    for (String routine : dialect.dropRoutines(t)) {
      s.execute(routine);
    }
    s.execute(dialect.createSequence(t, last + 1));
    s.execute("ALTER TABLE " + t + "seq DROP COLUMN seq");
    s.execute("UPDATE %smeta SET value = '%d' WHERE name = 'version'".formatted(t, VERSION));
  }

  private String metaOrNull(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT value FROM " + t + "meta WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private void lock(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(dialect.lockSql())) {
      ps.setString(1, name);
      ps.execute();
    }
  }

  private void unlock(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(dialect.unlockSql())) {
      ps.setString(1, name);
      ps.execute();
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String meta(Connection c, String name) throws SQLException {
    String value = metaOrNull(c, name);
    if (value == null) {
      throw new StoreFormatException("the Cairn tables " + t + "* have no " + name);
    }
    return value;
  }

  // ---- retries ----

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** Whether a failure is of the connection or the server's state, not of the statement. */
  static boolean retryable(SQLException e) {
    String state = e.getSQLState();
    return e instanceof SQLRecoverableException
        || e instanceof SQLTransientException
        || (state != null
            && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("40")));
  }

  /** Runs work once, on a connection of the pool: for the poller, which tries again itself. */
  private <T> T withRetryOnce(String what, SqlWork<T> work) throws SQLException {
    try (Connection c = pool.getConnection()) {
      return work.run(c);
    }
  }

  /** Runs idempotent work, on a fresh connection after each retryable failure. */
  private <T> T withRetry(String what, SqlWork<T> work) {
    return retrying(what, false, (c, retried) -> work.run(c));
  }

  /** Work told whether an earlier attempt of it failed on a lost connection. */
  @FunctionalInterface
  private interface RetriedWork<T> {
    T run(Connection c, boolean retried) throws SQLException;
  }

  /**
   * Runs work on a fresh connection after each retryable failure, for up to {@link #RETRY_NANOS};
   * for a write, the failure message says whether an earlier attempt may have been applied.
   */
  private <T> T retrying(String what, boolean writes, RetriedWork<T> work) {
    long deadline = System.nanoTime() + RETRY_NANOS;
    long backoff = 5;
    boolean retried = false;
    while (true) {
      try (Connection c = pool.getConnection()) {
        return work.run(c, retried);
      } catch (SQLException e) {
        if (!retryable(e) || System.nanoTime() > deadline || closed) {
          String outcome =
              !writes
                  ? ""
                  : retried ? " (it may or may not have been applied)" : " (nothing was written)";
          String message = "cannot " + what + " in " + location + outcome + ": " + e.getMessage();
          throw retryable(e)
              ? new dev.cairn.UnavailableException(message, e)
              : new StorageException(message, e);
        }
        retried = true;
        LockSupport.parkNanos(backoff * 1_000_000);
        backoff = Math.min(backoff * 2, 500);
      }
    }
  }

  // ---- the SPI ----

  @Override
  public String location() {
    return location;
  }

  @Override
  public String storeId() {
    return storeId;
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq) {
    return read(key, afterSeq, Integer.MAX_VALUE);
  }

  @Override
  public List<LogEntry> read(String key, long afterSeq, int limit) {
    return withRetry(
        "read",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT seq, payload FROM "
                      + t
                      + "entries WHERE k = ? AND seq > ? ORDER BY seq LIMIT ?")) {
            ps.setString(1, key);
            ps.setLong(2, afterSeq);
            ps.setInt(3, limit);
            List<LogEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new LogEntry(key, rs.getLong(1), rs.getBytes(2)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public long head(String key) {
    return withRetry("read a head", c -> head(c, key, ""));
  }

  private long head(Connection c, String key, String lock) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT head FROM " + t + "heads WHERE k = ?" + lock)) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  @Override
  public long append(String key, long expectedHead, List<byte[]> payloads) {
    return append(key, expectedHead, payloads, UUID.randomUUID().toString(), false, false).last();
  }

  @Override
  public AppendResult appendOrRead(String key, long expectedHead, List<byte[]> payloads) {
    return append(key, expectedHead, payloads, UUID.randomUUID().toString(), false, true);
  }

  /**
   * Tells listeners of appends, after they committed, from a thread of its own that sends at most
   * one notice every {@link #ANNOUNCE_MILLIS} ms for all the appends made since the last. A {@code
   * NOTIFY} inside the append would hold PostgreSQL's one notify lock of the database through the
   * commit's flush, making every append of every log wait for the one before; and a notice is a
   * round trip and a transaction of its own (no WAL flush: it writes no data), which one per append
   * would double.
   */
  private void announce() {
    if (!dialect.announcesAppends() || closed) {
      return;
    }
    if (announcer == null) {
      synchronized (this) {
        if (announcer == null) {
          announcer = new Thread(this::announceAll, "cairn-jdbc-announce");
          announcer.setDaemon(true);
          announcer.start();
        }
      }
    }
    toAnnounce.release();
  }

  private void announceAll() {
    while (!closed) {
      try {
        toAnnounce.acquire();
        toAnnounce.drainPermits();
        if (!closed) {
          withRetryOnce(
              "announce",
              c -> {
                try (Statement s = c.createStatement()) {
                  return s.execute(dialect.announce(t));
                }
              });
          Thread.sleep(ANNOUNCE_MILLIS); // what is appended meanwhile goes in the next notice
        }
      } catch (InterruptedException e) {
        return;
      } catch (SQLException | RuntimeException e) {
        // listeners also look at the sequence every 250 ms: a lost notice only delays them
        if (!closed) {
          LOG.log(System.Logger.Level.DEBUG, "could not announce appends", e);
        }
      }
    }
  }

  /**
   * An append under a given write id; with {@code inDoubt}, one whose earlier attempt with that id
   * may have committed, which then returns the earlier result and appends nothing.
   */
  AppendResult append(
      String key,
      long expectedHead,
      List<byte[]> payloads,
      String writeId,
      boolean inDoubt,
      boolean readIfMoved) {
    AppendResult result =
        retrying(
            "append",
            true,
            (c, retried) ->
                dialect.append(
                    c, t, key, expectedHead, payloads, writeId, inDoubt || retried, readIfMoved));
    if (result.isAppended()) {
      announce();
    }
    return result;
  }

  private String channel() {
    return t + "appended";
  }

  @Override
  public Position position(String key) {
    return withRetry(
        "read a head",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT (SELECT head FROM %sheads WHERE k = ?), epoch FROM %sseq WHERE id = 1"
                      .formatted(t, t))) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return new Position(rs.getLong(1), rs.getLong(2));
            }
          }
        });
  }

  @Override
  public List<String> keys() {
    return withRetry(
        "list keys",
        c -> {
          List<String> out = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT k FROM " + t + "heads")) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return out;
        });
  }

  /**
   * The horizon: the last entry number drawn, once every append in flight when it was read has
   * ended. Entries up to it are all committed or never will be.
   */
  @Override
  public long lastSequence() {
    return withRetry("read the sequence", this::horizon);
  }

  private long horizon(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(dialect.horizonCall(t));
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public List<LogEntry> changes(long since, int limit) {
    return withRetry(
        "read changes",
        c -> {
          long horizon = horizon(c); // then a new statement: it sees what committed meanwhile
          if (horizon <= since) {
            return List.of();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT seq, k, payload FROM "
                      + t
                      + "entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")) {
            ps.setLong(1, since);
            ps.setLong(2, horizon);
            ps.setInt(3, limit);
            List<LogEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new LogEntry(rs.getString(2), rs.getLong(1), rs.getBytes(3)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public long epoch() {
    return withRetry(
        "read the epoch", c -> count(c, "SELECT epoch FROM " + t + "seq WHERE id = 1"));
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
        watcher =
            new Thread(dialect.announcesAppends() ? this::listen : this::poll, "cairn-jdbc-watch");
        watcher.setDaemon(true);
        watcher.start();
      }
    }
    return registration;
  }

  /** PostgreSQL: LISTEN on a connection of its own, reconnecting after failures. */
  private void listen() {
    long backoff = 10;
    while (!closed && !watchers.isEmpty()) {
      try (Connection c = DriverManager.getConnection(jdbcUrl);
          Statement s = c.createStatement()) {
        s.execute("LISTEN " + channel());
        watchers.restored();
        watchers.fire(); // appends may have happened while not listening
        org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
        backoff = 10;
        long seen = horizon(c);
        while (!closed && !watchers.isEmpty()) {
          org.postgresql.PGNotification[] got = pg.getNotifications(250);
          // the horizon, not the last number drawn, whose entry may not be committed yet; it also
          // brings an append whose process ended before announcing it
          long now = horizon(c);
          if ((got != null && got.length > 0) || now != seen) {
            seen = now;
            watchers.fire();
          }
        }
      } catch (SQLException e) {
        watchers.lost(
            new dev.cairn.UnavailableException(
                "lost the change feed of " + location + ": " + e.getMessage(), e));
        LockSupport.parkNanos(backoff * 1_000_000);
        backoff = Math.min(backoff * 2, 1_000);
      }
    }
    synchronized (this) {
      watcher = null;
    }
  }

  /** MariaDB/MySQL: polls the sequence every {@code cairn.poll} milliseconds. */
  private void poll() {
    long seen = -1;
    while (!closed && !watchers.isEmpty()) {
      try {
        // the horizon: a number only drawn would be heard before its entry is there to read
        long now = withRetryOnce("read the sequence", this::horizon);
        watchers.restored();
        if (now != seen) {
          seen = now;
          watchers.fire();
        }
      } catch (SQLException | RuntimeException e) {
        watchers.lost(
            new dev.cairn.UnavailableException(
                "lost the change feed of " + location + ": " + e.getMessage(), e));
      }
      LockSupport.parkNanos(pollMillis * 1_000_000);
    }
    synchronized (this) {
      watcher = null;
    }
  }

  @Override
  public long compact(BiFunction<String, List<LogEntry>, List<LogEntry>> keep) {
    long removed =
        dev.cairn.spi.KeyByKeyCompaction.run(
            this,
            keep,
            (key, head, newHead, dropped) ->
                withRetry("compact", c -> removeIfUnmoved(c, key, head, newHead, dropped)));
    withRetry(
        "compact",
        c -> {
          try (Statement s = c.createStatement()) {
            return s.executeUpdate("UPDATE " + t + "seq SET epoch = epoch + 1 WHERE id = 1");
          }
        });
    return removed;
  }

  private boolean removeIfUnmoved(
      Connection c, String key, long head, long newHead, List<LogEntry> drop) throws SQLException {
    c.setAutoCommit(false);
    try {
      if (head(c, key, " FOR UPDATE") != head) {
        c.rollback();
        return false;
      }
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM " + t + "entries WHERE seq = ?")) {
        for (LogEntry e : drop) {
          ps.setLong(1, e.seq());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE " + t + "heads SET head = ? WHERE k = ?")) {
        ps.setLong(1, newHead);
        ps.setString(2, key);
        ps.executeUpdate();
      }
      c.commit();
      return true;
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Override
  public void close() {
    closed = true;
    toAnnounce.release();
    watchers.clear();
    pool.close();
  }
}
