package dev.cairn.jdbc;

import dev.cairn.spi.Backend.AppendResult;
import dev.cairn.spi.LogEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What differs between the SQL servers: column types, the routines and how they are called, the
 * sequence of entry numbers, the server-side lock, and whether the server announces appends.
 *
 * <p>Both dialects keep the same design. An append locks only its own log's row of {@code _heads},
 * so appends to different logs run in parallel; entry numbers come from a sequence, drawn after the
 * append has marked itself in flight where every reader can see it before it commits. A reader of
 * the change feed asks for the <em>horizon</em>: the last number drawn, once every append that was
 * in flight when it was read has finished. No entry at or below the horizon can commit later, so
 * the feed never skips one that commits out of number order.
 */
abstract sealed class Dialect permits PostgresDialect, MariaDbDialect {
  final String keyType;
  final String blobType;
  final String tableOptions;

  Dialect(String keyType, String blobType, String tableOptions) {
    this.keyType = keyType;
    this.blobType = blobType;
    this.tableOptions = tableOptions;
  }

  /** The dialect of a JDBC location's subprotocol: postgresql, mariadb or mysql. */
  static Dialect of(String subprotocol) {
    return subprotocol.equals("postgresql") ? new PostgresDialect() : new MariaDbDialect();
  }

  /** Creates the sequence of entry numbers; its first number is {@code first}. */
  abstract String createSequence(String prefix, long first);

  /**
   * Statements run at every open, under the schema lock: the routines, created or replaced, and
   * what only this server needs.
   */
  abstract List<String> openStatements(String prefix);

  /** Statements dropping every routine and object {@link #openStatements} made, and version 1's. */
  abstract List<String> dropRoutines(String prefix);

  /**
   * Statements, run at every open, that move the sequence past {@code lastEntry} (the highest entry
   * number in the table) if a crash left it behind; none where the server cannot leave it so.
   */
  abstract List<String> sequenceAtLeast(String prefix, long lastEntry);

  /** Drops the sequence of entry numbers. */
  abstract String dropSequence(String prefix);

  /**
   * Calls the append routine: appends if {@code key}'s log ends at {@code expectedHead} (or always,
   * with {@code ANY_HEAD}); if it does not, and {@code readIfMoved}, answers with the entries after
   * it and the epoch. With {@code inDoubt}, an earlier attempt with the same write id may have
   * committed: then its result is returned and nothing appended.
   */
  final AppendResult append(
      Connection c,
      String prefix,
      String key,
      long expectedHead,
      List<byte[]> payloads,
      String writeId,
      boolean inDoubt,
      boolean readIfMoved)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(appendCall(prefix))) {
      ps.setString(1, key);
      ps.setLong(2, expectedHead);
      ps.setString(3, writeId);
      bindPayloads(ps, 4, c, payloads);
      ps.setBoolean(5, inDoubt);
      ps.setBoolean(6, readIfMoved);
      try (ResultSet rs = ps.executeQuery()) {
        // rows of (last, epoch, seq, payload): one with last > 0, or one per missing entry
        List<LogEntry> missing = new ArrayList<>();
        long epoch = 0;
        while (rs.next()) {
          long last = rs.getLong(1);
          if (last != 0) {
            return AppendResult.appended(last);
          }
          epoch = rs.getLong(2);
          long seq = rs.getLong(3);
          if (!rs.wasNull()) {
            missing.add(new LogEntry(key, seq, rs.getBytes(4)));
          }
        }
        return AppendResult.refused(missing, epoch);
      }
    }
  }

  /** The statement that calls the append routine with its six parameters. */
  abstract String appendCall(String prefix);

  /** Binds the payloads as the routine takes them. */
  abstract void bindPayloads(PreparedStatement ps, int index, Connection c, List<byte[]> payloads)
      throws SQLException;

  /** The statement that calls the horizon routine, answering one row with the horizon. */
  abstract String horizonCall(String prefix);

  /** A statement telling listeners that entries were appended, where the server can. */
  abstract String announce(String prefix);

  /** A statement taking a lock's name that waits for and takes a server-side lock. */
  abstract String lockSql();

  abstract String unlockSql();

  /** Whether appends are announced (else the sequence is polled). */
  abstract boolean announcesAppends();

  /**
   * The rows an append returns when the log has moved: one per entry after the expected head, each
   * with the epoch (one row with no entry if there is none).
   */
  static String missingRows(String prefix, String zero, String key, String expected) {
    return """
        SELECT %4$s, (SELECT epoch FROM %1$sseq WHERE id = 1), e.seq, e.payload
          FROM (SELECT 1 AS one) AS o
          LEFT JOIN %1$sentries e ON e.k = %2$s AND e.seq > %3$s
          ORDER BY e.seq"""
        .formatted(prefix, key, expected, zero);
  }
}
