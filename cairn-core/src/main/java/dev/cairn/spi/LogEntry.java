package dev.cairn.spi;

/**
 * One entry of a keyed log.
 *
 * @param key the log the entry belongs to
 * @param seq its store-wide sequence number: unique, and increasing in append order
 * @param payload the bytes the engine appended; backends never interpret them
 */
public record LogEntry(String key, long seq, byte[] payload) {}
