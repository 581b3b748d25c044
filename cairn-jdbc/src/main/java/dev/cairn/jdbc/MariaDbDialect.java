package dev.cairn.jdbc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * MariaDB and MySQL: procedures taking the payloads joined, each after its length; named locks; the
 * sequence polled for changes. An append marks itself in flight with a row in {@code _inflight}, a
 * MEMORY table, whose writes every session sees at once whatever the transaction does, and holds a
 * named lock of the same token, which the server drops with the connection: a row whose lock is
 * free belongs to an append that ended without removing it.
 */
final class MariaDbDialect extends Dialect {
  MariaDbDialect() {
    super(
        "VARCHAR(600) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "LONGBLOB",
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  }

  @Override
  String createSequence(String prefix, long first) {
    // NOCACHE: the last number drawn is then exact in the table, which the horizon reads
    return "CREATE SEQUENCE IF NOT EXISTS %sentry_seq START WITH %d NOCACHE"
        .formatted(prefix, first);
  }

  @Override
  String dropSequence(String prefix) {
    return "DROP SEQUENCE IF EXISTS " + prefix + "entry_seq";
  }

  @Override
  List<String> openStatements(String prefix) {
    String inflight =
        "CREATE TABLE IF NOT EXISTS %sinflight (token CHAR(36) PRIMARY KEY) ENGINE=MEMORY"
            .formatted(prefix);
    // numbers are drawn under a named lock held for the draws alone, so that the entries of one
    // append have numbers that follow each other
    String append =
        """
        CREATE OR REPLACE PROCEDURE %1$sappend(
            IN p_key VARCHAR(600) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
            IN p_expected BIGINT, IN p_write CHAR(36), IN p_payloads LONGBLOB,
            IN p_in_doubt BOOLEAN, IN p_read BOOLEAN)
        MODIFIES SQL DATA
        proc: BEGIN
          DECLARE h BIGINT; DECLARE done BIGINT; DECLARE first BIGINT; DECLARE s BIGINT;
          DECLARE n BIGINT DEFAULT 0; DECLARE i BIGINT DEFAULT 0;
          DECLARE pos BIGINT DEFAULT 1; DECLARE len BIGINT;
          DECLARE v_token CHAR(36) DEFAULT UUID();
          DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN
            ROLLBACK;
            DELETE FROM %1$sinflight WHERE %1$sinflight.token = v_token;
            DO RELEASE_LOCK('%1$snumbers'), RELEASE_LOCK(CONCAT('cairn-w-', v_token));
            RESIGNAL;
          END;
          -- a log that has moved is refused before any lock: a refusal writes nothing to the log
          IF p_expected >= 0 AND NOT p_in_doubt THEN
            SET h = (SELECT head FROM %1$sheads WHERE k = p_key);
            IF COALESCE(h, 0) <> p_expected THEN
              IF p_read THEN %2$s; ELSE SELECT 0, NULL, NULL, NULL; END IF;
              LEAVE proc;
            END IF;
            SET h = NULL;
          END IF;
          START TRANSACTION;
          SELECT head INTO h FROM %1$sheads WHERE k = p_key FOR UPDATE;
          IF h IS NULL AND p_expected <= 0 THEN
            INSERT INTO %1$sheads (k, head) VALUES (p_key, 0) ON DUPLICATE KEY UPDATE head = head;
            SELECT head INTO h FROM %1$sheads WHERE k = p_key FOR UPDATE;
          END IF;
          IF p_in_doubt THEN
            SELECT MAX(seq) INTO done FROM %1$sentries WHERE write_id = p_write;
            IF done IS NOT NULL THEN
              COMMIT; SELECT done, NULL, NULL, NULL; LEAVE proc;
            END IF;
          END IF;
          IF p_expected >= 0 AND COALESCE(h, 0) <> p_expected THEN
            COMMIT;
            IF p_read THEN %2$s; ELSE SELECT 0, NULL, NULL, NULL; END IF;
            LEAVE proc;
          END IF;
          IF GET_LOCK(CONCAT('cairn-w-', v_token), 0) IS NOT TRUE THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cannot take the lock marking an append';
          END IF;
          INSERT INTO %1$sinflight (token) VALUES (v_token);
          WHILE pos <= LENGTH(p_payloads) DO
            SET n = n + 1;
            SET pos = pos + 4 + CONV(HEX(SUBSTRING(p_payloads, pos, 4)), 16, 10);
          END WHILE;
          IF GET_LOCK('%1$snumbers', 60) IS NOT TRUE THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'waited 60 s for the lock on entry numbers';
          END IF;
          SET first = NEXTVAL(%1$sentry_seq);
          SET s = first;
          WHILE s < first + n - 1 DO
            SET s = NEXTVAL(%1$sentry_seq);
          END WHILE;
          DO RELEASE_LOCK('%1$snumbers');
          SET pos = 1;
          WHILE pos <= LENGTH(p_payloads) DO
            SET len = CONV(HEX(SUBSTRING(p_payloads, pos, 4)), 16, 10);
            INSERT INTO %1$sentries (seq, k, write_id, payload)
                VALUES (first + i, p_key, p_write, SUBSTRING(p_payloads, pos + 4, len));
            SET i = i + 1;
            SET pos = pos + 4 + len;
          END WHILE;
          UPDATE %1$sheads SET head = s WHERE k = p_key;
          COMMIT;
          DELETE FROM %1$sinflight WHERE %1$sinflight.token = v_token;
          DO RELEASE_LOCK(CONCAT('cairn-w-', v_token));
          SELECT s, NULL, NULL, NULL;
        END
        """
            .formatted(prefix, missingRows(prefix, "0", "p_key", "p_expected"));
    // the last number drawn, then every append in flight: once those have ended, no number at or
    // below it can still commit (one drawn later was drawn after the table was looked at)
    String horizon =
        """
        CREATE OR REPLACE PROCEDURE %1$shorizon()
        MODIFIES SQL DATA
        BEGIN
          DECLARE l BIGINT; DECLARE flight LONGTEXT;
          SET SESSION group_concat_max_len = 67108864;
          SET l = (SELECT next_not_cached_value - 1 FROM %1$sentry_seq);
          SET flight = (SELECT GROUP_CONCAT(token) FROM %1$sinflight);
          WHILE flight IS NOT NULL AND EXISTS (SELECT 1 FROM %1$sinflight
              WHERE FIND_IN_SET(token, flight) AND IS_USED_LOCK(CONCAT('cairn-w-', token)) IS NOT NULL) DO
            DO SLEEP(0.0002);
          END WHILE;
          IF flight IS NOT NULL THEN
            DELETE FROM %1$sinflight
                WHERE FIND_IN_SET(token, flight) AND IS_USED_LOCK(CONCAT('cairn-w-', token)) IS NULL;
          END IF;
          SELECT l;
        END
        """
            .formatted(prefix);
    return List.of(inflight, append, horizon);
  }

  /** The sequence is a table of its own: whatever a crash left, it is never behind the entries. */
  @Override
  List<String> sequenceAtLeast(String prefix, long lastEntry) {
    return List.of("SELECT SETVAL(%sentry_seq, %d)".formatted(prefix, lastEntry));
  }

  @Override
  List<String> dropRoutines(String prefix) {
    return List.of(
        "DROP PROCEDURE IF EXISTS " + prefix + "append",
        "DROP PROCEDURE IF EXISTS " + prefix + "horizon",
        "DROP TABLE IF EXISTS " + prefix + "inflight");
  }

  @Override
  String appendCall(String prefix) {
    return "CALL " + prefix + "append(?, ?, ?, ?, ?, ?)";
  }

  @Override
  void bindPayloads(PreparedStatement ps, int index, Connection c, List<byte[]> payloads)
      throws SQLException {
    ByteArrayOutputStream joined = new ByteArrayOutputStream(); // each after its length
    for (byte[] p : payloads) {
      joined.writeBytes(ByteBuffer.allocate(4).putInt(p.length).array());
      joined.writeBytes(p);
    }
    ps.setBytes(index, joined.toByteArray());
  }

  @Override
  String horizonCall(String prefix) {
    return "CALL " + prefix + "horizon()";
  }

  @Override
  String announce(String prefix) {
    throw new UnsupportedOperationException("MariaDB has no notices: the sequence is polled");
  }

  @Override
  String lockSql() {
    return "SELECT GET_LOCK(?, 60)";
  }

  @Override
  String unlockSql() {
    return "SELECT RELEASE_LOCK(?)";
  }

  @Override
  boolean announcesAppends() {
    return false;
  }
}
