package dev.cairn.jdbc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * MariaDB and MySQL: an append procedure taking the payloads joined, each after its length; named
 * locks; the sequence polled for changes.
 */
final class MariaDbDialect extends Dialect {
  MariaDbDialect() {
    super(
        "VARCHAR(600) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "LONGBLOB",
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  }

  @Override
  String createAppendRoutine(String prefix) {
    return """
        CREATE OR REPLACE PROCEDURE %1$sappend(
            IN p_key VARCHAR(600) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
            IN p_expected BIGINT, IN p_write CHAR(36), IN p_payloads LONGBLOB, IN p_in_doubt BOOLEAN)
        MODIFIES SQL DATA
        proc: BEGIN
          DECLARE s BIGINT; DECLARE h BIGINT; DECLARE done BIGINT;
          DECLARE pos BIGINT DEFAULT 1; DECLARE len BIGINT;
          START TRANSACTION;
          SELECT seq INTO s FROM %1$sseq WHERE id = 1 FOR UPDATE;
          IF p_in_doubt THEN
            SELECT MAX(seq) INTO done FROM %1$sentries WHERE write_id = p_write;
            IF done IS NOT NULL THEN COMMIT; SELECT done; LEAVE proc; END IF;
          END IF;
          SET h = (SELECT head FROM %1$sheads WHERE k = p_key);
          IF p_expected >= 0 AND COALESCE(h, 0) <> p_expected THEN
            COMMIT; SELECT 0; LEAVE proc;
          END IF;
          WHILE pos <= LENGTH(p_payloads) DO
            SET len = CONV(HEX(SUBSTRING(p_payloads, pos, 4)), 16, 10);
            SET s = s + 1;
            INSERT INTO %1$sentries (seq, k, write_id, payload)
                VALUES (s, p_key, p_write, SUBSTRING(p_payloads, pos + 4, len));
            SET pos = pos + 4 + len;
          END WHILE;
          INSERT INTO %1$sheads (k, head) VALUES (p_key, s) ON DUPLICATE KEY UPDATE head = VALUES(head);
          UPDATE %1$sseq SET seq = s WHERE id = 1;
          COMMIT;
          SELECT s;
        END
        """
        .formatted(prefix);
  }

  @Override
  String dropAppendRoutine(String prefix) {
    return "DROP PROCEDURE IF EXISTS " + prefix + "append";
  }

  @Override
  String appendCall(String prefix) {
    return "CALL " + prefix + "append(?, ?, ?, ?, ?)";
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
