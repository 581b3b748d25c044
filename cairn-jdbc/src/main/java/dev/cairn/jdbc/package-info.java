/**
 * The SQL backends: {@code jdbc:postgresql://...} and {@code jdbc:mariadb://...} / {@code
 * jdbc:mysql://...}, with {@code cairn.namespace} and {@code cairn.poll} parameters. See {@link
 * dev.cairn.jdbc.JdbcBackend} for the tables, the ordering of appends and the handling of dropped
 * connections.
 */
package dev.cairn.jdbc;
