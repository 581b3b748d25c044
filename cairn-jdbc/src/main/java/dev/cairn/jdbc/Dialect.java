package dev.cairn.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * What differs between the SQL servers: column types, the append routine and how it is called, the
 * server-side lock, and whether the server announces appends.
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

  /**
   * The append as one server-side routine, {@code PREFIXappend}, so that the sequence lock is held
   * for no round trip: lock the sequence row, (after a lost connection) return the seq of a write
   * id already committed, check the head, insert, move the head and the sequence, announce.
   */
  abstract String createAppendRoutine(String prefix);

  abstract String dropAppendRoutine(String prefix);

  /** Calls the append routine; returns the last sequence number appended, or 0. */
  final long append(
      Connection c,
      String prefix,
      String key,
      long expectedHead,
      List<byte[]> payloads,
      String writeId,
      boolean inDoubt)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(appendCall(prefix))) {
      ps.setString(1, key);
      ps.setLong(2, expectedHead);
      ps.setString(3, writeId);
      bindPayloads(ps, 4, c, payloads);
      ps.setBoolean(5, inDoubt);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The statement that calls the append routine with its five parameters. */
  abstract String appendCall(String prefix);

  /** Binds the payloads as the routine takes them. */
  abstract void bindPayloads(PreparedStatement ps, int index, Connection c, List<byte[]> payloads)
      throws SQLException;

  /** A statement taking a lock's name that waits for and takes a server-side lock. */
  abstract String lockSql();

  abstract String unlockSql();

  /** Whether the append routine announces appends (else the sequence is polled). */
  abstract boolean announcesAppends();
}
