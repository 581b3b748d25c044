package dev.cairn.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * PostgreSQL: PL/pgSQL routines; appends are announced with NOTIFY, and an append marks itself in
 * flight with a shared transaction-level advisory lock, which {@code pg_locks} shows to every
 * session and the server releases when the transaction ends, however it ends.
 */
final class PostgresDialect extends Dialect {
  PostgresDialect() {
    super("TEXT", "BYTEA", "");
  }

  /** The advisory lock (key, 1) an append holds while in flight: one key per table prefix. */
  private static int lockKey(String prefix) {
    return prefix.hashCode() & 0x7fffffff; // pg_locks shows it as an unsigned oid
  }

  @Override
  String createSequence(String prefix, long first) {
    return "CREATE SEQUENCE IF NOT EXISTS %sentry_seq START WITH %d".formatted(prefix, first);
  }

  @Override
  String dropSequence(String prefix) {
    return "DROP SEQUENCE IF EXISTS " + prefix + "entry_seq";
  }

  @Override
  List<String> openStatements(String prefix) {
    // one append in flight takes the lock shared; one of several entries takes it alone, so that no
    // other append draws a number among its numbers, which must follow each other
    String append =
        """
        CREATE OR REPLACE FUNCTION %1$sappend(p_key TEXT, p_expected BIGINT, p_write CHAR(36),
            p_payloads BYTEA[], p_in_doubt BOOLEAN, p_read BOOLEAN)
            RETURNS TABLE (r_last BIGINT, r_epoch BIGINT, r_seq BIGINT, r_payload BYTEA)
            LANGUAGE plpgsql AS $$
        DECLARE h BIGINT; done BIGINT; s BIGINT; p BYTEA;
        BEGIN
          -- a log that has moved is refused before any lock: a refusal writes nothing to the WAL
          IF p_expected >= 0 AND NOT p_in_doubt THEN
            SELECT head INTO h FROM %1$sheads WHERE k = p_key;
            IF COALESCE(h, 0) <> p_expected THEN
              %3$s
            END IF;
          END IF;
          SELECT head INTO h FROM %1$sheads WHERE k = p_key FOR UPDATE;
          IF NOT FOUND AND p_expected <= 0 THEN
            INSERT INTO %1$sheads (k, head) VALUES (p_key, 0) ON CONFLICT (k) DO NOTHING;
            SELECT head INTO h FROM %1$sheads WHERE k = p_key FOR UPDATE;
          END IF;
          IF p_in_doubt THEN
            SELECT MAX(seq) INTO done FROM %1$sentries WHERE write_id = p_write;
            IF done IS NOT NULL THEN
              RETURN QUERY SELECT done, NULL::BIGINT, NULL::BIGINT, NULL::BYTEA;
              RETURN;
            END IF;
          END IF;
          IF p_expected >= 0 AND COALESCE(h, 0) <> p_expected THEN
            %3$s
          END IF;
          IF cardinality(p_payloads) = 1 THEN
            PERFORM pg_advisory_xact_lock_shared(%2$d, 1);
          ELSE
            PERFORM pg_advisory_xact_lock(%2$d, 1);
          END IF;
          FOREACH p IN ARRAY p_payloads LOOP
            s := nextval('%1$sentry_seq');
            INSERT INTO %1$sentries (seq, k, write_id, payload) VALUES (s, p_key, p_write, p);
          END LOOP;
          UPDATE %1$sheads SET head = s WHERE k = p_key;
          RETURN QUERY SELECT s, NULL::BIGINT, NULL::BIGINT, NULL::BYTEA;
        END $$
        """
            .formatted(prefix, lockKey(prefix), refusal(prefix));
    // the last number drawn, then every append holding the lock: once those have ended, no number
    // at or below it can still commit (one drawn later was drawn after the lock was looked at)
    String horizon =
        """
        CREATE OR REPLACE FUNCTION %1$shorizon() RETURNS BIGINT LANGUAGE plpgsql AS $$
        DECLARE l BIGINT; db OID; flight TEXT[];
        BEGIN
          SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO l
              FROM %1$sentry_seq;
          SELECT oid INTO db FROM pg_database WHERE datname = current_database();
          SELECT array_agg(virtualtransaction) INTO flight FROM pg_locks
              WHERE locktype = 'advisory' AND database = db AND classid = %2$d AND objid = 1
                AND objsubid = 2 AND granted;
          WHILE flight IS NOT NULL AND EXISTS (SELECT 1 FROM pg_locks
              WHERE locktype = 'advisory' AND database = db AND classid = %2$d AND objid = 1
                AND objsubid = 2 AND virtualtransaction = ANY (flight)) LOOP
            PERFORM pg_sleep(0.0002);
          END LOOP;
          RETURN l;
        END $$
        """
            .formatted(prefix, lockKey(prefix));
    return List.of(append, horizon);
  }

  /**
   * PostgreSQL logs a sequence in its WAL ahead of the numbers drawn: never behind after a crash.
   */
  @Override
  List<String> sequenceAtLeast(String prefix, long lastEntry) {
    return List.of();
  }

  /** What the append answers when the log has moved: the missing entries, or just the refusal. */
  private static String refusal(String prefix) {
    return """
        IF p_read THEN
          RETURN QUERY %s;
        ELSE
          RETURN QUERY SELECT 0::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::BYTEA;
        END IF;
        RETURN;"""
        .formatted(missingRows(prefix, "0::BIGINT", "p_key", "p_expected"));
  }

  @Override
  List<String> dropRoutines(String prefix) {
    return List.of(
        "DROP FUNCTION IF EXISTS %sappend(TEXT, BIGINT, CHAR, BYTEA[], BOOLEAN, BOOLEAN)"
            .formatted(prefix),
        "DROP FUNCTION IF EXISTS %sappend(TEXT, BIGINT, CHAR, BYTEA[], BOOLEAN)".formatted(prefix),
        "DROP FUNCTION IF EXISTS %shorizon()".formatted(prefix));
  }

  @Override
  String appendCall(String prefix) {
    return "SELECT * FROM " + prefix + "append(?, ?, ?, ?, ?, ?)";
  }

  @Override
  void bindPayloads(PreparedStatement ps, int index, Connection c, List<byte[]> payloads)
      throws SQLException {
    ps.setArray(index, c.createArrayOf("bytea", payloads.toArray(new byte[0][])));
  }

  @Override
  String horizonCall(String prefix) {
    return "SELECT " + prefix + "horizon()";
  }

  @Override
  String announce(String prefix) {
    return "SELECT pg_notify('" + prefix + "appended', '')";
  }

  @Override
  String lockSql() {
    return "SELECT pg_advisory_lock(hashtext(?))";
  }

  @Override
  String unlockSql() {
    return "SELECT pg_advisory_unlock(hashtext(?))";
  }

  @Override
  boolean announcesAppends() {
    return true;
  }
}
