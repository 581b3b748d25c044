/**
 * The PostgreSQL and MariaDB/MySQL backends. Cairn finds them by the location's scheme; the package
 * is exported for {@code JdbcBackend.drop}, which removes a store's tables and routines.
 */
@SuppressWarnings("requires-automatic") // the PostgreSQL driver is an automatic module
module dev.cairn.jdbc {
  requires dev.cairn.core;
  requires java.sql;
  requires com.zaxxer.hikari;
  requires org.postgresql.jdbc; // LISTEN/NOTIFY through PGConnection

  exports dev.cairn.jdbc;

  provides dev.cairn.spi.BackendProvider with
      dev.cairn.jdbc.JdbcBackendProvider;
}
