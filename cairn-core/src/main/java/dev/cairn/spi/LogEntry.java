package dev.cairn.spi;

import java.util.Arrays;

/**
 * One entry of a keyed log. Two entries are equal when their key, sequence number and payload bytes
 * are.
 *
 * @param key the log the entry belongs to
 * @param seq its store-wide sequence number: unique, and increasing in append order
 * @param payload the bytes the engine appended; backends never interpret them
 */
public record LogEntry(String key, long seq, byte[] payload) {
  @Override
  public boolean equals(Object o) {
    return o instanceof LogEntry e
        && seq == e.seq
        && key.equals(e.key)
        && Arrays.equals(payload, e.payload);
  }

  @Override
  public int hashCode() {
    return (key.hashCode() * 31 + Long.hashCode(seq)) * 31 + Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "LogEntry[key=" + key + ", seq=" + seq + ", " + payload.length + " bytes]";
  }
}
