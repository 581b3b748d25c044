package dev.cairn.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** PostgreSQL: a PL/pgSQL append function that announces with NOTIFY; advisory locks. */
final class PostgresDialect extends Dialect {
  PostgresDialect() {
    super("TEXT", "BYTEA", "");
  }

  @Override
  String createAppendRoutine(String prefix) {
    return """
        CREATE OR REPLACE FUNCTION %1$sappend(p_key TEXT, p_expected BIGINT, p_write CHAR(36),
            p_payloads BYTEA[], p_in_doubt BOOLEAN) RETURNS BIGINT LANGUAGE plpgsql AS $$
        DECLARE s BIGINT; h BIGINT; done BIGINT; p BYTEA;
        BEGIN
          SELECT seq INTO s FROM %1$sseq WHERE id = 1 FOR UPDATE;
          IF p_in_doubt THEN
            SELECT MAX(seq) INTO done FROM %1$sentries WHERE write_id = p_write;
            IF done IS NOT NULL THEN RETURN done; END IF;
          END IF;
          SELECT head INTO h FROM %1$sheads WHERE k = p_key;
          IF p_expected >= 0 AND COALESCE(h, 0) <> p_expected THEN RETURN 0; END IF;
          FOREACH p IN ARRAY p_payloads LOOP
            s := s + 1;
            INSERT INTO %1$sentries (seq, k, write_id, payload) VALUES (s, p_key, p_write, p);
          END LOOP;
          INSERT INTO %1$sheads (k, head) VALUES (p_key, s)
              ON CONFLICT (k) DO UPDATE SET head = EXCLUDED.head;
          UPDATE %1$sseq SET seq = s WHERE id = 1;
          PERFORM pg_notify('%1$sappended', s::text);
          RETURN s;
        END $$
        """
        .formatted(prefix);
  }

  @Override
  String dropAppendRoutine(String prefix) {
    return "DROP FUNCTION IF EXISTS " + prefix + "append";
  }

  @Override
  String appendCall(String prefix) {
    return "SELECT " + prefix + "append(?, ?, ?, ?, ?)";
  }

  @Override
  void bindPayloads(PreparedStatement ps, int index, Connection c, List<byte[]> payloads)
      throws SQLException {
    ps.setArray(index, c.createArrayOf("bytea", payloads.toArray(new byte[0][])));
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
